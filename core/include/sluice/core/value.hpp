#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>

#include <sluice/core/byte_size.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/util/type_name.hpp>

namespace sluice {

/// An immutable, shared, type-erased datum.
///
/// Copying a Value copies a pointer, never the data: handing a 1 GiB table from one node to the
/// next costs the same as handing over an int. The data is const once wrapped.
class SLUICE_API Value {
 public:
  /// An empty value (`has_value()` is false).
  Value() = default;

  /// Wraps `data` by moving it into shared storage.
  template <class T>
  static Value of(T data) {
    return from_shared(std::make_shared<const T>(std::move(data)));
  }

  /// Wraps existing shared storage without copying.
  template <class T>
  static Value from_shared(std::shared_ptr<const T> data) {
    Value value;
    value.type_ = &typeid(T);
    value.size_of_ = [](const void* p) { return detail::byte_size_of(*static_cast<const T*>(p)); };
    value.data_ = std::move(data);
    return value;
  }

  bool has_value() const noexcept { return data_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The held type; `typeid(void)` when empty.
  const std::type_info& type() const noexcept { return type_ ? *type_ : typeid(void); }
  std::string type_name() const { return sluice::type_name(type()); }

  template <class T>
  bool holds() const noexcept {
    return type_ != nullptr && std::type_index(*type_) == std::type_index(typeid(T));
  }

  /// The held data as a T. Throws TypeMismatchError naming `dataset` (when given) and both types.
  template <class T>
  const T& get(std::string_view dataset = {}) const& {
    if (!holds<T>()) {
      throw_type_mismatch(typeid(T), dataset);
    }
    return *static_cast<const T*>(data_.get());
  }
  /// A temporary Value may hold the last reference to its data: keep the Value (or share<T>())
  /// instead of a reference that would dangle.
  template <class T>
  const T& get(std::string_view dataset = {}) const&& = delete;

  /// Shares ownership of the held T (no copy).
  template <class T>
  std::shared_ptr<const T> share(std::string_view dataset = {}) const {
    const T& data = get<T>(dataset);
    return std::shared_ptr<const T>(data_, &data);
  }

  /// Bytes held by the data, as reported by `sluice::byte_size`. 0 when empty.
  std::size_t byte_size() const { return data_ ? size_of_(data_.get()) : 0; }

  /// Untyped access for codecs and hooks that only pass the data along.
  const void* raw() const noexcept { return data_.get(); }

  /// How many Values (and shares) refer to the same data.
  long use_count() const noexcept { return data_.use_count(); }

  /// True when both refer to the very same data.
  bool same_data(const Value& other) const noexcept { return data_ == other.data_; }

 private:
  [[noreturn]] void throw_type_mismatch(const std::type_info& wanted,
                                        std::string_view dataset) const;

  std::shared_ptr<const void> data_;
  const std::type_info* type_ = nullptr;
  std::size_t (*size_of_)(const void*) = nullptr;
};

}  // namespace sluice
