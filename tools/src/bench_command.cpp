#include "bench_command.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include <sluice/bench/report.hpp>
#include <sluice/bench/scenarios.hpp>
#include <sluice/bench/slow_storage.hpp>
#include <sluice/bench/sweep.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/util/suggest.hpp>
#include <sluice/core/util/units.hpp>

#include "bench_mpi.hpp"
#include "bench_plot.hpp"
#include "bench_project.hpp"
#include "bench_trace.hpp"
#include "data_folder.hpp"
#include "slowfs_mount.hpp"

namespace sluice::cli {
namespace {

using Seconds = std::chrono::duration<double>;

std::string describe_point(const bench::BenchPoint& point) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : point.swept) {
    parts.push_back(fmt::format("{}={}", name, bench::format_parameter(name, value)));
  }
  return fmt::format("{}", fmt::join(parts, " "));
}

// Storage profiles: the `storage` map of bench.yml in sluice's own conf/, overlaid by the
// project's (for the iris and project scenarios).
Param storage_profiles(const Session* session) {
  Param profiles = Param(Param::Map{});
  auto merge = [&](const Param& bench) {
    if (const Param* storage = bench.find("storage")) {
      if (!storage->is_map()) {
        throw ConfigError(
            fmt::format("{}: 'storage' must map profile names to "
                        "{{read_latency, write_latency, bandwidth, jitter}}",
                        storage->mark().str()));
      }
      for (const auto& [name, profile] : storage->as_map()) {
        profiles.set(name, profile);
      }
    }
  };
  if (const auto framework = data_folder() / "conf";
      std::filesystem::is_directory(framework / "base")) {
    merge(ConfigLoader(framework).get("bench"));
  }
  if (session != nullptr) {
    merge(session->conf().get("bench"));
  }
  return profiles;
}

std::string scale_note(double scale) {
  const double real_ms = scale * 1000;
  return fmt::format("1 simulated second runs in {:g} ms", real_ms);
}

// The scenario: a project (iris is the example project) or a generated one.
class Scenario {
 public:
  explicit Scenario(const BenchFlags& flags) {
    if (flags.scenario == "iris" || flags.scenario == "project") {
      SessionOptions options = flags.project.session();
      if (flags.scenario == "iris") {
        options.project = iris_project();
      }
      session_.emplace(std::move(options));
      factory_ = project_workload(*session_, flags.pipeline);
      described_ =
          fmt::format("pipeline '{}' of project '{}' ({}), its own catalog", flags.pipeline,
                      session_->project().name, session_->project().root.string());
    } else {
      plugins_.emplace(std::vector<std::filesystem::path>{}, flags.project.session().registrations);
      factory_ = bench::generated_workload(flags.scenario);
      described_ = "generated; every intermediate persisted";
    }
  }

  /// The project's session; null for a generated scenario.
  const Session* session() const { return session_ ? &*session_ : nullptr; }
  /// What owns the registry the strategies' hooks come from.
  Plugins& plugins() { return session_ ? session_->plugins() : *plugins_; }
  const bench::WorkloadFactory& factory() const { return factory_; }
  const std::string& described() const { return described_; }

 private:
  std::optional<Session> session_;
  std::optional<Plugins> plugins_;
  bench::WorkloadFactory factory_;
  std::string described_;
};

// A real backend, as --storage-url/--credentials or a bench.yml profile with `url:` name it.
struct BackendSpec {
  std::string url;
  std::string credentials;  // a name in credentials.yml; empty: none
  Param fs_args;
  std::string where;              // names the url for errors: "--storage-url", "<file:line>: ..."
  std::string credentials_where;  // names the credentials for errors
};

// The storage profile `name` of bench.yml. `has_write_latency`: whether it sets one.
// A profile with `url:` names a real backend instead: it fills `backend`.
bench::StorageProfile named_storage_profile(const std::string& name, const Session* session,
                                            bool& has_write_latency,
                                            std::optional<BackendSpec>& backend) {
  const Param profiles = storage_profiles(session);
  const Param* profile = profiles.find(name);
  if (profile == nullptr) {
    std::vector<std::string> names;
    for (const auto& [known, entry] : profiles.as_map()) {
      names.push_back(known);
    }
    throw ConfigError(fmt::format(
        "--storage: unknown storage profile '{}'{}; the profiles (sluice's {} and the "
        "project's conf/base/bench.yml) are: {}",
        name, did_you_mean(name, names), (data_folder() / "conf" / "base" / "bench.yml").string(),
        names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
  }
  OptionReader reader(*profile, fmt::format("storage profile '{}'", name));
  if (profile->is_map() && profile->find("url") != nullptr) {
    BackendSpec spec;
    spec.url = reader.required_string("url");
    spec.where = reader.where("url");
    if (const auto credentials = reader.optional_string("credentials")) {
      spec.credentials = *credentials;
      spec.credentials_where = reader.where("credentials");
    }
    if (const Param* fs_args = reader.optional_map("fs_args")) {
      spec.fs_args = *fs_args;
    }
    for (const char* simulated :
         {"read_latency", "write_latency", "bandwidth", "jitter", "failure_rate", "seed"}) {
      if (profile->find(simulated) != nullptr) {
        throw ConfigError(fmt::format(
            "{}: storage profile '{}' has a `url:`, so it names a real backend, which has its "
            "own latency and bandwidth (measured and reported); remove '{}', or remove `url:` "
            "to simulate storage",
            profile->find(simulated)->mark().str(), name, simulated));
      }
    }
    reader.optional_string("description");
    reader.finish();
    backend = std::move(spec);
    return {};
  }
  has_write_latency = profile->find("write_latency") != nullptr;
  const bench::StorageProfile read = bench::read_storage_profile(reader);
  reader.optional_string("description");
  reader.finish();
  return read;
}

// What a bench runs: its points (the base, varied by the sweeps) and its settings.
struct BenchPlan {
  bench::BenchPoint base;
  // The write latency is the read latency's, wherever that is varied.
  bool write_follows_read = true;
  std::vector<bench::Sweep> sweeps;
  std::vector<bench::BenchPoint> points;
  bench::BenchSettings settings;
  // A real backend instead of simulated storage (--storage-url, or a profile with `url:`).
  std::optional<BackendSpec> backend;
  // --storage slowfs[:PROFILE]: each point's storage profile is a `sluice slowfs` mount.
  bool slowfs = false;

  bool swept(const std::string& parameter) const {
    return std::any_of(sweeps.begin(), sweeps.end(),
                       [&](const auto& sweep) { return sweep.parameter == parameter; });
  }
  // What the header shows for a parameter: "swept", or its `fixed` value.
  std::string shown(const std::string& parameter, const std::string& fixed) const {
    return swept(parameter) ? std::string("swept") : fixed;
  }
};

// Storage: a profile from bench.yml, then the options given; compute and workers.
void plan_base_point(const BenchFlags& flags, const Session* session, BenchPlan& plan) {
  bench::BenchPoint& base = plan.base;
  plan.write_follows_read = flags.write_latency.empty();
  std::string profile_name = flags.storage;
  if (profile_name == "slowfs" || profile_name.starts_with("slowfs:")) {
    plan.slowfs = true;
    profile_name = profile_name == "slowfs" ? std::string() : profile_name.substr(7);
    if (!flags.storage_url.empty()) {
      throw ConfigError(fmt::format(
          "--storage {} mounts a slow filesystem of its own; --storage-url '{}' names another "
          "backend: give one of them",
          flags.storage, flags.storage_url));
    }
    if (flags.time_scale != 0 && flags.time_scale != 1) {
      throw ConfigError(fmt::format(
          "--storage {} runs on a real filesystem, in real time: --time-scale {:g} cannot apply; "
          "drop it, or drop --storage {} to simulate storage",
          flags.storage, flags.time_scale, flags.storage));
    }
  }
  if (!profile_name.empty()) {
    bool has_write_latency = false;
    base.profile = named_storage_profile(profile_name, session, has_write_latency, plan.backend);
    plan.write_follows_read = plan.write_follows_read && !has_write_latency;
    if (plan.slowfs && plan.backend) {
      throw ConfigError(fmt::format(
          "--storage {}: profile '{}' names a real backend ({}), not latencies a slow filesystem "
          "could charge; give a simulated profile (read_latency, ...) after slowfs:",
          flags.storage, profile_name, plan.backend->where));
    }
  }
  if (!flags.storage_url.empty()) {
    if (plan.backend) {
      throw ConfigError(fmt::format(
          "--storage-url '{}' and --storage '{}' both name a real backend ({}); give one of them",
          flags.storage_url, flags.storage, plan.backend->where));
    }
    if (!flags.storage.empty()) {
      throw ConfigError(fmt::format(
          "--storage-url '{}' runs on a real backend, but --storage '{}' is a simulated profile "
          "(latencies); drop --storage, or drop --storage-url to simulate",
          flags.storage_url, flags.storage));
    }
    plan.backend = BackendSpec{flags.storage_url, flags.credentials, Param(), "--storage-url",
                               "--credentials"};
  } else if (!flags.credentials.empty()) {
    if (!plan.backend) {
      throw ConfigError(fmt::format(
          "--credentials '{}' is for a real backend: give --storage-url (s3://bucket/prefix, "
          "file://..., memory://...) or a --storage profile with `url:`",
          flags.credentials));
    }
    plan.backend->credentials = flags.credentials;
    plan.backend->credentials_where = "--credentials";
  }
  if (plan.backend) {
    const bool by_url = !flags.storage_url.empty();  // else a bench.yml profile with url:
    std::vector<std::string> simulated;
    for (const auto& [flag, value] :
         {std::pair<const char*, const std::string*>{"--read-latency", &flags.read_latency},
          {"--write-latency", &flags.write_latency},
          {"--bandwidth", &flags.bandwidth},
          {"--jitter", &flags.jitter}}) {
      if (!value->empty()) {
        simulated.emplace_back(flag);
      }
    }
    if (flags.time_scale != 0) {
      simulated.emplace_back("--time-scale");
    }
    if (!simulated.empty()) {
      throw ConfigError(fmt::format(
          "{} '{}' runs on a real backend, which has its own latency and bandwidth (measured and "
          "reported), so {} cannot apply; drop {}, or drop {} to simulate storage",
          by_url ? "--storage-url" : "--storage", by_url ? flags.storage_url : flags.storage,
          fmt::join(simulated, ", "), simulated.size() == 1 ? "it" : "them",
          by_url ? "--storage-url" : "the profile's url"));
    }
  } else if (flags.keep) {
    throw ConfigError(
        "--keep keeps the objects written on a real backend: give --storage-url as well");
  }
  if (!flags.read_latency.empty()) {
    base.profile.read_latency = parse_duration(flags.read_latency, "--read-latency");
  }
  if (!flags.write_latency.empty()) {
    base.profile.write_latency = parse_duration(flags.write_latency, "--write-latency");
  } else if (plan.write_follows_read) {
    base.profile.write_latency = base.profile.read_latency;
  }
  if (!flags.jitter.empty()) {
    base.profile.jitter = parse_duration(flags.jitter, "--jitter");
  }
  if (!flags.bandwidth.empty()) {
    base.profile.bandwidth =
        flags.bandwidth == "unlimited" ? 0 : parse_rate(flags.bandwidth, "--bandwidth");
  }
  base.compute = parse_duration(flags.compute, "--compute");
  base.workers = flags.workers > 0 ? flags.workers
                                   : std::max<std::size_t>(1, std::thread::hardware_concurrency());
  base.tee_writers = flags.tee_writers;
  if (!flags.tee_budget.empty()) {
    base.tee_budget = parse_size(flags.tee_budget, "--tee-budget");
    if (base.tee_budget == 0) {
      throw ConfigError("--tee-budget: must be more than 0 (the bytes the tee may hold)");
    }
  }
}

void plan_points(const BenchFlags& flags, BenchPlan& plan) {
  for (const auto& text : flags.sweeps) {
    plan.sweeps.push_back(bench::parse_sweep(text));
  }
  if (plan.backend) {
    for (const char* parameter : {"read-latency", "write-latency", "bandwidth"}) {
      if (plan.swept(parameter)) {
        throw ConfigError(fmt::format(
            "--sweep {}: a real backend ({} '{}') has its own latency and bandwidth; sweep "
            "compute or workers, or drop the backend to simulate storage",
            parameter, plan.backend->where, plan.backend->url));
      }
    }
  }
  plan.write_follows_read = plan.write_follows_read && !plan.swept("write-latency");
  plan.points = bench::expand(plan.base, plan.sweeps, plan.write_follows_read);
}

bench::BenchSettings bench_settings(const BenchFlags& flags) {
  bench::BenchSettings settings;
  if (!flags.strategies.empty()) {
    settings.strategies = flags.strategies;
  }
  settings.repeat = flags.repeat;
  settings.quiet = !flags.verbose;
  if (flags.repeat < 1) {
    throw ConfigError(fmt::format("--repeat must be at least 1 (got {})", flags.repeat));
  }
  if (!(flags.time_scale >= 0 && flags.time_scale <= 1)) {  // NaN too
    throw ConfigError(
        fmt::format("--time-scale must be in (0, 1]: real seconds per simulated second (got {})",
                    flags.time_scale));
  }
  settings.time_scale = flags.time_scale;
  settings.compute_mode =
      flags.compute_mode == "spin" ? bench::ComputeMode::spin : bench::ComputeMode::sleep;
  const std::uint64_t payload_bytes = parse_size(flags.payload, "--payload");
  bench::check_payload(payload_bytes, "--payload");
  settings.payload = std::max<std::uint64_t>(1, payload_bytes / 8);
  return settings;
}

// The most ranks that run nodes in an mpi strategy's job: every rank is a process on this machine.
constexpr std::size_t kMaxMpiWorkers = 64;

// The mpi strategies need the mpi runner's plugin (found, not loaded: only the ranks load
// libmpi), mpirun, simulated storage and a sensible number of ranks.
void check_mpi_strategy(const std::string& name, const BenchPlan& plan, Plugins& plugins) {
  const std::string what = fmt::format("strategy '{}'", name);
  if (!plugins.loader().find("mpi_runner")) {
    throw ConfigError(fmt::format(
        "{} runs the mpi runner, whose plugin 'mpi_runner' is not on the plugin search path "
        "({}): this sluice was built without MPI. Install Open MPI (Debian: libopenmpi-dev "
        "openmpi-bin, which scripts/setup.sh installs), configure and build again; or leave "
        "'{}' out of --strategies",
        what, plugins.loader().searched_folders(), name));
  }
  find_mpirun(what);
  if (plan.slowfs) {
    throw ConfigError(fmt::format(
        "{} runs in an MPI job whose every rank has its own catalog, and cannot run on "
        "--storage slowfs yet; drop --storage slowfs to simulate storage, or leave '{}' out of "
        "--strategies",
        what, name));
  }
  if (plan.backend) {
    throw ConfigError(fmt::format(
        "{} runs in an MPI job whose every rank has its own catalog, and cannot run on a real "
        "backend yet ({} '{}'); drop the backend to simulate storage, or leave '{}' out of "
        "--strategies",
        what, plan.backend->where, plan.backend->url, name));
  }
  for (const bench::BenchPoint& point : plan.points) {
    if (point.workers > kMaxMpiWorkers) {
      throw ConfigError(fmt::format(
          "{}: --workers {} would start an MPI job of {} processes on this machine; the mpi "
          "strategies take at most {} workers (ranks that run nodes; the job has one more, rank "
          "0, which schedules)",
          what, point.workers, point.workers + 1, kMaxMpiWorkers));
    }
  }
}

// Everything that can be wrong with the command is checked before anything runs: strategy names
// (and the plugins of their hooks, loaded now), the mpi strategies' needs, --out and --plot.
void check_before_running(const BenchFlags& flags, const BenchPlan& plan, Plugins& plugins) {
  for (const auto& name : plan.settings.strategies) {
    const bench::Strategy strategy = bench::make_strategy(name, plan.base.workers);
    for (const auto& hook : strategy.hooks) {
      plugins.require_hook(hook.name, fmt::format("strategy '{}'", name));
    }
    if (strategy.ranks > 0) {
      check_mpi_strategy(name, plan, plugins);
    }
  }
  if (!flags.out.empty()) {
    bench::write_results(flags.out, {});  // the extension and the folder, checked now
  }
  if (!flags.plot.empty()) {
    check_sweep_plot(flags.plot, !plan.sweeps.empty());
  }
}

// The credentials.yml entry `spec.credentials`, from the scenario's project (`project`), else
// from the project --project/--conf-source or the current folder names (for iris and generated
// scenarios: the user's credentials are in their project, not in the installed example).
Param backend_credentials(const BenchFlags& flags, const BackendSpec& spec,
                          const Session* session) {
  if (spec.credentials.empty()) {
    return {};
  }
  std::optional<ConfigLoader> own;
  const ConfigLoader* conf =
      session != nullptr && flags.scenario == "project" ? &session->conf() : nullptr;
  if (conf == nullptr) {
    std::filesystem::path source = flags.project.conf_source;
    if (source.empty()) {
      try {
        source = Project::find(flags.project.project.empty()
                                   ? std::filesystem::current_path()
                                   : std::filesystem::path(flags.project.project))
                     .root /
                 "conf";
      } catch (const ConfigError&) {
        throw ConfigError(fmt::format(
            "{} '{}': credentials come from a project's credentials.yml, and there is no "
            "project here; run in a project folder, or pass --project DIR or --conf-source DIR",
            spec.credentials_where, spec.credentials));
      }
    }
    own.emplace(source, flags.project.env);
    conf = &*own;
  }
  const Param credentials = conf->get("credentials");
  if (const Param* found = credentials.find(spec.credentials)) {
    return *found;
  }
  std::vector<std::string> known;
  if (credentials.is_map()) {
    for (const auto& [name, secret] : credentials.as_map()) {
      known.push_back(name);
    }
  }
  throw ConfigError(fmt::format(
      "{} '{}': {} defines no such credentials{}; {}add the entry to "
      "{}/local/credentials.yml (key, secret, endpoint_url, ...)",
      spec.credentials_where, spec.credentials,
      (conf->conf_source() / "*/credentials.yml").string(), did_you_mean(spec.credentials, known),
      known.empty() ? std::string()
                    : fmt::format("the defined ones are {}; ", fmt::join(known, ", ")),
      conf->conf_source().string()));
}

// A prefix no other bench run uses: sluice-bench-<UTC time>-<pid>.
std::string run_prefix() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return fmt::format("sluice-bench-{}-{}", stamp, ::getpid());
}

// The real backend of the plan, opened and tried (a small object written, read back and
// removed) before anything runs, so a wrong endpoint, bucket or credential is one clear error.
// The s3 plugin is loaded when the scheme is s3 and nothing registered it yet.
bench::RealStorage open_backend(const BenchFlags& flags, const BackendSpec& spec,
                                Scenario& scenario) {
  Registry& registry = scenario.plugins().registry();
  const auto separator = spec.url.find("://");
  const std::string scheme =
      separator == std::string::npos ? std::string() : spec.url.substr(0, separator);
  if (scheme == "s3" && !registry.storages.contains("s3")) {
    try {
      scenario.plugins().loader().load("s3");
    } catch (const std::exception& error) {
      throw ConfigError(fmt::format("{} '{}': the s3 storage plugin failed to load: {}", spec.where,
                                    spec.url, error.what()));
    }
    std::cerr << "sluice bench: loaded the s3 storage plugin for " << spec.url << '\n';
  }
  if (separator != std::string::npos && scheme != "file" && scheme != "memory" &&
      !registry.storages.contains(scheme)) {
    std::vector<std::string> known = registry.storages.schemes();
    known.emplace_back("s3");
    std::sort(known.begin(), known.end());
    known.erase(std::unique(known.begin(), known.end()), known.end());
    throw ConfigError(fmt::format(
        "{}: '{}' uses the storage scheme '{}'{}, which nothing registered; the bench takes {} "
        "(s3:// loads the s3 plugin) and, with --scenario project, the schemes of the plugins "
        "its hooks.yml lists under `plugins:`",
        spec.where, spec.url, scheme, did_you_mean(scheme, known), fmt::join(known, ", ")));
  }
  const Param credentials = backend_credentials(flags, spec, scenario.session());
  const FileLocation location = registry.storages.open(spec.url, std::filesystem::current_path(),
                                                       credentials, spec.fs_args, spec.where);
  bench::RealStorage real;
  real.storage = location.storage;
  std::string base = location.path;
  while (base.size() > 1 && base.back() == '/') {
    base.pop_back();
  }
  real.prefix = base + "/" + run_prefix();
  real.keep = flags.keep;
  const std::string probe = real.prefix + "/probe";
  try {
    real.storage->write(probe, "sluice bench");
    const bool read_back = real.storage->read(probe) == "sluice bench";
    real.storage->remove(probe);
    if (!read_back) {
      throw Error(fmt::format("{} read back other bytes than were written", location.url()));
    }
  } catch (const std::exception& error) {
    throw Error(fmt::format(
        "{} '{}': the bench could not write, read back and remove a small object there, so "
        "nothing ran: {}. Check that the endpoint is up and reachable, the bucket exists and "
        "the credentials{} may write there.",
        spec.where, spec.url, error.what(),
        spec.credentials.empty() ? std::string() : fmt::format(" ('{}')", spec.credentials)));
  }
  return real;
}

// Removes the run's folder of local files when the bench is done, also after a failure
// (the harness removes the objects; folders and lock files are local-only leftovers).
class LocalPrefixRemover {
 public:
  explicit LocalPrefixRemover(const std::optional<bench::RealStorage>& real) {
    if (real && !real->keep && dynamic_cast<const LocalStorage*>(real->storage.get()) != nullptr) {
      folder_ = real->prefix;
    }
  }
  ~LocalPrefixRemover() {
    if (!folder_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(folder_, ignored);
    }
  }
  LocalPrefixRemover(const LocalPrefixRemover&) = delete;
  LocalPrefixRemover& operator=(const LocalPrefixRemover&) = delete;

 private:
  std::filesystem::path folder_;
};

std::string seconds_shown(const BenchPlan& plan, const std::string& parameter,
                          Clock::duration value) {
  return plan.shown(parameter, bench::format_parameter(parameter, Seconds(value).count()));
}

// Compute per node: a project's own work, plus what --compute (or a sweep of it) models.
std::string compute_shown(const BenchFlags& flags, const BenchPlan& plan, bool project) {
  std::string modelled;
  if (plan.swept("compute")) {
    modelled = "swept";
  } else if (plan.base.compute > Clock::duration::zero()) {
    modelled = fmt::format("{} ({})",
                           bench::format_parameter("compute", Seconds(plan.base.compute).count()),
                           flags.compute_mode);
  }
  if (!project) {
    return modelled.empty() ? "none" : modelled;
  }
  return modelled.empty() ? "its own work" : "its own work + " + modelled;
}

// "read latency 10s, write latency = read latency, bandwidth unlimited[, jitter up to 1s]".
std::string latencies_shown(const BenchPlan& plan) {
  const bench::BenchPoint& first = plan.points.front();
  const bench::StorageProfile& base = plan.base.profile;
  return fmt::format(
      "read latency {}, write latency {}, bandwidth {}{}",
      seconds_shown(plan, "read-latency", first.profile.read_latency),
      plan.write_follows_read ? "= read latency"
                              : seconds_shown(plan, "write-latency", first.profile.write_latency),
      plan.shown("bandwidth", bench::format_parameter("bandwidth", base.bandwidth)),
      base.jitter > Clock::duration::zero()
          ? fmt::format(", jitter up to {}",
                        bench::format_parameter("jitter", Seconds(base.jitter).count()))
          : "");
}

std::string storage_line(const BenchFlags& flags, const BenchPlan& plan, bool project) {
  if (plan.slowfs) {
    return fmt::format(
        "storage: --storage {}: a `sluice slowfs` FUSE filesystem mounted for each point over a "
        "scratch folder{}, charging {}; the datasets are real files there, nothing simulated; "
        "compute per node: {}\n",
        flags.storage, std::filesystem::is_directory("/dev/shm") ? " in /dev/shm" : "",
        latencies_shown(plan), compute_shown(flags, plan, project));
  }
  if (const auto& real = plan.settings.real_storage) {
    return fmt::format(
        "storage: real backend {}{}{}, nothing simulated; each run under {} ({}); compute per "
        "node: {}\n",
        plan.backend->url,
        flags.storage.empty() ? "" : fmt::format(" (profile '{}')", flags.storage),
        plan.backend->credentials.empty()
            ? ""
            : fmt::format(", credentials '{}'", plan.backend->credentials),
        real->storage->url(real->prefix + "/<strategy>/<run>"),
        real->keep ? "kept: --keep" : "removed afterwards; --keep keeps them",
        compute_shown(flags, plan, project));
  }
  return fmt::format("storage: {}{}; compute per node: {}\n",
                     flags.storage.empty() ? "" : fmt::format("profile '{}', ", flags.storage),
                     latencies_shown(plan), compute_shown(flags, plan, project));
}

std::string time_scale_line(const BenchPlan& plan, bench::Harness& harness) {
  const bench::BenchSettings& settings = plan.settings;
  if (settings.time_scale > 0) {
    return fmt::format("time scale {:g} (set by --time-scale: {})\n", settings.time_scale,
                       scale_note(settings.time_scale));
  }
  if (plan.points.size() == 1) {
    const double scale = harness.time_scale(settings, plan.points.front());
    return fmt::format("time scale {:g}, automatic ({}; --time-scale to change it)\n", scale,
                       scale_note(scale));
  }
  return "time scale: automatic for each point (the time_scale column of --out)\n";
}

void print_header(const BenchFlags& flags, const Scenario& scenario, const BenchPlan& plan,
                  bench::Harness& harness) {
  const bench::BenchSettings& settings = plan.settings;
  std::cout << fmt::format("sluice bench: scenario {} ({})\n", flags.scenario,
                           scenario.described());
  std::cout << storage_line(flags, plan, scenario.session() != nullptr);
  std::string tee;
  if (plan.swept("tee-writers") || plan.base.tee_writers != 0) {
    tee = fmt::format("; the tee has at most {} writers",
                      plan.shown("tee-writers", fmt::format("{}", plan.base.tee_writers)));
  }
  if (plan.base.tee_budget != 0) {
    tee += fmt::format("; the tee holds at most {}", format_size(plan.base.tee_budget));
  }
  std::string mpi;
  if (std::any_of(settings.strategies.begin(), settings.strategies.end(),
                  [](const std::string& name) { return name.starts_with("mpi"); })) {
    mpi = plan.swept("workers")
              ? "; mpi ones run under mpirun with one rank per worker and one that schedules"
              : fmt::format(
                    "; mpi ones run under mpirun -np {} (a rank per worker and one that "
                    "schedules)",
                    plan.base.workers + 1);
  }
  std::cout << fmt::format("strategies: {}; parallel ones use {} workers{}{}; median of {} run{}\n",
                           fmt::join(settings.strategies, ", "),
                           plan.shown("workers", fmt::format("{}", plan.base.workers)), mpi, tee,
                           settings.repeat, settings.repeat == 1 ? "" : "s");
  if (settings.real_storage || plan.slowfs) {
    std::cout << "times are real seconds; bound: the lower bound of docs/architecture.md (\"The "
                 "lower bound and the optimum\") for the "
                 "strategy's workers, from the median read and write time per operation "
                 "the strategy measured (transfer included); read op, write op: median "
                 "time per operation; read bw, write bw: bytes moved per second of operations; "
                 "optimum: the best schedule of that model (pipelines of at most 12 nodes); "
                 "best schedule: the shortest simulated list schedule of that model, so the "
                 "optimum lies in [bound, best schedule]\n\n"
              << std::flush;
    return;
  }
  std::cout << time_scale_line(plan, harness);
  std::cout << "times are simulated seconds; bound: the lower bound of docs/architecture.md (\"The "
               "lower bound and the optimum\") for the "
               "strategy's workers; optimum: the best schedule of that model (searched for "
               "pipelines of at most 12 nodes); best schedule: the shortest simulated list "
               "schedule of that model (runner order, longest path first, ...), so the "
               "optimum lies in [bound, best schedule]\n\n"
            << std::flush;
}

// Runs every point, showing progress on stderr: a line per point, or one updated line on a
// terminal.
std::vector<bench::BenchResult> run_points(const BenchFlags& flags, Scenario& scenario,
                                           const BenchPlan& plan, bench::Harness& harness) {
  const auto& points = plan.points;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::vector<bench::BenchResult> results;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string where = points.size() > 1 ? fmt::format("[{}/{}] {}", i + 1, points.size(),
                                                              describe_point(points[i]))
                                                : std::string("running");
    if (!tty && points.size() > 1) {
      std::cerr << where << '\n';
    }
    auto progress = [&](const bench::Progress& at) {
      if (tty) {
        std::cerr << fmt::format("\r\033[K{}: {} (run {} of {}; {}/{})", where, at.strategy,
                                 at.repetition, plan.settings.repeat, at.done, at.total)
                  << std::flush;
      }
    };
    std::vector<bench::BenchResult> point_results;
    if (plan.slowfs) {
      // The point's storage is a filesystem of its own: mounted with its latencies, its datasets
      // real files there, unmounted before the next point.
      const SlowfsMount mount(points[i].profile);
      bench::BenchSettings settings = plan.settings;
      const BackendSpec spec{"file://" + mount.mountpoint().string(), "", Param(),
                             "--storage " + flags.storage, ""};
      settings.real_storage = open_backend(flags, spec, scenario);
      point_results = harness.run(settings, points[i], progress);
    } else {
      point_results = harness.run(plan.settings, points[i], progress);
    }
    results.insert(results.end(), point_results.begin(), point_results.end());
  }
  if (tty) {
    std::cerr << "\r\033[K" << std::flush;
  }
  return results;
}

void write_outputs(const BenchFlags& flags, const BenchPlan& plan,
                   const std::vector<bench::BenchResult>& results) {
  if (!flags.out.empty()) {
    bench::write_results(flags.out, results);
    std::cerr << fmt::format("wrote {}\n", flags.out);
  }
  if (!flags.plot.empty()) {
    plot_sweep(flags.plot, results,
               fmt::format("sluice bench, scenario {}: wall time against {}", flags.scenario,
                           plan.sweeps.front().parameter));
    std::cerr << fmt::format("wrote {}\n", flags.plot);
  }
}

// With --keep on a real backend: where each run's objects were left, one line per run.
std::string kept_summary(const BenchPlan& plan, const std::vector<bench::BenchResult>& results) {
  const auto& real = plan.settings.real_storage;
  if (!real || !real->keep) {
    return "";
  }
  std::vector<std::string> strategies;
  for (const bench::BenchResult& result : results) {
    if (std::find(strategies.begin(), strategies.end(), result.strategy) == strategies.end()) {
      strategies.push_back(result.strategy);
    }
  }
  std::string summary = fmt::format("\nkept (--keep): the objects every run wrote, under {}:\n",
                                    real->storage->url(real->prefix));
  for (const std::string& strategy : strategies) {
    for (int repetition = 1; repetition <= plan.settings.repeat; ++repetition) {
      summary += fmt::format(
          "  {}, run {}: {}/\n", strategy, repetition,
          real->storage->url(fmt::format("{}/{}/{}", real->prefix, strategy, repetition)));
    }
  }
  return summary;
}

// The launcher of the mpi strategies' runs: this binary again, under mpirun, told the same
// scenario (its other options travel in the run's spec file).
bench::LaunchFn mpi_launch(const BenchFlags& flags) {
  MpiLaunch launch;
  launch.mpirun = find_mpirun("the mpi strategies");
  std::error_code error;
  launch.sluice = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    throw Error(
        fmt::format("cannot find the sluice binary to start under mpirun "
                    "(/proc/self/exe: {})",
                    error.message()));
  }
  auto absolute = [](const std::string& path) { return std::filesystem::absolute(path).string(); };
  launch.arguments = {"bench",        "--scenario",     flags.scenario,    "--pipeline",
                      flags.pipeline, "--env",          flags.project.env, "--payload",
                      flags.payload,  "--compute-mode", flags.compute_mode};
  if (!flags.project.project.empty()) {
    launch.arguments.insert(launch.arguments.end(), {"--project", absolute(flags.project.project)});
  }
  if (!flags.project.conf_source.empty()) {
    launch.arguments.insert(launch.arguments.end(),
                            {"--conf-source", absolute(flags.project.conf_source)});
  }
  if (flags.verbose) {
    launch.arguments.emplace_back("--verbose");
  }
  if (!flags.mpi_timeout.empty()) {
    launch.timeout_s = Seconds(parse_duration(flags.mpi_timeout, "--mpi-timeout")).count();
    if (!(*launch.timeout_s > 0)) {
      throw ConfigError(
          fmt::format("--mpi-timeout must be more than 0 (got '{}')", flags.mpi_timeout));
    }
  }
  launch.repeat = flags.repeat;
  return mpi_launcher(std::move(launch));
}

// One rank of one run of an mpi strategy (`--mpi-child SPEC`, started by mpi_launch): the same
// scenario as the parent's, the point, strategy and time scale of the spec; writes what the run
// measured on this rank beside the spec.
int run_mpi_child(const BenchFlags& flags) {
  const int rank = child_rank();
  const MpiChildSpec spec = read_child_spec(flags.mpi_child);
  Scenario scenario(flags);
  Plugins& plugins = scenario.plugins();
  if (!plugins.registry().runners.contains("mpi")) {
    try {
      plugins.loader().load("mpi_runner");
    } catch (const PluginError& error) {
      throw ConfigError(fmt::format("strategy '{}': the mpi runner's plugin failed to load: {}",
                                    spec.strategy, error.what()));
    }
  }
  const bench::Strategy strategy =
      bench::make_strategy(spec.strategy, spec.workers, spec.tee_writers, spec.tee_budget);
  for (const auto& hook : strategy.hooks) {
    plugins.require_hook(hook.name, fmt::format("strategy '{}'", spec.strategy));
  }
  bench::BenchSettings settings = bench_settings(flags);
  settings.repeat = spec.repeat;
  bench::Harness harness(plugins.registry(), flags.scenario, scenario.factory());
  try {
    const bench::RunMeasurement run =
        harness.run_once(strategy, settings, spec.point, spec.time_scale, spec.repetition);
    write_child_measurement(flags.mpi_child, rank, run);
  } catch (const std::exception& error) {
    throw Error(fmt::format("rank {}: {}", rank, error.what()));
  }
  return 0;
}

int measure(const BenchFlags& flags, Scenario& scenario, const BenchPlan& plan) {
  bench::Harness harness(scenario.plugins().registry(), flags.scenario, scenario.factory());
  print_header(flags, scenario, plan, harness);
  const auto results = run_points(flags, scenario, plan, harness);
  std::cout << bench::format_table(results) << kept_summary(plan, results) << std::flush;
  write_outputs(flags, plan, results);
  return 0;
}

// --from-trace predicts: nothing runs, so what only a run uses cannot apply.
void check_prediction_flags(const BenchFlags& flags) {
  std::vector<std::string> given;
  if (!flags.storage_url.empty()) {
    given.emplace_back("--storage-url");
  }
  if (!flags.credentials.empty()) {
    given.emplace_back("--credentials");
  }
  if (flags.keep) {
    given.emplace_back("--keep");
  }
  if (flags.storage == "slowfs" || flags.storage.starts_with("slowfs:")) {
    given.push_back("--storage " + flags.storage);
  }
  if (flags.time_scale != 0) {
    given.emplace_back("--time-scale");
  }
  if (!flags.mpi_timeout.empty()) {
    given.emplace_back("--mpi-timeout");
  }
  // (Told apart from their defaults: what the runs would repeat, write and burn.)
  const BenchFlags defaults;
  if (flags.repeat != defaults.repeat) {
    given.emplace_back("--repeat");
  }
  if (flags.payload != defaults.payload) {
    given.emplace_back("--payload");
  }
  if (flags.compute_mode != defaults.compute_mode) {
    given.emplace_back("--compute-mode");
  }
  if (!given.empty()) {
    throw ConfigError(fmt::format(
        "--from-trace '{}' predicts every strategy from the traced run without running anything, "
        "so {} cannot apply (they are for runs); drop {}, or drop --from-trace to measure",
        flags.from_trace, fmt::join(given, ", "), given.size() == 1 ? "it" : "them"));
  }
}

// With --from-trace, storage is what the traced run saw, except what the options (or a
// --storage profile) set; the write latency follows a read latency given as in `sluice bench`.
void plan_observed_point(const BenchFlags& flags, const bench::ObservedStorage& seen,
                         BenchPlan& plan) {
  // To 4 significant digits: measured figures, shown as the point's storage.
  auto rounded = [](double value) { return std::stod(fmt::format("{:.4g}", value)); };
  auto duration = [&](double seconds) {
    return std::chrono::duration_cast<Clock::duration>(Seconds(rounded(seconds)));
  };
  const bool read_given =
      !flags.read_latency.empty() || !flags.storage.empty() ||
      std::any_of(flags.sweeps.begin(), flags.sweeps.end(),
                  [](const std::string& sweep) { return sweep.starts_with("read-latency="); });
  bench::StorageProfile& profile = plan.base.profile;
  if (flags.storage.empty()) {
    if (flags.read_latency.empty()) {
      profile.read_latency = duration(seen.read_latency);
    }
    if (flags.write_latency.empty() && !read_given) {
      profile.write_latency = duration(seen.write_latency);
    }
    if (flags.bandwidth.empty()) {
      profile.bandwidth = rounded(seen.bandwidth);
    }
  }
  plan.write_follows_read = plan.write_follows_read && read_given;
}

std::string milliseconds(double seconds) {
  return fmt::format("{:.3g} ms", seconds * 1000);
}

void print_prediction_header(const BenchFlags& flags, const Scenario& scenario,
                             const BenchPlan& plan, const bench::ObservedRun& observed,
                             const bench::ObservedStorage& seen,
                             const bench::Calibration& calibration) {
  double compute = 0;
  for (const auto& [node, seconds] : observed.compute) {
    compute += seconds;
  }
  std::cout << fmt::format(
      "sluice bench: scenario {} ({}), predicted from the trace '{}': "
      "nothing was run\n",
      flags.scenario, scenario.described(), flags.from_trace);
  std::cout << fmt::format("traced run: {}; {:.3f} s wall, {} nodes computing {:.3f} s in all\n",
                           observed.described, observed.wall_s, observed.compute.size(), compute);
  std::cout << fmt::format(
      "observed storage: read latency {} ({} reads), write latency {} ({} writes), bandwidth "
      "{}; by {}\n",
      milliseconds(seen.read_latency), seen.reads, milliseconds(seen.write_latency), seen.writes,
      bench::format_parameter("bandwidth", std::stod(fmt::format("{:.3g}", seen.bandwidth))),
      seen.method);
  if (observed.model) {
    std::cout << fmt::format(
        "calibration: the traced run's own strategy is predicted at {:.3f} s on that storage; "
        "the {:.3f} s it took more is {} per operation and node, added to every prediction\n",
        calibration.predicted_s, std::max(0.0, observed.wall_s - calibration.predicted_s),
        milliseconds(calibration.overhead));
  }
  std::cout << storage_line(flags, plan, true);
  std::cout << fmt::format(
      "strategies: {}; parallel ones use {} workers; times are predicted seconds of real time, "
      "by a simulation of the runners' rules (docs/architecture.md, \"The advisor\"); bound, "
      "optimum and best schedule as `sluice bench` reports them\n\n",
      fmt::join(plan.settings.strategies, ", "),
      plan.shown("workers", fmt::format("{}", plan.base.workers)));
  std::cout << std::flush;
}

// Per point: the fastest predicted strategy that persists what the pipeline does, and how to
// run it.
std::string recommendations(const BenchPlan& plan, const std::vector<bench::BenchResult>& results) {
  const std::size_t per_point = plan.settings.strategies.size();
  std::string text = "\n";
  for (std::size_t point = 0; point < plan.points.size(); ++point) {
    const bench::BenchResult* best = nullptr;
    bench::Strategy chosen;
    for (std::size_t i = point * per_point; i < (point + 1) * per_point && i < results.size();
         ++i) {
      const bench::Strategy strategy =
          bench::make_strategy(results[i].strategy, plan.points[point].workers,
                               plan.points[point].tee_writers, plan.points[point].tee_budget);
      // Within 1 %, the strategy listed first (the simpler one) stays, and one process beats
      // an MPI job.
      const bool simpler = best != nullptr && strategy.ranks == 0 && chosen.ranks > 0;
      if (strategy.persist &&
          (best == nullptr || results[i].wall_s < best->wall_s * (simpler ? 1.01 : 0.99))) {
        best = &results[i];
        chosen = strategy;
      }
    }
    if (best == nullptr) {
      continue;
    }
    const std::string where =
        plan.points.size() > 1 ? " at " + describe_point(plan.points[point]) : std::string();
    text += fmt::format("recommended{}: {}, {:.3g} s predicted{}: {}\n", where, best->strategy,
                        best->wall_s,
                        best->speedup && best->strategy != "sequential"
                            ? fmt::format(" ({:.2f}x sequential)", *best->speedup)
                            : std::string(),
                        chosen.command);
  }
  return text;
}

int predict_from_trace(const BenchFlags& flags) {
  check_prediction_flags(flags);
  const Trace trace = read_trace(flags.from_trace);
  const bench::ObservedRun observed = observe_trace(trace, flags.from_trace);
  const bench::ObservedStorage seen = bench::observed_storage(observed.operations);
  Scenario scenario(flags);
  BenchPlan plan;
  plan_base_point(flags, scenario.session(), plan);
  plan_observed_point(flags, seen, plan);
  plan_points(flags, plan);
  plan.settings = bench_settings(flags);
  for (const auto& name : plan.settings.strategies) {
    bench::model_of(bench::make_strategy(name, plan.base.workers));  // what it cannot predict
  }
  if (!flags.out.empty()) {
    bench::write_results(flags.out, {});
  }
  if (!flags.plot.empty()) {
    check_sweep_plot(flags.plot, !plan.sweeps.empty());
  }
  try {
    bench::Harness harness(scenario.plugins().registry(), flags.scenario, scenario.factory());
    const bench::Calibration calibration = harness.calibrate(observed, seen);
    std::vector<bench::BenchResult> results;
    for (const bench::BenchPoint& point : plan.points) {
      std::vector<bench::Strategy> strategies;
      for (const auto& name : plan.settings.strategies) {
        strategies.push_back(
            bench::make_strategy(name, point.workers, point.tee_writers, point.tee_budget));
      }
      const auto predicted = harness.predict(strategies, point, observed, calibration.overhead);
      results.insert(results.end(), predicted.begin(), predicted.end());
    }
    print_prediction_header(flags, scenario, plan, observed, seen, calibration);
    std::cout << bench::format_table(results) << recommendations(plan, results) << std::flush;
    write_outputs(flags, plan, results);
  } catch (const std::exception& error) {
    throw Error(error.what());  // while the project's library is loaded
  }
  return 0;
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchFlags& flags) {
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Compare runner strategies on simulated slow storage (or a real backend), against the "
      "lower bound");
  bench
      ->add_option("--scenario", flags.scenario,
                   "iris, project (the current project), chain:N, fanout:N, diamond or "
                   "random:N[:seed]")
      ->capture_default_str();
  flags.project.add_to(*bench);
  bench->add_option("--pipeline", flags.pipeline, "Pipeline of the project scenario")
      ->capture_default_str();
  bench
      ->add_option("--strategies", flags.strategies,
                   "Comma-separated: sequential, async, cache, tee, parallel, parallel+tee, "
                   "memory (default: these), mpi, mpi+tee (under mpirun, when named)")
      ->delimiter(',');
  bench->add_option("--storage", flags.storage,
                    "A storage profile of conf/base/bench.yml (sluice's or the project's): s3, "
                    "nfs, local_ssd, ...; slowfs (or slowfs:PROFILE): the latencies on a real "
                    "FUSE filesystem (`sluice slowfs`) instead of simulated storage");
  bench->add_option("--read-latency", flags.read_latency,
                    "Per read of a persisted dataset: 10s (default: the profile's, or 0)");
  bench->add_option("--write-latency", flags.write_latency,
                    "Per write of a persisted dataset (default: the read latency)");
  bench->add_option("--bandwidth", flags.bandwidth,
                    "Storage bandwidth, added per byte: 100MB/s (default: unlimited)");
  bench->add_option("--jitter", flags.jitter, "Up to this much more per operation (seeded)");
  bench->add_option("--storage-url", flags.storage_url,
                    "Run on a real backend instead: s3://bucket/prefix (loads the s3 plugin), "
                    "file://DIR, memory://store/prefix; measured latency and bandwidth are "
                    "reported");
  bench->add_option("--credentials", flags.credentials,
                    "An entry of the project's credentials.yml for --storage-url");
  bench->add_flag("--keep", flags.keep,
                  "Keep the objects the runs wrote on the real backend (default: removed)");
  bench->add_option("--compute", flags.compute, "Modelled compute per node: 1s")
      ->capture_default_str();
  bench->add_option("--compute-mode", flags.compute_mode, "sleep (wait) or spin (burn CPU)")
      ->check(CLI::IsMember({"sleep", "spin"}))
      ->capture_default_str();
  bench->add_option("--payload", flags.payload, "Data each generated node writes: 8KiB")
      ->capture_default_str();
  bench->add_option("--workers", flags.workers,
                    "Threads of the parallel strategies (default: one per hardware thread)");
  bench
      ->add_option("--tee-writers", flags.tee_writers,
                   "The tee's max_writers in the strategies with the tee (default: the tee's)")
      ->check(CLI::PositiveNumber);
  bench->add_option("--tee-budget", flags.tee_budget,
                    "The tee's memory_budget in the strategies with the tee (256MiB; default: "
                    "the tee's); name a strategy tee:auto, tee:always or tee:never for its hold");
  bench->add_option("--repeat", flags.repeat, "Runs per strategy; the median is reported")
      ->capture_default_str();
  bench->add_option("--time-scale", flags.time_scale,
                    "Real seconds per simulated second (default: automatic, keeping runs short)");
  bench->add_option("--sweep", flags.sweeps,
                    "Vary a parameter: read-latency=0,1s,10s (also write-latency, compute, "
                    "bandwidth, workers, tee-writers); repeat for a grid");
  bench->add_option("--out", flags.out, "Write the results to a .csv or .json file");
  bench->add_option("--plot", flags.plot, "Draw time against the swept parameter (.svg, gnuplot)");
  bench->add_option("--mpi-timeout", flags.mpi_timeout,
                    "Real time after which an mpi strategy's run (its mpirun) is stopped and "
                    "reported as failed: 2m (default: 60s plus 5 times the sequential estimate)");
  bench->add_option("--from-trace", flags.from_trace,
                    "Predict every strategy from one real run's timeline trace (`sluice run "
                    "--hooks timeline`) instead of running them: its compute, sizes and observed "
                    "storage, at the latencies, bandwidth, workers and sweeps given");
  bench->add_flag("--verbose", flags.verbose, "Log the runs");
  // Hidden: how each rank of an mpi strategy's run is started (see run_mpi_child).
  bench->add_option("--mpi-child", flags.mpi_child)->group("");
  return bench;
}

int run_bench(const BenchFlags& flags) {
  if (!flags.mpi_child.empty()) {
    try {
      return run_mpi_child(flags);
    } catch (const std::exception& error) {
      throw Error(error.what());
    }
  }
  if (!flags.from_trace.empty()) {
    return predict_from_trace(flags);
  }
  Scenario scenario(flags);
  BenchPlan plan;
  plan_base_point(flags, scenario.session(), plan);
  plan_points(flags, plan);
  plan.settings = bench_settings(flags);
  check_before_running(flags, plan, scenario.plugins());
  if (std::any_of(plan.settings.strategies.begin(), plan.settings.strategies.end(),
                  [&](const std::string& name) {
                    return bench::make_strategy(name, plan.base.workers).ranks > 0;
                  })) {
    plan.settings.launch = mpi_launch(flags);
  } else if (!flags.mpi_timeout.empty()) {
    throw ConfigError(
        "--mpi-timeout limits the runs of the mpi strategies: add mpi or mpi+tee "
        "to --strategies, or drop it");
  }
  if (plan.backend) {
    plan.settings.real_storage = open_backend(flags, *plan.backend, scenario);
  }
  const LocalPrefixRemover remove_local_prefix(plan.settings.real_storage);
  // Errors from project code are turned into plain ones here, while its library is loaded.
  try {
    return measure(flags, scenario, plan);
  } catch (const std::exception& error) {
    throw Error(error.what());
  }
}

}  // namespace sluice::cli
