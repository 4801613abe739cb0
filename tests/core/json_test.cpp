#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;

TEST(Json, BadJsonNamesTheFileLineAndColumnAndWhatToDo) {
  EXPECT_THAT([] { parse_json("{\"a\": 1,\n \"b\": tru}\n", "state.json", "write it again"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("state.json:2:"), HasSubstr("not valid JSON"),
                        HasSubstr("write it again"), Not(HasSubstr("json.exception")))));
  EXPECT_THAT([] { parse_json("[1, 2", "cut.json", "write it again"); },
              ThrowsMessage<ConfigError>(HasSubstr("cut.json:1:")));
  // A number too large for a double is nlohmann's out_of_range, not a parse_error.
  EXPECT_THAT([] { parse_json("{\"a\": 1,\n \"b\": 16E666}", "big.json", "write it again"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("big.json:2:7: not valid JSON: number overflow parsing '16E666'"),
                        HasSubstr("write it again"), Not(HasSubstr("json.exception")))));
  EXPECT_THAT([] { parse_json("", "empty.json", "write it again"); },
              ThrowsMessage<ConfigError>(HasSubstr("empty.json:1:1: not valid JSON")));
}

TEST(Json, AFileThatCannotBeReadIsAnErrorNamingIt) {
  testing::TempDir dir;
  write_file_atomically(dir / "bad.json", "{\n\n  \"x\": }");
  EXPECT_THAT([&] { read_json_file(dir / "bad.json", "write it again"); },
              ThrowsMessage<ConfigError>(HasSubstr("bad.json:3:8: not valid JSON")));
  EXPECT_THROW(read_json_file(dir / "missing.json", ""), Error);
}

TEST(Json, TextHasAMemberOrARecordALineAndReadsBackTheSame) {
  const Json document = {{"name", "a \"quoted\"\n\\ name"},
                         {"items", {{{"x", 1}, {"y", nullptr}}, {{"x", 2.5}, {"y", true}}}},
                         {"tags", {"p", "q"}}};
  const std::string text = json_text(document);
  EXPECT_EQ(text,
            "{\"name\": \"a \\\"quoted\\\"\\n\\\\ name\",\n"
            " \"items\": [\n"
            "  {\"x\": 1, \"y\": null},\n"
            "  {\"x\": 2.5, \"y\": true}\n"
            "],\n"
            " \"tags\": [\"p\", \"q\"]}\n");
  EXPECT_EQ(parse_json(text, "x.json", ""), document);
  EXPECT_EQ(json_text(Json::array()), "[]\n");
}

TEST(Json, TextStaysValidWhenAStringIsNotUtf8) {
  const std::string text = json_text({{"name", "caf\xe9"}});
  EXPECT_EQ(parse_json(text, "x.json", "").at("name"), "caf\xef\xbf\xbd");
}

}  // namespace
}  // namespace sluice
