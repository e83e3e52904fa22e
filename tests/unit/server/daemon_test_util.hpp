// An in-process dnspushd for tests: config from TOML text in a fresh temporary state
// directory, the zone writer, the dispatcher and the listeners on 127.0.0.1 port 0.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "auth/responder.hpp"
#include "io/client.hpp"
#include "io/server.hpp"
#include "io/tls_context.hpp"
#include "server/config.hpp"
#include "server/instance.hpp"
#include "server/zone_manager.hpp"
#include "wire/message.hpp"
#include "wire/tsig.hpp"
#include "zone/changeset.hpp"

namespace dnspush::server::test {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

inline constexpr char kZone[] = R"($ORIGIN example.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
www IN A 192.0.2.1
f0 IN A 198.51.100.0
f1 IN A 198.51.100.1
f2 IN A 198.51.100.2
f3 IN A 198.51.100.3
f4 IN A 198.51.100.4
f5 IN A 198.51.100.5
f6 IN A 198.51.100.6
f7 IN A 198.51.100.7
)";

inline constexpr char kOtherZone[] = R"($ORIGIN other.test.
$TTL 300
@ IN SOA ns1 hostmaster 10 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
)";

// base64 of "example-key-secret-0123456789abc" and of "xfr-key-secret"
inline constexpr char kExampleSecret[] = "ZXhhbXBsZS1rZXktc2VjcmV0LTAxMjM0NTY3ODlhYmM=";
inline constexpr char kXfrSecret[] = "eGZyLWtleS1zZWNyZXQ=";

inline wire::TsigKey key(const char* name, const char* secret) {
  return *wire::TsigKey::from_fields(name, "hmac-sha256", secret);
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "dnspush-wiring-XXXXXX").string();
    path_ = ::mkdtemp(t.data()) ? fs::path(t) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// One running daemon; destroyed in the order dnspushd stops (writer, then listeners).
class Daemon {
 public:
  // `zones_toml` is appended to a config with the two keys and listen on port 0.
  static std::unique_ptr<Daemon> start(const fs::path& dir, const std::string& zones_toml) {
    {
      std::ofstream(dir / "example.test.zone") << kZone;
      std::ofstream(dir / "other.test.zone") << kOtherZone;
    }
    const std::string text = std::string("[server]\nstate-dir = \"state\"\nworkers = 2\n") +
                             "[listen]\ndns = [\"127.0.0.1:0\"]\n" +
                             "[[key]]\nname = \"example-key\"\nsecret = \"" + kExampleSecret +
                             "\"\n[[key]]\nname = \"xfr-key\"\nsecret = \"" + kXfrSecret + "\"\n" +
                             zones_toml;
    std::ofstream(dir / "dnspushd.toml") << text;
    auto cfg = load_config(dir / "dnspushd.toml");
    EXPECT_TRUE(cfg) << cfg.error().message;
    if (!cfg) return nullptr;
    auto d = std::unique_ptr<Daemon>(new Daemon());
    d->config = *cfg;
    fs::create_directories(d->config.state_dir);
    // DNS over TLS too, with a self-signed certificate made for the test.
    const auto cert = (dir / "cert.pem").string(), pkey = (dir / "key.pem").string();
    if (!fs::exists(cert)) {
      EXPECT_TRUE(io::TlsContext::generate_self_signed(cert, pkey, {}));
    }
    auto tls = io::TlsContext::server(cert, pkey);
    EXPECT_TRUE(tls);
    InstanceOptions o;
    if (tls) {
      o.tls = *tls;
      d->config.tls.push_back(*io::Endpoint::parse("127.0.0.1:0"));
    }
    auto inst = Instance::create(d->config, o);
    EXPECT_TRUE(inst) << inst.error().message;
    if (!inst) return nullptr;
    d->instance = std::move(*inst);
    d->zones = &d->instance->zones();
    d->instance->start();
    for (const auto& b : d->instance->bound()) {
      (b.protocol == "tls" ? d->tls_port : d->port) = b.endpoint.port;
    }
    return d;
  }
  ~Daemon() {
    if (instance) instance->stop();
  }

  Config config;
  std::unique_ptr<Instance> instance;
  ZoneManager* zones = nullptr;  // the instance's
  std::uint16_t port = 0;        // UDP and TCP
  std::uint16_t tls_port = 0;    // DNS over TLS

 private:
  Daemon() = default;
};

inline std::uint64_t now() {
  return system_seconds();
}

inline wire::Record a_record(const std::string& owner, const std::string& addr,
                             std::uint32_t ttl = 300) {
  wire::Record r;
  r.owner = *wire::Name::from_text(owner);
  r.type = wire::RRType::A;
  r.ttl = ttl;
  unsigned a, b, c, d;
  std::sscanf(addr.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  r.rdata = {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b),
             static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(d)};
  return r;
}

// An UPDATE of `zone` adding `adds` (RFC 2136 §2.5.1).
inline Bytes make_update(std::uint16_t id, const std::string& zone,
                         const std::vector<wire::Record>& adds) {
  wire::Message m;
  m.header.id = id;
  m.header.opcode = wire::Opcode::UPDATE;
  m.questions.push_back({*wire::Name::from_text(zone), wire::RRType::SOA, wire::RRClass::IN});
  m.authorities = adds;
  m.header.qdcount = 1;
  m.header.nscount = static_cast<std::uint16_t>(adds.size());
  return m.to_wire();
}

inline Bytes make_query(std::uint16_t id, const std::string& name, wire::RRType type) {
  wire::Message m;
  m.header.id = id;
  m.questions.push_back({*wire::Name::from_text(name), type, wire::RRClass::IN});
  m.header.qdcount = 1;
  return m.to_wire();
}

// An IXFR request carrying the client's SOA (RFC 1995 §3).
inline Bytes make_ixfr(std::uint16_t id, const std::string& zone, std::uint32_t serial) {
  wire::Message m;
  m.header.id = id;
  const auto origin = *wire::Name::from_text(zone);
  m.questions.push_back({origin, wire::RRType::IXFR, wire::RRClass::IN});
  wire::Record soa;
  soa.owner = origin;
  soa.type = wire::RRType::SOA;
  soa.ttl = 300;
  wire::Writer w;
  w.name(*wire::Name::from_text("ns1." + zone), false);
  w.name(*wire::Name::from_text("hostmaster." + zone), false);
  for (std::uint32_t v : {serial, 3600u, 600u, 86400u, 300u}) w.u32(v);
  soa.rdata = w.take();
  m.authorities.push_back(soa);
  m.header.qdcount = 1;
  m.header.nscount = 1;
  return m.to_wire();
}

inline Result<Bytes> exchange(std::uint16_t port, const Bytes& q,
                              auth::Transport t = auth::Transport::kUdp) {
  io::ExchangeOptions o;
  o.port = port;
  o.transport = t;
  if (t == auth::Transport::kTls) {
    io::ClientTlsOptions c;
    c.verify = false;
    auto ctx = io::TlsContext::client(c);
    if (!ctx) return tl::unexpected(ctx.error());
    o.tls = *ctx;
  }
  o.timeout = std::chrono::seconds(5);
  return io::send_query(o, q);
}

// The number of answer records for NAME/TYPE (0 when there is no answer).
inline std::size_t answer_count(std::uint16_t port, const std::string& name, wire::RRType t) {
  auto r = test::exchange(port, make_query(78, name, t));
  if (!r) return 0;
  auto m = wire::Message::parse(*r);
  return m ? m->answers.size() : 0;
}

// The serial of example.test. as served (0 when there is no answer).
inline std::uint32_t serial_of(std::uint16_t port) {
  auto r = test::exchange(port, make_query(77, "example.test", wire::RRType::SOA));
  if (!r) return 0;
  auto m = wire::Message::parse(*r);
  if (!m || m->answers.empty()) return 0;
  return zone::soa_serial(m->answers[0].rdata).value();
}

}  // namespace dnspush::server::test
