// The project library of project/: registers the pipeline `sluice run` runs.

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <sluice/sluice.hpp>  // the umbrella a project library needs (sluice::core)

namespace {

std::vector<std::int64_t> tokenize(const std::string& text) {
  std::istringstream words(text);
  std::vector<std::int64_t> lengths;
  for (std::string word; words >> word;) {
    lengths.push_back(static_cast<std::int64_t>(word.size()));
  }
  return lengths;
}

std::string summarize(const std::vector<std::int64_t>& lengths, int min_length) {
  std::size_t long_words = 0;
  for (const std::int64_t length : lengths) {
    long_words += length >= min_length ? 1 : 0;
  }
  return "words=" + std::to_string(lengths.size()) + " long_words=" + std::to_string(long_words);
}

sluice::Pipeline create_pipeline() {
  return sluice::Pipeline{
      sluice::node("tokenize", tokenize, "raw_text", "word_lengths"),
      sluice::node("summarize", summarize, {"word_lengths", "params:min_length"}, "summary"),
  };
}

}  // namespace

SLUICE_PLUGIN(registrar) {
  registrar.add_pipeline("__default__", create_pipeline);
}
