// `${...}` in configuration files (resolve_interpolations(), and ConfigLoader which applies it
// with globals.yml, --params and the merge strategies).

#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/interpolation.hpp>
#include <sluice/core/plugin.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using ::testing::ThrowsMessage;

Param resolved(const std::string& yaml, const InterpolationSources& sources = {}) {
  Param config = parse_yaml(yaml, "conf/base/parameters.yml");
  InterpolationSources named = sources;
  if (named.description.empty()) {
    named.description = "the parameters";
  }
  resolve_interpolations(config, named);
  return config;
}

std::string error_of(const std::string& yaml, const InterpolationSources& sources = {}) {
  try {
    resolved(yaml, sources);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Interpolation, AReferenceAloneKeepsTheTypeAndInsideTextBecomesText) {
  const Param config = resolved(
      "n: 3\nrate: 0.5\non: true\nmodel: {depth: 4, layers: [8, 16]}\n"
      "copy: ${n}\ntext: run_${n}_${rate}_${on}\nwhole: ${model}\n"
      "deep: ${model.depth}\nitem: ${model.layers[1]}\nitem2: ${model.layers.0}\n");
  EXPECT_EQ(config.at("copy").kind(), Param::Kind::integer);
  EXPECT_EQ(config.at("copy").as_int(), 3);
  EXPECT_EQ(config.at("text").as_string(), "run_3_0.5_true");
  ASSERT_TRUE(config.at("whole").is_map());
  EXPECT_EQ(config.at("whole").at("layers").as_list().size(), 2U);
  EXPECT_EQ(config.at("deep").as_int(), 4);
  EXPECT_EQ(config.at("item").as_int(), 16);
  EXPECT_EQ(config.at("item2").as_int(), 8);
  // The value keeps where it is written, for later errors about it.
  EXPECT_EQ(config.at("copy").mark().str(), "conf/base/parameters.yml:5:7");
}

TEST(Interpolation, ReferencesFollowOtherReferencesInAnyOrder) {
  const Param config = resolved("a: ${b.c}/x\nb: ${d}\nd: {c: \"${e}\"}\ne: root\nf: ${b.c}\n");
  EXPECT_EQ(config.at("a").as_string(), "root/x");
  EXPECT_EQ(config.at("b").at("c").as_string(), "root");
  EXPECT_EQ(config.at("f").as_string(), "root");
}

TEST(Interpolation, RelativeReferencesAndKeysWithDots) {
  const Param config = resolved(
      "model:\n  lr: 0.1\n  opt: {lr: \"${..lr}\", name: \"adam_${.lr2}\", lr2: x}\n"
      "\"model.x_train\": {filepath: data/x.csv}\n"
      "copy: ${model.x_train.filepath}\n");
  EXPECT_DOUBLE_EQ(config.at("model").at("opt").at("lr").as_double(), 0.1);
  EXPECT_EQ(config.at("model").at("opt").at("name").as_string(), "adam_x");
  EXPECT_EQ(config.at("copy").as_string(), "data/x.csv");
}

TEST(Interpolation, AnEscapedDollarIsLiteralAndStaysSoWhenCopied) {
  const Param config = resolved("a: \\${not}\nb: ${a}\nc: cost \\${x} ${a}\n");
  EXPECT_EQ(config.at("a").as_string(), "${not}");
  EXPECT_EQ(config.at("b").as_string(), "${not}");
  EXPECT_EQ(config.at("c").as_string(), "cost ${x} ${not}");
}

TEST(Interpolation, AnUnknownKeyNamesTheValueAndSuggests) {
  EXPECT_THAT(error_of("model: {depth: 3}\nx: ${model.dpeth}\n"),
              AllOf(HasSubstr("conf/base/parameters.yml:2:4: ${model.dpeth}: 'model' has no key "
                              "'dpeth' (did you mean 'depth'?)"),
                    HasSubstr("define it, or fix the reference")));
  EXPECT_THAT(error_of("x: ${nothing}\n"),
              HasSubstr(":1:4: ${nothing}: the parameters has no key 'nothing'"));
  EXPECT_THAT(error_of("l: [1]\nx: ${l[3]}\n"),
              HasSubstr("'l' is a list of 1 values; '[3]' is not an index of it (0 to 0)"));
  EXPECT_THAT(error_of("s: text\nx: ${s.k}\n"),
              HasSubstr("'s' is a string (text), which has no key 'k'"));
  EXPECT_THAT(error_of("a: {b: 1}\nx: ${...b}\n"), HasSubstr("go above the top level"));
  EXPECT_THAT(error_of("x: ${a..b}\n"), HasSubstr("a key of the path is empty"));
}

TEST(Interpolation, ACycleIsAnErrorListingIt) {
  EXPECT_THAT(error_of("a: ${b}\nb: x${c}\nc: ${a}\n"),
              HasSubstr("interpolations refer in a cycle in the parameters: a -> b -> c -> a"));
  EXPECT_THAT(error_of("a: {b: 1, c: \"${a}\"}\n"), HasSubstr("a -> a.c -> a"));
  EXPECT_THAT(error_of("a: ${a}\n"), HasSubstr(":1:4: interpolations refer in a cycle"));
}

TEST(Interpolation, MalformedOrWronglyTypedInterpolationsAreErrors) {
  EXPECT_THAT(error_of("m: {k: 1}\nx: path/${m}\n"),
              HasSubstr(":2:4: 'path/${m}': ${m} is a map ({k: 1}), which cannot be part of a "
                        "text; make the value the interpolation alone"));
  EXPECT_THAT(error_of("x: ${a\n"),
              HasSubstr("'${a': the interpolation at character 1 has no closing '}'"));
  EXPECT_THAT(error_of("x: a${ }\n"), HasSubstr("'${ }' is empty"));
  EXPECT_THAT(error_of("x: ${nope:1}\n"),
              AllOf(HasSubstr("unknown resolver 'nope'"),
                    HasSubstr("known resolvers: globals, oc.env, runtime_params")));
  EXPECT_THAT(error_of("x: ${globals:}\n"),
              HasSubstr("globals takes a key and an optional default"));
}

TEST(Interpolation, GlobalsWithDefaults) {
  const Param globals = parse_yaml("bucket: s3://b\nsizes: {small: 8}\n", "conf/base/globals.yml");
  InterpolationSources sources;
  sources.globals = &globals;
  sources.globals_description = "globals.yml (conf/base)";
  const Param config = resolved(
      "path: ${globals:bucket}/raw.csv\nn: ${globals:sizes.small}\n"
      "m: ${globals:missing, 5}\ns: ${globals:missing, 'text, with comma'}\n"
      "nested: ${globals:missing, ${globals:bucket}}\n",
      sources);
  EXPECT_EQ(config.at("path").as_string(), "s3://b/raw.csv");
  EXPECT_EQ(config.at("n").as_int(), 8);
  EXPECT_EQ(config.at("m").as_int(), 5);
  EXPECT_EQ(config.at("s").as_string(), "text, with comma");
  EXPECT_EQ(config.at("nested").as_string(), "s3://b");
  EXPECT_THAT(error_of("x: ${globals:buckt}\n", sources),
              HasSubstr(":1:4: ${globals:buckt}: globals.yml (conf/base) has no key 'buckt' (did "
                        "you mean 'bucket'?); add it there, or give a default"));
  EXPECT_THAT(error_of("x: ${globals:bucket}\n"),
              HasSubstr("globals cannot be used in globals.yml itself"));
}

TEST(Interpolation, RuntimeParamsAndTheirDefaults) {
  const Param params = parse_yaml("model.lr: 0.3\nregion: eu\n", "--params");
  InterpolationSources sources;
  sources.runtime_params = &params;
  const Param config = resolved(
      "lr: ${runtime_params:model.lr}\nr: data/${runtime_params:region}\n"
      "e: ${runtime_params:epochs, 10}\n",
      sources);
  EXPECT_DOUBLE_EQ(config.at("lr").as_double(), 0.3);
  EXPECT_EQ(config.at("r").as_string(), "data/eu");
  EXPECT_EQ(config.at("e").as_int(), 10);
  EXPECT_THAT(error_of("e: ${runtime_params:epochs}\n", sources),
              HasSubstr("no --params value 'epochs' was given; pass --params epochs=VALUE, or "
                        "give a default"));
}

TEST(Interpolation, EnvironmentVariablesInCredentialsOnly) {
  ::setenv("SLUICE_TEST_SECRET", "hunter2", 1);
  InterpolationSources credentials;
  credentials.kind = "credentials";
  const Param config = resolved(
      "db: {con: \"postgresql://u:${oc.env:SLUICE_TEST_SECRET}@localhost/db\"}\n"
      "other: ${oc.env:SLUICE_TEST_UNSET_VARIABLE, none}\n",
      credentials);
  EXPECT_EQ(config.at("db").at("con").as_string(), "postgresql://u:hunter2@localhost/db");
  EXPECT_EQ(config.at("other").as_string(), "none");
  EXPECT_THAT(error_of("x: ${oc.env:SLUICE_TEST_UNSET_VARIABLE}\n", credentials),
              HasSubstr("the environment variable 'SLUICE_TEST_UNSET_VARIABLE' is not set"));
  InterpolationSources catalog;
  catalog.kind = "catalog";
  EXPECT_THAT(error_of("x: ${oc.env:SLUICE_TEST_SECRET}\n", catalog),
              HasSubstr("oc.env reads environment variables in credentials only"));
  ::unsetenv("SLUICE_TEST_SECRET");
}

TEST(Interpolation, PluginResolversGetTypedArgumentsAndTheirErrorsNameTheValue) {
  Registry registry;
  Registrar registrar(registry, nullptr, "test plugin");
  registrar.add_resolver("times", [](const ResolverCall& call) {
    if (call.args.size() != 2) {
      throw ConfigError("times takes two numbers");
    }
    return Param(call.args[0].as_int() * call.args[1].as_int());
  });
  EXPECT_THAT(
      [&] { registrar.add_resolver("globals", [](const ResolverCall&) { return Param(); }); },
      ThrowsMessage<ConfigError>(HasSubstr("cannot register the resolver 'globals'")));
  InterpolationSources sources;
  sources.resolvers = &registry.resolvers;
  const Param config = resolved("n: 4\nx: ${times:3, ${n}}\nt: size_${times:2, 5}\n", sources);
  EXPECT_EQ(config.at("x").as_int(), 12);
  EXPECT_EQ(config.at("t").as_string(), "size_10");
  EXPECT_THAT(error_of("x: ${times:3}\n", sources),
              HasSubstr("conf/base/parameters.yml:1:4: ${times:3}: times takes two numbers"));
  EXPECT_THAT(error_of("x: ${tims:3}\n", sources),
              AllOf(HasSubstr("(did you mean 'times'?)"), HasSubstr("runtime_params, times")));
}

TEST(Interpolation, CopiesThatMultiplyWithoutBoundAreStopped) {
  std::string yaml = "l0: [x, x]\n";
  for (int level = 1; level < 40; ++level) {
    yaml += fmt::format("l{}: [\"${{l{}}}\", \"${{l{}}}\"]\n", level, level - 1, level - 1);
  }
  EXPECT_THAT(error_of(yaml), HasSubstr("interpolations copy more than"));
  std::string text = "t0: xxxxxxxx\n";
  for (int level = 1; level < 40; ++level) {
    text += fmt::format("t{}: ${{t{}}}${{t{}}}\n", level, level - 1, level - 1);
  }
  EXPECT_THAT(error_of(text), HasSubstr("the interpolated text is longer than 16 MiB"));
  std::string chain;
  for (int level = 0; level < 2000; ++level) {
    chain += fmt::format("k{}: ${{k{}}}\n", level, level + 1);
  }
  chain += "k2000: end\n";
  EXPECT_THAT(error_of(chain), HasSubstr("refer on to others more than 500 deep"));
}

TEST(ConfigLoader, ResolvesGlobalsAfterMergingTheEnvironments) {
  TempDir dir;
  dir.write("conf/base/globals.yml", "bucket: data/base\nformat: csv\n");
  dir.write("conf/local/globals.yml", "bucket: data/local\n");
  dir.write("conf/base/catalog.yml",
            "_folder: ${globals:bucket}/01_raw\n"
            "raw: {type: CSVDataset, filepath: \"${_folder}/raw.${globals:format}\"}\n");
  const ConfigLoader conf(dir / "conf");
  const Param catalog = conf.get("catalog");
  EXPECT_EQ(catalog.at("raw").at("filepath").as_string(), "data/local/01_raw/raw.csv");
  EXPECT_EQ(catalog.find("_folder"), nullptr);  // used, then dropped
  EXPECT_EQ(conf.get("globals").at("bucket").as_string(), "data/local");
}

TEST(ConfigLoader, RuntimeParamsReachEveryKindOfConfiguration) {
  TempDir dir;
  dir.write("conf/base/parameters.yml", "epochs: ${runtime_params:epochs, 3}\n");
  dir.write("conf/base/catalog.yml",
            "out: {type: CSVDataset, filepath: \"data/${runtime_params:region}.csv\"}\n");
  ConfigLoader conf(dir / "conf");
  EXPECT_EQ(conf.get("parameters").at("epochs").as_int(), 3);
  EXPECT_THAT(
      [&] { conf.get("catalog"); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr((dir / "conf/base/catalog.yml").string() + ":1:"),
                                       HasSubstr("no --params value 'region'"))));
  conf.set_runtime_params(parse_yaml("region: eu\nepochs: 9\n", "--params"));
  EXPECT_EQ(conf.get("catalog").at("out").at("filepath").as_string(), "data/eu.csv");
  EXPECT_EQ(conf.get("parameters").at("epochs").as_int(), 9);
}

TEST(ConfigLoader, ALocalValueIsSeenByBaseReferences) {
  TempDir dir;
  dir.write("conf/base/parameters.yml", "root: /base\nout: ${root}/out\n");
  dir.write("conf/local/parameters.yml", "root: /local\n");
  EXPECT_EQ(ConfigLoader(dir / "conf").get("parameters").at("out").as_string(), "/local/out");
}

TEST(ConfigLoader, SoftMergeKeepsBaseKeysTheEnvironmentDoesNotSet) {
  TempDir dir;
  dir.write("conf/base/parameters.yml",
            "model:\n  alpha: 0.1\n  beta: 2\n  layers: [1, 2]\n  opt: {name: adam, lr: 1}\n");
  dir.write("conf/local/parameters.yml", "model:\n  alpha: 0.5\n  layers: [3]\n  opt: {lr: 2}\n");
  ConfigLoader conf(dir / "conf");
  conf.set_merge_strategy("parameters", MergeStrategy::soft);
  const Param model = conf.get("parameters").at("model");
  EXPECT_DOUBLE_EQ(model.at("alpha").as_double(), 0.5);
  EXPECT_EQ(model.at("beta").as_int(), 2);
  EXPECT_EQ(model.at("layers").as_list().size(), 1U);  // lists are replaced, not appended
  EXPECT_EQ(model.at("opt").at("name").as_string(), "adam");
  EXPECT_EQ(model.at("opt").at("lr").as_int(), 2);
  // Other kinds keep the default.
  dir.write("conf/base/catalog.yml", "a: {type: MemoryDataset, copy_mode: deepcopy}\n");
  dir.write("conf/local/catalog.yml", "a: {type: MemoryDataset}\n");
  EXPECT_EQ(conf.get("catalog").at("a").find("copy_mode"), nullptr);

  EXPECT_EQ(parse_merge_strategy(Param("soft"), "x"), MergeStrategy::soft);
  EXPECT_THAT([] { parse_merge_strategy(Param("sfot"), "merge_strategy of 'parameters'"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("merge_strategy of 'parameters': the merge strategy 'sfot' is "
                            "unknown; write destructive")));
}

TEST(ConfigLoader, AnUnderscoreKeyOfTwoFilesIsAmbiguousOnlyWhenReferred) {
  TempDir dir;
  dir.write("conf/base/catalog.yml", "_csv: &csv {type: CSVDataset}\na: {<<: *csv, filepath: a}\n");
  dir.write("conf/base/catalog_more.yml",
            "_csv: &csv {type: CSVDataset, load_args: {sep: ';'}}\nb: {<<: *csv, filepath: b}\n");
  const ConfigLoader conf(dir / "conf");
  EXPECT_EQ(conf.get("catalog").as_map().size(), 2U);
  dir.write("conf/base/catalog_ref.yml", "c: ${_csv}\n");
  EXPECT_THAT(
      [&] { conf.get("catalog"); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("${_csv}: '_csv' is defined differently"),
                                       HasSubstr("catalog_more.yml:1:"), HasSubstr("rename one"))));
}

}  // namespace
}  // namespace sluice
