#include "io/endpoint.hpp"

#include <gtest/gtest.h>

#include "auth/query_context.hpp"
#include "io/connection_limiter.hpp"

namespace dnspush::io {
namespace {

TEST(Endpoint, ParsesIpv4AndIpv6) {
  auto a = Endpoint::parse("127.0.0.1:5300");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "127.0.0.1");
  EXPECT_EQ(a->port, 5300);
  EXPECT_FALSE(a->v6);
  auto b = Endpoint::parse("[::1]:853");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->address, "::1");
  EXPECT_EQ(b->port, 853);
  EXPECT_TRUE(b->v6);
  EXPECT_EQ(b->to_string(), "[::1]:853");
}

TEST(Endpoint, RejectsBadInput) {
  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x", "localhost:53", "::1:53",
        "[::1]53", "[::1", "[127.0.0.1]:53", "1.2.3.4.5:53", ""}) {
    EXPECT_FALSE(Endpoint::parse(bad)) << bad;
  }
}

auth::ClientAddress v4(std::uint8_t last) {
  auth::ClientAddress a;
  a.bytes = {127, 0, 0, last};
  return a;
}

TEST(ConnectionLimiter, EnforcesPerAddressAndTotal) {
  ConnectionLimiter l(3, 2);
  ConnectionLimiter::Refusal why{};
  auto t1 = l.try_acquire(v4(1), &why);
  auto t2 = l.try_acquire(v4(1), &why);
  ASSERT_TRUE(t1 && t2);
  EXPECT_FALSE(l.try_acquire(v4(1), &why));
  EXPECT_EQ(why, ConnectionLimiter::Refusal::kPerAddress);
  auto t3 = l.try_acquire(v4(2), &why);
  ASSERT_TRUE(t3);
  EXPECT_FALSE(l.try_acquire(v4(3), &why));
  EXPECT_EQ(why, ConnectionLimiter::Refusal::kTotal);
  EXPECT_EQ(l.total(), 3u);
  t1.reset();  // releasing a slot lets the same address in again
  EXPECT_EQ(l.for_address(v4(1)), 1u);
  EXPECT_TRUE(l.try_acquire(v4(1), &why));
  EXPECT_EQ(l.total(), 2u);  // the temporary ticket above was released at once
}

}  // namespace
}  // namespace dnspush::io
