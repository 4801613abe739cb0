#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/storage.hpp>

namespace sluice::bench {

/// What one kind of operation (reads or writes) on real storage measured.
struct IoFigures {
  std::uint64_t operations = 0;
  std::uint64_t bytes = 0;
  /// Wall time of the median operation, in seconds (transfer included).
  double median_s = 0;
  /// Wall time of every operation added up, in seconds.
  double total_s = 0;
  /// bytes / total_s; 0 when nothing was timed.
  double bandwidth() const { return total_s > 0 ? static_cast<double>(bytes) / total_s : 0; }
};

/// One timed operation.
struct IoSample {
  double seconds = 0;
  std::uint64_t bytes = 0;
};

/// The figures of `samples`: count, bytes, median and total wall time.
IoFigures io_figures(std::vector<IoSample> samples);

/// A decorator around a real Storage that times every read and write (wall time, bytes) and
/// remembers every object it wrote, so a benchmark can report what the backend did and remove
/// what it created. Thread-safe, like any Storage.
class MeasuredStorage final : public Storage {
 public:
  explicit MeasuredStorage(std::shared_ptr<const Storage> inner);

  std::string read(const std::string& path) const override;
  void write(const std::string& path, std::string_view bytes) const override;
  bool write_new(const std::string& path, std::string_view bytes) const override;
  bool exists(const std::string& path) const override { return inner_->exists(path); }
  std::vector<std::string> list(const std::string& folder) const override {
    return inner_->list(folder);
  }
  bool remove(const std::string& path) const override;
  std::string url(const std::string& path) const override { return inner_->url(path); }
  std::shared_ptr<const void> claim(const std::string& path,
                                    std::string_view run_id) const override {
    return inner_->claim(path, run_id);
  }

  std::vector<IoSample> reads() const;
  std::vector<IoSample> writes() const;
  /// Forgets the timings (set-up writes are not measured); keeps the objects written.
  void reset() const;
  /// Removes every object written through this storage and not removed since. Returns the
  /// URLs of those that could not be removed, with the reason (empty: all gone).
  std::vector<std::string> remove_written() const;

 private:
  void record_write(const std::string& path, double seconds, std::uint64_t bytes) const;

  std::shared_ptr<const Storage> inner_;
  mutable std::mutex mutex_;
  mutable std::vector<IoSample> reads_, writes_;
  mutable std::vector<std::string> written_;
};

}  // namespace sluice::bench
