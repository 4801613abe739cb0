#pragma once

// Little-endian byte writing and bounds-checked reading for codecs and file headers.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <sluice/core/error.hpp>

namespace sluice {

static_assert(std::endian::native == std::endian::little,
              "sluice's binary formats are little-endian; big-endian hosts need byte swapping");

class ByteWriter {
 public:
  void u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void u32(std::uint32_t value) { raw(&value, sizeof value); }
  void u64(std::uint64_t value) { raw(&value, sizeof value); }
  void i64(std::int64_t value) { raw(&value, sizeof value); }
  void f64(double value) { raw(&value, sizeof value); }
  void str(std::string_view text) {
    u64(text.size());
    bytes_.append(text);
  }
  void raw(const void* data, std::size_t size) {
    bytes_.append(static_cast<const char*>(data), size);
  }
  std::string take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(bytes_[at_++]);
  }
  std::uint32_t u32() { return pod<std::uint32_t>(); }
  std::uint64_t u64() { return pod<std::uint64_t>(); }
  std::int64_t i64() { return pod<std::int64_t>(); }
  double f64() { return pod<double>(); }
  std::string str() {
    const std::uint64_t size = u64();
    need(size);
    std::string text(bytes_.substr(at_, size));
    at_ += size;
    return text;
  }
  void raw(void* out, std::size_t size) {
    need(size);
    if (size > 0) {
      std::memcpy(out, bytes_.data() + at_, size);
    }
    at_ += size;
  }
  std::string_view rest() const { return bytes_.substr(at_); }
  std::size_t remaining() const { return bytes_.size() - at_; }

  /// Throws unless `size` more bytes are available (checked before allocating for them).
  void need(std::uint64_t size) const {
    if (size > remaining()) {
      throw Error(
          fmt::format("{}: data ends early (needs {} more bytes, {} left); it is truncated "
                      "or corrupt",
                      what_, size, remaining()));
    }
  }
  /// need() for `count` items of `item_size` bytes each, without overflowing the product.
  void need_items(std::uint64_t count, std::uint64_t item_size) const {
    if (count > remaining() / item_size) {
      throw Error(fmt::format(
          "{}: it announces {} items of {} bytes but only {} bytes are left; it is corrupt", what_,
          count, item_size, remaining()));
    }
  }
  void expect_end() const {
    if (remaining() != 0) {
      throw Error(fmt::format("{}: {} unexpected bytes after the end of the data; it is corrupt",
                              what_, remaining()));
    }
  }

 private:
  template <class T>
  T pod() {
    T value;
    raw(&value, sizeof value);
    return value;
  }

  std::string_view bytes_;
  std::size_t at_ = 0;
  std::string what_;
};

}  // namespace sluice
