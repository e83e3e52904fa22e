// The session as an RFC 7766 DNS-over-TCP/TLS core: framing, pipelining, idle and
// message timeouts, end of stream, backpressure.
#include <gtest/gtest.h>

#include "dso/session.hpp"
#include "dso_test_util.hpp"

namespace dnspush::dso {
namespace {

using namespace test;
using State = Session::State;

// Three messages of different kinds: a query, a Keepalive request, another query.
Bytes three_messages() {
  return cat({framed(query(1)), framed(request(7, {tlv(TlvType::KeepAlive, keepalive_data(1, 1))})),
              framed(query(2))});
}

// What the server session made of a stream: the query ids seen and whether it is a DSO
// session, so any split can be compared with the whole.
struct Outcome {
  std::vector<std::uint16_t> query_ids;
  bool established = false;
  std::size_t frames_out = 0;
  bool operator==(const Outcome&) const = default;
};

Outcome outcome(Session& s) {
  Outcome o;
  for (const Event& e : events(s)) {
    if (auto* q = std::get_if<QueryEvent>(&e))
      o.query_ids.push_back(wire::Header::peek(q->message)->id);
  }
  o.established = s.established();
  o.frames_out = sent(s).size();
  return o;
}

TEST(SessionStream, SeveralMessagesInOneChunk) {
  Server srv;
  srv.s.receive(three_messages(), t0);
  Outcome o = outcome(srv.s);
  EXPECT_EQ(o.query_ids, (std::vector<std::uint16_t>{1, 2}));
  EXPECT_TRUE(o.established);
  EXPECT_EQ(o.frames_out, 1u);  // the Keepalive response
}

TEST(SessionStream, AnySplitGivesTheSameResult) {
  const Bytes stream = three_messages();
  Server whole;
  whole.s.receive(stream, t0);
  const Outcome expected = outcome(whole.s);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Server srv;
    srv.s.receive(std::span(stream).first(cut), t0);
    srv.s.receive(std::span(stream).subspan(cut), t0);
    EXPECT_EQ(outcome(srv.s), expected) << "cut at " << cut;
  }
}

TEST(SessionStream, OneByteAtATime) {
  const Bytes stream = three_messages();
  Server srv;
  std::vector<std::uint16_t> ids;
  for (std::uint8_t b : stream) {
    ASSERT_TRUE(srv.s.wants_read());
    srv.s.receive(std::span(&b, 1), t0);
    for (const Event& e : events(srv.s))
      if (auto* q = std::get_if<QueryEvent>(&e)) ids.push_back(wire::Header::peek(q->message)->id);
  }
  EXPECT_EQ(ids, (std::vector<std::uint16_t>{1, 2}));
  EXPECT_TRUE(srv.s.established());
  EXPECT_EQ(srv.s.state(), State::kOpen);
}

TEST(SessionStream, ZeroLengthAndShortMessagesAreSkippedAndAreNotActivity) {
  SessionConfig c = server_config();
  c.idle_timeout = 10s;
  Server srv(c);
  // Empty frames every second do not keep an idle connection open.
  for (int i = 1; i <= 9; ++i) {
    srv.s.receive(cat({framed({}), framed(Bytes(11, 0))}), t0 + std::chrono::seconds(i));
    EXPECT_TRUE(events(srv.s).empty());
  }
  EXPECT_EQ(srv.s.next_timeout(), t0 + 10s);
  // ... and the stream stays in step: the next real message is seen.
  auto es = srv.feed(query(5), t0 + 9s);
  ASSERT_EQ(only<QueryEvent>(es).size(), 1u);
}

TEST(SessionStream, PipelinedQueriesAreAnsweredInAnyOrder) {
  Server srv;
  srv.s.receive(cat({framed(query(1)), framed(query(2))}), t0);
  auto qs = only<QueryEvent>(events(srv.s));
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(srv.s.outstanding(), 2u);
  // RFC 7766 §6.2.1.1: the second answer may leave first.
  EXPECT_TRUE(srv.s.answer(qs[1].token, frame(answer_to(qs[1].message)), t0));
  EXPECT_TRUE(srv.s.answer(qs[0].token, frame(answer_to(qs[0].message)), t0));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(wire::Header::peek(out[0])->id, 2);
  EXPECT_EQ(wire::Header::peek(out[1])->id, 1);
  EXPECT_EQ(srv.s.outstanding(), 0u);
  // A token is answered once.
  EXPECT_FALSE(srv.s.answer(qs[0].token, frame(answer_to(qs[0].message)), t0));
  EXPECT_FALSE(srv.s.no_answer(qs[0].token, t0));
}

TEST(SessionStream, IdleIsMeasuredFromTheLastCompleteMessage) {
  SessionConfig c = server_config();
  c.idle_timeout = 10s;
  Server srv(c);
  EXPECT_EQ(srv.s.next_timeout(), t0 + 10s);
  auto q = only<QueryEvent>(srv.feed(query(1), t0 + 4s));
  ASSERT_EQ(q.size(), 1u);
  srv.s.answer(q[0].token, frame(answer_to(q[0].message)), t0 + 5s);
  EXPECT_EQ(srv.s.next_timeout(), t0 + 15s);
  srv.s.on_timeout(t0 + 15s - 1ms);
  EXPECT_EQ(srv.s.state(), State::kOpen);
  srv.s.on_timeout(t0 + 15s);
  EXPECT_EQ(srv.s.state(), State::kClosed);  // graceful: the answer still goes out
  auto c2 = closed(events(srv.s));
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(c2->reason, CloseReason::kIdleTimeout);
  EXPECT_FALSE(c2->aborted);
  EXPECT_EQ(sent(srv.s).size(), 1u);
}

TEST(SessionStream, NotIdleWhileAnAnswerIsOwed) {
  // RFC 7766 §6.2.3: a server is idle once it has answered everything (an UPDATE waiting
  // for the journal is not idle).
  SessionConfig c = server_config();
  c.idle_timeout = 10s;
  Server srv(c);
  auto q = only<QueryEvent>(srv.feed(query(1), t0));
  EXPECT_FALSE(srv.s.next_timeout().has_value());
  srv.s.on_timeout(t0 + 1h);
  EXPECT_EQ(srv.s.state(), State::kOpen);
  srv.s.no_answer(q[0].token, t0 + 1h);
  EXPECT_EQ(srv.s.next_timeout(), t0 + 1h + 10s);
}

TEST(SessionStream, TrickledMessageIsAbortedOnTcpAndTls) {
  // A peer sending one byte every two seconds keeps "receiving" but never completes a
  // message: the message timeout aborts it, as it would any partial message.
  for (bool tls : {false, true}) {
    SessionConfig c = server_config();
    c.pad = tls;
    c.idle_timeout = 60s;
    c.message_timeout = 10s;
    Server srv(c);
    const Bytes msg = framed(query(1));
    TimePoint at = t0;
    std::size_t i = 0;
    for (; i < msg.size() - 1 && at < t0 + 10s; ++i, at += 2s) {
      srv.s.on_timeout(at);
      if (srv.s.state() != State::kOpen) break;
      srv.s.receive(std::span(&msg[i], 1), at);
    }
    EXPECT_EQ(srv.s.next_timeout(), t0 + 10s) << tls;
    srv.s.on_timeout(t0 + 10s - 1ms);
    EXPECT_EQ(srv.s.state(), State::kOpen) << tls;
    srv.s.on_timeout(t0 + 10s);
    EXPECT_EQ(srv.s.state(), State::kAborted) << tls;
    auto c2 = closed(events(srv.s));
    ASSERT_TRUE(c2.has_value());
    EXPECT_EQ(c2->reason, CloseReason::kMessageTimeout);
    EXPECT_TRUE(c2->aborted);
  }
}

TEST(SessionStream, MessageTimeoutStartsWithEachMessage) {
  SessionConfig c = server_config();
  c.message_timeout = 10s;
  Server srv(c);
  const Bytes a = framed(query(1)), b = framed(query(2));
  // The first message completes at 8 s, and the next starts in the same chunk.
  srv.s.receive(std::span(a).first(5), t0);
  Bytes chunk(a.begin() + 5, a.end());
  chunk.insert(chunk.end(), b.begin(), b.begin() + 3);
  srv.s.receive(chunk, t0 + 8s);
  EXPECT_EQ(srv.s.next_timeout(), t0 + 18s);
}

TEST(SessionStream, MessageTimeoutAppliesInADsoSessionToo) {
  SessionConfig c = server_config();
  c.message_timeout = 10s;
  Server srv(c);
  srv.establish();
  srv.s.set_long_lived(1, t0);
  srv.s.receive(Bytes{0, 40, 0, 0}, t0 + 1s);
  srv.s.on_timeout(t0 + 11s);
  EXPECT_EQ(srv.s.state(), State::kAborted);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kMessageTimeout);
}

TEST(SessionStream, PeerEndOfStreamWaitsForOwedAnswers) {
  Server srv;
  auto q = only<QueryEvent>(srv.feed(query(1), t0));
  srv.s.receive_eof(t0);
  EXPECT_EQ(srv.s.state(), State::kClosing);
  EXPECT_FALSE(srv.s.wants_read());
  EXPECT_TRUE(srv.s.answer(q[0].token, frame(answer_to(q[0].message)), t0));
  EXPECT_EQ(srv.s.state(), State::kClosed);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kPeerClosed);
  EXPECT_EQ(sent(srv.s).size(), 1u);
}

TEST(SessionStream, ZoneTransferAnswersInSeveralMessages) {
  Server srv;
  auto q = only<QueryEvent>(srv.feed(query(1), t0));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(srv.s.answer(q[0].token, frame(answer_to(q[0].message)), t0, true));
  EXPECT_EQ(srv.s.outstanding(), 1u);
  EXPECT_TRUE(srv.s.answer(q[0].token, frame(answer_to(q[0].message)), t0));
  EXPECT_EQ(srv.s.outstanding(), 0u);
  EXPECT_EQ(sent(srv.s).size(), 4u);
}

TEST(SessionStream, DsoDisabledTurnsDsoMessagesIntoQueries) {
  SessionConfig c = server_config();
  c.dso_enabled = false;
  Server srv(c);
  const Bytes ka = request(7, {tlv(TlvType::KeepAlive, keepalive_data(1, 1))});
  auto qs = only<QueryEvent>(srv.feed(ka));
  ASSERT_EQ(qs.size(), 1u);
  EXPECT_EQ(qs[0].message, ka);
  EXPECT_FALSE(srv.s.established());
  EXPECT_TRUE(sent(srv.s).empty());
}

TEST(SessionStream, ClientQueriesGetTheirAnswers) {
  Client cl;
  const Bytes q = query(77);
  EXPECT_TRUE(cl.s.send_query(frame(q), t0));
  EXPECT_FALSE(cl.s.send_query(frame(q), t0));  // RFC 7766 §6.2.1: id in flight
  EXPECT_EQ(sent(cl.s).size(), 1u);
  EXPECT_FALSE(cl.s.next_timeout().has_value());  // waiting for an answer is not idle
  auto es = cl.feed(answer_to(q), t0 + 1s);
  ASSERT_EQ(only<DnsResponseEvent>(es).size(), 1u);
  // A second answer to the same id, or one to nothing, is dropped.
  EXPECT_TRUE(cl.feed(answer_to(q), t0 + 1s).empty());
  EXPECT_EQ(cl.s.state(), State::kOpen);
}

// ---- backpressure ------------------------------------------------------------------------

TEST(SessionStream, MaxOutstandingStopsReadingUntilAnswersLeave) {
  SessionConfig c = server_config();
  c.max_outstanding = 2;
  Server srv(c);
  Bytes chunk;
  for (std::uint16_t id = 1; id <= 5; ++id) chunk = cat({chunk, framed(query(id))});
  srv.s.receive(chunk, t0);
  auto qs = only<QueryEvent>(events(srv.s));
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_FALSE(srv.s.wants_read());
  srv.s.answer(qs[0].token, frame(answer_to(qs[0].message)), t0);
  auto more = only<QueryEvent>(events(srv.s));
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(wire::Header::peek(more[0].message)->id, 3);
  EXPECT_FALSE(srv.s.wants_read());
  srv.s.no_answer(qs[1].token, t0);
  srv.s.no_answer(more[0].token, t0);
  EXPECT_EQ(only<QueryEvent>(events(srv.s)).size(), 2u);  // 4 and 5
  EXPECT_FALSE(srv.s.wants_read());                       // two outstanding again
}

TEST(SessionStream, BlockedSessionRunsNoMessageTimer) {
  // Backpressure is ours, not the peer's: a partial message behind it is not timed.
  SessionConfig c = server_config();
  c.max_outstanding = 1;
  c.message_timeout = 10s;
  Server srv(c);
  const Bytes second = framed(query(2));
  srv.s.receive(cat({framed(query(1)), Bytes(second.begin(), second.begin() + 4)}), t0);
  auto qs = only<QueryEvent>(events(srv.s));
  ASSERT_EQ(qs.size(), 1u);
  srv.s.on_timeout(t0 + 1h);
  EXPECT_EQ(srv.s.state(), State::kOpen);
  // Reading resumes: the partial message is timed from now.
  srv.s.no_answer(qs[0].token, t0 + 1h);
  EXPECT_EQ(srv.s.next_timeout(), t0 + 1h + 10s);
}

TEST(SessionStream, PausedReadingTakesNoMessages) {
  Server srv;
  srv.s.pause_reading(true, t0);
  EXPECT_FALSE(srv.s.wants_read());
  srv.s.receive(framed(query(1)), t0);
  EXPECT_TRUE(events(srv.s).empty());
  srv.s.pause_reading(false, t0);
  EXPECT_EQ(only<QueryEvent>(events(srv.s)).size(), 1u);
}

TEST(SessionStream, InputBeyondTheBoundAborts) {
  // Only an owner that ignores wants_read() gets here.
  SessionConfig c = server_config();
  c.max_outstanding = 1;
  Server srv(c);
  const Bytes q = framed(query(1));
  std::size_t fed = 0;
  while (srv.s.state() == State::kOpen && fed < 10 * c.max_buffered_input) {
    srv.s.receive(q, t0);
    fed += q.size();
  }
  EXPECT_EQ(srv.s.state(), State::kAborted);
  EXPECT_LE(fed, c.max_buffered_input + 2 * q.size());  // one message was handled
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kInputOverflow);
}

TEST(SessionStream, SlowReaderIsAbortedNotBuffered) {
  SessionConfig c = server_config();
  c.max_queued_bytes = 1000;
  Server srv(c);
  std::size_t answered = 0;
  for (std::uint16_t id = 1; id < 100 && srv.s.state() == State::kOpen; ++id) {
    auto qs = only<QueryEvent>(srv.feed(query(id)));
    ASSERT_EQ(qs.size(), 1u);
    if (srv.s.answer(qs[0].token, frame(answer_to(qs[0].message)), t0)) ++answered;
    EXPECT_LE(srv.s.queued_bytes(), 1000u);
  }
  EXPECT_EQ(srv.s.state(), State::kAborted);
  EXPECT_EQ(answered, 1000 / (answer_to(query(1)).size() + 2));
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kSlowReader);
  EXPECT_FALSE(srv.s.poll_transmit().has_value());  // aborted: nothing more goes out
}

TEST(SessionStream, AReaderThatKeepsUpIsNeverCut) {
  SessionConfig c = server_config();
  c.max_queued_bytes = 1000;
  Server srv(c);
  for (std::uint16_t id = 1; id < 500; ++id) {
    auto qs = only<QueryEvent>(srv.feed(query(id)));
    ASSERT_EQ(qs.size(), 1u);
    ASSERT_TRUE(srv.s.answer(qs[0].token, frame(answer_to(qs[0].message)), t0));
    ASSERT_EQ(sent(srv.s).size(), 1u);
  }
  EXPECT_EQ(srv.s.state(), State::kOpen);
}

TEST(SessionStream, UnsolicitedResponsesNeedNoDsoAndOnlyAServerSendsThem) {
  // An LLQ event over a stream (RFC 8764 §6): a DNS response nobody asked for, before or
  // without any DSO session.
  Server srv;
  const Bytes event = answer_to(query(77));
  ASSERT_FALSE(srv.s.established());
  EXPECT_TRUE(srv.s.send_unsolicited(frame(event), t0));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], event);
  // Not a query, not a DSO message.
  EXPECT_FALSE(srv.s.send_unsolicited(frame(query(78)), t0));
  EXPECT_FALSE(srv.s.send_unsolicited(frame(response(0, {tlv(TlvType::PUSH, {})})), t0));
  EXPECT_TRUE(sent(srv.s).empty());
  // A client has nothing unsolicited to say.
  Client cl;
  EXPECT_FALSE(cl.s.send_unsolicited(frame(event), t0));
  // After a Retry Delay nothing more goes out.
  srv.establish();
  ASSERT_TRUE(srv.s.retry_delay(std::chrono::seconds(10), wire::Rcode::NOERROR, t0));
  (void)sent(srv.s);
  EXPECT_FALSE(srv.s.send_unsolicited(frame(event), t0));
}

}  // namespace
}  // namespace dnspush::dso
