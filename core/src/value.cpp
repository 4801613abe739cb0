#include <cstdlib>
#include <memory>

#include <cxxabi.h>
#include <fmt/format.h>

#include <sluice/core/util/type_name.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

std::string type_name(const std::type_info& type) {
  return type_name(std::type_index(type));
}

std::string type_name(std::type_index type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && demangled ? demangled.get() : type.name();
  // The standard library's inline namespace and default template arguments are noise to users.
  auto erase_all = [&name](std::string_view what) {
    for (auto at = name.find(what); at != std::string::npos; at = name.find(what)) {
      name.erase(at, what.size());
    }
  };
  erase_all("__cxx11::");
  constexpr std::string_view kString =
      "std::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (auto at = name.find(kString); at != std::string::npos; at = name.find(kString)) {
    name.replace(at, kString.size(), "std::string");
  }
  // Drop default allocators: ", std::allocator<...> " up to its matching '>'.
  constexpr std::string_view kAllocator = ", std::allocator<";
  for (auto at = name.find(kAllocator); at != std::string::npos; at = name.find(kAllocator)) {
    std::size_t end = at + kAllocator.size();
    for (int depth = 1; end < name.size() && depth > 0; ++end) {
      depth += name[end] == '<' ? 1 : name[end] == '>' ? -1 : 0;
    }
    if (end < name.size() && name[end] == ' ') {
      ++end;
    }
    name.erase(at, end - at);
  }
  return name;
}

void Value::throw_type_mismatch(const std::type_info& wanted, std::string_view dataset) const {
  const std::string where = dataset.empty() ? "value" : fmt::format("dataset '{}'", dataset);
  if (!has_value()) {
    throw TypeMismatchError(
        fmt::format("{} is empty; expected a value of type {}", where, sluice::type_name(wanted)));
  }
  throw TypeMismatchError(fmt::format("{} holds {} but {} was expected", where, type_name(),
                                      sluice::type_name(wanted)));
}

}  // namespace sluice
