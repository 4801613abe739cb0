#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include <sluice/core/binary_frame.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/type_name.hpp>

#include "byte_io.hpp"

namespace sluice {
namespace {

constexpr std::string_view kMagic = "SLUICEB1";

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// `bytes` with every byte outside printable ASCII written as \xNN, for messages.
std::string escaped(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::string encode_binary_frame(const CodecRegistry& codecs, const Value& value,
                                const std::string& fixed_codec, const std::string& file) {
  const Codec& codec =
      fixed_codec.empty() ? codecs.for_type(value.type(), file) : codecs.by_name(fixed_codec);
  if (codec.type != std::type_index(value.type())) {
    throw DatasetError(fmt::format("codec '{}' encodes {}, but the value is {}", codec.name,
                                   type_name(codec.type), value.type_name()));
  }
  const std::string payload = codec.encode(value);
  ByteWriter out;
  out.raw(kMagic.data(), kMagic.size());
  out.u32(static_cast<std::uint32_t>(codec.name.size()));
  out.raw(codec.name.data(), codec.name.size());
  out.u64(payload.size());
  out.u64(fnv1a(payload));
  out.raw(payload.data(), payload.size());
  return out.take();
}

Value decode_binary_frame(const CodecRegistry& codecs, std::string_view bytes,
                          const std::string& fixed_codec, const std::string& file) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    throw DatasetError(fmt::format(
        "'{}' is not a sluice binary file (bad magic); was it written by another program?", file));
  }
  try {
    ByteReader in(bytes, file);
    std::string magic(kMagic.size(), '\0');
    in.raw(magic.data(), magic.size());
    const std::uint32_t name_length = in.u32();
    if (name_length > 1024) {
      throw DatasetError(fmt::format("'{}' is corrupt: codec name length {}", file, name_length));
    }
    std::string codec_name(name_length, '\0');
    in.raw(codec_name.data(), name_length);
    const auto known = codecs.names();
    if ((codec_name.empty() || !is_printable_ascii(codec_name)) &&
        std::find(known.begin(), known.end(), codec_name) == known.end()) {
      throw DatasetError(fmt::format(
          "'{}' is corrupt: its header names codec \"{}\", which is not a codec name; re-run the "
          "node that produces it",
          file, escaped(codec_name)));
    }
    const std::uint64_t length = in.u64();
    const std::uint64_t checksum = in.u64();
    if (in.remaining() != length) {
      throw DatasetError(fmt::format(
          "'{}' is {}: the header announces {} payload bytes but {} follow; re-run the node "
          "that produces it",
          file, in.remaining() < length ? "truncated" : "corrupt", length, in.remaining()));
    }
    const std::string_view payload = in.rest();
    if (fnv1a(payload) != checksum) {
      throw DatasetError(fmt::format(
          "'{}' is corrupt: checksum mismatch; re-run the node that produces it", file));
    }
    if (!fixed_codec.empty() && codec_name != fixed_codec) {
      throw DatasetError(fmt::format("'{}' was written with codec '{}' but the catalog says '{}'",
                                     file, codec_name, fixed_codec));
    }
    return codecs.by_name(codec_name).decode(payload);
  } catch (const DatasetError&) {
    throw;
  } catch (const Error& error) {
    throw DatasetError(fmt::format("'{}' is corrupt: {}", file, error.what()));
  }
}

}  // namespace sluice
