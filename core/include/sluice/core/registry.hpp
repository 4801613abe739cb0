#pragma once

#include <sluice/core/codec.hpp>
#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/export.hpp>

namespace sluice {

/// Everything that can be added by name: codecs and dataset types. Built-ins and plugins
/// register here through explicit calls; there is no global registry.
///
/// Objects created from it (datasets refer to codecs) must not outlive it.
struct SLUICE_API Registry {
  CodecRegistry codecs;
  DatasetTypeRegistry dataset_types;
};

/// Adds the built-in codecs and dataset types: MemoryDataset, BinaryDataset, CSVDataset,
/// TextDataset and CachedDataset.
SLUICE_API void register_builtins(Registry& registry);

}  // namespace sluice
