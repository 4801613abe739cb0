#include <sluice/core/datasets/text_dataset.hpp>

namespace sluice {

TextDataset::TextDataset(FileLocation filepath, Versioning versioning)
    : FileDataset(std::move(filepath), std::move(versioning)) {}

std::string TextDataset::encode(const Value& value) const {
  return value.get<std::string>(filepath().string());
}

Value TextDataset::decode(std::string bytes, const std::filesystem::path&) const {
  return Value::of(std::move(bytes));
}

}  // namespace sluice
