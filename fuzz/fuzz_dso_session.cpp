// libFuzzer target: dso::Session driven by a script read from the input.
//
// Mode 0 (one session, either role): the script interleaves arbitrary bytes, well-formed
// and nearly well-formed DNS/DSO messages, time passing, end of stream, and every call an
// owner can make. Checked after every step: no crash or sanitizer report; the transmit
// queue within max_queued_bytes; outstanding work within max_outstanding; nothing read
// or sent in the wrong state; exactly one ClosedEvent, last; every DSO frame the session
// sends parses; after on_timeout(now) no deadline is left at or before now.
//
// Mode 1 (a client and a server back to back): the script only makes calls a correct
// application may make, and delivers frames in order with time passing in between. Then
// neither side may ever abort for a protocol error: our own peer never sends one.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <variant>
#include <vector>

#include "dso/message.hpp"
#include "dso/session.hpp"
#include "wire/message.hpp"

namespace {

using namespace dnspush;
using namespace dnspush::dso;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using State = Session::State;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "dso session invariant broken: %s\n", what);
  std::abort();
}

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

Bytes framed(const Bytes& m) {
  Bytes b;
  put16(b, static_cast<std::uint16_t>(m.size()));
  b.insert(b.end(), m.begin(), m.end());
  return b;
}

const TlvType kTypes[] = {
    TlvType::Reserved,          TlvType::KeepAlive, TlvType::RetryDelay,
    TlvType::EncryptionPadding, TlvType::SUBSCRIBE, TlvType::PUSH,
    TlvType::UNSUBSCRIBE,       TlvType::RECONFIRM, static_cast<TlvType>(0xF900)};

// A DSO message that is right in most ways: the fuzzer picks header fields and TLVs from
// the interesting values, so it gets past the syntax checks quickly.
Bytes dso_message(FuzzedDataProvider& f) {
  Bytes b;
  const bool qr = f.ConsumeBool();
  put16(b, f.ConsumeBool() ? 0 : f.ConsumeIntegralInRange<std::uint16_t>(1, 4));
  b.push_back(static_cast<std::uint8_t>((qr ? 0x80 : 0) | (6 << 3)));
  b.push_back(f.ConsumeIntegralInRange<std::uint8_t>(0, 15));
  put16(b, f.ConsumeIntegralInRange<std::uint16_t>(0, 20) == 0 ? 1 : 0);  // QDCOUNT
  for (int i = 0; i < 3; ++i) put16(b, 0);
  const int n = f.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < n; ++i) {
    const TlvType t = kTypes[f.ConsumeIntegralInRange<std::size_t>(0, std::size(kTypes) - 1)];
    Bytes data;
    if (t == TlvType::KeepAlive && f.ConsumeBool()) {
      for (int k = 0; k < 2; ++k) {
        const std::uint32_t ms = f.ConsumeBool() ? 0xFFFFFFFF : f.ConsumeIntegral<std::uint32_t>();
        for (int s = 24; s >= 0; s -= 8) data.push_back(static_cast<std::uint8_t>(ms >> s));
      }
    } else {
      data = f.ConsumeBytes<std::uint8_t>(f.ConsumeIntegralInRange(0, 12));
    }
    put16(b, static_cast<std::uint16_t>(t));
    const int lie = f.ConsumeIntegralInRange(0, 30) == 0 ? 1 : 0;
    put16(b, static_cast<std::uint16_t>(data.size() + lie));
    b.insert(b.end(), data.begin(), data.end());
  }
  return b;
}

Bytes dns_query(std::uint16_t id, bool qr, bool keepalive_option) {
  wire::Message m;
  m.header.id = id;
  m.header.qr = qr;
  m.questions.push_back(
      wire::Question{*wire::Name::from_text("a.example."), wire::RRType::A, wire::RRClass::IN});
  if (keepalive_option) {
    wire::Edns e;
    e.options.push_back(wire::EdnsOption{wire::edns_option::kTcpKeepalive, {}});
    m.edns = e;
  }
  return m.to_wire();
}

Bytes answer_to(const Bytes& q) {
  Bytes a = q;
  if (a.size() > 2) a[2] |= 0x80;
  return a;
}

SessionConfig config(FuzzedDataProvider& f, Role role) {
  SessionConfig c;
  c.role = role;
  c.pad = f.ConsumeBool();
  c.dso_enabled = f.ConsumeIntegralInRange(0, 7) != 0;
  c.idle_timeout = std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 20000));
  c.message_timeout = std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 20000));
  c.timeouts.inactivity =
      f.ConsumeBool() ? kInfinite : std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 40000));
  c.timeouts.keepalive =
      f.ConsumeBool() ? kInfinite : std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 40000));
  c.announce_timeouts = f.ConsumeBool();
  c.max_queued_bytes = f.ConsumeIntegralInRange<std::size_t>(64, 4096);
  c.max_outstanding = f.ConsumeIntegralInRange<std::size_t>(1, 6);
  c.app_tlvs = push_tlvs();
  return c;
}

// What an owner keeps about one session, and the invariants it checks.
struct Owner {
  Owner(SessionConfig c, TimePoint now) : cfg(c), s(std::move(c), now) {}

  void drain_events() {
    while (auto e = s.poll_event()) {
      if (closed_seen) fail("event after ClosedEvent");
      if (auto* q = std::get_if<QueryEvent>(&*e)) {
        tokens.push_back(q->token);
        queries.push_back(q->message);
      } else if (auto* r = std::get_if<RequestEvent>(&*e)) {
        requests.push_back(r->id);
      } else if (auto* rs = std::get_if<ResponseEvent>(&*e)) {
        if (!rs->cancelled && rs->rcode == wire::Rcode::NOERROR && rs->type == TlvType::SUBSCRIBE)
          operations.push_back(rs->id);
        if (rs->cancelled)
          operations.erase(std::remove(operations.begin(), operations.end(), rs->id),
                           operations.end());
      } else if (auto* c = std::get_if<ClosedEvent>(&*e)) {
        closed_seen = true;
        closed = *c;
        if (s.state() != State::kClosed && s.state() != State::kAborted)
          fail("ClosedEvent in an open state");
        if (c->aborted && s.state() != State::kAborted) fail("aborted, yet not in kAborted");
      }
    }
    check();
  }

  void check() const {
    if (s.queued_bytes() > cfg.max_queued_bytes) fail("transmit queue past its bound");
    if (s.outstanding() > cfg.max_outstanding) fail("outstanding past its bound");
    if (s.state() != State::kOpen && s.wants_read()) fail("wants_read after close");
    if ((s.state() == State::kClosed || s.state() == State::kAborted) && !closed_seen)
      fail("closed without a ClosedEvent");
  }

  std::vector<Bytes> drain_transmit() {
    std::vector<Bytes> out;
    while (auto fr = s.poll_transmit()) {
      if (s.state() == State::kAborted) fail("transmit after abort");
      const Bytes& m = **fr;
      if (m.size() > kMaxMessageSize) fail("frame larger than 65535");
      if (is_dso(m) && cfg.dso_enabled && !parse_message(m)) fail("sent DSO frame does not parse");
      out.push_back(m);
    }
    return out;
  }

  void after_timeout(TimePoint now) const {
    auto t = s.next_timeout();
    if (s.state() == State::kOpen && t && *t <= now) fail("a due deadline survived on_timeout");
  }

  SessionConfig cfg;
  Session s;
  std::vector<QueryToken> tokens;
  std::vector<Bytes> queries;
  std::vector<std::uint16_t> requests;
  std::vector<std::uint16_t> operations;
  bool closed_seen = false;
  ClosedEvent closed;
};

void one_session(FuzzedDataProvider& f) {
  TimePoint now = TimePoint() + 1000h;
  const Role role = f.ConsumeBool() ? Role::kServer : Role::kClient;
  Owner o(config(f, role), now);
  bool paused = false;
  for (int step = 0; step < 3000 && f.remaining_bytes() > 0; ++step) {
    switch (f.ConsumeIntegralInRange(0, 14)) {
      case 0: {  // raw bytes, any split
        Bytes b = f.ConsumeBytes<std::uint8_t>(f.ConsumeIntegralInRange(0, 300));
        o.s.receive(b, now);
        break;
      }
      case 1:
      case 2: {  // a nearly well-formed DSO message, maybe split in two
        Bytes b = framed(dso_message(f));
        const std::size_t cut = f.ConsumeIntegralInRange<std::size_t>(0, b.size());
        o.s.receive(std::span(b).first(cut), now);
        o.s.receive(std::span(b).subspan(cut), now);
        break;
      }
      case 3:
        o.s.receive(framed(dns_query(f.ConsumeIntegral<std::uint16_t>(), f.ConsumeBool(),
                                     f.ConsumeIntegralInRange(0, 5) == 0)),
                    now);
        break;
      case 4:
        now += std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 70000));
        o.s.on_timeout(now);
        o.after_timeout(now);
        break;
      case 5:
        (void)o.drain_transmit();
        break;
      case 6:
        if (!o.tokens.empty()) {
          const bool more = f.ConsumeBool();
          o.s.answer(o.tokens.front(), make_frame(answer_to(o.queries.front())), now, more);
          if (!more) {
            o.tokens.erase(o.tokens.begin());
            o.queries.erase(o.queries.begin());
          }
        }
        break;
      case 7:
        if (!o.tokens.empty()) {
          o.s.no_answer(o.tokens.back(), now);
          o.tokens.pop_back();
          o.queries.pop_back();
        }
        break;
      case 8:
        if (!o.requests.empty()) {
          const auto rcode = static_cast<wire::Rcode>(f.ConsumeIntegralInRange(0, 17));
          std::optional<Duration> rd;
          if (f.ConsumeBool()) rd = std::chrono::milliseconds(f.ConsumeIntegral<std::uint32_t>());
          o.s.respond(o.requests.front(), rcode, now, {}, rd);
          o.requests.erase(o.requests.begin());
        }
        break;
      case 9:
        o.s.receive_eof(now);
        break;
      case 10:
        paused = !paused;
        o.s.pause_reading(paused, now);
        break;
      case 11: {
        const Bytes data = f.ConsumeBytes<std::uint8_t>(f.ConsumeIntegralInRange(0, 40));
        MessageBuilder b = MessageBuilder::unidirectional();
        b.add(role == Role::kServer ? TlvType::PUSH : TlvType::UNSUBSCRIBE, data);
        o.s.send_unidirectional(make_frame(*b.finish()), now);
        break;
      }
      case 12:
        if (role == Role::kServer) {
          o.s.retry_delay(std::chrono::milliseconds(f.ConsumeIntegral<std::uint32_t>()),
                          static_cast<wire::Rcode>(f.ConsumeIntegralInRange(0, 20)), now);
        } else {
          const Bytes q{1, 'a', 0, 0, 1, 0, 1};
          o.s.request(Tlv{TlvType::SUBSCRIBE, q}, now, f.ConsumeBool());
        }
        break;
      case 13:
        switch (f.ConsumeIntegralInRange(0, 5)) {
          case 0:
            o.s.set_long_lived(f.ConsumeIntegralInRange(0, 3), now);
            break;
          case 1:
            if (!o.operations.empty()) {
              o.s.end_operation(o.operations.back(), now);
              o.operations.pop_back();
            }
            break;
          case 2:
            o.s.send_keepalive(now);
            break;
          case 3:
            o.s.set_timeouts(
                Timeouts{std::chrono::milliseconds(f.ConsumeIntegral<std::uint32_t>()),
                         std::chrono::milliseconds(f.ConsumeIntegral<std::uint32_t>())},
                now);
            break;
          case 4:
            o.s.cancel(f.ConsumeIntegralInRange<std::uint16_t>(0, 4),
                       static_cast<wire::Rcode>(f.ConsumeIntegralInRange(0, 15)), now);
            break;
          case 5:
            o.s.send_query(make_frame(dns_query(f.ConsumeIntegral<std::uint16_t>(), false, false)),
                           now);
            break;
        }
        break;
      case 14:
        if (f.ConsumeBool()) {
          o.s.close(now);
        } else {
          o.s.abort("fuzz", now);
        }
        break;
    }
    o.drain_events();
  }
}

// ---- mode 1: our client against our server ---------------------------------------------------

struct Link {
  std::deque<Bytes> to_server, to_client;
};

void deliver(std::deque<Bytes>& q, Owner& to, std::size_t n, TimePoint now) {
  for (std::size_t i = 0; i < n && !q.empty(); ++i) {
    to.s.receive(framed(q.front()), now);
    q.pop_front();
    to.drain_events();
  }
}

void no_protocol_error(const Owner& o) {
  if (o.closed_seen && is_protocol_error(o.closed.reason)) {
    std::fprintf(stderr, "%s: %s\n", o.cfg.role == Role::kServer ? "server" : "client",
                 o.closed.text.c_str());
    fail("our own peer caused a protocol error");
  }
}

void pair(FuzzedDataProvider& f) {
  TimePoint now = TimePoint() + 1000h;
  SessionConfig sc = config(f, Role::kServer);
  sc.dso_enabled = true;
  SessionConfig cc = config(f, Role::kClient);
  cc.dso_enabled = true;
  Owner srv(sc, now), cl(cc, now);
  Link link;
  std::vector<std::uint16_t> accepted;  // SUBSCRIBEs the server said NOERROR to
  std::uint16_t next_query = 1;
  bool eof_to_server = false, eof_to_client = false;
  int ended_unsynced = 0;
  for (int step = 0; step < 3000 && f.remaining_bytes() > 0; ++step) {
    switch (f.ConsumeIntegralInRange(0, 11)) {
      case 0:
        for (auto& m : srv.drain_transmit()) link.to_client.push_back(m);
        for (auto& m : cl.drain_transmit()) link.to_server.push_back(m);
        break;
      case 1:
        deliver(link.to_server, srv, f.ConsumeIntegralInRange<std::size_t>(1, 4), now);
        break;
      case 2:
        deliver(link.to_client, cl, f.ConsumeIntegralInRange<std::size_t>(1, 4), now);
        break;
      case 3:
        now += std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 20000));
        srv.s.on_timeout(now);
        cl.s.on_timeout(now);
        srv.after_timeout(now);
        cl.after_timeout(now);
        break;
      case 4: {
        const Bytes q{1, 'a', 0, 0, 1, 0, 1};
        if (f.ConsumeBool()) {
          cl.s.request(Tlv{TlvType::SUBSCRIBE, q}, now, true);
        } else {
          cl.s.send_keepalive(now);
        }
        break;
      }
      case 5:
        if (!srv.requests.empty()) {
          static const wire::Rcode kAnswers[] = {wire::Rcode::NOERROR, wire::Rcode::REFUSED,
                                                 wire::Rcode::SERVFAIL, wire::Rcode::NOTAUTH};
          const auto rc = kAnswers[f.ConsumeIntegralInRange(0, 3)];
          const std::uint16_t id = srv.requests.front();
          srv.requests.erase(srv.requests.begin());
          if (srv.s.respond(id, rc, now) && rc == wire::Rcode::NOERROR) accepted.push_back(id);
        }
        break;
      case 6:
        if (!accepted.empty() && srv.s.established()) {
          MessageBuilder b = MessageBuilder::unidirectional();
          b.add(TlvType::PUSH, f.ConsumeBytes<std::uint8_t>(f.ConsumeIntegralInRange(0, 30)));
          srv.s.send_unidirectional(make_frame(*b.finish()), now);
        }
        break;
      case 7:
        // The server cancels a subscription it accepted and has not heard an UNSUBSCRIBE
        // for (those are delivered at once, below).
        if (!accepted.empty()) {
          srv.s.cancel(accepted.back(), wire::Rcode::REFUSED, now);
          accepted.pop_back();
        }
        break;
      case 8:
        // The client unsubscribes; the message reaches the server at once. Cancellations
        // already on their way may cross it: the session tolerates that for its last
        // kRecentlyEnded (8) ids, so after 4 crossings the client first hears everything.
        if (!cl.operations.empty()) {
          if (++ended_unsynced > 4) {
            for (auto& m : srv.drain_transmit()) link.to_client.push_back(m);
            deliver(link.to_client, cl, link.to_client.size(), now);
            ended_unsynced = 1;
            if (cl.operations.empty()) break;
          }
          const std::uint16_t id = cl.operations.back();
          MessageBuilder b = MessageBuilder::unidirectional();
          const Bytes data{static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
          b.add(TlvType::UNSUBSCRIBE, data);
          cl.s.send_unidirectional(make_frame(*b.finish()), now);
          cl.s.end_operation(id, now);
          cl.operations.pop_back();
          for (auto& m : cl.drain_transmit()) link.to_server.push_back(m);
          deliver(link.to_server, srv, link.to_server.size(), now);
          accepted.erase(std::remove(accepted.begin(), accepted.end(), id), accepted.end());
        }
        break;
      case 9:
        cl.s.send_query(make_frame(dns_query(next_query++, false, false)), now);
        break;
      case 10:
        if (!srv.tokens.empty()) {
          srv.s.answer(srv.tokens.front(), make_frame(answer_to(srv.queries.front())), now);
          srv.tokens.erase(srv.tokens.begin());
          srv.queries.erase(srv.queries.begin());
        }
        break;
      case 11:
        switch (f.ConsumeIntegralInRange(0, 3)) {
          case 0:
            srv.s.set_long_lived(accepted.size(), now);
            break;
          case 1:
            srv.s.set_timeouts(
                Timeouts{std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 60000)),
                         std::chrono::milliseconds(f.ConsumeIntegralInRange(0, 60000))},
                now);
            break;
          case 2:
            srv.s.retry_delay(std::chrono::seconds(f.ConsumeIntegralInRange(0, 100)),
                              wire::Rcode::NOERROR, now);
            break;
          case 3:
            cl.s.close(now);
            break;
        }
        break;
    }
    // A side that closed ends its stream once its queue has gone out.
    if (!eof_to_server && cl.s.state() != State::kOpen && cl.s.state() != State::kClosing) {
      for (auto& m : cl.drain_transmit()) link.to_server.push_back(m);
      deliver(link.to_server, srv, link.to_server.size(), now);
      srv.s.receive_eof(now);
      eof_to_server = true;
    }
    if (!eof_to_client && srv.s.state() != State::kOpen && srv.s.state() != State::kClosing) {
      for (auto& m : srv.drain_transmit()) link.to_client.push_back(m);
      deliver(link.to_client, cl, link.to_client.size(), now);
      cl.s.receive_eof(now);
      eof_to_client = true;
    }
    srv.drain_events();
    cl.drain_events();
    no_protocol_error(srv);
    no_protocol_error(cl);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider f(data, size);
  if (f.ConsumeBool()) {
    pair(f);
  } else {
    one_session(f);
  }
  return 0;
}
