#include <sluice/core/error.hpp>

namespace sluice {

// Key functions: they anchor each class's vtable and type information in this library.
Error::~Error() = default;
ConfigError::~ConfigError() = default;
DatasetError::~DatasetError() = default;
PipelineError::~PipelineError() = default;
TypeMismatchError::~TypeMismatchError() = default;

}  // namespace sluice
