#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include <sluice/core/codec.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/table.hpp>
#include <sluice/core/util/json.hpp>

#include "byte_io.hpp"

namespace sluice {

void CodecRegistry::add(Codec codec) {
  if (by_name_.contains(codec.name)) {
    throw ConfigError(fmt::format("a codec named '{}' is already registered", codec.name));
  }
  if (auto existing = name_by_type_.find(codec.type); existing != name_by_type_.end()) {
    throw ConfigError(fmt::format("codec '{}' is for {}, which codec '{}' already handles",
                                  codec.name, type_name(codec.type), existing->second));
  }
  name_by_type_.emplace(codec.type, codec.name);
  std::string name = codec.name;
  by_name_.emplace(std::move(name), std::move(codec));
}

const Codec& CodecRegistry::by_name(std::string_view name) const {
  if (auto found = by_name_.find(name); found != by_name_.end()) {
    return found->second;
  }
  throw ConfigError(
      fmt::format("unknown codec '{}'; known codecs: {}", name, fmt::join(names(), ", ")));
}

const Codec* CodecRegistry::find(std::type_index type) const {
  auto found = name_by_type_.find(type);
  return found == name_by_type_.end() ? nullptr : &by_name_.find(found->second)->second;
}

const Codec& CodecRegistry::for_type(std::type_index type, std::string_view dataset) const {
  if (const Codec* codec = find(type)) {
    return *codec;
  }
  throw DatasetError(fmt::format(
      "dataset '{}': no codec for type {}; register one with sluice::make_codec (known codecs: "
      "{})",
      dataset, type_name(type), fmt::join(names(), ", ")));
}

std::vector<std::string> CodecRegistry::names() const {
  std::vector<std::string> names;
  names.reserve(by_name_.size());
  for (const auto& [name, codec] : by_name_) {
    names.push_back(name);
  }
  return names;
}

namespace {

template <class T>
Codec vector_codec(std::string element) {
  return make_codec<std::vector<T>>(
      fmt::format("vector<{}>", element),
      [](const std::vector<T>& values) {
        ByteWriter out;
        out.u64(values.size());
        if constexpr (std::is_same_v<T, bool>) {
          for (bool value : values) {
            out.u8(value ? 1 : 0);
          }
        } else {
          out.raw(values.data(), values.size() * sizeof(T));
        }
        return out.take();
      },
      [element](std::string_view bytes) {
        ByteReader in(bytes, fmt::format("vector<{}>", element));
        const std::uint64_t count = in.u64();
        std::vector<T> values;
        if constexpr (std::is_same_v<T, bool>) {
          in.need_items(count, 1);
          values.reserve(count);
          for (std::uint64_t i = 0; i < count; ++i) {
            values.push_back(in.u8() != 0);
          }
        } else {
          in.need_items(count, sizeof(T));
          values.resize(count);
          in.raw(values.data(), count * sizeof(T));
        }
        in.expect_end();
        return values;
      });
}

void encode_param(const Param& param, ByteWriter& out) {
  out.u8(static_cast<std::uint8_t>(param.kind()));
  switch (param.kind()) {
    case Param::Kind::null:
      return;
    case Param::Kind::boolean:
      out.u8(param.as_bool() ? 1 : 0);
      return;
    case Param::Kind::integer:
      out.i64(param.as_int());
      return;
    case Param::Kind::floating:
      out.f64(param.as_double());
      return;
    case Param::Kind::string:
      out.str(param.as_string());
      return;
    case Param::Kind::list:
      out.u64(param.as_list().size());
      for (const Param& item : param.as_list()) {
        encode_param(item, out);
      }
      return;
    case Param::Kind::map:
      out.u64(param.as_map().size());
      for (const auto& [key, child] : param.as_map()) {
        out.str(key);
        encode_param(child, out);
      }
      return;
  }
}

Param decode_param(ByteReader& in, int depth) {
  if (depth > 256) {
    throw Error("params: nesting deeper than 256 levels; the data is corrupt");
  }
  const auto kind = static_cast<Param::Kind>(in.u8());
  switch (kind) {
    case Param::Kind::null:
      return Param();
    case Param::Kind::boolean:
      return Param(in.u8() != 0);
    case Param::Kind::integer:
      return Param(in.i64());
    case Param::Kind::floating:
      return Param(in.f64());
    case Param::Kind::string:
      return Param(in.str());
    case Param::Kind::list: {
      const std::uint64_t count = in.u64();
      in.need_items(count, 1);
      Param::List list;
      for (std::uint64_t i = 0; i < count; ++i) {
        list.push_back(decode_param(in, depth + 1));
      }
      return Param(std::move(list));
    }
    case Param::Kind::map: {
      const std::uint64_t count = in.u64();
      in.need_items(count, sizeof(std::uint64_t) + 1);  // a key's length and a value's kind
      Param::Map map;
      for (std::uint64_t i = 0; i < count; ++i) {
        std::string key = in.str();
        map.emplace_back(std::move(key), decode_param(in, depth + 1));
      }
      return Param(std::move(map));
    }
  }
  throw Error(
      fmt::format("params: unknown value kind {}; the data is corrupt", static_cast<int>(kind)));
}

enum class ColumnTag : std::uint8_t { floating = 0, integer = 1, string = 2 };

std::string encode_table(const Table& table) {
  ByteWriter out;
  out.u64(table.num_columns());
  out.u64(table.num_rows());
  for (std::size_t c = 0; c < table.num_columns(); ++c) {
    out.str(table.column_names()[c]);
    std::visit(
        [&out](const auto& values) {
          using Item = typename std::decay_t<decltype(values)>::value_type;
          if constexpr (std::is_same_v<Item, double>) {
            out.u8(static_cast<std::uint8_t>(ColumnTag::floating));
            out.raw(values.data(), values.size() * sizeof(double));
          } else if constexpr (std::is_same_v<Item, std::int64_t>) {
            out.u8(static_cast<std::uint8_t>(ColumnTag::integer));
            out.raw(values.data(), values.size() * sizeof(std::int64_t));
          } else {
            out.u8(static_cast<std::uint8_t>(ColumnTag::string));
            for (const auto& text : values) {
              out.str(text);
            }
          }
        },
        table.column(c));
  }
  return out.take();
}

template <class T>
std::vector<T> read_numbers(ByteReader& in, std::uint64_t rows) {
  in.need_items(rows, sizeof(T));
  std::vector<T> values(rows);
  in.raw(values.data(), rows * sizeof(T));
  return values;
}

Table decode_table(std::string_view bytes) {
  ByteReader in(bytes, "table");
  const std::uint64_t columns = in.u64();
  const std::uint64_t rows = in.u64();
  // Each column takes at least its name's length and a type tag.
  in.need_items(columns, sizeof(std::uint64_t) + 1);
  if (columns == 0 && rows != 0) {
    throw Error(fmt::format("table: {} rows but no columns; the data is corrupt", rows));
  }
  Table table;
  for (std::uint64_t c = 0; c < columns; ++c) {
    std::string name = in.str();
    const auto tag = static_cast<ColumnTag>(in.u8());
    switch (tag) {
      case ColumnTag::floating:
        table.add_column(std::move(name), read_numbers<double>(in, rows));
        break;
      case ColumnTag::integer:
        table.add_column(std::move(name), read_numbers<std::int64_t>(in, rows));
        break;
      case ColumnTag::string: {
        in.need_items(rows, sizeof(std::uint64_t));  // each string has its length
        std::vector<std::string> values;
        values.reserve(rows);
        for (std::uint64_t r = 0; r < rows; ++r) {
          values.push_back(in.str());
        }
        table.add_column(std::move(name), std::move(values));
        break;
      }
      default:
        throw Error(fmt::format("table: column '{}' has unknown type tag {}; the data is corrupt",
                                name, static_cast<int>(tag)));
    }
  }
  in.expect_end();
  return table;
}

// One arithmetic value, in the machine's byte order (as the vector codecs).
template <class T>
Codec scalar_codec(std::string name) {
  return make_codec<T>(
      name,
      [](const T& value) {
        ByteWriter out;
        out.raw(&value, sizeof(T));
        return out.take();
      },
      [name](std::string_view bytes) {
        ByteReader in(bytes, name);
        T value{};
        in.need(sizeof(T));
        in.raw(&value, sizeof(T));
        in.expect_end();
        return value;
      });
}

}  // namespace

void add_builtin_codecs(CodecRegistry& registry) {
  registry.add(make_codec<std::string>(
      "string", [](const std::string& text) { return text; },
      [](std::string_view bytes) { return std::string(bytes); }));
  registry.add(make_codec<Table>("table", encode_table, decode_table));
  // CBOR: every JSON value as it is (a string that is not UTF-8 too), keys in their order.
  registry.add(make_codec<Json>(
      "json",
      [](const Json& document) {
        const std::vector<std::uint8_t> bytes = Json::to_cbor(document);
        return std::string(bytes.begin(), bytes.end());
      },
      [](std::string_view bytes) {
        try {
          return Json::from_cbor(bytes.begin(), bytes.end());
        } catch (const nlohmann::json::exception& error) {
          throw Error(
              fmt::format("codec 'json': the bytes are not a CBOR document ({}); encode "
                          "them with the same sluice build that decodes them",
                          error.what()));
        }
      }));
  registry.add(make_codec<Param>(
      "params",
      [](const Param& param) {
        ByteWriter out;
        encode_param(param, out);
        return out.take();
      },
      [](std::string_view bytes) {
        ByteReader in(bytes, "params");
        Param param = decode_param(in, 0);
        in.expect_end();
        return param;
      }));
  registry.add(vector_codec<double>("double"));
  registry.add(vector_codec<float>("float"));
  registry.add(vector_codec<std::int64_t>("int64"));
  registry.add(vector_codec<std::int32_t>("int32"));
  registry.add(vector_codec<std::uint64_t>("uint64"));
  registry.add(vector_codec<std::uint32_t>("uint32"));
  registry.add(vector_codec<std::int8_t>("int8"));
  registry.add(vector_codec<std::uint8_t>("uint8"));
  registry.add(vector_codec<bool>("bool"));
  registry.add(scalar_codec<double>("double"));
  registry.add(scalar_codec<std::int64_t>("int64"));
  registry.add(scalar_codec<std::int32_t>("int32"));
}

}  // namespace sluice
