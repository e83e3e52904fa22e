// Helpers for the client tests: records from text, answers, and PUSH messages.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/record_set.hpp"
#include "client/stub.hpp"
#include "dso/message.hpp"
#include "push/tlv.hpp"
#include "wire/message.hpp"
#include "wire/rdata.hpp"

namespace dnspush::client::test {

using namespace std::chrono_literals;
inline const TimePoint t0 = TimePoint() + std::chrono::hours(1000);

inline wire::Name name(std::string_view s) {
  auto n = wire::Name::from_text(s);
  EXPECT_TRUE(n.has_value()) << s;
  return n ? *n : wire::Name();
}

// rr("www.example.test.", 300, "A", "192.0.2.1")
inline wire::Record rr(std::string_view owner, std::uint32_t ttl, std::string_view type,
                       std::string_view rdata) {
  wire::Record r;
  r.owner = name(owner);
  r.type = *wire::rrtype_from_text(type);
  r.ttl = ttl;
  auto d = wire::rdata_from_text(r.type, rdata);
  EXPECT_TRUE(d.has_value()) << rdata;
  if (d) r.rdata = *d;
  return r;
}

inline Question question(std::string_view n, std::string_view type = "A") {
  return Question{name(n), *wire::rrtype_from_text(type), wire::RRClass::IN};
}

// "+ owner TTL TYPE rdata" / "- owner TYPE rdata"
inline std::string text(const RecordEvent& e) {
  const auto& r = e.record;
  if (e.kind == RecordEvent::Kind::kAdd)
    return "+ " + r.owner.to_text() + " " + std::to_string(r.ttl) + " " + wire::to_text(r.type) +
           " " + wire::rdata_to_text(r.type, r.rdata);
  return "- " + r.owner.to_text() + " " + wire::to_text(r.type) + " " +
         wire::rdata_to_text(r.type, r.rdata);
}

inline std::vector<std::string> texts(const std::vector<RecordEvent>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(text(e));
  return out;
}

inline push::Change add(const wire::Record& r) {
  return {push::ChangeKind::kAdd, r.owner, r.type, r.cls, r.ttl, r.rdata};
}
inline push::Change del(const wire::Record& r) {
  return {push::ChangeKind::kDeleteRecord, r.owner, r.type, r.cls, push::kTtlDeleteRecord, r.rdata};
}
inline push::Change del_rrset(std::string_view owner, wire::RRType t) {
  return {push::ChangeKind::kDeleteRRset, name(owner), t, wire::RRClass::IN,
          push::kTtlDeleteCollective,     {}};
}
inline push::Change del_name(std::string_view owner) {
  return {push::ChangeKind::kDeleteName, name(owner),
          static_cast<wire::RRType>(0),  wire::RRClass::ANY,
          push::kTtlDeleteCollective,    {}};
}

// A whole PUSH message (RFC 8765 §6.3) with these change notifications.
inline std::vector<std::uint8_t> push_message(const std::vector<push::Change>& cs) {
  auto b = dso::MessageBuilder::unidirectional();
  const auto mark = b.begin_tlv(dso::TlvType::PUSH);
  for (const auto& c : cs) push::write_change(b.writer(), c.name, c.type, c.cls, c.ttl, c.rdata);
  b.end_tlv(mark);
  auto m = b.finish();
  EXPECT_TRUE(m.has_value());
  return m ? *m : std::vector<std::uint8_t>{};
}

// A message with its 2-byte TCP length prefix (RFC 7766 §8).
inline std::vector<std::uint8_t> framed(const std::vector<std::uint8_t>& m) {
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(m.size() >> 8),
                                static_cast<std::uint8_t>(m.size())};
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

inline Answer answer(wire::Rcode rcode, std::vector<wire::Record> answers,
                     std::vector<wire::Record> authority = {}, bool ad = false) {
  Answer a;
  a.rcode = rcode;
  a.answers = std::move(answers);
  a.authority = std::move(authority);
  a.authenticated = ad;
  return a;
}

}  // namespace dnspush::client::test
