// Helpers for the transfer tests: zones from text or built record by record, transfer
// requests as a client would send them, and a transfer drained into parsed messages.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wire/message.hpp"
#include "wire/name.hpp"
#include "xfr/transfer_out.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::xfr::test {

using Bytes = std::vector<std::uint8_t>;

inline wire::Name name(std::string_view text) {
  auto n = wire::Name::from_text(text);
  EXPECT_TRUE(n.has_value()) << text;
  return n ? *n : wire::Name();
}

inline std::vector<wire::Record> records(std::string_view text, std::string_view origin) {
  auto rs = zone::parse_records(text, name(origin));
  EXPECT_TRUE(rs.has_value()) << (rs ? "" : rs.error().message);
  return rs ? *rs : std::vector<wire::Record>{};
}

inline wire::Record rr(std::string_view line, std::string_view origin) {
  auto rs = records(std::string(line) + "\n", origin);
  EXPECT_EQ(rs.size(), 1u) << line;
  return rs.empty() ? wire::Record{} : rs.front();
}

// A zone through ZoneBuilder from master-file text.
inline std::shared_ptr<const zone::Zone> build_zone(std::string_view text,
                                                    std::string_view origin) {
  zone::ZoneBuilder b(name(origin));
  for (const auto& r : records(text, origin)) {
    auto ok = b.add(r);
    EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message) << " " << wire::to_text(r);
  }
  auto z = std::move(b).finish();
  EXPECT_TRUE(z.has_value()) << (z ? "" : z.error().message);
  return z ? *z : nullptr;
}

// What a client sends: built, written and parsed back as the server would see it.
inline wire::Message request(std::string_view zone, wire::RRType type,
                             std::optional<wire::Record> client_soa = std::nullopt,
                             std::uint16_t id = 0x4242) {
  wire::Message m;
  m.header.id = id;
  m.questions.push_back(wire::Question{name(zone), type, wire::RRClass::IN});
  if (client_soa) m.authorities.push_back(*client_soa);
  auto parsed = wire::Message::parse(m.to_wire());
  EXPECT_TRUE(parsed.has_value());
  return parsed ? *parsed : m;
}

struct Drained {
  std::vector<Bytes> wires;
  std::vector<wire::Message> messages;
  std::vector<wire::Record> answers;  // every message's answers, in order
};

// Pulls every message (bounded, so a generator that never ends fails the test instead of
// hanging it), parsing each.
inline Drained drain(TransferOut& t, std::size_t max_messages = 10000) {
  Drained d;
  for (std::size_t i = 0; i < max_messages; ++i) {
    auto w = t.next_message();
    if (!w) break;
    auto m = wire::Message::parse(*w);
    EXPECT_TRUE(m.has_value()) << "message " << i << ": " << (m ? "" : m.error().message);
    if (!m) continue;
    d.answers.insert(d.answers.end(), m->answers.begin(), m->answers.end());
    d.messages.push_back(std::move(*m));
    d.wires.push_back(std::move(*w));
  }
  EXPECT_TRUE(t.done());
  return d;
}

inline std::vector<std::string> texts(const std::vector<wire::Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(wire::to_text(r));
  return out;
}

// Record for record, with canonical equality (RFC 4034 §6.2): compression may change
// the case of a name inside RDATA, which DNS does not see.
inline ::testing::AssertionResult same_records(const std::vector<wire::Record>& got,
                                               const std::vector<wire::Record>& want) {
  bool same = got.size() == want.size();
  for (std::size_t i = 0; same && i < got.size(); ++i) same = got[i] == want[i];
  if (same) return ::testing::AssertionSuccess();
  auto r = ::testing::AssertionFailure() << "got:\n";
  for (const auto& t : texts(got)) r << "  " << t << "\n";
  r << "want:\n";
  for (const auto& t : texts(want)) r << "  " << t << "\n";
  return r;
}

// A whole zone as AXFR sends it (RFC 5936 §2.2): the SOA first and last, every other
// record exactly once, in any order.
inline ::testing::AssertionResult same_zone_transfer(const std::vector<wire::Record>& got,
                                                     const std::vector<wire::Record>& want) {
  bool same = got.size() == want.size() && got.size() >= 2 && got.front() == want.front() &&
              got.back() == want.back();
  std::vector<bool> used(want.size(), false);
  for (std::size_t i = 1; same && i + 1 < got.size(); ++i) {
    bool found = false;
    for (std::size_t j = 1; !found && j + 1 < want.size(); ++j) {
      if (!used[j] && got[i] == want[j]) used[j] = found = true;
    }
    same = found;
  }
  if (same) return ::testing::AssertionSuccess();
  return same_records(got, want);
}

}  // namespace dnspush::xfr::test
