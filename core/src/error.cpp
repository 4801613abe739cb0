#include <sluice/core/error.hpp>

namespace sluice {

// Key functions: they anchor each class's vtable and type information in this library.
Error::~Error() = default;
ConfigError::~ConfigError() = default;
DatasetError::~DatasetError() = default;
PipelineError::~PipelineError() = default;
TypeMismatchError::~TypeMismatchError() = default;
NotPersistedError::~NotPersistedError() = default;

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
