#pragma once

#include <string>
#include <string_view>

#include <sluice/core/codec.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

/// The bytes a BinaryDataset writes, for any store that keeps values as bytes (files, Redis):
///
///   magic "SLUICEB1" | u32 codec name length | codec name | u64 payload length |
///   u64 FNV-1a checksum of the payload | payload
///
/// `codec` fixes the codec by name; empty picks it from the value's type on encode and takes the
/// one the bytes name on decode. `where` names the file or key in messages ("'data/x.bin' is
/// corrupt: ..."). Truncated, corrupt and foreign bytes are DatasetErrors saying so.
SLUICE_API std::string encode_binary_frame(const CodecRegistry& codecs, const Value& value,
                                           const std::string& codec, const std::string& where);
SLUICE_API Value decode_binary_frame(const CodecRegistry& codecs, std::string_view bytes,
                                     const std::string& codec, const std::string& where);

}  // namespace sluice
