// A hook plugin of the project: after the run, logs which datasets were saved.
//
// Options (hooks.yml):
//   label:  printed with the summary (required)

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>

namespace {

class RunSummaryHook final : public sluice::Hook {
 public:
  explicit RunSummaryHook(std::string label) : label_(std::move(label)) {}

  sluice::Events events() const override {
    return {sluice::Event::after_dataset_saved, sluice::Event::after_pipeline_run};
  }

  void after_dataset_saved(std::string_view dataset, const sluice::Node*,
                           const sluice::Value&) override {
    std::lock_guard lock(mutex_);
    saved_.emplace_back(dataset);
  }

  void after_pipeline_run(const sluice::RunInfo&, const sluice::Pipeline&,
                          const sluice::CatalogView&) override {
    std::lock_guard lock(mutex_);
    std::sort(saved_.begin(), saved_.end());
    sluice::logger().info("run_summary [{}]: saved {}", label_, fmt::join(saved_, ", "));
  }

 private:
  const std::string label_;
  std::mutex mutex_;
  std::vector<std::string> saved_;
};

}  // namespace

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("run_summary", [](const sluice::HookContext& context) {
    sluice::OptionReader options(context.options, fmt::format("hook '{}'", context.name));
    std::string label = options.required_string("label");
    options.finish();
    return std::make_shared<RunSummaryHook>(std::move(label));
  });
}
