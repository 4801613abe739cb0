// The only translation unit that includes Boost.Signals2: it is heavy to compile.

#include <exception>

#include <boost/signals2/signal.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>

namespace sluice {

template <class... Args>
using Signal =
    boost::signals2::signal<void(Args...), boost::signals2::optional_last_value<void>, int>;

// on_pipeline_error's slots return what their hook reported as not persisted; the signal
// returns all of it, in slot order.
struct Concatenate {
  using result_type = std::vector<std::string>;
  template <class Iterator>
  result_type operator()(Iterator first, Iterator last) const {
    result_type all;
    for (; first != last; ++first) {
      const result_type part = *first;
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }
};

struct HookManager::Signals {
  Signal<Catalog&> after_catalog_created;
  Signal<const RunInfo&, const Pipeline&, const Catalog&> before_pipeline_run;
  Signal<const RunInfo&, const Pipeline&, const Catalog&> after_pipeline_run;
  boost::signals2::signal<std::vector<std::string>(const RunInfo&, const Pipeline&, const Catalog&,
                                                   const std::exception&),
                          Concatenate, int>
      on_pipeline_error;
  Signal<const Node&, std::vector<Value>&> before_node_run;
  Signal<const Node&, const std::vector<Value>&, const std::vector<Value>&> after_node_run;
  Signal<const Node&, const std::exception&, NodePhase> on_node_error;
  Signal<std::string_view, const Node*> before_dataset_loaded;
  Signal<std::string_view, const Node*, const Value&> after_dataset_loaded;
  Signal<std::string_view, const Node*, const Value&> before_dataset_saved;
  Signal<std::string_view, const Node*, const Value&> after_dataset_saved;
  Signal<std::string_view> on_dataset_released;
};

namespace {

// The slot the manager builds around a hook: calls the hook's member and turns whatever it
// throws into a HookError naming the hook and the event, the original nested in it (the runner
// reads a NotPersistedError's datasets there). The hook is held by shared_ptr, so it (and the
// plugin library it may come from) outlives every connection.
template <class Member>
auto slot(std::shared_ptr<Hook> hook, std::string name, Event event, Member member) {
  return [hook = std::move(hook), name = std::move(name), event, member](auto&&... args) {
    try {
      ((*hook).*member)(std::forward<decltype(args)>(args)...);
    } catch (const HookError&) {
      throw;
    } catch (...) {
      std::throw_with_nested(HookError(name, event, current_exception_message()));
    }
  };
}

// For error events: the run is failing already, so a hook failure is logged, not thrown.
template <class Member>
auto error_slot(std::shared_ptr<Hook> hook, std::string name, Event event, Member member) {
  return [hook = std::move(hook), name = std::move(name), event, member](auto&&... args) {
    try {
      ((*hook).*member)(std::forward<decltype(args)>(args)...);
    } catch (...) {
      logger().error("hook '{}' failed in {} (the original error is kept): {}", name,
                     event_name(event), current_exception_message());
    }
  };
}

// on_pipeline_error: like error_slot, but what the hook reports as not persisted is returned to
// the runner for the run's error instead of being logged.
auto pipeline_error_slot(std::shared_ptr<Hook> hook, std::string name) {
  return [hook = std::move(hook), name = std::move(name)](
             const RunInfo& run, const Pipeline& pipeline, const Catalog& catalog,
             const std::exception& error) -> std::vector<std::string> {
    try {
      hook->on_pipeline_error(run, pipeline, catalog, error);
    } catch (const NotPersistedError& lost) {
      return {fmt::format("hook '{}': {}", name, lost.what())};
    } catch (...) {
      logger().error("hook '{}' failed in on_pipeline_error (the original error is kept): {}", name,
                     current_exception_message());
    }
    return {};
  };
}

}  // namespace

HookManager::HookManager() : signals_(std::make_unique<Signals>()) {}
HookManager::~HookManager() = default;

void HookManager::add(std::string name, std::shared_ptr<Hook> hook, int priority) {
  if (!hook) {
    throw ConfigError(fmt::format("hook '{}' is null", name));
  }
  const Events events = hook->events();
  Signals& s = *signals_;
  auto connect = [&](auto& signal, Event event, auto member) {
    if (events.contains(event)) {
      signal.connect(priority, slot(hook, name, event, member), boost::signals2::at_back);
    }
  };
  auto connect_error = [&](auto& signal, Event event, auto member) {
    if (events.contains(event)) {
      signal.connect(priority, error_slot(hook, name, event, member), boost::signals2::at_back);
    }
  };
  connect(s.after_catalog_created, Event::after_catalog_created, &Hook::after_catalog_created);
  connect(s.before_pipeline_run, Event::before_pipeline_run, &Hook::before_pipeline_run);
  connect(s.after_pipeline_run, Event::after_pipeline_run, &Hook::after_pipeline_run);
  if (events.contains(Event::on_pipeline_error)) {
    s.on_pipeline_error.connect(priority, pipeline_error_slot(hook, name),
                                boost::signals2::at_back);
  }
  connect(s.before_node_run, Event::before_node_run, &Hook::before_node_run);
  connect(s.after_node_run, Event::after_node_run, &Hook::after_node_run);
  connect_error(s.on_node_error, Event::on_node_error, &Hook::on_node_error);
  connect(s.before_dataset_loaded, Event::before_dataset_loaded, &Hook::before_dataset_loaded);
  connect(s.after_dataset_loaded, Event::after_dataset_loaded, &Hook::after_dataset_loaded);
  connect(s.before_dataset_saved, Event::before_dataset_saved, &Hook::before_dataset_saved);
  connect(s.after_dataset_saved, Event::after_dataset_saved, &Hook::after_dataset_saved);
  connect(s.on_dataset_released, Event::on_dataset_released, &Hook::on_dataset_released);
  active_ |= events;
  names_.push_back(std::move(name));
}

std::vector<std::string> HookManager::names() const {
  return names_;
}

void HookManager::emit_after_catalog_created(Catalog& catalog) const {
  signals_->after_catalog_created(catalog);
}

void HookManager::emit_pipeline(Event event, const RunInfo& run, const Pipeline& pipeline,
                                const Catalog& catalog) const {
  auto& signal = event == Event::before_pipeline_run ? signals_->before_pipeline_run
                                                     : signals_->after_pipeline_run;
  signal(run, pipeline, catalog);
}

std::vector<std::string> HookManager::emit_on_pipeline_error(const RunInfo& run,
                                                             const Pipeline& pipeline,
                                                             const Catalog& catalog,
                                                             const std::exception& error) const {
  return signals_->on_pipeline_error(run, pipeline, catalog, error);
}

void HookManager::emit_before_node_run(const Node& node, std::vector<Value>& inputs) const {
  signals_->before_node_run(node, inputs);
}

void HookManager::emit_after_node_run(const Node& node, const std::vector<Value>& inputs,
                                      const std::vector<Value>& outputs) const {
  signals_->after_node_run(node, inputs, outputs);
}

void HookManager::emit_on_node_error(const Node& node, const std::exception& error,
                                     NodePhase phase) const {
  signals_->on_node_error(node, error, phase);
}

void HookManager::emit_before_dataset_loaded(std::string_view dataset, const Node* node) const {
  signals_->before_dataset_loaded(dataset, node);
}

void HookManager::emit_dataset(Event event, std::string_view dataset, const Node* node,
                               const Value& value) const {
  auto& signal = event == Event::after_dataset_loaded   ? signals_->after_dataset_loaded
                 : event == Event::before_dataset_saved ? signals_->before_dataset_saved
                                                        : signals_->after_dataset_saved;
  signal(dataset, node, value);
}

void HookManager::emit_on_dataset_released(std::string_view dataset) const {
  signals_->on_dataset_released(dataset);
}

}  // namespace sluice
