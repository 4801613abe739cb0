#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/table.hpp>
#include <sluice/core/value.hpp>

namespace demo {
struct Blob {
  std::size_t bytes;
};
std::size_t byte_size(const Blob& blob) {
  return blob.bytes;
}
}  // namespace demo

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(Value, CopiesShareTheDataInsteadOfCopyingIt) {
  const Value original = Value::of(std::vector<double>(1000, 1.5));
  const double* data = original.get<std::vector<double>>().data();
  const Value copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.same_data(original));
  EXPECT_EQ(copy.get<std::vector<double>>().data(), data);
  EXPECT_EQ(original.use_count(), 2);
}

TEST(Value, EmptyValueHasNoData) {
  const Value empty;
  EXPECT_FALSE(empty.has_value());
  EXPECT_EQ(empty.byte_size(), 0U);
  EXPECT_THROW(empty.get<int>(), TypeMismatchError);
}

TEST(Value, TypeMismatchNamesTheDatasetAndBothReadableTypes) {
  const Value value = Value::of(std::vector<double>{1, 2});
  try {
    value.get<std::string>("X_train");
    FAIL() << "expected TypeMismatchError";
  } catch (const TypeMismatchError& error) {
    EXPECT_THAT(error.what(), AllOf(HasSubstr("dataset 'X_train'"),
                                    HasSubstr("std::vector<double>"), HasSubstr("std::string")));
  }
}

TEST(Value, ShareKeepsTheDataAliveWithoutCopy) {
  std::shared_ptr<const std::string> shared;
  {
    const Value value = Value::of(std::string(100, 'x'));
    shared = value.share<std::string>();
  }
  EXPECT_EQ(*shared, std::string(100, 'x'));
}

TEST(ByteSize, ReportsHeapSizeOfVectorsStringsAndTables) {
  EXPECT_GE(Value::of(std::vector<double>(1000)).byte_size(), 8000U);
  EXPECT_GE(Value::of(std::string(1000, 'a')).byte_size(), 1000U);
  Table table;
  table.add_column("x", std::vector<double>(500));
  EXPECT_GE(Value::of(table).byte_size(), 4000U);
  EXPECT_EQ(Value::of(42).byte_size(), sizeof(int));
}

TEST(ByteSize, FindsUserOverloadsByArgumentDependentLookup) {
  EXPECT_EQ(Value::of(demo::Blob{12345}).byte_size(), 12345U);
  const std::vector<demo::Blob> blobs{{10}, {20}};
  EXPECT_GE(Value::of(blobs).byte_size(), 30U);
}

TEST(TypeName, IsDemangledAndWithoutDefaultArguments) {
  EXPECT_EQ(type_name<std::vector<double>>(), "std::vector<double>");
  EXPECT_EQ(type_name<std::string>(), "std::string");
  EXPECT_EQ(type_name<std::vector<std::string>>(), "std::vector<std::string>");
}

}  // namespace
}  // namespace sluice
