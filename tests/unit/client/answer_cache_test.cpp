// Stub answers kept for their TTL (RFC 8765 §6.1; RFC 2308 §5 for negative answers).
#include "client/answer_cache.hpp"

#include <gtest/gtest.h>

#include "client/config_files.hpp"
#include "client_test_util.hpp"

namespace dnspush::client {
namespace {

using namespace test;
using wire::Rcode;

const wire::Record kSoa = rr("example.test.", 3600, "SOA",
                             "ns1.example.test. host.example.test. 1 7200 3600 1209600 300");

TEST(AnswerCache, KeptForTheSmallestTtlWithTtlsCountingDown) {
  AnswerCache c;
  const auto q = question("www.example.test.");
  c.insert(q,
           answer(Rcode::NOERROR, {rr("www.example.test.", 60, "A", "192.0.2.1"),
                                   rr("www.example.test.", 30, "A", "192.0.2.2")}),
           t0);
  auto a = c.find(q, t0 + 10s);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->answers[0].ttl, 50u);
  EXPECT_EQ(a->answers[1].ttl, 20u);
  EXPECT_TRUE(c.find(q, t0 + 29s).has_value());
  EXPECT_FALSE(c.find(q, t0 + 30s).has_value());
  EXPECT_FALSE(c.find(question("www.example.test.", "AAAA"), t0).has_value());
}

TEST(AnswerCache, NegativeAnswersLiveForTheSoaMinimum) {
  AnswerCache c;
  const auto q = question("nx.example.test.");
  c.insert(q, answer(Rcode::NXDOMAIN, {}, {kSoa}), t0);
  EXPECT_TRUE(c.find(q, t0 + 299s).has_value());
  EXPECT_FALSE(c.find(q, t0 + 300s).has_value());  // RFC 2308 §5: min(TTL, MINIMUM)
}

TEST(AnswerCache, FailuresAndTtlZeroAreNotKept) {
  AnswerCache c;
  c.insert(question("a.example.test."), answer(Rcode::SERVFAIL, {}), t0);
  c.insert(question("b.example.test."),
           answer(Rcode::NOERROR, {rr("b.example.test.", 0, "A", "192.0.2.1")}), t0);
  c.insert(question("c.example.test."), answer(Rcode::NOERROR, {}), t0);  // NODATA, no SOA
  EXPECT_EQ(c.size(), 0u);
}

TEST(AnswerCache, BoundedEvictingWhatExpiresSoonest) {
  AnswerCache c(2);
  c.insert(question("a.example.test."),
           answer(Rcode::NOERROR, {rr("a.example.test.", 100, "A", "192.0.2.1")}), t0);
  c.insert(question("b.example.test."),
           answer(Rcode::NOERROR, {rr("b.example.test.", 10, "A", "192.0.2.1")}), t0);
  c.insert(question("c.example.test."),
           answer(Rcode::NOERROR, {rr("c.example.test.", 50, "A", "192.0.2.1")}), t0);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.find(question("b.example.test."), t0).has_value());
  EXPECT_TRUE(c.find(question("a.example.test."), t0).has_value());
}

TEST(ConfigFiles, ResolvConfNameservers) {
  const auto v = parse_resolv_conf(
      "# comment\nsearch example.test\nnameserver 192.0.2.53 # the first\n"
      "nameserver   2001:db8::53\nnameserver not-an-address\noptions edns0\n"
      "nameserver 192.0.2.54\nnameserver 192.0.2.55\n");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].to_text(), "192.0.2.53:53");
  EXPECT_EQ(v[1].to_text(), "[2001:db8::53]:53");
  EXPECT_EQ(v[2].to_text(), "192.0.2.54:53");
}

TEST(ConfigFiles, ServerAddresses) {
  EXPECT_EQ(parse_server("127.0.0.1:5300", 53)->to_text(), "127.0.0.1:5300");
  EXPECT_EQ(parse_server("127.0.0.1", 853)->port, 853);
  EXPECT_EQ(parse_server("[::1]:8530", 53)->host, "::1");
  EXPECT_EQ(parse_server("::1", 53)->host, "::1");
  EXPECT_EQ(parse_server("push.example.test:8530", 53)->host, "push.example.test");
  EXPECT_FALSE(parse_server("127.0.0.1:99999", 53).has_value());
  EXPECT_FALSE(parse_server("127.0.0.1:", 53).has_value());
  EXPECT_FALSE(parse_server("[::1", 53).has_value());
}

TEST(ConfigFiles, BindKeyFile) {
  auto k = parse_key_file(
      "# from tsig-keygen\nkey \"example-key\" {\n\talgorithm hmac-sha256; // the default\n"
      "\tsecret \"bmc3Vb9CAvHrEG4OH0GWUZRXSt7oDDQ0ZWRpTrzHgL8=\";\n};\n");
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(k->name.to_text(), "example-key.");
  EXPECT_EQ(k->alg, wire::TsigAlgorithm::kHmacSha256);
  EXPECT_EQ(k->secret.size(), 32u);
  EXPECT_FALSE(parse_key_file("key \"k\" { algorithm hmac-sha256; };").has_value());
  EXPECT_FALSE(parse_key_file("nothing here").has_value());
  EXPECT_FALSE(parse_key_file("key k { algorithm hmac-md5; secret \"AAAA\"; };").has_value());
}

}  // namespace
}  // namespace dnspush::client
