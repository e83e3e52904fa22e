// [push], [tls] sni, the new [limits] keys and the per-zone push flag (docs/CONFIG.md).
#include <gtest/gtest.h>

#include "server/config.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;

constexpr char kMinimal[] = "[listen]\ndns = [\"127.0.0.1:53\"]\ntls = [\"127.0.0.1:853\"]\n";

Result<Config> parse(const std::string& text) {
  return parse_config(text, "/conf/dir/dnspushd.toml");
}

std::string error_of(const std::string& text) {
  auto c = parse(text);
  return c ? "" : c.error().message;
}

TEST(ConfigPush, Defaults) {
  auto c = parse(kMinimal);
  ASSERT_TRUE(c) << c.error().message;
  const PushSettings& p = c->push;
  EXPECT_TRUE(p.enabled);
  EXPECT_FALSE(p.dso_on_tcp);
  EXPECT_EQ(p.max_sessions, 15000u);
  EXPECT_EQ(p.max_subscriptions_per_session, 4096u);
  EXPECT_EQ(p.delete_encoding, push::DeletePolicy::kCompact);
  EXPECT_EQ(p.max_message, 8192u);
  EXPECT_EQ(p.inactivity_timeout, 15000ms);
  EXPECT_EQ(p.keepalive_interval, 3600000ms);
  EXPECT_EQ(p.subscribe_interval, 10ms);  // 100 a second
  EXPECT_EQ(c->tcp_message_timeout, 5000ms);
  EXPECT_EQ(c->max_pipelined, 64u);
  EXPECT_EQ(c->max_transfers_out, 16u);
}

TEST(ConfigPush, ParsesEveryKey) {
  auto c = parse(std::string(kMinimal) +
                 "[limits]\ntcp-message-timeout-ms = 750\nmax-pipelined = 8\n"
                 "max-transfers-out = 3\n"
                 "[push]\nenabled = true\ndso-on-tcp = true\nserver-name = \"dns.example.test\"\n"
                 "max-sessions = 10\nmax-sessions-per-address = 2\n"
                 "max-subscriptions-per-session = 5\nmax-subscriptions = 100\n"
                 "subscribe-burst = 3\nsubscribe-rate = 4\ndelete-encoding = \"per-record\"\n"
                 "max-message = 8940\ninactivity-timeout-ms = 4294967295\n"
                 "keepalive-interval-ms = 20000\nshutdown-retry-delay-ms = 9000\n"
                 "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\npush = false\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->tcp_message_timeout, 750ms);
  EXPECT_EQ(c->max_pipelined, 8u);
  EXPECT_EQ(c->max_transfers_out, 3u);
  const PushSettings& p = c->push;
  EXPECT_TRUE(p.dso_on_tcp);
  EXPECT_EQ(p.server_name, "dns.example.test");
  EXPECT_EQ(p.max_sessions, 10u);
  EXPECT_EQ(p.max_sessions_per_address, 2u);
  EXPECT_EQ(p.max_subscriptions_per_session, 5u);
  EXPECT_EQ(p.max_subscriptions, 100u);
  EXPECT_EQ(p.subscribe_burst, 3u);
  EXPECT_EQ(p.subscribe_interval, 250ms);
  EXPECT_EQ(p.delete_encoding, push::DeletePolicy::kPerRecord);
  EXPECT_EQ(p.max_message, 8940u);
  EXPECT_EQ(p.inactivity_timeout, std::chrono::milliseconds(0xFFFFFFFFLL));
  EXPECT_EQ(p.keepalive_interval, 20000ms);
  EXPECT_EQ(p.shutdown_retry_delay, 9000ms);
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_FALSE(c->zones[0].push);
}

TEST(ConfigPush, ValuesAreCheckedAndNamed) {
  const std::string m = kMinimal;
  EXPECT_NE(error_of(m + "[push]\ndelete-encoding = \"lazy\"\n").find("push.delete-encoding"),
            std::string::npos);
  // RFC 8765 §6.3.1: 16,382 at most.
  EXPECT_NE(error_of(m + "[push]\nmax-message = 16383\n").find("push.max-message"),
            std::string::npos);
  // RFC 8490 §6.5.2: no keepalive interval below 10 s.
  EXPECT_NE(
      error_of(m + "[push]\nkeepalive-interval-ms = 9999\n").find("push.keepalive-interval-ms"),
      std::string::npos);
  EXPECT_NE(error_of(m + "[push]\nenabled = 1\n").find("push.enabled: expected true or false"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[push]\nserver-name = \"a..b\"\n").find("push.server-name"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[push]\nmax-sesions = 3\n").find("push.max-sesions: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[limits]\ntcp-message-timeout-ms = 0\n").find("tcp-message-timeout-ms"),
            std::string::npos);
}

TEST(ConfigPush, SniCertificates) {
  auto c = parse(std::string(kMinimal) +
                 "[tls]\ncertificate = \"a.pem\"\nkey = \"a.key\"\n"
                 "sni = [ { certificate = \"b.pem\", key = \"/k/b.key\" } ]\n");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->tls_alternatives.size(), 1u);
  EXPECT_EQ(c->tls_alternatives[0].first, "/conf/dir/b.pem");
  EXPECT_EQ(c->tls_alternatives[0].second, "/k/b.key");
  EXPECT_NE(error_of(std::string(kMinimal) + "[tls]\nsni = [ { certificate = \"b.pem\", key = "
                                             "\"b.key\" } ]\n")
                .find("tls.sni: needs tls.certificate"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[tls]\ncertificate = \"a.pem\"\nkey = \"a.key\"\n"
                                             "sni = [ { certificate = \"b.pem\" } ]\n")
                .find("tls.sni[0]: needs both"),
            std::string::npos);
}

}  // namespace
}  // namespace dnspush::server
