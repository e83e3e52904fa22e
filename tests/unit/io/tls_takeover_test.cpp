// TLS 1.3 connections on the real server continue on io/tls13_records after OpenSSL's
// handshake (transport.hpp): a plain OpenSSL client on a blocking socket must not notice,
// through session tickets, KeyUpdates both ways, answers larger than one record and its
// own close_notify; a tampered record gets the RFC's alert and touches no other
// connection; TLS 1.2, and a context told not to, stay with OpenSSL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <filesystem>
#include <thread>

#include "io/tls_context.hpp"
#include "test_util.hpp"

namespace dnspush::io {
namespace {

namespace fs = std::filesystem;
using test::Bytes;

constexpr std::uint16_t kBigId = 0xBEEF;
constexpr std::size_t kBigSize = 40000;  // an answer of three TLS records

Handler big_or_echo() {
  return [echo = test::echo_handler()](std::span<const std::uint8_t> q,
                                       const auth::QueryContext& ctx, Bytes& out) {
    if (q.size() >= 12 && (q[0] << 8 | q[1]) == kBigId) {
      out.assign(kBigSize, 0);
      for (std::size_t i = 12; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7);
      std::copy(q.begin(), q.begin() + 12, out.begin());
      out[2] |= 0x80;
      return true;
    }
    return echo(q, ctx, out);
  };
}

class TlsTakeover : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dnspush-takeover-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    ASSERT_TRUE(TlsContext::generate_self_signed(cert_, key_, {"ns.example.test"}));
  }
  void TearDown() override {
    for (SSL* s : clients_) SSL_free(s);
    SSL_CTX_free(cctx_);
    server_.reset();
    fs::remove_all(dir_);
  }

  void start(bool take_over = true) {
    auto ctx = TlsContext::server(cert_, key_);
    ASSERT_TRUE(ctx);
    (*ctx)->set_take_over_records(take_over);
    ServerOptions o;
    o.tls_context = *ctx;
    o.tls.push_back(*Endpoint::parse("127.0.0.1:0"));
    o.metrics = &metrics_;
    server_ = test::start_server(std::move(o), big_or_echo());
    ASSERT_TRUE(server_);
  }

  // A blocking OpenSSL client, handshake done.
  SSL* connect(int max_version = 0) {
    if (cctx_ == nullptr) cctx_ = SSL_CTX_new(TLS_client_method());
    if (max_version != 0) SSL_CTX_set_max_proto_version(cctx_, max_version);
    fds_.push_back(test::connect_tcp(test::port_of(*server_, "tls")));
    timeval tv{5, 0};
    ::setsockopt(fds_.back().get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* s = SSL_new(cctx_);
    clients_.push_back(s);
    SSL_set_fd(s, fds_.back().get());
    EXPECT_EQ(SSL_connect(s), 1);
    return s;
  }

  static bool write_all(SSL* s, const Bytes& b) {
    return SSL_write(s, b.data(), static_cast<int>(b.size())) == static_cast<int>(b.size());
  }

  // One framed answer, or empty.
  static bool read_exact(SSL* s, std::uint8_t* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      std::size_t k = 0;
      if (SSL_read_ex(s, p + got, n - got, &k) != 1) return false;
      got += k;
    }
    return true;
  }

  static Bytes read_answer(SSL* s) {
    std::uint8_t len[2];
    if (!read_exact(s, len, 2)) return {};
    Bytes m(static_cast<std::size_t>(len[0] << 8 | len[1]));
    if (!read_exact(s, m.data(), m.size())) return {};
    return m;
  }

  static bool query(SSL* s, std::uint16_t id) {
    if (!write_all(s, test::frame(test::make_query(id)))) return false;
    const Bytes a = read_answer(s);
    return a.size() >= 12 && test::id_of(a) == id && (a[2] & 0x80) != 0;
  }

  std::uint64_t takeovers() const { return metrics_.totals().value(Counter::kTlsTakeovers); }

  fs::path dir_;
  std::string cert_, key_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  SSL_CTX* cctx_ = nullptr;
  std::vector<test::Fd> fds_;
  std::vector<SSL*> clients_;
};

TEST_F(TlsTakeover, QueriesKeyUpdatesAndLargeAnswersOnOurRecords) {
  start();
  SSL* c = connect();
  ASSERT_EQ(SSL_version(c), TLS1_3_VERSION);
  ASSERT_TRUE(query(c, 1));
  EXPECT_EQ(takeovers(), 1u);
  for (std::uint16_t round = 0; round < 3; ++round) {
    // RFC 8446 §4.6.3: the server follows our new key and, asked to, changes its own.
    ASSERT_EQ(
        SSL_key_update(c, round % 2 == 0 ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED),
        1);
    ASSERT_TRUE(query(c, static_cast<std::uint16_t>(10 + round))) << round;
  }
  ASSERT_TRUE(write_all(c, test::frame(test::make_query(kBigId))));
  const Bytes big = read_answer(c);
  ASSERT_EQ(big.size(), kBigSize);
  for (std::size_t i = 12; i < big.size(); ++i) {
    ASSERT_EQ(big[i], static_cast<std::uint8_t>(i * 7)) << i;
  }
  // The session ticket OpenSSL sent before the takeover arrived intact, and resumes.
  SSL_SESSION* ticket = SSL_get1_session(c);
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(SSL_SESSION_is_resumable(ticket), 1);
  SSL* again = SSL_new(cctx_);
  clients_.push_back(again);
  fds_.push_back(test::connect_tcp(test::port_of(*server_, "tls")));
  SSL_set_fd(again, fds_.back().get());
  SSL_set_session(again, ticket);
  SSL_SESSION_free(ticket);
  ASSERT_EQ(SSL_connect(again), 1);
  EXPECT_EQ(SSL_session_reused(again), 1);
  EXPECT_TRUE(query(again, 2));
  EXPECT_EQ(takeovers(), 2u);
}

TEST_F(TlsTakeover, AnswersBeyondTheSocketBuffersArriveWholeAndInOrder) {
  // A client that reads late: 200 KB of answers wait for the socket (partial sends,
  // retried) while the server reads the client's KeyUpdate and must send its own answer
  // behind the records already sealed under the old key, each record once, in order.
  start();
  SSL* c = connect();
  ASSERT_TRUE(query(c, 1));
  constexpr int kBig = 5;  // 200 KB queued: under the 256 KiB slow-reader bound
  for (int i = 0; i < kBig; ++i) {
    Bytes q = test::make_query(kBigId);
    ASSERT_TRUE(write_all(c, test::frame(q)));
    if (i == kBig / 2) {
      ASSERT_EQ(SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED), 1);
    }
  }
  ASSERT_TRUE(write_all(c, test::frame(test::make_query(7))));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (int i = 0; i < kBig; ++i) {
    const Bytes big = read_answer(c);
    ASSERT_EQ(big.size(), kBigSize) << i;
    EXPECT_EQ(big[kBigSize - 1], static_cast<std::uint8_t>((kBigSize - 1) * 7)) << i;
  }
  const Bytes last = read_answer(c);
  ASSERT_GE(last.size(), 12u);
  EXPECT_EQ(test::id_of(last), 7);
  EXPECT_TRUE(query(c, 8));
}

TEST_F(TlsTakeover, CloseNotifyIsAnsweredWithCloseNotify) {
  start();
  SSL* c = connect();
  ASSERT_TRUE(query(c, 1));
  ASSERT_GE(SSL_shutdown(c), 0);
  char b;
  EXPECT_EQ(SSL_read(c, &b, 1), 0);
  EXPECT_EQ(SSL_get_error(c, 0), SSL_ERROR_ZERO_RETURN);
  EXPECT_EQ(SSL_get_shutdown(c) & SSL_RECEIVED_SHUTDOWN, SSL_RECEIVED_SHUTDOWN);
}

TEST_F(TlsTakeover, TamperedRecordGetsBadRecordMacAndOthersCarryOn) {
  start();
  SSL* victim = connect();
  SSL* other = connect();
  ASSERT_TRUE(query(victim, 1));
  // Seal a query into memory, flip one ciphertext bit, send it raw.
  BIO* mem = BIO_new(BIO_s_mem());
  SSL_set0_wbio(victim, mem);
  ASSERT_TRUE(write_all(victim, test::frame(test::make_query(2))));
  Bytes wire(static_cast<std::size_t>(BIO_pending(mem)));
  ASSERT_EQ(BIO_read(mem, wire.data(), static_cast<int>(wire.size())),
            static_cast<int>(wire.size()));
  wire[7] ^= 0x20;
  ASSERT_EQ(::send(fds_[0].get(), wire.data(), wire.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(wire.size()));
  char b;
  EXPECT_LE(SSL_read(victim, &b, 1), 0);
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  EXPECT_THAT(e == 0 ? "" : ERR_reason_error_string(e), ::testing::HasSubstr("bad record mac"));
  EXPECT_TRUE(query(other, 3));
}

TEST_F(TlsTakeover, UnprotectedRecordAfterTheHandshakeClosesTheConnection) {
  start();
  SSL* c = connect();
  ASSERT_TRUE(query(c, 1));
  const Bytes ccs = {20, 3, 3, 0, 1, 1};  // change_cipher_spec: no longer allowed
  ASSERT_EQ(::send(fds_[0].get(), ccs.data(), ccs.size(), MSG_NOSIGNAL), 6);
  char b;
  EXPECT_LE(SSL_read(c, &b, 1), 0);
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  EXPECT_THAT(e == 0 ? "" : ERR_reason_error_string(e), ::testing::HasSubstr("unexpected message"));
}

TEST_F(TlsTakeover, Tls12StaysWithOpenSsl) {
  start();
  SSL* c = connect(TLS1_2_VERSION);
  ASSERT_EQ(SSL_version(c), TLS1_2_VERSION);
  EXPECT_TRUE(query(c, 1));
  EXPECT_EQ(takeovers(), 0u);
  EXPECT_EQ(metrics_.totals().value(Counter::kTlsHandshakes, 0), 1u);
}

TEST_F(TlsTakeover, ContextThatDoesNotTakeOverLeavesOpenSslInCharge) {
  start(/*take_over=*/false);
  SSL* c = connect();
  ASSERT_EQ(SSL_version(c), TLS1_3_VERSION);
  EXPECT_TRUE(query(c, 1));
  ASSERT_EQ(SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED), 1);
  EXPECT_TRUE(query(c, 2));
  EXPECT_EQ(takeovers(), 0u);
}

}  // namespace
}  // namespace dnspush::io
