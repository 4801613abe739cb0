#pragma once

#include <stdexcept>
#include <string>

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

/// Thrown by a hook's `on_pipeline_error` to say what the failed run did not persist (a tee's
/// background writes that failed while the run was failing): the runner adds the message to the
/// run's error, where other exceptions from `on_pipeline_error` are only logged.
class SLUICE_API NotPersistedError : public Error {
 public:
  using Error::Error;
  ~NotPersistedError() override;
};

/// The message of the exception being handled (call inside a catch block); for exceptions
/// that are not std::exception, says so.
SLUICE_API std::string current_exception_message();

}  // namespace sluice
