#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>
#include <sluice/storage/s3_client.hpp>

namespace sluice::s3 {

/// Reads environment variables; tests give their own.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

/// The process's environment (getenv).
SLUICE_API Environment process_environment();

/// Fills the credentials, region and endpoint of `options` as every AWS tool does, first
/// source first:
///  - `credentials`, a catalog entry's credentials (a map from credentials.yml; null: none),
///    with Kedro/fsspec's keys (`key`, `secret`, `token`, `client_kwargs: {endpoint_url,
///    region_name}`) or AWS's (`aws_access_key_id`, `aws_secret_access_key`,
///    `aws_session_token`, `endpoint_url`, `region`);
///  - the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION
///    then AWS_DEFAULT_REGION, AWS_ENDPOINT_URL;
///  - the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), the
///    profile AWS_PROFILE or `default`.
/// A key pair comes whole from one source. Unknown keys, a half key pair and a malformed
/// credentials file are ConfigErrors naming the file:line; no message shows a secret.
/// `credentials_name` names the entry in messages ("" when there is none); `used_by`, if
/// given, names who uses them ("dataset 'model' (BinaryDataset)"), also in
/// `options.credentials.source`.
SLUICE_API S3Options resolve_s3_options(const Param& credentials, std::string_view credentials_name,
                                        const Environment& environment = process_environment(),
                                        S3Options options = {}, std::string_view used_by = {});

}  // namespace sluice::s3
