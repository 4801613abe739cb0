#pragma once

#include <sluice/core/datasets/file_dataset.hpp>

namespace sluice {

/// A numeric vector (std::vector<double> or std::vector<std::int64_t>) in NumPy's `.npy` format
/// (version 1.0, little-endian, C order, one dimension), which `numpy.load` reads without
/// sluice: the interchange format for numeric vectors (tables go to CSV, JSON or SQL).
///
/// Loads `<f8` as double and `<i8` as int64, and widens `<f4` to double and `<i1`, `<i2`, `<i4`,
/// `<u1`, `<u2`, `<u4` and `|b1` to int64. Another dtype, big-endian data, Fortran order, more
/// than one dimension, or a file that is not `.npy` is a DatasetError naming the file and what
/// it holds.
class SLUICE_API NpyDataset : public FileDataset {
 public:
  explicit NpyDataset(FileLocation filepath, Versioning versioning = {});
  std::string dataset_type() const override { return "NpyDataset"; }

 protected:
  std::string encode(const Value& value) const override;
  Value decode(std::string bytes, const std::filesystem::path& path) const override;
};

}  // namespace sluice
