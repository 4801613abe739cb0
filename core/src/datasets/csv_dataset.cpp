#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/datasets/csv_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {
namespace {

// A one-character option (sep, quotechar, comment), or `fallback` when absent.
char one_char(OptionReader& options, const std::string& key, char fallback) {
  const auto text = options.optional_string(key);
  if (!text) {
    return fallback;
  }
  if (text->size() != 1 || *text == "\n" || *text == "\r") {
    throw ConfigError(fmt::format(
        "{}: must be one character other than a line break (got '{}'); regular expressions "
        "and longer separators are not supported",
        options.where(key), *text));
  }
  return text->front();
}

// `column` is empty for the one dtype of every column.
std::string dtype_name(OptionReader& options, const std::string& column, const Param& value) {
  const std::string where = column.empty()
                                ? options.where("dtype")
                                : fmt::format("{}: column '{}'", options.where("dtype"), column);
  if (value.kind() != Param::Kind::string) {
    throw ConfigError(
        fmt::format("{}: must be a dtype name or a map of column to dtype name (got {})", where,
                    value.to_string()));
  }
  const std::string& name = value.as_string();
  const auto& known = csv_dtypes();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    throw ConfigError(fmt::format("{}: dtype '{}' is not supported{}; use one of {}", where, name,
                                  did_you_mean(name, known), fmt::join(known, ", ")));
  }
  return name;
}

CsvReadOptions read_load_args(const Param& args, const std::string& what) {
  OptionReader options(args, what + " load_args");
  CsvReadOptions load;
  const char sep = one_char(options, "sep", 0);
  const char delimiter = one_char(options, "delimiter", 0);
  if (sep != 0 && delimiter != 0) {
    throw ConfigError(
        fmt::format("{}: give sep or delimiter (its alias), not both", options.where("delimiter")));
  }
  load.sep = sep != 0 ? sep : delimiter != 0 ? delimiter : load.sep;
  load.quotechar = one_char(options, "quotechar", load.quotechar);
  load.comment = one_char(options, "comment", 0);
  load.names = options.strings("names", {});
  if (const Param* header = options.optional_raw("header")) {
    if (header->is_null()) {
      load.header = false;
    } else if (header->kind() == Param::Kind::integer && header->as_int() == 0) {
      load.header = true;
    } else if (header->kind() == Param::Kind::string && header->as_string() == "infer") {
      load.header = load.names.empty();  // pandas: names without a header row
    } else {
      throw ConfigError(fmt::format(
          "{}: takes 0 (the first line is the header), null (no header: columns are named "
          "0..n-1, or `names`) or 'infer' (got {}); a header on a later line is not supported: "
          "use skiprows",
          options.where("header"), header->to_string()));
    }
  }
  load.skiprows = static_cast<std::size_t>(options.integer("skiprows", 0, 0, 1'000'000'000));
  load.usecols = options.strings("usecols", {});
  load.keep_default_na = options.flag("keep_default_na", true);
  if (const Param* na = options.optional_raw("na_values"); na != nullptr && !na->is_null()) {
    if (na->is_map()) {
      throw ConfigError(fmt::format(
          "{}: per-column na_values (a map) are not supported; give a list for all columns",
          options.where("na_values")));
    }
    load.na_values = na->is_list()
                         ? options.strings("na_values", {})
                         : std::vector<std::string>{*options.optional_string("na_values")};
  }
  if (const Param* dtype = options.optional_raw("dtype"); dtype != nullptr && !dtype->is_null()) {
    if (dtype->is_map()) {
      for (const auto& [column, type] : dtype->as_map()) {
        load.dtype[column] = dtype_name(options, column, type);
      }
    } else {
      load.dtype_all = dtype_name(options, "", *dtype);
    }
  }
  options.finish();
  if (load.sep == load.quotechar) {
    throw ConfigError(
        fmt::format("{}: sep and quotechar are both '{}'", options.where(), load.sep));
  }
  return load;
}

CsvQuoting quoting(OptionReader& options) {
  static const std::vector<std::string> names = {"QUOTE_MINIMAL", "QUOTE_ALL", "QUOTE_NONNUMERIC",
                                                 "QUOTE_NONE"};
  const Param* value = options.optional_raw("quoting");
  if (value == nullptr || value->is_null()) {
    return CsvQuoting::minimal;
  }
  if (value->kind() == Param::Kind::integer) {
    return static_cast<CsvQuoting>(options.integer("quoting", 0, 0, 3));
  }
  std::string name = options.optional_string("quoting").value_or("");
  if (name.starts_with("csv.")) {
    name.erase(0, 4);
  }
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    throw ConfigError(fmt::format("{}: '{}' is not a quoting{}; use 0..3 or {}",
                                  options.where("quoting"), name, did_you_mean(name, names),
                                  fmt::join(names, ", ")));
  }
  return static_cast<CsvQuoting>(found - names.begin());
}

CsvWriteOptions read_save_args(const Param& args, const std::string& what) {
  OptionReader options(args, what + " save_args");
  CsvWriteOptions save;
  save.sep = one_char(options, "sep", save.sep);
  save.quotechar = one_char(options, "quotechar", save.quotechar);
  save.header = options.flag("header", true);
  if (options.flag("index", false)) {
    throw ConfigError(fmt::format(
        "{}: index: true is not supported: a sluice Table has no index; write index: false "
        "(Kedro's default) or add a row-number column in a node",
        options.where("index")));
  }
  save.na_rep = options.optional_string("na_rep").value_or(save.na_rep);
  save.quoting = quoting(options);
  save.columns = options.strings("columns", {});
  options.finish();
  if (save.sep == save.quotechar) {
    throw ConfigError(
        fmt::format("{}: sep and quotechar are both '{}'", options.where(), save.sep));
  }
  return save;
}

}  // namespace

CSVDataset::CSVDataset(FileLocation filepath, Versioning versioning, CsvReadOptions load_args,
                       CsvWriteOptions save_args)
    : FileDataset(std::move(filepath), std::move(versioning)),
      load_args_(std::move(load_args)),
      save_args_(std::move(save_args)) {}

std::pair<CsvReadOptions, CsvWriteOptions> CSVDataset::read_args(OptionReader& options,
                                                                 const std::string& what) {
  std::pair<CsvReadOptions, CsvWriteOptions> args;
  if (const Param* load = options.optional_map("load_args")) {
    args.first = read_load_args(*load, what);
  }
  if (const Param* save = options.optional_map("save_args")) {
    args.second = read_save_args(*save, what);
  }
  return args;
}

std::string CSVDataset::encode(const Value& value) const {
  return write_csv_string(value.get<Table>(filepath().string()), save_args_, filepath().string());
}

Value CSVDataset::decode(std::string bytes, const std::filesystem::path& path) const {
  return Value::of(read_csv_string(bytes, path.string(), load_args_));
}

}  // namespace sluice
