#include "server/metrics_service.hpp"

#include <gtest/gtest.h>

#include "server/config.hpp"

namespace dnspush::server {
namespace {

TEST(RenderPrometheus, CountersGaugesHistogramsAndZones) {
  Metrics m;
  m.add(Counter::kQueries, 1 * 16 + 3, 4);  // tcp NXDOMAIN
  m.add(Counter::kCommits, 0, 2);
  m.add(Counter::kSubscriptions, 0, 5);
  m.sub(Counter::kSubscriptions, 0, 1);
  m.observe(Histogram::kUpdateToPush, std::chrono::milliseconds(2));
  ScrapeState st;
  st.zones.push_back({"example.test.", 2024010102, 45});
  st.connections = 7;
  const std::string text = render_prometheus(m.totals(), st);
  EXPECT_NE(text.find("dnspush_queries_total{rcode=\"NXDOMAIN\",transport=\"tcp\"} 4"),
            std::string::npos)
      << text;
  // Two-dimensional counters list only what happened.
  EXPECT_EQ(text.find("transport=\"udp\""), std::string::npos);
  EXPECT_NE(text.find("# TYPE dnspush_commits_total counter"), std::string::npos);
  EXPECT_NE(text.find("dnspush_commits_total 2"), std::string::npos);
  EXPECT_NE(text.find("# TYPE dnspush_subscriptions gauge"), std::string::npos);
  EXPECT_NE(text.find("dnspush_subscriptions 4"), std::string::npos);
  // One-dimensional ones list every label value, zeros included (dashboards see them).
  EXPECT_NE(text.find("dnspush_limit_hits_total{limit=\"max_connections\"} 0"), std::string::npos);
  EXPECT_NE(text.find("dnspush_update_to_push_seconds_bucket{le=\"0.001\"} 0"), std::string::npos);
  EXPECT_NE(text.find("dnspush_update_to_push_seconds_bucket{le=\"0.0025\"} 1"), std::string::npos);
  EXPECT_NE(text.find("dnspush_update_to_push_seconds_count 1"), std::string::npos);
  EXPECT_NE(text.find("dnspush_zone_serial{zone=\"example.test.\"} 2024010102"), std::string::npos);
  EXPECT_NE(text.find("dnspush_connections 7"), std::string::npos);
}

TEST(RenderPrometheus, LlqTransferAndNotifyFamilies) {
  Metrics m;
  m.add(Counter::kLlqAnswers, label_index(metric_labels::kLlqError, "SERV-FULL"), 3);
  m.add(Counter::kLlqEnded, label_index(metric_labels::kLlqEnd, "expired"));
  m.add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxLlqsPerAddress), 3);
  m.add(Counter::kXfrFailures, label_index(metric_labels::kXfrFailure, "refused"));
  m.add(Counter::kTransfersIn, label_index(metric_labels::kTransferInKind, "ixfr"), 2);
  m.add(Counter::kTransfersRefused, label_index(metric_labels::kTransferRefusal, "policy"));
  m.add(Counter::kNotifyResults, label_index(metric_labels::kNotifyResult, "timed_out"));
  m.observe(Histogram::kCommit, std::chrono::microseconds(300));
  const std::string text = render_prometheus(m.totals(), {});
  for (const char* line : {
           "dnspush_llq_answers_total{error=\"SERV-FULL\"} 3",
           "dnspush_llq_answers_total{error=\"NO-ERROR\"} 0",
           "dnspush_llqs_ended_total{reason=\"expired\"} 1",
           "dnspush_limit_hits_total{limit=\"max_llqs_per_address\"} 3",
           "dnspush_limit_hits_total{limit=\"push_backlog\"} 0",
           "dnspush_xfr_failures_total{reason=\"refused\"} 1",
           "dnspush_transfers_in_total{kind=\"ixfr\"} 2",
           "dnspush_transfers_refused_total{reason=\"policy\"} 1",
           "dnspush_notify_results_total{result=\"timed_out\"} 1",
           "dnspush_commit_seconds_bucket{le=\"0.0005\"} 1",
           "dnspush_commit_seconds_bucket{le=\"0.00025\"} 0",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(MetricsConfig, OffUnlessConfigured) {
  const std::string base = "[listen]\ndns = [\"127.0.0.1:5300\"]\n";
  auto off = parse_config(base, "/etc/dnspushd.toml");
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->metrics_listen);
  auto on = parse_config(base + "[metrics]\nlisten = \"127.0.0.1:9153\"\n", "/etc/dnspushd.toml");
  ASSERT_TRUE(on) << on.error().message;
  ASSERT_TRUE(on->metrics_listen);
  EXPECT_EQ(on->metrics_listen->port, 9153);
  auto bad = parse_config(base + "[metrics]\nlisten = \"localhost\"\n", "/etc/dnspushd.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("metrics.listen"), std::string::npos);
  auto typo = parse_config(base + "[metrics]\nlisen = \"127.0.0.1:1\"\n", "/etc/dnspushd.toml");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("metrics.lisen: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace dnspush::server

#include "server/daemon.hpp"

namespace dnspush::server {
namespace {

TEST(Version, NamesTheLibraries) {
  const std::string v = version_text();
  EXPECT_EQ(v.rfind(std::string("dnspushd ") + kVersion + "\n", 0), 0u) << v;
  EXPECT_NE(v.find("OpenSSL 3."), std::string::npos) << v;
  EXPECT_NE(v.find("Asio 1."), std::string::npos) << v;
  EXPECT_NE(v.find("LMDB 0."), std::string::npos) << v;
  EXPECT_NE(v.back(), '\n');
}

}  // namespace
}  // namespace dnspush::server
