#pragma once

#include <sluice/core/codec.hpp>
#include <sluice/core/datasets/file_dataset.hpp>

namespace sluice {

/// Any value with a codec, in a framed binary file:
///
///   magic "SLUICEB1" | u32 codec name length | codec name | u64 payload length |
///   u64 FNV-1a checksum of the payload | payload
///
/// The codec is taken from the file on load and from the value's type on save (or fixed with
/// `codec`). Truncated, corrupt and foreign files are reported as such.
class SLUICE_API BinaryDataset : public FileDataset {
 public:
  BinaryDataset(FileLocation filepath, const CodecRegistry& codecs, std::string codec = {},
                Versioning versioning = {});

  std::string dataset_type() const override { return "BinaryDataset"; }

 protected:
  std::string encode(const Value& value) const override;
  Value decode(std::string bytes, const std::filesystem::path& path) const override;
  std::string describe_options() const override;

 private:
  const CodecRegistry& codecs_;
  std::string codec_;
};

}  // namespace sluice
