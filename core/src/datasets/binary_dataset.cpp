#include <fmt/format.h>

#include <sluice/core/binary_frame.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>

namespace sluice {

BinaryDataset::BinaryDataset(FileLocation filepath, const CodecRegistry& codecs, std::string codec,
                             Versioning versioning)
    : FileDataset(std::move(filepath), std::move(versioning)),
      codecs_(codecs),
      codec_(std::move(codec)) {
  if (!codec_.empty()) {
    codecs_.by_name(codec_);  // fails early, listing the known codecs
  }
}

std::string BinaryDataset::encode(const Value& value) const {
  return encode_binary_frame(codecs_, value, codec_, filepath().string());
}

Value BinaryDataset::decode(std::string bytes, const std::filesystem::path& path) const {
  return decode_binary_frame(codecs_, bytes, codec_, path.string());
}

std::string BinaryDataset::describe_options() const {
  return codec_.empty() ? std::string() : fmt::format("codec={}", codec_);
}

}  // namespace sluice
