// The tee changes when data is written, never what: same outputs, byte-identical files.

#include <cstring>

#include <gtest/gtest.h>
#include <iris/pipeline.hpp>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/iris_project.hpp"
#include "support/random_dag.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// parallel_tee also loads and saves each node's datasets concurrently (async_io).
enum class Strategy { plain_sequential, sequential_tee, parallel_tee };

std::map<std::string, std::string> files_in(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), dir).string()] = read_file(entry.path());
    }
  }
  return files;
}

// Runs with the strategy; returns the in-memory free outputs, as int64.
std::map<std::string, std::int64_t> run(Strategy strategy, const Pipeline& pipeline,
                                        Catalog& catalog) {
  auto hooks = std::make_shared<HookManager>();
  std::shared_ptr<TeeHook> tee;
  if (strategy != Strategy::plain_sequential) {
    tee = std::make_shared<TeeHook>(TeeOptions{.max_writers = 3});
    hooks->add("tee", tee);
  }
  catalog.attach(hooks);
  std::map<std::string, Value> outputs;
  if (strategy == Strategy::parallel_tee) {
    outputs = ParallelRunner(4, /*async_io=*/true).run(pipeline, catalog);
  } else {
    outputs = SequentialRunner().run(pipeline, catalog);
  }
  std::map<std::string, std::int64_t> values;
  for (const auto& [name, value] : outputs) {
    values[name] = value.get<std::int64_t>();
  }
  return values;
}

TEST(TeeEquivalence, TwoHundredRandomDagsGiveTheSameOutputsAndByteIdenticalFiles) {
  CodecRegistry codecs;
  add_builtin_codecs(codecs);  // int64 is built in
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const testing::RandomDag dag = testing::random_dag(seed);
    std::map<std::string, std::int64_t> expected_outputs;
    std::map<std::string, std::string> expected_files;
    for (auto strategy :
         {Strategy::plain_sequential, Strategy::sequential_tee, Strategy::parallel_tee}) {
      testing::TempDir dir;
      Catalog catalog = dag.catalog();
      std::mt19937_64 random(seed);
      for (const auto& dataset : dag.pipeline.all_outputs()) {
        if (random() % 2 == 0) {  // about half the datasets are persisted
          catalog.add(dataset, std::make_shared<BinaryDataset>(dir / (dataset + ".bin"), codecs));
        }
      }
      const auto outputs = run(strategy, dag.pipeline, catalog);
      const auto files = files_in(dir.path());
      if (strategy == Strategy::plain_sequential) {
        expected_outputs = outputs;
        expected_files = files;
      } else {
        ASSERT_EQ(outputs, expected_outputs) << "seed " << seed;
        ASSERT_EQ(files, expected_files) << "seed " << seed;
      }
    }
  }
}

TEST(TeeEquivalence, IrisWritesByteIdenticalFiles) {
  std::map<std::string, std::string> expected;
  for (auto strategy :
       {Strategy::plain_sequential, Strategy::sequential_tee, Strategy::parallel_tee}) {
    const testing::IrisProject project;
    {
      Catalog catalog = project.catalog();  // its claims on the files end with it
      run(strategy, iris::create_pipeline(), catalog);
    }
    const auto files = files_in(project.path() / "data");
    ASSERT_EQ(files.size(), 6U);  // the input and five intermediates
    if (strategy == Strategy::plain_sequential) {
      expected = files;
    } else {
      EXPECT_EQ(files, expected);
    }
  }
}

}  // namespace
}  // namespace sluice
