// LLQ over a stream connection (TCP or TLS, Peer::stream): no challenge, events without
// acknowledgements in commit order, the connection's end ending its LLQs, and the
// per-stream counts the io layer uses to keep such a connection open.
#include <gtest/gtest.h>

#include "llq_test_util.hpp"

namespace dnspush::llq {
namespace {

using namespace test;

Peer stream_peer(std::uint64_t stream, std::uint8_t last = 1, std::uint16_t port = 40000) {
  Peer p = peer(last, port);
  p.stream = stream;
  return p;
}

TEST(LlqStream, SetupIsAnsweredAtOnceWithAnIdLeaseAndAnswers) {
  Fixture f;
  const Peer p = stream_peer(7);
  const auto a = f.send(message(41, {question("www.example.com.")}, {setup_option(0, 3600)}), p);
  EXPECT_EQ(a.m.header.id, 41);
  EXPECT_EQ(a.m.rcode(), Rcode::NOERROR);
  EXPECT_FALSE(a.m.header.tc);
  ASSERT_EQ(a.options.size(), 1u);
  EXPECT_EQ(a.options[0].opcode, static_cast<std::uint16_t>(Opcode::LLQ_SETUP));
  EXPECT_EQ(a.options[0].error, 0);
  EXPECT_NE(a.options[0].id, 0u);
  EXPECT_EQ(a.options[0].lease, 3600u);
  EXPECT_FALSE(a.m.answers.empty()) << "the ACK carries the current answers";
  EXPECT_EQ(f.llq.counters().challenges, 0u);
  EXPECT_EQ(f.llq.counters().established, 1u);
  EXPECT_EQ(f.llq.size(), 1u);
  EXPECT_EQ(f.llq.for_stream(7), 1u);
  EXPECT_TRUE(f.llq.check());
  // The same ID again on the same stream: the ACK again, no second LLQ.
  const auto again =
      f.send(message(42, {question("www.example.com.")}, {setup_option(a.options[0].id)}), p);
  ASSERT_EQ(again.options.size(), 1u);
  EXPECT_EQ(again.options[0].error, 0);
  EXPECT_EQ(f.llq.size(), 1u);
}

TEST(LlqStream, AnswersAreNotBoundByTheUdpPayload) {
  LlqConfig cfg = Fixture::config();
  cfg.max_udp = 512;
  Fixture f(cfg);
  std::string added;
  for (int i = 0; i < 60; ++i)
    added += "big 300 TXT \"" + std::to_string(i) + std::string(200, 'a') + "\"\n";
  f.zones.commit("", added);
  const auto a =
      f.send(message(1, {question("big.example.com.", RRType::TXT)}, {setup_option()}, false, 512),
             stream_peer(3));
  EXPECT_FALSE(a.m.header.tc);
  EXPECT_EQ(a.m.answers.size(), 60u);
}

TEST(LlqStream, EventsGoOutInOrderWithoutWaitingForAcks) {
  Fixture f;
  const Peer p = stream_peer(9);
  const auto a = f.send(message(1, {question("www.example.com.")}, {setup_option()}), p);
  const std::uint64_t id = a.options.at(0).id;
  f.commit("", "www 300 A 192.0.2.20");
  f.commit("", "www 300 A 192.0.2.21");
  f.commit("www 300 A 192.0.2.20", "");
  const auto tx = f.transmits();
  ASSERT_EQ(tx.size(), 3u) << "no event waits for the previous one's ack on a stream";
  const Bytes expect[] = {{192, 0, 2, 20}, {192, 0, 2, 21}, {192, 0, 2, 20}};
  const std::uint32_t ttls[] = {300, 300, 0xFFFFFFFF};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(tx[i].to.stream, 9u);
    const auto e = decode(*tx[i].bytes);
    ASSERT_EQ(e.options.size(), 1u);
    EXPECT_EQ(e.options[0].opcode, static_cast<std::uint16_t>(Opcode::LLQ_EVENT));
    EXPECT_EQ(e.options[0].id, id);
    ASSERT_EQ(e.m.answers.size(), 1u);
    EXPECT_EQ(e.m.answers[0].rdata, expect[i]);
    EXPECT_EQ(e.m.answers[0].ttl, ttls[i]);
  }
  // No resend, however long nobody acknowledges; the LLQ lives until its lease ends.
  f.llq.on_timeout(t0 + 60s);
  EXPECT_TRUE(f.transmits().empty());
  EXPECT_EQ(f.llq.counters().resends, 0u);
  EXPECT_EQ(f.llq.size(), 1u);
  // An acknowledgement that still comes is harmless.
  Bytes out;
  EXPECT_EQ(f.send_raw(f.ack_for(*tx[0].bytes), p, t0 + 61s, out), Disposition::kNoAnswer);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(f.llq.size(), 1u);
  EXPECT_TRUE(f.llq.check());
  f.llq.on_timeout(t0 + 7201s);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.llq.counters().expired, 1u);
}

TEST(LlqStream, ClosingTheStreamEndsItsLlqsOnly) {
  Fixture f;
  f.send(message(1, {question("www.example.com.")}, {setup_option()}), stream_peer(5));
  f.send(message(2, {question("ns1.example.com.")}, {setup_option()}), stream_peer(5));
  f.send(message(3, {question("www.example.com.")}, {setup_option()}), stream_peer(6, 2));
  f.establish(question("www.example.com."), peer(3));  // UDP
  EXPECT_EQ(f.llq.for_stream(5), 2u);
  EXPECT_EQ(f.llq.size(), 4u);
  f.commit("", "www 300 A 192.0.2.30");  // queued for stream 5 but not yet taken
  f.llq.close_stream(5);
  EXPECT_EQ(f.llq.for_stream(5), 0u);
  EXPECT_EQ(f.llq.size(), 2u);
  EXPECT_EQ(f.llq.counters().stream_closed, 2u);  // metrics: ended, connection_closed
  const auto tx = f.transmits();
  for (const auto& t : tx) EXPECT_NE(t.to.stream, 5u) << "nothing goes to a closed stream";
  EXPECT_EQ(tx.size(), 2u);  // stream 6 and the UDP LLQ
  EXPECT_TRUE(f.llq.check());
  f.commit("", "www 300 A 192.0.2.31");
  for (const auto& t : f.transmits()) EXPECT_NE(t.to.stream, 5u);
}

TEST(LlqStream, RefreshAndCancelMustComeOnTheSameStream) {
  Fixture f;
  const auto a =
      f.send(message(1, {question("www.example.com.")}, {setup_option()}), stream_peer(5));
  const std::uint64_t id = a.options.at(0).id;
  // From another connection of the same address and port: not this LLQ.
  auto r = f.send(message(2, {question("www.example.com.")}, {refresh_option(id, 3600)}),
                  stream_peer(8));
  EXPECT_EQ(r.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::NO_SUCH_LLQ));
  // Nor over UDP from the same address and port.
  r = f.send(message(3, {question("www.example.com.")}, {refresh_option(id, 3600)}), peer());
  EXPECT_EQ(r.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::NO_SUCH_LLQ));
  r = f.send(message(4, {question("www.example.com.")}, {refresh_option(id, 0)}), stream_peer(5));
  EXPECT_EQ(r.options.at(0).error, 0);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.llq.for_stream(5), 0u);
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqStream, StreamChangesAreReportedOncePerStream) {
  Fixture f;
  EXPECT_FALSE(f.llq.poll_stream_change());
  f.send(message(1, {question("www.example.com.")}, {setup_option()}), stream_peer(5));
  f.send(message(2, {question("ns1.example.com.")}, {setup_option()}), stream_peer(5));
  f.establish(question("www.example.com."), peer(3));  // UDP: no stream to report
  auto c = f.llq.poll_stream_change();
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 5u);
  EXPECT_FALSE(f.llq.poll_stream_change());
  f.llq.on_timeout(t0 + 7201s);  // every lease ran out
  c = f.llq.poll_stream_change();
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 5u);
  EXPECT_EQ(f.llq.for_stream(5), 0u);
}

TEST(LlqStream, LimitsApplyAsOverUdp) {
  LlqConfig cfg = Fixture::config();
  cfg.max_llqs_per_address = 2;
  Fixture f(cfg);
  for (std::uint16_t i = 0; i < 2; ++i) {
    const auto a =
        f.send(message(i, {question("www.example.com.")}, {setup_option()}), stream_peer(10 + i));
    EXPECT_EQ(a.options.at(0).error, 0);
  }
  const auto a =
      f.send(message(9, {question("www.example.com.")}, {setup_option()}), stream_peer(20));
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::SERV_FULL));
  EXPECT_EQ(f.llq.size(), 2u);
}

}  // namespace
}  // namespace dnspush::llq
