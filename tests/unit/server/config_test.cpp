#include "server/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/daemon.hpp"

namespace dnspush::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kFull[] = R"(
[server]
state-dir = "var/dnspushd"
log-level = "debug"
workers = 3
[listen]
dns = ["127.0.0.1:5300", "[::1]:5300"]
tls = ["127.0.0.1:8530"]
[tls]
certificate = "cert.pem"
key = "/etc/keys/key.pem"
record-layer = "openssl"
[limits]
tcp-idle-timeout-ms = 2500
tls-handshake-timeout-ms = 1500
max-connections = 100
max-connections-per-address = 10
max-pending-bytes = 100000
udp-payload = 1400
answer-cache = 0
send-batch = 32
tcp-send-buffer = 65536
[[zone]]
origin = "example.test"
file = "zones/example.test.zone"
[[zone]]
origin = "other.test."
file = "/srv/other.zone"
)";

Result<Config> parse(const std::string& text) {
  return parse_config(text, "/conf/dir/dnspushd.toml");
}

// The error for `text`, or "" when it parsed.
std::string error_of(const std::string& text) {
  auto c = parse(text);
  return c ? "" : c.error().message;
}

constexpr char kMinimal[] = "[listen]\ndns = [\"127.0.0.1:53\"]\n";

TEST(Config, ParsesEveryKey) {
  auto c = parse(kFull);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->workers, 3u);
  EXPECT_EQ(c->effective_workers(), 3u);
  ASSERT_EQ(c->dns.size(), 2u);
  EXPECT_EQ(c->dns[0].to_string(), "127.0.0.1:5300");
  EXPECT_TRUE(c->dns[1].v6);
  ASSERT_EQ(c->tls.size(), 1u);
  EXPECT_EQ(c->tls[0].port, 8530);
  EXPECT_EQ(c->tcp_idle_timeout, 2500ms);
  EXPECT_EQ(c->tls_handshake_timeout, 1500ms);
  EXPECT_FALSE(c->tls_own_records);
  EXPECT_EQ(c->max_connections, 100u);
  EXPECT_EQ(c->max_connections_per_address, 10u);
  EXPECT_EQ(c->max_pending_bytes, 100000u);
  EXPECT_EQ(c->udp_payload, 1400);
  EXPECT_EQ(c->answer_cache, 0u);
  EXPECT_EQ(c->send_batch, 32u);
  EXPECT_EQ(c->tcp_send_buffer, 65536u);
  ASSERT_EQ(c->zones.size(), 2u);
  EXPECT_EQ(c->zones[0].origin, "example.test");
}

TEST(Config, ResolvesRelativePathsAgainstTheConfigDirectory) {
  auto c = parse(kFull);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->source, fs::path("/conf/dir/dnspushd.toml"));
  EXPECT_EQ(c->state_dir, fs::path("/conf/dir/var/dnspushd"));
  EXPECT_EQ(c->tls_certificate, fs::path("/conf/dir/cert.pem"));
  EXPECT_EQ(c->tls_key, fs::path("/etc/keys/key.pem"));  // absolute stays
  EXPECT_EQ(c->zones[0].file, fs::path("/conf/dir/zones/example.test.zone"));
  EXPECT_EQ(c->zones[1].file, fs::path("/srv/other.zone"));
}

TEST(Config, DefaultsForAbsentSections) {
  auto c = parse(kMinimal);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->workers, 0u);
  EXPECT_GE(c->effective_workers(), 1u);
  EXPECT_EQ(c->state_dir, fs::path("/conf/dir/var/dnspushd"));
  EXPECT_EQ(c->tcp_idle_timeout, 10000ms);  // RFC 7766 §6.2.3's suggestion
  EXPECT_EQ(c->tls_handshake_timeout, 5000ms);
  EXPECT_EQ(c->max_connections, 15000u);
  EXPECT_EQ(c->max_connections_per_address, 1000u);
  EXPECT_EQ(c->max_pending_bytes, 262144u);
  EXPECT_EQ(c->udp_payload, 1232);
  EXPECT_EQ(c->answer_cache, 1024u);
  EXPECT_EQ(c->send_batch, 64u);
  EXPECT_EQ(c->tcp_send_buffer, 0u);
  EXPECT_TRUE(c->tls_certificate.empty());
  EXPECT_TRUE(c->tls_own_records);
  EXPECT_TRUE(c->zones.empty());
}

TEST(Config, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_NE(error_of(std::string(kMinimal) + "[server]\nwrokers = 2\n").find("server.wrokers"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[limit]\n").find("limit: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[[zone]]\norigin = \"a.test\"\nfile = \"a\"\n"
                                             "master = \"x\"\n")
                .find("zone[0].master: unknown key"),
            std::string::npos);
  EXPECT_NE(
      error_of("[listen]\ndns = [\"127.0.0.1:53\"]\nudp = [\"127.0.0.1:53\"]\n").find("listen.udp"),
      std::string::npos);
}

TEST(Config, BadAddressesNameTheKeyAndIndex) {
  const auto e = error_of("[listen]\ndns = [\"127.0.0.1:53\", \"localhost:53\"]\n");
  EXPECT_NE(e.find("listen.dns[1]"), std::string::npos) << e;
  EXPECT_NE(error_of("[listen]\ntls = [\"::1:853\"]\n").find("listen.tls[0]"), std::string::npos);
  EXPECT_NE(error_of("[listen]\ndns = [\"127.0.0.1:99999\"]\n").find("listen.dns[0]"),
            std::string::npos);
  EXPECT_NE(error_of("[listen]\ndns = \"127.0.0.1:53\"\n").find("listen.dns: expected an array"),
            std::string::npos);
  EXPECT_NE(error_of("[listen]\ndns = []\n").find("listen"), std::string::npos);
}

TEST(Config, ValuesAreChecked) {
  const std::string m = kMinimal;
  EXPECT_NE(error_of(m + "[server]\nlog-level = \"loud\"\n").find("server.log-level"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[server]\nworkers = -1\n").find("server.workers"), std::string::npos);
  EXPECT_NE(error_of(m + "[server]\nworkers = \"2\"\n").find("server.workers: expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[limits]\nudp-payload = 100\n").find("limits.udp-payload"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[limits]\nanswer-cache = 2000000\n").find("limits.answer-cache"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[limits]\nsend-batch = 5000\n").find("limits.send-batch"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[limits]\ntcp-send-buffer = 100\n").find("limits.tcp-send-buffer"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[limits]\nmax-connections = 0\n").find("limits.max-connections"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[tls]\ncertificate = \"c.pem\"\n").find("tls.key: missing"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[tls]\nrecord-layer = \"kernel\"\n").find("tls.record-layer"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[[zone]]\norigin = \"a..test\"\nfile = \"a\"\n").find("zone[0].origin"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[[zone]]\nfile = \"a\"\n").find("zone[0].origin: missing"),
            std::string::npos);
  EXPECT_NE(error_of(m + "[[zone]]\norigin = \"A.test\"\nfile = \"a\"\n"
                         "[[zone]]\norigin = \"a.TEST.\"\nfile = \"b\"\n")
                .find("zone[1].origin"),
            std::string::npos);
}

TEST(Config, TomlSyntaxErrorsGiveFileAndLine) {
  const auto e = error_of("[listen]\ndns = [\"127.0.0.1:53\"\n");
  EXPECT_EQ(e.rfind("/conf/dir/dnspushd.toml:", 0), 0u) << e;
  EXPECT_FALSE(load_config("/nonexistent/dnspushd.toml"));
}

class Zones : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dnspush-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write_config(const std::string& zone_file) {
    const fs::path p = dir_ / "dnspushd.toml";
    std::ofstream(p) << kMinimal << "[[zone]]\norigin = \"example.com\"\nfile = \"" << zone_file
                     << "\"\n";
    return p;
  }
  fs::path dir_;
};

TEST_F(Zones, GoodZoneLoadsIntoTheCatalogue) {
  // An absolute path (the zone $INCLUDEs a file beside it).
  auto c = load_config(write_config(std::string(DNSPUSH_TEST_DATA) + "/zones/good.zone"));
  ASSERT_TRUE(c) << c.error().message;
  auto cat = load_zones(*c);
  ASSERT_TRUE(cat) << cat.error().message;
  EXPECT_NE((*cat)->find_exact(*wire::Name::from_text("example.com.")), nullptr);
  EXPECT_EQ(check_config(dir_ / "dnspushd.toml"), 0);
}

TEST_F(Zones, BadZoneRefusesWithFileAndLine) {
  fs::copy_file(fs::path(DNSPUSH_TEST_DATA) / "zones/bad-syntax.zone", dir_ / "bad.zone");
  auto c = load_config(write_config("bad.zone"));  // relative to the config file
  ASSERT_TRUE(c) << c.error().message;
  auto cat = load_zones(*c);
  ASSERT_FALSE(cat);
  const std::string prefix = (dir_ / "bad.zone").string() + ":";
  EXPECT_EQ(cat.error().message.rfind(prefix, 0), 0u) << cat.error().message;
  EXPECT_EQ(check_config(dir_ / "dnspushd.toml"), 1);
}

TEST_F(Zones, TheStateDirOfAFileThatDoesNotLoad) {
  // dnspushctl finds a running server through a configuration edited with a mistake.
  const fs::path p = dir_ / "dnspushd.toml";
  std::ofstream(p) << "[server]\nstate-dir = \"run/here\"\n[limits]\nmax-pipelined = -3\n";
  ASSERT_FALSE(load_config(p));
  auto d = load_state_dir(p);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (fs::absolute(dir_) / "run/here").lexically_normal());
  std::ofstream(p) << "[limits]\nmax-pipelined = -3\n";  // the default, as load_config's
  ASSERT_TRUE(load_state_dir(p));
  EXPECT_EQ(*load_state_dir(p), (fs::absolute(dir_) / "var/dnspushd").lexically_normal());
  std::ofstream(p) << "[server]\nstate-dir = 7\n";
  EXPECT_FALSE(load_state_dir(p));
  std::ofstream(p) << "[server\n";
  EXPECT_FALSE(load_state_dir(p));
  EXPECT_FALSE(load_state_dir(dir_ / "absent.toml"));
}

TEST_F(Zones, MissingZoneFileIsAnError) {
  auto c = load_config(write_config("absent.zone"));
  ASSERT_TRUE(c) << c.error().message;
  auto cat = load_zones(*c);
  ASSERT_FALSE(cat);
  EXPECT_NE(cat.error().message.find("absent.zone"), std::string::npos) << cat.error().message;
}

}  // namespace
}  // namespace dnspush::server

namespace dnspush::server {
namespace {

TEST(ConfigReload, RestartOnlyChangesNameTheSectionsOutsideZonesAndKeys) {
  const std::string base =
      "[server]\nworkers = 2\n[listen]\ndns = [\"127.0.0.1:53\"]\n[journal]\nmax-changesets = 10\n"
      "[[key]]\nname = \"k\"\nsecret = \"AAAA\"\n[[zone]]\norigin = \"a.test\"\nfile = \"a\"\n";
  EXPECT_TRUE(restart_only_changes(base, base).empty());
  // Zones, keys and journal-content are applied by a reload: not listed.
  std::string zones = base + "[[zone]]\norigin = \"b.test\"\nfile = \"b\"\n";
  zones.replace(zones.find("AAAA"), 4, "BBBB");
  zones.replace(zones.find("max-changesets"), 0, "journal-content = \"file\"\n");
  EXPECT_TRUE(restart_only_changes(base, zones).empty());
  std::string listen = base;
  listen.replace(listen.find("127.0.0.1:53"), 12, "127.0.0.1:54");
  EXPECT_EQ(restart_only_changes(base, listen), (std::vector<std::string>{"[listen]"}));
  EXPECT_EQ(restart_only_changes(base, base + "[limits]\nmax-pipelined = 3\n"),
            (std::vector<std::string>{"[limits]"}));
  EXPECT_TRUE(restart_only_changes(base, base + "[limits]\n").empty());
}

}  // namespace
}  // namespace dnspush::server
