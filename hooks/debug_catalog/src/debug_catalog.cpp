#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/hooks/debug_catalog.hpp>

namespace sluice {
namespace fs = std::filesystem;

struct DebugCatalogHook::State {
  mutable std::mutex mutex;
  RunInfo run;
  Pipeline pipeline;
  // The view of the run in progress, for states() between events; the runner keeps its
  // catalog alive until after_pipeline_run or on_pipeline_error, which copy the states into
  // `final_states` and drop it.
  std::optional<CatalogView> catalog;
  std::vector<DatasetState> final_states;
  std::set<std::string> finished;
  std::set<std::string, std::less<>> saved;          // by this run
  std::map<std::string, std::vector<Value>> inputs;  // of nodes running now
  struct Failure {
    std::string node;
    std::string phase;
    std::string error;
    std::vector<Value> inputs;
    // Under --runner mpi, as rank 0 has it from the rank it failed on: that rank, and why an
    // input is missing from `inputs` (a null Value), by input.
    int rank = -1;
    std::vector<std::string> notes;
  };
  std::optional<Failure> failure;
  fs::path last_bundle;
  // A run of several ranks: this rank's share went to rank 0, and (on rank 0) the rows of the
  // datasets other ranks produced, as they saw them.
  int ranks = 1;
  bool posted = false;
  std::map<std::string, DatasetState> remote_rows;
};

namespace {

void owner_only(const fs::path& path, bool folder) {
  using fs::perms;
  fs::permissions(path, folder ? perms::owner_all : perms::owner_read | perms::owner_write);
}

// The run's own command with `--from-nodes` set to the resume nodes: an earlier
// `--from-nodes` of the command is replaced, not followed by a second one.
std::string resume_command(const std::string& command, const std::vector<std::string>& nodes) {
  std::vector<std::string> words;
  const std::vector<std::string> given = shell_words(command);
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (given[i] == "--from-nodes") {
      ++i;  // and its value
    } else if (!given[i].starts_with("--from-nodes=")) {
      words.push_back(shell_quote(given[i]));
    }
  }
  return fmt::format("{} --from-nodes \"{}\"", fmt::join(words, " "), fmt::join(nodes, ","));
}

}  // namespace

DebugCatalogOptions DebugCatalogOptions::parse(const Param& options, const std::string& hook_name) {
  OptionReader reader(options, fmt::format("hook '{}'", hook_name));
  DebugCatalogOptions parsed;
  parsed.trace = reader.flag("trace", false);
  if (const auto folder = reader.optional_string("folder")) {
    parsed.folder = *folder;
  }
  parsed.redact = reader.strings("redact", {});
  reader.finish();
  return parsed;
}

DebugCatalogHook::DebugCatalogHook(DebugCatalogOptions options, const CodecRegistry& codecs)
    : options_(std::move(options)), codecs_(codecs), state_(std::make_unique<State>()) {}

DebugCatalogHook::~DebugCatalogHook() = default;

Events DebugCatalogHook::events() const {
  return {Event::before_rank_run,     Event::before_node_run,    Event::after_node_run,
          Event::after_dataset_saved, Event::on_node_error,      Event::after_rank_run,
          Event::on_rank_error,       Event::after_pipeline_run, Event::on_pipeline_error};
}

void DebugCatalogHook::before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                                       const CatalogView& catalog) {
  std::lock_guard lock(state_->mutex);
  state_->run = run;
  if (state_->run.run_id.empty()) {
    state_->run.run_id = make_run_id(system_clock());
  }
  state_->pipeline = pipeline;
  state_->catalog = catalog;
  state_->final_states.clear();
  state_->finished.clear();
  state_->saved.clear();
  state_->inputs.clear();
  state_->failure.reset();
  state_->ranks = run.ranks;
  state_->posted = false;
  state_->remote_rows.clear();
}

void DebugCatalogHook::before_node_run(const Node& node, const CatalogView&,
                                       std::vector<Value>& inputs) {
  std::lock_guard lock(state_->mutex);
  state_->inputs[node.name()] = inputs;  // shared values: no copies
}

void DebugCatalogHook::after_node_run(const Node& node, const CatalogView& catalog,
                                      const std::vector<Value>&, const std::vector<Value>&) {
  {
    std::lock_guard lock(state_->mutex);
    state_->inputs.erase(node.name());
    state_->finished.insert(node.name());
  }
  if (!options_.trace) {
    return;
  }
  // Outputs are saved after this event: the table shows the catalog as the node found it plus
  // what it just finished.
  auto& log = logger();
  log.info("Catalog after node '{}':", node.name());
  std::vector<DatasetState> now;
  {
    std::lock_guard lock(state_->mutex);
    now = states_of(*state_, catalog);
  }
  for (const auto& row : dataset_table(now)) {
    log.info("  {}", row);
  }
}

void DebugCatalogHook::after_dataset_saved(std::string_view dataset, const Node*, const Value&) {
  std::lock_guard lock(state_->mutex);
  if (!state_->saved.contains(dataset)) {
    state_->saved.emplace(dataset);
  }
}

void DebugCatalogHook::on_node_error(const Node& node, const CatalogView&,
                                     const std::exception& error, NodePhase phase) {
  std::lock_guard lock(state_->mutex);
  if (state_->failure) {
    return;  // the first failure is the one that failed the run
  }
  State::Failure failure;
  failure.node = node.name();
  failure.phase = std::string(phase_name(phase));
  failure.error = error.what();
  if (const auto inputs = state_->inputs.find(node.name()); inputs != state_->inputs.end()) {
    failure.inputs = inputs->second;
  }
  state_->failure = std::move(failure);
}

std::vector<DatasetState> DebugCatalogHook::states() const {
  std::lock_guard lock(state_->mutex);
  if (!state_->catalog) {
    return state_->final_states;  // the run is over (or never began)
  }
  return states_of(*state_, *state_->catalog);
}

void DebugCatalogHook::after_pipeline_run(const RunInfo& run, const Pipeline&,
                                          const CatalogView& catalog) {
  try {
    merge_shares(run, nullptr);
  } catch (const std::exception& error) {  // an observer does not fail a run that succeeded
    logger().warn("debug_catalog: could not read what the ranks sent: {}", error.what());
  }
  std::lock_guard lock(state_->mutex);
  try {
    state_->final_states = states_of(*state_, catalog);
  } catch (const std::exception& error) {  // an observer does not fail a run that succeeded
    logger().warn("debug_catalog: could not read the datasets' states at the end of the run: {}",
                  error.what());
  }
  state_->catalog.reset();  // the run is over: its catalog may go
}

// The states of the datasets of the run `state` follows, as `catalog` has them now. Call with
// state.mutex held.
std::vector<DatasetState> DebugCatalogHook::states_of(const State& state,
                                                      const CatalogView& catalog) {
  std::vector<DatasetState> table;
  const Pipeline& pipeline = state.pipeline;
  std::set<std::string> names(pipeline.all_inputs().begin(), pipeline.all_inputs().end());
  names.insert(pipeline.all_outputs().begin(), pipeline.all_outputs().end());
  for (const auto& name : names) {
    DatasetState row;
    row.name = name;
    if (const auto producer = pipeline.producer_of(name)) {
      row.producer = pipeline.nodes()[*producer].name();
    }
    for (const std::size_t consumer : pipeline.consumers_of(name)) {
      const auto& consumer_name = pipeline.nodes()[consumer].name();
      if (!state.finished.contains(consumer_name)) {
        row.remaining_consumers.push_back(consumer_name);
      }
    }
    if (Catalog::is_parameter(name)) {
      row.state = "parameter";
    } else if (!catalog.contains(name)) {
      row.state = "missing";
    } else {
      row.type = catalog.describe(name);
      const std::vector<Value> values = catalog.held_values(name);
      row.bytes = distinct_bytes(values);
      const bool produced = row.producer.empty() || state.finished.contains(row.producer);
      // A produced dataset's file counts as persisted only if this run wrote it; a free
      // input's file is the run's data.
      const bool written_here = row.producer.empty() || state.saved.contains(name);
      const bool ephemeral = catalog.is_ephemeral(name);
      const bool file = !ephemeral && catalog.exists(name);
      if (catalog.write_pending(name)) {
        row.state = "write pending";
      } else if (file && written_here) {
        row.state = values.empty() ? "persisted" : "persisted, in memory";
      } else if (!values.empty()) {
        row.state = "in memory";
      } else if (file) {
        row.state = "stale file";
      } else {
        row.state = produced ? (ephemeral ? "released" : "missing") : "not produced";
      }
    }
    // Under --runner mpi, a dataset another rank produced is as that rank saw it.
    if (const auto remote = state.remote_rows.find(name); remote != state.remote_rows.end()) {
      row.state = remote->second.state;
      row.bytes = remote->second.bytes;
      row.type = remote->second.type;
      row.rank = remote->second.rank;
    }
    table.push_back(std::move(row));
  }
  return table;
}

namespace {

constexpr std::string_view kShareKey = "debug_catalog";
constexpr std::string_view kInputKey = "debug_catalog/input";
constexpr std::string_view kSameBuild = "run every rank with the same sluice build";

}  // namespace

void DebugCatalogHook::after_rank_run(const RunInfo& run, const Pipeline&,
                                      const CatalogView& catalog) {
  post_share(run, catalog);
}

void DebugCatalogHook::on_rank_error(const RunInfo& run, const Pipeline&,
                                     const CatalogView& catalog, const std::exception&) {
  post_share(run, catalog);
}

void DebugCatalogHook::post_share(const RunInfo& run, const CatalogView& catalog) {
  if (run.ranks <= 1 || run.mail == nullptr) {
    return;  // one process: the pipeline events see everything
  }
  std::set<std::string> produced_here;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->posted) {
      return;  // on_rank_error after a failed after_rank_run
    }
    state_->posted = true;
    for (const auto& node : state_->pipeline.nodes()) {
      if (state_->finished.contains(node.name())) {
        produced_here.insert(node.outputs().begin(), node.outputs().end());
      }
    }
  }
  // The state this rank leaves its datasets in, once the writes it started ended (the tee
  // joins them in its own rank event, which may come after this hook's).
  for (const auto& name : produced_here) {
    if (catalog.contains(name) && catalog.write_pending(name)) {
      catalog.wait_for_writes(name);
    }
  }
  Json share = Json::object();
  std::vector<std::string> input_bytes;
  {
    std::lock_guard lock(state_->mutex);
    share["finished"] = state_->finished;
    share["saved"] = std::vector<std::string>(state_->saved.begin(), state_->saved.end());
    Json rows = Json::array();
    try {
      state_->final_states = states_of(*state_, catalog);
      for (const auto& row : state_->final_states) {
        if (produced_here.contains(row.name)) {
          rows.push_back(
              {{"name", row.name}, {"state", row.state}, {"bytes", row.bytes}, {"type", row.type}});
        }
      }
    } catch (const std::exception& error) {
      logger().warn("debug_catalog: rank {} could not read its datasets' states: {}", run.rank,
                    error.what());
    }
    share["datasets"] = std::move(rows);
    if (state_->failure) {
      const State::Failure& failure = *state_->failure;
      Json inputs = Json::array();
      for (const Value& value : failure.inputs) {
        const Codec* codec = value ? codecs_.find(value.type()) : nullptr;
        if (!value) {
          inputs.push_back({{"note", "not loaded: the node failed while loading its inputs"}});
        } else if (codec == nullptr) {
          inputs.push_back({{"note", fmt::format("no codec for {}; register one to have it saved",
                                                 value.type_name())}});
        } else {
          inputs.push_back({{"codec", codec->name}, {"post", input_bytes.size()}});
          input_bytes.push_back(codec->encode(value));
        }
      }
      share["failure"] = {{"node", failure.node},
                          {"phase", failure.phase},
                          {"error", failure.error},
                          {"inputs", std::move(inputs)}};
    }
    if (run.rank != 0) {
      state_->catalog.reset();  // this rank's share is over: its catalog may go
    }
  }
  run.mail->post(kShareKey, share.dump());
  for (auto& bytes : input_bytes) {
    run.mail->post(kInputKey, std::move(bytes));
  }
}

void DebugCatalogHook::merge_shares(const RunInfo& run, const std::exception* error) {
  if (run.ranks <= 1 || run.mail == nullptr) {
    return;
  }
  std::map<int, std::vector<std::string>> inputs_by_rank;
  for (auto& [rank, bytes] : run.mail->received(kInputKey)) {
    inputs_by_rank[rank].push_back(std::move(bytes));
  }
  std::set<std::string> finished;
  std::set<std::string, std::less<>> saved;
  std::map<std::string, DatasetState> rows;
  std::vector<State::Failure> failures;
  for (const auto& [rank, bytes] : run.mail->received(kShareKey)) {
    const std::string source = fmt::format("the debug_catalog state of rank {}", rank);
    try {
      const Json share = parse_json(bytes, source, kSameBuild);
      for (const Json& node : share.at("finished")) {
        finished.insert(node.get<std::string>());
      }
      for (const Json& name : share.at("saved")) {
        saved.insert(name.get<std::string>());
      }
      for (const Json& row : share.at("datasets")) {
        DatasetState state;
        state.name = row.at("name").get<std::string>();
        state.state = row.at("state").get<std::string>();
        state.bytes = row.at("bytes").get<std::uint64_t>();
        state.type = row.at("type").get<std::string>();
        state.rank = rank;
        rows[state.name] = std::move(state);
      }
      if (const auto at = share.find("failure"); at != share.end()) {
        State::Failure failure;
        failure.node = at->at("node").get<std::string>();
        failure.phase = at->at("phase").get<std::string>();
        failure.error = at->at("error").get<std::string>();
        failure.rank = rank;
        const auto& posted = inputs_by_rank[rank];
        for (const Json& input : at->at("inputs")) {
          if (const auto post = input.find("post"); post != input.end()) {
            const auto index = post->get<std::size_t>();
            if (index >= posted.size()) {
              throw Error(fmt::format("input {} of node '{}' was not sent", index, failure.node));
            }
            failure.inputs.push_back(
                codecs_.by_name(input.at("codec").get<std::string>()).decode(posted[index]));
            failure.notes.emplace_back();
          } else {
            failure.inputs.emplace_back();
            failure.notes.push_back(input.at("note").get<std::string>());
          }
        }
        failures.push_back(std::move(failure));
      }
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& failure) {
      throw Error(fmt::format("{} does not read ({}); {}", source, failure.what(), kSameBuild));
    }
  }
  // The failure that failed the run: the one whose node the run's error names first (the
  // runner reports the first failure it saw, and lists the others after it).
  std::optional<State::Failure> chosen;
  std::size_t chosen_at = std::string::npos;
  const std::string message = error != nullptr ? error->what() : "";
  for (auto& failure : failures) {
    const std::size_t at = message.find(fmt::format("'{}'", failure.node));
    if (!chosen ||
        (at != std::string::npos && (chosen_at == std::string::npos || at < chosen_at))) {
      chosen_at = at;
      chosen = std::move(failure);
    }
  }
  std::lock_guard lock(state_->mutex);
  state_->finished.insert(finished.begin(), finished.end());
  state_->saved.insert(saved.begin(), saved.end());
  state_->remote_rows = std::move(rows);
  if (chosen) {
    state_->failure = std::move(chosen);
  }
}

fs::path DebugCatalogHook::last_bundle() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_bundle;
}

void DebugCatalogHook::on_pipeline_error(const RunInfo& run_info, const Pipeline& pipeline,
                                         const CatalogView& catalog, const std::exception& error) {
  try {
    merge_shares(run_info, &error);
  } catch (const std::exception& failure) {
    logger().error(
        "debug_catalog: could not read what the ranks sent (the bundle has this "
        "rank's view only): {}",
        failure.what());
  }
  Bundle bundle;
  std::vector<Value> failing_inputs;
  std::vector<std::string> input_notes;
  {
    std::lock_guard lock(state_->mutex);
    const RunInfo& run = state_->run;
    bundle.run_id = run.run_id;
    bundle.pipeline = run.pipeline_name;
    bundle.env = run.env;
    bundle.runner = run.runner;
    bundle.command = redact_command(run.command, options_.redact);
    bundle.project = run.project.empty() ? fs::current_path().string() : run.project;
    bundle.folder = project_path(run, options_.folder) / bundle.run_id;
    if (state_->failure) {
      bundle.failing_node = state_->failure->node;
      bundle.failing_rank = state_->failure->rank;
      bundle.phase = state_->failure->phase;
      failing_inputs = state_->failure->inputs;
      input_notes = state_->failure->notes;
    } else {
      bundle.phase = "after its nodes (a background write, or a hook)";
    }
  }
  {
    std::lock_guard lock(state_->mutex);
    // The node's own error when a node failed (the run's adds the resume suggestion).
    bundle.error = state_->failure ? state_->failure->error : std::string(error.what());
  }
  {
    std::lock_guard lock(state_->mutex);
    state_->catalog.reset();  // the run is over: its catalog may go
    bundle.datasets = states_of(*state_, catalog);
    state_->final_states = bundle.datasets;
  }
  // The runner's suggestion (which knows which inputs failed to load), when it made one.
  if (const auto* resumable = dynamic_cast<const ResumableError*>(&error)) {
    bundle.resume_nodes = resumable->resume_nodes();
  }
  if (!bundle.resume_nodes.empty()) {
    bundle.resume_command = resume_command(
        bundle.command.empty() ? "sluice run --pipeline " + bundle.pipeline : bundle.command,
        bundle.resume_nodes);
  }
  try {
    if (const auto parameters = catalog.parameters()) {
      bundle.parameters = redact(*parameters, options_.redact);
    }
  } catch (const std::exception&) {  // unreadable: left out
  }

  try {
    // The folder of bundles is private too when this hook creates it (not a folder of the
    // user's own): its listing names runs and when they failed.
    if (const auto bundles = bundle.folder.parent_path();
        !bundles.empty() && !fs::exists(bundles)) {
      fs::create_directories(bundles);
      owner_only(bundles, true);
    }
    fs::create_directories(bundle.folder / "inputs");
    owner_only(bundle.folder, true);
    owner_only(bundle.folder / "inputs", true);
    if (!bundle.failing_node.empty()) {
      const auto& nodes = pipeline.nodes();
      const auto node = std::find_if(nodes.begin(), nodes.end(), [&](const Node& candidate) {
        return candidate.name() == bundle.failing_node;
      });
      const auto& names = node->inputs();
      for (std::size_t i = 0; i < names.size(); ++i) {
        SavedInput input;
        input.dataset = names[i];
        if (i >= failing_inputs.size() || !failing_inputs[i]) {
          input.reason = i < input_notes.size() && !input_notes[i].empty()
                             ? input_notes[i]
                             : "not loaded: the node failed while loading its inputs";
          bundle.inputs.push_back(std::move(input));
          continue;
        }
        Value value = failing_inputs[i];
        if (value.holds<Param>()) {
          const Param redacted = redact(value.get<Param>(), options_.redact);
          if (!(redacted == value.get<Param>())) {
            value = Value::of(redacted);
            input.reason = "secrets redacted";
          }
        }
        const Codec* codec = codecs_.find(value.type());
        if (codec == nullptr) {
          input.reason =
              fmt::format("no codec for {}; register one to have it saved", value.type_name());
          bundle.inputs.push_back(std::move(input));
          continue;
        }
        input.file = fmt::format("inputs/{}.bin", i);
        input.codec = codec->name;
        BinaryDataset(bundle.folder / input.file, codecs_).save(value);
        owner_only(bundle.folder / input.file, false);
        bundle.inputs.push_back(std::move(input));
      }
    }
    write_file_atomically(bundle.folder / "state.json", bundle_json(bundle),
                          FileAccess::owner_only);
    {
      std::lock_guard lock(state_->mutex);
      state_->last_bundle = bundle.folder;
    }
    logger().error("Post-mortem bundle written to '{}': sluice inspect {}", bundle.folder.string(),
                   bundle.folder.string());
  } catch (const std::exception& failure) {
    logger().error("debug_catalog: could not write the post-mortem bundle to '{}': {}",
                   bundle.folder.string(), failure.what());
  }
}

}  // namespace sluice
