#include <fmt/format.h>

#include <sluice/core/error.hpp>

namespace sluice {

// Key functions: they anchor each class's vtable and type information in this library.
Error::~Error() = default;
ConfigError::~ConfigError() = default;
DatasetError::~DatasetError() = default;
PipelineError::~PipelineError() = default;
TypeMismatchError::~TypeMismatchError() = default;
ResumableError::~ResumableError() = default;
NotPersistedError::~NotPersistedError() = default;

namespace {

std::string with_resume_suggestion(const std::string& summary,
                                   const std::vector<std::string>& resume_nodes) {
  if (resume_nodes.empty()) {
    return summary;
  }
  return fmt::format(
      "{}\nResume from the nearest nodes with persisted inputs by adding to your command:\n"
      "  --from-nodes \"{}\"",
      summary, fmt::join(resume_nodes, ","));
}

}  // namespace

ResumableError::ResumableError(const std::string& summary, std::vector<std::string> resume_nodes)
    : Error(with_resume_suggestion(summary, resume_nodes)),
      summary_(summary),
      resume_nodes_(std::move(resume_nodes)) {}

NotPersistedError::NotPersistedError(const std::string& summary, std::vector<std::string> datasets,
                                     std::vector<std::string> resume_nodes)
    : ResumableError(summary, std::move(resume_nodes)), datasets_(std::move(datasets)) {}

void ResumableError::throw_with_other_failures(const std::vector<std::string>& failures) const {
  throw ResumableError(with_other_failures(summary(), failures), resume_nodes());
}

void NotPersistedError::throw_with_other_failures(const std::vector<std::string>& failures) const {
  throw NotPersistedError(with_other_failures(summary(), failures), datasets(), resume_nodes());
}

std::string list_failures(const std::string& headline, const std::vector<std::string>& failures) {
  std::string message = headline;
  for (const auto& failure : failures) {
    message += "\n  - " + failure;
  }
  return message;
}

std::string with_other_failures(const std::string& summary,
                                const std::vector<std::string>& failures) {
  if (failures.empty()) {
    return summary;
  }
  return list_failures(summary + "\nAlso failed in this run:", failures);
}

std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace sluice
