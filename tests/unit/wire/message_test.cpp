#include "wire/message.hpp"

#include <gtest/gtest.h>

namespace dnspush::wire {
namespace {

Name N(std::string_view s) {
  return *Name::from_text(s);
}

Record A(std::string_view owner, std::uint32_t ttl, std::uint8_t last) {
  return Record{N(owner), RRType::A, RRClass::IN, ttl, {192, 0, 2, last}};
}

Message sample() {
  Message m;
  m.header.id = 0x1234;
  m.header.qr = true;
  m.header.aa = true;
  m.header.rd = true;
  m.questions.push_back({N("www.example.test."), RRType::A, RRClass::IN});
  m.answers.push_back(A("www.example.test.", 300, 1));
  m.answers.push_back(A("www.example.test.", 300, 2));
  // MX exchange: a compressible name (RFC 1035).
  std::vector<std::uint8_t> mx = {0, 10};
  const Name exchange = N("mail.example.test.");
  mx.insert(mx.end(), exchange.wire().begin(), exchange.wire().end());
  m.authorities.push_back(Record{N("example.test."), RRType::MX, RRClass::IN, 60, mx});
  m.additionals.push_back(A("mail.example.test.", 60, 3));
  Edns e;
  e.udp_payload = 1232;
  e.dnssec_ok = true;
  e.options.push_back({edns_option::kTcpKeepalive, {0, 100}});
  m.edns = e;
  return m;
}

TEST(Header, PeekAndWriteRoundTrip) {
  Header h;
  h.id = 0xBEEF;
  h.qr = h.aa = h.tc = h.rd = h.ra = h.ad = h.cd = true;
  h.opcode = Opcode::UPDATE;
  h.rcode = 9;
  h.qdcount = 1;
  h.arcount = 3;
  Writer w;
  h.write(w);
  auto p = Header::peek(w.data());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, 0xBEEF);
  EXPECT_TRUE(p->qr && p->aa && p->tc && p->rd && p->ra && p->ad && p->cd);
  EXPECT_FALSE(p->z);
  EXPECT_EQ(p->opcode, Opcode::UPDATE);
  EXPECT_EQ(p->rcode, 9);
  EXPECT_EQ(p->qdcount, 1);
  EXPECT_EQ(p->arcount, 3);
  EXPECT_FALSE(Header::peek(std::span(w.data()).first(11)));
}

TEST(Message, RoundTripWithCompressionAndEdns) {
  const Message m = sample();
  const auto wire = m.to_wire();
  const auto uncompressed = m.to_wire(Compression::kNone);
  EXPECT_LT(wire.size(), uncompressed.size());
  for (const auto* bytes : {&wire, &uncompressed}) {
    auto p = Message::parse(*bytes);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->header.id, 0x1234);
    EXPECT_TRUE(p->header.aa);
    ASSERT_EQ(p->questions.size(), 1u);
    EXPECT_EQ(p->questions[0].name, N("www.example.test."));
    ASSERT_EQ(p->answers.size(), 2u);
    EXPECT_EQ(p->answers[1], m.answers[1]);
    EXPECT_EQ(p->answers[1].ttl, 300u);
    ASSERT_EQ(p->authorities.size(), 1u);
    EXPECT_EQ(p->authorities[0].rdata, m.authorities[0].rdata);  // decompressed again
    ASSERT_EQ(p->additionals.size(), 1u);                        // OPT is not in the list
    ASSERT_TRUE(p->edns);
    EXPECT_TRUE(p->edns->dnssec_ok);
    EXPECT_EQ(p->edns->udp_payload, 1232);
    ASSERT_NE(p->edns->find(edns_option::kTcpKeepalive), nullptr);
    EXPECT_EQ(p->edns->find(edns_option::kTcpKeepalive)->data, (std::vector<std::uint8_t>{0, 100}));
  }
}

TEST(Message, ExtendedRcodeSplitsBetweenHeaderAndOpt) {
  Message m = sample();
  m.set_rcode(Rcode::BADVERS);
  EXPECT_EQ(m.header.rcode, 0);
  EXPECT_EQ(m.edns->extended_rcode, 1);
  auto p = Message::parse(m.to_wire());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rcode(), Rcode::BADVERS);
}

TEST(Message, RejectsCountMismatchAndTrailingBytes) {
  auto wire = sample().to_wire();
  auto more = wire;
  more[7] += 1;  // ANCOUNT + 1
  EXPECT_FALSE(Message::parse(more));
  auto trailing = wire;
  trailing.push_back(0);
  EXPECT_FALSE(Message::parse(trailing));
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    EXPECT_FALSE(Message::parse(std::span(wire).first(cut))) << "cut at " << cut;
  }
}

TEST(Message, RejectsMisplacedOrDuplicateOpt) {
  Message m = sample();
  auto wire = m.to_wire();
  // Duplicate the OPT record (the last 4+... bytes): find it as the final record.
  const std::size_t opt_len = m.edns->wire_size();
  std::vector<std::uint8_t> dup = wire;
  dup.insert(dup.end(), wire.end() - static_cast<long>(opt_len), wire.end());
  dup[11] += 1;
  auto p = Message::parse(dup);
  EXPECT_FALSE(p);

  // An OPT record in the answer section.
  Message bad;
  bad.header.id = 1;
  bad.answers.push_back(Record{Name(), RRType::OPT, static_cast<RRClass>(512), 0, {}});
  EXPECT_FALSE(Message::parse(bad.to_wire()));
}

TEST(Message, TsigMustBeLast) {
  Message m;
  m.header.id = 7;
  // Algorithm hmac-sha256., time 0, fudge 300, MAC len 0, original id 7, error 0, other 0.
  std::vector<std::uint8_t> tsig;
  const Name alg = N("hmac-sha256.");
  tsig.insert(tsig.end(), alg.wire().begin(), alg.wire().end());
  for (int i = 0; i < 6; ++i) tsig.push_back(0);
  tsig.insert(tsig.end(), {1, 44, 0, 0, 0, 7, 0, 0, 0, 0});
  m.additionals.push_back(Record{N("key."), RRType::TSIG, RRClass::ANY, 0, tsig});
  auto ok = Message::parse(m.to_wire());
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_TRUE(ok->tsig_offset);

  // A record after the TSIG: append one by hand (to_wire itself always puts TSIG last).
  auto wire = m.to_wire();
  const std::uint8_t a_rr[] = {0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 192, 0, 2, 1};
  wire.insert(wire.end(), std::begin(a_rr), std::end(a_rr));
  wire[11] += 1;
  EXPECT_FALSE(Message::parse(wire));
}

TEST(MessageBuilder, StopsAtLimitAndReservesRoomForOpt) {
  Header h;
  h.id = 9;
  h.qr = true;
  Edns e;
  MessageBuilder b(h, 100, e.wire_size());
  ASSERT_TRUE(b.add_question({N("big.example."), RRType::A, RRClass::IN}));
  int added = 0;
  for (int i = 0; i < 20; ++i) {
    if (!b.add_record(Section::kAnswer, A("big.example.", 1, static_cast<std::uint8_t>(i)))) break;
    ++added;
  }
  EXPECT_GT(added, 0);
  EXPECT_LT(added, 20);
  b.set_tc();
  EXPECT_TRUE(b.add_edns(e));
  auto out = b.finish();
  EXPECT_LE(out.size(), 100u);
  auto p = Message::parse(out);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->header.tc);
  EXPECT_EQ(p->answers.size(), static_cast<std::size_t>(added));
  EXPECT_TRUE(p->edns);
}

TEST(MessageBuilder, SectionsMustComeInOrder) {
  Header h;
  MessageBuilder b(h, 512);
  ASSERT_TRUE(b.add_record(Section::kAuthority, A("a.", 1, 1)));
  EXPECT_FALSE(b.add_record(Section::kAnswer, A("b.", 1, 1)));
  EXPECT_FALSE(b.add_question({N("c."), RRType::A, RRClass::IN}));
  ASSERT_TRUE(b.add_record(Section::kAdditional, A("d.", 1, 1)));
  auto p = Message::parse(b.finish());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->authorities.size(), 1u);
  EXPECT_EQ(p->additionals.size(), 1u);
}

TEST(MessageBuilder, ExtendedRcodeGoesIntoOpt) {
  Header h;
  MessageBuilder b(h, 512);
  b.set_rcode(Rcode::BADVERS);
  ASSERT_TRUE(b.add_edns(Edns{}));
  auto p = Message::parse(b.finish());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rcode(), Rcode::BADVERS);
}

}  // namespace
}  // namespace dnspush::wire
