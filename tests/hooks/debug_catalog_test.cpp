#include <future>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/hooks/debug_catalog.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/recording_dataset.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::int64_t plus_one(std::int64_t x) {
  return x + 1;
}

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 0777U;
}

const DatasetState& state_of(const std::vector<DatasetState>& states, const std::string& name) {
  return *std::find_if(states.begin(), states.end(),
                       [&](const DatasetState& state) { return state.name == name; });
}

// in -> a -> x -> b -> y (persisted) -> c -> z, with the debug_catalog hook.
struct Fixture {
  Fixture() {
    register_builtins(registry);
    hooks->add("debug_catalog", debug);
    catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::int64_t{1})));
    catalog.add("y", y);
    catalog.attach(hooks);
  }

  RunInfo info() const {
    RunInfo run;
    run.run_id = "run-1";
    run.pipeline_name = "__default__";
    run.env = "local";
    run.command = "sluice run --env local";
    run.project = dir.path().string();
    return run;
  }

  testing::TempDir dir;
  Registry registry;
  std::shared_ptr<DebugCatalogHook> debug = std::make_shared<DebugCatalogHook>(
      DebugCatalogOptions{.trace = true, .folder = dir / "postmortem", .redact = {}},
      registry.codecs);
  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  std::shared_ptr<testing::RecordingDataset> y = std::make_shared<testing::RecordingDataset>();
  Catalog catalog;
};

TEST(DebugCatalog, TracesEveryDatasetsStateProducerAndWaitingConsumers) {
  Fixture fixture;
  std::vector<DatasetState> during_c;
  const Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                          node(
                              "c",
                              [&](std::int64_t v) {
                                during_c = fixture.debug->states();
                                return v + 1;
                              },
                              "y", "z")};
  SequentialRunner().run(pipeline, fixture.catalog, fixture.info());
  EXPECT_EQ(state_of(during_c, "in").state, "released");
  EXPECT_EQ(state_of(during_c, "x").state, "released");
  EXPECT_EQ(state_of(during_c, "y").state, "persisted");
  EXPECT_EQ(state_of(during_c, "y").producer, "b");
  EXPECT_THAT(state_of(during_c, "y").remaining_consumers, ElementsAre("c"));
  EXPECT_EQ(state_of(during_c, "z").state, "not produced");
  EXPECT_EQ(state_of(during_c, "in").producer, "");
  EXPECT_TRUE(fixture.debug->last_bundle().empty());  // nothing failed
}

TEST(DebugCatalog, StatesAfterTheRunAreTheRunsEndAndOutliveItsCatalog) {
  const Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                          node("c", plus_one, "y", "z")};
  const auto expect_the_end = [](const std::vector<DatasetState>& states) {
    ASSERT_EQ(states.size(), 4U);
    EXPECT_EQ(state_of(states, "in").state, "released");
    EXPECT_EQ(state_of(states, "x").state, "released");
    EXPECT_EQ(state_of(states, "y").state, "persisted");
    EXPECT_EQ(state_of(states, "z").state, "in memory");  // a free output is kept
    EXPECT_THAT(state_of(states, "y").remaining_consumers, ElementsAre());
  };
  {
    // The catalog is moved away and destroyed: the fixture's own is left empty.
    Fixture fixture;
    SequentialRunner().run(pipeline, fixture.catalog, fixture.info());
    { const Catalog gone = std::move(fixture.catalog); }
    expect_the_end(fixture.debug->states());
  }
  {
    // The catalog is freed (AddressSanitizer reports any read of it).
    Fixture fixture;
    auto catalog = std::make_unique<Catalog>(std::move(fixture.catalog));
    SequentialRunner().run(pipeline, *catalog, fixture.info());
    catalog.reset();
    expect_the_end(fixture.debug->states());
  }
  {
    // A failed run too: the states of its bundle.
    Fixture fixture;
    const Pipeline failing{
        node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
        node(
            "c", [](std::int64_t) -> int { throw std::runtime_error("c cannot cope"); }, "y", "z")};
    EXPECT_THROW(SequentialRunner().run(failing, fixture.catalog, fixture.info()), NodeError);
    { const Catalog gone = std::move(fixture.catalog); }
    const auto states = fixture.debug->states();
    EXPECT_EQ(state_of(states, "y").state, "persisted");
    EXPECT_EQ(state_of(states, "z").state, "not produced");
  }
}

TEST(DebugCatalog, AFailingNodeLeavesABundleToInspectAndReplay) {
  const mode_t umask_before = ::umask(022);  // a usual umask: folders would be 0755
  Fixture fixture;
  const Pipeline pipeline{
      node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
      node(
          "c", [](std::int64_t) -> int { throw std::runtime_error("c cannot cope"); }, "y", "z")};
  EXPECT_THROW(SequentialRunner().run(pipeline, fixture.catalog, fixture.info()), NodeError);

  const fs::path folder = fixture.dir / "postmortem/run-1";
  EXPECT_EQ(fixture.debug->last_bundle(), folder);
  EXPECT_EQ(mode_of(folder), 0700U);
  EXPECT_EQ(mode_of(fixture.dir / "postmortem"), 0700U);  // the folder of bundles too
  EXPECT_EQ(mode_of(folder / "state.json"), 0600U);
  const Bundle bundle = read_bundle(folder);
  EXPECT_EQ(bundle.run_id, "run-1");
  EXPECT_EQ(bundle.failing_node, "c");
  EXPECT_EQ(bundle.phase, "running");
  EXPECT_EQ(bundle.error, "c cannot cope");
  EXPECT_EQ(bundle.project, fixture.dir.path().string());
  EXPECT_EQ(state_of(bundle.datasets, "y").state, "persisted");
  EXPECT_EQ(state_of(bundle.datasets, "z").state, "not produced");
  EXPECT_THAT(bundle.resume_nodes, ElementsAre("c"));  // y is persisted
  EXPECT_EQ(bundle.resume_command, "sluice run --env local --from-nodes \"c\"");
  ASSERT_EQ(bundle.inputs.size(), 1U);
  EXPECT_EQ(bundle.inputs[0].dataset, "y");
  EXPECT_EQ(bundle.inputs[0].codec, "int64");
  EXPECT_EQ(mode_of(folder / bundle.inputs[0].file), 0600U);
  // The saved input is the value c was given (2), readable through its codec.
  const Value saved = BinaryDataset(folder / bundle.inputs[0].file, fixture.registry.codecs).load();
  EXPECT_EQ(saved.get<std::int64_t>(), 3);
  EXPECT_THAT(describe_bundle(bundle),
              AllOf(HasSubstr("failed in node 'c' while running"), HasSubstr("c cannot cope"),
                    HasSubstr("sluice replay"), HasSubstr("--from-nodes \"c\"")));
  ::umask(umask_before);
}

TEST(DebugCatalog, AfterALoadFailureTheBundleResumesAtTheProducer) {
  Fixture fixture;
  fixture.y->fail_load = true;  // b writes y, c cannot read it back: a corrupt file
  const Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                          node("c", plus_one, "y", "z")};
  EXPECT_THROW(SequentialRunner().run(pipeline, fixture.catalog, fixture.info()), NodeError);
  const Bundle bundle = read_bundle(fixture.dir / "postmortem/run-1");
  EXPECT_EQ(bundle.failing_node, "c");
  EXPECT_THAT(bundle.resume_nodes, ElementsAre("a"));  // b re-runs, and x was in memory only
  EXPECT_EQ(bundle.resume_command, "sluice run --env local --from-nodes \"a\"");
}

TEST(DebugCatalog, TheResumeCommandReplacesTheRunsOwnFromNodes) {
  for (const char* given : {"--from-nodes c", "--from-nodes=c"}) {
    Fixture fixture;
    fixture.y->fail_load = true;
    const Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                            node("c", plus_one, "y", "z")};
    RunInfo run = fixture.info();
    run.command = fmt::format("sluice run {} --env local", given);
    EXPECT_THROW(SequentialRunner().run(pipeline, fixture.catalog, run), NodeError);
    EXPECT_EQ(read_bundle(fixture.dir / "postmortem/run-1").resume_command,
              "sluice run --env local --from-nodes \"a\"")
        << given;
  }
}

TEST(DebugCatalog, AFileFromAnEarlierRunIsNotPersistedByThisRun) {
  Fixture fixture;
  fixture.y = std::make_shared<testing::RecordingDataset>(Value::of(std::int64_t{41}));
  fixture.catalog.add("y", fixture.y, true);
  const Pipeline pipeline{
      node("a", plus_one, "in", "x"),
      node(
          "b", [](std::int64_t) -> std::int64_t { throw std::runtime_error("b broke"); }, "x",
          "y")};
  EXPECT_THROW(SequentialRunner().run(pipeline, fixture.catalog, fixture.info()), NodeError);
  const Bundle bundle = read_bundle(fixture.dir / "postmortem/run-1");
  EXPECT_EQ(state_of(bundle.datasets, "y").state, "stale file");
  EXPECT_THAT(describe_bundle(bundle), HasSubstr("stale file"));
}

TEST(DebugCatalog, ATeedValueWrittenAndStillHeldIsPersistedAndInMemory) {
  Fixture fixture;
  auto tee = std::make_shared<TeeHook>(TeeOptions{});
  fixture.hooks->add("tee", tee);
  fixture.catalog.attach(fixture.hooks);  // again, for the tee
  std::vector<DatasetState> during_c;
  const Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                          node(
                              "c",
                              [&](std::int64_t v) {
                                tee->join();  // y is written, and held for c
                                during_c = fixture.debug->states();
                                return v + 1;
                              },
                              "y", "z")};
  SequentialRunner().run(pipeline, fixture.catalog, fixture.info());
  EXPECT_EQ(state_of(during_c, "y").state, "persisted, in memory");
  EXPECT_GT(state_of(during_c, "y").bytes, 0U);
  EXPECT_EQ(state_of(fixture.debug->states(), "y").state, "persisted");  // released since
}

TEST(DebugCatalog, AFailingWriteLeavesABundleToo) {
  // A synchronous save failing: the node's saving phase.
  Fixture fixture;
  fixture.y->fail_save = true;
  const Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y")};
  EXPECT_THROW(SequentialRunner().run(pipeline, fixture.catalog, fixture.info()), NodeError);
  Bundle bundle = read_bundle(fixture.dir / "postmortem/run-1");
  EXPECT_EQ(bundle.failing_node, "b");
  EXPECT_EQ(bundle.phase, "saving its outputs");
  EXPECT_THAT(bundle.error, HasSubstr("disk full"));
  EXPECT_THAT(bundle.resume_nodes, ElementsAre("a"));  // x was in memory only

  // A background write (the tee) failing after every node ran: no failing node.
  Fixture teed;
  teed.y->fail_save = true;
  teed.hooks->add("tee", std::make_shared<TeeHook>(TeeOptions{}));
  teed.catalog.attach(teed.hooks);  // again, for the tee
  EXPECT_THROW(SequentialRunner().run(pipeline, teed.catalog, teed.info()), std::exception);
  bundle = read_bundle(teed.dir / "postmortem/run-1");
  EXPECT_EQ(bundle.failing_node, "");
  EXPECT_THAT(bundle.phase, HasSubstr("background write"));
  EXPECT_THAT(bundle.error, AllOf(HasSubstr("'y'"), HasSubstr("disk full")));
  EXPECT_EQ(state_of(bundle.datasets, "y").state, "missing");
  EXPECT_THAT(bundle.resume_nodes, ElementsAre("a"));
}

TEST(DebugCatalog, ABundleHoldsNoSecret) {
  testing::TempDir dir;
  Registry registry;
  register_builtins(registry);
  registry.dataset_types.add("Vault", [](const DatasetContext& context) {
    DatasetOptions options(context, "Vault");
    options.finish();
    // Holds data derived from its credentials, like a client would.
    return std::make_shared<MemoryDataset>(
        Value::of(std::string("rows read with ") + context.credentials.at("user").as_string()));
  });
  Catalog catalog = make_catalog(
      parse_yaml("records:\n  type: Vault\n  credentials: vault\n", "catalog.yml"),
      parse_yaml("vault:\n  user: reader\n  password: hunter2\n", "credentials.yml"),
      parse_yaml("db:\n  host: db.local\n  password: s3cr3t\napi_token: t0k3n\n", "parameters.yml"),
      registry, {});
  auto debug = std::make_shared<DebugCatalogHook>(
      DebugCatalogOptions{.trace = false, .folder = dir / "postmortem", .redact = {"host"}},
      registry.codecs);
  auto hooks = std::make_shared<HookManager>();
  hooks->add("debug_catalog", debug);
  catalog.attach(hooks);
  const Pipeline pipeline{node(
      "connect",
      [](const std::string&, const Param&, const Param&) -> int {
        throw std::runtime_error("connection refused");
      },
      {"records", "params:db", "parameters"}, "out")};
  RunInfo run;
  run.run_id = "run-2";
  run.command = "sluice run --params db.password=pa55w0rd,api_token=t0k3n";
  EXPECT_THROW(SequentialRunner().run(pipeline, catalog, run), NodeError);

  const fs::path folder = dir / "postmortem/run-2";
  std::string everything;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) {
      everything += read_file(entry.path());
    }
  }
  for (const char* secret : {"hunter2", "s3cr3t", "t0k3n", "pa55w0rd", "db.local"}) {
    EXPECT_THAT(everything, Not(HasSubstr(secret))) << secret;
  }
  const Bundle bundle = read_bundle(folder);
  EXPECT_EQ(bundle.command, "sluice run --params 'db.password=***,api_token=***'");
  EXPECT_EQ(bundle.parameters.at("db").at("password").as_string(), "***");
  EXPECT_EQ(bundle.parameters.at("db").at("host").as_string(), "***");  // redact: [host]
  ASSERT_EQ(bundle.inputs.size(), 3U);
  EXPECT_EQ(bundle.inputs[1].reason, "secrets redacted");
  EXPECT_EQ(bundle.inputs[0].codec, "string");  // data is saved; credentials are not data
}

TEST(DebugCatalog, TheWholeValueOfASecretIsRedactedFromTheCommand) {
  // Quoted as the sluice command records it: the value has a space.
  EXPECT_EQ(redact_command("sluice run --params 'db.password=S3cr3t w0rd2,train_fraction=0.5'"),
            "sluice run --params 'db.password=***,train_fraction=0.5'");
  // Joined without quotes (an embedding program's own command text): up to the next option.
  EXPECT_EQ(redact_command("sluice run --params db.password=S3cr3t w0rd2 more --env local"),
            "sluice run --params 'db.password=***' --env local");
  // A comma, a newline or an '=' inside the value; the --option=value form.
  EXPECT_EQ(redact_command("run --params 'api_token=a,b\nc=d,x=1'"),
            "run --params 'api_token=***,x=1'");
  EXPECT_EQ(redact_command("run --params=db.password=S3cr3t"), "run '--params=db.password=***'");
  EXPECT_EQ(redact_command("run --params \"name=a b\" --env local"),
            "run --params 'name=a b' --env local");
}

TEST(DebugCatalog, BundlesGoUnderTheRunsProjectFolder) {
  Fixture fixture;
  fixture.debug = std::make_shared<DebugCatalogHook>(
      DebugCatalogOptions{.trace = false, .folder = "postmortem", .redact = {}},
      fixture.registry.codecs);
  fixture.hooks = std::make_shared<HookManager>();
  fixture.hooks->add("debug_catalog", fixture.debug);
  fixture.catalog.attach(fixture.hooks);
  const Pipeline pipeline{node(
      "boom", [](std::int64_t) -> std::int64_t { throw std::runtime_error("boom"); }, "in", "out")};
  EXPECT_THROW(SequentialRunner().run(pipeline, fixture.catalog, fixture.info()), NodeError);
  EXPECT_EQ(fixture.debug->last_bundle(), fixture.dir / "postmortem/run-1");
  EXPECT_TRUE(fs::is_regular_file(fixture.dir / "postmortem/run-1/state.json"));
  EXPECT_FALSE(fs::exists("postmortem/run-1"));  // not the current folder
}

TEST(DebugCatalog, OptionsAreChecked) {
  const auto options = DebugCatalogOptions::parse(
      parse_yaml("trace: true\nfolder: pm\nredact: [host]", "hooks.yml"), "debug_catalog");
  EXPECT_TRUE(options.trace);
  EXPECT_EQ(options.folder, "pm");
  EXPECT_THAT(options.redact, ElementsAre("host"));
  EXPECT_THROW(DebugCatalogOptions::parse(parse_yaml("trcae: true", "hooks.yml"), "d"),
               ConfigError);
  EXPECT_THAT([] { read_bundle("/nonexistent"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("not a post-mortem bundle")));
}

}  // namespace
}  // namespace sluice
