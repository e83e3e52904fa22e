// Counts heap allocations on the UDP query path in steady state (issue: zero per query).
// This executable replaces the global operator new/delete with counting versions
// (counting_new.hpp), which is why it is not part of unit_auth. It drives exactly what
// io::UdpListener's fast path does per datagram: Message::parse_into a per-thread message, then
// Responder::respond into the socket slot's reused answer buffer (server::Dispatcher::fast adds
// only checks on the parsed message).
#include <vector>

#include <gtest/gtest.h>

#include "../unit/auth/auth_fixture.hpp"
#include "auth/responder.hpp"
#include "counting_new.hpp"
#include "wire/message.hpp"

namespace dnspush::auth::test {
namespace {

struct Case {
  const char* name;
  const char* qname;
  RRType qtype;
  bool edns;
};

// The guard that the replacement is in effect: without it every test here passes vacuously.
TEST(AllocationCounter, SeesAnAllocation) {
  ::dnspush::test::alloc::start_counting();
  auto* p = new std::vector<int>(3);
  const long n = ::dnspush::test::alloc::stop_counting();
  delete p;
  EXPECT_EQ(n, 2) << "the vector object and its elements";
}

// One case's responder, query and the buffers the UDP listener reuses between queries.
class QueryAllocations : public ::testing::TestWithParam<Case> {
 protected:
  QueryAllocations() : c(GetParam()) {
    responder.set_catalogue(catalogue_of({example_zone(), kid_zone()}));
    QueryOptions o;
    if (c.edns) o.edns = edns(1232);
    query = make_query(c.qname, c.qtype, o);
    ctx.transport = Transport::kUdp;
  }

  const Case& c;
  Responder responder;
  Bytes query;
  QueryContext ctx;
  std::vector<std::uint8_t> answer;  // the socket slot's buffer, reused
  wire::Message scratch;
};

TEST_P(QueryAllocations, NoneInSteadyState) {
  auto answer_once = [&] {
    ASSERT_TRUE(wire::Message::parse_into(query, scratch).has_value());
    ASSERT_TRUE(responder.respond(scratch, ctx, answer));
  };
  for (int i = 0; i < 3; ++i) answer_once();  // warm: capacities and the thread's cache
  const auto reference = answer;
  ASSERT_GT(reference.size(), 12u);

  ::dnspush::test::alloc::start_counting();
  for (int i = 0; i < 100; ++i) answer_once();
  EXPECT_EQ(::dnspush::test::alloc::stop_counting(), 0) << c.name;
  EXPECT_EQ(answer, reference) << "the same answer every time";

  // A new catalogue is picked up by the next query, once, and then costs nothing again.
  responder.set_catalogue(catalogue_of({example_zone()}));
  answer_once();
  ::dnspush::test::alloc::start_counting();
  for (int i = 0; i < 10; ++i) answer_once();
  EXPECT_EQ(::dnspush::test::alloc::stop_counting(), 0) << c.name << " after a catalogue change";
}

// The server's UDP fast path with the answer cache (answer_cache.hpp): a miss answers
// and keeps the answer, a hit copies it; once the entry exists neither allocates.
TEST_P(QueryAllocations, NoneThroughTheAnswerCache) {
  int hits = 0;
  auto answer_once = [&] {
    if (responder.respond_from_cache(query, ctx, answer)) {
      ++hits;
      return;
    }
    ASSERT_TRUE(wire::Message::parse_into(query, scratch).has_value());
    ASSERT_TRUE(responder.respond(scratch, ctx, answer));
    responder.remember(query, ctx, answer);
  };
  for (int i = 0; i < 3; ++i) answer_once();
  const auto reference = answer;
  hits = 0;
  ::dnspush::test::alloc::start_counting();
  for (int i = 0; i < 100; ++i) answer_once();
  EXPECT_EQ(::dnspush::test::alloc::stop_counting(), 0) << c.name;
  EXPECT_EQ(hits, 100) << c.name;
  EXPECT_EQ(answer, reference) << "the same answer every time";
  // A new snapshot: one miss refills the entry in place, then hits again.
  responder.set_catalogue(catalogue_of({example_zone(), kid_zone()}));
  answer_once();
  hits = 0;
  ::dnspush::test::alloc::start_counting();
  for (int i = 0; i < 10; ++i) answer_once();
  EXPECT_EQ(::dnspush::test::alloc::stop_counting(), 0) << c.name << " after a catalogue change";
  EXPECT_EQ(hits, 10);
}

INSTANTIATE_TEST_SUITE_P(
    UdpQueries, QueryAllocations,
    ::testing::Values(Case{"positive A", "www.example.", RRType::A, true},
                      Case{"positive A without EDNS", "www.example.", RRType::A, false},
                      Case{"NXDOMAIN", "nothere.example.", RRType::A, true},
                      Case{"NODATA", "www.example.", RRType::MX, true},
                      Case{"CNAME chain", "chain1.example.", RRType::A, true},
                      Case{"wildcard", "any.wild.example.", RRType::A, true},
                      Case{"referral with glue", "x.deleg.example.", RRType::A, true},
                      Case{"DNS-SD browse", "_ipp._tcp.example.", RRType::PTR, true},
                      Case{"MX with additional", "example.", RRType::MX, true},
                      Case{"truncated TXT", "big.example.", RRType::TXT, false},
                      Case{"REFUSED outside our zones", "www.elsewhere.net.", RRType::A, true}),
    [](const ::testing::TestParamInfo<Case>& i) { return "case" + std::to_string(i.index); });

}  // namespace
}  // namespace dnspush::auth::test
