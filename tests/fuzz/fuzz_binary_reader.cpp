// Fuzzes the binary reader: the bytes of a BinaryDataset file (framing, checksum, codec name)
// and, through it, the built-in codecs' decoders. Each input is decoded as it is, then once
// more with its header's payload length and checksum made to match, so that mutations of the
// payload reach the codecs instead of stopping at the checksum.

#include <cstring>
#include <optional>
#include <string>

#include <sluice/core/codec.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>

#include "fuzz_input.hpp"

namespace {

// decode() is what load() applies to a file's bytes; the fuzzer calls it without a file.
class BinaryReader : public sluice::BinaryDataset {
 public:
  using BinaryDataset::BinaryDataset;
  using BinaryDataset::decode;
};

const sluice::CodecRegistry& builtin_codecs() {
  static const auto codecs = [] {
    auto built = std::make_unique<sluice::CodecRegistry>();
    sluice::add_builtin_codecs(*built);
    return built;
  }();
  return *codecs;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The frame (see binary_dataset.hpp): magic[8] | u32 name length | name | u64 payload length |
// u64 checksum | payload. Returns the bytes with a length and checksum that match the payload,
// or nothing when the header is cut short or already matches.
std::optional<std::string> with_matching_checksum(std::string bytes) {
  constexpr std::size_t kMagicSize = 8;
  std::uint32_t name_length = 0;
  if (bytes.size() < kMagicSize + sizeof name_length) {
    return std::nullopt;
  }
  std::memcpy(&name_length, bytes.data() + kMagicSize, sizeof name_length);
  const std::size_t length_at = kMagicSize + sizeof name_length + std::size_t{name_length};
  const std::size_t payload_at = length_at + 2 * sizeof(std::uint64_t);
  if (name_length > 1024 || bytes.size() < payload_at) {
    return std::nullopt;
  }
  const std::uint64_t header[2] = {bytes.size() - payload_at,
                                   fnv1a(std::string_view(bytes).substr(payload_at))};
  if (std::memcmp(bytes.data() + length_at, header, sizeof header) == 0) {
    return std::nullopt;
  }
  std::memcpy(bytes.data() + length_at, header, sizeof header);
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  static const BinaryReader reader("fuzz.bin", builtin_codecs());
  const std::string bytes(fuzz::as_text(data, size));
  fuzz::allow_sluice_errors([&] { (void)reader.decode(bytes, "fuzz.bin"); });
  if (auto sealed = with_matching_checksum(bytes)) {
    fuzz::allow_sluice_errors([&] { (void)reader.decode(std::move(*sealed), "fuzz.bin"); });
  }
  return 0;
}
