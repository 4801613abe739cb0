#pragma once

#include <sluice/core/datasets/file_dataset.hpp>

namespace sluice {

/// A std::string in a text file.
class SLUICE_API TextDataset : public FileDataset {
 public:
  explicit TextDataset(FileLocation filepath, Versioning versioning = {});
  std::string dataset_type() const override { return "TextDataset"; }

 protected:
  std::string encode(const Value& value) const override;
  Value decode(std::string bytes, const std::filesystem::path& path) const override;
};

}  // namespace sluice
