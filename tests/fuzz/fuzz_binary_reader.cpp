// Fuzzes the binary reader: the bytes of a BinaryDataset file (framing, checksum, codec name)
// and, through it, the built-in codecs' decoders. Each input is decoded as it is, then once
// more with its header's payload length and checksum made to match, so that mutations of the
// payload reach the codecs instead of stopping at the checksum.

#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/value.hpp>

#include "fuzz_input.hpp"

namespace {

// decode() is what load() applies to a file's bytes; the fuzzer calls it without a file.
// encode() frames a payload; with the "string" codec the payload is the string itself.
class BinaryCodec : public sluice::BinaryDataset {
 public:
  using BinaryDataset::BinaryDataset;
  using BinaryDataset::decode;
  using BinaryDataset::encode;
};

// The frame (see binary_dataset.hpp): magic[8] | u32 name length | name | u64 payload length |
// u64 checksum | payload. Returns the bytes with the length and checksum of their payload (as
// BinaryDataset writes them), or nothing when the header is cut short or already matches.
std::optional<std::string> with_matching_checksum(std::string bytes) {
  constexpr std::size_t kMagicSize = 8;
  constexpr std::size_t kLengthAndChecksum = 2 * sizeof(std::uint64_t);
  std::uint32_t name_length = 0;
  if (bytes.size() < kMagicSize + sizeof name_length) {
    return std::nullopt;
  }
  std::memcpy(&name_length, bytes.data() + kMagicSize, sizeof name_length);
  const std::size_t length_at = kMagicSize + sizeof name_length + std::size_t{name_length};
  const std::size_t payload_at = length_at + kLengthAndChecksum;
  if (name_length > 1024 || bytes.size() < payload_at) {
    return std::nullopt;
  }
  static const BinaryCodec string_frames(std::filesystem::path("fuzz.bin"),
                                         sluice::fuzz::builtin_registry().codecs, "string");
  const std::string payload = bytes.substr(payload_at);
  const std::string framed = string_frames.encode(sluice::Value::of(payload));
  const char* header = framed.data() + framed.size() - payload.size() - kLengthAndChecksum;
  if (std::memcmp(bytes.data() + length_at, header, kLengthAndChecksum) == 0) {
    return std::nullopt;
  }
  std::memcpy(bytes.data() + length_at, header, kLengthAndChecksum);
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  static const BinaryCodec reader(std::filesystem::path("fuzz.bin"),
                                  fuzz::builtin_registry().codecs);
  const std::string bytes(fuzz::as_text(data, size));
  fuzz::allow_sluice_errors([&] { (void)reader.decode(bytes, "fuzz.bin"); });
  if (auto sealed = with_matching_checksum(bytes)) {
    fuzz::allow_sluice_errors([&] { (void)reader.decode(std::move(*sealed), "fuzz.bin"); });
  }
  return 0;
}
