#pragma once

#include <stdexcept>
#include <string>

#include <sluice/core/export.hpp>

namespace sluice {

/// Base of every error sluice throws. Messages say what failed, where, and what to do.
class SLUICE_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid configuration: YAML files, dataset options, parameters.
class SLUICE_API ConfigError : public Error {
 public:
  using Error::Error;
};

/// A dataset failed to load, save or describe itself.
class SLUICE_API DatasetError : public Error {
 public:
  using Error::Error;
};

/// A pipeline is malformed (duplicate names or outputs, cycles) or a filter names nothing.
class SLUICE_API PipelineError : public Error {
 public:
  using Error::Error;
};

/// A value holds another type than the one asked for.
class SLUICE_API TypeMismatchError : public Error {
 public:
  using Error::Error;
};

}  // namespace sluice
