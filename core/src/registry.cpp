#include <fmt/format.h>

#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/csv_dataset.hpp>
#include <sluice/core/datasets/json_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/datasets/npy_dataset.hpp>
#include <sluice/core/datasets/text_dataset.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/registry.hpp>

namespace sluice {
namespace {

Versioning versioning(DatasetOptions& options, const DatasetContext& context) {
  return Versioning{options.flag("versioned", false), context.load_version, context.save_version};
}

template <class FileType>
DatasetFactory file_dataset_factory(const char* type) {
  return [type](const DatasetContext& context) -> std::shared_ptr<Dataset> {
    DatasetOptions options(context, type);
    auto path = options.filepath();
    auto versions = versioning(options, context);
    options.finish();
    return std::make_shared<FileType>(std::move(path), std::move(versions));
  };
}

}  // namespace

void register_builtins(Registry& registry) {
  Registrar registrar(registry);
  register_builtins(registrar);
}

void register_builtins(Registrar& registrar) {
  CodecRegistry builtin_codecs;
  add_builtin_codecs(builtin_codecs);
  for (const auto& name : builtin_codecs.names()) {
    registrar.add_codec(builtin_codecs.by_name(name));
  }
  struct Types {
    Registrar& registrar;
    void add(std::string name, DatasetFactory factory) {
      registrar.add_dataset_type(std::move(name), std::move(factory));
    }
  } types{registrar};
  types.add("MemoryDataset", [](const DatasetContext& context) -> std::shared_ptr<Dataset> {
    DatasetOptions(context, "MemoryDataset").finish();
    return std::make_shared<MemoryDataset>();
  });
  types.add("BinaryDataset", [](const DatasetContext& context) -> std::shared_ptr<Dataset> {
    DatasetOptions options(context, "BinaryDataset");
    auto path = options.filepath();
    auto codec = options.optional_string("codec").value_or("");
    auto versions = versioning(options, context);
    options.finish();
    return std::make_shared<BinaryDataset>(std::move(path), *context.codecs, std::move(codec),
                                           std::move(versions));
  });
  // Kedro's names (pandas.CSVDataset, text.TextDataset, json.JSONDataset) are taken as well: a
  // catalog written for Kedro works as it is.
  for (const char* name : {"CSVDataset", "pandas.CSVDataset"}) {
    types.add(name, [name](const DatasetContext& context) -> std::shared_ptr<Dataset> {
      DatasetOptions options(context, name);
      auto path = options.filepath();
      auto versions = versioning(options, context);
      auto [load_args, save_args] =
          CSVDataset::read_args(options, fmt::format("dataset '{}' ({})", context.name, name));
      options.finish();
      return std::make_shared<CSVDataset>(std::move(path), std::move(versions),
                                          std::move(load_args), std::move(save_args));
    });
  }
  types.add("TextDataset", file_dataset_factory<TextDataset>("TextDataset"));
  types.add("text.TextDataset", file_dataset_factory<TextDataset>("text.TextDataset"));
  types.add("NpyDataset", file_dataset_factory<NpyDataset>("NpyDataset"));
  for (const char* name : {"JSONDataset", "json.JSONDataset"}) {
    types.add(name, [name](const DatasetContext& context) -> std::shared_ptr<Dataset> {
      DatasetOptions options(context, name);
      auto path = options.filepath();
      auto versions = versioning(options, context);
      const JsonWriteOptions save_args =
          JSONDataset::read_args(options, fmt::format("dataset '{}' ({})", context.name, name));
      options.finish();
      return std::make_shared<JSONDataset>(std::move(path), std::move(versions), save_args);
    });
  }
  types.add("CachedDataset", [](const DatasetContext& context) -> std::shared_ptr<Dataset> {
    DatasetOptions options(context, "CachedDataset");
    const Param& inner = options.required_map("dataset");
    options.finish();
    return std::make_shared<CachedDataset>(
        create_nested_dataset(context, inner, options.where("dataset")));
  });
}

}  // namespace sluice
