#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/codec.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/table.hpp>

#include "support/value_as.hpp"
namespace sluice {
namespace {

using ::testing::HasSubstr;

CodecRegistry builtins() {
  CodecRegistry registry;
  add_builtin_codecs(registry);
  return registry;
}

template <class T>
T round_trip(const CodecRegistry& registry, const T& value) {
  const Codec& codec = registry.for_type(typeid(T), "test");
  return testing::value_as<T>(codec.decode(codec.encode(Value::of(value))));
}

TEST(Codec, BuiltinsRoundTrip) {
  const CodecRegistry registry = builtins();
  EXPECT_EQ(round_trip(registry, std::string("hello\0world", 11)), std::string("hello\0world", 11));
  EXPECT_EQ(round_trip(registry, std::vector<double>{1.5, -2, 1e300}),
            (std::vector<double>{1.5, -2, 1e300}));
  EXPECT_EQ(round_trip(registry, std::vector<std::int64_t>{-1, 0, 1LL << 60}),
            (std::vector<std::int64_t>{-1, 0, 1LL << 60}));
  EXPECT_EQ(round_trip(registry, std::vector<bool>{true, false, true}),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(round_trip(registry, 0.9333), 0.9333);
  EXPECT_EQ(round_trip(registry, std::int64_t{-1} << 62), std::int64_t{-1} << 62);
  EXPECT_EQ(round_trip(registry, std::int32_t{-7}), -7);
  Table table;
  table.add_column("x", std::vector<double>{1, 2})
      .add_column("n", std::vector<std::int64_t>{3, 4})
      .add_column("s", std::vector<std::string>{"a", "b,c"});
  EXPECT_EQ(round_trip(registry, table), table);
  const Param params = Param::Map{{"a", 1}, {"b", Param::List{"x", 2.5, true, nullptr}}};
  EXPECT_EQ(round_trip(registry, params), params);
}

TEST(Codec, RegistryRefusesDuplicates) {
  CodecRegistry registry = builtins();
  EXPECT_THROW(registry.add(make_codec<std::string>(
                   "string", [](const std::string& s) { return s; },
                   [](std::string_view b) { return std::string(b); })),
               ConfigError);
  EXPECT_THROW(registry.add(make_codec<std::string>(
                   "text", [](const std::string& s) { return s; },
                   [](std::string_view b) { return std::string(b); })),
               ConfigError);
}

TEST(Codec, UnknownNameListsTheKnownOnes) {
  const CodecRegistry registry = builtins();
  EXPECT_THAT([&] { registry.by_name("pickle"); },
              ::testing::ThrowsMessage<ConfigError>(
                  HasSubstr("known codecs: double, int32, int64, json, params, string")));
}

TEST(Codec, MissingCodecNamesTheDatasetAndType) {
  struct Opaque {};
  const CodecRegistry registry = builtins();
  EXPECT_THAT([&] { registry.for_type(typeid(Opaque), "model"); },
              ::testing::ThrowsMessage<DatasetError>(HasSubstr("dataset 'model': no codec for")));
}

TEST(Codec, TruncatedPayloadIsAnErrorNotACrash) {
  const CodecRegistry registry = builtins();
  const Codec& codec = registry.by_name("vector<double>");
  std::string bytes = codec.encode(Value::of(std::vector<double>(10, 1.0)));
  bytes.resize(bytes.size() - 3);
  EXPECT_THROW(codec.decode(bytes), Error);
  const Codec& table = registry.by_name("table");
  EXPECT_THROW(table.decode(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8)), Error);
}

TEST(Codec, CustomCodecForUserType) {
  struct Point {
    int x, y;
  };
  CodecRegistry registry = builtins();
  registry.add(make_codec<Point>(
      "point", [](const Point& p) { return std::to_string(p.x) + "," + std::to_string(p.y); },
      [](std::string_view bytes) {
        const auto comma = bytes.find(',');
        return Point{std::stoi(std::string(bytes.substr(0, comma))),
                     std::stoi(std::string(bytes.substr(comma + 1)))};
      }));
  const Point back = round_trip(registry, Point{3, -4});
  EXPECT_EQ(back.x, 3);
  EXPECT_EQ(back.y, -4);
}

}  // namespace
}  // namespace sluice
