#pragma once

#include <sluice/core/datasets/file_dataset.hpp>

namespace sluice {

/// A Table in a CSV file (see read_csv for the dialect and type inference).
class SLUICE_API CSVDataset : public FileDataset {
 public:
  explicit CSVDataset(FileLocation filepath, Versioning versioning = {});
  std::string dataset_type() const override { return "CSVDataset"; }

 protected:
  std::string encode(const Value& value) const override;
  Value decode(std::string bytes, const std::filesystem::path& path) const override;
};

}  // namespace sluice
