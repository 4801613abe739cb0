// The S3 client's fault paths and what it sends, against a tiny fault-injecting HTTP server
// on loopback (tests/support/fake_http_server.hpp).
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/core/util/json.hpp>
#include <sluice/storage/s3_client.hpp>
#include <sluice/storage/s3_storage.hpp>

#include "support/fake_http_server.hpp"
#include "support/fake_s3.hpp"
#include "support/kill9.hpp"
#include "support/temp_dir.hpp"

using sluice::s3::S3Client;
using sluice::s3::S3Error;
using sluice::s3::S3Options;
using sluice::s3::S3Storage;
using sluice::testing::FakeHttpServer;
using sluice::testing::HttpReply;
using sluice::testing::HttpRequest;
using sluice::testing::s3_error;
using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

namespace {

constexpr const char* secret = "fake-secret-never-shown";

S3Options fast_options(const FakeHttpServer& server) {
  S3Options options;
  options.endpoint_url = server.endpoint();
  options.region = "eu-west-3";
  options.credentials = {"AKIDFAKE", secret, "", "the test"};
  options.retry.max_attempts = 4;
  options.retry.base_delay = std::chrono::milliseconds(1);
  options.retry.max_delay = std::chrono::milliseconds(5);
  return options;
}

/// Answers with `fault` the first `count` times, then 200 with `body`.
FakeHttpServer::Handler faulty(int count, HttpReply fault, std::string body = "ok") {
  auto seen = std::make_shared<std::atomic<int>>(0);
  return [=](const HttpRequest&) {
    if (seen->fetch_add(1) < count)
      return fault;
    return HttpReply{200, body, {{"ETag", "\"abc\""}}, false};
  };
}

TEST(S3Faults, A503SlowDownIsRetriedUntilItSucceeds) {
  FakeHttpServer server(faulty(2, s3_error(503, "SlowDown", "Please reduce your request rate.")));
  S3Client client(fast_options(server));
  client.put_object("bucket", "key", "payload");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3Faults, A429IsRetried) {
  FakeHttpServer server(faulty(1, s3_error(429, "TooManyRequests", "Slow down.")));
  S3Client client(fast_options(server));
  EXPECT_EQ(client.get_object("bucket", "key"), "ok");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(S3Faults, AConnectionResetIsRetried) {
  FakeHttpServer server(faulty(2, HttpReply{.reset = true}, "after the resets"));
  S3Client client(fast_options(server));
  EXPECT_EQ(client.get_object("bucket", "key"), "after the resets");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3Faults, RetriesStopAfterMaxAttemptsAndTheErrorSaysSo) {
  FakeHttpServer server(faulty(100, s3_error(500, "InternalError", "We encountered an error.")));
  S3Options options = fast_options(server);
  options.retry.max_attempts = 3;
  S3Client client(options);
  try {
    client.get_object("bucket", "dir/key");
    FAIL() << "a get that always fails succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.http_status(), 500);
    EXPECT_EQ(error.code(), "InternalError");
    EXPECT_THAT(error.what(), HasSubstr("S3 GetObject of s3://bucket/dir/key failed"));
    EXPECT_THAT(error.what(), HasSubstr("HTTP 500 InternalError: We encountered an error."));
    EXPECT_THAT(error.what(), HasSubstr("Gave up after 3 attempts"));
  }
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3Faults, RetriesStopAtTheTotalTimeBound) {
  FakeHttpServer server(faulty(100, s3_error(503, "SlowDown", "Reduce your rate.")));
  S3Options options = fast_options(server);
  options.retry.max_attempts = 1000;
  options.retry.base_delay = std::chrono::milliseconds(1000);
  options.retry.max_delay = std::chrono::milliseconds(1000);
  options.retry.max_total_time = std::chrono::milliseconds(0);
  S3Client client(options);
  EXPECT_THROW(client.get_object("bucket", "key"), S3Error);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(S3Faults, BackoffSleepsStayUnderTheCapAndWithinTheTotalTime) {
  FakeHttpServer server(faulty(100, s3_error(503, "SlowDown", "Reduce your rate.")));
  S3Options options = fast_options(server);
  auto clock = std::make_shared<sluice::ManualClock>();
  options.clock = clock;
  options.retry.max_attempts = 50;
  options.retry.base_delay = std::chrono::milliseconds(100);
  options.retry.max_delay = std::chrono::milliseconds(400);
  options.retry.max_total_time = std::chrono::milliseconds(2000);
  S3Client client(options);
  try {
    client.get_object("bucket", "key");
    FAIL() << "a get that always fails succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.code(), "SlowDown");
    EXPECT_THAT(error.what(), HasSubstr("Gave up after"));
  }
  const std::size_t attempts = server.requests().size();
  // Each sleep is at most 400 ms and the sleeps add up to at most 2 s, so at least five
  // sleeps fit.
  EXPECT_LE(clock->now(), std::chrono::milliseconds(2000));
  EXPECT_LE(clock->now(), std::chrono::milliseconds(400) * (attempts - 1));
  EXPECT_GE(attempts, 5u);
}

TEST(S3Faults, A4xxIsNotRetried) {
  FakeHttpServer server(faulty(100, s3_error(403, "AccessDenied", "Access Denied")));
  S3Client client(fast_options(server));
  try {
    client.put_object("bucket", "key", "x");
    FAIL() << "a denied put succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.code(), "AccessDenied");
    EXPECT_THAT(error.what(), HasSubstr("check the bucket policy"));
    EXPECT_THAT(error.what(), HasSubstr("Credentials used: the test"));
  }
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(S3Faults, SignatureDoesNotMatchSaysToCheckTheSecretAndNeverShowsIt) {
  FakeHttpServer server(
      faulty(100, s3_error(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you "
                           "provided. Check your key and signing method.")));
  S3Options options = fast_options(server);
  options.credentials.session_token = "session-token-never-shown";
  S3Client client(options);
  try {
    client.get_object("bucket", "key");
    FAIL() << "a get with a bad signature succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.code(), "SignatureDoesNotMatch");
    EXPECT_THAT(error.what(), HasSubstr("check the secret and the region"));
    // S3's message ends its own sentence: no "..".
    EXPECT_THAT(error.what(), HasSubstr("Check your key and signing method. "));
    EXPECT_THAT(error.what(), Not(HasSubstr("..")));
    EXPECT_THAT(error.what(), Not(HasSubstr(secret)));
    EXPECT_THAT(error.what(), Not(HasSubstr("session-token-never-shown")));
  }
}

TEST(S3Faults, NoServerListeningIsAClearErrorAfterBoundedRetries) {
  int port = 0;
  {
    FakeHttpServer gone(faulty(0, {}));
    port = std::stoi(gone.endpoint().substr(gone.endpoint().rfind(':') + 1));
  }
  S3Options options;
  options.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
  options.credentials = {"AKIDFAKE", secret, "", "the test"};
  options.retry.max_attempts = 2;
  options.retry.base_delay = std::chrono::milliseconds(1);
  S3Client client(options);
  try {
    client.get_object("bucket", "key");
    FAIL() << "a get without a server succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.http_status(), 0);
    EXPECT_THAT(error.what(), HasSubstr("no answer"));
    EXPECT_THAT(error.what(), HasSubstr("the server is running"));
    EXPECT_THAT(error.what(), HasSubstr("Gave up after 2 attempts"));
    EXPECT_THAT(error.what(), Not(HasSubstr(secret)));
  }
}

TEST(S3Faults, RequestsAreSignedWithSigV4ForTheRegionAndCarryThePayloadHash) {
  FakeHttpServer server(faulty(0, {}));
  S3Options options = fast_options(server);
  options.credentials.session_token = "the-session-token";
  S3Client client(options);
  client.put_object("bucket", "dir/a b.txt", "hello");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& put = requests.front();
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/bucket/dir/a%20b.txt");
  EXPECT_EQ(put.body, "hello");
  // SHA-256 of "hello".
  EXPECT_EQ(put.header("x-amz-content-sha256"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_FALSE(put.header("x-amz-date").empty());
  EXPECT_EQ(put.header("x-amz-security-token"), "the-session-token");
  const std::string authorization = put.header("authorization");
  EXPECT_THAT(authorization, StartsWith("AWS4-HMAC-SHA256 Credential=AKIDFAKE/"));
  EXPECT_THAT(authorization, HasSubstr("/eu-west-3/s3/aws4_request"));
  EXPECT_THAT(authorization, HasSubstr("SignedHeaders="));
  EXPECT_THAT(authorization, HasSubstr("host"));
  EXPECT_THAT(authorization, HasSubstr("x-amz-content-sha256"));
  EXPECT_THAT(authorization, HasSubstr("x-amz-date"));
  EXPECT_THAT(authorization, HasSubstr("Signature="));
  EXPECT_THAT(authorization, Not(HasSubstr(secret)));
}

TEST(S3Faults, RemoveIsOneDeleteWithoutAHeadFirst) {
  // S3 answers 204 to a DELETE whether the key existed or not.
  FakeHttpServer server([](const HttpRequest&) { return HttpReply{204, "", {}, false}; });
  const sluice::s3::S3Storage storage(fast_options(server));
  EXPECT_TRUE(storage.remove("bucket/dir/gone.txt"));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests.front().method, "DELETE");
  EXPECT_EQ(requests.front().target, "/bucket/dir/gone.txt");
}

TEST(S3Faults, AddressingIsPathStyleForACustomEndpointAndVirtualHostForAws) {
  S3Options aws;
  aws.region = "eu-west-1";
  EXPECT_EQ(S3Client(aws).object_url("bucket", "a/b c"),
            "https://bucket.s3.eu-west-1.amazonaws.com/a/b%20c");
  aws.addressing = sluice::s3::Addressing::path;
  EXPECT_EQ(S3Client(aws).object_url("bucket", "k"), "https://s3.eu-west-1.amazonaws.com/bucket/k");

  S3Options custom;
  custom.endpoint_url = "http://127.0.0.1:9000/";
  EXPECT_EQ(S3Client(custom).object_url("bucket", "k"), "http://127.0.0.1:9000/bucket/k");
  custom.addressing = sluice::s3::Addressing::virtual_host;
  EXPECT_EQ(S3Client(custom).object_url("bucket", "k"), "http://bucket.127.0.0.1:9000/k");
}

using FakeMultipartS3 = sluice::testing::FakeS3;

TEST(S3Faults, AFailedPartAbortsTheMultipartUploadSoNoOrphanIsLeft) {
  auto s3 = std::make_shared<FakeMultipartS3>();
  s3->fail_part("2");
  FakeHttpServer server([s3](const HttpRequest& request) { return (*s3)(request); });
  S3Options options = fast_options(server);
  options.multipart_threshold = 1000;
  options.part_size = 1000;
  S3Client client(options);
  try {
    client.put_object("bucket", "big", std::string(3500, 'x'));
    FAIL() << "a multipart upload with a rejected part succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.code(), "InvalidPart");
    EXPECT_THAT(error.what(), HasSubstr("S3 UploadPart of s3://bucket/big"));
  }
  EXPECT_EQ(s3->aborted(), std::vector<std::string>{"upload1"});
  EXPECT_TRUE(s3->uploads_in_progress().empty());
  EXPECT_FALSE(client.exists("bucket", "big"));
}

TEST(S3Faults, AMultipartUploadSendsEveryPartAndCompletesInOrder) {
  auto s3 = std::make_shared<FakeMultipartS3>();
  FakeHttpServer server([s3](const HttpRequest& request) { return (*s3)(request); });
  S3Options options = fast_options(server);
  options.multipart_threshold = 1000;
  options.part_size = 1000;
  S3Client client(options);
  client.put_object("bucket", "big", std::string(3500, 'x'));
  EXPECT_TRUE(client.exists("bucket", "big"));
  std::size_t part_bytes = 0;
  std::string completion;
  for (const HttpRequest& request : server.requests()) {
    if (request.method == "PUT")
      part_bytes += request.body.size();
    if (request.method == "POST" && request.target.find("uploadId=") != std::string::npos)
      completion = request.body;
  }
  EXPECT_EQ(part_bytes, 3500u);
  EXPECT_THAT(completion, HasSubstr("<Part><PartNumber>1</PartNumber><ETag>&quot;part1&quot;"));
  EXPECT_LT(completion.find("<PartNumber>3</PartNumber>"),
            completion.find("<PartNumber>4</PartNumber>"));
}

TEST(S3Faults, TheOrphanOfAnUploaderKilledByKill9IsListedAndAborted) {
  auto s3 = std::make_shared<FakeMultipartS3>();
  FakeHttpServer server([s3](const HttpRequest& request) { return (*s3)(request); });
  const S3Options options = fast_options(server);
  ASSERT_TRUE(sluice::testing::run_in_child_then_kill9([&] {
    S3Client client(options);
    const std::string id = client.create_multipart_upload("bucket", "run1/out.bin");
    client.upload_part("bucket", "run1/out.bin", id, 1, std::string(100, 'x'));
  }));

  S3Client client(options);
  EXPECT_FALSE(client.exists("bucket", "run1/out.bin"));
  const auto orphans = client.list_multipart_uploads("bucket", "run1/");
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans.front().key, "run1/out.bin");
  EXPECT_EQ(client.abort_multipart_uploads("bucket", "run1/"), 1u);
  EXPECT_TRUE(client.list_multipart_uploads("bucket", "run1/").empty());
  EXPECT_TRUE(s3->uploads_in_progress().empty());
}

std::string pid_namespace() {
  return std::filesystem::read_symlink("/proc/self/ns/pid").string();
}

/// A journal entry as put_object writes it, for the process given.
std::string journal_entry(const std::string& endpoint, const std::string& upload_id,
                          const std::string& host, long pid, unsigned long long pid_start,
                          const std::string& bucket = "bucket",
                          const std::string& namespace_of_pid = pid_namespace()) {
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  std::getline(boot, boot_id);
  sluice::Json entry = {{"endpoint", endpoint},
                        {"bucket", bucket},
                        {"key", "out.bin"},
                        {"upload_id", upload_id},
                        {"initiated", "2026-01-01T00:00:00Z"},
                        {"host", host},
                        {"boot_id", boot_id},
                        {"pid_namespace", namespace_of_pid},
                        {"pid", pid},
                        {"pid_start", pid_start}};
  return entry.dump();
}

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

TEST(S3Faults, TheUploadOfALiveProcessIsNeverAbortedByTheDeadUploadCleanup) {
  auto s3 = std::make_shared<FakeMultipartS3>();
  FakeHttpServer server([s3](const HttpRequest& request) { return (*s3)(request); });
  sluice::testing::TempDir journal;
  S3Options options = fast_options(server);
  options.multipart_threshold = 1000;
  options.part_size = 1000;
  options.upload_journal = journal.path();
  S3Client uploader(options);
  s3->stall.arm();
  std::string upload_error;
  std::thread upload([&] {
    try {
      uploader.put_object("bucket", "out.bin", std::string(3500, 'x'));
    } catch (const std::exception& error) {
      upload_error = error.what();
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!s3->stall.holding() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!s3->stall.holding()) {
    s3->stall.release();
    upload.join();
    FAIL() << "the upload sent no part: " << upload_error;
  }

  S3Client cleaner(options);
  const auto cleanup = cleaner.abort_dead_uploads("bucket");
  EXPECT_TRUE(cleanup.aborted.empty());
  EXPECT_TRUE(cleanup.failures.empty());
  s3->stall.release();
  upload.join();
  EXPECT_EQ(upload_error, "");
  EXPECT_TRUE(s3->aborted().empty());
  EXPECT_EQ(s3->object("out.bin"), std::string(3500, 'x'));
  EXPECT_TRUE(std::filesystem::is_empty(journal.path()));  // completed: forgotten
}

/// A fake S3 and an upload journal in a folder of its own, for the dead upload cleanup.
class S3DeadUploadCleanup : public ::testing::Test {
 protected:
  std::shared_ptr<FakeMultipartS3> s3 = std::make_shared<FakeMultipartS3>();
  FakeHttpServer server{[s3 = s3](const HttpRequest& request) { return (*s3)(request); }};
  sluice::testing::TempDir journal;
  S3Options options = [this] {
    S3Options journaled = fast_options(server);
    journaled.upload_journal = journal.path();
    return journaled;
  }();
  S3Client client{options};
};

TEST_F(S3DeadUploadCleanup,
       TheDeadUploadCleanupAbortsAReusedPidsUploadAndLeavesOtherHostsBucketsAndContainersAlone) {
  const std::string reused = client.create_multipart_upload("bucket", "out.bin");
  const std::string elsewhere = client.create_multipart_upload("bucket", "out.bin");
  const std::string other_bucket = client.create_multipart_upload("other", "out.bin");
  const std::string other_container = client.create_multipart_upload("bucket", "out.bin");
  // This pid runs, but not the program that started the upload (another start time).
  journal.write("a.upload", journal_entry(server.endpoint(), reused, this_host(), ::getpid(), 1));
  journal.write("b.upload", journal_entry(server.endpoint(), elsewhere, "another-host", 1, 1));
  journal.write("c.upload", journal_entry(server.endpoint(), other_bucket, this_host(), ::getpid(),
                                          1, "other"));
  journal.write("d.upload", journal_entry(server.endpoint(), other_container, this_host(),
                                          ::getpid(), 1, "bucket", "pid:[1]"));

  const auto cleanup = client.abort_dead_uploads("bucket");
  ASSERT_EQ(cleanup.aborted.size(), 1u);
  EXPECT_EQ(cleanup.aborted.front().upload_id, reused);
  EXPECT_EQ(s3->aborted(), std::vector<std::string>{reused});
  EXPECT_FALSE(std::filesystem::exists(journal / "a.upload"));
  EXPECT_TRUE(std::filesystem::exists(journal / "b.upload"));
  EXPECT_TRUE(std::filesystem::exists(journal / "c.upload"));
  EXPECT_TRUE(std::filesystem::exists(journal / "d.upload"));
}

TEST_F(S3DeadUploadCleanup, S3StorageCleansUpEachBucketOnceWhateverOrderItsOperationsUseThem) {
  const auto dead_upload = [&](const std::string& bucket, const std::string& file) {
    const std::string id = client.create_multipart_upload(bucket, "out.bin");
    journal.write(file, journal_entry(server.endpoint(), id, this_host(), ::getpid(), 1, bucket));
    return id;
  };
  const std::string first = dead_upload("bucket", "a.upload");
  const std::string other = dead_upload("other", "b.upload");
  const S3Storage storage(options);

  EXPECT_FALSE(storage.exists("bucket/x"));
  EXPECT_EQ(s3->aborted(), std::vector<std::string>{first});
  EXPECT_FALSE(storage.exists("other/y"));
  EXPECT_EQ(s3->aborted(), (std::vector<std::string>{first, other}));
  // Each bucket was cleaned once: an upload journaled since is not aborted on their next uses.
  dead_upload("bucket", "c.upload");
  storage.write("bucket/x", "1");
  EXPECT_FALSE(storage.exists("other/y"));  // the fake S3 keeps one key space for all buckets
  EXPECT_EQ(storage.read("bucket/x"), "1");
  EXPECT_TRUE(storage.write_new("other/y", "2"));
  EXPECT_EQ(s3->aborted(), (std::vector<std::string>{first, other}));
  EXPECT_TRUE(std::filesystem::exists(journal / "c.upload"));
}

}  // namespace
