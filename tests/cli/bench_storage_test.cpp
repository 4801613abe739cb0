// `sluice bench` on a real backend (--storage-url, --credentials, bench.yml profiles with url:):
// runs the real `sluice` binary in a scratch copy of the iris project, against s3rver started by
// the fixture, local files and memory, and checks the measured columns, the clean-up and the
// errors.

#include <array>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <sluice/storage/s3_client.hpp>

#include "support/bench_table.hpp"
#include "support/loopback.hpp"
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

using Result = testing::CliResult;

const std::string& reads(const std::vector<std::string>& columns) {
  return columns.end()[-6];
}
const std::string& writes(const std::vector<std::string>& columns) {
  return columns.end()[-5];
}

class BenchOnRealStorage : public ::testing::Test {
 protected:
  BenchOnRealStorage() { testing::copy_iris_project(project.path()); }

  Result sluice(const std::string& arguments) const {
    return testing::run_cli(SLUICE_BINARY, project.path(), arguments);
  }

  void write_s3_credentials(const std::string& endpoint, const std::string& secret) const {
    project.write("conf/local/credentials.yml",
                  fmt::format("bench_s3:\n  aws_access_key_id: S3RVER\n  aws_secret_access_key: "
                              "{}\n  endpoint_url: {}\n  region: us-east-1\n",
                              secret, endpoint));
  }

  testing::TempDir project;
};

TEST_F(BenchOnRealStorage, EveryStrategyRunsOnS3AndTheBucketIsEmptyAfterwards) {
  SLUICE_REQUIRE_S3RVER();
  testing::S3rver server("bench");
  write_s3_credentials(server.endpoint(), "S3RVER");
  const Result result = sluice(
      "bench --scenario chain:3 --payload 64KiB --repeat 1 --storage-url s3://bench/runs "
      "--credentials bench_s3");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("loaded the s3 storage plugin for s3://bench/runs"),
                    HasSubstr("storage: real backend s3://bench/runs, credentials 'bench_s3'"),
                    HasSubstr("s3://bench/runs/sluice-bench-"), HasSubstr("times are real seconds"),
                    HasSubstr("bound: the lower bound of docs/architecture.md"),
                    HasSubstr("median read and write time per operation"), HasSubstr("read op"),
                    HasSubstr("write bw")));
  const auto rows = testing::bench_rows_by_strategy(result.output, "chain:3");
  ASSERT_EQ(rows.size(), 7U) << result.output;  // every strategy completed
  // ... peak memory, reads, writes, read op, write op, read bw, write bw
  for (const auto& [strategy, columns] : rows) {
    ASSERT_GE(columns.size(), 13U) << strategy;
    EXPECT_NE(reads(columns), "0") << strategy;
    EXPECT_THAT(columns.end()[-4], ::testing::EndsWith("ms")) << strategy;   // read op
    EXPECT_THAT(columns.end()[-2], ::testing::EndsWith("B/s")) << strategy;  // read bw
    if (strategy != "memory") {
      EXPECT_EQ(writes(columns), "3") << strategy;
      EXPECT_THAT(columns.end()[-3], ::testing::EndsWith("ms")) << strategy;   // write op
      EXPECT_THAT(columns.end()[-1], ::testing::EndsWith("B/s")) << strategy;  // write bw
    }
  }
  EXPECT_EQ(reads(rows.at("sequential")), "3");
  EXPECT_EQ(reads(rows.at("tee")), "1");

  s3::S3Options options;
  options.endpoint_url = server.endpoint();
  options.credentials = {testing::S3rver::access_key, testing::S3rver::secret_key, "", "test"};
  s3::S3Client client(options);
  EXPECT_TRUE(client.list_all_objects("bench", "").empty());

  // --keep leaves each run's objects under the run's prefix.
  const Result kept = sluice(
      "bench --scenario chain:3 --strategies sequential --repeat 1 --storage-url s3://bench/runs "
      "--credentials bench_s3 --keep");
  ASSERT_EQ(kept.exit_code, 0) << kept.output;
  std::vector<std::string> keys;
  for (const auto& object : client.list_all_objects("bench", "runs/")) {
    keys.push_back(object.key);
  }
  EXPECT_EQ(keys.size(), 4U);  // the free input and 3 steps
  EXPECT_THAT(keys, ::testing::Contains(::testing::EndsWith("/sequential/1/step_3_out.bin")));
}

TEST_F(BenchOnRealStorage, KeepListsWhereEachRunsObjectsWereKeptAtTheEnd) {
  const fs::path store = project / "store";
  const Result kept = sluice(fmt::format(
      "bench --scenario chain:3 --strategies sequential,tee --repeat 2 --storage-url file://{} "
      "--keep",
      store.string()));
  ASSERT_EQ(kept.exit_code, 0) << kept.output;
  ASSERT_EQ(std::distance(fs::directory_iterator(store), fs::directory_iterator()), 1);
  const fs::path run_folder = fs::directory_iterator(store)->path();
  const std::string& output = kept.output;
  EXPECT_THAT(output, HasSubstr("kept (--keep): the objects every run wrote, under "));
  for (const char* strategy : {"sequential", "tee"}) {
    for (int run = 1; run <= 2; ++run) {
      const fs::path folder = run_folder / strategy / std::to_string(run);
      EXPECT_THAT(output, HasSubstr(fmt::format("  {}, run {}: ", strategy, run)));
      EXPECT_THAT(output, HasSubstr(folder.string() + "/\n")) << kept.output;
      EXPECT_TRUE(fs::is_regular_file(folder / "step_3_out.bin")) << folder;
    }
  }
  const Result removed = sluice(
      fmt::format("bench --scenario chain:3 --strategies tee --repeat 1 --storage-url file://{}",
                  (project / "other").string()));
  ASSERT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_THAT(removed.output, Not(HasSubstr("kept (--keep)")));
}

TEST_F(BenchOnRealStorage, AnUnreachableEndpointIsOneClearErrorWithoutTheSecret) {
  const int port = testing::free_loopback_port();  // nothing listens there
  write_s3_credentials(fmt::format("http://127.0.0.1:{}", port), "TOPSECRETKEY");
  const Result result = sluice(
      "bench --scenario chain:3 --repeat 1 --storage-url s3://bench/runs --credentials bench_s3");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("--storage-url 's3://bench/runs': the bench could not write"),
                    HasSubstr("nothing ran"), HasSubstr("the endpoint is up and reachable"),
                    HasSubstr("'bench_s3'"), Not(HasSubstr("TOPSECRETKEY")),
                    Not(HasSubstr("scenario  strategy"))));
}

TEST_F(BenchOnRealStorage, LocalFilesAndMemoryNeedNoServerAndLeaveNothingBehind) {
  const fs::path store = project / "store";
  const Result local = sluice(fmt::format(
      "bench --scenario chain:3 --strategies sequential,tee --repeat 1 --storage-url file://{}",
      store.string()));
  ASSERT_EQ(local.exit_code, 0) << local.output;
  const auto rows = testing::bench_rows_by_strategy(local.output, "chain:3");
  ASSERT_EQ(rows.size(), 2U) << local.output;
  EXPECT_EQ(writes(rows.at("sequential")), "3");
  EXPECT_EQ(reads(rows.at("tee")), "1");
  EXPECT_TRUE(!fs::exists(store) || fs::is_empty(store)) << "left in " << store;

  const Result kept = sluice(fmt::format(
      "bench --scenario chain:3 --strategies tee --repeat 1 --storage-url file://{} --keep",
      store.string()));
  ASSERT_EQ(kept.exit_code, 0) << kept.output;
  ASSERT_EQ(std::distance(fs::directory_iterator(store), fs::directory_iterator()), 1);
  EXPECT_TRUE(fs::is_regular_file(fs::directory_iterator(store)->path() / "tee/1/raw.bin"));

  // iris (the installed example) takes the credentials of the project it runs in.
  project.write("conf/local/credentials.yml", "mine:\n  key: K\n  secret: S\n");
  const Result iris =
      sluice("bench --strategies tee --repeat 1 --storage-url memory://b/runs --credentials mine");
  ASSERT_EQ(iris.exit_code, 0) << iris.output;
  EXPECT_THAT(iris.output, HasSubstr("credentials 'mine'"));

  // iris, on a bench.yml profile naming a real backend.
  project.write("conf/base/bench.yml",
                "storage:\n  scratch:\n    url: memory://bench/runs\n    description: tests\n");
  const Result profile =
      sluice("bench --scenario project --storage scratch --strategies sequential --repeat 1");
  ASSERT_EQ(profile.exit_code, 0) << profile.output;
  EXPECT_THAT(profile.output,
              HasSubstr("storage: real backend memory://bench/runs (profile 'scratch')"));
  EXPECT_EQ(writes(testing::bench_rows_by_strategy(profile.output, "project").at("sequential")),
            "5");
}

TEST_F(BenchOnRealStorage, BadOptionsNameTheFlagOrTheFileAndSayWhatToDo) {
  const Result scheme = sluice("bench --scenario chain:3 --storage-url s4://bucket/runs");
  EXPECT_EQ(scheme.exit_code, 1);
  EXPECT_THAT(scheme.output, AllOf(HasSubstr("--storage-url: 's4://bucket/runs' uses the storage "
                                             "scheme 's4' (did you mean 's3'?)"),
                                   HasSubstr("the bench takes file, memory, s3")));

  project.write("conf/local/credentials.yml", "bench_s3:\n  key: K\n  secret: TOPSECRETKEY\n");
  const Result missing =
      sluice("bench --scenario chain:3 --storage-url memory://b/runs --credentials bench_s4");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output,
              AllOf(HasSubstr("--credentials 'bench_s4'"), HasSubstr("defines no such credentials"),
                    HasSubstr("(did you mean 'bench_s3'?)"), HasSubstr("local/credentials.yml"),
                    Not(HasSubstr("TOPSECRETKEY"))));

  const Result simulated = sluice(
      "bench --scenario chain:3 --storage-url memory://b/runs --read-latency 1s --bandwidth "
      "1MB/s");
  EXPECT_EQ(simulated.exit_code, 1);
  EXPECT_THAT(simulated.output,
              AllOf(HasSubstr("--storage-url 'memory://b/runs' runs on a real backend"),
                    HasSubstr("--read-latency, --bandwidth cannot apply"),
                    HasSubstr("drop them, or drop --storage-url")));
  EXPECT_THAT(
      sluice("bench --scenario chain:3 --storage-url memory://b/runs --sweep bandwidth=1MB/s,0")
          .output,
      HasSubstr("--sweep bandwidth: a real backend"));
  EXPECT_THAT(sluice("bench --scenario chain:3 --keep").output,
              HasSubstr("--keep keeps the objects written on a real backend: give --storage-url"));
  EXPECT_THAT(sluice("bench --scenario chain:3 --credentials bench_s3").output,
              HasSubstr("--credentials 'bench_s3' is for a real backend"));

  project.write("conf/base/bench.yml",
                "storage:\n  remote:\n    url: memory://b/runs\n    read_latency: 1s\n");
  const Result profile = sluice("bench --scenario project --storage remote");
  EXPECT_EQ(profile.exit_code, 1);
  EXPECT_THAT(profile.output,
              AllOf(HasSubstr("conf/base/bench.yml:4:"),
                    HasSubstr("storage profile 'remote' has a `url:`, so it names a real backend"),
                    HasSubstr("remove 'read_latency'")));
}

}  // namespace
}  // namespace sluice
