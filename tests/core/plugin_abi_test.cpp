// Pins what crosses the plugin boundary to kPluginAbiVersion.
//
// A plugin is compiled against one version of sluice's headers and loaded by a sluice built
// from another; the loader only compares kPluginAbiVersion. So every type a plugin receives,
// builds or reads inline must keep its layout while that number stays the same: the
// registration entry point's Registrar and the Registry it exposes, the factories' HookContext,
// the Hook vtable (one virtual per event, in SLUICE_EVENTS order), the CatalogView, RunInfo and
// NodeOptions read by hooks, Codec, Value, Param and Node handled by plugin code, and the
// DatasetContext and StorageContext the dataset and storage factories receive.
//
// When this test fails, you changed one of those layouts:
// 1. bump kPluginAbiVersion in core/include/sluice/core/plugin.hpp (the loader then refuses
//    plugins built for the old version with a clear message instead of crashing in them);
// 2. add a row for the new version to kPinned below, with the measured values the failure
//    prints; keep the old rows (they document what each version was).
// Do not edit an existing row to make the test pass: that hides the break from plugins.
//
// The values are for LP64 with libstdc++ (std::string of 32 bytes); elsewhere the test skips.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog_view.hpp>
#include <sluice/core/codec.hpp>
#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/util/type_name.hpp>
#include <sluice/core/value.hpp>

namespace sluice {
namespace {

struct Pin {
  std::string_view what;
  std::size_t value;
  friend bool operator==(const Pin&, const Pin&) = default;
  friend void PrintTo(const Pin& pin, std::ostream* out) { *out << pin.what << " = " << pin.value; }
};

struct PinnedAbi {
  std::uint32_t version;
  /// The Hook virtuals, one per event in SLUICE_EVENTS order (the vtable order), with their types.
  std::vector<std::string_view> events;
  std::vector<Pin> layout;
};

const std::vector<PinnedAbi>& pinned() {
  static const std::vector<PinnedAbi> kPinned = {
      {1,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::Catalog const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::Catalog const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::Catalog const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, "
           "std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, std::vector<sluice::Value> "
           "const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, std::exception const&, "
           "sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 416},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(RunInfo)", 192},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 16},
           {"alignof(Node)", 8},
       }},
      // 2: the pipeline and node events see the catalog through a CatalogView (issue 12).
      {2,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 416},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 192},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 16},
           {"alignof(Node)", 8},
       }},
      // 3: the Registry holds the storage schemes (Registry::storages, issue 13).
      {3,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 512},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 192},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 16},
           {"alignof(Node)", 8},
       }},
      // 4: the dataset and storage factories' contexts name the credentials (credentials_name),
      // and are pinned from now on (issue 13).
      {4,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 512},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 192},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 16},
           {"alignof(Node)", 8},
           {"sizeof(DatasetContext)", 352},
           {"alignof(DatasetContext)", 8},
           {"offsetof(DatasetContext, name)", 0},
           {"offsetof(DatasetContext, options)", 32},
           {"offsetof(DatasetContext, credentials)", 88},
           {"offsetof(DatasetContext, credentials_name)", 144},
           {"offsetof(DatasetContext, mark)", 176},
           {"offsetof(DatasetContext, codecs)", 216},
           {"offsetof(DatasetContext, types)", 224},
           {"offsetof(DatasetContext, root)", 232},
           {"offsetof(DatasetContext, save_version)", 272},
           {"offsetof(DatasetContext, load_version)", 304},
           {"offsetof(DatasetContext, clock)", 336},
           {"offsetof(DatasetContext, storages)", 344},
           {"sizeof(StorageContext)", 240},
           {"alignof(StorageContext)", 8},
           {"offsetof(StorageContext, url)", 0},
           {"offsetof(StorageContext, path)", 32},
           {"offsetof(StorageContext, credentials)", 64},
           {"offsetof(StorageContext, credentials_name)", 120},
           {"offsetof(StorageContext, options)", 152},
           {"offsetof(StorageContext, where)", 208},
       }},
      // 5: DatasetContext::fsync, the project's default for local files (issue 14).
      {5,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 512},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 192},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 16},
           {"alignof(Node)", 8},
           {"sizeof(DatasetContext)", 360},
           {"alignof(DatasetContext)", 8},
           {"offsetof(DatasetContext, name)", 0},
           {"offsetof(DatasetContext, options)", 32},
           {"offsetof(DatasetContext, credentials)", 88},
           {"offsetof(DatasetContext, credentials_name)", 144},
           {"offsetof(DatasetContext, mark)", 176},
           {"offsetof(DatasetContext, codecs)", 216},
           {"offsetof(DatasetContext, types)", 224},
           {"offsetof(DatasetContext, root)", 232},
           {"offsetof(DatasetContext, save_version)", 272},
           {"offsetof(DatasetContext, load_version)", 304},
           {"offsetof(DatasetContext, clock)", 336},
           {"offsetof(DatasetContext, storages)", 344},
           {"offsetof(DatasetContext, fsync)", 352},
           {"sizeof(StorageContext)", 240},
           {"alignof(StorageContext)", 8},
           {"offsetof(StorageContext, url)", 0},
           {"offsetof(StorageContext, path)", 32},
           {"offsetof(StorageContext, credentials)", 64},
           {"offsetof(StorageContext, credentials_name)", 120},
           {"offsetof(StorageContext, options)", 152},
           {"offsetof(StorageContext, where)", 208},
       }},
      // 6: Node's shared definition keeps its options out of line (Node::tags() and
      // namespace_name() are no longer inline) and counts its own references (a Node is one
      // pointer), and MemoryDataset's lock is 4 bytes (issue 14).
      {6,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 512},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 192},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 8},
           {"alignof(Node)", 8},
           {"sizeof(DatasetContext)", 360},
           {"alignof(DatasetContext)", 8},
           {"offsetof(DatasetContext, name)", 0},
           {"offsetof(DatasetContext, options)", 32},
           {"offsetof(DatasetContext, credentials)", 88},
           {"offsetof(DatasetContext, credentials_name)", 144},
           {"offsetof(DatasetContext, mark)", 176},
           {"offsetof(DatasetContext, codecs)", 216},
           {"offsetof(DatasetContext, types)", 224},
           {"offsetof(DatasetContext, root)", 232},
           {"offsetof(DatasetContext, save_version)", 272},
           {"offsetof(DatasetContext, load_version)", 304},
           {"offsetof(DatasetContext, clock)", 336},
           {"offsetof(DatasetContext, storages)", 344},
           {"offsetof(DatasetContext, fsync)", 352},
           {"sizeof(StorageContext)", 240},
           {"alignof(StorageContext)", 8},
           {"offsetof(StorageContext, url)", 0},
           {"offsetof(StorageContext, path)", 32},
           {"offsetof(StorageContext, credentials)", 64},
           {"offsetof(StorageContext, credentials_name)", 120},
           {"offsetof(StorageContext, options)", 152},
           {"offsetof(StorageContext, where)", 208},
           {"sizeof(MemoryDataset)", 48},
           {"alignof(MemoryDataset)", 8},
       }},
      // 7: the rank events (before_rank_run, after_rank_run, on_rank_error) and RunInfo's
      // rank, ranks and mail (issue 15).
      {7,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_rank_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_rank_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_rank_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 512},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 208},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"offsetof(RunInfo, rank)", 192},
           {"offsetof(RunInfo, ranks)", 196},
           {"offsetof(RunInfo, mail)", 200},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 8},
           {"alignof(Node)", 8},
           {"sizeof(DatasetContext)", 360},
           {"alignof(DatasetContext)", 8},
           {"offsetof(DatasetContext, name)", 0},
           {"offsetof(DatasetContext, options)", 32},
           {"offsetof(DatasetContext, credentials)", 88},
           {"offsetof(DatasetContext, credentials_name)", 144},
           {"offsetof(DatasetContext, mark)", 176},
           {"offsetof(DatasetContext, codecs)", 216},
           {"offsetof(DatasetContext, types)", 224},
           {"offsetof(DatasetContext, root)", 232},
           {"offsetof(DatasetContext, save_version)", 272},
           {"offsetof(DatasetContext, load_version)", 304},
           {"offsetof(DatasetContext, clock)", 336},
           {"offsetof(DatasetContext, storages)", 344},
           {"offsetof(DatasetContext, fsync)", 352},
           {"sizeof(StorageContext)", 240},
           {"alignof(StorageContext)", 8},
           {"offsetof(StorageContext, url)", 0},
           {"offsetof(StorageContext, path)", 32},
           {"offsetof(StorageContext, credentials)", 64},
           {"offsetof(StorageContext, credentials_name)", 120},
           {"offsetof(StorageContext, options)", 152},
           {"offsetof(StorageContext, where)", 208},
           {"sizeof(MemoryDataset)", 48},
           {"alignof(MemoryDataset)", 8},
       }},
      // 8: Dataset::prepare_save, a new virtual (issue 16: a run claims its files at its start).
      {8,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_rank_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_rank_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_rank_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 512},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 208},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"offsetof(RunInfo, rank)", 192},
           {"offsetof(RunInfo, ranks)", 196},
           {"offsetof(RunInfo, mail)", 200},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 8},
           {"alignof(Node)", 8},
           {"sizeof(DatasetContext)", 360},
           {"alignof(DatasetContext)", 8},
           {"offsetof(DatasetContext, name)", 0},
           {"offsetof(DatasetContext, options)", 32},
           {"offsetof(DatasetContext, credentials)", 88},
           {"offsetof(DatasetContext, credentials_name)", 144},
           {"offsetof(DatasetContext, mark)", 176},
           {"offsetof(DatasetContext, codecs)", 216},
           {"offsetof(DatasetContext, types)", 224},
           {"offsetof(DatasetContext, root)", 232},
           {"offsetof(DatasetContext, save_version)", 272},
           {"offsetof(DatasetContext, load_version)", 304},
           {"offsetof(DatasetContext, clock)", 336},
           {"offsetof(DatasetContext, storages)", 344},
           {"offsetof(DatasetContext, fsync)", 352},
           {"sizeof(StorageContext)", 240},
           {"alignof(StorageContext)", 8},
           {"offsetof(StorageContext, url)", 0},
           {"offsetof(StorageContext, path)", 32},
           {"offsetof(StorageContext, credentials)", 64},
           {"offsetof(StorageContext, credentials_name)", 120},
           {"offsetof(StorageContext, options)", 152},
           {"offsetof(StorageContext, where)", 208},
           {"sizeof(MemoryDataset)", 48},
           {"alignof(MemoryDataset)", 8},
       }},
      // 9: the Registry holds the configuration resolvers (Registry::resolvers, issue 17).
      {9,
       {
           "after_catalog_created: void (sluice::Hook::*)(sluice::Catalog&)",
           "before_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_pipeline_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_pipeline_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_rank_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "after_rank_run: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&)",
           "on_rank_error: void (sluice::Hook::*)(sluice::RunInfo const&, sluice::Pipeline "
           "const&, sluice::CatalogView const&, std::exception const&)",
           "before_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value>&)",
           "after_node_run: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView "
           "const&, std::vector<sluice::Value> const&, std::vector<sluice::Value> const&)",
           "on_node_error: void (sluice::Hook::*)(sluice::Node const&, sluice::CatalogView const&, "
           "std::exception const&, sluice::NodePhase)",
           "before_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*)",
           "after_dataset_loaded: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "before_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "after_dataset_saved: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >, sluice::Node const*, sluice::Value const&)",
           "on_dataset_released: void (sluice::Hook::*)(std::basic_string_view<char, "
           "std::char_traits<char> >)",
       },
       {
           {"sizeof(Registrar)", 56},
           {"alignof(Registrar)", 8},
           {"sizeof(Registry)", 592},
           {"alignof(Registry)", 8},
           {"offsetof(Registry, codecs)", 0},
           {"offsetof(Registry, dataset_types)", 96},
           {"offsetof(Registry, hooks)", 176},
           {"offsetof(Registry, runners)", 256},
           {"offsetof(Registry, pipelines)", 336},
           {"offsetof(Registry, storages)", 416},
           {"offsetof(Registry, resolvers)", 512},
           {"sizeof(HookContext)", 104},
           {"alignof(HookContext)", 8},
           {"offsetof(HookContext, name)", 0},
           {"offsetof(HookContext, options)", 32},
           {"offsetof(HookContext, clock)", 88},
           {"offsetof(HookContext, registry)", 96},
           {"sizeof(HookFactory)", 32},
           {"alignof(HookFactory)", 8},
           {"sizeof(Hook)", 8},
           {"alignof(Hook)", 8},
           {"sizeof(Events)", 4},
           {"alignof(Events)", 4},
           {"sizeof(CatalogView)", 8},
           {"alignof(CatalogView)", 8},
           {"sizeof(RunInfo)", 208},
           {"alignof(RunInfo)", 8},
           {"offsetof(RunInfo, run_id)", 0},
           {"offsetof(RunInfo, pipeline_name)", 32},
           {"offsetof(RunInfo, runner)", 64},
           {"offsetof(RunInfo, env)", 96},
           {"offsetof(RunInfo, command)", 128},
           {"offsetof(RunInfo, project)", 160},
           {"offsetof(RunInfo, rank)", 192},
           {"offsetof(RunInfo, ranks)", 196},
           {"offsetof(RunInfo, mail)", 200},
           {"sizeof(NodeOptions)", 56},
           {"alignof(NodeOptions)", 8},
           {"offsetof(NodeOptions, tags)", 0},
           {"offsetof(NodeOptions, namespace_name)", 24},
           {"sizeof(Codec)", 104},
           {"alignof(Codec)", 8},
           {"offsetof(Codec, name)", 0},
           {"offsetof(Codec, type)", 32},
           {"offsetof(Codec, encode)", 40},
           {"offsetof(Codec, decode)", 72},
           {"sizeof(Value)", 32},
           {"alignof(Value)", 8},
           {"sizeof(Param)", 56},
           {"alignof(Param)", 8},
           {"sizeof(Node)", 8},
           {"alignof(Node)", 8},
           {"sizeof(DatasetContext)", 360},
           {"alignof(DatasetContext)", 8},
           {"offsetof(DatasetContext, name)", 0},
           {"offsetof(DatasetContext, options)", 32},
           {"offsetof(DatasetContext, credentials)", 88},
           {"offsetof(DatasetContext, credentials_name)", 144},
           {"offsetof(DatasetContext, mark)", 176},
           {"offsetof(DatasetContext, codecs)", 216},
           {"offsetof(DatasetContext, types)", 224},
           {"offsetof(DatasetContext, root)", 232},
           {"offsetof(DatasetContext, save_version)", 272},
           {"offsetof(DatasetContext, load_version)", 304},
           {"offsetof(DatasetContext, clock)", 336},
           {"offsetof(DatasetContext, storages)", 344},
           {"offsetof(DatasetContext, fsync)", 352},
           {"sizeof(StorageContext)", 240},
           {"alignof(StorageContext)", 8},
           {"offsetof(StorageContext, url)", 0},
           {"offsetof(StorageContext, path)", 32},
           {"offsetof(StorageContext, credentials)", 64},
           {"offsetof(StorageContext, credentials_name)", 120},
           {"offsetof(StorageContext, options)", 152},
           {"offsetof(StorageContext, where)", 208},
           {"sizeof(MemoryDataset)", 48},
           {"alignof(MemoryDataset)", 8},
       }},
  };
  return kPinned;
}

// The offset of `member` in a default-constructed T (offsetof is not defined for these
// non-standard-layout types).
template <class T, class M>
std::size_t offset_of(M T::*member) {
  const T object{};
  return static_cast<std::size_t>(reinterpret_cast<const char*>(&(object.*member)) -
                                  reinterpret_cast<const char*>(&object));
}

#define SLUICE_PIN_SIZE(T)                \
  Pin{"sizeof(" #T ")", sizeof(T)}, Pin { \
    "alignof(" #T ")", alignof(T)         \
  }
#define SLUICE_PIN_OFFSET(T, member)                       \
  Pin {                                                    \
    "offsetof(" #T ", " #member ")", offset_of(&T::member) \
  }

std::vector<Pin> measured_layout() {
  return {
      SLUICE_PIN_SIZE(Registrar),
      SLUICE_PIN_SIZE(Registry),
      SLUICE_PIN_OFFSET(Registry, codecs),
      SLUICE_PIN_OFFSET(Registry, dataset_types),
      SLUICE_PIN_OFFSET(Registry, hooks),
      SLUICE_PIN_OFFSET(Registry, runners),
      SLUICE_PIN_OFFSET(Registry, pipelines),
      SLUICE_PIN_OFFSET(Registry, storages),
      SLUICE_PIN_OFFSET(Registry, resolvers),
      SLUICE_PIN_SIZE(HookContext),
      SLUICE_PIN_OFFSET(HookContext, name),
      SLUICE_PIN_OFFSET(HookContext, options),
      SLUICE_PIN_OFFSET(HookContext, clock),
      SLUICE_PIN_OFFSET(HookContext, registry),
      SLUICE_PIN_SIZE(HookFactory),
      SLUICE_PIN_SIZE(Hook),
      SLUICE_PIN_SIZE(Events),
      SLUICE_PIN_SIZE(CatalogView),
      SLUICE_PIN_SIZE(RunInfo),
      SLUICE_PIN_OFFSET(RunInfo, run_id),
      SLUICE_PIN_OFFSET(RunInfo, pipeline_name),
      SLUICE_PIN_OFFSET(RunInfo, runner),
      SLUICE_PIN_OFFSET(RunInfo, env),
      SLUICE_PIN_OFFSET(RunInfo, command),
      SLUICE_PIN_OFFSET(RunInfo, project),
      SLUICE_PIN_OFFSET(RunInfo, rank),
      SLUICE_PIN_OFFSET(RunInfo, ranks),
      SLUICE_PIN_OFFSET(RunInfo, mail),
      SLUICE_PIN_SIZE(NodeOptions),
      SLUICE_PIN_OFFSET(NodeOptions, tags),
      SLUICE_PIN_OFFSET(NodeOptions, namespace_name),
      SLUICE_PIN_SIZE(Codec),
      SLUICE_PIN_OFFSET(Codec, name),
      SLUICE_PIN_OFFSET(Codec, type),
      SLUICE_PIN_OFFSET(Codec, encode),
      SLUICE_PIN_OFFSET(Codec, decode),
      SLUICE_PIN_SIZE(Value),
      SLUICE_PIN_SIZE(Param),
      SLUICE_PIN_SIZE(Node),
      SLUICE_PIN_SIZE(DatasetContext),
      SLUICE_PIN_OFFSET(DatasetContext, name),
      SLUICE_PIN_OFFSET(DatasetContext, options),
      SLUICE_PIN_OFFSET(DatasetContext, credentials),
      SLUICE_PIN_OFFSET(DatasetContext, credentials_name),
      SLUICE_PIN_OFFSET(DatasetContext, mark),
      SLUICE_PIN_OFFSET(DatasetContext, codecs),
      SLUICE_PIN_OFFSET(DatasetContext, types),
      SLUICE_PIN_OFFSET(DatasetContext, root),
      SLUICE_PIN_OFFSET(DatasetContext, save_version),
      SLUICE_PIN_OFFSET(DatasetContext, load_version),
      SLUICE_PIN_OFFSET(DatasetContext, clock),
      SLUICE_PIN_OFFSET(DatasetContext, storages),
      SLUICE_PIN_OFFSET(DatasetContext, fsync),
      SLUICE_PIN_SIZE(StorageContext),
      SLUICE_PIN_OFFSET(StorageContext, url),
      SLUICE_PIN_OFFSET(StorageContext, path),
      SLUICE_PIN_OFFSET(StorageContext, credentials),
      SLUICE_PIN_OFFSET(StorageContext, credentials_name),
      SLUICE_PIN_OFFSET(StorageContext, options),
      SLUICE_PIN_OFFSET(StorageContext, where),
      SLUICE_PIN_SIZE(MemoryDataset),
  };
}

std::vector<std::string> measured_events() {
  return {
#define SLUICE_PIN_EVENT(name, kind, parameters, arguments) \
#name ": " + type_name < decltype(&Hook::name)>(),
      SLUICE_EVENTS(SLUICE_PIN_EVENT)
#undef SLUICE_PIN_EVENT
  };
}

std::string as_row(const std::vector<Pin>& layout) {
  std::string row;
  for (const Pin& pin : layout) {
    row += fmt::format("{{\"{}\", {}}},\n", pin.what, pin.value);
  }
  return row;
}

std::string as_row(const std::vector<std::string>& events) {
  std::string row;
  for (const std::string& event : events) {
    row += fmt::format("\"{}\",\n", event);
  }
  return row;
}

TEST(PluginAbi, WhatCrossesThePluginBoundaryKeepsItsLayoutWithinAnAbiVersion) {
  if (sizeof(void*) != 8 || sizeof(std::string) != 32) {
    GTEST_SKIP() << "the pinned layouts are for LP64 with libstdc++";
  }
  const PinnedAbi* row = nullptr;
  for (const PinnedAbi& candidate : pinned()) {
    if (candidate.version == kPluginAbiVersion) {
      row = &candidate;
    }
  }
  const std::vector<Pin> layout = measured_layout();
  const std::vector<std::string> events = measured_events();
  ASSERT_NE(row, nullptr) << "kPluginAbiVersion is " << kPluginAbiVersion
                          << " but kPinned has no row for it; add one (see the comment at the top "
                             "of this file) with the events\n"
                          << as_row(events) << "and the layout\n"
                          << as_row(layout);
  // The row is a table of {what, expected}: each entry is checked on its own, so a failure
  // names the field (or event) that moved; then the names, in order, so that nothing is
  // measured unpinned or pinned unmeasured. Together: the measured table is the pinned row.
  const std::string bump =
      "changed without a kPluginAbiVersion bump; see the comment at the top of this file";
  for (std::size_t at = 0; at < std::min(events.size(), row->events.size()); ++at) {
    EXPECT_EQ(events[at], row->events[at])
        << "the hook event at vtable slot " << at << " " << bump << ". Measured:\n"
        << as_row(events);
  }
  EXPECT_EQ(events.size(), row->events.size())
      << "the number of hook events (the Hook vtable) " << bump << ". Measured:\n"
      << as_row(events);
  std::vector<std::string_view> measured_names;
  std::vector<std::string_view> pinned_names;
  for (const Pin& pin : layout) {
    measured_names.push_back(pin.what);
  }
  for (const Pin& expected : row->layout) {
    pinned_names.push_back(expected.what);
    const auto found = std::find_if(layout.begin(), layout.end(),
                                    [&](const Pin& pin) { return pin.what == expected.what; });
    if (found == layout.end()) {
      continue;  // reported by the names below
    }
    EXPECT_EQ(*found, expected) << expected.what << ", a layout plugins rely on, " << bump
                                << ". Measured:\n"
                                << as_row(layout);
  }
  EXPECT_EQ(measured_names, pinned_names)
      << "the layouts measured are not the ones pinned for this version; see the comment at the "
         "top of this file. Measured:\n"
      << as_row(layout);
}

}  // namespace
}  // namespace sluice
