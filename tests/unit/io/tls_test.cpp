#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "io/client.hpp"
#include "io/tls_context.hpp"
#include "test_util.hpp"

namespace dnspush::io {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dnspush-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    auto g = TlsContext::generate_self_signed(cert_, key_, {"ns.example.test"});
    ASSERT_TRUE(g) << g.error().message;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Server> start(ServerOptions o = {}) {
    auto ctx = TlsContext::server(cert_, key_);
    EXPECT_TRUE(ctx) << ctx.error().message;
    if (!ctx) return nullptr;
    o.tls_context = *ctx;
    o.tls.push_back(*Endpoint::parse("127.0.0.1:0"));
    return test::start_server(std::move(o));
  }

  Result<test::Bytes> query(const Server& s, ClientTlsOptions c, std::uint16_t id) {
    auto ctx = TlsContext::client(c);
    if (!ctx) return tl::unexpected(ctx.error());
    ExchangeOptions o;
    o.port = test::port_of(s, "tls");
    o.transport = auth::Transport::kTls;
    o.timeout = 5s;
    o.tls = *ctx;
    return send_query(o, test::make_query(id));
  }

  fs::path dir_;
  std::string cert_, key_;
};

TEST_F(Tls, GeneratedCertificateLoadsAndNamesTheHosts) {
  EXPECT_TRUE(TlsContext::server(cert_, key_));
  EXPECT_EQ(fs::status(key_).permissions() & fs::perms::others_read, fs::perms::none);
  std::FILE* f = std::fopen(cert_.c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_host(x, "ns.example.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(x, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
  EXPECT_NE(X509_check_host(x, "other.test", 0, 0, nullptr), 1);
  EVP_PKEY* k = X509_get0_pubkey(x);
  EXPECT_EQ(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
  X509_free(x);
}

TEST_F(Tls, MismatchedKeyIsRefused) {
  const std::string cert2 = (dir_ / "cert2.pem").string(), key2 = (dir_ / "key2.pem").string();
  ASSERT_TRUE(TlsContext::generate_self_signed(cert2, key2, {}));
  auto r = TlsContext::server(cert_, key2);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("key2.pem"), std::string::npos) << r.error().message;
  EXPECT_FALSE(TlsContext::server((dir_ / "missing.pem").string(), key_));
}

TEST_F(Tls, HandshakeAndFramedQueryVerifiedAgainstTheCertificate) {
  auto s = start();
  ASSERT_NE(s, nullptr);
  ClientTlsOptions c;
  c.ca_file = cert_;
  c.hostname = "127.0.0.1";
  auto r = query(*s, c, 0xBEEF);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(test::id_of(*r), 0xBEEF);
  EXPECT_EQ(r->at(12), static_cast<std::uint8_t>(auth::Transport::kTls));
  c.hostname = "ns.example.test";
  auto by_name = query(*s, c, 2);
  ASSERT_TRUE(by_name) << by_name.error().message;
}

TEST_F(Tls, VerificationFailsForAnotherName) {
  auto s = start();
  ASSERT_NE(s, nullptr);
  ClientTlsOptions c;
  c.ca_file = cert_;
  c.hostname = "not-in-the-cert.test";
  EXPECT_FALSE(query(*s, c, 1));
  c.verify = false;  // --insecure
  EXPECT_TRUE(query(*s, c, 1));
}

// A raw OpenSSL client offering only `alpn` (empty: no ALPN at all).
bool handshake_with_alpn(std::uint16_t port, const std::vector<unsigned char>& alpn) {
  auto fd = test::connect_tcp(port);
  if (fd.get() < 0) return false;
  timeval tv{3, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!alpn.empty()) SSL_CTX_set_alpn_protos(ctx, alpn.data(), static_cast<unsigned>(alpn.size()));
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd.get());
  const bool ok = SSL_connect(ssl) == 1;
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return ok;
}

TEST_F(Tls, AlpnWithoutDotIsRejectedAndNoAlpnIsAccepted) {
  auto s = start();
  ASSERT_NE(s, nullptr);
  const auto port = test::port_of(*s, "tls");
  EXPECT_TRUE(handshake_with_alpn(port, {}));
  EXPECT_TRUE(handshake_with_alpn(port, {2, 'h', '2', 3, 'd', 'o', 't'}));
  EXPECT_FALSE(handshake_with_alpn(port, {2, 'h', '2'}));  // RFC 7301 §3.2
}

TEST_F(Tls, HandshakeTimeoutClosesASilentClient) {
  ServerOptions o;
  o.tls_handshake_timeout = 200ms;
  o.tcp_idle_timeout = 10s;
  auto s = start(o);
  ASSERT_NE(s, nullptr);
  auto fd = test::connect_tcp(test::port_of(*s, "tls"));
  ASSERT_GE(fd.get(), 0);
  bool eof = false;
  const auto start_time = std::chrono::steady_clock::now();
  test::read_for(fd.get(), 1, 3s, &eof);
  EXPECT_TRUE(eof);
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 2s);
}

TEST_F(Tls, ManySequentialSessions) {
  auto s = start();
  ASSERT_NE(s, nullptr);
  ClientTlsOptions c;
  c.verify = false;
  for (std::uint16_t i = 0; i < 10; ++i) {
    auto r = query(*s, c, i);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(test::id_of(*r), i);
  }
  for (int i = 0; i < 100 && s->connection_count() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(s->connection_count(), 0u);
}

}  // namespace
}  // namespace dnspush::io
