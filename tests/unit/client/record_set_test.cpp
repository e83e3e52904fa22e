// The live cache of one subscription (RFC 8765 §6.3.1): change notifications, TTLs that
// stand still while subscribed and run again when not, and reconciliation after a
// reconnect and on a complete answer.
#include "client/record_set.hpp"

#include <gtest/gtest.h>

#include "client_test_util.hpp"

namespace dnspush::client {
namespace {

using namespace test;
using V = std::vector<std::string>;

struct RecordSetTest : ::testing::Test {
  RecordSet set{question("p.example.test.")};
  std::vector<RecordEvent> out;
  V take() {
    V v = texts(out);
    out.clear();
    return v;
  }
  void apply(const push::Change& c, TimePoint at = t0) { set.apply(c, at, out); }
};

const wire::Record a1 = rr("p.example.test.", 60, "A", "192.0.2.1");
const wire::Record a2 = rr("p.example.test.", 60, "A", "192.0.2.2");
const wire::Record a3 = rr("p.example.test.", 60, "A", "192.0.2.3");

TEST_F(RecordSetTest, EachKindOfChangeNotificationBecomesEvents) {
  apply(add(a1));
  apply(add(a2));
  EXPECT_EQ(take(), (V{"+ p.example.test. 60 A 192.0.2.1", "+ p.example.test. 60 A 192.0.2.2"}));
  apply(add(a1));  // the same record with the same TTL: no news
  EXPECT_EQ(take(), V{});
  auto longer = a1;
  longer.ttl = 999;
  apply(add(longer));  // a TTL change is pushed as an add (RFC 8765 §6.3.1)
  EXPECT_EQ(take(), V{"+ p.example.test. 999 A 192.0.2.1"});
  apply(del(a2));
  EXPECT_EQ(take(), V{"- p.example.test. A 192.0.2.2"});
  apply(add(a2));
  apply(del_rrset("p.example.test.", wire::RRType::A));
  EXPECT_EQ(take(), (V{"+ p.example.test. 60 A 192.0.2.2", "- p.example.test. A 192.0.2.1",
                       "- p.example.test. A 192.0.2.2"}));
  apply(add(a3));
  apply(del_name("p.example.test."));
  EXPECT_EQ(take(), (V{"+ p.example.test. 60 A 192.0.2.3", "- p.example.test. A 192.0.2.3"}));
  EXPECT_EQ(set.size(), 0u);
}

TEST_F(RecordSetTest, ChangesForOtherNamesAndTypesAreNotOurs) {
  apply(add(rr("q.example.test.", 60, "A", "192.0.2.9")));
  apply(add(rr("p.example.test.", 60, "TXT", "\"x\"")));
  apply(del_name("q.example.test."));
  EXPECT_EQ(take(), V{});
  RecordSet any(question("p.example.test.", "ANY"));
  any.apply(add(rr("p.example.test.", 60, "TXT", "\"x\"")), t0, out);
  EXPECT_EQ(take(), V{"+ p.example.test. 60 TXT \"x\""});
}

TEST_F(RecordSetTest, TtlsStandStillWhileSubscribedAndRunOnceSuspended) {
  apply(add(a1));
  auto b = a2;
  b.ttl = 30;
  apply(add(b));
  take();
  set.set_live();
  EXPECT_EQ(set.next_timeout(), std::nullopt);  // RFC 8765 §6.3.1: no aging while live
  set.on_timeout(t0 + 24h, out);
  EXPECT_EQ(set.records(t0 + 24h).front().ttl, 60u);
  EXPECT_EQ(take(), V{});

  set.suspend(t0 + 100s);  // the session was lost: aging resumes from here
  EXPECT_EQ(set.next_timeout(), t0 + 130s);
  EXPECT_EQ(set.records(t0 + 110s).back().ttl, 20u);
  set.on_timeout(t0 + 129s, out);
  EXPECT_EQ(take(), V{});
  set.on_timeout(t0 + 130s, out);
  EXPECT_EQ(take(), V{"- p.example.test. A 192.0.2.2"});
  set.on_timeout(t0 + 160s, out);
  EXPECT_EQ(take(), V{"- p.example.test. A 192.0.2.1"});
}

TEST_F(RecordSetTest, ResyncAfterReconnectRemovesWhatWasNotAnnouncedAgain) {
  apply(add(a1));
  apply(add(a2));
  take();
  set.suspend(t0 + 1s);
  // Reconnected 5 s later: the new initial answer has a1 and a3 (a2 was removed while
  // we were away; a3 added).
  set.begin_resync(t0 + 7s);
  apply(add(a1), t0 + 6s);
  apply(add(a3), t0 + 6s);
  EXPECT_EQ(take(), V{"+ p.example.test. 60 A 192.0.2.3"});  // a1 stayed: no event
  EXPECT_EQ(set.next_timeout(), t0 + 7s);
  set.on_timeout(t0 + 7s, out);
  EXPECT_EQ(take(), V{"- p.example.test. A 192.0.2.2"});
  EXPECT_FALSE(set.resyncing());
  EXPECT_EQ(set.next_timeout(), std::nullopt);  // live: nothing ages
  EXPECT_EQ(set.size(), 2u);
}

TEST_F(RecordSetTest, ADeleteDuringResyncIsAppliedAtOnce) {
  apply(add(a1));
  apply(add(a2));
  take();
  set.begin_resync(t0 + 1s);
  apply(del(a1));
  EXPECT_EQ(take(), V{"- p.example.test. A 192.0.2.1"});
  apply(add(a2));
  set.on_timeout(t0 + 1s, out);
  EXPECT_EQ(take(), V{});
}

TEST_F(RecordSetTest, ReplaceReportsTheDifference) {
  apply(add(a1));
  apply(add(a2));
  take();
  auto a1_ttl = a1;
  a1_ttl.ttl = 5;
  const std::vector<wire::Record> full = {a1_ttl, a3};
  set.replace(full, out);
  EXPECT_EQ(take(), (V{"- p.example.test. A 192.0.2.2", "+ p.example.test. 5 A 192.0.2.1",
                       "+ p.example.test. 60 A 192.0.2.3"}));
  set.replace(full, out);
  EXPECT_EQ(take(), V{});
}

TEST(RecordSetBound, AddsPastTheBoundAreDroppedAndCounted) {
  RecordSet set(question("p.example.test."), 2);
  std::vector<RecordEvent> out;
  for (int i = 1; i <= 4; ++i)
    set.apply(add(rr("p.example.test.", 60, "A", "192.0.2." + std::to_string(i))), t0, out);
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.dropped(), 2u);
  EXPECT_EQ(out.size(), 2u);
}

}  // namespace
}  // namespace dnspush::client
