#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace sluice {

/// Customization point for memory accounting: how many bytes a value holds, heap included.
///
/// Overload `std::size_t byte_size(const YourType&)` in your type's namespace; it is found by
/// argument-dependent lookup. Without an overload, a value counts as `sizeof(T)`.
template <class T>
std::size_t byte_size(const T&) {
  return sizeof(T);
}

inline std::size_t byte_size(const std::string& text) {
  return sizeof(std::string) + (text.capacity() > 15 ? text.capacity() : 0);
}

template <class T, class A>
std::size_t byte_size(const std::vector<T, A>& values);
template <class K, class V, class C, class A>
std::size_t byte_size(const std::map<K, V, C, A>& values);

namespace detail {
// Unqualified lookup here sees the overloads above; ADL adds the user's own.
template <class T>
std::size_t byte_size_of(const T& value) {
  using sluice::byte_size;
  return byte_size(value);
}
}  // namespace detail

template <class T, class A>
std::size_t byte_size(const std::vector<T, A>& values) {
  std::size_t total = sizeof(values);
  if constexpr (std::is_arithmetic_v<T>) {
    total += values.capacity() * sizeof(T);
  } else {
    total += (values.capacity() - values.size()) * sizeof(T);
    for (const auto& value : values) {
      total += detail::byte_size_of(value);
    }
  }
  return total;
}

template <class K, class V, class C, class A>
std::size_t byte_size(const std::map<K, V, C, A>& values) {
  std::size_t total = sizeof(values);
  for (const auto& [key, value] : values) {
    // Each tree node carries three pointers and a colour besides the pair.
    total += 4 * sizeof(void*) + detail::byte_size_of(key) + detail::byte_size_of(value);
  }
  return total;
}

}  // namespace sluice
