#pragma once

// Everything a project library or a plugin writes against, in one include: values and codecs,
// tables, nodes and pipelines, datasets and the catalog, configuration, hooks and the plugin
// entry point. Helpers sluice uses itself are under <sluice/core/util/> and not included here.
// A program that runs pipelines adds <sluice/runners.hpp> (sluice::runners).

#include <sluice/core/byte_size.hpp>
#include <sluice/core/catalog.hpp>
#include <sluice/core/catalog_view.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/codec.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/dataset.hpp>
#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/csv_dataset.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/datasets/json_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/datasets/npy_dataset.hpp>
#include <sluice/core/datasets/text_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/hook_specs.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/names.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/plugin_loader.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/table.hpp>
#include <sluice/core/trace.hpp>
#include <sluice/core/value.hpp>
