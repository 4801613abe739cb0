#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/node.hpp>

namespace sluice::testing {

/// Records every event as "event:subject" ("before_node_run:split",
/// "after_dataset_loaded:raw@split"). Thread-safe.
class RecordingHook : public Hook {
 public:
  Events events() const override { return Events::all(); }

  void after_catalog_created(Catalog&) override { record("after_catalog_created"); }
  void before_pipeline_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    record("before_pipeline_run:" + run.runner);
  }
  void after_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    record("after_pipeline_run");
  }
  void on_pipeline_error(const RunInfo&, const Pipeline&, const CatalogView&,
                         const std::exception&) override {
    record("on_pipeline_error");
  }
  void before_rank_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    record("before_rank_run:" + std::to_string(run.rank) + "/" + std::to_string(run.ranks));
  }
  void after_rank_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    record("after_rank_run");
  }
  void on_rank_error(const RunInfo&, const Pipeline&, const CatalogView&,
                     const std::exception&) override {
    record("on_rank_error");
  }
  void before_node_run(const Node& node, const CatalogView&, std::vector<Value>&) override {
    record("before_node_run:" + node.name());
  }
  void after_node_run(const Node& node, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {
    record("after_node_run:" + node.name());
  }
  void on_node_error(const Node& node, const CatalogView&, const std::exception&,
                     NodePhase phase) override {
    record("on_node_error:" + node.name() + "/" + std::string(phase_name(phase)));
  }
  void before_dataset_loaded(std::string_view dataset, const Node* node) override {
    record("before_dataset_loaded:" + at(dataset, node));
  }
  void after_dataset_loaded(std::string_view dataset, const Node* node, const Value&) override {
    record("after_dataset_loaded:" + at(dataset, node));
  }
  void before_dataset_saved(std::string_view dataset, const Node* node, const Value&) override {
    record("before_dataset_saved:" + at(dataset, node));
  }
  void after_dataset_saved(std::string_view dataset, const Node* node, const Value&) override {
    record("after_dataset_saved:" + at(dataset, node));
  }
  void on_dataset_released(std::string_view dataset) override {
    record("on_dataset_released:" + std::string(dataset));
  }

  std::vector<std::string> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  static std::string at(std::string_view dataset, const Node* node) {
    return std::string(dataset) + "@" + (node != nullptr ? node->name() : "-");
  }
  void record(std::string entry) {
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(entry));
  }

  mutable std::mutex mutex_;
  std::vector<std::string> seen_;
};

}  // namespace sluice::testing
