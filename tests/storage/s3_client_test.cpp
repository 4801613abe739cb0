// The S3 client against a real S3 server on loopback: s3rver, started by the fixture.
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/storage/s3_client.hpp>

#include "support/kill9.hpp"
#include "support/s3rver.hpp"

using sluice::s3::S3Client;
using sluice::s3::S3Error;
using sluice::s3::S3Options;
using sluice::testing::S3rver;
using testing::HasSubstr;
using testing::Not;

namespace {

std::string pattern_bytes(std::size_t size, unsigned seed) {
  std::string bytes(size, '\0');
  unsigned state = seed;
  for (char& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

class S3ClientTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (S3rver::missing().empty())
      server_ = std::make_unique<S3rver>("sluice-test");
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override { SLUICE_REQUIRE_S3RVER(); }

  static S3Options options() {
    S3Options options;
    options.endpoint_url = server_->endpoint();
    options.credentials = {S3rver::access_key, S3rver::secret_key, "", "the test"};
    options.retry.base_delay = std::chrono::milliseconds(10);
    return options;
  }
  static const std::string& bucket() { return server_->bucket(); }

  static std::unique_ptr<S3rver> server_;
};

std::unique_ptr<S3rver> S3ClientTest::server_;

TEST_F(S3ClientTest, PutGetHeadExistsAndDeleteRoundTripAnObject) {
  S3Client client(options());
  const std::string bytes = pattern_bytes(100'000, 1) + std::string("\0tail", 5);
  client.put_object(bucket(), "round/trip object.bin", bytes);

  EXPECT_EQ(client.get_object(bucket(), "round/trip object.bin"), bytes);
  const auto info = client.head_object(bucket(), "round/trip object.bin");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, bytes.size());
  EXPECT_FALSE(info->etag.empty());
  EXPECT_TRUE(client.exists(bucket(), "round/trip object.bin"));

  client.delete_object(bucket(), "round/trip object.bin");
  EXPECT_FALSE(client.exists(bucket(), "round/trip object.bin"));
  EXPECT_FALSE(client.head_object(bucket(), "round/trip object.bin").has_value());
}

TEST_F(S3ClientTest, AnEmptyObjectRoundTrips) {
  S3Client client(options());
  client.put_object(bucket(), "empty", "");
  EXPECT_EQ(client.get_object(bucket(), "empty"), "");
  EXPECT_TRUE(client.exists(bucket(), "empty"));
}

TEST_F(S3ClientTest, ListObjectsV2FollowsContinuationTokensAndGroupsByDelimiter) {
  S3Client client(options());
  for (int i = 0; i < 5; ++i)
    client.put_object(bucket(), "list/file" + std::to_string(i), "x");
  client.put_object(bucket(), "list/sub/a", "y");
  client.put_object(bucket(), "list/sub/b", "y");

  int pages = 0;
  std::vector<std::string> keys;
  sluice::s3::ListOptions list{.prefix = "list/", .max_keys = 2};
  do {
    auto page = client.list_objects_v2(bucket(), list);
    EXPECT_LE(page.objects.size(), 2u);
    for (const auto& object : page.objects)
      keys.push_back(object.key);
    list.continuation_token = page.next_continuation_token;
    ++pages;
  } while (!list.continuation_token.empty() && pages < 10);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(keys, (std::vector<std::string>{"list/file0", "list/file1", "list/file2", "list/file3",
                                            "list/file4", "list/sub/a", "list/sub/b"}));
  EXPECT_EQ(client.list_all_objects(bucket(), "list/").size(), 7u);

  const auto grouped = client.list_objects_v2(bucket(), {.prefix = "list/", .delimiter = "/"});
  EXPECT_EQ(grouped.objects.size(), 5u);
  EXPECT_EQ(grouped.common_prefixes, std::vector<std::string>{"list/sub/"});
}

TEST_F(S3ClientTest, AnObjectAboveTheThresholdGoesUpInPartsAndReadsBackByteIdentical) {
  S3Options opts = options();
  opts.multipart_threshold = 5u << 20;
  opts.part_size = 5u << 20;
  opts.parallel_parts = 3;
  S3Client client(opts);
  const std::string bytes = pattern_bytes((12u << 20) + 12345, 7);
  client.put_object(bucket(), "multipart/big.bin", bytes);

  const auto info = client.head_object(bucket(), "multipart/big.bin");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, bytes.size());
  EXPECT_TRUE(client.get_object(bucket(), "multipart/big.bin") == bytes);
}

TEST_F(S3ClientTest, AMissingBucketIsNoSuchBucketSayingToCreateIt) {
  S3Client client(options());
  try {
    client.put_object("no-such-bucket", "a/b", "x");
    FAIL() << "put into a missing bucket succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.http_status(), 404);
    EXPECT_EQ(error.code(), "NoSuchBucket");
    EXPECT_THAT(error.what(), HasSubstr("s3://no-such-bucket/a/b"));
    EXPECT_THAT(error.what(), HasSubstr(server_->endpoint()));
    EXPECT_THAT(error.what(), HasSubstr("HTTP 404 NoSuchBucket"));
    EXPECT_THAT(error.what(), HasSubstr("Create the bucket 'no-such-bucket'"));
  }
}

TEST_F(S3ClientTest, AMissingKeyIsNoSuchKey) {
  S3Client client(options());
  try {
    client.get_object(bucket(), "never/written");
    FAIL() << "get of a missing key succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.code(), "NoSuchKey");
    EXPECT_THAT(error.what(), HasSubstr("s3://sluice-test/never/written"));
  }
}

// s3rver checks the access key id but not SigV4 signatures: a wrong key pair is refused as
// InvalidAccessKeyId (a wrong secret alone is only caught by a real S3).
TEST_F(S3ClientTest, WrongCredentialsGiveAClearErrorWithoutTheSecret) {
  S3Options opts = options();
  opts.credentials = {"WRONGKEYID", "wrong-secret-do-not-print", "token-do-not-print",
                      "credentials 'dev_s3' (conf/local/credentials.yml:2:3)"};
  S3Client client(opts);
  try {
    client.put_object(bucket(), "secret/test", "x");
    FAIL() << "a put with wrong credentials succeeded";
  } catch (const S3Error& error) {
    EXPECT_EQ(error.http_status(), 403);
    EXPECT_EQ(error.code(), "InvalidAccessKeyId");
    EXPECT_THAT(error.what(), HasSubstr("check the credentials"));
    EXPECT_THAT(error.what(), HasSubstr("credentials 'dev_s3' (conf/local/credentials.yml:2:3)"));
    EXPECT_THAT(error.what(), Not(HasSubstr("wrong-secret-do-not-print")));
    EXPECT_THAT(error.what(), Not(HasSubstr("token-do-not-print")));
  }
}

TEST_F(S3ClientTest, AMultipartUploadKilledByKill9LeavesNoVisibleObject) {
  const std::string key = "killed/partial.bin";
  // The child starts a multipart upload, sends one part, and is killed.
  ASSERT_TRUE(sluice::testing::run_in_child_then_kill9([&] {
    S3Options opts = options();
    opts.retry.max_attempts = 1;
    S3Client client(opts);
    const std::string upload_id = client.create_multipart_upload(bucket(), key);
    client.upload_part(bucket(), key, upload_id, 1, pattern_bytes(5u << 20, 3));
  })) << "the child did not start its upload";

  S3Client client(options());
  EXPECT_FALSE(client.exists(bucket(), key));
  EXPECT_TRUE(client.list_all_objects(bucket(), "killed/").empty());
}

}  // namespace
