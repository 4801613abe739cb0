#include <fmt/format.h>

#include <sluice/core/datasets/json_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>

namespace sluice {

JSONDataset::JSONDataset(FileLocation filepath, Versioning versioning, JsonWriteOptions save_args)
    : FileDataset(std::move(filepath), std::move(versioning)), save_args_(save_args) {}

JsonWriteOptions JSONDataset::read_args(OptionReader& options, const std::string& what) {
  JsonWriteOptions write;
  if (const Param* load = options.optional_map("load_args")) {
    // json.load takes nothing a C++ reader needs: any key is an error naming it.
    OptionReader(*load, what + " load_args").finish();
  }
  if (const Param* save = options.optional_map("save_args")) {
    OptionReader args(*save, what + " save_args");
    if (const Param* indent = args.optional_raw("indent");
        indent != nullptr && !indent->is_null()) {
      write.indent = static_cast<int>(args.integer("indent", 0, 0, 64));
    }
    write.ensure_ascii = args.flag("ensure_ascii", write.ensure_ascii);
    args.finish();
  }
  return write;
}

std::string JSONDataset::encode(const Value& value) const {
  const Json& document = value.get<Json>(filepath().string());
  try {
    return document.dump(save_args_.indent.value_or(-1), ' ', save_args_.ensure_ascii) + "\n";
  } catch (const nlohmann::json::exception&) {
    throw DatasetError(fmt::format(
        "'{}': the document has a string that is not UTF-8, which JSON cannot hold; decode it "
        "to UTF-8 first (or keep the bytes in a BinaryDataset)",
        filepath().string()));
  }
}

Value JSONDataset::decode(std::string bytes, const std::filesystem::path& path) const {
  return Value::of(parse_json(bytes, path.string(),
                              "fix the file, or save it again from the pipeline that writes it"));
}

std::string JSONDataset::describe_options() const {
  return save_args_.indent ? fmt::format("indent={}", *save_args_.indent) : std::string();
}

}  // namespace sluice
