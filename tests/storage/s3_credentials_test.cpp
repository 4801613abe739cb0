// S3 credentials resolution: the catalog's credentials (Kedro/fsspec's and AWS's keys), the
// AWS environment variables and the shared credentials file.
#include <map>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/storage/s3_credentials.hpp>

#include "support/temp_dir.hpp"

using sluice::ConfigError;
using sluice::Param;
using sluice::s3::Environment;
using sluice::s3::resolve_s3_options;
using sluice::s3::S3Options;
using sluice::testing::TempDir;
using testing::HasSubstr;
using testing::Not;

namespace {

Environment environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end())
      return std::nullopt;
    return found->second;
  };
}

Param credentials_yaml(const std::string& text) {
  return sluice::parse_yaml(text, "conf/local/credentials.yml").at("dev_s3");
}

/// The ConfigError message of resolving, or "" when it resolves.
std::string resolve_error(const Param& credentials, const Environment& env) {
  try {
    resolve_s3_options(credentials, "dev_s3", env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(S3Credentials, KedroFsspecKeysAndClientKwargsAreRead) {
  const S3Options options = resolve_s3_options(
      credentials_yaml("dev_s3:\n"
                       "  key: AKIDKEDRO\n"
                       "  secret: kedro-secret\n"
                       "  token: kedro-token\n"
                       "  client_kwargs:\n"
                       "    endpoint_url: http://127.0.0.1:4568\n"
                       "    region_name: eu-central-1\n"),
      "dev_s3", environment({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "e"}}));
  EXPECT_EQ(options.credentials.access_key_id, "AKIDKEDRO");
  EXPECT_EQ(options.credentials.secret_access_key, "kedro-secret");
  EXPECT_EQ(options.credentials.session_token, "kedro-token");
  EXPECT_EQ(options.endpoint_url, "http://127.0.0.1:4568");
  EXPECT_EQ(options.region, "eu-central-1");
  EXPECT_THAT(options.credentials.source, HasSubstr("credentials 'dev_s3'"));
  EXPECT_THAT(options.credentials.source, HasSubstr("conf/local/credentials.yml:2"));
}

TEST(S3Credentials, AwsKeysAreRead) {
  const S3Options options =
      resolve_s3_options(credentials_yaml("dev_s3:\n"
                                          "  aws_access_key_id: AKIDAWS\n"
                                          "  aws_secret_access_key: aws-secret\n"
                                          "  aws_session_token: aws-token\n"
                                          "  endpoint_url: http://localhost:9000\n"
                                          "  region: ap-south-1\n"),
                         "dev_s3", environment({}));
  EXPECT_EQ(options.credentials.access_key_id, "AKIDAWS");
  EXPECT_EQ(options.credentials.secret_access_key, "aws-secret");
  EXPECT_EQ(options.credentials.session_token, "aws-token");
  EXPECT_EQ(options.endpoint_url, "http://localhost:9000");
  EXPECT_EQ(options.region, "ap-south-1");
}

TEST(S3Credentials, AnUnknownKeyNamesTheFileAndLineAndSuggestsTheKnownOne) {
  const std::string message = resolve_error(credentials_yaml("dev_s3:\n"
                                                             "  key: AKID\n"
                                                             "  secrte: the-secret-value\n"),
                                            environment({}));
  EXPECT_THAT(message, HasSubstr("conf/local/credentials.yml:3"));
  EXPECT_THAT(message, HasSubstr("unknown key 'secrte'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'secret'"));
  EXPECT_THAT(message, Not(HasSubstr("the-secret-value")));
}

TEST(S3Credentials, AnUnknownClientKwargsKeyIsAnError) {
  const std::string message = resolve_error(credentials_yaml("dev_s3:\n"
                                                             "  client_kwargs:\n"
                                                             "    endpoint: http://x\n"),
                                            environment({}));
  EXPECT_THAT(message, HasSubstr("conf/local/credentials.yml:3"));
  EXPECT_THAT(message, HasSubstr("client_kwargs.endpoint"));
  EXPECT_THAT(message, HasSubstr("did you mean 'endpoint_url'"));
}

TEST(S3Credentials, KedroAndAwsNamesOfOneSettingTogetherAreAnError) {
  const std::string message = resolve_error(credentials_yaml("dev_s3:\n"
                                                             "  key: AKID\n"
                                                             "  aws_access_key_id: AKID2\n"
                                                             "  secret: s\n"),
                                            environment({}));
  EXPECT_THAT(message, HasSubstr("conf/local/credentials.yml:3"));
  EXPECT_THAT(message, HasSubstr("keep one"));
}

TEST(S3Credentials, AKeyWithoutASecretIsAnErrorThatShowsNeither) {
  const std::string message = resolve_error(credentials_yaml("dev_s3:\n"
                                                             "  key: AKIDALONE\n"),
                                            environment({}));
  EXPECT_THAT(message, HasSubstr("credentials 'dev_s3'"));
  EXPECT_THAT(message, HasSubstr("give both"));
  EXPECT_THAT(message, Not(HasSubstr("AKIDALONE")));
}

TEST(S3Credentials, WithoutCatalogCredentialsTheEnvironmentIsUsed) {
  const S3Options options =
      resolve_s3_options(Param(), "",
                         environment({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                      {"AWS_SECRET_ACCESS_KEY", "env-secret"},
                                      {"AWS_SESSION_TOKEN", "env-token"},
                                      {"AWS_REGION", "us-west-2"},
                                      {"AWS_DEFAULT_REGION", "us-east-2"},
                                      {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"}}));
  EXPECT_EQ(options.credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(options.credentials.secret_access_key, "env-secret");
  EXPECT_EQ(options.credentials.session_token, "env-token");
  EXPECT_EQ(options.region, "us-west-2");
  EXPECT_EQ(options.endpoint_url, "http://127.0.0.1:1");
  EXPECT_THAT(options.credentials.source, HasSubstr("environment"));
}

TEST(S3Credentials, AwsDefaultRegionIsUsedWithoutAwsRegion) {
  const S3Options options = resolve_s3_options(
      Param(), "", environment({{"AWS_DEFAULT_REGION", "us-east-2"}, {"HOME", "/nonexistent"}}));
  EXPECT_EQ(options.region, "us-east-2");
}

TEST(S3Credentials, CatalogRegionAndEndpointWinOverTheEnvironment) {
  const S3Options options = resolve_s3_options(
      credentials_yaml("dev_s3:\n  region: eu-north-1\n  endpoint_url: http://catalog\n"), "dev_s3",
      environment({{"AWS_REGION", "us-west-2"},
                   {"AWS_ENDPOINT_URL", "http://env"},
                   {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                   {"AWS_SECRET_ACCESS_KEY", "env-secret"}}));
  EXPECT_EQ(options.region, "eu-north-1");
  EXPECT_EQ(options.endpoint_url, "http://catalog");
  EXPECT_EQ(options.credentials.access_key_id, "AKIDENV");
}

TEST(S3Credentials, HalfAKeyPairInTheEnvironmentIsAnError) {
  const std::string message =
      resolve_error(Param(), environment({{"AWS_ACCESS_KEY_ID", "AKIDENV"}}));
  EXPECT_THAT(message, HasSubstr("AWS_SECRET_ACCESS_KEY"));
  EXPECT_THAT(message, Not(HasSubstr("AKIDENV")));
}

TEST(S3Credentials, TheDefaultProfileOfHomeAwsCredentialsIsUsed) {
  TempDir home;
  home.write(".aws/credentials",
             "# comment\n"
             "[default]\n"
             "aws_access_key_id = AKIDFILE\n"
             "aws_secret_access_key=file-secret\n"
             "region = sa-east-1\n"
             "[other]\n"
             "aws_access_key_id = AKIDOTHER\n"
             "aws_secret_access_key = other-secret\n");
  const S3Options options =
      resolve_s3_options(Param(), "", environment({{"HOME", home.path().string()}}));
  EXPECT_EQ(options.credentials.access_key_id, "AKIDFILE");
  EXPECT_EQ(options.credentials.secret_access_key, "file-secret");
  EXPECT_EQ(options.region, "sa-east-1");
  EXPECT_THAT(options.credentials.source, HasSubstr("profile 'default'"));
}

TEST(S3Credentials, AwsProfileAndAwsSharedCredentialsFileChooseTheProfile) {
  TempDir folder;
  const auto file = folder.write("creds.ini",
                                 "[default]\n"
                                 "aws_access_key_id = AKIDFILE\n"
                                 "aws_secret_access_key = file-secret\n"
                                 "[ci]\n"
                                 "aws_access_key_id = AKIDCI\n"
                                 "aws_secret_access_key = ci-secret\n"
                                 "aws_session_token = ci-token\n");
  const S3Options options = resolve_s3_options(
      Param(), "",
      environment({{"AWS_SHARED_CREDENTIALS_FILE", file.string()}, {"AWS_PROFILE", "ci"}}));
  EXPECT_EQ(options.credentials.access_key_id, "AKIDCI");
  EXPECT_EQ(options.credentials.secret_access_key, "ci-secret");
  EXPECT_EQ(options.credentials.session_token, "ci-token");
}

TEST(S3Credentials, AMissingProfileIsAnErrorNamingTheFileAndTheProfilesThere) {
  TempDir home;
  home.write(".aws/credentials",
             "[default]\naws_access_key_id = A\naws_secret_access_key = file-secret\n");
  const std::string message = resolve_error(
      Param(), environment({{"HOME", home.path().string()}, {"AWS_PROFILE", "defualt"}}));
  EXPECT_THAT(message, HasSubstr(".aws/credentials"));
  EXPECT_THAT(message, HasSubstr("no profile 'defualt'"));
  EXPECT_THAT(message, HasSubstr("did you mean 'default'"));
  EXPECT_THAT(message, Not(HasSubstr("file-secret")));
}

TEST(S3Credentials, AMalformedCredentialsFileLineNamesFileAndLineWithoutTheValue) {
  TempDir home;
  home.write(".aws/credentials", "[default]\naws_access_key_id = A\nsecret-without-equals\n");
  const std::string message = resolve_error(Param(), environment({{"HOME", home.path().string()}}));
  EXPECT_THAT(message, HasSubstr(".aws/credentials:3:"));
  EXPECT_THAT(message, Not(HasSubstr("secret-without-equals")));
}

TEST(S3Credentials, NoSourceAtAllMeansNoCredentialsAndTheDefaultRegion) {
  const S3Options options =
      resolve_s3_options(Param(), "", environment({{"HOME", "/nonexistent"}}));
  EXPECT_TRUE(options.credentials.access_key_id.empty());
  EXPECT_EQ(options.region, "us-east-1");
  EXPECT_TRUE(options.endpoint_url.empty());
  EXPECT_THAT(options.credentials.source, HasSubstr("none"));
}

}  // namespace
