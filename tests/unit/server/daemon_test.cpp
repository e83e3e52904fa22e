// dnspushd in process on 127.0.0.1: DNS UPDATE with TSIG through the zone writer and the
// journal, zone transfers out behind their ACL, NOTIFY out, write-back, restart replay.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "../io/test_util.hpp"
#include "daemon_test_util.hpp"
#include "server/daemon.hpp"
#include "zone/changeset.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::Daemon;
using wire::Rcode;
using wire::RRType;

constexpr char kZones[] = R"(
[journal]
max-changesets = 100
[[zone]]
origin = "example.test"
file = "example.test.zone"
update = [ { key = "example-key" } ]
transfer = [ { network = "127.0.0.0/8" } ]
[[zone]]
origin = "other.test"
file = "other.test.zone"
update = [ { key = "example-key", network = "127.0.0.1" } ]
transfer = [ { key = "xfr-key" } ]
)";

struct Signed {
  Bytes bytes;
  std::vector<std::uint8_t> mac;
};

Signed sign(Bytes m, const wire::TsigKey& k) {
  auto mac = wire::tsig_sign_request(m, k, test::now());
  EXPECT_TRUE(mac);
  return {std::move(m), mac ? *mac : std::vector<std::uint8_t>{}};
}

wire::Message parse(const Bytes& b) {
  auto m = wire::Message::parse(b);
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : wire::Message{};
}

std::uint32_t serial_of(Daemon& d) {
  return test::serial_of(d.port);
}

std::size_t answer_count(Daemon& d, const std::string& name, RRType t) {
  return test::answer_count(d.port, name, t);
}

// The signed UPDATE goes through; its answer carries a TSIG that verifies.
void expect_signed_noerror(const Signed& req, const Bytes& answer, const wire::TsigKey& k) {
  auto m = parse(answer);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(m.header.opcode, wire::Opcode::UPDATE);
  ASSERT_TRUE(m.tsig_offset.has_value());
  auto v = wire::tsig_verify_response(answer, m, k, req.mac, test::now());
  EXPECT_TRUE(v.ok()) << static_cast<int>(v.error);
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    d_ = Daemon::start(dir_.path(), kZones);
    ASSERT_NE(d_, nullptr);
  }
  test::TempDir dir_;
  std::unique_ptr<Daemon> d_;
  const wire::TsigKey key_ = test::key("example-key", test::kExampleSecret);
  const wire::TsigKey xfr_key_ = test::key("xfr-key", test::kXfrSecret);
};

TEST_F(DaemonTest, SignedUpdateOverUdpIsCommittedSignedAndVisible) {
  EXPECT_EQ(serial_of(*d_), 1u);
  auto req =
      sign(test::make_update(1, "example.test", {test::a_record("h1.example.test", "192.0.2.11")}),
           key_);
  auto r = test::exchange(d_->port, req.bytes);
  ASSERT_TRUE(r) << r.error().message;
  expect_signed_noerror(req, *r, key_);
  EXPECT_EQ(answer_count(*d_, "h1.example.test", RRType::A), 1u);
  EXPECT_EQ(serial_of(*d_), 2u);
  auto u = d_->zones->journal().usage(*wire::Name::from_text("example.test"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->changesets, 1u);
}

TEST_F(DaemonTest, SignedUpdateOverTcpIsCommitted) {
  auto req =
      sign(test::make_update(2, "example.test", {test::a_record("h2.example.test", "192.0.2.12")}),
           key_);
  auto r = test::exchange(d_->port, req.bytes, auth::Transport::kTcp);
  ASSERT_TRUE(r) << r.error().message;
  expect_signed_noerror(req, *r, key_);
  EXPECT_EQ(answer_count(*d_, "h2.example.test", RRType::A), 1u);
  EXPECT_EQ(serial_of(*d_), 2u);
}

TEST_F(DaemonTest, SignedUpdateOverTlsIsCommitted) {
  ASSERT_NE(d_->tls_port, 0);
  auto req = sign(
      test::make_update(2, "example.test", {test::a_record("t.example.test", "192.0.2.13")}), key_);
  auto r = test::exchange(d_->tls_port, req.bytes, auth::Transport::kTls);
  ASSERT_TRUE(r) << r.error().message;
  expect_signed_noerror(req, *r, key_);
  EXPECT_EQ(answer_count(*d_, "t.example.test", RRType::A), 1u);
}

TEST_F(DaemonTest, UnsignedUpdateIsRefusedAndChangesNothing) {
  auto r = test::exchange(
      d_->port,
      test::make_update(3, "example.test", {test::a_record("x.example.test", "192.0.2.99")}));
  ASSERT_TRUE(r) << r.error().message;
  auto m = parse(*r);
  EXPECT_EQ(m.rcode(), Rcode::REFUSED);
  EXPECT_FALSE(m.tsig_offset.has_value());
  EXPECT_EQ(answer_count(*d_, "x.example.test", RRType::A), 0u);
  EXPECT_EQ(serial_of(*d_), 1u);
}

TEST_F(DaemonTest, WrongSecretIsNotAuthBadSigUnsigned) {
  const auto wrong = test::key("example-key", "d3Jvbmctc2VjcmV0");
  auto req =
      sign(test::make_update(4, "example.test", {test::a_record("x.example.test", "192.0.2.99")}),
           wrong);
  auto r = test::exchange(d_->port, req.bytes);
  ASSERT_TRUE(r) << r.error().message;
  auto m = parse(*r);
  EXPECT_EQ(m.rcode(), Rcode::NOTAUTH);
  // RFC 8945 §5.3.2: BADSIG answers carry a TSIG with the error and no MAC.
  ASSERT_TRUE(m.tsig_offset.has_value());
  auto t = wire::TsigRecord::parse(*r, *m.tsig_offset);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->error, wire::kBadSig);
  EXPECT_TRUE(t->mac.empty());
  EXPECT_EQ(answer_count(*d_, "x.example.test", RRType::A), 0u);
  EXPECT_EQ(serial_of(*d_), 1u);
}

TEST_F(DaemonTest, UnknownKeyIsNotAuthBadKey) {
  const auto unknown = test::key("nobody-key", test::kExampleSecret);
  auto req =
      sign(test::make_update(5, "example.test", {test::a_record("x.example.test", "192.0.2.99")}),
           unknown);
  auto r = test::exchange(d_->port, req.bytes);
  ASSERT_TRUE(r) << r.error().message;
  auto m = parse(*r);
  EXPECT_EQ(m.rcode(), Rcode::NOTAUTH);
  ASSERT_TRUE(m.tsig_offset.has_value());
  auto t = wire::TsigRecord::parse(*r, *m.tsig_offset);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->error, Rcode::BADKEY);
  EXPECT_EQ(serial_of(*d_), 1u);
}

TEST_F(DaemonTest, KeyAllowedForOneZoneIsRefusedForAnother) {
  // other.test allows example-key from 127.0.0.1 only: allowed here. xfr-key is not.
  auto ok =
      sign(test::make_update(6, "other.test", {test::a_record("a.other.test", "192.0.2.1")}), key_);
  auto r = test::exchange(d_->port, ok.bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::NOERROR);
  auto bad =
      sign(test::make_update(7, "example.test", {test::a_record("b.example.test", "192.0.2.1")}),
           xfr_key_);
  r = test::exchange(d_->port, bad.bytes);
  ASSERT_TRUE(r);
  auto m = parse(*r);
  EXPECT_EQ(m.rcode(), Rcode::REFUSED);
  // Verified, so the refusal is signed.
  ASSERT_TRUE(m.tsig_offset.has_value());
  EXPECT_TRUE(wire::tsig_verify_response(*r, m, xfr_key_, bad.mac, test::now()).ok());
}

TEST_F(DaemonTest, UpdateOfAZoneWeDoNotHaveIsNotAuth) {
  auto req = sign(
      test::make_update(8, "nowhere.test", {test::a_record("a.nowhere.test", "192.0.2.1")}), key_);
  auto r = test::exchange(d_->port, req.bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::NOTAUTH);  // RFC 2136 §3.1.1
}

TEST_F(DaemonTest, ManyConcurrentUpdatesAreAllCommitted) {
  // Several clients at once: batches (group commit) must answer each one after it is
  // durable, and every change must be there.
  constexpr int kClients = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto req = sign(test::make_update(static_cast<std::uint16_t>(100 + i), "example.test",
                                        {test::a_record("c" + std::to_string(i) + ".example.test",
                                                        "192.0.2." + std::to_string(i + 1))}),
                      key_);
      auto r = test::exchange(d_->port, req.bytes,
                              i % 2 ? auth::Transport::kTcp : auth::Transport::kUdp);
      if (r && parse(*r).rcode() == Rcode::NOERROR) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients);
  EXPECT_EQ(serial_of(*d_), 1u + kClients);
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(answer_count(*d_, "c" + std::to_string(i) + ".example.test", RRType::A), 1u);
  }
}

// Reads a whole transfer (until the second SOA at the end) from a TCP connection.
std::vector<wire::Message> transfer(std::uint16_t port, const Bytes& request,
                                    std::vector<Bytes>* raw = nullptr) {
  auto fd = io::test::connect_tcp(port);
  EXPECT_GE(fd.get(), 0);
  const Bytes f = io::test::frame(request);
  EXPECT_EQ(::send(fd.get(), f.data(), f.size(), 0), static_cast<ssize_t>(f.size()));
  Bytes stream;
  std::vector<wire::Message> out;
  for (int round = 0; round < 50; ++round) {
    bool eof = false;
    auto got = io::test::read_for(fd.get(), 65537, 200ms, &eof);
    stream.insert(stream.end(), got.begin(), got.end());
    auto msgs = io::test::unframe(stream);
    out.clear();
    if (raw) raw->clear();
    std::size_t soas = 0;
    for (auto& b : msgs) {
      auto m = wire::Message::parse(b);
      if (!m) break;
      for (const auto& a : m->answers) soas += a.type == RRType::SOA;
      out.push_back(*m);
      if (raw) raw->push_back(b);
    }
    if (!out.empty() && out.back().rcode() != Rcode::NOERROR) break;
    if (got.empty() && !out.empty()) break;  // nothing more for 200 ms
    if (!out.empty() && soas >= 2 && out.back().answers.size() > 0 &&
        out.back().answers.back().type == RRType::SOA) {
      // An AXFR ends with its second SOA; an IXFR with the SOA that starts it. Keep
      // reading briefly in case more messages follow.
      auto more = io::test::read_for(fd.get(), 65537, 100ms, &eof);
      if (more.empty()) break;
      stream.insert(stream.end(), more.begin(), more.end());
    }
    if (eof) break;
  }
  return out;
}

std::vector<wire::Record> answers(const std::vector<wire::Message>& ms) {
  std::vector<wire::Record> out;
  for (const auto& m : ms) out.insert(out.end(), m.answers.begin(), m.answers.end());
  return out;
}

TEST_F(DaemonTest, AxfrOverTcpAllowedByNetwork) {
  auto ms = transfer(d_->port, test::make_query(9, "example.test", RRType::AXFR));
  auto rr = answers(ms);
  ASSERT_EQ(rr.size(), 13u);  // SOA, NS, 10 A, SOA
  EXPECT_EQ(rr.front().type, RRType::SOA);
  EXPECT_EQ(rr.back().type, RRType::SOA);
  EXPECT_EQ(ms[0].rcode(), Rcode::NOERROR);
}

TEST_F(DaemonTest, AxfrOverUdpIsNotATransfer) {
  auto r = test::exchange(d_->port, test::make_query(10, "example.test", RRType::AXFR));
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::FORMERR);  // RFC 5936 §4.2, as the responder says
}

TEST_F(DaemonTest, AxfrDeniedWithoutTheKeyAllowedWithIt) {
  auto denied = transfer(d_->port, test::make_query(11, "other.test", RRType::AXFR));
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].rcode(), Rcode::REFUSED);
  EXPECT_TRUE(denied[0].answers.empty());

  auto req = sign(test::make_query(12, "other.test", RRType::AXFR), xfr_key_);
  std::vector<Bytes> raw;
  auto ms = transfer(d_->port, req.bytes, &raw);
  ASSERT_FALSE(ms.empty());
  EXPECT_EQ(ms[0].rcode(), Rcode::NOERROR);
  EXPECT_EQ(answers(ms).size(), 4u);  // SOA, NS, A, SOA
  // RFC 8945 §5.3.1: the stream verifies with the key.
  wire::TsigStreamVerifier verifier(xfr_key_, req.mac);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    auto o = verifier.receive(raw[i], ms[i], test::now());
    EXPECT_TRUE(o.result.ok());
  }
  EXPECT_EQ(verifier.finish(), Rcode::NOERROR);

  // The wrong key: NOTAUTH.
  auto wrong = sign(test::make_query(13, "other.test", RRType::AXFR), key_);
  auto w = transfer(d_->port, wrong.bytes);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rcode(), Rcode::REFUSED);  // a valid key, but not one the ACL names
}

TEST_F(DaemonTest, AxfrOfAZoneWeDoNotHaveIsNotAuth) {
  auto ms = transfer(d_->port, test::make_query(14, "nowhere.test", RRType::AXFR));
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].rcode(), Rcode::NOTAUTH);
}

TEST_F(DaemonTest, IxfrAfterTwoUpdatesReturnsTheDifferenceSequences) {
  auto u1 =
      sign(test::make_update(20, "example.test", {test::a_record("i1.example.test", "192.0.2.21")}),
           key_);
  ASSERT_TRUE(test::exchange(d_->port, u1.bytes));
  auto u2 =
      sign(test::make_update(21, "example.test", {test::a_record("i2.example.test", "192.0.2.22")}),
           key_);
  ASSERT_TRUE(test::exchange(d_->port, u2.bytes));
  ASSERT_EQ(serial_of(*d_), 3u);

  auto rr = answers(transfer(d_->port, test::make_ixfr(22, "example.test.", 1)));
  // RFC 1995 §4: SOA 3, (SOA 1, SOA 2, i1), (SOA 2, SOA 3, i2), SOA 3.
  std::vector<std::string> seq;
  for (const auto& r : rr) {
    seq.push_back(r.type == RRType::SOA ? "SOA" + std::to_string(zone::soa_serial(r.rdata).value())
                                        : r.owner.to_text());
  }
  const std::vector<std::string> want = {
      "SOA3", "SOA1", "SOA2", "i1.example.test.", "SOA2", "SOA3", "i2.example.test.", "SOA3"};
  EXPECT_EQ(seq, want);

  // Up to date: the SOA alone (RFC 1995 §2).
  auto up = answers(transfer(d_->port, test::make_ixfr(23, "example.test.", 3)));
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].type, RRType::SOA);
}

TEST_F(DaemonTest, TsigSignedQueryGetsASignedAnswer) {
  auto req = sign(test::make_query(30, "www.example.test", RRType::A), key_);
  auto r = test::exchange(d_->port, req.bytes);
  ASSERT_TRUE(r);
  auto m = parse(*r);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(m.answers.size(), 1u);
  ASSERT_TRUE(m.tsig_offset.has_value());
  EXPECT_TRUE(wire::tsig_verify_response(*r, m, key_, req.mac, test::now()).ok());
}

// RFC 8945 §5.3: the TSIG counts against the 512 bytes of a UDP answer without EDNS, so
// an answer that fits only unsigned comes back truncated, and still signed.
TEST_F(DaemonTest, TsigSignedAnswerOverUdpLeavesRoomForItsTsig) {
  std::vector<wire::Record> adds;
  for (int i = 0; i < 27; ++i) {
    adds.push_back(test::a_record("big.example.test", "192.0.2." + std::to_string(i + 1)));
  }
  auto up = sign(test::make_update(40, "example.test", adds), key_);
  auto ur = test::exchange(d_->port, up.bytes);
  ASSERT_TRUE(ur);
  expect_signed_noerror(up, *ur, key_);

  auto plain = test::exchange(d_->port, test::make_query(41, "big.example.test", RRType::A));
  ASSERT_TRUE(plain);
  const auto pm = parse(*plain);
  ASSERT_FALSE(pm.header.tc);
  ASSERT_EQ(pm.answers.size(), 27u);
  // The premise: unsigned it fits; with the TSIG it would not.
  ASSERT_LE(plain->size(), 512u);
  ASSERT_GT(plain->size() + wire::tsig_wire_size(key_), 512u);

  auto req = sign(test::make_query(42, "big.example.test", RRType::A), key_);
  auto r = test::exchange(d_->port, req.bytes);
  ASSERT_TRUE(r);
  EXPECT_LE(r->size(), 512u);
  auto m = parse(*r);
  EXPECT_TRUE(m.header.tc);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_TRUE(m.tsig_offset.has_value());
  EXPECT_TRUE(wire::tsig_verify_response(*r, m, key_, req.mac, test::now()).ok());
}

TEST_F(DaemonTest, NotifyInIsNotImplemented) {
  wire::Message m;
  m.header.id = 31;
  m.header.opcode = wire::Opcode::NOTIFY;
  m.header.aa = true;
  m.questions.push_back({*wire::Name::from_text("example.test"), RRType::SOA, wire::RRClass::IN});
  m.header.qdcount = 1;
  auto r = test::exchange(d_->port, m.to_wire());
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::NOTIMP);
}

TEST_F(DaemonTest, RestartReplaysTheJournal) {
  for (int i = 0; i < 3; ++i) {
    auto u = sign(test::make_update(
                      static_cast<std::uint16_t>(40 + i), "example.test",
                      {test::a_record("r" + std::to_string(i) + ".example.test", "192.0.2.40")}),
                  key_);
    auto r = test::exchange(d_->port, u.bytes);
    ASSERT_TRUE(r);
    ASSERT_EQ(parse(*r).rcode(), Rcode::NOERROR);
  }
  ASSERT_EQ(serial_of(*d_), 4u);
  d_.reset();
  d_ = Daemon::start(dir_.path(), kZones);
  ASSERT_NE(d_, nullptr);
  EXPECT_EQ(serial_of(*d_), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(answer_count(*d_, "r" + std::to_string(i) + ".example.test", RRType::A), 1u);
  }
  // And IXFR still reaches back across the restart.
  auto rr = answers(transfer(d_->port, test::make_ixfr(50, "example.test.", 2)));
  ASSERT_GE(rr.size(), 2u);
  EXPECT_EQ(zone::soa_serial(rr[1].rdata).value(), 2u);
}

TEST(StateDirLock, SecondInstanceIsRefused) {
  test::TempDir dir;
  auto a = lock_state_dir(dir.path());
  ASSERT_TRUE(a) << a.error().message;
  auto b = lock_state_dir(dir.path());
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("another dnspushd is running"), std::string::npos);
  ::close(*a);
  auto c = lock_state_dir(dir.path());
  ASSERT_TRUE(c) << c.error().message;
  ::close(*c);
}

class Recorder : public ChangesetListener {
 public:
  void on_commit(const zone::CommitPtr& c) override {
    std::lock_guard lock(m);
    seen.push_back({c->before->serial().value(), c->after->serial().value(),
                    c->changeset.serial_from().value(), c->changeset.serial_to().value(),
                    c->changeset.added.size()});
    versions.push_back(c->version);
  }
  std::mutex m;
  std::vector<std::array<std::size_t, 5>> seen;
  std::vector<std::uint64_t> versions;
};

TEST(DaemonListeners, CommitNotificationCarriesTheChangeset) {
  test::TempDir dir;
  auto d = Daemon::start(dir.path(), kZones);
  ASSERT_NE(d, nullptr);
  // Listeners subscribe before start in dnspushd; here the writer is idle, so adding one
  // now is race-free as nothing commits meanwhile.
  auto rec = std::make_shared<Recorder>();
  d->zones->add_listener(rec);
  const auto k = test::key("example-key", test::kExampleSecret);
  auto u = sign(
      test::make_update(60, "example.test", {test::a_record("l.example.test", "192.0.2.60")}), k);
  auto r = test::exchange(d->port, u.bytes);
  ASSERT_TRUE(r);
  ASSERT_EQ(parse(*r).rcode(), Rcode::NOERROR);
  // The answer leaves before the listeners run (they must never delay it).
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(rec->m);
      if (!rec->seen.empty()) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  {
    std::lock_guard lock(rec->m);
    ASSERT_EQ(rec->seen.size(), 1u);
    EXPECT_EQ(rec->seen[0], (std::array<std::size_t, 5>{1, 2, 1, 2, 1}));
    EXPECT_EQ(rec->versions, (std::vector<std::uint64_t>{1}));
  }
  // The published catalogue carries the version of the last commit it contains.
  EXPECT_EQ(d->instance->responder().catalogue()->version(), 1u);

  // Versions are server-wide: a commit to another zone takes the next one.
  auto u2 =
      sign(test::make_update(61, "other.test", {test::a_record("l.other.test", "192.0.2.61")}), k);
  auto r2 = test::exchange(d->port, u2.bytes);
  ASSERT_TRUE(r2);
  ASSERT_EQ(parse(*r2).rcode(), Rcode::NOERROR);
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(rec->m);
      if (rec->versions.size() == 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard lock(rec->m);
  EXPECT_EQ(rec->versions, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(d->instance->responder().catalogue()->version(), 2u);
}

TEST(DaemonNotify, SecondaryIsNotifiedAfterACommit) {
  // A fake secondary on a loopback UDP port.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  test::TempDir dir;
  auto d = Daemon::start(
      dir.path(), std::string(kZones) + "notify = [\"127.0.0.1:" + std::to_string(port) + "\"]\n");
  ASSERT_NE(d, nullptr);
  const auto k = test::key("example-key", test::kExampleSecret);
  auto u =
      sign(test::make_update(61, "other.test", {test::a_record("n.other.test", "192.0.2.61")}), k);
  auto r = test::exchange(d->port, u.bytes);
  ASSERT_TRUE(r);
  ASSERT_EQ(parse(*r).rcode(), Rcode::NOERROR);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::uint8_t buf[4096];
  sockaddr_in from{};
  socklen_t flen = sizeof from;
  const ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  ASSERT_GT(n, 0);
  auto m = wire::Message::parse(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header.opcode, wire::Opcode::NOTIFY);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name, *wire::Name::from_text("other.test"));
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(zone::soa_serial(m->answers[0].rdata).value(), 11u);
  // Acknowledge it (RFC 1996 §4.7); no retransmission follows within the first interval.
  wire::Message resp = *m;
  resp.header.qr = true;
  auto rb = resp.to_wire();
  ::sendto(fd, rb.data(), rb.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
  p.revents = 0;
  EXPECT_EQ(::poll(&p, 1, 2500), 0);
  ::close(fd);
}

// notify-key: the NOTIFY carries a TSIG made with that key (RFC 8945 §4.3.1).
TEST(DaemonNotify, NotifyIsSignedWithTheZonesNotifyKey) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  test::TempDir dir;
  auto d = Daemon::start(dir.path(), std::string(kZones) + "notify = [\"127.0.0.1:" +
                                         std::to_string(port) + "\"]\nnotify-key = \"xfr-key\"\n");
  ASSERT_NE(d, nullptr);
  const auto k = test::key("example-key", test::kExampleSecret);
  auto u =
      sign(test::make_update(62, "other.test", {test::a_record("s.other.test", "192.0.2.62")}), k);
  auto r = test::exchange(d->port, u.bytes);
  ASSERT_TRUE(r);
  ASSERT_EQ(parse(*r).rcode(), Rcode::NOERROR);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::uint8_t buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  const std::span<const std::uint8_t> bytes(buf, static_cast<std::size_t>(n));
  auto m = wire::Message::parse(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->header.opcode, wire::Opcode::NOTIFY);
  ASSERT_TRUE(m->tsig_offset.has_value());
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(test::key("xfr-key", test::kXfrSecret)).has_value());
  const auto v = wire::tsig_verify_request(bytes, *m, ring, test::now());
  EXPECT_TRUE(v.ok()) << tsig_error_text(v.error);
  ASSERT_TRUE(v.key.has_value());
  EXPECT_EQ(v.key->name, *wire::Name::from_text("xfr-key"));
}

TEST(DaemonWriteBack, ZoneIsWrittenToTheStateDirectory) {
  test::TempDir dir;
  auto d = Daemon::start(dir.path(), std::string(kZones) + "write-back-interval-s = 1\n");
  ASSERT_NE(d, nullptr);
  const auto k = test::key("example-key", test::kExampleSecret);
  auto u =
      sign(test::make_update(62, "other.test", {test::a_record("w.other.test", "192.0.2.62")}), k);
  ASSERT_TRUE(test::exchange(d->port, u.bytes));
  const auto path = d->zones->write_back_path(*wire::Name::from_text("other.test"));
  EXPECT_EQ(path, d->config.state_dir / "zones" / "other.test.zone");
  std::string text;
  for (int i = 0; i < 50 && text.find("w.other.test") == std::string::npos &&
                  text.find("\nw\t") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(100ms);
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_TRUE(text.find("\nw\t") != std::string::npos ||
              text.find("w.other.test") != std::string::npos)
      << text;
  EXPECT_NE(text.find(" 11 "), std::string::npos) << text;  // the new serial
}

// SIGHUP: an edited zone file with a newer serial becomes one changeset, journalled and
// served by IXFR like an UPDATE; an unchanged (older) file leaves the zone as UPDATEs made it.
TEST_F(DaemonTest, ReloadTurnsANewerZoneFileIntoAChangeset) {
  auto u =
      sign(test::make_update(60, "example.test", {test::a_record("u1.example.test", "192.0.2.60")}),
           key_);
  auto r = test::exchange(d_->port, u.bytes);
  ASSERT_TRUE(r);
  ASSERT_EQ(parse(*r).rcode(), Rcode::NOERROR);
  ASSERT_EQ(serial_of(*d_), 2u);

  // Wait (bounded) until the writer thread has handled a posted reload.
  auto wait_for_serial = [&](std::uint32_t want) {
    for (int i = 0; i < 200 && serial_of(*d_) != want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return serial_of(*d_);
  };

  // The file (serial 1) is older than the zone (serial 2): not used.
  d_->zones->reload();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(serial_of(*d_), 2u);
  EXPECT_EQ(answer_count(*d_, "u1.example.test", RRType::A), 1u);

  // The operator edits the file and raises the serial: the file wins.
  {
    std::string text = test::kZone;
    text.replace(text.find("SOA ns1 hostmaster 1 "), 21, "SOA ns1 hostmaster 5 ");
    text.replace(text.find("www IN A 192.0.2.1"), 18, "www IN A 192.0.2.99");
    text += "n1 IN TXT \"from the file\"\n";
    std::ofstream(dir_.path() / "example.test.zone") << text;
  }
  d_->zones->reload();
  ASSERT_EQ(wait_for_serial(5), 5u);
  EXPECT_EQ(answer_count(*d_, "n1.example.test", RRType::TXT), 1u);
  // The file's edit alone (from the file as last read): the UPDATE's record stays.
  EXPECT_EQ(answer_count(*d_, "u1.example.test", RRType::A), 1u);
  auto www = parse(*test::exchange(d_->port, test::make_query(61, "www.example.test", RRType::A)));
  ASSERT_EQ(www.answers.size(), 1u);
  EXPECT_EQ(www.answers[0].rdata, (std::vector<std::uint8_t>{192, 0, 2, 99}));

  // Journalled: IXFR from serial 2 is the reload's difference sequence.
  auto rr = answers(transfer(d_->port, test::make_ixfr(62, "example.test.", 2)));
  ASSERT_GE(rr.size(), 3u);
  EXPECT_EQ(zone::soa_serial(rr[0].rdata).value(), 5u);
  EXPECT_EQ(zone::soa_serial(rr[1].rdata).value(), 2u);
  bool saw_n1 = false, saw_u1_removed = false;
  for (const auto& x : rr) {
    saw_n1 = saw_n1 || x.owner == *wire::Name::from_text("n1.example.test.");
    saw_u1_removed = saw_u1_removed || x.owner == *wire::Name::from_text("u1.example.test.");
  }
  EXPECT_TRUE(saw_n1);
  EXPECT_FALSE(saw_u1_removed);
  auto usage = d_->zones->journal().usage(*wire::Name::from_text("example.test"));
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->changesets, 2u);

  // The same file again: nothing changes.
  d_->zones->reload();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(serial_of(*d_), 5u);
  EXPECT_EQ(d_->zones->journal().usage(*wire::Name::from_text("example.test"))->changesets, 2u);
}

}  // namespace
}  // namespace dnspush::server
