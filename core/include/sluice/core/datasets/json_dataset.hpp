#pragma once

#include <optional>

#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/util/json.hpp>

namespace sluice {

class OptionReader;

/// How JSONDataset writes (its `save_args`, after Python's json.dump as Kedro passes them).
struct JsonWriteOptions {
  /// Spaces per level of nesting; none: the whole document on one line.
  std::optional<int> indent;
  /// Characters outside ASCII as \uXXXX escapes (Python's default), else as UTF-8.
  bool ensure_ascii = true;
};

/// A JSON document (sluice::Json: objects keep their keys in order) in a file, as Kedro's
/// `json.JSONDataset`: Python reads it with `json.load`, pandas a list of records with
/// `pd.read_json`. A load that is not JSON names the file, line and column.
class SLUICE_API JSONDataset : public FileDataset {
 public:
  explicit JSONDataset(FileLocation filepath, Versioning versioning = {},
                       JsonWriteOptions save_args = {});
  std::string dataset_type() const override { return "JSONDataset"; }

  /// Reads the `save_args` of a catalog entry (and refuses any key of `load_args`: there is
  /// none); ConfigError naming the option's file:line. `what` names the entry in messages.
  static JsonWriteOptions read_args(OptionReader& options, const std::string& what);

 protected:
  std::string encode(const Value& value) const override;
  Value decode(std::string bytes, const std::filesystem::path& path) const override;
  std::string describe_options() const override;

 private:
  JsonWriteOptions save_args_;
};

}  // namespace sluice
