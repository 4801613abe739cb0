#include <algorithm>
#include <climits>

#include <sluice/runners/mpi/chunks.hpp>

namespace sluice::mpi {

std::vector<Chunk> message_chunks(std::size_t total, std::size_t max_chunk) {
  max_chunk = std::clamp<std::size_t>(max_chunk, 1, INT_MAX);
  std::vector<Chunk> chunks;
  chunks.reserve(total / max_chunk + 1);
  for (std::size_t offset = 0; offset < total; offset += max_chunk) {
    chunks.push_back({offset, static_cast<int>(std::min(max_chunk, total - offset))});
  }
  return chunks;
}

}  // namespace sluice::mpi
