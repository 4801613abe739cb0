#include "bench_mpi.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

extern char** environ;  // NOLINT: POSIX

namespace sluice::cli {
namespace fs = std::filesystem;

namespace {

using Seconds = std::chrono::duration<double>;

std::optional<fs::path> on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string_view folder = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (folder.empty()) {
      continue;
    }
    const fs::path candidate = fs::path(folder) / program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

// A scratch folder for one launched run, removed with what the ranks wrote there.
class ScratchFolder {
 public:
  ScratchFolder() {
    static std::atomic<unsigned> counter{0};
    path_ = fs::temp_directory_path() /
            fmt::format("sluice-bench-mpi-{}-{}", ::getpid(), counter.fetch_add(1) + 1);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::int64_t nanoseconds(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}
Clock::duration duration_of(const Json& value) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(value.get<std::int64_t>()));
}

std::string quoted(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  for (const auto& word : argv) {
    const bool plain =
        !word.empty() && word.find_first_of(" \t\n'\"\\$*?;&|<>()") == std::string::npos;
    words.push_back(plain ? word : "'" + word + "'");
  }
  return fmt::format("{}", fmt::join(words, " "));
}

// The last `limit` bytes of what mpirun and the ranks printed.
std::string output_of(const fs::path& log, std::size_t limit = 6000) {
  std::string text;
  try {
    text = read_file(log);
  } catch (const std::exception&) {
    return "(no output)";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.empty()) {
    return "(no output)";
  }
  if (text.size() > limit) {
    text = "...\n" + text.substr(text.size() - limit);
  }
  return text;
}

struct Exit {
  bool timed_out = false;
  int status = 0;
};

// Runs `argv` with `environment`, its output (stdout and stderr) in `log`, in a process group of
// its own; past `timeout`, the group gets SIGTERM, then SIGKILL 3 s later.
Exit run_process(const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                 const fs::path& log, Seconds timeout) {
  std::vector<char*> args;
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  std::vector<char*> env;
  for (const auto& entry : environment) {
    env.push_back(const_cast<char*>(entry.c_str()));
  }
  env.push_back(nullptr);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    throw Error(fmt::format("cannot create '{}' for mpirun's output", log.string()));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    throw Error("cannot start mpirun: fork failed");
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) {
      ::dup2(in, STDIN_FILENO);
    }
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execve(args[0], args.data(), env.data());
    static constexpr char kFailed[] = "sluice bench: could not execute mpirun\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, kFailed, sizeof kFailed - 1);
    ::_exit(127);
  }
  ::close(out);
  ::setpgid(pid, pid);  // also here: no race with the signals below
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Exit exit;
  for (;;) {
    const pid_t done = ::waitpid(pid, &exit.status, WNOHANG);
    if (done == pid) {
      return exit;
    }
    if (done < 0 && errno != EINTR) {
      throw Error("waiting for mpirun failed");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  exit.timed_out = true;
  ::kill(-pid, SIGTERM);
  const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (::waitpid(pid, &exit.status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= grace) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &exit.status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, SIGKILL);  // ranks that outlived mpirun in its group
  return exit;
}

// This process's environment, with what Open MPI needs to start as root.
std::vector<std::string> child_environment() {
  std::vector<std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    if (!text.starts_with("OMPI_ALLOW_RUN_AS_ROOT=") &&
        !text.starts_with("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=")) {
      environment.emplace_back(text);
    }
  }
  environment.emplace_back("OMPI_ALLOW_RUN_AS_ROOT=1");
  environment.emplace_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
  return environment;
}

Json spec_json(const bench::LaunchRequest& request, int repeat) {
  const bench::BenchPoint& point = request.point;
  Json spec = Json::object();
  spec["strategy"] = request.strategy.name;
  spec["workers"] = request.strategy.workers;
  spec["tee_writers"] = point.tee_writers;
  spec["tee_budget"] = point.tee_budget;
  spec["repetition"] = request.repetition;
  spec["repeat"] = repeat;
  spec["time_scale"] = request.time_scale;
  spec["read_latency_ns"] = nanoseconds(point.profile.read_latency);
  spec["write_latency_ns"] = nanoseconds(point.profile.write_latency);
  spec["jitter_ns"] = nanoseconds(point.profile.jitter);
  spec["bandwidth"] = point.profile.bandwidth;
  spec["failure_rate"] = point.profile.failure_rate;
  spec["seed"] = point.profile.seed;
  spec["compute_ns"] = nanoseconds(point.compute);
  return spec;
}

constexpr std::string_view kChildWhat =
    "this file is written by sluice bench for the ranks it starts under mpirun";

bench::RunMeasurement combine(const fs::path& folder, std::size_t ranks, double scale) {
  bench::RunMeasurement combined;
  std::int64_t started = 0;
  std::int64_t ended = 0;
  for (std::size_t rank = 0; rank < ranks; ++rank) {
    const fs::path file = folder / fmt::format("rank-{}.json", rank);
    if (!fs::exists(file)) {
      throw Error(fmt::format("rank {} of {} wrote no measurement ({})", rank, ranks,
                              file.filename().string()));
    }
    const Json run = read_json_file(file, kChildWhat);
    const auto rank_started = run.at("started_ns").get<std::int64_t>();
    const auto rank_ended = run.at("ended_ns").get<std::int64_t>();
    started = rank == 0 ? rank_started : std::max(started, rank_started);
    ended = rank == 0 ? rank_ended : std::max(ended, rank_ended);
    combined.reads += run.at("reads").get<std::uint64_t>();
    combined.writes += run.at("writes").get<std::uint64_t>();
    combined.peak_bytes = std::max(combined.peak_bytes, run.at("peak_bytes").get<std::uint64_t>());
    if (rank == 0) {
      combined.expected_writes = run.at("expected_writes").get<std::uint64_t>();
      for (const auto& name : run.at("persisted")) {
        combined.persisted.insert(name.get<std::string>());
      }
    }
  }
  // Every rank waits for the others when the run starts (the runner's collective set-up), so
  // the run is from the last start to the last end.
  combined.started_ns = started;
  combined.ended_ns = ended;
  combined.wall_s = static_cast<double>(ended - started) / 1e9 / scale;
  return combined;
}

}  // namespace

fs::path find_mpirun(const std::string& what) {
  if (const char* chosen = std::getenv("SLUICE_MPIRUN"); chosen != nullptr && *chosen != '\0') {
    if (::access(chosen, X_OK) != 0) {
      throw ConfigError(fmt::format(
          "{} runs under mpirun, but SLUICE_MPIRUN names '{}', which is not an executable "
          "file; point it at Open MPI's mpirun, or unset it to use {}",
          what, chosen, "the one found when sluice was built, or mpirun on the PATH"));
    }
    return fs::absolute(chosen);
  }
#ifdef SLUICE_MPIEXEC
  if (::access(SLUICE_MPIEXEC, X_OK) == 0) {
    return SLUICE_MPIEXEC;
  }
#endif
  if (auto found = on_path("mpirun")) {
    return *found;
  }
  throw ConfigError(fmt::format(
      "{} runs under mpirun, which is not installed (not on the PATH, nor SLUICE_MPIRUN): "
      "install Open MPI (Debian: libopenmpi-dev openmpi-bin, which scripts/setup.sh installs) "
      "and build sluice again, or leave the mpi strategies out of --strategies",
      what));
}

bench::LaunchFn mpi_launcher(MpiLaunch launch) {
  return [launch = std::move(launch)](const bench::LaunchRequest& request) {
    const ScratchFolder folder;
    const fs::path spec = folder.path() / "run.json";
    write_file_atomically(spec, json_text(spec_json(request, launch.repeat)), FileAccess::shared,
                          Durability::none);
    std::vector<std::string> argv = {launch.mpirun.string(),
                                     "-np",
                                     std::to_string(request.strategy.ranks),
                                     "--oversubscribe",
                                     "--mca",
                                     "btl",
                                     "self,vader",
                                     launch.sluice.string()};
    argv.insert(argv.end(), launch.arguments.begin(), launch.arguments.end());
    argv.emplace_back("--mpi-child");
    argv.push_back(spec.string());
    const double timeout = launch.timeout_s.value_or(60 + 5 * request.estimated_seconds);
    const fs::path log = folder.path() / "mpirun.log";
    const Exit exit = run_process(argv, child_environment(), log, Seconds(timeout));
    if (exit.timed_out) {
      throw Error(fmt::format(
          "`{}` did not finish within {:g} s, so it was stopped (--mpi-timeout sets the limit); "
          "its output:\n{}",
          quoted(argv), timeout, output_of(log)));
    }
    if (!WIFEXITED(exit.status) || WEXITSTATUS(exit.status) != 0) {
      throw Error(fmt::format("`{}` {}; its output:\n{}", quoted(argv),
                              WIFEXITED(exit.status)
                                  ? fmt::format("exited with code {}", WEXITSTATUS(exit.status))
                                  : fmt::format("was ended by signal {}", WTERMSIG(exit.status)),
                              output_of(log)));
    }
    try {
      return combine(folder.path(), request.strategy.ranks, request.time_scale);
    } catch (const std::exception& error) {
      throw Error(fmt::format("`{}` succeeded, but {}; its output:\n{}", quoted(argv), error.what(),
                              output_of(log)));
    }
  };
}

MpiChildSpec read_child_spec(const fs::path& file) {
  const Json spec = read_json_file(file, kChildWhat);
  MpiChildSpec child;
  try {
    child.strategy = spec.at("strategy").get<std::string>();
    child.workers = spec.at("workers").get<std::size_t>();
    child.tee_writers = spec.at("tee_writers").get<std::size_t>();
    child.tee_budget = spec.at("tee_budget").get<std::uint64_t>();
    child.repetition = spec.at("repetition").get<int>();
    child.repeat = spec.at("repeat").get<int>();
    child.time_scale = spec.at("time_scale").get<double>();
    bench::BenchPoint& point = child.point;
    point.workers = child.workers;
    point.tee_writers = child.tee_writers;
    point.tee_budget = child.tee_budget;
    point.profile.read_latency = duration_of(spec.at("read_latency_ns"));
    point.profile.write_latency = duration_of(spec.at("write_latency_ns"));
    point.profile.jitter = duration_of(spec.at("jitter_ns"));
    point.profile.bandwidth = spec.at("bandwidth").get<double>();
    point.profile.failure_rate = spec.at("failure_rate").get<double>();
    point.profile.seed = spec.at("seed").get<std::uint64_t>();
    point.compute = duration_of(spec.at("compute_ns"));
  } catch (const Json::exception& error) {
    throw ConfigError(
        fmt::format("--mpi-child '{}': {} ({})", file.string(), error.what(), kChildWhat));
  }
  return child;
}

int child_rank() {
  for (const char* variable : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK"}) {
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') {
      return std::atoi(value);
    }
  }
  throw ConfigError(
      "--mpi-child is how sluice bench starts each rank of an mpi strategy's run under mpirun; "
      "this process was not started by mpirun. Run `sluice bench --strategies mpi` instead");
}

void write_child_measurement(const fs::path& spec, int rank, const bench::RunMeasurement& run) {
  Json out = Json::object();
  out["rank"] = rank;
  out["wall_s"] = run.wall_s;
  out["started_ns"] = run.started_ns;
  out["ended_ns"] = run.ended_ns;
  out["reads"] = run.reads;
  out["writes"] = run.writes;
  out["peak_bytes"] = run.peak_bytes;
  out["expected_writes"] = run.expected_writes;
  out["persisted"] = Json::array();
  for (const auto& name : run.persisted) {
    out["persisted"].push_back(name);
  }
  write_file_atomically(spec.parent_path() / fmt::format("rank-{}.json", rank), json_text(out),
                        FileAccess::shared, Durability::none);
}

}  // namespace sluice::cli
