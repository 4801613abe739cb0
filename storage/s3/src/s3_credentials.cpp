#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include <fmt/format.h>

#include <sluice/core/util/suggest.hpp>
#include <sluice/storage/s3_credentials.hpp>

namespace sluice::s3 {

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr || *value == '\0')
      return std::nullopt;
    return std::string(value);
  };
}

namespace {

std::string where(const Param& value) {
  return value.mark().known() ? value.mark().str() + ": " : std::string();
}

/// How messages name the catalog's credentials: "credentials 'dev_s3'", then `mark` (may be
/// empty), then ", the credentials of <used_by>" when the caller says who uses them.
std::string credentials_label(std::string_view name, std::string_view used_by,
                              std::string_view mark = {}) {
  if (name.empty())
    return used_by.empty() ? fmt::format("the catalog's credentials{}", mark)
                           : fmt::format("the credentials of {}{}", used_by, mark);
  return fmt::format("credentials '{}'{}{}{}", name, mark,
                     used_by.empty() ? "" : ", the credentials of ", used_by);
}

/// The catalog's credentials, their keys mapped to AWS's names.
struct CatalogKeys {
  std::map<std::string, const Param*> values;  // AWS name -> value
};

const std::vector<std::string>& accepted_keys() {
  static const std::vector<std::string> keys = {"key",
                                                "secret",
                                                "token",
                                                "client_kwargs",
                                                "aws_access_key_id",
                                                "aws_secret_access_key",
                                                "aws_session_token",
                                                "endpoint_url",
                                                "region"};
  return keys;
}

std::string canonical(std::string_view key) {
  if (key == "key")
    return "aws_access_key_id";
  if (key == "secret")
    return "aws_secret_access_key";
  if (key == "token")
    return "aws_session_token";
  if (key == "region_name")
    return "region";
  return std::string(key);
}

void add_key(CatalogKeys& keys, std::string_view name, const std::string& key, const Param& value,
             std::string_view spelled) {
  const std::string aws = canonical(spelled);
  if (keys.values.contains(aws))
    throw ConfigError(
        fmt::format("{}{}: '{}' gives {} a second time (Kedro's and AWS's names of the same "
                    "setting are both there): keep one",
                    where(value), name, key, aws));
  if (value.kind() != Param::Kind::string)
    throw ConfigError(fmt::format("{}{}: '{}' is a {}, but it must be a string", where(value), name,
                                  key, Param::kind_name(value.kind())));
  keys.values[aws] = &value;
}

CatalogKeys read_catalog_keys(const Param& credentials, std::string_view name) {
  CatalogKeys keys;
  if (credentials.is_null())
    return keys;
  if (!credentials.is_map())
    throw ConfigError(
        fmt::format("{}{} is a {}, but S3 credentials are a map (key, secret, token, "
                    "client_kwargs: {{endpoint_url, region_name}}, or aws_access_key_id, "
                    "aws_secret_access_key, aws_session_token, endpoint_url, region)",
                    where(credentials), name, Param::kind_name(credentials.kind())));
  for (const auto& [key, value] : credentials.as_map()) {
    if (key == "client_kwargs") {
      if (!value.is_map())
        throw ConfigError(
            fmt::format("{}{}: client_kwargs is a {}, but it must be a map "
                        "({{endpoint_url: ..., region_name: ...}})",
                        where(value), name, Param::kind_name(value.kind())));
      static const std::vector<std::string> client_keys = {"endpoint_url", "region_name"};
      for (const auto& [client_key, client_value] : value.as_map()) {
        if (client_key != "endpoint_url" && client_key != "region_name")
          throw ConfigError(fmt::format(
              "{}{}: unknown key client_kwargs.{}{}; S3 reads endpoint_url and "
              "region_name there",
              where(client_value), name, client_key, did_you_mean(client_key, client_keys)));
        add_key(keys, name, "client_kwargs." + client_key, client_value, client_key);
      }
      continue;
    }
    const auto& accepted = accepted_keys();
    if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
      throw ConfigError(
          fmt::format("{}{}: unknown key '{}'{}; S3 credentials accept key, secret, token, "
                      "client_kwargs (endpoint_url, region_name), aws_access_key_id, "
                      "aws_secret_access_key, aws_session_token, endpoint_url and region",
                      where(value), name, key, did_you_mean(key, accepted)));
    add_key(keys, name, key, value, key);
  }
  return keys;
}

struct Profile {
  std::map<std::string, std::string> values;
};

/// The sections of an AWS shared credentials file ("[name]" then "key = value" lines).
std::map<std::string, Profile> read_credentials_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw ConfigError(
        fmt::format("{}: the AWS credentials file cannot be read: check its permissions, or point "
                    "AWS_SHARED_CREDENTIALS_FILE at another one",
                    path.string()));
  std::map<std::string, Profile> profiles;
  Profile* current = nullptr;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos || line[begin] == '#' || line[begin] == ';')
      continue;
    const auto end = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(begin, end - begin + 1);
    if (text.front() == '[') {
      if (text.back() != ']')
        throw ConfigError(fmt::format("{}:{}: a section header must end with ']' ([profile])",
                                      path.string(), number));
      std::string section = text.substr(1, text.size() - 2);
      if (section.starts_with("profile "))
        section = section.substr(8);
      current = &profiles[section];
      continue;
    }
    const auto equals = text.find('=');
    if (equals == std::string::npos)
      throw ConfigError(
          fmt::format("{}:{}: expected 'name = value' or '[profile]' (the value is not shown)",
                      path.string(), number));
    if (current == nullptr)
      throw ConfigError(
          fmt::format("{}:{}: a setting before the first [profile] header: put it under [default]",
                      path.string(), number));
    const std::string name = text.substr(0, text.find_last_not_of(" \t", equals - 1) + 1);
    const auto value_begin = text.find_first_not_of(" \t", equals + 1);
    current->values[name] = value_begin == std::string::npos ? "" : text.substr(value_begin);
  }
  return profiles;
}

std::string value_of(const CatalogKeys& keys, const std::string& aws) {
  const auto found = keys.values.find(aws);
  return found == keys.values.end() ? std::string() : found->second->as_string();
}

}  // namespace

S3Options resolve_s3_options(const Param& credentials, std::string_view credentials_name,
                             const Environment& environment, S3Options options,
                             std::string_view used_by) {
  const std::string label = credentials_label(credentials_name, used_by);
  const CatalogKeys keys = read_catalog_keys(credentials, label);
  const auto env = [&environment](const std::string& name) {
    return environment(name).value_or("");
  };

  const std::string catalog_key = value_of(keys, "aws_access_key_id");
  const std::string catalog_secret = value_of(keys, "aws_secret_access_key");
  std::string profile_region;
  if (!catalog_key.empty() || !catalog_secret.empty() ||
      keys.values.contains("aws_session_token")) {
    if (catalog_key.empty() || catalog_secret.empty())
      throw ConfigError(fmt::format(
          "{}{} give {} but not {}: give both (key and secret, or "
          "aws_access_key_id and aws_secret_access_key)",
          where(credentials), label, catalog_key.empty() ? "a secret" : "an access key id",
          catalog_key.empty() ? "the access key id" : "the secret"));
    options.credentials = {
        catalog_key, catalog_secret, value_of(keys, "aws_session_token"),
        credentials_label(
            credentials_name, used_by,
            credentials.mark().known() ? " (" + credentials.mark().str() + ")" : std::string())};
  } else if (!env("AWS_ACCESS_KEY_ID").empty() || !env("AWS_SECRET_ACCESS_KEY").empty()) {
    if (env("AWS_ACCESS_KEY_ID").empty() || env("AWS_SECRET_ACCESS_KEY").empty())
      throw ConfigError(fmt::format(
          "the environment sets {} but not {}: set both, or neither to use "
          "~/.aws/credentials",
          env("AWS_ACCESS_KEY_ID").empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
          env("AWS_ACCESS_KEY_ID").empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"));
    options.credentials = {env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                           env("AWS_SESSION_TOKEN"),
                           "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"};
  } else {
    const std::string explicit_profile = env("AWS_PROFILE");
    const std::string profile_name = explicit_profile.empty() ? "default" : explicit_profile;
    std::filesystem::path file = env("AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty() && !env("HOME").empty())
      file = std::filesystem::path(env("HOME")) / ".aws" / "credentials";
    std::error_code ignored;
    const bool named = !explicit_profile.empty() || !env("AWS_SHARED_CREDENTIALS_FILE").empty();
    if (!file.empty() && std::filesystem::exists(file, ignored)) {
      const auto profiles = read_credentials_file(file);
      const auto found = profiles.find(profile_name);
      if (found == profiles.end()) {
        if (named) {
          std::vector<std::string> known;
          for (const auto& [name, profile] : profiles)
            known.push_back(name);
          throw ConfigError(fmt::format(
              "{}: has no profile '{}'{} (AWS_PROFILE names it): add a [{}] section or set "
              "AWS_PROFILE to one the file has",
              file.string(), profile_name, did_you_mean(profile_name, known), profile_name));
        }
      } else {
        const auto get = [&found](const std::string& name) {
          const auto value = found->second.values.find(name);
          return value == found->second.values.end() ? std::string() : value->second;
        };
        if (get("aws_access_key_id").empty() != get("aws_secret_access_key").empty())
          throw ConfigError(fmt::format(
              "{}: profile '{}' gives {} but not {}: give both", file.string(), profile_name,
              get("aws_access_key_id").empty() ? "aws_secret_access_key" : "aws_access_key_id",
              get("aws_access_key_id").empty() ? "aws_access_key_id" : "aws_secret_access_key"));
        options.credentials = {get("aws_access_key_id"), get("aws_secret_access_key"),
                               get("aws_session_token"),
                               fmt::format("{} profile '{}'", file.string(), profile_name)};
        profile_region = get("region");
      }
    } else if (named) {
      throw ConfigError(fmt::format(
          "the AWS credentials file {} does not exist ({} names it): create it, or unset {}",
          file.string(),
          env("AWS_SHARED_CREDENTIALS_FILE").empty() ? "AWS_PROFILE"
                                                     : "AWS_SHARED_CREDENTIALS_FILE",
          env("AWS_SHARED_CREDENTIALS_FILE").empty() ? "AWS_PROFILE"
                                                     : "AWS_SHARED_CREDENTIALS_FILE"));
    }
    if (options.credentials.access_key_id.empty())
      options.credentials.source =
          "none (no credentials in the catalog, the environment or " +
          (file.empty() ? std::string("~/.aws/credentials") : file.string()) + ")";
  }

  if (const std::string region = value_of(keys, "region"); !region.empty())
    options.region = region;
  else if (!env("AWS_REGION").empty())
    options.region = env("AWS_REGION");
  else if (!env("AWS_DEFAULT_REGION").empty())
    options.region = env("AWS_DEFAULT_REGION");
  else if (!profile_region.empty())
    options.region = profile_region;

  if (const std::string endpoint = value_of(keys, "endpoint_url"); !endpoint.empty())
    options.endpoint_url = endpoint;
  else if (!env("AWS_ENDPOINT_URL").empty())
    options.endpoint_url = env("AWS_ENDPOINT_URL");
  return options;
}

}  // namespace sluice::s3
