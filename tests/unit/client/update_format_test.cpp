// The UPDATE a client sends (RFC 2136 §2.5 forms, TSIG-signed, RFC 8945 §4.3.1) and the
// text and JSON lines of events.
#include <gtest/gtest.h>

#include "client/format.hpp"
#include "client/update.hpp"
#include "client_test_util.hpp"
#include "wire/tsig.hpp"

namespace dnspush::client {
namespace {

using namespace test;

UpdateOp op(std::vector<std::string> words) {
  auto o = parse_update_op(words);
  EXPECT_TRUE(o.has_value()) << (o ? "" : o.error().message);
  return o ? *o : UpdateOp{};
}

TEST(UpdateOps, CommandLineForms) {
  auto a = op({"add", "www.example.test", "300", "A", "192.0.2.1"});
  EXPECT_EQ(a.kind, UpdateOp::Kind::kAdd);
  EXPECT_EQ(wire::to_text(a.record), "www.example.test.\t300\tIN\tA\t192.0.2.1");
  // A word the shell kept whole (it had blanks) is one string again.
  auto t = op({"add", "t.example.test", "60", "TXT", "hello world", "second"});
  EXPECT_EQ(wire::rdata_to_text(t.record.type, t.record.rdata), "\"hello world\" \"second\"");
  // Types with fields of their own read the text dig prints.
  auto loc = op({"add", "l.example.test", "60", "LOC", "42", "21", "54", "N", "71", "6", "18", "W",
                 "-24m", "30m"});
  EXPECT_EQ(wire::rdata_to_text(loc.record.type, loc.record.rdata),
            "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m");
  auto cert = op({"add", "c.example.test", "60", "CERT", "PGP", "0", "RSASHA256", "AQID"});
  EXPECT_EQ(wire::rdata_to_text(cert.record.type, cert.record.rdata), "PGP 0 RSASHA256 AQID");
  EXPECT_EQ(op({"delete", "www.example.test"}).kind, UpdateOp::Kind::kDeleteName);
  EXPECT_EQ(op({"delete", "www.example.test", "A"}).kind, UpdateOp::Kind::kDeleteRRset);
  EXPECT_EQ(op({"delete", "www.example.test", "A", "192.0.2.1"}).kind,
            UpdateOp::Kind::kDeleteRecord);
  EXPECT_EQ(op({"replace", "www.example.test", "60", "A", "192.0.2.1"}).kind,
            UpdateOp::Kind::kReplace);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"add", "x.example.test", "60", "A"},
        {"add", "x.example.test", "-1", "A", "192.0.2.1"},
        {"add", "x.example.test", "60", "ANY", "192.0.2.1"},
        {"add", "x.example.test", "60", "A", "not-an-address"},
        // A SHA-256 digest of 2 octets: the type's own rule (RFC 4509), before sending.
        {"add", "x.example.test", "60", "DS", "1", "13", "2", "ABCD"},
        {"add", "x.example.test", "60", "TSIG", "x"},
        {"frobnicate", "x"},
        {}})
    EXPECT_FALSE(parse_update_op(bad).has_value());
}

TEST(UpdateOps, OneMessageInRfc2136FormSigned) {
  auto key = wire::TsigKey::from_string("hmac-sha256:k:c2VjcmV0IGZvciB0ZXN0cw==");
  ASSERT_TRUE(key);
  const std::vector<UpdateOp> ops = {
      op({"replace", "www.example.test", "60", "A", "192.0.2.1"}),
      op({"delete", "old.example.test"}),
      op({"delete", "x.example.test", "A", "192.0.2.9"}),
  };
  auto req = build_update(name("example.test."), ops, 0x1234, &*key, 1700000000);
  ASSERT_TRUE(req) << req.error().message;
  auto m = wire::Message::parse(req->bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header.opcode, wire::Opcode::UPDATE);
  ASSERT_EQ(m->questions.size(), 1u);  // §2.3: the zone section
  EXPECT_EQ(m->questions[0].type, wire::RRType::SOA);
  ASSERT_EQ(m->authorities.size(), 4u);
  // §2.5.2 delete the RRset, then add: the replace.
  EXPECT_EQ(m->authorities[0].cls, wire::RRClass::ANY);
  EXPECT_EQ(m->authorities[0].type, wire::RRType::A);
  EXPECT_EQ(m->authorities[1].cls, wire::RRClass::IN);
  EXPECT_EQ(m->authorities[1].ttl, 60u);
  // §2.5.3 the name: ANY/ANY; §2.5.4 one record: class NONE, TTL 0.
  EXPECT_EQ(m->authorities[2].type, wire::RRType::ANY);
  EXPECT_EQ(m->authorities[2].cls, wire::RRClass::ANY);
  EXPECT_EQ(m->authorities[3].cls, wire::RRClass::NONE);
  EXPECT_EQ(m->authorities[3].ttl, 0u);
  ASSERT_TRUE(m->tsig_offset.has_value());
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(*key));
  EXPECT_TRUE(wire::tsig_verify_request(req->bytes, *m, ring, 1700000000).ok());

  EXPECT_FALSE(build_update(name("other.test."), ops, 1, nullptr, 0).has_value());  // not in zone
}

TEST(UpdateOps, TheAnswerIsCheckedAndItsTsigVerified) {
  auto key = wire::TsigKey::from_string("hmac-sha256:k:c2VjcmV0IGZvciB0ZXN0cw==");
  const std::vector<UpdateOp> ops = {op({"add", "a.example.test", "60", "A", "192.0.2.1"})};
  auto req = build_update(name("example.test."), ops, 7, &*key, 1700000000);
  ASSERT_TRUE(req);
  auto m = *wire::Message::parse(req->bytes);
  m.header.qr = true;
  m.authorities.clear();
  m.additionals.clear();  // the request's TSIG
  m.tsig_offset.reset();
  m.header.nscount = 0;
  m.header.arcount = 0;
  m.set_rcode(wire::Rcode::NOERROR);
  auto answer = m.to_wire();
  ASSERT_TRUE(wire::tsig_sign_response(answer, *key, req->request_mac, 1700000001));
  auto a = check_update_answer(answer, *req, &*key, 1700000001);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rcode, wire::Rcode::NOERROR);
  EXPECT_EQ(a->tsig, wire::Rcode::NOERROR);
  answer[answer.size() - 10] ^= 1;  // inside the MAC
  auto forged = check_update_answer(answer, *req, &*key, 1700000001);
  ASSERT_TRUE(forged);
  EXPECT_NE(forged->tsig, wire::Rcode::NOERROR);
  auto other = req->bytes;  // not an answer
  EXPECT_FALSE(check_update_answer(other, *req, &*key, 1700000001).has_value());
}

TEST(Format, JsonLineHasEveryFieldAndEscapes) {
  const RecordEvent add{RecordEvent::Kind::kAdd,
                        rr("Lab\\032Printer._ipp._tcp.example.test.", 120, "TXT", "\"a\\\"b\"")};
  const auto t = WallTime(std::chrono::milliseconds(1767362607512));
  EXPECT_EQ(
      event_json(add, t),
      R"({"time":"2026-01-02T14:03:27.512Z","event":"add","name":"Lab\\032Printer._ipp._tcp.example.test.","type":"TXT","class":"IN","ttl":120,"rdata":"\"a\\\"b\""})");
  const RecordEvent rm{RecordEvent::Kind::kRemove, rr("a.example.test.", 5, "A", "192.0.2.1")};
  EXPECT_NE(event_json(rm, t).find(R"("event":"remove")"), std::string::npos);
  const auto line = event_line(rm, t);
  EXPECT_NE(line.find(" - a.example.test. IN A 192.0.2.1"), std::string::npos) << line;
  EXPECT_EQ(json_string(std::string("x\x01y\n", 4)), R"("x\u0001y\n")");
}

}  // namespace
}  // namespace dnspush::client
