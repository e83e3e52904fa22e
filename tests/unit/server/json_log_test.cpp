#include "server/json_log.hpp"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

namespace dnspush::server {
namespace {

std::string line(spdlog::level::level_enum lv, std::string_view text) {
  spdlog::details::log_msg m("dnspushd", lv, spdlog::string_view_t(text.data(), text.size()));
  spdlog::memory_buf_t buf;
  JsonFormatter().format(m, buf);
  return std::string(buf.data(), buf.size());
}

TEST(JsonLog, OneObjectPerLineWithSessionAndClient) {
  const auto l =
      line(spdlog::level::info, "connection 281474976710658 from 192.0.2.1: aborted: malformed");
  EXPECT_EQ(l.back(), '\n');
  EXPECT_EQ(l.find('\n'), l.size() - 1);
  EXPECT_EQ(l.rfind("{\"time\":\"", 0), 0u);
  EXPECT_NE(l.find("\"level\":\"info\""), std::string::npos);
  EXPECT_NE(l.find("\"session\":281474976710658,"), std::string::npos) << l;
  EXPECT_NE(l.find("\"client\":\"192.0.2.1\""), std::string::npos) << l;
}

TEST(JsonLog, EscapesWhatAPeerCouldPutInAMessage) {
  const auto l = line(spdlog::level::warn, "name \"a\\b\"\n\x01 end");
  EXPECT_NE(l.find("\"msg\":\"name \\\"a\\\\b\\\"\\n\\u0001 end\"}"), std::string::npos) << l;
  EXPECT_EQ(l.find("\"session\""), std::string::npos);
  EXPECT_EQ(l.find("\"client\""), std::string::npos);
}

}  // namespace
}  // namespace dnspush::server
