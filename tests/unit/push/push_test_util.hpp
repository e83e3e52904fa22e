// Helpers for the push tests: names and records from master-file text, SUBSCRIBE data, a
// catalogue that commits changesets the way the one writer does (each commit a version,
// the catalogue published with it), and delivery filtering.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client_model.hpp"
#include "push/push_worker.hpp"
#include "push/tlv.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/writer.hpp"
#include "zone/catalogue.hpp"
#include "zone/commit.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::push::test {

using Bytes = std::vector<std::uint8_t>;
using wire::RRClass;
using wire::RRType;

inline const TimePoint t0 = TimePoint() + std::chrono::hours(1000);

inline wire::Name name(std::string_view text) {
  auto n = wire::Name::from_text(text);
  EXPECT_TRUE(n.has_value()) << text;
  return n ? *n : wire::Name();
}

inline std::vector<wire::Record> records(std::string_view text,
                                         std::string_view origin = "example.com.") {
  auto rs = zone::parse_records(text, name(origin));
  EXPECT_TRUE(rs.has_value()) << (rs ? "" : rs.error().message);
  return rs ? *rs : std::vector<wire::Record>{};
}

inline wire::Record rr(std::string_view line, std::string_view origin = "example.com.") {
  auto rs = records(std::string(line) + "\n", origin);
  EXPECT_EQ(rs.size(), 1u) << line;
  return rs.empty() ? wire::Record{} : rs.front();
}

inline Subscribe sub(std::string_view n, RRType t, RRClass c = RRClass::IN) {
  return Subscribe{name(n), t, c};
}

inline Bytes subscribe_data(const Subscribe& s) {
  wire::Writer w;
  encode_subscribe(w, s);
  return w.take();
}
inline Bytes subscribe_data(std::string_view n, RRType t, RRClass c = RRClass::IN) {
  return subscribe_data(sub(n, t, c));
}

inline constexpr std::string_view kZone =
    "$TTL 300\n"
    "@                  SOA   ns1 hostmaster 1 7200 3600 1209600 60\n"
    "@                  NS    ns1\n"
    "ns1                A     192.0.2.1\n"
    "www                A     192.0.2.10\n"
    "www                A     192.0.2.11\n"
    "www                AAAA  2001:db8::10\n"
    "_ipp._tcp          PTR   printer1._ipp._tcp\n"
    "printer1._ipp._tcp SRV   0 0 631 printer1\n"
    "printer1._ipp._tcp TXT   \"txtvers=1\"\n"
    "printer1           A     192.0.2.50\n"
    "alias              CNAME www\n"
    "*.wild             A     192.0.2.99\n"
    "sub                NS    ns.sub\n"
    "sub                DS    12345 13 2 "
    "BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A86764247C\n"
    "ns.sub             A     192.0.2.53\n";

// The server's zones, changed commit by commit as the one writer does it.
class Zones {
 public:
  Zones() { add_zone(kZone, "example.com."); }

  void add_zone(std::string_view text, std::string_view origin) {
    auto z = zone::load_zone_text(text, name(origin));
    EXPECT_TRUE(z.has_value()) << (z ? "" : z.error().message);
    if (z) catalogue_ = catalogue_->with(*z, version_);
  }

  std::shared_ptr<const zone::Catalogue> catalogue() const { return catalogue_; }
  const zone::Catalogue& now() const { return *catalogue_; }
  std::shared_ptr<const zone::Zone> zone(std::string_view origin = "example.com.") const {
    auto* z = catalogue_->find_exact(name(origin));
    return z ? *z : nullptr;
  }

  // Applies removed/added (master-file lines relative to the origin), bumps the serial,
  // publishes the catalogue at a new version and returns the commit.
  zone::CommitPtr commit(std::string_view removed, std::string_view added,
                         std::string_view origin = "example.com.") {
    return commit(records(removed, origin), records(added, origin), origin);
  }
  zone::CommitPtr commit(std::vector<wire::Record> removed, std::vector<wire::Record> added,
                         std::string_view origin = "example.com.") {
    auto before = zone(origin);
    EXPECT_NE(before, nullptr);
    if (!before) return nullptr;
    zone::Changeset cs;
    cs.soa_from = before->soa_record();
    cs.soa_to = cs.soa_from;
    auto fields = zone::parse_soa(cs.soa_from.rdata);
    // The serial is the first u32 after MNAME and RNAME: rewrite the last 20 bytes' first 4.
    const std::uint32_t next = fields->serial.value() + 1;
    auto& rd = cs.soa_to.rdata;
    const std::size_t at = rd.size() - 20;
    rd[at] = static_cast<std::uint8_t>(next >> 24);
    rd[at + 1] = static_cast<std::uint8_t>(next >> 16);
    rd[at + 2] = static_cast<std::uint8_t>(next >> 8);
    rd[at + 3] = static_cast<std::uint8_t>(next);
    cs.removed = std::move(removed);
    cs.added = std::move(added);
    auto after = before->apply(cs);
    EXPECT_TRUE(after.has_value()) << (after ? "" : after.error().message);
    if (!after) return nullptr;
    auto c = std::make_shared<zone::Commit>();
    c->origin = before->origin();
    c->version = ++version_;
    c->changeset = std::move(cs);
    c->before = before;
    c->after = *after;
    catalogue_ = catalogue_->with(*after, version_);
    return c;
  }

  std::uint64_t version() const { return version_; }

 private:
  std::shared_ptr<const zone::Catalogue> catalogue_ = std::make_shared<const zone::Catalogue>();
  std::uint64_t version_ = 0;
};

// The messages of `ds` for `session`, in order.
inline std::vector<SharedBytes> for_session(const std::vector<Delivery>& ds, SessionId session) {
  std::vector<SharedBytes> out;
  for (const auto& d : ds)
    if (d.session == session) out.push_back(d.message);
  return out;
}

// Every change of every message, decoded strictly.
inline std::vector<Change> decode_all(const std::vector<SharedBytes>& msgs) {
  std::vector<Change> out;
  for (const auto& m : msgs) {
    auto d = parse_push_message(*m);
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message);
    if (!d) continue;
    EXPECT_EQ(d->ignored, 0u);
    for (auto& c : d->changes) out.push_back(std::move(c));
  }
  return out;
}

// "www.example.com. A 300 192.0.2.10"-like text for comparing decoded changes.
inline std::string describe(const Change& c) {
  const char* kind = "";
  switch (c.kind) {
    case ChangeKind::kAdd:
      kind = "add";
      break;
    case ChangeKind::kDeleteRecord:
      kind = "del";
      break;
    case ChangeKind::kDeleteRRset:
      kind = "del-rrset";
      break;
    case ChangeKind::kDeleteClass:
      kind = "del-class";
      break;
    case ChangeKind::kDeleteName:
      kind = "del-name";
      break;
  }
  std::string s = std::string(kind) + " " + c.name.to_lower().to_text();
  if (c.kind == ChangeKind::kDeleteName) return s;
  s += " " + wire::to_text(c.type);
  if (c.kind == ChangeKind::kAdd) s += " " + std::to_string(c.ttl);
  if (c.kind == ChangeKind::kAdd || c.kind == ChangeKind::kDeleteRecord)
    s += " " + wire::rdata_to_text(c.type, c.rdata);
  return s;
}

inline std::vector<std::string> describe(const std::vector<SharedBytes>& msgs) {
  std::vector<std::string> out;
  for (const auto& c : decode_all(msgs)) out.push_back(describe(c));
  return out;
}

}  // namespace dnspush::push::test
