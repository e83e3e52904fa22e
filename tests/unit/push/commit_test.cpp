// PUSH from commits (RFC 8765 §6.3.1): what each session receives for a commit.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <set>

#include "push/push_worker.hpp"
#include "push_test_util.hpp"

namespace dnspush::push {
namespace {

using test::Bytes;
using test::for_session;
using test::subscribe_data;
using test::t0;
using wire::Rcode;
using wire::RRClass;
using wire::RRType;
using Strings = std::vector<std::string>;

constexpr SessionId kS{1};
constexpr SessionId kT{2};
constexpr SessionId kU{3};

struct Fixture {
  test::Zones zones;
  PushWorker worker;
  std::uint16_t next_id = 1;

  explicit Fixture(PushConfig cfg = {}) : worker(std::move(cfg)) {}

  std::vector<SharedBytes> subscribe(SessionId s, std::string_view n, RRType t,
                                     RRClass c = RRClass::IN) {
    const auto r = worker.subscribe(s, next_id++, subscribe_data(n, t, c), zones.now(), t0);
    EXPECT_EQ(r.rcode, Rcode::NOERROR) << n << " " << r.reason;
    return r.initial_push;
  }
  std::vector<Delivery> commit(std::string_view removed, std::string_view added,
                               std::string_view origin = "example.com.") {
    auto c = zones.commit(removed, added, origin);
    return c ? worker.on_commit(*c) : std::vector<Delivery>{};
  }
};

SessionOptions per_record() {
  SessionOptions o;
  o.deletes = DeletePolicy::kPerRecord;
  return o;
}

TEST(PushCommit, AddsCarryTheirTtl) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  const auto ds = f.commit("", "www 120 A 192.0.2.12\nwww 120 AAAA 2001:db8::12");
  // Adding to an RRset gives it the new TTL (RFC 2181 §5.2, Zone::apply): every record of
  // the set is sent with it; the AAAA is not subscribed.
  EXPECT_EQ(
      test::describe(for_session(ds, kS)),
      (Strings{"add www.example.com. A 120 192.0.2.10", "add www.example.com. A 120 192.0.2.11",
               "add www.example.com. A 120 192.0.2.12"}));
  const auto same_ttl = f.commit("", "www 120 A 192.0.2.13");
  EXPECT_EQ(test::describe(for_session(same_ttl, kS)),
            (Strings{"add www.example.com. A 120 192.0.2.13"}));
}

TEST(PushCommit, SingleDeleteCarriesTheFullRdata) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  const auto ds = f.commit("www 300 A 192.0.2.10", "");
  const auto msgs = for_session(ds, kS);
  EXPECT_EQ(test::describe(msgs), (Strings{"del www.example.com. A 192.0.2.10"}));
  // By hand: TTL 0xFFFFFFFF, RDLEN 4, the address.
  const Bytes& m = *msgs.at(0);
  ASSERT_EQ(m.size(), 16u + 17 + 10 + 4);
  EXPECT_EQ(Bytes(m.begin() + 16 + 17 + 4, m.end()),
            (Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0, 4, 192, 0, 2, 10}));
}

TEST(PushCommit, AWholeRRsetGoingIsOneCollectiveDelete) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  f.worker.set_session_options(kT, per_record());
  f.subscribe(kT, "www.example.com.", RRType::A);
  const auto ds = f.commit("www 300 A 192.0.2.10\nwww 300 A 192.0.2.11", "");
  const auto compact = for_session(ds, kS);
  EXPECT_EQ(test::describe(compact), (Strings{"del-rrset www.example.com. A"}));
  // By hand: TYPE A, CLASS IN, TTL 0xFFFFFFFE, RDLEN 0.
  const Bytes& m = *compact.at(0);
  ASSERT_EQ(m.size(), 16u + 17 + 10);
  EXPECT_EQ(Bytes(m.begin() + 33, m.end()), (Bytes{0, 1, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0}));
  // Apple's client ignores collective deletes: per-record policy names each record.
  EXPECT_EQ(test::describe(for_session(ds, kT)),
            (Strings{"del www.example.com. A 192.0.2.10", "del www.example.com. A 192.0.2.11"}));
}

TEST(PushCommit, AWholeNameGoingIsOneNameDelete) {
  Fixture f;
  const std::string_view inst = "printer1._ipp._tcp.example.com.";
  f.subscribe(kS, inst, RRType::ANY);  // every type
  f.subscribe(kT, inst, RRType::SRV);  // the RFC's example: SRV and TXT
  f.subscribe(kT, inst, RRType::TXT);
  f.subscribe(kU, inst, RRType::SRV);  // SRV only: TXT is not its business
  f.worker.set_session_options(SessionId{4}, per_record());
  f.subscribe(SessionId{4}, inst, RRType::ANY);
  const auto ds = f.commit(
      "printer1._ipp._tcp 300 SRV 0 0 631 printer1\nprinter1._ipp._tcp 300 TXT \"txtvers=1\"", "");
  const auto any = for_session(ds, kS);
  EXPECT_EQ(test::describe(any), (Strings{"del-name printer1._ipp._tcp.example.com."}));
  // By hand: TYPE 0, CLASS ANY (255), TTL 0xFFFFFFFE, RDLEN 0 (§6.3.1).
  const Bytes& m = *any.at(0);
  EXPECT_EQ(Bytes(m.end() - 10, m.end()), (Bytes{0, 0, 0, 255, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0}));
  EXPECT_EQ(test::describe(for_session(ds, kT)),
            (Strings{"del-name printer1._ipp._tcp.example.com."}));
  EXPECT_EQ(test::describe(for_session(ds, kU)),
            (Strings{"del-rrset printer1._ipp._tcp.example.com. SRV"}));
  EXPECT_EQ(test::describe(for_session(ds, SessionId{4})),
            (Strings{"del printer1._ipp._tcp.example.com. SRV 0 0 631 printer1.example.com.",
                     "del printer1._ipp._tcp.example.com. TXT \"txtvers=1\""}));
}

TEST(PushCommit, AReplacedRRsetEndsRight) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  f.worker.set_session_options(kT, per_record());
  f.subscribe(kT, "www.example.com.", RRType::A);
  const auto ds = f.commit("www 300 A 192.0.2.10\nwww 300 A 192.0.2.11",
                           "www 300 A 192.0.2.20\nwww 300 A 192.0.2.21");
  // Deletes before adds, so the client ends with exactly the new set.
  EXPECT_EQ(test::describe(for_session(ds, kS)),
            (Strings{"del-rrset www.example.com. A", "add www.example.com. A 300 192.0.2.20",
                     "add www.example.com. A 300 192.0.2.21"}));
  EXPECT_EQ(
      test::describe(for_session(ds, kT)),
      (Strings{"del www.example.com. A 192.0.2.10", "del www.example.com. A 192.0.2.11",
               "add www.example.com. A 300 192.0.2.20", "add www.example.com. A 300 192.0.2.21"}));
  // One record of a large set changed: single delete and add are smaller than a re-send.
  const auto one = f.commit("www 300 A 192.0.2.20", "www 300 A 192.0.2.22");
  EXPECT_EQ(
      test::describe(for_session(one, kS)),
      (Strings{"del www.example.com. A 192.0.2.20", "add www.example.com. A 300 192.0.2.22"}));
}

TEST(PushCommit, TtlChangeIsSentAsAdds) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  // As zone::diff writes a TTL change: the record removed and added again.
  const auto ds = f.commit("www 300 A 192.0.2.10", "www 600 A 192.0.2.10");
  // No delete: the record stays; every record of the set is sent with the new TTL, in the
  // zone's order (the removed-and-added one last).
  EXPECT_EQ(
      test::describe(for_session(ds, kS)),
      (Strings{"add www.example.com. A 600 192.0.2.11", "add www.example.com. A 600 192.0.2.10"}));
}

TEST(PushCommit, ARecordRemovedAndAddedAgainIsNoChange) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  EXPECT_TRUE(f.commit("www 300 A 192.0.2.10", "www 300 A 192.0.2.10").empty());
}

TEST(PushCommit, CoalescedPerSessionAndEachRecordOnce) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  f.subscribe(kS, "www.example.com.", RRType::ANY);  // the A records match both
  f.subscribe(kS, "printer1.example.com.", RRType::A);
  const auto ds = f.commit("www 300 A 192.0.2.10",
                           "www 300 AAAA 2001:db8::11\nprinter1 300 A 192.0.2.51\nns1 300 A "
                           "192.0.2.2");
  // §6.3.1: one PUSH for the session, the deleted A once, names in the changeset's order.
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(
      test::describe(for_session(ds, kS)),
      (Strings{"del www.example.com. A 192.0.2.10", "add www.example.com. AAAA 300 2001:db8::11",
               "add printer1.example.com. A 300 192.0.2.51"}));
}

TEST(PushCommit, TypeSubscriptionsSeeOnlyTheirType) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);
  f.subscribe(kT, "www.example.com.", RRType::ANY, RRClass::ANY);
  const auto ds = f.commit("", "www 300 AAAA 2001:db8::11");
  EXPECT_TRUE(for_session(ds, kS).empty());
  EXPECT_EQ(test::describe(for_session(ds, kT)),
            (Strings{"add www.example.com. AAAA 300 2001:db8::11"}));
}

TEST(PushCommit, TheApexSoaChangesWithEveryCommit) {
  Fixture f;
  const auto initial = f.subscribe(kS, "example.com.", RRType::SOA);
  ASSERT_EQ(test::describe(initial).size(), 1u);
  const auto ds = f.commit("", "www 300 A 192.0.2.12");
  const auto got = test::describe(for_session(ds, kS));
  // A one-record RRset replaced: the RRset delete and one add are the smaller encoding.
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "del-rrset example.com. SOA");
  EXPECT_EQ(got[1].rfind("add example.com. SOA 300 ns1.example.com. hostmaster.example.com. 2 ", 0),
            0u)
      << got[1];
}

TEST(PushCommit, SharedEncodingsAreTheSameObject) {
  Fixture f;
  for (std::uint64_t s = 10; s < 20; ++s)
    f.subscribe(SessionId{s}, "_ipp._tcp.example.com.", RRType::PTR);
  SessionOptions padded;
  padded.pad = true;
  f.worker.set_session_options(SessionId{20}, padded);
  f.subscribe(SessionId{20}, "_ipp._tcp.example.com.", RRType::PTR);
  f.subscribe(SessionId{21}, "_ipp._tcp.example.com.", RRType::PTR);
  f.subscribe(SessionId{21}, "printer2._ipp._tcp.example.com.", RRType::ANY);
  const auto ds = f.commit("",
                           "_ipp._tcp 300 PTR printer2._ipp._tcp\nprinter2._ipp._tcp 300 SRV 0 0 "
                           "631 printer2");
  ASSERT_EQ(ds.size(), 12u);
  const SharedBytes shared = for_session(ds, SessionId{10}).at(0);
  for (std::uint64_t s = 11; s < 20; ++s)
    EXPECT_EQ(for_session(ds, SessionId{s}).at(0).get(), shared.get()) << s;  // one buffer
  const SharedBytes pad = for_session(ds, SessionId{20}).at(0);
  const SharedBytes more = for_session(ds, SessionId{21}).at(0);
  EXPECT_NE(pad.get(), shared.get());
  EXPECT_NE(more.get(), shared.get());
  EXPECT_EQ(pad->size() % kPaddingBlock, 0u);
  EXPECT_EQ(test::describe({pad}), test::describe({shared}));
  EXPECT_EQ(test::describe({more}).size(), 2u);
  EXPECT_EQ(f.worker.counters().encodings, 3u);
  EXPECT_EQ(f.worker.counters().messages - 12 /* initial pushes */, 12u);
  // Initial PUSHes of the same (name, type, class) at one version are shared too.
  EXPECT_GE(f.worker.counters().initial_pushes_shared, 9u);
}

TEST(PushCommit, ALargeChangeIsSplitWithoutSplittingRecords) {
  Fixture f;
  SessionOptions apple = per_record();
  apple.max_message = 8940;
  f.worker.set_session_options(kT, apple);
  test::ClientModel at_16k, at_apple;
  at_16k.apply(f.subscribe(kS, "_ipp._tcp.example.com.", RRType::PTR).at(0), false);
  at_apple.apply(f.subscribe(kT, "_ipp._tcp.example.com.", RRType::PTR).at(0), false);
  std::string added;
  for (int i = 0; i < 1500; ++i)
    added += "_ipp._tcp 300 PTR Printer\\032number\\032" + std::to_string(i) + "._ipp._tcp\n";
  const auto ds = f.commit("_ipp._tcp 300 PTR printer1._ipp._tcp", added);
  const auto big = for_session(ds, kS), small = for_session(ds, kT);
  ASSERT_GT(big.size(), 1u);
  ASSERT_GT(small.size(), big.size());
  for (const auto& m : big) EXPECT_LE(m->size(), kMaxPushMessage);
  for (const auto& m : small) EXPECT_LE(m->size(), 8940u);
  // The order holds across messages: the delete first, then the adds as the zone has them.
  const auto all = test::describe(small);
  ASSERT_EQ(all.size(), 1501u);
  EXPECT_EQ(all[0], "del _ipp._tcp.example.com. PTR printer1._ipp._tcp.example.com.");
  EXPECT_EQ(all[1],
            "add _ipp._tcp.example.com. PTR 300 Printer\\032number\\0320._ipp._tcp.example.com.");
  auto compact = test::describe(big);
  ASSERT_EQ(compact.size(), 1501u);
  EXPECT_EQ(compact[0], "del-rrset _ipp._tcp.example.com. PTR");  // every old record went
  EXPECT_TRUE(std::equal(compact.begin() + 1, compact.end(), all.begin() + 1));
  for (const auto& m : big) ASSERT_TRUE(at_16k.apply(m, true)) << at_16k.error();
  for (const auto& m : small) ASSERT_TRUE(at_apple.apply(m, true)) << at_apple.error();
  const auto want = test::ClientModel::expected(*f.zones.zone(),
                                                {test::sub("_ipp._tcp.example.com.", RRType::PTR)});
  EXPECT_EQ(at_16k.records(), want);
  EXPECT_EQ(at_apple.records(), want);
}

TEST(PushCommit, SubscriptionsSkipCommitsTheirSnapshotAlreadyHad) {
  Fixture f;
  // The writer commits (version 1) and publishes the catalogue; the commit is still on its
  // way to this worker when the SUBSCRIBE reads the catalogue.
  const auto c1 = f.zones.commit("", "www 300 A 192.0.2.12");
  const auto initial = f.subscribe(kS, "www.example.com.", RRType::A);
  EXPECT_EQ(test::describe(initial).size(), 3u);  // .12 is already there
  EXPECT_TRUE(f.worker.on_commit(*c1).empty());   // so commit 1 is not pushed again
  const auto c2 = f.zones.commit("", "www 300 A 192.0.2.13");
  EXPECT_EQ(test::describe(for_session(f.worker.on_commit(*c2), kS)),
            (Strings{"add www.example.com. A 300 192.0.2.13"}));
  // A commit delivered twice (or out of order) is ignored.
  EXPECT_TRUE(f.worker.on_commit(*c2).empty());
  EXPECT_TRUE(f.worker.on_commit(*c1).empty());
  EXPECT_EQ(f.worker.counters().commits_out_of_order, 2u);
}

TEST(PushCommit, DeletesReachASessionWhoseNewerSubscriptionNeverHadTheRecord) {
  Fixture f;
  f.subscribe(kS, "www.example.com.", RRType::A);  // version 0
  const auto c1 = f.zones.commit("www 300 A 192.0.2.10", "");
  f.subscribe(kS, "www.example.com.", RRType::ANY);  // version 1: already without .10
  // The A subscription (version 0) still needs the delete: the client has .10 from it.
  EXPECT_EQ(test::describe(for_session(f.worker.on_commit(*c1), kS)),
            (Strings{"del www.example.com. A 192.0.2.10"}));
}

TEST(PushCommit, CancellingTheOlderOfTwoOverlappingSubscriptionsKeepsTheCacheRight) {
  Fixture f;
  test::ClientModel client;
  for (const auto& m : f.subscribe(kS, "www.example.com.", RRType::A)) client.apply(m, false);
  const std::uint16_t a_id = f.next_id - 1;
  const auto c1 = f.zones.commit("www 300 A 192.0.2.10", "");  // on its way to the worker
  for (const auto& m : f.subscribe(kS, "www.example.com.", RRType::ANY)) client.apply(m, false);
  // The A subscription would have carried commit 1's delete; the client cancels it first.
  ASSERT_EQ(f.worker.unsubscribe(kS, Bytes{0, static_cast<std::uint8_t>(a_id)}),
            UnsubscribeResult::kRemoved);
  client.prune({test::sub("www.example.com.", RRType::ANY)});
  // The ANY subscription takes the commit over, so .10 does not stay in the cache.
  for (const auto& m : for_session(f.worker.on_commit(*c1), kS))
    ASSERT_TRUE(client.apply(m, false));
  EXPECT_EQ(client.records(), test::ClientModel::expected(
                                  *f.zones.zone(), {test::sub("www.example.com.", RRType::ANY)}));
}

TEST(PushCommit, AParentCommitDoesNotPushToAChildApexSubscription) {
  Fixture f;
  f.zones.add_zone(
      "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 60\n@ NS ns\nns A 192.0.2.53\n",
      "sub.example.com.");
  f.subscribe(kS, "sub.example.com.", RRType::NS);          // the child zone's apex: allowed
  EXPECT_TRUE(f.commit("", "sub 300 NS ns2.sub").empty());  // the parent's delegation
  EXPECT_EQ(test::describe(for_session(f.commit("", "@ 300 NS ns2", "sub.example.com."), kS)),
            (Strings{"add sub.example.com. NS 300 ns2.sub.example.com."}));
}

TEST(PushCommit, PaddedSessionsGetBlocksOf468) {
  Fixture f;
  SessionOptions o;
  o.pad = true;
  f.worker.set_session_options(kS, o);
  const auto initial = f.subscribe(kS, "www.example.com.", RRType::A);
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0]->size(), kPaddingBlock);
  const auto ds = f.commit("", "www 300 A 192.0.2.12");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].message->size(), kPaddingBlock);
}

// A subscriber neither misses nor repeats a change: commits reach the worker late and
// interleave with SUBSCRIBEs reading newer catalogues; each client applies its initial
// PUSH and then every delivery strictly (a repeated add or a delete of something it lacks
// fails), and in the end holds exactly what its subscriptions see in the zone.
TEST(PushCommit, InterleavedCommitsAndSubscribesNeitherMissNorRepeat) {
  for (const DeletePolicy policy : {DeletePolicy::kCompact, DeletePolicy::kPerRecord}) {
    Fixture f;
    std::mt19937 rng(policy == DeletePolicy::kCompact ? 11 : 12);
    const std::vector<std::string> names = {"a", "b", "c", "d"};
    const std::vector<RRType> types = {RRType::A, RRType::TXT, RRType::ANY};
    struct Client {
      test::ClientModel model;
      std::vector<Subscribe> subs;
      std::set<std::string> names;  // one subscription per name (see the test above)
    };
    std::map<std::uint64_t, Client> clients;
    std::deque<zone::CommitPtr> in_flight;
    auto deliver = [&] {
      const auto ds = f.worker.on_commit(*in_flight.front());
      in_flight.pop_front();
      for (const auto& d : ds) {
        auto& c = clients[static_cast<std::uint64_t>(d.session)];
        ASSERT_TRUE(c.model.apply(d.message, true)) << c.model.error();
      }
    };
    for (int step = 0; step < 1500; ++step) {
      const int op = static_cast<int>(rng() % 10);
      if (op < 4) {
        // A change at a random name: add or remove an A or TXT record.
        const auto& n = names[rng() % names.size()];
        const auto z = f.zones.zone();
        const zone::Node* node = z->find(test::name(n + ".example.com."));
        const bool remove = node && !node->empty() && rng() % 2;
        std::string removed, added;
        if (remove) {
          const auto& set = node->rrsets()[rng() % node->rrsets().size()];
          const auto& rd = set.rdatas[rng() % set.rdatas.size()];
          removed = n + " " + std::to_string(set.ttl) + " " + wire::to_text(set.type) + " " +
                    wire::rdata_to_text(set.type, rd);
        } else {
          const int v = static_cast<int>(rng() % 6);
          const int ttl = rng() % 4 == 0 ? 60 : 300;  // sometimes a TTL change
          added = rng() % 2 ? n + " " + std::to_string(ttl) + " A 192.0.2." + std::to_string(v)
                            : n + " " + std::to_string(ttl) + " TXT \"v" + std::to_string(v) + "\"";
        }
        if (auto c = f.zones.commit(removed, added)) in_flight.push_back(c);
      } else if (op < 7 && !in_flight.empty()) {
        deliver();
      } else {
        const std::uint64_t s = rng() % 6;
        auto& c = clients[s];
        const auto& n = names[rng() % names.size()];
        if (c.names.count(n)) continue;
        if (c.subs.empty()) {
          SessionOptions o;
          o.deletes = policy;
          f.worker.set_session_options(SessionId{s}, o);
        }
        const Subscribe key = test::sub(n + ".example.com.", types[rng() % types.size()]);
        const auto r = f.worker.subscribe(SessionId{s}, static_cast<std::uint16_t>(step + 1),
                                          test::subscribe_data(key), f.zones.now(), t0);
        ASSERT_EQ(r.rcode, Rcode::NOERROR);
        for (const auto& m : r.initial_push) ASSERT_TRUE(c.model.apply(m, false));
        c.subs.push_back(key);
        c.names.insert(n);
      }
      if (in_flight.empty()) {
        for (auto& [s, c] : clients)
          ASSERT_EQ(c.model.records(), test::ClientModel::expected(*f.zones.zone(), c.subs))
              << "session " << s << " step " << step;
      }
    }
    while (!in_flight.empty()) deliver();
    for (auto& [s, c] : clients)
      EXPECT_EQ(c.model.records(), test::ClientModel::expected(*f.zones.zone(), c.subs)) << s;
    EXPECT_TRUE(f.worker.index().check());
    EXPECT_GT(f.worker.counters().commits, 300u);
  }
}

}  // namespace
}  // namespace dnspush::push
