// LlqClient with a fake clock against server messages built by hand: every step of the
// 4-way handshake, retransmissions, events and their acknowledgements (a lost ack, a
// resent event), refresh, loss and expiry, and every error code and RCODE.
#include "client/llq_client.hpp"

#include <gtest/gtest.h>

#include "client_test_util.hpp"

namespace dnspush::client {
namespace {

using namespace test;
using llq::ErrorCode;
using llq::Opcode;
using wire::Rcode;
using St = LlqStatus::State;
using Why = LlqStatus::Reason;
using V = std::vector<std::string>;
using Bytes = std::vector<std::uint8_t>;

struct Sent {
  wire::Message m;
  llq::Option o;
};

Sent decode(const Bytes& b) {
  auto m = wire::Message::parse(b);
  EXPECT_TRUE(m.has_value());
  Sent s{m ? *m : wire::Message{}, {}};
  if (m && m->edns) {
    auto opts = llq::llq_options(*m->edns);
    EXPECT_EQ(opts.size(), 1u);
    if (!opts.empty() && opts[0]) s.o = *opts[0];
  }
  return s;
}

// A response from the server to `req` (its ID and question), with an LLQ option (or none).
Bytes response(const Sent& req, std::optional<llq::Option> o,
               std::vector<wire::Record> answers = {}, Rcode rcode = Rcode::NOERROR,
               bool tc = false, bool with_question = true) {
  wire::Header h;
  h.id = req.m.header.id;
  h.qr = true;
  h.aa = true;
  wire::MessageBuilder b(h, 65535, 64);
  if (with_question) b.add_question(req.m.questions.at(0));
  for (const auto& r : answers) b.add_record(wire::Section::kAnswer, r);
  b.set_rcode(rcode);
  if (tc) b.set_tc();
  wire::Edns e;
  if (o) e.options.push_back(llq::to_edns(*o));
  if (o || rcode != Rcode::NOERROR) b.add_edns(e);
  return b.finish();
}

// An event (§6): an unsolicited response with the server's message ID.
Bytes event(std::uint16_t msg_id, const Question& q, std::uint64_t llq_id,
            std::vector<wire::Record> records) {
  wire::Header h;
  h.id = msg_id;
  h.qr = true;
  h.aa = true;
  wire::MessageBuilder b(h, 65535, 64);
  b.add_question(wire::Question{q.name, q.type, q.cls});
  for (const auto& r : records) b.add_record(wire::Section::kAnswer, r);
  wire::Edns e;
  e.options.push_back(
      llq::to_edns(llq::make_option(Opcode::LLQ_EVENT, ErrorCode::NO_ERROR, llq_id, 3600)));
  b.add_edns(e);
  return b.finish();
}

wire::Record removed(wire::Record r) {
  r.ttl = 0xFFFFFFFF;
  return r;
}

constexpr std::uint64_t kId = 0x1122334455667788ULL;

struct LlqClientTest : ::testing::Test {
  Question q = question("w.example.test.");
  RecordSet set{q};
  std::uint16_t next_id = 100;
  LlqClientConfig config() {
    LlqClientConfig c;
    c.lease = 7200;
    c.backoff.initial = 10s;
    c.backoff.max = 60s;
    c.backoff.jitter = 0;
    return c;
  }
  std::unique_ptr<LlqClient> c = make(set);
  TimePoint now = t0;
  std::vector<RecordEvent> records;
  std::vector<LlqStatus> statuses;
  wire::Record a1 = rr("w.example.test.", 300, "A", "192.0.2.1");
  wire::Record a2 = rr("w.example.test.", 300, "A", "192.0.2.2");

  std::unique_ptr<LlqClient> make(RecordSet& s) {
    return std::make_unique<LlqClient>(
        q, &s, config(), [this] { return next_id++; }, [] { return 0.0; });
  }
  void drain() {
    while (auto e = c->poll_event()) {
      if (auto* r = std::get_if<RecordEvent>(&*e))
        records.push_back(*r);
      else
        statuses.push_back(std::get<LlqStatus>(*e));
    }
  }
  std::vector<Sent> sent() {
    std::vector<Sent> out;
    while (auto b = c->poll_transmit()) out.push_back(decode(*b));
    return out;
  }
  Sent one() {
    auto s = sent();
    EXPECT_EQ(s.size(), 1u);
    return s.empty() ? Sent{} : s.front();
  }
  void feed(const Bytes& b) {
    c->receive(b, now);
    drain();
  }
  void advance_to(TimePoint t) {
    now = t;
    c->on_timeout(now);
    drain();
  }
  // Runs the timer until `until`, firing every deadline on the way.
  void run_until(TimePoint until) {
    for (int i = 0; i < 1000; ++i) {
      auto t = c->next_timeout();
      if (!t || *t > until) break;
      advance_to(std::max(*t, now));
    }
    now = until;
  }
  // The full handshake; returns the challenge response (step 3).
  Sent establish(std::vector<wire::Record> answers, std::uint32_t lease = 3600) {
    c->start(now);
    const Sent setup = one();
    feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, lease)));
    const Sent chr = one();
    feed(response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, lease),
                  answers));
    EXPECT_TRUE(c->established());
    return chr;
  }
  // The only status so far, checked for its state.
  LlqStatus last_status() { return statuses.empty() ? LlqStatus{} : statuses.back(); }
};

// ---- the handshake (§5.1) ------------------------------------------------------------------

TEST_F(LlqClientTest, SetupIsAQueryWithLlqSetupIdZeroAndTheLeaseAskedFor) {
  c->start(now);
  const Sent s = one();
  EXPECT_FALSE(s.m.header.qr);
  EXPECT_EQ(s.m.header.opcode, wire::Opcode::QUERY);
  ASSERT_EQ(s.m.questions.size(), 1u);
  EXPECT_EQ(s.m.questions[0].name, q.name);
  EXPECT_EQ(s.m.questions[0].type, wire::RRType::A);
  EXPECT_EQ(s.o, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 0, 7200));
  EXPECT_EQ(s.o.version, 1);
  EXPECT_EQ(c->next_timeout(), now + 2s);
}

TEST_F(LlqClientTest, ChallengeIsAnsweredEchoingTheIdAndTheAckEstablishesWithAnswers) {
  c->start(now);
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  EXPECT_TRUE(records.empty());
  EXPECT_FALSE(c->established());
  const Sent chr = one();
  EXPECT_NE(chr.m.header.id, setup.m.header.id);  // a new request
  EXPECT_EQ(chr.o, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600));
  now += 1s;
  feed(
      response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600), {a1, a2}));
  EXPECT_TRUE(c->established());
  EXPECT_EQ(c->llq_id(), kId);
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].state, St::kEstablished);
  EXPECT_EQ(statuses[0].lease, 3600u);
  EXPECT_EQ(texts(records),
            (V{"+ w.example.test. 300 A 192.0.2.1", "+ w.example.test. 300 A 192.0.2.2"}));
  // The lease counts from the first copy of the challenge response (sent at t0).
  EXPECT_EQ(c->lease_end(), t0 + 3600s);
  EXPECT_EQ(c->next_timeout(), t0 + 2880s);  // §7: 80%
  EXPECT_TRUE(sent().empty());
}

TEST_F(LlqClientTest, SetupIsRetransmittedAfter2And4SecondsThenFailsAfter8More) {
  c->start(now);
  const Sent first = one();
  advance_to(t0 + 2s);
  const Sent second = one();
  EXPECT_EQ(second.m.header.id, first.m.header.id);  // the same request again
  EXPECT_EQ(second.o, first.o);
  EXPECT_EQ(c->next_timeout(), t0 + 6s);
  advance_to(t0 + 6s);
  EXPECT_EQ(one().m.header.id, first.m.header.id);
  EXPECT_EQ(c->next_timeout(), t0 + 14s);
  advance_to(t0 + 13s);
  EXPECT_TRUE(statuses.empty());
  advance_to(t0 + 14s);
  EXPECT_TRUE(sent().empty());  // three copies in all (§5.2.1)
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].state, St::kFailed);
  EXPECT_EQ(statuses[0].reason, Why::kNoAnswer);
  EXPECT_TRUE(c->finished());
  EXPECT_EQ(c->next_timeout(), std::nullopt);
}

TEST_F(LlqClientTest, AnAnswerToAnEarlierCopyCounts) {
  c->start(now);
  const Sent first = one();
  advance_to(t0 + 2s);
  (void)one();
  now = t0 + 3s;
  feed(response(first, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  EXPECT_EQ(one().o.id, kId);
}

TEST_F(LlqClientTest, ChallengeResponseIsRetransmittedAndALateDuplicateAckIsIgnored) {
  c->start(now);
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  const Sent chr = one();
  advance_to(now + 2s);
  const Sent again = one();
  EXPECT_EQ(again.m.header.id, chr.m.header.id);
  EXPECT_EQ(again.o.id, kId);
  const auto ack =
      response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600), {a1});
  feed(ack);
  EXPECT_EQ(texts(records), V{"+ w.example.test. 300 A 192.0.2.1"});
  // The server ACKs the second copy as well, with answers read earlier: changes nothing.
  feed(response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600), {}));
  EXPECT_EQ(records.size(), 1u);
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(statuses.size(), 1u);
}

TEST_F(LlqClientTest, ResponsesWithAnotherIdQuestionOrLlqIdAreIgnored) {
  c->start(now);
  Sent setup = one();
  Sent other = setup;
  other.m.header.id ^= 1;
  feed(response(other, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  Sent otherq = setup;
  otherq.m.questions[0].name = name("x.example.test.");
  feed(response(otherq, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  otherq = setup;
  otherq.m.questions[0].type = wire::RRType::AAAA;
  feed(response(otherq, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  // A query (QR clear) is not an answer either; nor is garbage.
  Bytes query =
      response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600));
  query[2] &= 0x7F;
  feed(query);
  feed(Bytes{1, 2, 3});
  EXPECT_TRUE(sent().empty());
  EXPECT_TRUE(statuses.empty());
  EXPECT_EQ(c->counters().ignored, 5u);
  // The right one still works; then an ACK with another LLQ-ID is ignored.
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  const Sent chr = one();
  feed(
      response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId + 1, 3600), {a1}));
  EXPECT_FALSE(c->established());
  EXPECT_TRUE(records.empty());
}

TEST_F(LlqClientTest, AckAnswersAreBoundedByTheRecordSet) {
  RecordSet small(q, 2);
  c = make(small);
  establish({a1, a2, rr("w.example.test.", 300, "A", "192.0.2.3")});
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(small.size(), 2u);
  EXPECT_EQ(small.dropped(), 1u);
}

TEST_F(LlqClientTest, TruncatedAckKeepsTheLlqAndAsksForTheFullAnswer) {
  c->start(now);
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  const Sent chr = one();
  feed(response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600), {},
                Rcode::NOERROR, /*tc=*/true));
  EXPECT_TRUE(c->established());
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[1].state, St::kTruncated);
  const std::vector<wire::Record> full{a1, a2};
  c->full_answer(full);
  drain();
  EXPECT_EQ(records.size(), 2u);
}

// ---- events (§6) ---------------------------------------------------------------------------

TEST_F(LlqClientTest, EventsAreAppliedAndEachIsAcknowledgedWithItsMessageId) {
  establish({a1});
  records.clear();
  feed(event(0xBEEF, q, kId, {a2}));
  EXPECT_EQ(texts(records), V{"+ w.example.test. 300 A 192.0.2.2"});
  const Sent ack = one();
  EXPECT_EQ(ack.m.header.id, 0xBEEF);
  EXPECT_TRUE(ack.m.header.qr);  // as Apple's client: the server takes both
  ASSERT_EQ(ack.m.questions.size(), 1u);
  EXPECT_EQ(ack.m.questions[0].name, q.name);
  EXPECT_EQ(ack.o.opcode, static_cast<std::uint16_t>(Opcode::LLQ_EVENT));
  EXPECT_EQ(ack.o.id, kId);
  records.clear();
  feed(event(0xBEF0, q, kId, {removed(a1)}));
  EXPECT_EQ(texts(records), V{"- w.example.test. A 192.0.2.1"});
  EXPECT_EQ(one().m.header.id, 0xBEF0);
  EXPECT_EQ(set.size(), 1u);
}

TEST_F(LlqClientTest, ATtlChangeIsAnAddAndOtherLargeTtlsAreIgnored) {
  establish({a1});
  records.clear();
  auto longer = a1;
  longer.ttl = 900;
  auto odd = a2;
  odd.ttl = 0xFFFFFFFE;  // not an LLQ removal: ignored
  feed(event(7, q, kId, {longer, odd}));
  EXPECT_EQ(texts(records), V{"+ w.example.test. 900 A 192.0.2.1"});
  EXPECT_EQ(set.size(), 1u);
}

TEST_F(LlqClientTest, AResentEventAfterALostAckIsAcknowledgedAgainAndNotAppliedTwice) {
  establish({});
  const auto add = event(0x1001, q, kId, {a1});
  feed(add);
  EXPECT_EQ(one().m.header.id, 0x1001);
  const auto del = event(0x1002, q, kId, {removed(a1)});
  feed(del);
  EXPECT_EQ(one().m.header.id, 0x1002);
  records.clear();
  // Our first ack was lost: the server resends the add with the same bytes.
  feed(add);
  EXPECT_EQ(one().m.header.id, 0x1001);  // acknowledged again
  EXPECT_TRUE(records.empty());          // and not applied: the record stays removed
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(c->counters().events_repeated, 1u);
  // A new event that happens to reuse the ID (different content) is applied.
  feed(event(0x1001, q, kId, {a2}));
  EXPECT_EQ(texts(records), V{"+ w.example.test. 300 A 192.0.2.2"});
}

TEST_F(LlqClientTest, AnEventBeforeTheAckIsAcknowledgedButTheAckBringsTheAnswers) {
  c->start(now);
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  const Sent chr = one();
  // The ACK was lost; the LLQ exists on the server and an event comes.
  feed(event(0x2001, q, kId, {a2}));
  EXPECT_EQ(one().m.header.id, 0x2001);
  EXPECT_TRUE(records.empty());
  // The retransmitted challenge response gets the ACK with the current answers.
  advance_to(now + 2s);
  EXPECT_EQ(one().m.header.id, chr.m.header.id);
  feed(
      response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600), {a1, a2}));
  EXPECT_EQ(records.size(), 2u);
}

TEST_F(LlqClientTest, EventsForAnotherLlqOrQuestionAreNeitherAppliedNorAcknowledged) {
  establish({});
  feed(event(5, q, kId + 1, {a1}));
  feed(event(6, question("w.example.test.", "AAAA"), kId, {a1}));
  EXPECT_TRUE(sent().empty());
  EXPECT_TRUE(records.empty());
  // Records of other names inside our event are not ours either.
  feed(event(7, q, kId, {rr("other.example.test.", 60, "A", "192.0.2.9")}));
  EXPECT_EQ(sent().size(), 1u);
  EXPECT_TRUE(records.empty());
}

// ---- refresh and expiry (§7) ---------------------------------------------------------------

TEST_F(LlqClientTest, RefreshAt80PercentExtendsTheLeaseFromTheRefresh) {
  establish({a1}, 100);
  EXPECT_EQ(c->next_timeout(), t0 + 80s);
  advance_to(t0 + 80s);
  const Sent r = one();
  EXPECT_EQ(r.o, llq::make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, kId, 7200));
  now = t0 + 81s;
  feed(response(r, llq::make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, kId, 100)));
  EXPECT_EQ(c->lease_end(), t0 + 180s);
  EXPECT_EQ(c->next_timeout(), t0 + 160s);
  EXPECT_EQ(records.size(), 1u);   // only the ACK's add
  EXPECT_EQ(statuses.size(), 1u);  // no status for a refresh
}

TEST_F(LlqClientTest, AnUnansweredRefreshIsRetransmittedThenTheLlqIsSetUpAgain) {
  establish({a1, a2}, 100);
  records.clear();
  advance_to(t0 + 80s);
  const Sent r = one();
  advance_to(t0 + 82s);
  EXPECT_EQ(one().m.header.id, r.m.header.id);
  advance_to(t0 + 86s);
  EXPECT_EQ(one().m.header.id, r.m.header.id);
  EXPECT_EQ(c->next_timeout(), t0 + 94s);
  advance_to(t0 + 94s);
  ASSERT_EQ(statuses.back().state, St::kLost);
  EXPECT_FALSE(set.live());  // TTLs run meanwhile
  const Sent setup = one();
  EXPECT_EQ(setup.o, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 0, 7200));
  // The new ACK's answer reconciles: a2 vanished, a1 stayed (no event for it).
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId + 7, 100)));
  const Sent chr = one();
  feed(response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId + 7, 100), {a1}));
  EXPECT_EQ(texts(records), V{"- w.example.test. A 192.0.2.2"});
  EXPECT_TRUE(set.live());
  EXPECT_EQ(c->llq_id(), kId + 7);
}

TEST_F(LlqClientTest, ARefreshNeverOutlivesTheLease) {
  establish({a1}, 10);  // refresh at 8 s, lease ends at 10 s
  advance_to(t0 + 8s);
  (void)one();
  EXPECT_EQ(c->next_timeout(), t0 + 10s);
  advance_to(t0 + 10s);
  EXPECT_EQ(statuses.back().state, St::kLost);
  EXPECT_EQ(one().o.opcode, static_cast<std::uint16_t>(Opcode::LLQ_SETUP));
}

TEST_F(LlqClientTest, NoSuchLlqToARefreshSetsUpAgain) {
  establish({a1}, 100);
  advance_to(t0 + 80s);
  const Sent r = one();
  feed(response(r, llq::make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_SUCH_LLQ, kId, 0)));
  EXPECT_EQ(statuses.back().state, St::kLost);
  EXPECT_EQ(statuses.back().reason, Why::kNoSuchLlq);
  EXPECT_EQ(one().o, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 0, 7200));
}

TEST_F(LlqClientTest, WithTheServerGoneRecordsExpireByTheirTtl) {
  const auto short_ttl = rr("w.example.test.", 30, "A", "192.0.2.5");
  establish({short_ttl}, 10);
  records.clear();
  run_until(t0 + 60s);  // the refresh and every setup go unanswered
  (void)sent();
  EXPECT_EQ(texts(records), V{"- w.example.test. A 192.0.2.5"});
  // Once established before, an unanswered setup is retried by back-off, not failed.
  EXPECT_FALSE(c->finished());
  bool retrying = false;
  for (const auto& s : statuses) retrying = retrying || s.state == St::kRetrying;
  EXPECT_TRUE(retrying);
}

TEST_F(LlqClientTest, StopCancelsWithALeaseOfZero) {
  establish({a1});
  c->stop(now);
  const Sent s = one();
  EXPECT_FALSE(s.m.header.qr);
  EXPECT_EQ(s.o, llq::make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, kId, 0));
  EXPECT_TRUE(c->finished());
  EXPECT_EQ(c->next_timeout(), std::nullopt);
  feed(event(9, q, kId, {a2}));  // nothing more after stop
  EXPECT_TRUE(sent().empty());
}

TEST_F(LlqClientTest, StopBeforeTheAckSendsNothing) {
  c->start(now);
  (void)one();
  c->stop(now);
  EXPECT_TRUE(sent().empty());
}

// ---- error codes (§3.2) and RCODEs ---------------------------------------------------------

TEST_F(LlqClientTest, ServFullWaitsTheRetryLeaseThenSetsUpAgain) {
  c->start(now);
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::SERV_FULL, 0, 300)));
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].state, St::kRetrying);
  EXPECT_EQ(statuses[0].reason, Why::kServFull);
  EXPECT_EQ(statuses[0].retry_at, t0 + 300s);
  EXPECT_EQ(c->next_timeout(), t0 + 300s);
  advance_to(t0 + 299s);
  EXPECT_TRUE(sent().empty());
  advance_to(t0 + 300s);
  EXPECT_EQ(one().o, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 0, 7200));
}

TEST_F(LlqClientTest, ServFullToAChallengeResponseAlsoWaits) {
  c->start(now);
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  const Sent chr = one();
  feed(response(chr, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::SERV_FULL, kId, 0)));
  EXPECT_EQ(statuses.back().state, St::kRetrying);
  EXPECT_EQ(statuses.back().retry_at, t0 + 1s);  // a 0 retry lease is taken as 1 s
}

TEST_F(LlqClientTest, StaticMeansUnavailable) {
  c->start(now);
  feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::STATIC, 0, 0)));
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].state, St::kFailed);
  EXPECT_EQ(statuses[0].reason, Why::kUnavailable);
  EXPECT_EQ(statuses[0].error, ErrorCode::STATIC);
  EXPECT_TRUE(c->finished());
}

TEST_F(LlqClientTest, BadVersMeansUnavailable) {
  c->start(now);
  feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::BAD_VERS, 0, 0)));
  EXPECT_EQ(last_status().state, St::kFailed);
  EXPECT_EQ(last_status().reason, Why::kUnavailable);
  EXPECT_EQ(last_status().error, ErrorCode::BAD_VERS);
}

TEST_F(LlqClientTest, FormatErrFails) {
  c->start(now);
  feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::FORMAT_ERR, 0, 0), {},
                Rcode::FORMERR));
  EXPECT_EQ(last_status().state, St::kFailed);
  EXPECT_EQ(last_status().reason, Why::kFormatError);
}

TEST_F(LlqClientTest, NoSuchLlqToAChallengeResponseStartsOverAFewTimesThenBacksOff) {
  c->start(now);
  for (unsigned i = 0; i < LlqClient::kMaxRestarts; ++i) {
    const Sent setup = one();
    EXPECT_EQ(setup.o.id, 0u);
    feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
    feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_SUCH_LLQ, kId, 0)));
    EXPECT_TRUE(statuses.empty());
  }
  const Sent setup = one();
  feed(response(setup, llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, kId, 3600)));
  feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_SUCH_LLQ, kId, 0)));
  EXPECT_EQ(last_status().state, St::kRetrying);
  EXPECT_EQ(last_status().reason, Why::kNoSuchLlq);
  EXPECT_EQ(last_status().retry_at, now + 10s);  // the back-off's first delay
  EXPECT_TRUE(sent().empty());
}

TEST_F(LlqClientTest, UnknownErrAndServfailAreTransient) {
  c->start(now);
  feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::UNKNOWN_ERR, 0, 0)));
  EXPECT_EQ(last_status().state, St::kRetrying);
  EXPECT_EQ(last_status().reason, Why::kTransient);
  advance_to(now + 10s);
  feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 0, 0), {},
                Rcode::SERVFAIL));
  EXPECT_EQ(last_status().state, St::kRetrying);
  EXPECT_EQ(last_status().rcode, Rcode::SERVFAIL);
  EXPECT_EQ(last_status().retry_at, now + 20s);  // doubled
}

TEST_F(LlqClientTest, RefusedAndNotauthFailWithTheirRcode) {
  for (Rcode rc : {Rcode::REFUSED, Rcode::NOTAUTH}) {
    RecordSet s(q);
    c = make(s);
    statuses.clear();
    c->start(now);
    feed(response(one(), llq::make_option(Opcode::LLQ_SETUP, ErrorCode::STATIC, 0, 0), {}, rc));
    EXPECT_EQ(last_status().state, St::kFailed);
    EXPECT_EQ(last_status().reason, Why::kRcode);
    EXPECT_EQ(last_status().rcode, rc);
  }
}

TEST_F(LlqClientTest, AnErrorAnswerWithoutTheQuestionStillCounts) {
  c->start(now);
  feed(response(one(), std::nullopt, {}, Rcode::NOTIMP, false, /*with_question=*/false));
  EXPECT_EQ(last_status().state, St::kFailed);
  EXPECT_EQ(last_status().reason, Why::kUnavailable);
}

TEST_F(LlqClientTest, AnAnswerWithoutAnLlqOptionIsNotAnLlqServer) {
  c->start(now);
  feed(response(one(), std::nullopt, {a1}));
  EXPECT_EQ(last_status().state, St::kFailed);
  EXPECT_EQ(last_status().reason, Why::kUnavailable);
  EXPECT_TRUE(records.empty());
}

}  // namespace
}  // namespace dnspush::client
