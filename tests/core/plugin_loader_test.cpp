#include <dlfcn.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/plugin_loader.hpp>

#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

const fs::path kPlugins = SLUICE_TEST_PLUGIN_DIR;

bool is_loaded(const fs::path& library) {
  void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) {
    return false;
  }
  ::dlclose(handle);
  return true;
}

std::shared_ptr<Hook> make_hook(const Registry& registry, const std::string& name,
                                const Param& options = {}) {
  return registry.hooks.get(name)(HookContext{name, options, nullptr, &registry});
}

TEST(PluginLoader, LoadsByPathAndRegistersHookCodecDatasetTypeAndPipeline) {
  Registry registry;
  PluginLoader loader(registry, {});
  loader.load((kPlugins / "test_plugin.so").string());

  auto hooks = std::make_shared<HookManager>();
  hooks->add("stamp", make_hook(registry, "stamp", parse_yaml("text: hello", "hooks.yml")));
  Catalog catalog;
  catalog.attach(hooks);
  EXPECT_EQ(testing::value_as<std::string>(catalog.load("stamp")), "hello");

  const Codec& codec = registry.codecs.by_name("test_point");
  EXPECT_EQ(codec.encode(codec.decode("3,4")), "3,4");
  EXPECT_TRUE(registry.dataset_types.contains("PluginMemoryDataset"));

  const Pipeline pipeline = registry.pipelines.get("__default__")();
  EXPECT_EQ(testing::value_as<int>(pipeline.nodes()[0].run({Value::of(21)})[0]), 42);
}

TEST(PluginLoader, FindsBareNamesOnTheSearchPathAndLoadsEachFileOnce) {
  Registry registry;
  PluginLoader loader(registry, {"/nonexistent", kPlugins});
  EXPECT_EQ(loader.load("test_plugin"), fs::weakly_canonical(kPlugins / "test_plugin.so"));
  EXPECT_NO_THROW(loader.load("test_plugin"));  // no "already registered" error
  EXPECT_TRUE(registry.hooks.contains("stamp"));
}

TEST(PluginLoader, HookOptionsAreValidatedWithFileAndLine) {
  Registry registry;
  PluginLoader(registry, {kPlugins}).load("test_plugin");
  const Param options = parse_yaml("text: hi\ntxet: typo\n", "conf/base/hooks.yml");
  EXPECT_THAT([&] { make_hook(registry, "stamp", options); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("hook 'stamp'"),
                                               HasSubstr("unknown option 'txet'"),
                                               HasSubstr("conf/base/hooks.yml:2:7"))));
}

TEST(PluginLoader, NotFoundListsTheFoldersSearched) {
  Registry registry;
  PluginLoader loader(registry, {"/opt/a", "/opt/b"});
  EXPECT_THAT([&] { loader.load("tee"); },
              ThrowsMessage<PluginError>(AllOf(HasSubstr("plugin 'tee' not found"),
                                               HasSubstr("/opt/a, /opt/b"),
                                               HasSubstr("SLUICE_PLUGIN_PATH"))));
  EXPECT_THAT([&] { loader.load("/opt/none/tee.so"); },
              ThrowsMessage<PluginError>(HasSubstr("does not exist")));
}

TEST(PluginLoader, RejectsFilesThatAreNotSharedLibraries) {
  testing::TempDir dir;
  const auto fake = dir.write("fake.so", "just text\n");
  Registry registry;
  EXPECT_THAT([&] { PluginLoader(registry, {}).load(fake.string()); },
              ThrowsMessage<PluginError>(HasSubstr("is not a shared library (no ELF header)")));
}

TEST(PluginLoader, ReportsTheDynamicLoadersOwnError) {
  Registry registry;
  EXPECT_THAT([&] { PluginLoader(registry, {kPlugins}).load("unresolved_plugin"); },
              ThrowsMessage<PluginError>(
                  AllOf(HasSubstr("cannot load plugin"),
                        HasSubstr("undefined symbol: sluice_test_symbol_that_does_not_exist"))));
}

TEST(PluginLoader, RejectsLibrariesWithoutTheEntryPoint) {
  Registry registry;
  EXPECT_THAT([&] { PluginLoader(registry, {kPlugins}).load("no_entry_plugin"); },
              ThrowsMessage<PluginError>(
                  AllOf(HasSubstr("is not a sluice plugin"), HasSubstr("sluice_plugin_register"))));
}

TEST(PluginLoader, RejectsAnotherAbiVersionNamingBoth) {
  Registry registry;
  EXPECT_THAT([&] { PluginLoader(registry, {kPlugins}).load("abi_mismatch_plugin"); },
              ThrowsMessage<PluginError>(
                  AllOf(HasSubstr("plugin ABI version 999"),
                        HasSubstr(fmt::format("this sluice has version {}", kPluginAbiVersion)))));
}

TEST(PluginLoader, ATruncatedLibraryIsReportedBeforeDlopenMapsIt) {
  const fs::path original = kPlugins / "test_plugin.so";
  const auto size = fs::file_size(original);
  testing::TempDir dir;
  for (const std::uintmax_t cut :
       {std::uintmax_t{10}, std::uintmax_t{64}, std::uintmax_t{1000}, size / 2, size - 1}) {
    const fs::path truncated = dir / fmt::format("cut_{}.so", cut);
    fs::copy_file(original, truncated);
    fs::resize_file(truncated, cut);
    Registry registry;
    EXPECT_THAT([&] { PluginLoader(registry, {}).load(truncated.string()); },
                ThrowsMessage<PluginError>(AllOf(
                    HasSubstr(fmt::format("'{}' is truncated ({} bytes, the ELF headers need ",
                                          truncated.string(), cut)),
                    HasSubstr("rebuild or reinstall the plugin"))))
        << cut;
  }
}

TEST(PluginLoader, ABareNameEndingInSoIsLookedUpOnTheSearchPathOnly) {
  Registry registry;
  PluginLoader loader(registry, {kPlugins});
  // Not a path: a "test_plugin.so" in the current folder would never be opened.
  EXPECT_EQ(loader.load("test_plugin.so"), fs::weakly_canonical(kPlugins / "test_plugin.so"));
  EXPECT_THAT(
      [&] { loader.load("no_such_plugin.so"); },
      ThrowsMessage<PluginError>(HasSubstr("plugin 'no_such_plugin.so' not found: looked "
                                           "for no_such_plugin.so and libno_such_plugin.so")));
}

TEST(PluginLoader, TheLibraryOutlivesEverythingItCreatedAndUnloadsAfter) {
  const fs::path library = fs::weakly_canonical(kPlugins / "test_plugin.so");
  ASSERT_FALSE(is_loaded(library));
  std::shared_ptr<Hook> hook;
  Pipeline pipeline;
  {
    Registry registry;
    PluginLoader(registry, {kPlugins}).load("test_plugin");
    hook = make_hook(registry, "stamp");
    pipeline = registry.pipelines.get("__default__")();
  }  // registry and loader are gone
  EXPECT_TRUE(is_loaded(library));
  Catalog catalog;
  hook->after_catalog_created(catalog);  // plugin code still runs
  EXPECT_EQ(testing::value_as<std::string>(catalog.load("stamp")), "from plugin");
  EXPECT_EQ(testing::value_as<int>(pipeline.nodes()[0].run({Value::of(1)})[0]), 2);

  catalog = Catalog();  // the plugin made the value held there: drop it first
  hook.reset();
  EXPECT_TRUE(is_loaded(library));  // the pipeline's nodes still hold it
  pipeline = Pipeline();
  EXPECT_FALSE(is_loaded(library));
}

}  // namespace
}  // namespace sluice
