#include <fmt/format.h>

#include <sluice/core/hook.hpp>

namespace sluice {

std::string_view phase_name(NodePhase phase) {
  switch (phase) {
    case NodePhase::load:
      return "loading its inputs";
    case NodePhase::run:
      return "running";
    case NodePhase::save:
      return "saving its outputs";
  }
  return "running";
}

std::string_view event_name(Event event) {
  static constexpr std::string_view names[kEventCount] = {
      "after_catalog_created", "before_pipeline_run",   "after_pipeline_run",
      "on_pipeline_error",     "before_node_run",       "after_node_run",
      "on_node_error",         "before_dataset_loaded", "after_dataset_loaded",
      "before_dataset_saved",  "after_dataset_saved",   "on_dataset_released",
  };
  return names[static_cast<std::size_t>(event)];
}

std::filesystem::path project_path(const RunInfo& run, const std::filesystem::path& path) {
  return std::filesystem::path(run.project) / path;  // `/` keeps an absolute `path` as it is
}

HookError::HookError(std::string hook, Event event, const std::string& message)
    : Error(fmt::format("hook '{}' failed in {}: {}", hook, event_name(event), message)),
      hook_(std::move(hook)),
      event_(event) {}

HookError::~HookError() = default;

void Hook::after_catalog_created(Catalog&) {}
void Hook::before_pipeline_run(const RunInfo&, const Pipeline&, const Catalog&) {}
void Hook::after_pipeline_run(const RunInfo&, const Pipeline&, const Catalog&) {}
void Hook::on_pipeline_error(const RunInfo&, const Pipeline&, const Catalog&,
                             const std::exception&) {}
void Hook::before_node_run(const Node&, std::vector<Value>&) {}
void Hook::after_node_run(const Node&, const std::vector<Value>&, const std::vector<Value>&) {}
void Hook::on_node_error(const Node&, const std::exception&, NodePhase) {}
void Hook::before_dataset_loaded(std::string_view, const Node*) {}
void Hook::after_dataset_loaded(std::string_view, const Node*, const Value&) {}
void Hook::before_dataset_saved(std::string_view, const Node*, const Value&) {}
void Hook::after_dataset_saved(std::string_view, const Node*, const Value&) {}
void Hook::on_dataset_released(std::string_view) {}

}  // namespace sluice
