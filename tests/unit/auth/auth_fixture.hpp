// Test zones built in code (independent of the zone-file loader) and helpers to send a
// query through the Responder and read the answer back.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "../common/wire_bytes.hpp"
#include "auth/responder.hpp"
#include "wire/message.hpp"
#include "zone/catalogue.hpp"
#include "zone/zone.hpp"

namespace dnspush::auth::test {

using dnspush::test::Bytes;
using dnspush::test::N;
using dnspush::test::put16;
using dnspush::test::put32;
using dnspush::test::put_name;
using wire::RRType;

inline Bytes rd_name(std::string_view text) {
  Bytes b;
  put_name(b, text);
  return b;
}
inline Bytes rd_a(const char* text) {
  Bytes b(4);
  EXPECT_EQ(inet_pton(AF_INET, text, b.data()), 1);
  return b;
}
inline Bytes rd_aaaa(const char* text) {
  Bytes b(16);
  EXPECT_EQ(inet_pton(AF_INET6, text, b.data()), 1);
  return b;
}
inline Bytes rd_soa(std::string_view mname, std::string_view rname, std::uint32_t serial,
                    std::uint32_t minimum) {
  Bytes b;
  put_name(b, mname);
  put_name(b, rname);
  put32(b, serial);
  put32(b, 7200);     // refresh
  put32(b, 3600);     // retry
  put32(b, 1209600);  // expire
  put32(b, minimum);
  return b;
}
inline Bytes rd_mx(std::uint16_t pref, std::string_view host) {
  Bytes b;
  put16(b, pref);
  put_name(b, host);
  return b;
}
inline Bytes rd_srv(std::uint16_t prio, std::uint16_t weight, std::uint16_t port,
                    std::string_view target) {
  Bytes b;
  put16(b, prio);
  put16(b, weight);
  put16(b, port);
  put_name(b, target);
  return b;
}
inline Bytes rd_txt(std::initializer_list<std::string_view> strings) {
  Bytes b;
  for (auto s : strings) {
    const std::size_t at = b.size();
    b.resize(at + 1 + s.size());
    b[at] = static_cast<std::uint8_t>(s.size());
    std::copy(s.begin(), s.end(), b.begin() + static_cast<std::ptrdiff_t>(at + 1));
  }
  return b;
}
inline Bytes rd_ds(std::uint16_t tag) {
  Bytes b;
  put16(b, tag);
  b.push_back(13);  // algorithm
  b.push_back(2);   // SHA-256
  for (int i = 0; i < 32; ++i) b.push_back(static_cast<std::uint8_t>(i));
  return b;
}

class ZoneText {
 public:
  explicit ZoneText(std::string_view origin) : builder_(N(origin)) {}
  ZoneText& add(std::string_view owner, RRType type, std::uint32_t ttl, Bytes rdata) {
    wire::Record r{N(owner), type, wire::RRClass::IN, ttl, std::move(rdata)};
    auto ok = builder_.add(r);
    EXPECT_TRUE(ok.has_value()) << std::string(owner) << " " << (ok ? "" : ok.error().message);
    return *this;
  }
  std::shared_ptr<const zone::Zone> finish() {
    auto z = std::move(builder_).finish();
    EXPECT_TRUE(z.has_value()) << (z ? "" : z.error().message);
    return z ? *z : nullptr;
  }

 private:
  zone::ZoneBuilder builder_;
};

// The zone most tests use. SOA TTL 3600, MINIMUM 300: negative TTL 300 (RFC 2308 §3).
inline std::shared_ptr<const zone::Zone> example_zone() {
  ZoneText z("example.");
  z.add("example.", RRType::SOA, 3600, rd_soa("ns1.example.", "hostmaster.example.", 2024, 300))
      .add("example.", RRType::NS, 3600, rd_name("ns1.example."))
      .add("example.", RRType::NS, 3600, rd_name("ns2.example."))
      .add("example.", RRType::MX, 3600, rd_mx(10, "mail.example."))
      .add("example.", RRType::MX, 3600, rd_mx(20, "mx.elsewhere.net."))
      .add("ns1.example.", RRType::A, 3600, rd_a("192.0.2.1"))
      .add("ns2.example.", RRType::AAAA, 3600, rd_aaaa("2001:db8::2"))
      .add("www.example.", RRType::A, 300, rd_a("192.0.2.10"))
      .add("www.example.", RRType::AAAA, 300, rd_aaaa("2001:db8::10"))
      .add("mail.example.", RRType::A, 300, rd_a("192.0.2.25"))
      // CNAMEs: one step, a chain, a loop, a target outside, a dangling target.
      .add("alias.example.", RRType::CNAME, 600, rd_name("www.example."))
      .add("chain1.example.", RRType::CNAME, 600, rd_name("chain2.example."))
      .add("chain2.example.", RRType::CNAME, 600, rd_name("alias.example."))
      .add("loop1.example.", RRType::CNAME, 600, rd_name("loop2.example."))
      .add("loop2.example.", RRType::CNAME, 600, rd_name("loop1.example."))
      .add("out.example.", RRType::CNAME, 600, rd_name("www.elsewhere.net."))
      .add("dangling.example.", RRType::CNAME, 600, rd_name("nothere.example."))
      // b.c.example. and c.example. are empty non-terminals.
      .add("a.b.c.example.", RRType::A, 300, rd_a("192.0.2.40"))
      // Wildcards (RFC 4592 §2.2.1 style): host and z.ent exist under the wildcard.
      .add("*.wild.example.", RRType::A, 120, rd_a("192.0.2.99"))
      .add("*.wild.example.", RRType::TXT, 120, rd_txt({"wildcard"}))
      .add("host.wild.example.", RRType::A, 300, rd_a("192.0.2.100"))
      .add("z.ent.wild.example.", RRType::A, 300, rd_a("192.0.2.101"))
      .add("*.cn.example.", RRType::CNAME, 120, rd_name("www.example."))
      // A delegation with in-domain glue, sibling glue and an out-of-zone server, and
      // its DS held on this (the parent) side.
      .add("deleg.example.", RRType::NS, 3600, rd_name("ns.deleg.example."))
      .add("deleg.example.", RRType::NS, 3600, rd_name("ns1.example."))
      .add("deleg.example.", RRType::NS, 3600, rd_name("ns.other.net."))
      .add("deleg.example.", RRType::DS, 3600, rd_ds(4711))
      .add("ns.deleg.example.", RRType::A, 3600, rd_a("192.0.2.53"))
      .add("nods.example.", RRType::NS, 3600, rd_name("ns.other.net."))
      // DNAME: x.dn.example. -> x.dst.example.
      .add("dn.example.", RRType::DNAME, 900, rd_name("dst.example."))
      .add("x.dst.example.", RRType::A, 300, rd_a("192.0.2.77"))
      // DNS-SD (RFC 6763): a browse PTR, instances with SRV + TXT, their hosts.
      .add("_ipp._tcp.example.", RRType::PTR, 4500, rd_name("p1._ipp._tcp.example."))
      .add("_ipp._tcp.example.", RRType::PTR, 4500, rd_name("p2._ipp._tcp.example."))
      .add("p1._ipp._tcp.example.", RRType::SRV, 120, rd_srv(0, 0, 631, "p1host.example."))
      .add("p1._ipp._tcp.example.", RRType::TXT, 4500, rd_txt({"txtvers=1", "rp=p1"}))
      .add("p2._ipp._tcp.example.", RRType::SRV, 120, rd_srv(0, 0, 631, "p2host.example."))
      .add("p2._ipp._tcp.example.", RRType::TXT, 4500, rd_txt({"txtvers=1", "rp=p2"}))
      .add("p1host.example.", RRType::A, 120, rd_a("192.0.2.31"))
      .add("p1host.example.", RRType::AAAA, 120, rd_aaaa("2001:db8::31"))
      .add("p2host.example.", RRType::A, 120, rd_a("192.0.2.32"))
      .add("_http._tcp.example.", RRType::SRV, 300, rd_srv(0, 0, 80, "www.example."))
      .add("kid.example.", RRType::NS, 3600, rd_name("ns1.example."))
      .add("kid.example.", RRType::DS, 3600, rd_ds(999));
  // A TXT RRset of ~2.6 KB: truncated over UDP, whole over TCP.
  for (int i = 0; i < 20; ++i) {
    z.add("big.example.", RRType::TXT, 300, rd_txt({std::string(120, static_cast<char>('a' + i))}));
  }
  return z.finish();
}

// A child zone we also serve (for DS-at-apex answered from the parent).
inline std::shared_ptr<const zone::Zone> kid_zone() {
  ZoneText z("kid.example.");
  z.add("kid.example.", RRType::SOA, 60, rd_soa("ns1.example.", "h.example.", 7, 30))
      .add("kid.example.", RRType::NS, 60, rd_name("ns1.example."))
      .add("kid.example.", RRType::A, 60, rd_a("192.0.2.200"));
  return z.finish();
}

inline std::shared_ptr<const zone::Catalogue> catalogue_of(
    std::initializer_list<std::shared_ptr<const zone::Zone>> zones) {
  auto c = std::make_shared<const zone::Catalogue>();
  for (const auto& z : zones) c = c->with(z);
  return c;
}

struct QueryOptions {
  std::uint16_t id = 0x1234;
  wire::RRClass cls = wire::RRClass::IN;
  wire::Opcode opcode = wire::Opcode::QUERY;
  bool rd = true;
  bool cd = false;
  std::optional<wire::Edns> edns;
};

inline wire::Edns edns(std::uint16_t payload = 1232, std::vector<wire::EdnsOption> options = {}) {
  wire::Edns e;
  e.udp_payload = payload;
  e.options = std::move(options);
  return e;
}

inline Bytes make_query(std::string_view qname, RRType qtype, const QueryOptions& o = {}) {
  wire::Message m;
  m.header.id = o.id;
  m.header.opcode = o.opcode;
  m.header.rd = o.rd;
  m.header.cd = o.cd;
  m.questions.push_back(wire::Question{N(qname), qtype, o.cls});
  m.edns = o.edns;
  return m.to_wire();
}

inline QueryContext udp() {
  return QueryContext{};
}
inline QueryContext tcp(std::chrono::milliseconds idle = std::chrono::milliseconds(0)) {
  QueryContext c;
  c.transport = Transport::kTcp;
  c.tcp_idle_timeout = idle;
  return c;
}
inline QueryContext tls(std::chrono::milliseconds idle = std::chrono::milliseconds(0)) {
  QueryContext c = tcp(idle);
  c.transport = Transport::kTls;
  return c;
}

// Sends `query` through a responder holding example. (and kid.example.), returns the raw
// answer; fails the test if the responder drops it.
class ResponderTest : public ::testing::Test {
 protected:
  ResponderTest() { responder_.set_catalogue(catalogue_of({example_zone(), kid_zone()})); }

  Bytes raw(const Bytes& query, const QueryContext& ctx = udp()) {
    Bytes out;
    EXPECT_TRUE(responder_.respond(query, ctx, out));
    return out;
  }
  wire::Message ask(const Bytes& query, const QueryContext& ctx = udp()) {
    const Bytes out = raw(query, ctx);
    auto m = wire::Message::parse(out);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return m ? *m : wire::Message{};
  }
  wire::Message ask(std::string_view qname, RRType qtype, const QueryOptions& o = {},
                    const QueryContext& ctx = udp()) {
    return ask(make_query(qname, qtype, o), ctx);
  }

  Responder responder_;
};

// Helpers to inspect answers.
inline std::vector<const wire::Record*> of_type(const std::vector<wire::Record>& rrs, RRType t) {
  std::vector<const wire::Record*> out;
  for (const auto& r : rrs) {
    if (r.type == t) out.push_back(&r);
  }
  return out;
}
inline bool has(const std::vector<wire::Record>& rrs, std::string_view owner, RRType t) {
  const auto n = N(owner);
  for (const auto& r : rrs) {
    if (r.type == t && r.owner == n) return true;
  }
  return false;
}

}  // namespace dnspush::auth::test
