#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// Base of every error sluice throws. Messages say what failed, where, and what to do.
///
/// Each error class has an out-of-line destructor, so its vtable and type information live in
/// libsluice_core only: an error thrown by plugin code stays valid after the plugin unloads.
class SLUICE_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;
};

/// Invalid configuration: YAML files, dataset options, parameters.
class SLUICE_API ConfigError : public Error {
 public:
  using Error::Error;
  ~ConfigError() override;
};

/// A dataset failed to load, save or describe itself.
class SLUICE_API DatasetError : public Error {
 public:
  using Error::Error;
  ~DatasetError() override;
};

/// A pipeline is malformed (duplicate names or outputs, cycles) or a filter names nothing.
class SLUICE_API PipelineError : public Error {
 public:
  using Error::Error;
  ~PipelineError() override;
};

/// A value holds another type than the one asked for.
class SLUICE_API TypeMismatchError : public Error {
 public:
  using Error::Error;
  ~TypeMismatchError() override;
};

/// A failed run that can be resumed: carries the nodes to pass to `--from-nodes`, and its
/// message ends with the one paragraph suggesting them (none when there are none). The runner
/// throws one for every failure after which part of the run is saved (a node's: NodeError; a
/// background write's: NotPersistedError); hooks observing the failure (on_pipeline_error) ask
/// it for resume_nodes() instead of computing their own.
class SLUICE_API ResumableError : public Error {
 public:
  ResumableError(const std::string& summary, std::vector<std::string> resume_nodes);
  ~ResumableError() override;

  /// The message without the resume suggestion.
  const std::string& summary() const { return summary_; }
  /// The nodes to pass to `--from-nodes` to resume the run, sorted by name.
  const std::vector<std::string>& resume_nodes() const { return resume_nodes_; }
  /// Throws this error again, as its own type and with its own data, its message also listing
  /// `failures` (with_other_failures): how the runner adds what hooks report not persisted while
  /// a run is failing. Each subclass rebuilds itself.
  [[noreturn]] virtual void throw_with_other_failures(
      const std::vector<std::string>& failures) const;

 private:
  std::string summary_;
  std::vector<std::string> resume_nodes_;
};

/// Datasets a run did not persist (a tee's background writes that failed). Thrown by a hook's
/// `after_pipeline_run`, naming the datasets(): the runner rethrows it with the resume
/// suggestion, their producers counting as not run. Thrown by a hook's `on_pipeline_error`, to
/// say what the failed run did not persist while it was failing: the runner adds the message
/// to the run's error, where other exceptions from `on_pipeline_error` are only logged.
class SLUICE_API NotPersistedError : public ResumableError {
 public:
  explicit NotPersistedError(const std::string& summary, std::vector<std::string> datasets = {},
                             std::vector<std::string> resume_nodes = {});
  ~NotPersistedError() override;

  /// The datasets not persisted (when the thrower named them).
  const std::vector<std::string>& datasets() const { return datasets_; }
  [[noreturn]] void throw_with_other_failures(
      const std::vector<std::string>& failures) const override;

 private:
  std::vector<std::string> datasets_;
};

/// `headline`, then a line per failure ("\n  - failure"): the one way an error lists several
/// failures (a node's loads or saves, the other nodes that failed in a run).
SLUICE_API std::string list_failures(const std::string& headline,
                                     const std::vector<std::string>& failures);
/// `summary`, then "Also failed in this run:" and the failures (list_failures); `summary` alone
/// when there are none.
SLUICE_API std::string with_other_failures(const std::string& summary,
                                           const std::vector<std::string>& failures);

/// The message of the exception being handled (call inside a catch block); for exceptions
/// that are not std::exception, says so.
SLUICE_API std::string current_exception_message();

}  // namespace sluice
