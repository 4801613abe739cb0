// A hook that holds a run at one dataset load or save until the test lets it go: a test can
// then change the world (stop a server) at an exact point of a real `sluice run`.
//
//   hooks:
//     - name: gate
//       options: {dataset: y_pred, before: save, reached: /tmp/reached, release: /tmp/release}
//
// Before the first load (`before: load`, the default) or save (`before: save`) of `dataset`
// the hook creates the file `reached` and waits until the file `release` exists (at most
// `timeout_seconds`, default 60; then the run fails).
//
// The pipeline `big_object` writes `big_object` (`params:big_object_mib` MiB of a known
// pattern), then reads it back and fails unless every byte is as written: a dataset large
// enough for a multipart upload, with a run that checks what it loads.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/plugin.hpp>

namespace {

class GateHook : public sluice::Hook {
 public:
  GateHook(std::string dataset, bool on_save, std::filesystem::path reached,
           std::filesystem::path release, std::chrono::seconds timeout)
      : dataset_(std::move(dataset)),
        on_save_(on_save),
        reached_(std::move(reached)),
        release_(std::move(release)),
        timeout_(timeout) {}

  sluice::Events events() const override {
    return {on_save_ ? sluice::Event::before_dataset_saved : sluice::Event::before_dataset_loaded};
  }

  void before_dataset_loaded(std::string_view dataset, const sluice::Node*) override {
    hold(dataset);
  }
  void before_dataset_saved(std::string_view dataset, const sluice::Node*,
                            const sluice::Value&) override {
    hold(dataset);
  }

 private:
  void hold(std::string_view dataset) {
    if (dataset != dataset_ || passed_.exchange(true))
      return;
    std::ofstream(reached_) << "reached\n";
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (!std::filesystem::exists(release_)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw sluice::Error("hook 'gate': '" + release_.string() + "' did not appear in time");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string dataset_;
  bool on_save_;
  std::filesystem::path reached_;
  std::filesystem::path release_;
  std::chrono::seconds timeout_;
  std::atomic<bool> passed_{false};
};

std::string big_object(std::int64_t mib) {
  std::string bytes(static_cast<std::size_t>(mib) << 20, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>('a' + (i * 7 + i / 4099) % 26);
  return bytes;
}

}  // namespace

SLUICE_PLUGIN(registrar) {
  registrar.add_pipeline("big_object", [] {
    return sluice::Pipeline{
        sluice::node(
            "write_big_object", [](const sluice::Param& mib) { return big_object(mib.as_int()); },
            "params:big_object_mib", "big_object"),
        sluice::node("check_big_object",
                     [](const std::string& loaded, const sluice::Param& mib) {
                       if (loaded != big_object(mib.as_int()))
                         throw std::runtime_error("big_object did not load as it was written");
                     },
                     {"big_object", "params:big_object_mib"}, {}),
    };
  });
  registrar.add_hook("gate", [](const sluice::HookContext& context) {
    sluice::OptionReader options(context.options, "hook '" + context.name + "'");
    auto dataset = options.required_string("dataset");
    const bool on_save = options.choice("before", {"load", "save"}, "load") == "save";
    auto reached = options.required_string("reached");
    auto release = options.required_string("release");
    const auto timeout = options.integer("timeout_seconds", 60, 1, 3600);
    options.finish();
    return std::make_shared<GateHook>(std::move(dataset), on_save, std::move(reached),
                                      std::move(release), std::chrono::seconds(timeout));
  });
}
