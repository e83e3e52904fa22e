// LLQ events (RFC 8764 §6): what a commit sends, acknowledgements, retransmission with
// back-off, ordering, the queue bound, splitting, and the index shared with DNS Push.
#include <gtest/gtest.h>

#include "llq_test_util.hpp"

namespace dnspush::llq {
namespace {

using namespace test;
using Strings = std::vector<std::string>;

std::vector<std::string> records_of(const Bytes& event) {
  return answer_text(decode(event).m);
}

TEST(LlqEvents, AddCarriesTtlRemovalTtlFFFFFFFF) {
  Fixture f;
  const auto id = f.establish(question("www.example.com."));
  f.commit("www 300 A 192.0.2.10", "www 300 A 192.0.2.12");
  const auto tx = f.transmits();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].to.port, peer().port);
  const auto a = decode(*tx[0].bytes);
  EXPECT_TRUE(a.m.header.qr);
  EXPECT_TRUE(a.m.header.aa);
  ASSERT_EQ(a.m.questions.size(), 1u);
  EXPECT_EQ(a.m.questions[0].name, name("www.example.com."));
  EXPECT_EQ(a.m.questions[0].type, RRType::A);
  ASSERT_EQ(a.options.size(), 1u);
  EXPECT_EQ(a.options[0].opcode, static_cast<std::uint16_t>(Opcode::LLQ_EVENT));
  EXPECT_EQ(a.options[0].id, id);
  EXPECT_EQ(a.options[0].lease, 7200u);
  ASSERT_EQ(a.m.answers.size(), 2u);
  EXPECT_EQ(a.m.answers[0].ttl, 0xFFFFFFFFu);  // removal first
  EXPECT_EQ(a.m.answers[0].rdata, (Bytes{192, 0, 2, 10}));
  EXPECT_EQ(a.m.answers[1].ttl, 300u);
  EXPECT_EQ(a.m.answers[1].rdata, (Bytes{192, 0, 2, 12}));
}

TEST(LlqEvents, RRsetAndNameDeletesAreExpandedToSingleRemovals) {
  Fixture f;
  f.establish(question("www.example.com.", RRType::ANY));
  f.commit("www 300 A 192.0.2.10\nwww 300 A 192.0.2.11\nwww 300 AAAA 2001:db8::10", "");
  const auto tx = f.transmits();
  ASSERT_EQ(tx.size(), 1u);
  const auto a = decode(*tx[0].bytes);
  ASSERT_EQ(a.m.answers.size(), 3u);
  for (const auto& r : a.m.answers) {
    EXPECT_EQ(r.ttl, 0xFFFFFFFFu);
    EXPECT_FALSE(r.rdata.empty());  // full RDATA: Apple's client ignores collective forms
    EXPECT_EQ(r.cls, RRClass::IN);
  }
}

TEST(LlqEvents, OnlyTheQuestionsTypeAndNotBeforeItsSnapshot) {
  Fixture f;
  f.establish(question("www.example.com."));
  f.commit("", "www 300 AAAA 2001:db8::99\nns1 300 A 192.0.2.2");
  EXPECT_TRUE(f.transmits().empty());
  // An LLQ set up after a commit does not get it again (its ACK answers had it).
  f.commit("", "www 300 A 192.0.2.13");
  ASSERT_EQ(f.transmits().size(), 1u);
  f.establish(question("www.example.com."), peer(3));
  f.commit("", "ns1 300 A 192.0.2.3");
  EXPECT_TRUE(f.transmits().empty());
}

TEST(LlqEvents, AckWithQrSetOrClearSendsTheNextNeverReordered) {
  for (bool qr : {true, false}) {
    Fixture f;
    f.establish(question("www.example.com."));
    f.commit("", "www 300 A 192.0.2.20");
    f.commit("", "www 300 A 192.0.2.21");
    auto tx = f.transmits();
    ASSERT_EQ(tx.size(), 1u) << "the second waits for the first's ack";
    EXPECT_EQ(records_of(*tx[0].bytes).size(), 1u);
    EXPECT_EQ(decode(*tx[0].bytes).m.answers[0].rdata, (Bytes{192, 0, 2, 20}));
    Bytes out;
    EXPECT_EQ(f.send_raw(f.ack_for(*tx[0].bytes, qr), peer(), t0 + 1s, out),
              Disposition::kNoAnswer);
    EXPECT_TRUE(out.empty());
    tx = f.transmits();
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(decode(*tx[0].bytes).m.answers[0].rdata, (Bytes{192, 0, 2, 21}));
    f.send_raw(f.ack_for(*tx[0].bytes, qr), peer(), t0 + 1s, out);
    EXPECT_EQ(f.llq.counters().event_acks, 2u);
    f.llq.on_timeout(t0 + 100s);
    EXPECT_TRUE(f.transmits().empty());  // acknowledged: no resend
  }
}

TEST(LlqEvents, AcksThatDoNotMatchAreIgnored) {
  Fixture f;
  const auto id = f.establish(question("www.example.com."));
  f.commit("", "www 300 A 192.0.2.20");
  const auto tx = f.transmits();
  ASSERT_EQ(tx.size(), 1u);
  Bytes ack = f.ack_for(*tx[0].bytes);
  Bytes out;
  f.send_raw(ack, peer(7), t0, out);  // from another address
  Bytes wrong_id = ack;
  wrong_id[1] ^= 1;
  f.send_raw(wrong_id, peer(), t0, out);
  EXPECT_EQ(f.llq.counters().event_acks_ignored, 2u);
  EXPECT_EQ(f.llq.info(id)->queued_events, 1u);
}

TEST(LlqEvents, ResentAfter2sDoublingThenDroppedAfterTheLastTry) {
  Fixture f;
  const auto id = f.establish(question("www.example.com."));
  f.commit("", "www 300 A 192.0.2.20");
  const auto first = f.transmits();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(f.llq.next_timeout(), t0 + 2s);
  f.llq.on_timeout(t0 + 1999ms);
  EXPECT_TRUE(f.transmits().empty());
  f.llq.on_timeout(t0 + 2s);
  auto tx = f.transmits();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(*tx[0].bytes, *first[0].bytes);  // the same message, the same ID
  EXPECT_EQ(f.llq.next_timeout(), t0 + 6s);  // then 4 s
  f.llq.on_timeout(t0 + 6s);
  EXPECT_EQ(f.transmits().size(), 1u);
  EXPECT_EQ(f.llq.info(id)->sends, 3u);
  EXPECT_EQ(f.llq.next_timeout(), t0 + 14s);  // 8 s for the last one's ack
  f.llq.on_timeout(t0 + 14s);
  EXPECT_TRUE(f.transmits().empty());
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.push.subscriptions(), 0u);
  EXPECT_EQ(f.llq.counters().dropped_unacked, 1u);
  EXPECT_EQ(f.llq.counters().resends, 2u);
}

TEST(LlqEvents, LostAckThenLateAckStillCounts) {
  Fixture f;
  const auto id = f.establish(question("www.example.com."));
  f.commit("", "www 300 A 192.0.2.20");
  const auto tx = f.transmits();
  f.llq.on_timeout(t0 + 2s);  // the first ack was lost: resent
  ASSERT_EQ(f.transmits().size(), 1u);
  Bytes out;
  f.send_raw(f.ack_for(*tx[0].bytes), peer(), t0 + 3s, out);
  EXPECT_EQ(f.llq.info(id)->queued_events, 0u);
  f.llq.on_timeout(t0 + 60s);
  EXPECT_TRUE(f.transmits().empty());
  EXPECT_EQ(f.llq.size(), 1u);
}

TEST(LlqEvents, ConfigurableBackoff) {
  LlqConfig cfg = Fixture::config();
  cfg.event_resend = 1s;
  cfg.event_transmissions = 2;
  Fixture f(cfg);
  f.establish(question("www.example.com."));
  f.commit("", "www 300 A 192.0.2.20");
  f.transmits();
  f.llq.on_timeout(t0 + 1s);
  EXPECT_EQ(f.transmits().size(), 1u);
  f.llq.on_timeout(t0 + 3s);
  EXPECT_EQ(f.llq.size(), 0u);
}

TEST(LlqEvents, QueueBoundDropsTheLlq) {
  LlqConfig cfg = Fixture::config();
  cfg.max_queued_events = 2;
  Fixture f(cfg);
  const auto q = question("www.example.com.");
  const auto id = f.establish(q);
  f.commit("", "www 300 A 192.0.2.20");
  f.commit("", "www 300 A 192.0.2.21");
  EXPECT_EQ(f.llq.info(id)->queued_events, 2u);
  f.commit("", "www 300 A 192.0.2.22");
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.llq.counters().dropped_overflow, 1u);
  // The client learns it at its next refresh.
  EXPECT_EQ(f.send(message(1, {q}, {refresh_option(id, 7200)})).options.at(0).error,
            static_cast<std::uint16_t>(ErrorCode::NO_SUCH_LLQ));
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqEvents, SplitToTheClientsPayloadInOrder) {
  Fixture f;
  const auto q = question("big.example.com.", RRType::TXT);
  const Option c = f.challenge(q);
  f.send(message(1, {q}, {setup_option(c.id, 7200)}, false, 512));
  std::string many;
  for (int i = 0; i < 40; ++i)
    many += "big 300 TXT \"r" + std::to_string(100 + i) + std::string(30, 'x') + "\"\n";
  f.commit("", many);
  std::vector<Bytes> events;
  TimePoint now = t0;
  for (int guard = 0; guard < 100; ++guard) {
    auto tx = f.transmits();
    if (tx.empty()) break;
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_LE(tx[0].bytes->size(), 512u);
    events.push_back(*tx[0].bytes);
    Bytes out;
    f.send_raw(f.ack_for(*tx[0].bytes), peer(), now, out);
  }
  EXPECT_GT(events.size(), 2u);
  std::vector<Bytes> rdatas;
  for (const auto& e : events) {
    for (const auto& r : decode(e).m.answers) rdatas.push_back(r.rdata);
  }
  ASSERT_EQ(rdatas.size(), 40u);
  for (std::size_t i = 0; i < rdatas.size(); ++i) {
    EXPECT_EQ(rdatas[i][2], '1');  // "r1NN": in the changeset's order
    EXPECT_EQ(std::string(rdatas[i].begin() + 2, rdatas[i].begin() + 5), std::to_string(100 + i));
  }
}

TEST(LlqEvents, SharesTheIndexWithPushSessionsWhoseDeliveriesStayTheSame) {
  Fixture f;
  const push::SessionId s{5};
  const auto r = f.push.subscribe(s, 1, push::test::subscribe_data("www.example.com.", RRType::A),
                                  f.zones.now(), t0);
  ASSERT_EQ(r.rcode, Rcode::NOERROR);
  f.establish(question("www.example.com."));
  EXPECT_EQ(f.push.subscriptions(), 2u);
  EXPECT_EQ(f.push.index().groups(), 1u);  // one group: the same (name, type, class)
  const auto ds = f.commit("www 300 A 192.0.2.10", "");
  EXPECT_EQ(push::test::describe(push::test::for_session(ds, s)),
            (Strings{"del www.example.com. A 192.0.2.10"}));
  EXPECT_EQ(ds.size(), 1u);  // no PUSH for the LLQ
  EXPECT_EQ(f.transmits().size(), 1u);
  f.push.close_session(s);
  EXPECT_EQ(f.push.subscriptions(), 1u);
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqEvents, ManyLlqsOneCommit) {
  Fixture f;
  for (std::uint8_t i = 1; i <= 50; ++i)
    f.establish(question("_ipp._tcp.example.com.", RRType::PTR), peer(i));
  f.commit("", "_ipp._tcp 300 PTR printer2._ipp._tcp");
  const auto tx = f.transmits();
  EXPECT_EQ(tx.size(), 50u);
  for (const auto& t : tx) {
    const auto a = decode(*t.bytes);
    EXPECT_EQ(a.m.answers.size(), 1u);
    EXPECT_EQ(a.options.at(0).id, f.llq.info(a.options.at(0).id)->id);
  }
  EXPECT_TRUE(f.llq.check());
}

}  // namespace
}  // namespace dnspush::llq
