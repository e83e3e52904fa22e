// [llq], the per-zone llq flag and the _dns-llq._udp discovery records (docs/CONFIG.md).
#include <gtest/gtest.h>

#include "server/config.hpp"
#include "server/discovery.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;

constexpr char kMinimal[] = "[listen]\ndns = [\"127.0.0.1:53\"]\n";

Result<Config> parse(const std::string& text) {
  return parse_config(text, "/conf/dir/dnspushd.toml");
}

std::string error_of(const std::string& text) {
  auto c = parse(text);
  return c ? "" : c.error().message;
}

TEST(ConfigLlq, DefaultsOff) {
  auto c = parse(kMinimal);
  ASSERT_TRUE(c) << c.error().message;
  const LlqSettings& l = c->llq;
  EXPECT_FALSE(l.enabled);
  EXPECT_TRUE(l.listen.empty());
  EXPECT_TRUE(l.on_dns_port);
  EXPECT_EQ(l.lease_min, 900s);
  EXPECT_EQ(l.lease_max, 7200s);
  EXPECT_EQ(l.event_resend, 2000ms);
  EXPECT_EQ(l.event_transmissions, 3u);
}

TEST(ConfigLlq, ParsesEveryKey) {
  auto c = parse(std::string(kMinimal) +
                 "[llq]\nenabled = true\nlisten = [\"127.0.0.1:5352\"]\non-dns-port = false\n"
                 "server-name = \"llq.example.test\"\nlease-min-s = 60\nlease-max-s = 600\n"
                 "max-llqs = 1000\nmax-llqs-per-address = 10\nserv-full-retry-s = 30\n"
                 "event-resend-ms = 500\nevent-transmissions = 5\nmax-queued-events = 8\n"
                 "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\nllq = false\n");
  ASSERT_TRUE(c) << c.error().message;
  const LlqSettings& l = c->llq;
  EXPECT_TRUE(l.enabled);
  ASSERT_EQ(l.listen.size(), 1u);
  EXPECT_EQ(l.listen[0].port, 5352);
  EXPECT_FALSE(l.on_dns_port);
  EXPECT_EQ(l.server_name, "llq.example.test");
  EXPECT_EQ(l.lease_min, 60s);
  EXPECT_EQ(l.lease_max, 600s);
  EXPECT_EQ(l.max_llqs, 1000u);
  EXPECT_EQ(l.max_llqs_per_address, 10u);
  EXPECT_EQ(l.serv_full_retry, 30s);
  EXPECT_EQ(l.event_resend, 500ms);
  EXPECT_EQ(l.event_transmissions, 5u);
  EXPECT_EQ(l.max_queued_events, 8u);
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_FALSE(c->zones[0].llq);
}

TEST(ConfigLlq, ValuesAreCheckedAndNamed) {
  const std::string m(kMinimal);
  auto has = [](const std::string& error, const char* what) {
    return error.find(what) != std::string::npos;
  };
  EXPECT_TRUE(has(error_of(m + "[llq]\nlistn = []\n"), "llq.listn: unknown key"));
  EXPECT_TRUE(has(error_of(m + "[llq]\nlisten = [\"nowhere\"]\n"), "llq.listen[0]: "));
  EXPECT_TRUE(has(error_of(m + "[llq]\nlease-min-s = 700\nlease-max-s = 600\n"),
                  "llq.lease-min-s: above llq.lease-max-s"));
  EXPECT_NE(error_of(m + "[llq]\nevent-transmissions = 0\n").find("llq.event-transmissions"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[llq]\nserver-name = \"a..b\"\n").find("llq.server-name"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\nllq = 1\n").find(".llq"),
            std::string::npos);
}

TEST(DiscoveryLlq, SrvToTheLlqListenerForZonesWithLlq) {
  auto c = parse(std::string(kMinimal) +
                 "[push]\nenabled = false\n"
                 "[llq]\nenabled = true\nlisten = [\"192.0.2.5:5352\"]\n"
                 "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\n"
                 "[[zone]]\norigin = \"b.test\"\nfile = \"b\"\nllq = false\n");
  ASSERT_TRUE(c) << c.error().message;
  auto recs = discovery_records(*c);
  ASSERT_NE(recs, nullptr);
  const auto* srv = recs->find(*wire::Name::from_text("_dns-llq._udp.a.test."));
  ASSERT_NE(srv, nullptr);
  const auto* set = srv->find(wire::RRType::SRV);
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->rdatas.size(), 1u);
  const auto& rd = set->rdatas[0];
  EXPECT_EQ((rd[4] << 8) | rd[5], 5352);  // priority 0, weight 0, port
  const auto* target = recs->find(*wire::Name::from_text("llq.a.test."));
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->find(wire::RRType::A)->rdatas[0], (std::vector<std::uint8_t>{192, 0, 2, 5}));
  EXPECT_EQ(recs->find(*wire::Name::from_text("_dns-llq._udp.b.test.")), nullptr);
  // Without an llq listener: the DNS port; with LLQ off: nothing.
  c->llq.listen.clear();
  recs = discovery_records(*c);
  const auto& rd2 = recs->find(*wire::Name::from_text("_dns-llq._udp.a.test."))
                        ->find(wire::RRType::SRV)
                        ->rdatas[0];
  EXPECT_EQ((rd2[4] << 8) | rd2[5], 53);
  c->llq.enabled = false;
  EXPECT_EQ(discovery_records(*c), nullptr);
}

TEST(DiscoveryLlq, LlqOverTlsSrvToTheTlsListenerWithThePushTarget) {
  auto c = parse(std::string(kMinimal) + "tls = [\"192.0.2.9:853\"]\n" +
                 "[push]\nenabled = true\n"
                 "[llq]\nenabled = true\n"
                 "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\n"
                 "[[zone]]\norigin = \"b.test\"\nfile = \"b\"\nllq = false\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->llq.streams);
  auto recs = discovery_records(*c);
  ASSERT_NE(recs, nullptr);
  const auto* srv = recs->find(*wire::Name::from_text("_dns-llq-tls._tcp.a.test."));
  ASSERT_NE(srv, nullptr);
  const auto& rd = srv->find(wire::RRType::SRV)->rdatas.at(0);
  EXPECT_EQ((rd[4] << 8) | rd[5], 853);
  EXPECT_EQ(recs->find(*wire::Name::from_text("_dns-llq-tls._tcp.b.test.")), nullptr);
  // Push and LLQ over TLS share the target: its address is there once.
  const auto* target = recs->find(*wire::Name::from_text("push.a.test."));
  ASSERT_NE(target, nullptr);
  const auto& addrs = target->find(wire::RRType::A)->rdatas;
  ASSERT_EQ(addrs.size(), 1u);
  EXPECT_EQ(addrs[0], (std::vector<std::uint8_t>{192, 0, 2, 9}));
  // Not without streams.
  auto off = parse(std::string(kMinimal) + "tls = [\"192.0.2.9:853\"]\n" +
                   "[llq]\nenabled = true\nstreams = false\n"
                   "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\n");
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->llq.streams);
  auto r2 = discovery_records(*off);
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r2->find(*wire::Name::from_text("_dns-llq-tls._tcp.a.test.")), nullptr);
}

}  // namespace
}  // namespace dnspush::server
