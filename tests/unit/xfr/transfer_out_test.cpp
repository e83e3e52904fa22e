#include "xfr/transfer_out.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include "wire/tsig.hpp"
#include "xfr_test_util.hpp"

namespace dnspush::xfr {
namespace {

using namespace test;
using wire::Rcode;
using wire::RRType;

constexpr std::string_view kSmall =
    "$TTL 300\n"
    "@    SOA ns1 hostmaster 7 7200 3600 1209600 60\n"
    "@    NS  ns1\n"
    "@    MX  10 mail\n"
    "ns1  A   192.0.2.1\n"
    "mail A   192.0.2.2\n"
    "www  A   192.0.2.10\n"
    "www  AAAA 2001:db8::10\n"
    "_http._tcp SRV 0 0 80 www\n";

JournalLookup no_history() {
  return [](Serial) { return std::optional<std::vector<zone::Changeset>>(); };
}

bool is_soa_with(const wire::Record& r, std::uint32_t serial) {
  return r.type == RRType::SOA && zone::soa_serial(r.rdata) == Serial(serial);
}

TEST(TransferOut, AxfrOfSmallZoneIsSoaRecordsSoa) {
  const auto z = build_zone(kSmall, "example.com.");
  ASSERT_TRUE(z);
  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history());
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->kind(), TransferKind::kAxfr);
  const Drained d = drain(*t);
  ASSERT_EQ(d.messages.size(), 1u);

  const auto& m = d.messages[0];
  // RFC 5936 §2.2.1 header values.
  EXPECT_EQ(m.header.id, 0x4242);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.aa);
  EXPECT_FALSE(m.header.tc);
  EXPECT_FALSE(m.header.ra);
  EXPECT_EQ(m.header.opcode, wire::Opcode::QUERY);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].type, RRType::AXFR);
  EXPECT_TRUE(m.authorities.empty());

  // Exactly the zone's records, SOA first and last; in between any order (RFC 5936 §2.2),
  // each once.
  ASSERT_GE(d.answers.size(), 2u);
  std::multiset<std::string> middle;
  for (std::size_t i = 1; i + 1 < d.answers.size(); ++i) middle.insert(wire::to_text(d.answers[i]));
  std::multiset<std::string> expected;
  for (const auto& r : z->records())
    if (r.type != RRType::SOA) expected.insert(wire::to_text(r));
  EXPECT_EQ(middle, expected);
  EXPECT_TRUE(is_soa_with(d.answers.front(), 7));
  EXPECT_TRUE(is_soa_with(d.answers.back(), 7));
  EXPECT_EQ(t->records_total(), z->record_count() + 1);
}

// 5,000 records do not fit one message: several, each within 65535 bytes, each parsing,
// the SOA only at the very start and end, every record exactly once.
TEST(TransferOut, AxfrOfLargeZoneSpansSeveralMessages) {
  std::string text = std::string(kSmall);
  for (int i = 0; i < 5000; ++i)
    text += "host" + std::to_string(i) + " TXT \"" + std::string(40, 'a' + i % 26) + "\"\n";
  const auto z = build_zone(text, "example.com.");
  ASSERT_TRUE(z);
  ASSERT_GT(z->record_count(), 5000u);

  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history());
  ASSERT_TRUE(t.has_value());
  // Moving the generator mid-transfer must not disturb it.
  auto first = t->next_message();
  ASSERT_TRUE(first.has_value());
  TransferOut moved = std::move(*t);
  Drained rest = drain(moved);

  auto m0 = wire::Message::parse(*first);
  ASSERT_TRUE(m0.has_value());
  std::vector<wire::Message> messages{*m0};
  std::vector<wire::Record> answers = m0->answers;
  std::vector<Bytes> wires{*first};
  for (auto& m : rest.messages) messages.push_back(m);
  answers.insert(answers.end(), rest.answers.begin(), rest.answers.end());
  wires.insert(wires.end(), rest.wires.begin(), rest.wires.end());

  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(moved.messages(), messages.size());
  for (std::size_t i = 0; i < wires.size(); ++i) {
    EXPECT_LE(wires[i].size(), 65535u);
    EXPECT_EQ(messages[i].header.id, 0x4242);
    EXPECT_EQ(messages[i].questions.size(), i == 0 ? 1u : 0u) << i;
    // Packed: every message but the last is nearly full.
    if (i + 1 < wires.size()) {
      EXPECT_GT(wires[i].size(), 60000u) << i;
    }
  }
  ASSERT_EQ(answers.size(), z->record_count() + 1);
  EXPECT_TRUE(is_soa_with(answers.front(), 7));
  EXPECT_TRUE(is_soa_with(answers.back(), 7));
  const auto soas = std::count_if(answers.begin(), answers.end(),
                                  [](const wire::Record& r) { return r.type == RRType::SOA; });
  EXPECT_EQ(soas, 2);
  std::set<std::string> got;
  for (std::size_t i = 1; i + 1 < answers.size(); ++i) got.insert(wire::to_text(answers[i]));
  std::set<std::string> want;
  for (const auto& r : z->records())
    if (r.type != RRType::SOA) want.insert(wire::to_text(r));
  EXPECT_EQ(got, want);
}

// A transfer holds the snapshot it started from, not a copy of its records (pipelined
// AXFRs once each copied the zone): the zone stays shared, and a change committed while
// the transfer is being written does not leak into it.
TEST(TransferOut, AxfrSendsTheSnapshotItStartedFrom) {
  std::string text = std::string(kSmall);
  for (int i = 0; i < 3000; ++i) text += "h" + std::to_string(i) + " A 198.51.100.1\n";
  auto z = build_zone(text, "example.com.");
  ASSERT_TRUE(z);
  const std::size_t records = z->record_count();
  const long refs = z.use_count();
  TransferOptions small;
  small.max_message_size = 4096;  // several messages: the rest is read after the change
  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history(), small);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(z.use_count(), refs + 1);
  auto first = t->next_message();
  ASSERT_TRUE(first);

  // Commit a change and drop every other reference to the old version.
  zone::Changeset cs;
  cs.soa_from = z->soa_record();
  cs.soa_to = z->soa_record();
  cs.soa_to.rdata[cs.soa_to.rdata.size() - 20] += 1;  // serial 7 -> 7 + 2^24
  wire::Record added = cs.soa_from;
  added.owner = *wire::Name::from_text("new.example.com.");
  added.type = RRType::A;
  added.rdata = {192, 0, 2, 77};
  cs.added.push_back(added);
  auto z2 = z->apply(cs);
  ASSERT_TRUE(z2) << z2.error().message;
  z.reset();

  Drained rest = drain(*t);
  auto m0 = wire::Message::parse(*first);
  ASSERT_TRUE(m0);
  std::size_t total = m0->answers.size() + rest.answers.size();
  EXPECT_EQ(total, records + 1);  // the closing SOA
  for (const auto& r : rest.answers) EXPECT_NE(r.owner.to_text(), "new.example.com.");
  ASSERT_FALSE(rest.answers.empty());
  EXPECT_TRUE(is_soa_with(rest.answers.back(), 7));
}

TEST(TransferOut, MessagesRespectTheSizeLimit) {
  std::string text = std::string(kSmall);
  for (int i = 0; i < 200; ++i) text += "h" + std::to_string(i) + " A 198.51.100.1\n";
  const auto z = build_zone(text, "example.com.");
  TransferOptions o;
  o.max_message_size = 512;
  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history(), o);
  ASSERT_TRUE(t.has_value());
  const Drained d = drain(*t);
  EXPECT_GT(d.messages.size(), 5u);
  for (const auto& w : d.wires) EXPECT_LE(w.size(), 512u);
  EXPECT_EQ(d.answers.size(), z->record_count() + 1);
}

TEST(TransferOut, QuestionInEveryMessageWhenAsked) {
  std::string text = std::string(kSmall);
  for (int i = 0; i < 100; ++i) text += "h" + std::to_string(i) + " A 198.51.100.1\n";
  const auto z = build_zone(text, "example.com.");
  TransferOptions o;
  o.max_message_size = 512;
  o.question_in_every_message = true;
  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history(), o);
  ASSERT_TRUE(t.has_value());
  const Drained d = drain(*t);
  ASSERT_GT(d.messages.size(), 1u);
  for (const auto& m : d.messages) EXPECT_EQ(m.questions.size(), 1u);
}

// A record that cannot fit even an empty message ends the transfer with one SERVFAIL
// message carrying the question (RFC 5936 §2.2).
TEST(TransferOut, RecordTooLargeEndsWithAnErrorMessage) {
  std::string text = std::string(kSmall) + "big TXT \"" + std::string(200, 'x') + "\" \"" +
                     std::string(200, 'y') + "\"\n";
  const auto z = build_zone(text, "example.com.");
  TransferOptions o;
  o.max_message_size = 300;
  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history(), o);
  ASSERT_TRUE(t.has_value());
  const Drained d = drain(*t);
  ASSERT_FALSE(d.messages.empty());
  EXPECT_EQ(d.messages.back().rcode(), Rcode::SERVFAIL);
  EXPECT_EQ(d.messages.back().questions.size(), 1u);
  ASSERT_TRUE(t->error().has_value());
  EXPECT_EQ(t->error()->code, Errc::kOutOfRange);
}

TEST(TransferOut, EdnsInTheFirstMessageWhenTheRequestHadIt) {
  std::string text = std::string(kSmall);
  for (int i = 0; i < 100; ++i) text += "h" + std::to_string(i) + " A 198.51.100.1\n";
  const auto z = build_zone(text, "example.com.");
  wire::Message req;
  req.header.id = 7;
  req.questions.push_back({name("example.com."), RRType::AXFR, wire::RRClass::IN});
  req.edns = wire::Edns{};
  auto parsed = wire::Message::parse(req.to_wire());
  ASSERT_TRUE(parsed.has_value());
  TransferOptions o;
  o.max_message_size = 512;
  auto t = TransferOut::start(*parsed, z, no_history(), o);
  ASSERT_TRUE(t.has_value());
  const Drained d = drain(*t);
  ASSERT_GT(d.messages.size(), 1u);
  EXPECT_TRUE(d.messages[0].edns.has_value());
  for (std::size_t i = 1; i < d.messages.size(); ++i) EXPECT_FALSE(d.messages[i].edns) << i;
  for (const auto& w : d.wires) EXPECT_LE(w.size(), 512u);

  // And none when the request had none.
  auto plain = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history(), o);
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(drain(*plain).messages[0].edns.has_value());
}

// ---- IXFR ------------------------------------------------------------------------------

// The three generations of RFC 1995 §7.
struct Rfc1995Example {
  static constexpr std::string_view kOrigin = "jain.ad.jp.";
  std::shared_ptr<const zone::Zone> v1, v3;
  std::vector<zone::Changeset> history;
  int lookups = 0;

  static wire::Record soa(std::uint32_t serial) {
    return rr("@ 600 SOA NS.JAIN.AD.JP. mohta.jain.ad.jp. " + std::to_string(serial) +
                  " 600 600 3600000 604800",
              kOrigin);
  }
  static wire::Record a(std::string_view owner, std::string_view addr) {
    return rr(std::string(owner) + " 600 A " + std::string(addr), kOrigin);
  }

  Rfc1995Example() {
    v1 = build_zone(
        "$TTL 600\n"
        "@ SOA NS.JAIN.AD.JP. mohta.jain.ad.jp. 1 600 600 3600000 604800\n"
        "@ NS NS.JAIN.AD.JP.\n"
        "NS A 133.69.136.1\n"
        "NEZU A 133.69.136.5\n",
        kOrigin);
    // NEZU is removed and JAIN-BB is added.
    zone::Changeset c1{soa(1),
                       soa(2),
                       {a("NEZU", "133.69.136.5")},
                       {a("JAIN-BB", "133.69.136.4"), a("JAIN-BB", "192.41.197.2")}};
    // One of JAIN-BB's addresses changes.
    zone::Changeset c2{
        soa(2), soa(3), {a("JAIN-BB", "133.69.136.4")}, {a("JAIN-BB", "133.69.136.3")}};
    auto v2 = v1->apply(c1);
    EXPECT_TRUE(v2.has_value()) << (v2 ? "" : v2.error().message);
    auto v3r = (*v2)->apply(c2);
    EXPECT_TRUE(v3r.has_value()) << (v3r ? "" : v3r.error().message);
    v3 = *v3r;
    history = {c1, c2};
  }

  // The journal's meaning: every changeset from `from` on, or nullopt.
  JournalLookup journal() {
    return [this](Serial from) -> std::optional<std::vector<zone::Changeset>> {
      ++lookups;
      for (std::size_t i = 0; i < history.size(); ++i)
        if (history[i].serial_from() == from)
          return std::vector<zone::Changeset>(history.begin() + i, history.end());
      return std::nullopt;
    };
  }
};

TransferOptions unlimited_ixfr() {
  TransferOptions o;
  o.max_ixfr_ratio = 0;
  return o;
}

TEST(TransferOut, IxfrWithHistoryGivesRfc1995DifferenceSequences) {
  Rfc1995Example ex;
  ASSERT_TRUE(ex.v3);
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3, ex.journal(),
                              unlimited_ixfr());
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->kind(), TransferKind::kIxfr);
  const Drained d = drain(*t);
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0].questions[0].type, RRType::IXFR);
  EXPECT_EQ(d.messages[0].header.id, 0x4242);
  // RFC 1995 §7, the incremental message, record for record.
  const std::vector<wire::Record> want = {
      ex.soa(3),
      ex.soa(1),
      ex.a("NEZU", "133.69.136.5"),
      ex.soa(2),
      ex.a("JAIN-BB", "133.69.136.4"),
      ex.a("JAIN-BB", "192.41.197.2"),
      ex.soa(2),
      ex.a("JAIN-BB", "133.69.136.4"),
      ex.soa(3),
      ex.a("JAIN-BB", "133.69.136.3"),
      ex.soa(3),
  };
  EXPECT_TRUE(same_records(d.answers, want));
}

TEST(TransferOut, IxfrFromAnIntermediateSerialSendsOnlyWhatFollows) {
  Rfc1995Example ex;
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(2)), ex.v3, ex.journal(),
                              unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  const Drained d = drain(*t);
  const std::vector<wire::Record> want = {ex.soa(3),
                                          ex.soa(2),
                                          ex.a("JAIN-BB", "133.69.136.4"),
                                          ex.soa(3),
                                          ex.a("JAIN-BB", "133.69.136.3"),
                                          ex.soa(3)};
  EXPECT_TRUE(same_records(d.answers, want));
}

// History that does not reach back: the whole zone, AXFR-style, in the IXFR answer
// (RFC 1995 §4 first paragraph; the RFC 1995 §7 full zone transfer message).
TEST(TransferOut, IxfrWithHistoryTooShortIsAxfrStyle) {
  Rfc1995Example ex;
  ex.history.erase(ex.history.begin());  // the journal lost 1 -> 2
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3, ex.journal(),
                              unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfrAxfrStyle);
  const Drained d = drain(*t);
  EXPECT_EQ(d.messages[0].questions[0].type, RRType::IXFR);
  const std::vector<wire::Record> want = {
      ex.soa(3),
      rr("@ 600 NS NS.JAIN.AD.JP.", ex.kOrigin),
      ex.a("JAIN-BB", "133.69.136.3"),
      ex.a("JAIN-BB", "192.41.197.2"),
      ex.a("NS", "133.69.136.1"),
      ex.soa(3),
  };
  EXPECT_TRUE(same_zone_transfer(d.answers, want));
  EXPECT_EQ(ex.lookups, 1);
}

TEST(TransferOut, IxfrWithGapInHistoryIsAxfrStyle) {
  Rfc1995Example ex;
  auto lookup = [&](Serial) -> std::optional<std::vector<zone::Changeset>> {
    // Starts at 1 but the second link is missing: 1 -> 2, then nothing reaches 3.
    return std::vector<zone::Changeset>{ex.history[0]};
  };
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3, lookup,
                              unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfrAxfrStyle);
  EXPECT_EQ(drain(*t).answers.size(), ex.v3->record_count() + 1);
}

TEST(TransferOut, IxfrStopsAtTheSnapshotWhenTheJournalIsAhead) {
  Rfc1995Example ex;
  auto v2 = ex.v1->apply(ex.history[0]);
  ASSERT_TRUE(v2.has_value());
  // The journal already holds 2 -> 3, but the snapshot being served is version 2.
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), *v2, ex.journal(),
                              unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfr);
  const Drained d = drain(*t);
  ASSERT_EQ(d.answers.size(), 7u);
  EXPECT_TRUE(is_soa_with(d.answers.front(), 2));
  EXPECT_TRUE(is_soa_with(d.answers[1], 1));
  EXPECT_TRUE(is_soa_with(d.answers.back(), 2));
}

// RFC 1995 §5: differences longer than the zone are not worth sending.
TEST(TransferOut, IxfrLongerThanTheZoneIsSentAxfrStyle) {
  Rfc1995Example ex;
  // 11 records of differences against a 5-record zone (6 with the closing SOA).
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3, ex.journal());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfrAxfrStyle);
  // A ratio of 2 allows up to 12.
  TransferOptions o;
  o.max_ixfr_ratio = 2.0;
  auto t2 =
      TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3, ex.journal(), o);
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->kind(), TransferKind::kIxfr);
}

// RFC 1995 §2: the same or a newer serial gets our SOA alone, without asking the journal.
TEST(TransferOut, IxfrFromCurrentOrNewerSerialIsOurSoaAlone) {
  for (std::uint32_t client : {3u, 4u, 1000u}) {
    SCOPED_TRACE(client);
    Rfc1995Example ex;
    auto t =
        TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(client)), ex.v3, ex.journal());
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->kind(), TransferKind::kIxfrUpToDate);
    const Drained d = drain(*t);
    ASSERT_EQ(d.messages.size(), 1u);
    ASSERT_EQ(d.answers.size(), 1u);
    EXPECT_TRUE(is_soa_with(d.answers[0], 3));
    EXPECT_EQ(d.messages[0].questions.size(), 1u);
    EXPECT_EQ(ex.lookups, 0);
  }
}

TEST(TransferOut, IxfrFromTheUndefinedHalfwaySerialIsAxfrStyle) {
  // RFC 1982 §3.2: 3 + 2^31 is neither before nor after 3; no history bridges it.
  Rfc1995Example ex;
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(3u + 0x80000000u)), ex.v3,
                              ex.journal(), unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfrAxfrStyle);
  EXPECT_EQ(ex.lookups, 0);
}

TEST(TransferOut, IxfrWithoutJournalIsAxfrStyle) {
  Rfc1995Example ex;
  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3, JournalLookup{},
                              unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfrAxfrStyle);
}

// ---- bad requests ----------------------------------------------------------------------

TEST(TransferOut, BadRequestsAreRefusedWithTheRightRcode) {
  const auto z = build_zone(kSmall, "example.com.");
  // RFC 1995 §3: the client's SOA is required.
  auto no_soa = TransferOut::start(request("example.com.", RRType::IXFR), z, no_history());
  ASSERT_FALSE(no_soa.has_value());
  EXPECT_EQ(rcode_for(no_soa.error()), Rcode::FORMERR);
  // Not this zone (RFC 5936 §2.2.1 note e).
  auto other = TransferOut::start(request("example.org.", RRType::AXFR), z, no_history());
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(rcode_for(other.error()), Rcode::NOTAUTH);
  auto sub = TransferOut::start(request("www.example.com.", RRType::AXFR), z, no_history());
  ASSERT_FALSE(sub.has_value());
  EXPECT_EQ(rcode_for(sub.error()), Rcode::NOTAUTH);
  // Not a transfer at all.
  auto a = TransferOut::start(request("example.com.", RRType::A), z, no_history());
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(rcode_for(a.error()), Rcode::FORMERR);
  // Class CH.
  wire::Message ch = request("example.com.", RRType::AXFR);
  ch.questions[0].cls = wire::RRClass::CH;
  auto c = TransferOut::start(ch, z, no_history());
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(rcode_for(c.error()), Rcode::REFUSED);
}

TEST(TransferOut, ErrorResponseCopiesTheQuestion) {
  const auto req = request("example.com.", RRType::AXFR, std::nullopt, 99);
  auto m = wire::Message::parse(error_response(req, Rcode::REFUSED));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->header.id, 99);
  EXPECT_TRUE(m->header.qr);
  EXPECT_EQ(m->rcode(), Rcode::REFUSED);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].type, RRType::AXFR);
  EXPECT_TRUE(m->answers.empty());
}

// ---- TSIG ------------------------------------------------------------------------------

// Every message signed by wire::TsigStreamSigner (RFC 8945 §5.3.1), room reserved so the
// signed messages stay within the limit, and the stream verifies end to end.
TEST(TransferOut, TsigStreamSignerSignsEveryMessage) {
  std::string text = std::string(kSmall);
  for (int i = 0; i < 3000; ++i)
    text += "host" + std::to_string(i) + " TXT \"" + std::string(40, 'q') + "\"\n";
  const auto z = build_zone(text, "example.com.");
  auto key = wire::TsigKey::from_string("hmac-sha256:xfr-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value()) << key.error().message;
  constexpr std::uint64_t kNow = 1700000000;

  // The client signs its request; the server verifies it and keeps the request MAC.
  wire::Message q;
  q.header.id = 0x1234;
  q.questions.push_back({name("example.com."), RRType::AXFR, wire::RRClass::IN});
  Bytes req = q.to_wire();
  auto req_mac = wire::tsig_sign_request(req, *key, kNow);
  ASSERT_TRUE(req_mac.has_value());
  auto parsed = wire::Message::parse(req);
  ASSERT_TRUE(parsed.has_value());
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(*key).has_value());
  const auto v = wire::tsig_verify_request(req, *parsed, ring, kNow);
  ASSERT_TRUE(v.ok());

  wire::TsigStreamSigner signer(*key, v.request_mac);
  TransferOptions o;
  o.signer_reserve = wire::tsig_wire_size(*key);
  auto t = TransferOut::start(*parsed, z, no_history(), o, [&](Bytes& m) -> Result<void> {
    auto r = signer.sign(m, kNow);
    if (!r) return tl::unexpected(r.error());
    return {};
  });
  ASSERT_TRUE(t.has_value());
  const Drained d = drain(*t);
  ASSERT_GE(d.messages.size(), 2u);
  EXPECT_EQ(signer.messages(), d.messages.size());

  wire::TsigStreamVerifier verifier(*key, *req_mac);
  std::size_t answers = 0;
  for (std::size_t i = 0; i < d.wires.size(); ++i) {
    EXPECT_LE(d.wires[i].size(), 65535u);
    ASSERT_TRUE(d.messages[i].tsig_offset.has_value()) << i;
    const auto out = verifier.receive(d.wires[i], d.messages[i], kNow);
    EXPECT_TRUE(out.signed_message) << i;
    EXPECT_EQ(out.result.error, Rcode::NOERROR) << i;
    answers += d.messages[i].answers.size();
  }
  EXPECT_EQ(verifier.finish(), Rcode::NOERROR);
  EXPECT_EQ(answers, z->record_count() + 1);
}

TEST(TransferOut, SignerFailureStopsTheTransfer) {
  const auto z = build_zone(kSmall, "example.com.");
  auto t = TransferOut::start(request("example.com.", RRType::AXFR), z, no_history(), {},
                              [](Bytes&) -> Result<void> { return fail(Errc::kIo, "no key"); });
  ASSERT_TRUE(t.has_value());
  EXPECT_FALSE(t->next_message().has_value());
  EXPECT_TRUE(t->done());
  ASSERT_TRUE(t->error().has_value());
  EXPECT_EQ(t->error()->code, Errc::kIo);
}

// ---- with the durable journal ----------------------------------------------------------

// A temporary directory removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "xfr-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

TEST(TransferOut, IxfrFromTheJournal) {
  Rfc1995Example ex;
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  auto j = zone::Journal::open(dir.path);
  ASSERT_TRUE(j.has_value()) << j.error().message;
  const auto origin = name(ex.kOrigin);
  ASSERT_TRUE(j->append(origin, ex.history[0]).has_value());
  ASSERT_TRUE(j->append(origin, ex.history[1]).has_value());

  auto t = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(1)), ex.v3,
                              journal_lookup(*j, origin), unlimited_ixfr());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->kind(), TransferKind::kIxfr);
  EXPECT_EQ(drain(*t).answers.size(), 11u);

  // A serial the journal never saw: the whole zone.
  auto full = TransferOut::start(request(ex.kOrigin, RRType::IXFR, ex.soa(0)), ex.v3,
                                 journal_lookup(*j, origin), unlimited_ixfr());
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->kind(), TransferKind::kIxfrAxfrStyle);
}

}  // namespace
}  // namespace dnspush::xfr
