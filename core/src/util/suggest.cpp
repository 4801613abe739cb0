#include <algorithm>

#include <fmt/format.h>

#include <sluice/core/util/suggest.hpp>

namespace sluice {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string> close_matches(std::string_view word,
                                       const std::vector<std::string>& candidates,
                                       std::size_t limit) {
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& candidate : candidates) {
    // Callers pass names from several sources (hooks and the plugins that provide them), so a
    // name may come twice; suggest it once.
    const bool seen = std::any_of(scored.begin(), scored.end(), [&candidate](const auto& kept) {
      return kept.second == candidate;
    });
    if (seen) {
      continue;
    }
    std::size_t distance = edit_distance(word, candidate);
    const bool contains = !word.empty() && (candidate.find(word) != std::string::npos ||
                                            word.find(candidate) != std::string_view::npos);
    if (distance <= allowed || contains) {
      scored.emplace_back(contains ? std::min(distance, allowed) : distance, candidate);
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> result;
  for (std::size_t i = 0; i < scored.size() && i < limit; ++i) {
    result.push_back(scored[i].second);
  }
  return result;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto matches = close_matches(word, candidates);
  if (matches.empty()) {
    return {};
  }
  std::string quoted;
  for (std::size_t i = 0; i < matches.size(); ++i) {
    if (i > 0) {
      quoted += i + 1 == matches.size() ? " or " : ", ";
    }
    quoted += fmt::format("'{}'", matches[i]);
  }
  return fmt::format(" (did you mean {}?)", quoted);
}

}  // namespace sluice
