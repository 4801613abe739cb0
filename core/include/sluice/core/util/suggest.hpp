#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// Names among `candidates` close to `word` (edit distance or substring), best first, at most
/// `limit`. Used for "did you mean" hints in error messages.
SLUICE_API std::vector<std::string> close_matches(std::string_view word,
                                                  const std::vector<std::string>& candidates,
                                                  std::size_t limit = 3);

/// " (did you mean 'a' or 'b'?)", or "" when nothing is close.
SLUICE_API std::string did_you_mean(std::string_view word,
                                    const std::vector<std::string>& candidates);

}  // namespace sluice
