// Helpers for the LLQ tests: an LLQ client's messages built by hand, answers decoded, and a
// fixture wiring an LlqServer to a PushWorker (the shared index) over test::Zones.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../push/push_test_util.hpp"
#include "llq/llq_server.hpp"

namespace dnspush::llq::test {

using namespace std::chrono_literals;
using push::test::Bytes;
using push::test::name;
using push::test::t0;
using wire::Rcode;
using wire::RRClass;
using wire::RRType;

inline Peer peer(std::uint8_t last = 1, std::uint16_t port = 40000) {
  Peer p;
  p.address[0] = 127;
  p.address[3] = last;
  p.port = port;
  return p;
}

inline wire::Question question(std::string_view n, RRType t = RRType::A) {
  return wire::Question{name(n), t, RRClass::IN};
}

// A client message: `questions` with one LLQ option each (or `options` as given).
inline Bytes message(std::uint16_t id, const std::vector<wire::Question>& questions,
                     const std::vector<Option>& options, bool qr = false,
                     std::uint16_t udp = 1440) {
  wire::Message m;
  m.header.id = id;
  m.header.qr = qr;
  m.questions = questions;
  wire::Edns e;
  e.udp_payload = udp;
  for (const auto& o : options) e.options.push_back(to_edns(o));
  m.edns = e;
  return m.to_wire();
}

inline Option setup_option(std::uint64_t id = 0, std::uint32_t lease = 7200) {
  return make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, id, lease);
}
inline Option refresh_option(std::uint64_t id, std::uint32_t lease) {
  return make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, id, lease);
}

struct Answer {
  wire::Message m;
  std::vector<Option> options;
};

inline Answer decode(const Bytes& b) {
  Answer a;
  auto m = wire::Message::parse(b);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
  if (!m) return a;
  a.m = std::move(*m);
  if (a.m.edns) {
    for (auto& o : llq_options(*a.m.edns)) {
      EXPECT_TRUE(o.has_value());
      if (o) a.options.push_back(*o);
    }
  }
  return a;
}

inline std::vector<std::string> answer_text(const wire::Message& m) {
  std::vector<std::string> out;
  for (const auto& r : m.answers) out.push_back(wire::to_text(r));
  return out;
}

// A counter as the random source: deterministic IDs and message IDs.
struct Counter {
  std::uint64_t next = 0x1234;
  std::uint64_t operator()() { return next++; }
};

struct Fixture {
  push::test::Zones zones;
  push::PushWorker push;
  LlqServer llq;
  std::uint16_t next_msg = 100;

  static LlqConfig config() {
    LlqConfig c;
    c.secret = SipKey{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    return c;
  }
  explicit Fixture(LlqConfig cfg = config()) : llq(push, std::move(cfg), Counter{}) {}

  Answer send(const Bytes& msg, const Peer& from = peer(), TimePoint now = t0) {
    Bytes out;
    const auto d = llq.receive(msg, from, zones.now(), now, out);
    EXPECT_EQ(d, Disposition::kAnswer);
    return decode(out);
  }
  Disposition send_raw(const Bytes& msg, const Peer& from, TimePoint now, Bytes& out) {
    return llq.receive(msg, from, zones.now(), now, out);
  }

  // Steps 1 and 2: the challenge's option.
  Option challenge(const wire::Question& q, const Peer& from = peer(), TimePoint now = t0,
                   std::uint32_t lease = 7200) {
    const auto a = send(message(next_msg++, {q}, {setup_option(0, lease)}), from, now);
    EXPECT_EQ(a.options.size(), 1u);
    return a.options.empty() ? Option{} : a.options[0];
  }
  // The whole setup; returns the LLQ-ID.
  std::uint64_t establish(const wire::Question& q, const Peer& from = peer(), TimePoint now = t0) {
    const Option c = challenge(q, from, now);
    const auto a = send(message(next_msg++, {q}, {setup_option(c.id, c.lease)}), from, now);
    EXPECT_EQ(a.options.size(), 1u);
    EXPECT_EQ(a.options.empty() ? 99 : a.options[0].error, 0);
    return c.id;
  }
  // A commit through the shared index, as PushApp does it.
  std::vector<push::Delivery> commit(std::string_view removed, std::string_view added,
                                     TimePoint now = t0) {
    auto c = zones.commit(removed, added);
    if (!c) return {};
    auto ds = push.on_commit(*c);
    llq.on_commit(push.llq_matches(), now);
    return ds;
  }
  std::vector<Transmit> transmits() {
    std::vector<Transmit> out;
    while (auto t = llq.poll_transmit()) out.push_back(std::move(*t));
    return out;
  }
  // The client's acknowledgement of `event` (§6.2), QR set as Apple's client sends it.
  Bytes ack_for(const Bytes& event, bool qr = true) {
    const auto a = decode(event);
    return message(a.m.header.id, a.m.questions, a.options, qr);
  }
};

}  // namespace dnspush::llq::test
