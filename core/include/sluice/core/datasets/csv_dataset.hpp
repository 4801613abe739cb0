#pragma once

#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/table.hpp>

namespace sluice {

class OptionReader;

/// A Table in a CSV file (see read_csv for the dialect and type inference), read and written
/// with Kedro's `load_args` / `save_args` (pandas.read_csv / DataFrame.to_csv names).
class SLUICE_API CSVDataset : public FileDataset {
 public:
  explicit CSVDataset(FileLocation filepath, Versioning versioning = {},
                      CsvReadOptions load_args = {}, CsvWriteOptions save_args = {});
  std::string dataset_type() const override { return "CSVDataset"; }

  /// Reads the `load_args` and `save_args` options of a catalog entry; ConfigError naming the
  /// option's file:line for an unknown key or a bad value.
  static std::pair<CsvReadOptions, CsvWriteOptions> read_args(OptionReader& options,
                                                              const std::string& what);

 protected:
  std::string encode(const Value& value) const override;
  Value decode(std::string bytes, const std::filesystem::path& path) const override;

 private:
  CsvReadOptions load_args_;
  CsvWriteOptions save_args_;
};

}  // namespace sluice
