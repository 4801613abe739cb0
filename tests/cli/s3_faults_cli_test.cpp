// S3 faults at the level of a whole `sluice run`: a server stopped in the middle of a run, and
// a run killed with kill -9 while the parts of a multipart upload are on their way.

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <sluice/core/util/files.hpp>
#include <sluice/storage/s3_client.hpp>

#include "support/fake_s3.hpp"
#include "support/iris_on_servers.hpp"
#include "support/kill9.hpp"
#include "support/s3rver.hpp"
#include "support/sluice_cli.hpp"
#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kTestPlugins = SLUICE_TEST_PLUGIN_DIR;
constexpr const char* kSecret = "cli-s3-secret-never-shown";

/// `sluice <arguments>` started in `folder` (fork and exec: the test knows its pid), stdout and
/// stderr into one file. Killed with SIGKILL in the destructor if still running.
class SluiceProcess : public testing::ChildProcess {
 public:
  SluiceProcess(const fs::path& folder, const std::vector<std::string>& arguments)
      : SluiceProcess(std::make_unique<Command>(folder, arguments)) {}
  ~SluiceProcess() { (void)kill9(); }  // before the log folder goes
  SluiceProcess(const SluiceProcess&) = delete;
  SluiceProcess& operator=(const SluiceProcess&) = delete;

  std::string output() const { return read_file(command_->output); }

 private:
  /// Everything the child needs, made before fork (the child only execs).
  struct Command {
    Command(const fs::path& folder_, const std::vector<std::string>& arguments)
        : folder(folder_.string()), output((log.path() / "output.txt").string()) {
      args.push_back(SLUICE_BINARY);
      args.insert(args.end(), arguments.begin(), arguments.end());
      for (std::string& arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
    }
    testing::TempDir log;
    std::string folder;
    std::string output;
    std::vector<std::string> args;
    std::vector<char*> argv;
  };

  explicit SluiceProcess(std::unique_ptr<Command> command)
      : ChildProcess([&command, parent = ::getpid()] {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          const int fd = ::open(command->output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
          if (::getppid() != parent || fd < 0 || ::chdir(command->folder.c_str()) != 0)
            ::_exit(127);
          ::dup2(fd, 1);
          ::dup2(fd, 2);
          ::execv(command->argv[0], command->argv.data());
          ::_exit(127);
        }),
        command_(std::move(command)) {}

  std::unique_ptr<Command> command_;
};

/// Waits until `done()` or `process` ended; false on timeout or an ended process.
template <class Done>
bool wait_for(SluiceProcess& process, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    if (!process.running())
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

class S3FaultsCli : public ::testing::Test {
 protected:
  S3FaultsCli() {
    testing::copy_iris_project(project.path());
    // s3rver checks the access key id only, so the secret can be one the output must not show.
    project.write("conf/local/credentials.yml",
                  fmt::format("iris_s3:\n  key: S3RVER\n  secret: {}\n", kSecret));
  }

  /// The iris intermediates on S3 at `endpoint`, with retries that give up within a second.
  void intermediates_on_s3(const std::string& endpoint, const std::string& extra_fs_args = "") {
    std::string catalog;
    for (const auto& [name, key] : testing::iris_intermediates()) {
      catalog += fmt::format(
          "{}:\n  type: BinaryDataset\n  filepath: s3://iris-s3/{}\n  credentials: iris_s3\n"
          "  fs_args:\n    endpoint_url: {}\n    connect_timeout: 1s\n"
          "    retries: {{max_attempts: 2, base_delay: 10ms, max_delay: 20ms, "
          "max_total_time: 1s}}\n{}",
          name, key, endpoint, extra_fs_args);
    }
    project.write("conf/local/catalog.yml", catalog);
  }

  SluiceProcess start(const std::vector<std::string>& arguments) const {
    return SluiceProcess(project.path(), arguments);
  }

  static s3::S3Client client_of(const testing::S3rver& server) {
    s3::S3Options options;
    options.endpoint_url = server.endpoint();
    options.credentials = {testing::S3rver::access_key, testing::S3rver::secret_key, "", "test"};
    return s3::S3Client(options);
  }

  /// The pipeline `big_object` of the gate plugin, its 11 MiB object on S3 at `endpoint` in
  /// 5 MiB parts (three parts, two at a time).
  void big_object_on_s3(const std::string& endpoint) {
    project.write("conf/local/catalog.yml",
                  fmt::format("big_object:\n  type: TextDataset\n  filepath: s3://iris-s3/{}\n"
                              "  credentials: iris_s3\n  fs_args:\n    endpoint_url: {}\n"
                              "    multipart_threshold: 5MiB\n    multipart_chunksize: 5MiB\n"
                              "    max_concurrency: 2\n    retries: {{max_attempts: 2, "
                              "base_delay: 10ms, max_delay: 20ms, max_total_time: 1s}}\n",
                              kBigKey, endpoint));
    project.write("conf/local/hooks.yml", fmt::format("plugins:\n  - node_timing\n  - s3\n  - {}\n",
                                                      (kTestPlugins / "gate_plugin.so").string()));
  }
  static std::vector<std::string> big_run() {
    return {"run", "--pipeline", "big_object", "--params", "big_object_mib=11"};
  }

  /// The upload journal's entries (the default folder under XDG_STATE_HOME).
  std::vector<std::string> journal_entries() const {
    std::vector<std::string> entries;
    const fs::path folder = state / "sluice/s3-uploads";
    if (fs::exists(folder)) {
      for (const auto& file : fs::directory_iterator(folder))
        entries.push_back(read_file(file.path()));
    }
    return entries;
  }

  static constexpr const char* kBigKey = "big/object.txt";
  testing::TempDir project;
  testing::TempDir state;

 private:
  /// The `sluice` children keep their upload journal in `state`.
  struct StateHome {
    explicit StateHome(const fs::path& folder) { ::setenv("XDG_STATE_HOME", folder.c_str(), 1); }
    ~StateHome() { ::unsetenv("XDG_STATE_HOME"); }
    StateHome(const StateHome&) = delete;
    StateHome& operator=(const StateHome&) = delete;
  } state_home_{state.path()};
};

/// Lets held parts go at the end of a test, before the server that holds them is destroyed.
struct ReleaseAtExit {
  testing::PartStall& stall;
  ~ReleaseAtExit() { stall.release(); }
};

TEST_F(S3FaultsCli,
       AServerStoppedMidRunFailsNamingTheDatasetAndTheSuggestedResumeWorksAfterRestart) {
  SLUICE_REQUIRE_S3RVER();
  testing::S3rver server("iris-s3");
  intermediates_on_s3(server.endpoint());
  // The gate holds the run before it saves y_pred: `split` saved its outputs and
  // `make_predictions` loaded them.
  const fs::path reached = project / "gate.reached";
  const fs::path release = project / "gate.release";
  project.write(
      "conf/local/hooks.yml",
      fmt::format("plugins:\n  - node_timing\n  - s3\n  - {}\nhooks:\n  - name: gate\n"
                  "    options: {{dataset: y_pred, before: save, reached: {}, release: {}}}\n",
                  (kTestPlugins / "gate_plugin.so").string(), reached.string(), release.string()));
  s3::S3Client client = client_of(server);

  // A clean run, for the bytes every object must have.
  project.write("gate.release", "");
  SluiceProcess clean = start({"run"});
  ASSERT_EQ(clean.wait(), 0) << clean.output();
  std::map<std::string, std::string> expected;
  for (const auto& [name, key] : testing::iris_intermediates()) {
    expected[key] = client.get_object("iris-s3", key);
    client.delete_object("iris-s3", key);
  }
  fs::remove(reached);
  fs::remove(release);

  // The server stops in the middle of the run.
  SluiceProcess run = start({"run"});
  ASSERT_TRUE(wait_for(run, [&] { return fs::exists(reached); })) << run.output();
  server.stop();
  project.write("gate.release", "");
  EXPECT_NE(run.wait(), 0);
  const std::string failed = run.output();
  EXPECT_THAT(failed, AllOf(HasSubstr("dataset 'y_pred'"), HasSubstr(server.endpoint()),
                            HasSubstr("Check that endpoint_url is right and the server is running"),
                            HasSubstr("Resume from the nearest nodes"), Not(HasSubstr(kSecret))))
      << failed;

  // While the server is down the runner cannot see which inputs persisted, so it suggests
  // the safe start: the producer of everything on S3.
  const std::string marker = "--from-nodes \"";
  const auto suggestion = failed.rfind(marker);
  ASSERT_NE(suggestion, std::string::npos) << failed;
  const auto nodes_begin = suggestion + marker.size();
  const std::string nodes = failed.substr(nodes_begin, failed.find('"', nodes_begin) - nodes_begin);
  EXPECT_EQ(nodes, "split");

  // After a restart (same port, same folder) the objects split saved before the stop are
  // there, and the suggested command finishes the run.
  server.restart();
  EXPECT_TRUE(client.get_object("iris-s3", "05_model_input/X_train.bin") ==
              expected["05_model_input/X_train.bin"]);
  SluiceProcess resumed = start({"run", "--from-nodes", nodes});
  ASSERT_EQ(resumed.wait(), 0) << resumed.output();
  EXPECT_THAT(resumed.output(), HasSubstr("Model has an accuracy of 0.933 on test data."));
  for (const auto& [name, key] : testing::iris_intermediates()) {
    EXPECT_TRUE(client.get_object("iris-s3", key) == expected[key]) << key;
  }
}

TEST_F(S3FaultsCli,
       ARunKilledDuringAMultipartUploadLeavesNothingVisibleAndTheNextRunAbortsItsUpload) {
  auto s3 = std::make_shared<testing::FakeS3>();
  testing::FakeHttpServer server(
      [s3](const testing::HttpRequest& request) { return (*s3)(request); });
  const ReleaseAtExit release{s3->stall};
  big_object_on_s3(server.endpoint());

  s3->stall.arm();
  SluiceProcess killed = start(big_run());
  ASSERT_TRUE(wait_for(killed, [&] { return s3->stall.holding(); })) << killed.output();
  const pid_t pid = killed.pid();
  ASSERT_TRUE(killed.kill9());
  s3->stall.release();
  EXPECT_FALSE(s3->has_object(kBigKey));
  const std::vector<std::string> orphans = s3->uploads_in_progress();
  ASSERT_EQ(orphans.size(), 1u);
  // The journal names the dead run's upload and its pid.
  const auto entries = journal_entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_THAT(entries.front(), AllOf(HasSubstr(orphans.front()), HasSubstr(kBigKey),
                                     HasSubstr(fmt::format("\"pid\": {}", pid))));

  // The next run aborts it (and only it), writes the object and loads it back whole.
  SluiceProcess next = start(big_run());
  ASSERT_EQ(next.wait(), 0) << next.output();
  EXPECT_THAT(next.output(), AllOf(HasSubstr("aborted the multipart upload " + orphans.front() +
                                             " of s3://iris-s3/" + kBigKey),
                                   Not(HasSubstr(kSecret))));
  EXPECT_EQ(s3->aborted(), orphans);
  EXPECT_TRUE(s3->uploads_in_progress().empty());
  ASSERT_TRUE(s3->has_object(kBigKey));
  EXPECT_EQ(s3->object(kBigKey).size(), 11u << 20);
  EXPECT_TRUE(journal_entries().empty());
}

TEST_F(S3FaultsCli, OnS3rverARunKilledDuringAMultipartUploadLeavesNoVisibleObject) {
  SLUICE_REQUIRE_S3RVER();
  testing::S3rver s3rver("iris-s3");
  // In front of s3rver: a server that forwards every request and holds the parts when armed.
  auto stall = std::make_shared<testing::PartStall>();
  testing::FakeHttpServer front([stall, port = s3rver.port()](const testing::HttpRequest& request) {
    stall->hold_if_a_part(request);
    return testing::forward_to(port, request);
  });
  const ReleaseAtExit release{*stall};
  big_object_on_s3(front.endpoint());
  s3::S3Client client = client_of(s3rver);

  stall->arm();
  SluiceProcess killed = start(big_run());
  ASSERT_TRUE(wait_for(killed, [&] { return stall->holding(); })) << killed.output();
  ASSERT_TRUE(killed.kill9());
  stall->release();
  EXPECT_FALSE(client.exists("iris-s3", kBigKey));
  // What s3rver can show of the orphan: its folder of parts. It cannot list or abort it over
  // HTTP (ListMultipartUploads is NotImplemented, AbortMultipartUpload not routed).
  EXPECT_EQ(s3rver.uploads_in_progress(), 1u);
  try {
    client.list_multipart_uploads("iris-s3", "big/");
    ADD_FAILURE() << "s3rver listed multipart uploads: test the listing against it";
  } catch (const s3::S3Error& error) {
    EXPECT_EQ(error.code(), "NotImplemented");
  }
  ASSERT_EQ(journal_entries().size(), 1u);

  // The next run writes the object and loads it back whole; s3rver refuses the abort, which
  // the run reports with what to do, keeping the entry for a later run.
  SluiceProcess next = start(big_run());
  ASSERT_EQ(next.wait(), 0) << next.output();
  EXPECT_THAT(next.output(), AllOf(HasSubstr("could not abort the multipart upload"),
                                   HasSubstr("aws s3api abort-multipart-upload --bucket iris-s3"),
                                   Not(HasSubstr(kSecret))));
  const auto info = client.head_object("iris-s3", kBigKey);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 11u << 20);
  EXPECT_EQ(journal_entries().size(), 1u);
}

}  // namespace
}  // namespace sluice
