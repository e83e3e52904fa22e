// Helpers for the DSO session tests: draining a session, and a client and a server wired
// back to back with a fake clock.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <variant>
#include <vector>

#include "dso/session.hpp"
#include "dso_bytes.hpp"

namespace dnspush::dso::test {

inline std::vector<Event> events(Session& s) {
  std::vector<Event> out;
  while (auto e = s.poll_event()) out.push_back(std::move(*e));
  return out;
}

inline std::vector<Bytes> sent(Session& s) {
  std::vector<Bytes> out;
  while (auto f = s.poll_transmit()) out.push_back(**f);
  return out;
}

template <class T>
std::vector<T> only(const std::vector<Event>& es) {
  std::vector<T> out;
  for (const Event& e : es)
    if (const T* p = std::get_if<T>(&e)) out.push_back(*p);
  return out;
}

template <class T>
bool has(const std::vector<Event>& es) {
  return !only<T>(es).empty();
}

inline std::optional<ClosedEvent> closed(const std::vector<Event>& es) {
  auto c = only<ClosedEvent>(es);
  if (c.empty()) return std::nullopt;
  return c.back();
}

inline Frame frame(const Bytes& b) {
  return make_frame(b);
}

inline SessionConfig server_config() {
  SessionConfig c;
  c.role = Role::kServer;
  c.app_tlvs = push_tlvs();
  return c;
}

inline SessionConfig client_config() {
  SessionConfig c;
  c.role = Role::kClient;
  c.app_tlvs = push_tlvs();
  return c;
}

// A server session fed raw messages, as most abort-rule tests need.
struct Server {
  explicit Server(SessionConfig c = server_config()) : s(std::move(c), t0) {}
  // Delivers one message (framed) and collects the events it caused.
  std::vector<Event> feed(const Bytes& msg, TimePoint at = t0) {
    s.receive(framed(msg), at);
    return events(s);
  }
  // Establishes the session with a Keepalive request (id 1) and drains its output.
  void establish(TimePoint at = t0) {
    auto es = feed(request(1, {tlv(TlvType::KeepAlive, keepalive_data(15000, 15000))}), at);
    ASSERT_TRUE(s.established());
    (void)sent(s);
  }
  Session s;
};

// A client session fed raw messages.
struct Client {
  explicit Client(SessionConfig c = client_config()) : s(std::move(c), t0) {}
  std::vector<Event> feed(const Bytes& msg, TimePoint at = t0) {
    s.receive(framed(msg), at);
    return events(s);
  }
  // Establishes with a Keepalive exchange (the server grants `inactivity_ms` and
  // `interval_ms`) and drains both queues.
  void establish(std::uint32_t inactivity_ms = 15000, std::uint32_t interval_ms = 15000,
                 TimePoint at = t0) {
    auto id = s.send_keepalive(at);
    ASSERT_TRUE(id.has_value());
    (void)sent(s);
    (void)feed(response(*id, {tlv(TlvType::KeepAlive, keepalive_data(inactivity_ms, interval_ms))}),
               at);
    ASSERT_TRUE(s.established());
  }
  Session s;
};

// A client and a server back to back: bytes one transmits are what the other receives.
struct Pair {
  explicit Pair(SessionConfig sc = server_config(), SessionConfig cc = client_config())
      : server(std::move(sc), t0), client(std::move(cc), t0) {}

  // Moves frames both ways until neither side has anything to send; returns how many
  // messages crossed. Events pile up in server_events / client_events.
  int pump() {
    int moved = 0;
    for (int round = 0; round < 100; ++round) {
      bool any = false;
      while (auto f = client.poll_transmit()) {
        server.receive(framed(**f), now);
        any = true;
        ++moved;
      }
      collect();
      while (auto f = server.poll_transmit()) {
        client.receive(framed(**f), now);
        any = true;
        ++moved;
      }
      collect();
      if (!any) break;
    }
    return moved;
  }
  void collect() {
    while (auto e = server.poll_event()) server_events.push_back(std::move(*e));
    while (auto e = client.poll_event()) client_events.push_back(std::move(*e));
  }
  void advance(Duration d) {
    now += d;
    server.on_timeout(now);
    client.on_timeout(now);
    pump();
  }
  // Runs both sessions' timers forward to `until`, firing each as it comes due.
  void run_until(TimePoint until) {
    for (int i = 0; i < 100000; ++i) {
      std::optional<TimePoint> next;
      for (Session* s : {&server, &client}) {
        auto t = s->next_timeout();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > until) break;
      now = std::max(now, *next);
      server.on_timeout(now);
      client.on_timeout(now);
      pump();
    }
    now = until;
  }

  TimePoint now = t0;
  Session server;
  Session client;
  std::vector<Event> server_events;
  std::vector<Event> client_events;
};

}  // namespace dnspush::dso::test
