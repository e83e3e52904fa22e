#include "io/http_endpoint.hpp"

#include <gtest/gtest.h>

namespace dnspush::io {
namespace {

TEST(HttpRequestLine, MethodAndPathWithoutQuery) {
  auto r = parse_request_line("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/metrics");
}

TEST(HttpRequestLine, MalformedLinesAreRefused) {
  EXPECT_FALSE(parse_request_line("GET /metrics\r\n\r\n"));
  EXPECT_FALSE(parse_request_line(" /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(parse_request_line("GET  HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(parse_request_line("GET /metrics SPDY/3\r\n\r\n"));
  EXPECT_FALSE(parse_request_line(""));
}

}  // namespace
}  // namespace dnspush::io
