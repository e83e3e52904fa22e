// The per-thread answer cache (answer_cache.hpp) and the responder's use of it: a kept
// answer is exactly what respond() would give, with the new query's ID; any new snapshot
// (commit, synthetic records) makes it miss; answers with a trailer are never kept;
// transports, idle timeouts and queries differing in any byte after the ID (case, flags,
// EDNS) are kept apart.
#include "auth/answer_cache.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "auth/responder.hpp"
#include "auth_fixture.hpp"

namespace dnspush::auth::test {
namespace {

using wire::Rcode;

Bytes with_id(Bytes q, std::uint16_t id) {
  q[0] = static_cast<std::uint8_t>(id >> 8);
  q[1] = static_cast<std::uint8_t>(id);
  return q;
}

TEST(AnswerCache, KeepsAnswersByTheBytesAfterTheIdAndPutsTheNewIdIn) {
  AnswerCache c;
  c.resize(100);
  EXPECT_EQ(c.size(), 128u) << "a power of two";
  const Bytes q = make_query("www.example.", RRType::A);
  Bytes answer = q;
  answer[2] |= 0x80;
  answer.push_back(7);
  c.store(1, 5, 0, q, answer);
  Bytes out;
  ASSERT_TRUE(c.find(1, 5, 0, with_id(q, 0xBEEF), out));
  EXPECT_EQ(out[0], 0xBE);
  EXPECT_EQ(out[1], 0xEF);
  EXPECT_TRUE(std::equal(out.begin() + 2, out.end(), answer.begin() + 2, answer.end()));
  EXPECT_FALSE(c.find(1, 6, 0, q, out)) << "another version";
  EXPECT_FALSE(c.find(1, 5, 1, q, out)) << "another context";
  EXPECT_FALSE(c.find(2, 5, 0, q, out)) << "another responder";
  Bytes other = q;
  other.back() ^= 1;  // the class: another question
  EXPECT_FALSE(c.find(1, 5, 0, other, out));
  EXPECT_FALSE(c.find(1, 5, 0, std::span(q).first(11), out)) << "shorter than a header";
}

TEST(AnswerCache, BoundsWhatItKeeps) {
  AnswerCache c;
  Bytes out;
  const Bytes q = make_query("www.example.", RRType::A);
  c.store(1, 1, 0, q, q);
  EXPECT_FALSE(c.find(1, 1, 0, q, out)) << "size 0 keeps nothing";
  c.resize(4);
  c.store(1, 1, 0, q, Bytes(AnswerCache::kMaxAnswer + 1, 0));
  EXPECT_FALSE(c.find(1, 1, 0, q, out)) << "answer too large";
  Bytes long_query = q;
  long_query.resize(AnswerCache::kMaxKey + 3, 0);
  c.store(1, 1, 0, long_query, q);
  EXPECT_FALSE(c.find(1, 1, 0, long_query, out)) << "query too large";
  // Direct-mapped: with one slot, the newest key is the one kept.
  c.resize(1);
  const Bytes q2 = make_query("mail.example.", RRType::A);
  c.store(1, 1, 0, q, q);
  c.store(1, 1, 0, q2, q2);
  EXPECT_FALSE(c.find(1, 1, 0, q, out));
  EXPECT_TRUE(c.find(1, 1, 0, q2, out));
}

class ResponderCacheTest : public ResponderTest {
 protected:
  // What the server's fast path does: the cache, else respond() and remember().
  Bytes serve(const Bytes& q, const QueryContext& ctx, bool* hit = nullptr) {
    Bytes out;
    const bool cached = responder_.respond_from_cache(q, ctx, out);
    if (hit) *hit = cached;
    if (!cached) {
      EXPECT_TRUE(responder_.respond(q, ctx, out));
      responder_.remember(q, ctx, out);
    }
    return out;
  }
};

TEST_F(ResponderCacheTest, ACachedAnswerIsTheAnswerWithTheQuerysId) {
  for (const auto& [name, type] : {std::pair{"www.example.", RRType::A},
                                   {"nothere.example.", RRType::A},
                                   {"_ipp._tcp.example.", RRType::PTR},
                                   {"big.example.", RRType::TXT},
                                   {"www.elsewhere.net.", RRType::A}}) {
    QueryOptions o;
    o.edns = edns(1232);
    const Bytes q = make_query(name, type, o);
    bool hit = true;
    serve(q, udp(), &hit);
    EXPECT_FALSE(hit) << name;
    const Bytes q2 = with_id(q, 0x4242);
    const Bytes cached = serve(q2, udp(), &hit);
    EXPECT_TRUE(hit) << name;
    EXPECT_EQ(cached, raw(q2)) << name << ": identical to a fresh answer";
  }
}

TEST_F(ResponderCacheTest, ACommitOrNewSyntheticRecordsMakeEveryEntryMiss) {
  const Bytes q = make_query("www.example.", RRType::A);
  serve(q, udp());
  bool hit = false;
  serve(q, udp(), &hit);
  ASSERT_TRUE(hit);
  // A commit: www now has another address.
  ZoneText z("example.");
  z.add("example.", RRType::SOA, 3600, rd_soa("ns1.example.", "h.example.", 2025, 300))
      .add("example.", RRType::NS, 3600, rd_name("ns1.example."))
      .add("www.example.", RRType::A, 300, rd_a("192.0.2.11"));
  responder_.set_catalogue(catalogue_of({z.finish()}));
  const Bytes after = serve(q, udp(), &hit);
  EXPECT_FALSE(hit);
  auto m = wire::Message::parse(after);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].rdata, rd_a("192.0.2.11"));
  serve(q, udp(), &hit);
  EXPECT_TRUE(hit) << "kept again from the new snapshot";
  responder_.set_synthetic(std::make_shared<SyntheticRecords>());
  serve(q, udp(), &hit);
  EXPECT_FALSE(hit) << "a configuration reload's records are a new snapshot too";
}

TEST_F(ResponderCacheTest, TransportsAndIdleTimeoutsAreKeptApartAndTrailersNever) {
  QueryOptions o;
  o.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kTcpKeepalive, {}}});
  const Bytes big = make_query("big.example.", RRType::TXT, o);  // truncated over UDP only
  QueryContext signed_ctx = udp();
  signed_ctx.trailer_reserve = 100;
  bool hit = true;
  serve(big, signed_ctx);
  serve(big, signed_ctx, &hit);
  EXPECT_FALSE(hit) << "an answer that gets a TSIG record is never kept";
  const QueryContext contexts[] = {udp(), tcp(std::chrono::milliseconds(10000)),
                                   tcp(std::chrono::milliseconds(20000)),
                                   tls(std::chrono::milliseconds(10000))};
  for (const QueryContext& ctx : contexts) {
    serve(big, ctx, &hit);
    EXPECT_FALSE(hit) << "nothing kept for this context yet";
  }
  for (const QueryContext& ctx : contexts) {
    const Bytes again = with_id(big, 99);
    const Bytes out = serve(again, ctx, &hit);
    EXPECT_TRUE(hit);
    EXPECT_EQ(out, raw(again, ctx)) << "each context's own answer (size, keepalive value)";
  }
  EXPECT_NE(raw(big, udp()), raw(big, tcp(std::chrono::milliseconds(10000))));
  EXPECT_NE(raw(big, tcp(std::chrono::milliseconds(10000))),
            raw(big, tcp(std::chrono::milliseconds(20000))));
}

TEST_F(ResponderCacheTest, QueriesDifferingAfterTheIdAreAnsweredApart) {
  QueryOptions small;
  small.edns = edns(512);
  QueryOptions large;
  large.edns = edns(4096);
  QueryOptions no_rd;
  no_rd.rd = false;
  const Bytes variants[] = {
      make_query("big.example.", RRType::TXT),          // no EDNS: truncated at 512
      make_query("big.example.", RRType::TXT, small),   // EDNS 512
      make_query("big.example.", RRType::TXT, large),   // EDNS, up to 1232
      make_query("BIG.Example.", RRType::TXT, large),   // the question's case is echoed
      make_query("big.example.", RRType::TXT, no_rd)};  // RD is copied
  for (const Bytes& q : variants) serve(q, udp());
  for (const Bytes& q : variants) {
    bool hit = false;
    const Bytes out = serve(with_id(q, 7), udp(), &hit);
    EXPECT_TRUE(hit);
    EXPECT_EQ(out, raw(with_id(q, 7)));
  }
}

TEST_F(ResponderCacheTest, EachThreadKeepsItsOwnAndAnotherResponderIsApart) {
  const Bytes q = make_query("www.example.", RRType::A);
  serve(q, udp());
  std::thread([&] {
    bool hit = true;
    serve(q, udp(), &hit);
    EXPECT_FALSE(hit) << "another thread's cache is its own";
  }).join();
  Responder other;
  other.set_catalogue(catalogue_of({kid_zone()}));
  Bytes out;
  EXPECT_FALSE(other.respond_from_cache(q, udp(), out));
  ResponderOptions off;
  off.answer_cache = 0;
  Responder uncached(off);
  uncached.set_catalogue(catalogue_of({example_zone()}));
  ASSERT_TRUE(uncached.respond(q, udp(), out));
  uncached.remember(q, udp(), out);
  EXPECT_FALSE(uncached.respond_from_cache(q, udp(), out)) << "answer-cache = 0";
}

}  // namespace
}  // namespace dnspush::auth::test
