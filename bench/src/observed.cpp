#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include <sluice/bench/observed.hpp>

namespace sluice::bench {
namespace {

constexpr double kMegabyte = 1e6;  // bytes are fitted in MB, for a well-conditioned system

double median(std::vector<double> values) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

// Solves the k x k system `a` x = `b` in place (Gaussian elimination, partial pivoting); false
// when it is singular.
template <std::size_t N>
bool solve(std::array<std::array<double, N>, N>& a, std::array<double, N>& b, std::size_t k) {
  for (std::size_t column = 0; column < k; ++column) {
    std::size_t pivot = column;
    for (std::size_t row = column + 1; row < k; ++row) {
      if (std::abs(a[row][column]) > std::abs(a[pivot][column])) {
        pivot = row;
      }
    }
    // Relative to the diagonal's scale: a column that is a combination of the others.
    double scale = 0;
    for (std::size_t i = 0; i < k; ++i) {
      scale = std::max(scale, std::abs(a[i][i]));
    }
    if (std::abs(a[pivot][column]) <= 1e-12 * std::max(scale, 1e-300)) {
      return false;
    }
    std::swap(a[pivot], a[column]);
    std::swap(b[pivot], b[column]);
    for (std::size_t row = column + 1; row < k; ++row) {
      const double factor = a[row][column] / a[column][column];
      for (std::size_t i = column; i < k; ++i) {
        a[row][i] -= factor * a[column][i];
      }
      b[row] -= factor * b[column];
    }
  }
  for (std::size_t column = k; column-- > 0;) {
    for (std::size_t i = column + 1; i < k; ++i) {
      b[column] -= a[column][i] * b[i];
    }
    b[column] /= a[column][column];
  }
  return true;
}

// The normal matrix (rows' products summed) of the fit's first k columns.
template <typename RowOf>
std::array<std::array<double, 3>, 3> normal_of(const std::vector<ObservedOperation>& operations,
                                               const RowOf& row_of, std::size_t k) {
  std::array<std::array<double, 3>, 3> normal{};
  for (const ObservedOperation& operation : operations) {
    const auto row = row_of(operation);
    for (std::size_t i = 0; i < k; ++i) {
      for (std::size_t j = 0; j < k; ++j) {
        normal[i][j] += row[i] * row[j];
      }
    }
  }
  return normal;
}

// The least-squares fit of seconds = latency(kind) + bytes * per_byte, when it is sound: a
// positive transfer time that stands out of the residual noise, and latencies not below 0.
// A kind with one operation has its latency fitted to it exactly.
bool fit(const std::vector<ObservedOperation>& operations, bool reads, bool writes,
         ObservedStorage& storage) {
  // The columns: a latency per kind present, then MB.
  const std::size_t kinds = (reads ? 1 : 0) + (writes ? 1 : 0);
  const std::size_t k = kinds + 1;
  if (operations.size() <= k) {
    return false;
  }
  auto row_of = [&](const ObservedOperation& operation) {
    std::array<double, 3> row{};
    std::size_t at = 0;
    if (reads) {
      row[at++] = operation.write ? 0 : 1;
    }
    if (writes) {
      row[at++] = operation.write ? 1 : 0;
    }
    row[at] = static_cast<double>(operation.bytes) / kMegabyte;
    return row;
  };
  auto normal = normal_of(operations, row_of, k);
  std::array<double, 3> right{};
  for (const ObservedOperation& operation : operations) {
    const auto row = row_of(operation);
    for (std::size_t i = 0; i < k; ++i) {
      right[i] += row[i] * operation.seconds;
    }
  }
  if (!solve(normal, right, k)) {
    return false;  // the sizes do not vary within a kind: no transfer time to see
  }
  const double per_megabyte = right[kinds];
  double squares = 0;
  std::uint64_t smallest = operations.front().bytes;
  std::uint64_t largest = smallest;
  for (const ObservedOperation& operation : operations) {
    const auto row = row_of(operation);
    double predicted = 0;
    for (std::size_t i = 0; i < k; ++i) {
      predicted += row[i] * right[i];
    }
    squares += (operation.seconds - predicted) * (operation.seconds - predicted);
    smallest = std::min(smallest, operation.bytes);
    largest = std::max(largest, operation.bytes);
  }
  const double noise = std::sqrt(squares / static_cast<double>(operations.size() - k));
  // The slope's standard error: noise x sqrt of the last diagonal element of the inverse of the
  // normal matrix (its last column, solved for).
  std::array<double, 3> unit{};
  unit[kinds] = 1;
  auto inverse = normal_of(operations, row_of, k);
  if (!solve(inverse, unit, k)) {
    return false;
  }
  const double slope_error = noise * std::sqrt(std::max(0.0, unit[kinds]));
  const double transfer_span = per_megabyte * static_cast<double>(largest - smallest) / kMegabyte;
  std::size_t at = 0;
  const double read_latency = reads ? right[at++] : 0;
  const double write_latency = writes ? right[at++] : 0;
  // A transfer time that is there: the slope 4 standard errors from 0, and the largest
  // operation's transfer beyond the smallest's more than the noise.
  if (!(per_megabyte > 0) || !std::isfinite(per_megabyte) || per_megabyte <= 4 * slope_error ||
      transfer_span <= noise || read_latency < 0 || write_latency < 0) {
    return false;
  }
  storage.read_latency = read_latency;
  storage.write_latency = write_latency;
  storage.bandwidth = kMegabyte / per_megabyte;
  storage.method = fmt::format(
      "least squares over {} operations (latency per read and write + bytes / bandwidth; "
      "residual {:.3g} ms)",
      operations.size(), noise * 1000);
  return true;
}

}  // namespace

ObservedStorage observed_storage(const std::vector<ObservedOperation>& operations) {
  ObservedStorage storage;
  std::vector<double> read_seconds, write_seconds;
  for (const ObservedOperation& operation : operations) {
    (operation.write ? write_seconds : read_seconds).push_back(operation.seconds);
  }
  storage.reads = read_seconds.size();
  storage.writes = write_seconds.size();
  if (operations.empty()) {
    storage.method = "no operations on storage in the run";
    return storage;
  }
  if (!fit(operations, storage.reads > 0, storage.writes > 0, storage)) {
    storage.read_latency = median(read_seconds);
    storage.write_latency = median(write_seconds);
    storage.bandwidth = 0;
    storage.method = fmt::format(
        "median time per operation over {} operations (the sizes do not vary enough for a "
        "transfer time to stand out: bandwidth taken as unlimited)",
        operations.size());
  }
  if (storage.reads == 0) {
    storage.read_latency = storage.write_latency;
  }
  if (storage.writes == 0) {
    storage.write_latency = storage.read_latency;
  }
  return storage;
}

}  // namespace sluice::bench
