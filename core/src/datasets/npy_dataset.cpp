#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include <sluice/core/datasets/npy_dataset.hpp>
#include <sluice/core/error.hpp>

namespace sluice {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

static_assert(std::endian::native == std::endian::little,
              "NpyDataset writes the machine's bytes as little-endian");

template <class T>
std::string npy_file(const std::vector<T>& values, std::string_view descr) {
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({},), }}",
                                   descr, values.size());
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to 64 bytes.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string bytes(kMagic);
  bytes += '\x01';
  bytes += '\x00';
  const auto length = static_cast<std::uint16_t>(header.size());
  bytes += static_cast<char>(length & 0xFFU);
  bytes += static_cast<char>(length >> 8U);
  bytes += header;
  const std::size_t offset = bytes.size();
  bytes.resize(offset + values.size() * sizeof(T));
  if (!values.empty()) {
    std::memcpy(bytes.data() + offset, values.data(), values.size() * sizeof(T));
  }
  return bytes;
}

// The value of `key` in the header's dict, as written: 'descr': '<f8' gives <f8.
std::string header_value(std::string_view header, std::string_view key) {
  const std::string quoted = fmt::format("'{}':", key);
  const std::size_t at = header.find(quoted);
  if (at == std::string_view::npos) {
    return {};
  }
  std::size_t begin = header.find_first_not_of(' ', at + quoted.size());
  if (begin == std::string_view::npos) {
    return {};
  }
  std::size_t end = begin;
  if (header[begin] == '\'') {
    end = header.find('\'', begin + 1);
    return end == std::string_view::npos ? std::string()
                                         : std::string(header.substr(begin + 1, end - begin - 1));
  }
  if (header[begin] == '(') {
    end = header.find(')', begin);
    return end == std::string_view::npos ? std::string()
                                         : std::string(header.substr(begin, end - begin + 1));
  }
  end = header.find_first_of(",}", begin);
  return std::string(header.substr(begin, end - begin));
}

template <class From, class To>
std::vector<To> widened(const char* data, std::size_t count) {
  std::vector<To> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    From value;
    std::memcpy(&value, data + i * sizeof(From), sizeof(From));
    values[i] = static_cast<To>(value);
  }
  return values;
}

}  // namespace

NpyDataset::NpyDataset(FileLocation filepath, Versioning versioning)
    : FileDataset(std::move(filepath), std::move(versioning)) {}

std::string NpyDataset::encode(const Value& value) const {
  if (value.holds<std::vector<double>>()) {
    return npy_file(value.get<std::vector<double>>(), "<f8");
  }
  if (value.holds<std::vector<std::int64_t>>()) {
    return npy_file(value.get<std::vector<std::int64_t>>(), "<i8");
  }
  throw DatasetError(fmt::format(
      "NpyDataset '{}' saves a std::vector<double> or std::vector<std::int64_t>, not {}; save a "
      "table as CSV, JSON or SQL",
      filepath().string(), value.type_name()));
}

Value NpyDataset::decode(std::string bytes, const std::filesystem::path& path) const {
  auto refuse = [&](const std::string& why) {
    return DatasetError(fmt::format("'{}' {}", path.string(), why));
  };
  if (bytes.size() < 10 || std::string_view(bytes).substr(0, 6) != kMagic) {
    throw refuse("is not a NumPy .npy file (it does not start with \\x93NUMPY)");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t length = 0;
  std::size_t start = 0;
  if (major == 1) {
    length = static_cast<unsigned char>(bytes[8]) |
             (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8U);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      throw refuse("is truncated in its header");
    }
    for (int i = 3; i >= 0; --i) {
      length = (length << 8U) | static_cast<unsigned char>(bytes[8 + static_cast<std::size_t>(i)]);
    }
    start = 12;
  } else {
    throw refuse(fmt::format("is .npy version {}, which sluice does not read (1, 2 and 3)", major));
  }
  if (start + length > bytes.size()) {
    throw refuse("is truncated in its header");
  }
  const std::string_view header(bytes.data() + start, length);
  const std::string descr = header_value(header, "descr");
  const std::string order = header_value(header, "fortran_order");
  const std::string shape = header_value(header, "shape");
  if (order != "False") {
    throw refuse("holds a Fortran-order array; write it in C order (numpy.ascontiguousarray)");
  }
  // (N,) only: one dimension.
  std::size_t count = 0;
  const auto comma = shape.find(',');
  if (shape.size() < 3 || shape.front() != '(' || comma == std::string::npos ||
      shape.find_first_not_of(" )", comma + 1) != std::string::npos) {
    throw refuse(fmt::format("holds an array of shape {}; NpyDataset reads one dimension, (N,)",
                             shape.empty() ? std::string("(unknown)") : shape));
  }
  try {
    count = std::stoull(shape.substr(1, comma - 1));
  } catch (const std::exception&) {
    throw refuse(fmt::format("has a malformed shape {}", shape));
  }
  const std::size_t data_at = start + length;
  auto need = [&](std::size_t size) {
    if (count > (bytes.size() - data_at) / size) {
      throw refuse(
          fmt::format("is truncated: its header says {} values of {} bytes, the file "
                      "holds {} bytes of data",
                      count, size, bytes.size() - data_at));
    }
  };
  const char* data = bytes.data() + data_at;
  if (descr == "<f8") {
    need(8);
    return Value::of(widened<double, double>(data, count));
  }
  if (descr == "<f4") {
    need(4);
    return Value::of(widened<float, double>(data, count));
  }
  if (descr == "<i8") {
    need(8);
    return Value::of(widened<std::int64_t, std::int64_t>(data, count));
  }
  if (descr == "<i4") {
    need(4);
    return Value::of(widened<std::int32_t, std::int64_t>(data, count));
  }
  if (descr == "<i2") {
    need(2);
    return Value::of(widened<std::int16_t, std::int64_t>(data, count));
  }
  if (descr == "|i1" || descr == "<i1") {
    need(1);
    return Value::of(widened<std::int8_t, std::int64_t>(data, count));
  }
  if (descr == "<u4") {
    need(4);
    return Value::of(widened<std::uint32_t, std::int64_t>(data, count));
  }
  if (descr == "<u2") {
    need(2);
    return Value::of(widened<std::uint16_t, std::int64_t>(data, count));
  }
  if (descr == "|u1" || descr == "|b1") {
    need(1);
    return Value::of(widened<std::uint8_t, std::int64_t>(data, count));
  }
  throw refuse(fmt::format(
      "holds dtype '{}'; NpyDataset reads <f8 and <i8 (and widens <f4, integers up to 32 bits "
      "and booleans); convert it with numpy's astype",
      descr));
}

}  // namespace sluice
