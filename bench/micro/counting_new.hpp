#pragma once

// Replaces the global operator new/delete with counting ones: the bytes asked for (malloc's
// own overhead excluded), their peak, and the number of allocations. Include it in exactly one
// translation unit of a benchmark binary (each bench/micro suite is one file).

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace sluice::micro {

inline std::atomic<std::size_t> live_bytes{0};
inline std::atomic<std::size_t> peak_bytes{0};
inline std::atomic<std::size_t> allocations{0};

/// Live bytes now, and the peak restarted from here.
inline std::size_t restart_peak() {
  const std::size_t now = live_bytes.load();
  peak_bytes.store(now);
  return now;
}

namespace counting {

// Every block carries its size in front, so unsized delete can count too.
constexpr std::size_t kHeader = alignof(std::max_align_t);

inline void* counted_new(std::size_t size) noexcept {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) {
    return nullptr;
  }
  *reinterpret_cast<std::size_t*>(block) = size;
  allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t now = live_bytes.fetch_add(size, std::memory_order_relaxed) + size;
  std::size_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return block + kHeader;
}

inline void counted_delete(void* pointer) noexcept {
  if (pointer == nullptr) {
    return;
  }
  auto* block = static_cast<unsigned char*>(pointer) - kHeader;
  live_bytes.fetch_sub(*reinterpret_cast<std::size_t*>(block), std::memory_order_relaxed);
  std::free(block);
}

inline void* counted_new_or_throw(std::size_t size) {
  if (void* pointer = counted_new(size)) {
    return pointer;
  }
  throw std::bad_alloc();
}

}  // namespace counting
}  // namespace sluice::micro

// The replacements (not inline: the standard forbids it; hence one translation unit).
void* operator new(std::size_t size) {
  return sluice::micro::counting::counted_new_or_throw(size);
}
void* operator new[](std::size_t size) {
  return sluice::micro::counting::counted_new_or_throw(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return sluice::micro::counting::counted_new(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return sluice::micro::counting::counted_new(size);
}
void operator delete(void* pointer) noexcept {
  sluice::micro::counting::counted_delete(pointer);
}
void operator delete[](void* pointer) noexcept {
  sluice::micro::counting::counted_delete(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
  sluice::micro::counting::counted_delete(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept {
  sluice::micro::counting::counted_delete(pointer);
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
  sluice::micro::counting::counted_delete(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
  sluice::micro::counting::counted_delete(pointer);
}
