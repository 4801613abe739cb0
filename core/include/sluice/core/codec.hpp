#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

/// Turns values of one C++ type into bytes and back. Anything that crosses a file, a process or
/// a machine goes through a codec.
struct SLUICE_API Codec {
  std::string name;
  std::type_index type = typeid(void);
  std::function<std::string(const Value&)> encode;
  /// Receives exactly the bytes `encode` produced; throws sluice::Error on malformed input.
  std::function<Value(std::string_view)> decode;
};

/// Builds a codec for T from `std::string encode(const T&)` and `T decode(std::string_view)`.
template <class T, class Encode, class Decode>
Codec make_codec(std::string name, Encode encode, Decode decode) {
  Codec codec;
  codec.name = std::move(name);
  codec.type = typeid(T);
  codec.encode = [encode = std::move(encode)](const Value& value) {
    return encode(value.get<T>());
  };
  codec.decode = [decode = std::move(decode)](std::string_view bytes) {
    return Value::of<T>(decode(bytes));
  };
  return codec;
}

/// Codecs by name and by type. Filled at start-up (built-ins, then plugins); read concurrently
/// afterwards. Adding is not thread-safe.
class SLUICE_API CodecRegistry {
 public:
  /// Refuses a second codec with the same name or for the same type.
  void add(Codec codec);

  /// ConfigError listing the known names when absent.
  const Codec& by_name(std::string_view name) const;
  const Codec* find(std::type_index type) const;
  /// The codec for `type`; DatasetError naming `dataset` and the type when there is none.
  const Codec& for_type(std::type_index type, std::string_view dataset) const;

  std::vector<std::string> names() const;

 private:
  std::map<std::string, Codec, std::less<>> by_name_;
  std::map<std::type_index, std::string> name_by_type_;
};

/// Registers the built-in codecs: "string", "table", "params", "vector<T>" for
/// T in {double, float, int64, int32, uint64, uint32, int8, uint8, bool}, and the scalars
/// "double", "int64" and "int32".
SLUICE_API void add_builtin_codecs(CodecRegistry& registry);

}  // namespace sluice
