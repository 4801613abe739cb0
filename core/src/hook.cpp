#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/hook.hpp>

namespace sluice {

std::string_view phase_name(NodePhase phase) {
  switch (phase) {
    case NodePhase::load:
      return "loading its inputs";
    case NodePhase::run:
      return "running";
    case NodePhase::save:
      return "saving its outputs";
  }
  return "running";
}

std::string_view event_name(Event event) {
  return detail::kEventNames[static_cast<std::size_t>(event)];
}

std::string describe_unlisted_events(std::string_view hook_type, Events unlisted) {
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < kEventCount; ++i) {
    if (unlisted.contains(static_cast<Event>(i))) {
      names.push_back(detail::kEventNames[i]);
    }
  }
  if (names.empty()) {
    return "";
  }
  return fmt::format(
      "hook {} overrides {} but its events() does not list {}: the hook manager connects only "
      "the events a hook lists, so {} never called. Add {} to what events() returns.",
      hook_type, fmt::join(names, ", "), names.size() == 1 ? "it" : "them",
      names.size() == 1 ? "that override is" : "those overrides are",
      names.size() == 1 ? "it" : "them");
}

std::filesystem::path project_path(const RunInfo& run, const std::filesystem::path& path) {
  return std::filesystem::path(run.project) / path;  // `/` keeps an absolute `path` as it is
}

void LocalRankMail::post(std::string_view key, std::string bytes) {
  std::lock_guard lock(mutex_);
  mail_.emplace_back(rank_, std::string(key), std::move(bytes));
}

void LocalRankMail::add(int rank, std::string_view key, std::string bytes) {
  std::lock_guard lock(mutex_);
  mail_.emplace_back(rank, std::string(key), std::move(bytes));
}

std::vector<std::pair<int, std::string>> LocalRankMail::received(std::string_view key) const {
  std::vector<std::pair<int, std::string>> found;
  if (rank_ != 0) {
    return found;
  }
  std::lock_guard lock(mutex_);
  for (const auto& [rank, posted_key, bytes] : mail_) {
    if (posted_key == key) {
      found.emplace_back(rank, bytes);
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return found;
}

std::vector<std::pair<std::string, std::string>> LocalRankMail::posted() const {
  std::vector<std::pair<std::string, std::string>> own;
  std::lock_guard lock(mutex_);
  for (const auto& [rank, key, bytes] : mail_) {
    if (rank == rank_) {
      own.emplace_back(key, bytes);
    }
  }
  return own;
}

HookError::HookError(std::string hook, Event event, const std::string& message)
    : Error(fmt::format("hook '{}' failed in {}: {}", hook, event_name(event), message)),
      hook_(std::move(hook)),
      event_(event) {}

HookError::~HookError() = default;

namespace {
template <class... Args>
void unused(const Args&...) {}
}  // namespace

#define SLUICE_EVENT_DEFAULT(name, kind, parameters, arguments) \
  void Hook::name parameters {                                  \
    unused arguments;                                           \
  }
SLUICE_EVENTS(SLUICE_EVENT_DEFAULT)
#undef SLUICE_EVENT_DEFAULT

}  // namespace sluice
