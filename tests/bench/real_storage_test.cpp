// sluice bench on a real backend: the measuring storage decorator, and the harness running the
// strategies on real file datasets of a Storage (memory:// here; s3:// in the CLI tests).

#include <atomic>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/bench/harness.hpp>
#include <sluice/bench/measured_storage.hpp>
#include <sluice/bench/report.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/storage.hpp>

#include "support/bench_plugins.hpp"

namespace sluice {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Every object under `folder` of `storage`, recursively.
std::vector<std::string> objects_under(const Storage& storage, const std::string& folder) {
  std::vector<std::string> found;
  for (const auto& child : storage.list(folder)) {
    const std::string path = folder + "/" + child;
    if (storage.exists(path)) {
      found.push_back(path);
    }
    const auto below = objects_under(storage, path);
    found.insert(found.end(), below.begin(), below.end());
  }
  return found;
}

const bench::BenchResult& find(const std::vector<bench::BenchResult>& results,
                               const std::string& strategy) {
  return *std::find_if(results.begin(), results.end(),
                       [&](const auto& result) { return result.strategy == strategy; });
}

TEST(MeasuredStorage, TimesReadsAndWritesAndRemovesWhatItWrote) {
  auto memory = std::make_shared<MemoryStorage>();
  memory->write("store/other", "not ours");
  const bench::MeasuredStorage measured(memory);
  measured.write("store/run/a", "12345");
  EXPECT_TRUE(measured.write_new("store/run/b", "123"));
  EXPECT_FALSE(measured.write_new("store/run/b", "again"));  // not written: not counted
  EXPECT_EQ(measured.read("store/run/a"), "12345");
  EXPECT_EQ(measured.url("store/run/a"), "memory://store/run/a");

  const bench::IoFigures writes = bench::io_figures(measured.writes());
  EXPECT_EQ(writes.operations, 2U);
  EXPECT_EQ(writes.bytes, 8U);
  const bench::IoFigures reads = bench::io_figures(measured.reads());
  EXPECT_EQ(reads.operations, 1U);
  EXPECT_EQ(reads.bytes, 5U);
  EXPECT_GE(reads.total_s, reads.median_s);

  measured.reset();  // timings go, the objects written are still known
  EXPECT_THAT(measured.reads(), IsEmpty());
  EXPECT_THAT(measured.writes(), IsEmpty());
  EXPECT_THAT(measured.remove_written(), IsEmpty());
  EXPECT_FALSE(memory->exists("store/run/a"));
  EXPECT_FALSE(memory->exists("store/run/b"));
  EXPECT_TRUE(memory->exists("store/other"));
}

TEST(MeasuredStorage, FiguresOfNothingAreZero) {
  const bench::IoFigures none = bench::io_figures({});
  EXPECT_EQ(none.operations, 0U);
  EXPECT_EQ(none.median_s, 0);
  EXPECT_EQ(none.bandwidth(), 0);
  const bench::IoFigures three = bench::io_figures({{0.3, 30}, {0.1, 10}, {0.2, 20}});
  EXPECT_DOUBLE_EQ(three.median_s, 0.2);
  EXPECT_DOUBLE_EQ(three.bandwidth(), 60 / 0.6);
}

class HarnessOnRealStorage : public ::testing::Test {
 protected:
  bench::BenchSettings settings(std::vector<std::string> strategies, bool keep = false) const {
    bench::BenchSettings settings;
    settings.strategies = std::move(strategies);
    settings.repeat = 2;
    settings.payload = 16;
    settings.real_storage = bench::RealStorage{storage, "bench/run", keep};
    return settings;
  }

  testing::BenchPlugins plugins{"tee"};
  std::shared_ptr<const Storage> storage = std::make_shared<MemoryStorage>();
  bench::Harness harness{plugins.registry, "chain:3", bench::generated_workload("chain:3")};
};

TEST_F(HarnessOnRealStorage, MeasuresEveryOperationAndRemovesTheObjectsAfterwards) {
  const auto results = harness.run(settings({"sequential", "tee", "memory"}), {});
  ASSERT_EQ(results.size(), 3U);
  const auto& sequential = find(results, "sequential");
  ASSERT_TRUE(sequential.measured_reads && sequential.measured_writes);
  // The median run's counts; the figures add up both runs.
  EXPECT_EQ(sequential.reads, 3U);
  EXPECT_EQ(sequential.writes, 3U);
  EXPECT_EQ(sequential.measured_reads->operations, 6U);
  EXPECT_EQ(sequential.measured_writes->operations, 6U);
  EXPECT_GT(sequential.measured_writes->bytes, 6U * 16 * 8);  // 16 doubles a write, and a frame
  EXPECT_GT(sequential.bound_s, 0);
  EXPECT_EQ(sequential.time_scale, 1);  // nothing simulated
  const auto& tee = find(results, "tee");
  EXPECT_EQ(tee.reads, 1U);  // the tee reads only the free input back
  EXPECT_EQ(tee.writes, 3U);
  const auto& memory = find(results, "memory");
  EXPECT_EQ(memory.writes, 0U);
  EXPECT_EQ(memory.measured_writes->operations, 0U);

  EXPECT_THAT(objects_under(*storage, "bench"), IsEmpty());
  const std::string table = bench::format_table(results);
  EXPECT_THAT(table, AllOf(HasSubstr("read op"), HasSubstr("write op"), HasSubstr("read bw"),
                           HasSubstr("write bw")));
  EXPECT_THAT(bench::to_csv(results), HasSubstr("read_latency_s,write_latency_s,read_bandwidth,"
                                                "write_bandwidth,read_bytes,write_bytes"));
  EXPECT_THAT(bench::to_json(results), HasSubstr("\"write_bandwidth\""));
}

TEST_F(HarnessOnRealStorage, KeepLeavesEachRunsObjectsUnderItsStrategy) {
  harness.run(settings({"sequential"}, true), {});
  const auto kept = objects_under(*storage, "bench/run");
  EXPECT_THAT(kept, ::testing::Contains("bench/run/sequential/1/step_1_out.bin"));
  EXPECT_THAT(kept, ::testing::Contains("bench/run/sequential/2/raw.bin"));
}

// Fails the writes of runs after `allowed` successful ones.
class FailingStorage final : public Storage {
 public:
  FailingStorage(std::shared_ptr<const Storage> inner, int allowed)
      : inner_(std::move(inner)), allowed_(allowed) {}
  std::string read(const std::string& path) const override { return inner_->read(path); }
  void write(const std::string& path, std::string_view bytes) const override {
    if (allowed_-- <= 0) {
      throw DatasetError("the storage is full");
    }
    inner_->write(path, bytes);
  }
  bool write_new(const std::string& path, std::string_view bytes) const override {
    return inner_->write_new(path, bytes);
  }
  bool exists(const std::string& path) const override { return inner_->exists(path); }
  std::vector<std::string> list(const std::string& folder) const override {
    return inner_->list(folder);
  }
  bool remove(const std::string& path) const override { return inner_->remove(path); }
  std::string url(const std::string& path) const override { return inner_->url(path); }

 private:
  std::shared_ptr<const Storage> inner_;
  mutable std::atomic<int> allowed_;
};

TEST_F(HarnessOnRealStorage, AFailedRunStillRemovesWhatItWrote) {
  auto failing = std::make_shared<FailingStorage>(storage, 2);  // the free input, then a step
  bench::BenchSettings failing_settings = settings({"sequential"});
  failing_settings.real_storage->storage = failing;
  EXPECT_THROW(harness.run(failing_settings, {}), Error);
  EXPECT_THAT(objects_under(*storage, "bench"), IsEmpty());
}

}  // namespace
}  // namespace sluice
