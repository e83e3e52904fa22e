// JSON string escaping (base/json.hpp), shared by the JSON logs and the client's output.
#include "base/json.hpp"

#include <gtest/gtest.h>

namespace dnspush {
namespace {

TEST(Json, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_string(std::string("x\x01y\n\r\t", 6)), R"("x\u0001y\n\r\t")");
  EXPECT_EQ(json_string(""), R"("")");
}

TEST(Json, BytesAbove0x7EAreEscapedSoTheOutputIsAscii) {
  // A peer's bytes in a log line need not be UTF-8: the line stays valid JSON.
  EXPECT_EQ(json_string("\x7f\xc3\xa9\xff"), R"("\u007f\u00c3\u00a9\u00ff")");
  std::string out = "{";
  append_json_escaped("ok", out);
  EXPECT_EQ(out, "{ok");
}

}  // namespace
}  // namespace dnspush
