#include <string_view>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/catalog_view.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>

#include "support/gate.hpp"
#include "support/recording_dataset.hpp"

namespace sluice {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Whether `T` (a catalog or a view of one) can move data: load, save or release, by name or
// with a dataset looked up once.
template <class T>
constexpr bool can_load = requires(T& catalog, Dataset& dataset) {
  catalog.load(std::string_view{});
  catalog.load(std::string_view{}, dataset);
};
template <class T>
constexpr bool can_save = requires(T& catalog, Dataset& dataset, const Value& value) {
  catalog.save(std::string_view{}, value);
  catalog.save(std::string_view{}, dataset, value);
};
template <class T>
constexpr bool can_release = requires(T& catalog, Dataset& dataset) {
  catalog.release(std::string_view{});
  catalog.release(std::string_view{}, dataset);
};

// The checks can say yes: a mutable catalog moves data.
static_assert(can_load<Catalog> && can_save<Catalog> && can_release<Catalog>);
// A hook's view cannot, not even a copy of it that is not const.
static_assert(!can_load<CatalogView> && !can_save<CatalogView> && !can_release<CatalogView>,
              "a CatalogView is read-only: no load, save or release");
static_assert(!can_load<const CatalogView> && !can_save<const CatalogView> &&
              !can_release<const CatalogView>);
// Nor can whoever holds a const catalog.
static_assert(!can_load<const Catalog> && !can_save<const Catalog> && !can_release<const Catalog>,
              "Catalog::load, save and release change the catalog: they are not const");

// A dataset whose save is accepted at once and persisted later, when `written` opens.
class BackgroundWrite : public Dataset {
 public:
  Value load() override { return value_; }
  void save(const Value& value) override { value_ = value; }
  bool exists() const override { return written.is_open(); }
  std::string dataset_type() const override { return "BackgroundWrite"; }
  void held_values(std::vector<Value>& out) const override { out.push_back(value_); }
  bool write_pending() const override { return !written.is_open(); }
  void wait_for_writes() const override { written.wait(); }

  mutable testing::Gate written;

 private:
  Value value_ = Value::of(std::string("pending"));
};

TEST(CatalogView, ShowsTheNamesDescriptionsAndStatesOfTheDatasets) {
  Catalog catalog;
  catalog.add("table", std::make_shared<MemoryDataset>(Value::of(std::vector<double>(100, 1.0))));
  catalog.add("file", std::make_shared<testing::RecordingDataset>());
  catalog.add_parameters(Param(Param::Map{}));
  const CatalogView view(catalog);
  EXPECT_THAT(view.names(), ElementsAre("file", "parameters", "table"));
  EXPECT_TRUE(view.contains("table"));
  EXPECT_FALSE(view.contains("tabel"));
  EXPECT_EQ(view.describe("file"), "RecordingDataset");
  EXPECT_THAT([&] { static_cast<void>(view.describe("tabel")); },
              ThrowsMessage<DatasetError>(HasSubstr("did you mean 'table'")));
  EXPECT_TRUE(view.is_ephemeral("table"));
  EXPECT_FALSE(view.is_ephemeral("file"));
  EXPECT_TRUE(view.exists("table"));
  EXPECT_FALSE(view.exists("file"));  // nothing saved yet
  EXPECT_FALSE(view.exists("tabel"));
  EXPECT_FALSE(view.write_pending("table"));
  EXPECT_FALSE(view.write_pending("tabel"));
  EXPECT_TRUE(view.parameters().has_value());
}

TEST(CatalogView, CountsTheBytesHeldInMemoryEachValueOnceWithoutParameters) {
  Catalog catalog;
  const Value table = Value::of(std::vector<double>(100, 1.0));
  catalog.add("a", std::make_shared<MemoryDataset>(table));
  catalog.add("same", std::make_shared<MemoryDataset>(table));  // a node passing it through
  catalog.add("empty", std::make_shared<MemoryDataset>());
  catalog.add_parameters(Param(Param::Map{{"big", Param(std::string(1000, 'x'))}}));
  const CatalogView view(catalog);
  EXPECT_EQ(view.held_bytes(), table.byte_size());
  EXPECT_GE(table.byte_size(), 100 * sizeof(double));
  EXPECT_EQ(view.held_bytes(), held_bytes(catalog));
  ASSERT_EQ(view.held_values("a").size(), 1U);
  EXPECT_EQ(view.held_values("a")[0].raw(), table.raw());  // the value itself: no copy
  EXPECT_TRUE(view.held_values("empty").empty());
  EXPECT_TRUE(view.held_values("absent").empty());
}

TEST(CatalogView, SaysAWriteIsPendingAndWaitsForItToSettle) {
  Catalog catalog;
  auto dataset = std::make_shared<BackgroundWrite>();
  catalog.add("x", dataset);
  const CatalogView view(catalog);
  EXPECT_TRUE(view.write_pending("x"));
  bool settled = false;
  std::thread writer([&] {
    settled = true;
    dataset->written.open();
  });
  view.wait_for_writes("x");
  EXPECT_TRUE(settled);
  EXPECT_FALSE(view.write_pending("x"));
  EXPECT_TRUE(view.exists("x"));
  writer.join();
  view.wait_for_writes("absent");  // nothing to wait for
}

TEST(CatalogView, ADatasetWithoutBackgroundWritesHasNoneToWaitFor) {
  MemoryDataset dataset(Value::of(1));
  EXPECT_FALSE(dataset.write_pending());
  dataset.wait_for_writes();  // returns at once
}

}  // namespace
}  // namespace sluice
