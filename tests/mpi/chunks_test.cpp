#include <climits>

#include <gtest/gtest.h>

#include <sluice/runners/mpi/chunks.hpp>

namespace sluice::mpi {
namespace {

TEST(MessageChunks, NoBytesNeedNoMessage) {
  EXPECT_TRUE(message_chunks(0, 4).empty());
}

TEST(MessageChunks, FullChunksInOrderAndTheRestLast) {
  const std::vector<Chunk> expected = {{0, 4}, {4, 4}, {8, 2}};
  EXPECT_EQ(message_chunks(10, 4), expected);
}

TEST(MessageChunks, AnExactMultipleHasNoEmptyLastChunk) {
  const std::vector<Chunk> expected = {{0, 3}, {3, 3}};
  EXPECT_EQ(message_chunks(6, 3), expected);
}

TEST(MessageChunks, LessThanAChunkIsOneMessage) {
  const std::vector<Chunk> expected = {{0, 5}};
  EXPECT_EQ(message_chunks(5, kMaxMessageBytes), expected);
}

TEST(MessageChunks, AZeroChunkSizeMeansOneByteChunks) {
  const std::vector<Chunk> expected = {{0, 1}, {1, 1}};
  EXPECT_EQ(message_chunks(2, 0), expected);
}

// A value over 2 GiB (not allocated: only the plan of its messages) goes in 1 GiB messages,
// each count an int, and a chunk size beyond INT_MAX is clamped to it.
TEST(MessageChunks, FiveGibibytesGoInCountsThatFitAnInt) {
  const std::size_t total = std::size_t{5} << 30;
  const std::vector<Chunk> chunks = message_chunks(total);
  ASSERT_EQ(chunks.size(), 5U);
  std::size_t covered = 0;
  for (const Chunk& chunk : chunks) {
    EXPECT_EQ(chunk.offset, covered);
    covered += static_cast<std::size_t>(chunk.count);
  }
  EXPECT_EQ(covered, total);
  const std::vector<Chunk> clamped = message_chunks(total, std::size_t{1} << 40);
  ASSERT_EQ(clamped.size(), 3U);
  EXPECT_EQ(clamped[0].count, INT_MAX);
  EXPECT_EQ(clamped[2].offset + static_cast<std::size_t>(clamped[2].count), total);
}

}  // namespace
}  // namespace sluice::mpi
