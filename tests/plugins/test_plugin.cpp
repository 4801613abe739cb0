// A plugin exercising every registration: a hook with options, a codec for a type only the
// plugin knows, a dataset type and a project pipeline.

#include <string>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>

namespace {

struct Point {
  int x = 0;
  int y = 0;
};

// Adds a dataset "stamp" to the catalog, holding the `text` option.
class StampHook : public sluice::Hook {
 public:
  explicit StampHook(std::string text) : text_(std::move(text)) {}
  sluice::Events events() const override { return {sluice::Event::after_catalog_created}; }
  void after_catalog_created(sluice::Catalog& catalog) override {
    catalog.add("stamp", std::make_shared<sluice::MemoryDataset>(sluice::Value::of(text_)), true);
  }

 private:
  std::string text_;
};

}  // namespace

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("stamp", [](const sluice::HookContext& context) {
    sluice::OptionReader options(context.options, "hook '" + context.name + "'");
    auto text = options.optional_string("text").value_or("from plugin");
    options.finish();
    return std::make_shared<StampHook>(std::move(text));
  });
  registrar.add_codec(sluice::make_codec<Point>(
      "test_point", [](const Point& p) { return std::to_string(p.x) + "," + std::to_string(p.y); },
      [](std::string_view bytes) {
        const auto comma = bytes.find(',');
        return Point{std::stoi(std::string(bytes.substr(0, comma))),
                     std::stoi(std::string(bytes.substr(comma + 1)))};
      }));
  registrar.add_dataset_type("PluginMemoryDataset", [](const sluice::DatasetContext& context) {
    sluice::DatasetOptions(context, "PluginMemoryDataset").finish();
    return std::make_shared<sluice::MemoryDataset>();
  });
  registrar.add_pipeline("__default__", [] {
    return sluice::Pipeline{sluice::node(
        "double", [](int x) { return 2 * x; }, "x", "y")};
  });
}
