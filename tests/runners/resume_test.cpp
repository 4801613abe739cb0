#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/runners/resume.hpp>

#include "support/pass_node.hpp"
#include "support/recording_dataset.hpp"

namespace sluice {
namespace {

using testing::pass;

using ::testing::ElementsAre;
using testing::RecordingDataset;

// a -> m1 (memory) -> b -> p1 (persisted) -> c -> m2 (memory) -> d
//                      \-> m3 (memory) -----------------------/
class Resume : public ::testing::Test {
 protected:
  Resume() {
    catalog.add("p1", p1);
    catalog.add("m1", std::make_shared<MemoryDataset>());
  }
  Pipeline pipeline{pass("a", "params:x", "m1"), pass("b", "m1", {"p1", "m3"}),
                    pass("c", "p1", "m2"), pass("d", {"m2", "m3"}, "out")};
  std::shared_ptr<RecordingDataset> p1 = std::make_shared<RecordingDataset>();
  Catalog catalog;
};

TEST_F(Resume, WalksBackThroughMemoryDatasetsToPersistedOnes) {
  p1->save(Value::of(1));
  // c and d did not finish; d needs m3 (memory) from b, which needs m1 (memory) from a.
  EXPECT_THAT(find_resume_nodes(pipeline, catalog, {true, true, false, false}), ElementsAre("a"));
}

TEST_F(Resume, PersistedInputsThatExistAreResumePoints) {
  p1->save(Value::of(1));
  const Pipeline no_m3{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "m2"),
                       pass("d", "m2", "out")};
  EXPECT_THAT(find_resume_nodes(no_m3, catalog, {true, true, false, false}), ElementsAre("c"));
}

TEST_F(Resume, PersistedDatasetsThatWereNeverWrittenAreNot) {
  const Pipeline no_m3{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "m2"),
                       pass("d", "m2", "out")};
  EXPECT_THAT(find_resume_nodes(no_m3, catalog, {true, true, false, false}), ElementsAre("a"));
}

TEST_F(Resume, AStartDownstreamOfAnotherIsLeftOut) {
  // b did not persist p1 (it never exists) and d did not finish either: resuming from a
  // re-runs d anyway, so d is not suggested beside it.
  const Pipeline chain{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "p2"),
                       pass("d", "p2", "out")};
  catalog.add("p2", std::make_shared<RecordingDataset>(Value::of(1)));
  EXPECT_THAT(find_resume_nodes(chain, catalog, {true, false, true, false}), ElementsAre("a"));
}

}  // namespace
}  // namespace sluice
