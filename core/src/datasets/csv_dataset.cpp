#include <sluice/core/datasets/csv_dataset.hpp>
#include <sluice/core/table.hpp>

namespace sluice {

CSVDataset::CSVDataset(FileLocation filepath, Versioning versioning)
    : FileDataset(std::move(filepath), std::move(versioning)) {}

std::string CSVDataset::encode(const Value& value) const {
  return write_csv_string(value.get<Table>(filepath().string()));
}

Value CSVDataset::decode(std::string bytes, const std::filesystem::path& path) const {
  return Value::of(read_csv_string(bytes, path.string()));
}

}  // namespace sluice
