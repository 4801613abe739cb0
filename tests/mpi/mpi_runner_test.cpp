// The MPI runner for real: this executable runs under `mpirun -np N` (tests/CMakeLists.txt
// launches it with 2, 3 and 4 ranks); every rank runs every test, and the runs are collective.

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/runners/mpi/mpi_runner.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/random_dag.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::RandomDag;
using Outputs = std::map<std::string, std::int64_t>;

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// One folder for every rank (rank 0 makes it and tells the others), removed at the end.
class SharedDir {
 public:
  SharedDir() {
    std::string path;
    if (world_rank() == 0) {
      path = (fs::temp_directory_path() /
              ("sluice-mpi-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
                 .string();
      fs::create_directories(path);
    }
    std::uint64_t size = path.size();
    MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    path.resize(size);
    MPI_Bcast(path.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD);
    path_ = path;
  }
  ~SharedDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    }
  }
  SharedDir(const SharedDir&) = delete;
  SharedDir& operator=(const SharedDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Counts on_dataset_released by dataset.
class ReleaseCounter : public Hook {
 public:
  Events events() const override { return {Event::on_dataset_released}; }
  void on_dataset_released(std::string_view name) override {
    const std::lock_guard lock(mutex_);
    ++released_[std::string(name)];
  }
  int count(const std::string& name) const {
    const std::lock_guard lock(mutex_);
    const auto found = released_.find(name);
    return found == released_.end() ? 0 : found->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> released_;
};

// The random DAG's catalog, with every third produced dataset persisted in `dir` (a binary
// file through the int64 codec).
Catalog dag_catalog(const RandomDag& dag, const fs::path& dir, const Registry& registry,
                    std::vector<std::string>& persisted) {
  Catalog catalog = dag.catalog();
  persisted.clear();
  for (std::size_t i = 0; i < dag.pipeline.size(); ++i) {
    for (const auto& output : dag.pipeline.nodes()[i].outputs()) {
      if (std::hash<std::string>{}(output) % 3 == 0) {
        catalog.add(output,
                    std::make_shared<BinaryDataset>(dir / (output + ".bin"), registry.codecs));
        persisted.push_back(output);
      }
    }
  }
  return catalog;
}

Outputs as_outputs(const std::map<std::string, Value>& values) {
  Outputs outputs;
  for (const auto& [name, value] : values) {
    outputs[name] = value.get<std::int64_t>();
  }
  return outputs;
}

Registry& registry() {
  static Registry registry = [] {
    Registry made;
    register_builtins(made);
    return made;
  }();
  return registry;
}

// 100 random DAGs: every rank returns the sequential run's outputs, the persisted files are
// byte-identical to the sequential run's, every intermediate is released exactly once over all
// ranks (on the rank that holds it) and no rank holds one after the run. Every other DAG runs
// with async_io, every third with 3-byte messages (an int64 in three chunks).
// SLUICE_MPI_TEST_DAGS lowers the count (the sanitizer presets run 25).
TEST(MpiRunner, HundredRandomDagsGiveTheSequentialOutputsAndFiles) {
  const int rank = world_rank();
  const char* wanted = std::getenv("SLUICE_MPI_TEST_DAGS");
  const std::uint64_t dags = wanted != nullptr ? std::strtoull(wanted, nullptr, 10) : 100;
  for (std::uint64_t seed = 0; seed < dags; ++seed) {
    const RandomDag dag = testing::random_dag(seed);
    const SharedDir mpi_dir;
    const SharedDir sequential_dir;
    std::vector<std::string> persisted;

    Outputs expected;
    if (rank == 0) {
      Catalog catalog = dag_catalog(dag, sequential_dir.path(), registry(), persisted);
      SequentialRunner sequential;
      expected = as_outputs(sequential.run(dag.pipeline, catalog));
    }

    Catalog catalog = dag_catalog(dag, mpi_dir.path(), registry(), persisted);
    auto counter = std::make_shared<ReleaseCounter>();
    auto hooks = std::make_shared<HookManager>();
    hooks->add("releases", counter);
    catalog.attach(hooks);
    MpiRunner runner(registry().codecs, seed % 2 == 1, seed % 3 == 0 ? 3 : mpi::kMaxMessageBytes);
    const Outputs outputs = as_outputs(runner.run(dag.pipeline, catalog));

    // Every rank has the same outputs as rank 0; rank 0 has the sequential ones.
    std::ostringstream text;
    for (const auto& [name, value] : outputs) {
      text << name << '=' << value << ';';
    }
    std::string mine = text.str();
    std::string first = mine;
    std::uint64_t size = first.size();
    MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    first.resize(size);
    MPI_Bcast(first.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD);
    EXPECT_EQ(mine, first) << "seed " << seed << ", rank " << rank;

    // Released once over all ranks: each intermediate produced by a node.
    for (std::size_t i = 0; i < dag.pipeline.size(); ++i) {
      for (const auto& output : dag.pipeline.nodes()[i].outputs()) {
        int count = counter->count(output);
        int total = 0;
        MPI_Allreduce(&count, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        const bool free_output = dag.pipeline.consumers_of(output).empty();
        EXPECT_EQ(total, free_output ? 0 : 1) << "dataset " << output << ", seed " << seed;
        std::vector<Value> held;
        catalog.find(output)->held_values(held);
        if (!free_output) {
          EXPECT_TRUE(held.empty())
              << output << " still held on rank " << rank << ", seed " << seed;
        }
      }
    }

    if (rank == 0) {
      EXPECT_EQ(outputs, expected) << "seed " << seed;
      for (const auto& name : persisted) {
        const std::string file = name + ".bin";
        EXPECT_TRUE(fs::exists(mpi_dir.path() / file)) << file << ", seed " << seed;
        EXPECT_EQ(file_bytes(mpi_dir.path() / file), file_bytes(sequential_dir.path() / file))
            << file << ", seed " << seed;
      }
    }
    // Stop at the first DAG that failed on any rank, all ranks together (a rank alone would
    // leave the others waiting in the next run).
    int failed = ::testing::Test::HasFailure() ? 1 : 0;
    int any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any != 0) {
      return;
    }
  }
}

// A failing node: every rank ends with its NodeError and the same resume suggestion, which
// starts at or before the failed node; no rank hangs (ctest's timeout).
TEST(MpiRunner, AFailingNodeEndsTheRunOnEveryRankWithItsErrorAndResumeSuggestion) {
  const RandomDag shape = testing::random_dag(7);
  const std::string failing = shape.pipeline.nodes()[shape.pipeline.size() / 2].name();
  const RandomDag dag = testing::random_dag(7, 24, {failing});
  const SharedDir dir;
  std::vector<std::string> persisted;
  Catalog catalog = dag_catalog(dag, dir.path(), registry(), persisted);
  MpiRunner runner(registry().codecs);
  try {
    runner.run(dag.pipeline, catalog);
    FAIL() << "the run succeeded on rank " << world_rank();
  } catch (const NodeError& error) {
    EXPECT_EQ(error.node(), failing);
    EXPECT_THAT(error.what(), HasSubstr("injected failure in " + failing));
    EXPECT_FALSE(error.resume_nodes().empty());
    std::string mine = fmt::format("{}", fmt::join(error.resume_nodes(), ","));
    std::string first = mine;
    std::uint64_t size = first.size();
    MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    first.resize(size);
    MPI_Bcast(first.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD);
    EXPECT_EQ(mine, first) << "rank " << world_rank();
  }
}

// Counts the pipeline and rank events, posts "<rank>:<nodes run here>" to rank 0 at the end of
// each rank's share, and keeps what rank 0 received. With `fail_rank`, after_rank_run on that
// rank throws NotPersistedError naming `lost` (as the tee does when a background write failed).
class RankEventsHook : public Hook {
 public:
  explicit RankEventsHook(int fail_rank = -1, std::string lost = {})
      : fail_rank_(fail_rank), lost_(std::move(lost)) {}
  Events events() const override {
    return {Event::before_pipeline_run, Event::after_pipeline_run, Event::on_pipeline_error,
            Event::before_rank_run,     Event::after_rank_run,     Event::on_rank_error,
            Event::before_node_run};
  }
  void before_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    record("before_pipeline_run");
  }
  void after_pipeline_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    record("after_pipeline_run");
    received_ = run.mail->received("rank-events");
  }
  void on_pipeline_error(const RunInfo& run, const Pipeline&, const CatalogView&,
                         const std::exception&) override {
    record("on_pipeline_error");
    received_ = run.mail->received("rank-events");
  }
  void before_rank_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    record("before_rank_run:" + std::to_string(run.rank) + "/" + std::to_string(run.ranks));
  }
  void after_rank_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    record("after_rank_run");
    run.mail->post("rank-events", fmt::format("{}:{}", run.rank, nodes_.load()));
    if (run.rank == fail_rank_) {
      throw NotPersistedError("could not write '" + lost_ + "'", {lost_});
    }
  }
  void on_rank_error(const RunInfo&, const Pipeline&, const CatalogView&,
                     const std::exception&) override {
    record("on_rank_error");
  }
  void before_node_run(const Node&, const CatalogView&, std::vector<Value>&) override { ++nodes_; }
  std::vector<std::string> seen() const {
    const std::lock_guard lock(mutex_);
    return seen_;
  }
  const std::vector<std::pair<int, std::string>>& received() const { return received_; }

 private:
  void record(std::string event) {
    const std::lock_guard lock(mutex_);
    seen_.push_back(std::move(event));
  }
  int fail_rank_;
  std::string lost_;
  std::atomic<int> nodes_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> seen_;
  std::vector<std::pair<int, std::string>> received_;
};

Pipeline chain_of_three() {
  return Pipeline({
      node(
          "make", [] { return std::int64_t{1}; }, {}, "a"),
      node(
          "double", [](std::int64_t a) { return 2 * a; }, "a", "b"),
      node(
          "add", [](std::int64_t b) { return b + 1; }, "b", "c"),
  });
}

// Every rank emits the rank events once, with its rank; only rank 0 the pipeline events, after
// every rank's share ended; and rank 0's after_pipeline_run reads what each rank posted.
TEST(MpiRunner, RankEventsOnEveryRankPipelineEventsOnceOnRankZeroAndMailReachesIt) {
  const int rank = world_rank();
  const int size = world_size();
  Catalog catalog;
  auto hook = std::make_shared<RankEventsHook>();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("rank_events", hook);
  catalog.attach(hooks);
  MpiRunner runner(registry().codecs);
  const auto outputs = runner.run(chain_of_three(), catalog);
  EXPECT_EQ(outputs.at("c").get<std::int64_t>(), 3);
  const std::string begin = fmt::format("before_rank_run:{}/{}", rank, size);
  if (rank == 0) {
    EXPECT_THAT(hook->seen(), ::testing::ElementsAre("before_pipeline_run", begin, "after_rank_run",
                                                     "after_pipeline_run"));
    ASSERT_EQ(hook->received().size(), static_cast<std::size_t>(size));
    int nodes = 0;
    for (int from = 0; from < size; ++from) {
      EXPECT_EQ(hook->received()[from].first, from);
      const std::string& text = hook->received()[from].second;
      EXPECT_EQ(text.substr(0, text.find(':')), std::to_string(from));
      nodes += std::stoi(text.substr(text.find(':') + 1));
    }
    EXPECT_EQ(nodes, 3) << "every node ran once over the ranks, none on rank 0";
    EXPECT_EQ(hook->received()[0].second, "0:0");
  } else {
    EXPECT_THAT(hook->seen(), ::testing::ElementsAre(begin, "after_rank_run"));
    EXPECT_TRUE(hook->received().empty());
  }
}

// A hook failing at the end of the last rank's share (a background write the tee could not
// finish there): every rank fails with NotPersistedError naming the dataset and the rank, with
// the same resume suggestion (from the dataset's producer); on_rank_error follows the failed
// after_rank_run on that rank, on_pipeline_error fires once, on rank 0.
TEST(MpiRunner, AHookFailingAtTheEndOfOneRanksShareFailsTheRunOnEveryRank) {
  const int rank = world_rank();
  const int size = world_size();
  Catalog catalog;
  auto hook = std::make_shared<RankEventsHook>(size - 1, "b");
  auto hooks = std::make_shared<HookManager>();
  hooks->add("rank_events", hook);
  catalog.attach(hooks);
  MpiRunner runner(registry().codecs);
  try {
    runner.run(chain_of_three(), catalog);
    FAIL() << "the run succeeded on rank " << rank;
  } catch (const NotPersistedError& error) {
    EXPECT_THAT(error.what(), HasSubstr(fmt::format("rank {}: ", size - 1)));
    EXPECT_THAT(error.what(), HasSubstr("could not write 'b'"));
    EXPECT_THAT(error.datasets(), ::testing::ElementsAre("b"));
    // "b"'s producer counts as not run, and its input "a" was memory only: from the start.
    EXPECT_THAT(error.resume_nodes(), ::testing::ElementsAre("make"));
  }
  const auto seen = hook->seen();
  if (rank == size - 1) {
    EXPECT_THAT(seen, ::testing::Contains("on_rank_error"));
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "on_pipeline_error"), rank == 0 ? 1 : 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "after_pipeline_run"), 0);
  if (rank == 0) {
    EXPECT_EQ(hook->received().size(), static_cast<std::size_t>(size));
  }
}

struct Opaque {
  int value = 0;
};

// A value whose type has no codec cannot go to another rank: the consuming node fails loading
// it, and the error names the dataset and says to register a codec.
TEST(MpiRunner, AValueWithoutCodecFailsItsConsumerNamingTheDataset) {
  if (world_size() < 3) {
    GTEST_SKIP() << "needs 2 ranks running nodes (run with mpirun -np 3 or more)";
  }
  // `make` runs on rank 1; rank 1 is then last in line, so `use` runs on rank 2 and fetches.
  const Pipeline pipeline({
      node(
          "make", [] { return Opaque{42}; }, {}, "opaque"),
      node(
          "use", [](const Opaque& opaque) { return static_cast<std::int64_t>(opaque.value); },
          "opaque", "result"),
  });
  Catalog catalog;
  MpiRunner runner(registry().codecs);
  try {
    runner.run(pipeline, catalog);
    FAIL() << "the run succeeded on rank " << world_rank();
  } catch (const NodeError& error) {
    EXPECT_EQ(error.node(), "use");
    EXPECT_EQ(error.phase(), NodePhase::load);
    EXPECT_THAT(error.what(), HasSubstr("dataset 'opaque': no codec for type"));
    EXPECT_THAT(error.what(), HasSubstr("register one with sluice::make_codec"));
    EXPECT_THAT(error.what(), HasSubstr("fetching it from rank 1"));
  }
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  ::testing::InitGoogleTest(&argc, argv);
  int failed = RUN_ALL_TESTS();
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
