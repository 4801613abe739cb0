#pragma once

#include <cstddef>
#include <vector>

namespace sluice::mpi {

/// The largest message the MPI runner sends in one MPI call: MPI counts are `int`, so a value
/// of 2 GiB or more goes in several messages. 1 GiB keeps every count well below INT_MAX.
inline constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 30;

/// One message of a chunked transfer: `count` bytes from `offset`.
struct Chunk {
  std::size_t offset = 0;
  int count = 0;

  bool operator==(const Chunk&) const = default;
};

/// How `total` bytes go in messages of at most `max_chunk` bytes (clamped to 1..INT_MAX): in
/// order, every chunk full but the last; none for 0 bytes.
std::vector<Chunk> message_chunks(std::size_t total, std::size_t max_chunk = kMaxMessageBytes);

}  // namespace sluice::mpi
