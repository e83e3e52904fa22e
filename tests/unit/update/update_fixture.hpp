// Helpers for UPDATE tests: a small zone built with zone::ZoneBuilder, RDATA builders,
// and a builder for UPDATE messages (zone, prerequisite and update sections).
#pragma once

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "../common/wire_bytes.hpp"
#include "update/update.hpp"
#include "wire/message.hpp"
#include "zone/zone.hpp"

namespace dnspush::update::test {

using dnspush::test::Bytes;
using dnspush::test::N;
using dnspush::test::put16;
using dnspush::test::put32;
using wire::Rcode;
using wire::Record;
using wire::RRClass;
using wire::RRType;
inline Bytes rd_name(std::string_view text) {
  const wire::Name n = N(text);
  return Bytes(n.wire().begin(), n.wire().end());
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
inline Bytes rd_soa(std::uint32_t serial, std::uint32_t refresh = 7200,
                    std::string_view mname = "ns1.example.") {
  Bytes b = rd_name(mname);
  const Bytes r = rd_name("hostmaster.example.");
  b.insert(b.end(), r.begin(), r.end());
  put32(b, serial);
  put32(b, refresh);
  put32(b, 3600);     // retry
  put32(b, 1209600);  // expire
  put32(b, 300);      // minimum
  return b;
}
inline Bytes rd_mx(std::uint16_t pref, std::string_view host) {
  Bytes b;
  put16(b, pref);
  const Bytes n = rd_name(host);
  b.insert(b.end(), n.begin(), n.end());
  return b;
}
inline Bytes rd_txt(std::string_view s) {
  Bytes b(s.size() + 1);
  b[0] = static_cast<std::uint8_t>(s.size());
  std::copy(s.begin(), s.end(), b.begin() + 1);
  return b;
}
// RFC 1035 §3.4.2: ADDRESS, PROTOCOL, then a port bitmap.
inline Bytes rd_wks(const char* addr, std::uint8_t proto, std::uint8_t bitmap) {
  Bytes b = rd_a(addr);
  b.push_back(proto);
  b.push_back(bitmap);
  return b;
}

inline Record rr(std::string_view owner, RRType type, RRClass cls, std::uint32_t ttl,
                 Bytes rdata = {}) {
  return Record{N(owner), type, cls, ttl, std::move(rdata)};
}
// Shorthand for the RFC 2136 forms.
inline Record in(std::string_view owner, RRType type, std::uint32_t ttl, Bytes rdata) {
  return rr(owner, type, RRClass::IN, ttl, std::move(rdata));
}
inline Record any(std::string_view owner, RRType type) {
  return rr(owner, type, RRClass::ANY, 0);
}
inline Record none(std::string_view owner, RRType type, Bytes rdata = {}) {
  return rr(owner, type, RRClass::NONE, 0, std::move(rdata));
}

constexpr std::uint32_t kSerial = 100;

// example. with an ENT at b.example. (a.b.example. has data) and a CNAME.
inline std::shared_ptr<const zone::Zone> make_zone(std::uint32_t serial = kSerial) {
  zone::ZoneBuilder b(N("example."));
  const std::vector<Record> records = {
      in("example.", RRType::SOA, 3600, rd_soa(serial)),
      in("example.", RRType::NS, 3600, rd_name("ns1.example.")),
      in("example.", RRType::NS, 3600, rd_name("ns2.example.")),
      in("example.", RRType::MX, 3600, rd_mx(10, "mail.example.")),
      in("ns1.example.", RRType::A, 3600, rd_a("192.0.2.1")),
      in("ns2.example.", RRType::A, 3600, rd_a("192.0.2.2")),
      in("www.example.", RRType::A, 300, rd_a("192.0.2.10")),
      in("www.example.", RRType::A, 300, rd_a("192.0.2.11")),
      in("www.example.", RRType::AAAA, 300, rd_aaaa("2001:db8::10")),
      in("alias.example.", RRType::CNAME, 300, rd_name("www.example.")),
      in("a.b.example.", RRType::TXT, 300, rd_txt("deep")),
      in("sub.example.", RRType::NS, 3600, rd_name("ns.sub.example.")),
      in("sub.example.", RRType::NS, 3600, rd_name("ns.elsewhere.net.")),
  };
  for (const auto& r : records) {
    auto ok = b.add(r);
    EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
  }
  auto z = std::move(b).finish();
  EXPECT_TRUE(z.has_value()) << (z ? "" : z.error().message);
  return z ? *z : nullptr;
}

// An UPDATE message for `zone` (RFC 2136 §2: the zone section is the question section,
// prerequisites the answer section, updates the authority section).
class UpdateMsg {
 public:
  explicit UpdateMsg(std::string_view zone = "example.") {
    m_.header.id = 0x1234;
    m_.header.opcode = wire::Opcode::UPDATE;
    m_.questions.push_back(wire::Question{N(zone), RRType::SOA, RRClass::IN});
  }
  UpdateMsg& prereq(Record r) {
    m_.answers.push_back(std::move(r));
    return *this;
  }
  UpdateMsg& update(Record r) {
    m_.authorities.push_back(std::move(r));
    return *this;
  }
  wire::Message& message() { return m_; }
  operator const wire::Message&() const { return m_; }

 private:
  wire::Message m_;
};

// Every record of a zone as text (SOA first, then canonical order).
inline std::vector<std::string> records_text(const zone::Zone& z) {
  std::vector<std::string> out;
  for (const auto& r : z.records()) out.push_back(wire::to_text(r));
  return out;
}
inline std::vector<std::string> records_text(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(wire::to_text(r));
  return out;
}

// Applies an outcome's changeset and returns the new zone (the old one when there is
// no changeset); fails the test when Zone::apply refuses it.
inline std::shared_ptr<const zone::Zone> commit(const std::shared_ptr<const zone::Zone>& z,
                                                const Outcome& o) {
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  if (!o.changeset) return z;
  auto next = z->apply(*o.changeset);
  EXPECT_TRUE(next.has_value()) << (next ? "" : next.error().message);
  return next ? *next : z;
}

// The RRset of `type` at `owner` as sorted RDATA text plus its TTL, e.g. "300 192.0.2.10".
inline std::vector<std::string> rrset_text(const zone::Zone& z, std::string_view owner,
                                           RRType type) {
  std::vector<std::string> out;
  const zone::Node* n = z.find(N(owner));
  if (n == nullptr) return out;
  const zone::RRset* s = n->find(type);
  if (s == nullptr) return out;
  for (const auto& rd : s->rdatas) {
    out.push_back(std::to_string(s->ttl) + " " + wire::rdata_to_text(type, rd));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dnspush::update::test
