// PushChannel against a real server-role dso::Session, with a fake clock: establishment,
// SUBSCRIBE and PUSH, reconnects with back-off, Retry Delay, reconciliation of the cache
// after a reconnect, refused and malformed cases.
#include "client/push_channel.hpp"

#include <gtest/gtest.h>

#include <map>

#include "client_test_util.hpp"

namespace dnspush::client {
namespace {

using namespace test;
using wire::Rcode;
using V = std::vector<std::string>;
using ChanState = ChannelStatus::State;
using SubState = SubscriptionStatus::State;

template <class T>
std::vector<T> only(const std::vector<ChannelEvent>& es) {
  std::vector<T> out;
  for (const auto& e : es)
    if (const T* p = std::get_if<T>(&e)) out.push_back(*p);
  return out;
}

// A DNS Push server made of a server-role dso::Session and a tiny subscription table.
struct FakeServer {
  explicit FakeServer(TimePoint now) : s(config(), now) {}
  static dso::SessionConfig config() {
    dso::SessionConfig c;
    c.role = dso::Role::kServer;
    c.app_tlvs = dso::push_tlvs();
    c.timeouts = {std::chrono::seconds(15), std::chrono::minutes(60)};
    return c;
  }
  dso::Session s;
  std::map<std::uint16_t, push::Subscribe> subs;
  std::vector<std::uint16_t> unsubscribed;
  Rcode answer = Rcode::NOERROR;
  std::optional<Duration> retry;
};

struct PushChannelTest : ::testing::Test {
  PushChannelConfig cfg() {
    PushChannelConfig c;
    c.backoff.initial = 1s;
    c.backoff.max = 60s;
    c.backoff.jitter = 0;
    c.resync_grace = 1s;
    c.pad = false;
    return c;
  }
  PushChannel ch{cfg(), [] { return 0.0; }};
  TimePoint now = t0;
  std::unique_ptr<FakeServer> server;
  std::vector<ChannelEvent> events;
  RecordSet set{question("p.example.test.")};

  void connect() {
    ASSERT_TRUE(ch.wants_connection());
    ASSERT_LE(*ch.connect_at(), now);
    server = std::make_unique<FakeServer>(now);
    ch.connected(now);
    pump();
  }
  // Moves bytes both ways; the fake server answers SUBSCRIBEs.
  void pump() {
    for (int round = 0; round < 50; ++round) {
      bool any = false;
      while (auto f = ch.poll_transmit()) {
        if (server) server->s.receive(framed(**f), now);
        any = true;
      }
      if (server) serve();
      while (server) {
        auto f = server->s.poll_transmit();
        if (!f) break;
        ch.receive(framed(**f), now);
        any = true;
      }
      collect();
      if (!any) break;
    }
  }
  void serve() {
    while (auto e = server->s.poll_event()) {
      if (auto* r = std::get_if<dso::RequestEvent>(&*e)) {
        auto v = dso::parse_message(r->message);
        auto sub = push::decode_subscribe(v->primary()->data);
        ASSERT_TRUE(sub.has_value());
        if (server->answer == Rcode::NOERROR) server->subs[r->id] = *sub;
        server->s.respond(r->id, server->answer, now, {}, server->retry);
      } else if (auto* u = std::get_if<dso::UnidirectionalEvent>(&*e)) {
        auto v = dso::parse_message(u->message);
        auto un = push::decode_unsubscribe(v->primary()->data);
        if (un && un->message_id) server->unsubscribed.push_back(*un->message_id);
      }
    }
  }
  void push(const std::vector<push::Change>& cs) {
    server->s.send_unidirectional(dso::make_frame(push_message(cs)), now);
    pump();
  }
  void collect() {
    while (auto e = ch.poll_event()) events.push_back(std::move(*e));
  }
  V record_events() {
    std::vector<RecordEvent> rs;
    for (const auto& e : only<SubscriptionEvent>(events)) rs.push_back(e.event);
    events.clear();
    return texts(rs);
  }
  void advance(Duration d) {
    now += d;
    if (auto t = ch.next_timeout(); t && *t <= now) ch.on_timeout(now);
    collect();
  }
  // The server's socket goes away without a word (a restart).
  void drop() {
    server.reset();
    ch.connection_lost("connection reset", now);
    collect();
  }
};

const wire::Record a1 = rr("p.example.test.", 60, "A", "192.0.2.1");
const wire::Record a2 = rr("p.example.test.", 60, "A", "192.0.2.2");
const wire::Record a3 = rr("p.example.test.", 60, "A", "192.0.2.3");

TEST_F(PushChannelTest, EstablishesWithKeepaliveThenSubscribesAndAppliesPushes) {
  ch.add(1, &set, now);
  collect();
  ASSERT_EQ(only<ChannelStatus>(events).at(0).state, ChanState::kConnecting);
  connect();
  EXPECT_TRUE(ch.established());
  ASSERT_EQ(server->subs.size(), 1u);
  EXPECT_EQ(server->subs.begin()->second.name.to_text(), "p.example.test.");
  EXPECT_EQ(only<SubscriptionStatus>(events).at(0).state, SubState::kSubscribed);
  events.clear();
  push({add(a1), add(a2), add(rr("other.example.test.", 60, "A", "192.0.2.9"))});
  EXPECT_EQ(record_events(),
            (V{"+ p.example.test. 60 A 192.0.2.1", "+ p.example.test. 60 A 192.0.2.2"}));
  push({del(a1)});
  EXPECT_EQ(record_events(), V{"- p.example.test. A 192.0.2.1"});
}

TEST_F(PushChannelTest, SeveralSubscriptionsShareTheSession) {
  RecordSet other(question("p.example.test.", "TXT"));
  ch.add(1, &set, now);
  ch.add(2, &other, now);
  connect();
  EXPECT_EQ(server->subs.size(), 2u);
  events.clear();
  push({add(a1), add(rr("p.example.test.", 60, "TXT", "\"t\""))});
  const auto subs = only<SubscriptionEvent>(events);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].id, 1u);
  EXPECT_EQ(subs[1].id, 2u);
}

TEST_F(PushChannelTest, ReconnectsWithBackoffAndReconcilesTheCache) {
  ch.add(1, &set, now);
  connect();
  push({add(a1), add(a2)});
  events.clear();

  drop();  // the server restarts
  auto st = only<SubscriptionStatus>(events);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, SubState::kSuspended);
  auto cs = only<ChannelStatus>(events);
  ASSERT_EQ(cs.back().state, ChanState::kDisconnected);
  EXPECT_EQ(*cs.back().retry_at, now + 1s);  // established before: back-off starts again
  events.clear();

  // The first attempt fails (still down): the next one is 2 s later.
  advance(1s);
  ch.connect_failed("connection refused", now);
  collect();
  EXPECT_EQ(*ch.connect_at(), now + 2s);
  advance(2s);

  // Back up; while we were away a2 was removed and a3 added.
  connect();
  EXPECT_EQ(server->subs.size(), 1u);  // re-subscribed
  push({add(a1), add(a3)});
  EXPECT_EQ(record_events(), V{"+ p.example.test. 60 A 192.0.2.3"});  // a1 stayed: no event
  advance(999ms);
  EXPECT_EQ(record_events(), V{});
  advance(1ms);  // the resync grace ends: what was not announced again is gone
  EXPECT_EQ(record_events(), V{"- p.example.test. A 192.0.2.2"});
  EXPECT_EQ(set.size(), 2u);
}

TEST_F(PushChannelTest, RecordsAgeWhileDisconnected) {
  ch.add(1, &set, now);
  connect();
  auto short_ttl = a1;
  short_ttl.ttl = 5;
  push({add(short_ttl)});
  events.clear();
  advance(1h);  // subscribed: the TTL does not run
  EXPECT_EQ(record_events(), V{});
  drop();
  events.clear();
  ch.connect_failed("refused", now + 1s);
  advance(5s);
  EXPECT_EQ(record_events(), V{"- p.example.test. A 192.0.2.1"});
}

TEST_F(PushChannelTest, NeverReconnectsBeforeTheRetryDelay) {
  ch.add(1, &set, now);
  connect();
  events.clear();
  // RFC 8490 §6.6.1: the server says go away for 30 s.
  server->s.retry_delay(30s, Rcode::NOERROR, now);
  pump();
  ASSERT_TRUE(ch.should_close());
  drop();
  EXPECT_TRUE(ch.wants_connection());
  EXPECT_EQ(*ch.connect_at(), now + 30s);
  // A failure after that still waits for the delay.
  ch.connect_failed("refused", now + 1s);
  EXPECT_EQ(*ch.connect_at(), now + 30s);
}

TEST_F(PushChannelTest, AfterARetryDelayTheNextSessionSubscribesAtOnce) {
  ch.add(1, &set, now);
  connect();
  ASSERT_EQ(server->subs.size(), 1u);
  events.clear();
  // The server shuts down gracefully (RFC 8490 §6.6.1); the connection just closes.
  server->s.retry_delay(5s, Rcode::NOERROR, now);
  pump();
  ASSERT_TRUE(ch.should_close());
  server.reset();
  // The channel's timers run up to the reconnect: the closed session takes no SUBSCRIBE
  // (it used to, failed, and held the subscription back a whole back-off step).
  advance(5s);
  connect();
  EXPECT_EQ(server->subs.size(), 1u);
  auto st = only<SubscriptionStatus>(events);
  ASSERT_FALSE(st.empty());
  EXPECT_EQ(st.back().state, SubState::kSubscribed);
}

TEST_F(PushChannelTest, RefusedIsRetriedAfterItsRetryDelayAndNotauthFails) {
  ch.add(1, &set, now);
  server = std::make_unique<FakeServer>(now);
  server->answer = Rcode::REFUSED;
  server->retry = 10s;
  ch.connected(now);
  pump();
  auto st = only<SubscriptionStatus>(events);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, SubState::kRetrying);
  EXPECT_EQ(*st[0].retry_at, now + 10s);
  events.clear();
  server->answer = Rcode::NOERROR;
  server->retry.reset();
  advance(9s);
  pump();
  EXPECT_TRUE(server->subs.empty());
  advance(1s);
  pump();
  EXPECT_EQ(server->subs.size(), 1u);

  RecordSet bad(question("p.elsewhere.test."));
  server->answer = Rcode::NOTAUTH;
  events.clear();
  ch.add(2, &bad, now);
  pump();
  st = only<SubscriptionStatus>(events);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].state, SubState::kFailed);
  EXPECT_EQ(st[0].rcode, Rcode::NOTAUTH);
  EXPECT_EQ(ch.subscriptions(), 1u);
}

TEST_F(PushChannelTest, UnsubscribeSendsTheMessageId) {
  ch.add(1, &set, now);
  connect();
  const auto id = server->subs.begin()->first;
  ch.remove(1, now);
  pump();
  EXPECT_EQ(server->unsubscribed, std::vector<std::uint16_t>{id});
  EXPECT_EQ(ch.subscriptions(), 0u);
}

// Removed while its SUBSCRIBE is on the way, then added again under the same id: the old
// one is unsubscribed when its answer comes, and the new one stays (only that entry goes).
TEST_F(PushChannelTest, RemovedBeforeTheAnswerThenAddedAgainKeepsTheNewOne) {
  ch.add(1, &set, now);
  connect();
  RecordSet other{question("q.example.test.")};
  ch.add(2, &other, now);  // SUBSCRIBE sent, not yet answered
  ch.remove(2, now);
  ch.add(2, &other, now);
  pump();
  ASSERT_EQ(server->unsubscribed.size(), 1u);
  EXPECT_EQ(ch.subscriptions(), 2u);
  const auto st = only<SubscriptionStatus>(events);
  ASSERT_FALSE(st.empty());
  EXPECT_EQ(st.back().id, 2u);
  EXPECT_EQ(st.back().state, SubState::kSubscribed);
}

TEST_F(PushChannelTest, AMalformedPushAbortsAndReconnects) {
  ch.add(1, &set, now);
  connect();
  events.clear();
  // RFC 8765 §6.3.1: TYPE ANY in an add is fatal for the session.
  auto bad = add(a1);
  bad.type = wire::RRType::ANY;
  push({bad});
  EXPECT_TRUE(ch.should_close());
  auto cs = only<ChannelStatus>(events);
  ASSERT_FALSE(cs.empty());
  EXPECT_EQ(cs.back().state, ChanState::kDisconnected);
  EXPECT_NE(cs.back().text.find("PUSH"), std::string::npos);
}

TEST_F(PushChannelTest, AServerWithoutDsoIsUnsupported) {
  ch.add(1, &set, now);
  server = std::make_unique<FakeServer>(now);
  ch.connected(now);
  // A plain DNS server answers the Keepalive with NOTIMP (RFC 8490 §5.1.1).
  auto req = ch.poll_transmit();
  ASSERT_TRUE(req.has_value());
  auto v = dso::parse_message(**req);
  auto resp = dso::MessageBuilder::response(v->id, Rcode::NOTIMP).finish();
  ch.receive(framed(*resp), now);
  collect();
  auto cs = only<ChannelStatus>(events);
  ASSERT_FALSE(cs.empty());
  EXPECT_EQ(cs.back().state, ChanState::kUnsupported);
  EXPECT_FALSE(ch.wants_connection());
}

}  // namespace
}  // namespace dnspush::client
