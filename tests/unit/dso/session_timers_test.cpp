// The DSO session timers (RFC 8490 §5.1.1, §6.2-§6.6, §7.1.1) with a fake clock.
#include <gtest/gtest.h>

#include "dso/session.hpp"
#include "dso_test_util.hpp"

namespace dnspush::dso {
namespace {

using namespace test;
using State = Session::State;
using wire::Rcode;

const Bytes kQuestion{3, 'w', 'w', 'w', 0, 0, 1, 0, 1};

Bytes ka_request(std::uint16_t id) {
  return request(id, {tlv(TlvType::KeepAlive, keepalive_data(15000, 15000))});
}

// Runs s's timers up to `until`; returns when it stopped being open (or `until`).
TimePoint run(Session& s, TimePoint from, TimePoint until) {
  TimePoint now = from;
  for (int i = 0; i < 100000 && s.state() == State::kOpen; ++i) {
    auto t = s.next_timeout();
    if (!t || *t > until) return until;
    now = std::max(now, *t);
    s.on_timeout(now);
    (void)sent(s);
  }
  return now;
}

// ---- server ----------------------------------------------------------------------------------

TEST(SessionTimers, ServerAbortsAnInactiveClientAtTwiceTheTimeout) {
  // §6.4.1: the client should close at 15 s; at max(5 s, 2 x 15 s) it is delinquent.
  Server srv;
  srv.establish(t0);
  EXPECT_EQ(run(srv.s, t0, t0 + 1h), t0 + 30s);
  auto c = closed(events(srv.s));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->reason, CloseReason::kInactivityDelinquent);
  EXPECT_TRUE(c->aborted);
}

TEST(SessionTimers, ServerDelinquencyIsAtLeastFiveSeconds) {
  SessionConfig c = server_config();
  c.timeouts.inactivity = Duration::zero();  // §6.4.2: "do not keep idle sessions"
  Server srv(c);
  srv.establish(t0);
  EXPECT_EQ(run(srv.s, t0, t0 + 1h), t0 + 5s);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kInactivityDelinquent);
}

TEST(SessionTimers, KeepaliveTrafficIsNotActivity) {
  // §7.1: a client sending Keepalives every 10 s but nothing else is still inactive.
  Server srv;
  srv.establish(t0);
  TimePoint now = t0;
  std::uint16_t id = 2;
  while (srv.s.state() == State::kOpen && now < t0 + 1h) {
    now += 10s;
    srv.s.on_timeout(now);
    if (srv.s.state() != State::kOpen) break;
    srv.feed(ka_request(id++), now);
    (void)sent(srv.s);
  }
  EXPECT_EQ(now, t0 + 30s);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kInactivityDelinquent);
}

TEST(SessionTimers, LongLivedOperationsKeepASessionActive) {
  // §6.3: a subscription is activity however quiet; the keepalive rule still applies, so
  // the client's keepalives keep it open for a day.
  Server srv;
  srv.establish(t0);
  srv.s.set_long_lived(1, t0);
  TimePoint now = t0;
  std::uint16_t id = 2;
  for (; now < t0 + 24h; now += 14s) {
    srv.s.on_timeout(now);
    ASSERT_EQ(srv.s.state(), State::kOpen) << (now - t0).count();
    srv.feed(ka_request(id++), now);
    (void)sent(srv.s);
  }
  // The last subscription ends: the inactivity rule is back, from that moment.
  srv.s.set_long_lived(0, now);
  EXPECT_EQ(run(srv.s, now, now + 1h), now + 30s);
}

TEST(SessionTimers, AnOwedAnswerIsActivity) {
  Server srv;
  srv.establish(t0);
  srv.feed(request(5, {tlv(TlvType::SUBSCRIBE, kQuestion)}), t0);
  // Keepalives keep it alive; the unanswered SUBSCRIBE keeps it active.
  TimePoint now = t0;
  for (std::uint16_t id = 10; now < t0 + 10min; now += 14s, ++id) {
    srv.s.on_timeout(now);
    ASSERT_EQ(srv.s.state(), State::kOpen);
    srv.feed(ka_request(id), now);
    (void)sent(srv.s);
  }
}

TEST(SessionTimers, ServerAbortsASilentClientAtTwiceTheKeepaliveInterval) {
  // §6.5.1: a client that left without closing (its subscription still counts).
  SessionConfig c = server_config();
  c.timeouts = {15s, 15s};
  Server srv(c);
  srv.establish(t0);
  srv.s.set_long_lived(1, t0);
  EXPECT_EQ(run(srv.s, t0, t0 + 1h), t0 + 30s);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kKeepaliveDelinquent);
}

TEST(SessionTimers, AnnouncedLongIntervalSparesApplesClient) {
  // Apple's client never sends Keepalive: with the announcement it keeps its session.
  SessionConfig c = server_config();
  c.timeouts = {std::chrono::seconds(15), std::chrono::minutes(60)};
  Server srv(c);
  auto es = srv.feed(request(1, {tlv(TlvType::SUBSCRIBE, kQuestion)}), t0);
  srv.s.respond(1, Rcode::NOERROR, t0);
  srv.s.set_long_lived(1, t0);
  EXPECT_EQ(sent(srv.s).size(), 2u);  // the response and the unidirectional Keepalive
  EXPECT_EQ(run(srv.s, t0, t0 + 3h), t0 + 120min);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kKeepaliveDelinquent);
}

TEST(SessionTimers, ServerGivesGraceAfterCuttingTheInactivityTimeout) {
  // §7.1.1: the client has been inactive 100 s under a 1-hour timeout; the server cuts it
  // to 10 s, so the client is at once past twice the new value. It gets max(5 s, 10 s / 4)
  // to close before the abort.
  SessionConfig c = server_config();
  c.timeouts = {std::chrono::hours(1), std::chrono::hours(1)};
  Server srv(c);
  srv.establish(t0);
  const TimePoint cut = t0 + 100s;
  srv.s.on_timeout(cut);
  ASSERT_EQ(srv.s.state(), State::kOpen);
  srv.s.set_timeouts(Timeouts{10s, std::chrono::hours(1)}, cut);
  EXPECT_EQ(sent(srv.s).size(), 1u);  // the unidirectional Keepalive
  EXPECT_EQ(run(srv.s, cut, cut + 1h), cut + 5s);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kInactivityDelinquent);
}

TEST(SessionTimers, InfiniteTimeoutsNeverFire) {
  SessionConfig c = server_config();
  c.timeouts = {kInfinite, kInfinite};
  Server srv(c);
  srv.establish(t0);
  EXPECT_FALSE(srv.s.next_timeout().has_value());
  srv.s.on_timeout(t0 + 24h * 365);
  EXPECT_EQ(srv.s.state(), State::kOpen);
}

TEST(SessionTimers, ServerAbortsAClientThatIgnoresRetryDelay) {
  Server srv;
  srv.establish(t0);
  srv.s.set_long_lived(1, t0);
  ASSERT_TRUE(srv.s.retry_delay(1h, Rcode::NOERROR, t0 + 1s));
  srv.s.on_timeout(t0 + 6s - 1ms);
  EXPECT_EQ(srv.s.state(), State::kOpen);
  srv.s.on_timeout(t0 + 6s);  // §6.6.1: five seconds to close
  EXPECT_EQ(srv.s.state(), State::kAborted);
  EXPECT_EQ(closed(events(srv.s))->reason, CloseReason::kRetryDelayIgnored);
}

// ---- client ----------------------------------------------------------------------------------

TEST(SessionTimers, ClientClosesAtTheInactivityTimeout) {
  Client cl;
  cl.establish(20000, 60000, t0);
  EXPECT_EQ(run(cl.s, t0, t0 + 1h), t0 + 20s);
  auto c = closed(events(cl.s));
  EXPECT_EQ(c->reason, CloseReason::kInactive);
  EXPECT_FALSE(c->aborted);  // §6.4.1: gracefully
  EXPECT_EQ(cl.s.state(), State::kClosed);
}

TEST(SessionTimers, ClientClosesAtOnceWhenTheNewTimeoutIsAlreadyPast) {
  // §7.1.1: inactive for 40 s under a 1-hour timeout; the server announces 30 s.
  Client cl;
  cl.establish(3600000, 3600000, t0);
  cl.feed(unidirectional({tlv(TlvType::KeepAlive, keepalive_data(30000, 3600000))}), t0 + 40s);
  EXPECT_EQ(cl.s.next_timeout(), t0 + 30s);
  cl.s.on_timeout(t0 + 40s);
  EXPECT_EQ(cl.s.state(), State::kClosed);
}

TEST(SessionTimers, ClientSendsKeepalivesAndFollowsTheServer) {
  // A subscription keeps the session active; the server grants a 20 s keepalive interval.
  SessionConfig sc = server_config();
  sc.timeouts = {15s, 20s};
  Pair p(sc);
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  p.pump();
  p.server.respond(*id, Rcode::NOERROR, p.now);
  p.server.set_long_lived(1, p.now);
  p.pump();
  ASSERT_EQ(p.client.timeouts().keepalive, 20s);
  const std::size_t before = p.server_events.size();
  p.run_until(p.now + 10min);
  EXPECT_EQ(p.client.state(), State::kOpen);
  EXPECT_EQ(p.server.state(), State::kOpen);
  // One Keepalive every 20 s (each answered: a TimeoutsEvent on the server per request).
  const auto ts = only<TimeoutsEvent>(std::vector<Event>(
      p.server_events.begin() + static_cast<long>(before), p.server_events.end()));
  EXPECT_EQ(ts.size(), 30u);
}

TEST(SessionTimers, ClientAbortsWhenItsKeepaliveGoesUnanswered) {
  Client cl;
  cl.establish(15000, 20000, t0);
  cl.s.set_long_lived(1, t0);
  cl.s.on_timeout(t0 + 20s);
  auto out = sent(cl.s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse_message(out[0])->primary()->type, TlvType::KeepAlive);
  cl.s.on_timeout(t0 + 40s - 1ms);
  EXPECT_EQ(cl.s.state(), State::kOpen);
  cl.s.on_timeout(t0 + 40s);
  EXPECT_EQ(cl.s.state(), State::kAborted);
  EXPECT_EQ(closed(events(cl.s))->reason, CloseReason::kPeerSilent);
}

TEST(SessionTimers, ClientGivesUpOnEstablishmentAfterThirtySeconds) {
  // §5.1.1: no response to the DSO request within 30 s.
  Client cl;
  cl.s.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, t0);
  EXPECT_EQ(cl.s.next_timeout(), t0 + 30s);
  EXPECT_EQ(run(cl.s, t0, t0 + 1h), t0 + 30s);
  EXPECT_EQ(closed(events(cl.s))->reason, CloseReason::kEstablishmentTimeout);
  EXPECT_EQ(cl.s.state(), State::kAborted);
}

TEST(SessionTimers, ClientIdleBeforeDsoClosesLikeRfc7766) {
  SessionConfig c = client_config();
  c.idle_timeout = 5s;
  Client cl(c);
  EXPECT_EQ(run(cl.s, t0, t0 + 1h), t0 + 5s);
  EXPECT_EQ(closed(events(cl.s))->reason, CloseReason::kIdleTimeout);
}

}  // namespace
}  // namespace dnspush::dso
