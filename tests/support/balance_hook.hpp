#pragma once

#include <map>
#include <mutex>
#include <string>

#include <sluice/core/hook.hpp>
#include <sluice/core/node.hpp>

namespace sluice::testing {

/// Counts every event per node and checks that every "before" has its "after" or an error.
class BalanceHook : public Hook {
 public:
  struct Counts {
    int before_run = 0, after_run = 0, errors = 0;
    int before_load = 0, after_load = 0, before_save = 0, after_save = 0;
  };

  Events events() const override { return Events::all(); }

  void before_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    std::lock_guard lock(mutex_);
    ++pipeline_before_;
  }
  void after_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    std::lock_guard lock(mutex_);
    ++pipeline_after_;
  }
  void on_pipeline_error(const RunInfo&, const Pipeline&, const CatalogView&,
                         const std::exception&) override {
    std::lock_guard lock(mutex_);
    ++pipeline_errors_;
  }
  void before_node_run(const Node& node, const CatalogView&, std::vector<Value>&) override {
    count(&node, &Counts::before_run);
  }
  void after_node_run(const Node& node, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {
    count(&node, &Counts::after_run);
  }
  void on_node_error(const Node& node, const CatalogView&, const std::exception&,
                     NodePhase) override {
    count(&node, &Counts::errors);
  }
  void before_dataset_loaded(std::string_view, const Node* node) override {
    count(node, &Counts::before_load);
  }
  void after_dataset_loaded(std::string_view, const Node* node, const Value&) override {
    count(node, &Counts::after_load);
  }
  void before_dataset_saved(std::string_view, const Node* node, const Value&) override {
    count(node, &Counts::before_save);
  }
  void after_dataset_saved(std::string_view, const Node* node, const Value&) override {
    count(node, &Counts::after_save);
  }

  /// "" when balanced, else what is not.
  std::string problems() const {
    std::lock_guard lock(mutex_);
    std::string found;
    if (pipeline_before_ != 1 || pipeline_after_ + pipeline_errors_ != 1) {
      found += "pipeline events unbalanced; ";
    }
    for (const auto& [node, c] : nodes_) {
      if (c.errors > 1) {
        found += node + ": more than one error; ";
      } else if (c.errors == 0 && (c.before_run != c.after_run || c.before_load != c.after_load ||
                                   c.before_save != c.after_save)) {
        found += node + ": a before without its after; ";
      }
    }
    return found;
  }
  int pipeline_errors() const {
    std::lock_guard lock(mutex_);
    return pipeline_errors_;
  }

 private:
  void count(const Node* node, int Counts::*field) {
    std::lock_guard lock(mutex_);
    ++(nodes_[node != nullptr ? node->name() : "-"].*field);
  }

  mutable std::mutex mutex_;
  int pipeline_before_ = 0, pipeline_after_ = 0, pipeline_errors_ = 0;
  std::map<std::string, Counts> nodes_;
};

}  // namespace sluice::testing
