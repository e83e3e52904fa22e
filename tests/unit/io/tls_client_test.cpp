// The client side of io/'s TLS stream: per-connection name (SNI and the check), session
// resumption (RFC 8446 §2.2) and DANE through OpenSSL (RFC 7671/7673), against the real
// server on loopback.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>

#include "io/asio.hpp"
#include "io/tls_context.hpp"
#include "io/tls_stream.hpp"
#include "test_util.hpp"

namespace dnspush::io {
namespace {

namespace fs = std::filesystem;
using detail::kAsTuple;

struct Outcome {
  bool handshake = false;
  bool answered = false;
  bool resumed = false;
  bool dane = false;
  std::string verify_error;
  TlsSessionPtr session;
};

// One connection: handshake with `p`, one framed query and its answer, then close.
Outcome exchange(std::uint16_t port, const TlsContext& ctx, const TlsClientParams& p) {
  asio::io_context io;
  Outcome out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::socket sock(io);
        auto [ec] =
            co_await sock.async_connect({asio::ip::make_address("127.0.0.1"), port}, kAsTuple);
        if (ec) co_return;
        detail::TlsStream s(std::move(sock), ctx, p);
        if (auto hec = co_await s.handshake()) {
          out.verify_error = s.verify_error();
          co_return;
        }
        out.handshake = true;
        out.resumed = s.resumed();
        out.dane = s.dane_authenticated();
        auto q = test::make_query(7);
        test::Bytes framed(2 + q.size());
        framed[1] = static_cast<std::uint8_t>(q.size());
        std::copy(q.begin(), q.end(), framed.begin() + 2);
        if (co_await s.write_all(framed)) co_return;
        std::uint8_t buf[512];
        std::error_code rec;
        const auto n = co_await s.read_some(buf, rec);
        out.answered = !rec && n > 2;
        out.session = s.session();  // TLS 1.3: the ticket came with the answer
        s.close();
      },
      asio::detached);
  io.run();
  return out;
}

std::string spki_sha256(const std::string& cert_file) {
  std::FILE* f = std::fopen(cert_file.c_str(), "r");
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
  unsigned char md[32];
  unsigned int md_len = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  X509_free(x);
  return std::string(reinterpret_cast<char*>(md), md_len);
}

class TlsClient : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dnspush-tlsc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    ASSERT_TRUE(TlsContext::generate_self_signed(cert_, key_, {"push.example.test"}));
    auto ctx = TlsContext::server(cert_, key_);
    ASSERT_TRUE(ctx);
    ServerOptions o;
    o.tls_context = *ctx;
    o.tls.push_back(*Endpoint::parse("127.0.0.1:0"));
    server_ = test::start_server(std::move(o));
    ASSERT_NE(server_, nullptr);
    port_ = test::port_of(*server_, "tls");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }
  std::shared_ptr<TlsContext> client(bool verify, const std::string& ca) {
    ClientTlsOptions o;
    o.verify = verify;
    o.ca_file = ca;
    auto c = TlsContext::client(o);
    EXPECT_TRUE(c);
    return c ? *c : nullptr;
  }

  fs::path dir_;
  std::string cert_, key_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(TlsClient, TheNameOfEachConnectionIsChecked) {
  auto ctx = client(true, cert_);
  TlsClientParams p;
  p.hostname = "push.example.test";
  EXPECT_TRUE(exchange(port_, *ctx, p).answered);
  p.hostname = "other.example.test";
  const auto bad = exchange(port_, *ctx, p);
  EXPECT_FALSE(bad.handshake);
  EXPECT_EQ(bad.verify_error, "hostname mismatch");
}

TEST_F(TlsClient, TheSessionIsResumedOnTheNextConnection) {
  auto ctx = client(true, cert_);
  TlsClientParams p;
  p.hostname = "push.example.test";
  const auto first = exchange(port_, *ctx, p);
  ASSERT_TRUE(first.answered);
  EXPECT_FALSE(first.resumed);
  ASSERT_NE(first.session, nullptr);
  p.resume = first.session;
  const auto second = exchange(port_, *ctx, p);
  EXPECT_TRUE(second.answered);
  EXPECT_TRUE(second.resumed);
}

TEST_F(TlsClient, ReadAvailableReturnsWhatHasArrivedAndNeverWaits) {
  // PushConnection races wait_readable() against its timers, then reads: a read that
  // waited inside (after a wakeup that brought only a ticket, or none at all) kept the
  // client from its own timers until the server happened to send something.
  auto ctx = client(true, cert_);
  TlsClientParams p;
  p.hostname = "push.example.test";
  asio::io_context io;
  int zero_reads = 0;
  bool ticket = false, answered = false, finished = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::socket sock(io);
        auto [ec] =
            co_await sock.async_connect({asio::ip::make_address("127.0.0.1"), port_}, kAsTuple);
        if (ec) co_return;
        detail::TlsStream s(std::move(sock), *ctx, p);
        if (co_await s.handshake()) co_return;
        std::uint8_t buf[512];
        std::error_code rec;
        // The server's ticket (TLS 1.3 sends it after the handshake) and nothing else.
        if (co_await s.wait_readable()) co_return;
        if (co_await s.read_available(buf, rec) == 0 && !rec) ++zero_reads;
        ticket = s.session() != nullptr;
        // Nothing more has come: no wait.
        if (co_await s.read_available(buf, rec) == 0 && !rec) ++zero_reads;
        auto q = test::make_query(7);
        test::Bytes framed(2 + q.size());
        framed[1] = static_cast<std::uint8_t>(q.size());
        std::copy(q.begin(), q.end(), framed.begin() + 2);
        if (co_await s.write_all(framed)) co_return;
        for (int i = 0; i < 10 && !answered; ++i) {
          if (co_await s.wait_readable()) co_return;
          answered = co_await s.read_available(buf, rec) > 2 && !rec;
        }
        s.close();
        finished = true;
      },
      asio::detached);
  io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(finished);
  EXPECT_EQ(zero_reads, 2);
  EXPECT_TRUE(ticket);
  EXPECT_TRUE(answered);
}

TEST_F(TlsClient, DaneAuthenticatesWithoutATrustedCaAndRefusesAWrongRecord) {
  auto ctx = client(true, "");  // the system store: the self-signed certificate fails
  TlsClientParams p;
  p.hostname = "push.example.test";
  EXPECT_FALSE(exchange(port_, *ctx, p).handshake);

  const auto digest = spki_sha256(cert_);
  p.tlsa.push_back(TlsaRecord{3, 1, 1, std::vector<std::uint8_t>(digest.begin(), digest.end())});
  const auto good = exchange(port_, *ctx, p);
  EXPECT_TRUE(good.answered);
  EXPECT_TRUE(good.dane);

  p.tlsa[0].data[0] ^= 0xFF;
  const auto bad = exchange(port_, *ctx, p);
  EXPECT_FALSE(bad.handshake);
  EXPECT_NE(bad.verify_error.find("DANE"), std::string::npos) << bad.verify_error;
}

TEST_F(TlsClient, DaneAppliesEvenWhenTheContextDoesNotVerify) {
  auto ctx = client(false, "");  // --insecure; authenticated TLSA records still count
  TlsClientParams p;
  p.hostname = "push.example.test";
  p.tlsa.push_back(TlsaRecord{3, 1, 1, std::vector<std::uint8_t>(32, 0)});
  EXPECT_FALSE(exchange(port_, *ctx, p).handshake);
}

}  // namespace
}  // namespace dnspush::io
