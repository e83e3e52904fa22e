// The TLS 1.3 record layer against OpenSSL itself: a real handshake between two OpenSSL
// objects over memory BIOs, then the server side continues on Tls13RecordLayer with the
// secrets from the key log, and the OpenSSL client must read what it seals and it must
// open what the client writes (RFC 8446 §5), through KeyUpdates both ways (§4.6.3).
#include "io/tls13_records.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io/tls_context.hpp"

namespace dnspush::io::detail {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

struct Secrets {
  Bytes client;
  Bytes server;
};

Bytes from_hex(std::string_view h) {
  Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return b;
}

void key_log(const SSL* ssl, const char* line) {
  auto* s = static_cast<Secrets*>(SSL_get_app_data(ssl));
  const std::string_view l(line);
  const auto sp1 = l.find(' ');
  const auto sp2 = l.find(' ', sp1 + 1);
  const auto label = l.substr(0, sp1);
  if (label == "CLIENT_TRAFFIC_SECRET_0") s->client = from_hex(l.substr(sp2 + 1));
  if (label == "SERVER_TRAFFIC_SECRET_0") s->server = from_hex(l.substr(sp2 + 1));
}

Bytes drain(BIO* b) {
  Bytes out;
  std::uint8_t buf[4096];
  int n;
  while ((n = BIO_read(b, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  return out;
}

void put(BIO* b, const Bytes& bytes) {
  if (!bytes.empty()) BIO_write(b, bytes.data(), static_cast<int>(bytes.size()));
}

class Tls13Records : public ::testing::Test {
 protected:
  void SetUp() override { handshake(nullptr); }

  // `ciphersuite`: the client's only offer (null: OpenSSL's default order).
  void handshake(const char* ciphersuite) {
    TearDown();
    dir_ = fs::temp_directory_path() /
           ("dnspush-tls13-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    const auto cert = (dir_ / "cert.pem").string();
    const auto key = (dir_ / "key.pem").string();
    ASSERT_TRUE(TlsContext::generate_self_signed(cert, key, {"ns.example.test"}));
    sctx_ = SSL_CTX_new(TLS_server_method());
    cctx_ = SSL_CTX_new(TLS_client_method());
    ASSERT_EQ(SSL_CTX_use_certificate_chain_file(sctx_, cert.c_str()), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey_file(sctx_, key.c_str(), SSL_FILETYPE_PEM), 1);
    SSL_CTX_set_min_proto_version(sctx_, TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(sctx_, 0);  // the server writes nothing after its Finished
    SSL_CTX_set_keylog_callback(sctx_, key_log);
    if (ciphersuite != nullptr) {
      ASSERT_EQ(SSL_CTX_set_ciphersuites(cctx_, ciphersuite), 1);
    }
    server_ = SSL_new(sctx_);
    client_ = SSL_new(cctx_);
    SSL_set_app_data(server_, &secrets_);
    sin_ = BIO_new(BIO_s_mem());
    sout_ = BIO_new(BIO_s_mem());
    cin_ = BIO_new(BIO_s_mem());
    cout_ = BIO_new(BIO_s_mem());
    SSL_set_bio(server_, sin_, sout_);
    SSL_set_bio(client_, cin_, cout_);
    SSL_set_accept_state(server_);
    SSL_set_connect_state(client_);
    bool sdone = false, cdone = false;
    for (int i = 0; i < 20 && !(sdone && cdone); ++i) {
      cdone = cdone || SSL_do_handshake(client_) == 1;
      put(sin_, drain(cout_));
      sdone = sdone || SSL_do_handshake(server_) == 1;
      put(cin_, drain(sout_));
    }
    ASSERT_TRUE(sdone && cdone);
    ASSERT_EQ(SSL_version(server_), TLS1_3_VERSION);
    suite_ = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(server_));
    layer_ = Tls13RecordLayer::create(suite_, secrets_.client, secrets_.server, 0, 0);
    ASSERT_TRUE(layer_);
  }

  void TearDown() override {
    SSL_free(server_);
    SSL_free(client_);
    SSL_CTX_free(sctx_);
    SSL_CTX_free(cctx_);
    server_ = client_ = nullptr;
    sctx_ = cctx_ = nullptr;
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The client writes `text`; returns the ciphertext it produced.
  Bytes client_writes(std::string_view text) {
    EXPECT_EQ(SSL_write(client_, text.data(), static_cast<int>(text.size())),
              static_cast<int>(text.size()));
    return drain(cout_);
  }

  // Opens `wire` with the layer; returns the plaintext; `out` gets what it sends back.
  std::string layer_opens(Bytes wire, Bytes& out) {
    const auto r = layer_->open(wire, out);
    EXPECT_EQ(r.consumed, wire.size());
    return std::string(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(r.plaintext));
  }

  // Hands `wire` to the client and reads everything it decrypts.
  std::string client_reads(const Bytes& wire) {
    put(cin_, wire);
    std::string got;
    char buf[4096];
    int n;
    while ((n = SSL_read(client_, buf, sizeof buf)) > 0)
      got.append(buf, static_cast<std::size_t>(n));
    ERR_clear_error();
    return got;
  }

  fs::path dir_;
  SSL_CTX* sctx_ = nullptr;
  SSL_CTX* cctx_ = nullptr;
  SSL* server_ = nullptr;
  SSL* client_ = nullptr;
  BIO *sin_ = nullptr, *sout_ = nullptr, *cin_ = nullptr, *cout_ = nullptr;
  Secrets secrets_;
  std::uint16_t suite_ = 0;
  std::unique_ptr<Tls13RecordLayer> layer_;
};

TEST_F(Tls13Records, OpensWhatOpenSslSealsAndSealsWhatItOpens) {
  Bytes out;
  EXPECT_EQ(layer_opens(client_writes("first query"), out), "first query");
  EXPECT_EQ(layer_opens(client_writes("second"), out), "second");
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(layer_->read_seq(), 2u);
  Bytes wire;
  ASSERT_TRUE(layer_->seal(Bytes{'a', 'n', 's'}, wire));
  ASSERT_TRUE(layer_->seal(Bytes{'w', 'e', 'r'}, wire));
  EXPECT_EQ(wire.size(), 2 * (3 + Tls13RecordLayer::kOverhead));
  EXPECT_EQ(client_reads(wire), "answer");
  EXPECT_EQ(layer_->state(), Tls13RecordLayer::State::kOpen);
}

TEST_F(Tls13Records, EveryCipherSuiteOfTls13) {
  for (const char* s :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    handshake(s);
    Bytes out, wire;
    EXPECT_EQ(layer_opens(client_writes("hello"), out), "hello") << s;
    ASSERT_TRUE(layer_->seal(Bytes{'o', 'k'}, wire));
    EXPECT_EQ(client_reads(wire), "ok") << s;
  }
  EXPECT_EQ(suite_, 0x1303);
}

TEST_F(Tls13Records, LargeWritesAreSplitIntoRecordsOfAtMost16KiB) {
  std::string big(40000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  Bytes wire;
  ASSERT_TRUE(layer_->seal(Bytes(big.begin(), big.end()), wire));
  EXPECT_EQ(wire.size(), big.size() + 3 * Tls13RecordLayer::kOverhead);  // 3 records
  EXPECT_EQ(client_reads(wire), big);
  // And a client's 40000-byte write, fed in pieces of 7 bytes: partial records wait.
  Bytes in = client_writes(big);
  Bytes buffer, out;
  std::string got;
  for (std::size_t i = 0; i < in.size(); i += 7) {
    buffer.insert(buffer.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
                  in.begin() + static_cast<std::ptrdiff_t>(std::min(in.size(), i + 7)));
    const auto r = layer_->open(buffer, out);
    got.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.plaintext));
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
  }
  EXPECT_EQ(got, big);
  EXPECT_TRUE(buffer.empty());
}

TEST_F(Tls13Records, ClientKeyUpdateRequestedIsFollowedAndAnswered) {
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(SSL_key_update(client_, SSL_KEY_UPDATE_REQUESTED), 1);
    Bytes out;
    EXPECT_EQ(layer_opens(client_writes("after update"), out), "after update");
    EXPECT_EQ(layer_->key_updates_received(), static_cast<std::uint64_t>(round + 1));
    // §4.6.3: our KeyUpdate(update_not_requested) is owed before our next data.
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(layer_->write_seq(), 0u);
    Bytes wire = out;
    ASSERT_TRUE(layer_->seal(Bytes{'y', 'e', 's'}, wire));
    EXPECT_EQ(client_reads(wire), "yes");
  }
  // A KeyUpdate the client does not ask us to answer changes only its own key.
  ASSERT_EQ(SSL_key_update(client_, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  Bytes out;
  EXPECT_EQ(layer_opens(client_writes("quiet"), out), "quiet");
  EXPECT_TRUE(out.empty());
  Bytes wire;
  ASSERT_TRUE(layer_->seal(Bytes{'o', 'k'}, wire));
  EXPECT_EQ(client_reads(wire), "ok");
}

TEST_F(Tls13Records, OurKeyIsUpdatedBeforeItWearsOut) {
  // A second layer with the directions swapped plays the client, so that both can start
  // just before the re-key point.
  constexpr std::uint64_t kStart = Tls13RecordLayer::kRekeyAfter - 1;
  auto peer = Tls13RecordLayer::create(suite_, secrets_.server, secrets_.client, kStart, 0);
  auto ours = Tls13RecordLayer::create(suite_, secrets_.client, secrets_.server, 0, kStart);
  ASSERT_TRUE(peer && ours);
  Bytes wire, out;
  ASSERT_TRUE(ours->seal(Bytes{'1'}, wire));
  ASSERT_TRUE(ours->seal(Bytes{'2'}, wire));  // preceded by KeyUpdate: seq reached 2^23
  EXPECT_EQ(ours->write_seq(), 1u);
  const auto r = peer->open(wire, out);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_EQ(std::string(wire.begin(), wire.begin() + 2), "12");
  EXPECT_EQ(peer->key_updates_received(), 1u);
  EXPECT_TRUE(out.empty());  // update_not_requested
}

TEST_F(Tls13Records, CloseNotifyEndsTheStreamAndIsAnswered) {
  Bytes out;
  EXPECT_EQ(layer_opens(client_writes("last"), out), "last");
  ASSERT_GE(SSL_shutdown(client_), 0);
  EXPECT_EQ(layer_opens(drain(cout_), out), "");
  EXPECT_EQ(layer_->state(), Tls13RecordLayer::State::kPeerClosed);
  // Half-close: we may still answer, then close too.
  Bytes wire;
  ASSERT_TRUE(layer_->seal(Bytes{'b', 'y', 'e'}, wire));
  layer_->close(wire);
  EXPECT_EQ(client_reads(wire), "bye");
  EXPECT_EQ(SSL_get_shutdown(client_) & SSL_RECEIVED_SHUTDOWN, SSL_RECEIVED_SHUTDOWN);
  EXPECT_FALSE(layer_->seal(Bytes{'x'}, wire));
}

// The alert a failed layer sent, as the OpenSSL client saw it.
std::string alert_seen_by(SSL* client, BIO* cin, const Bytes& out) {
  put(cin, out);
  char buf[64];
  EXPECT_LE(SSL_read(client, buf, sizeof buf), 0);
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  return e == 0 ? "" : ERR_reason_error_string(e);
}

TEST_F(Tls13Records, TamperedRecordIsBadRecordMac) {
  Bytes wire = client_writes("query");
  const Bytes more = client_writes("more");
  wire[8] ^= 1;
  Bytes out;
  const auto r = layer_->open(wire, out);
  EXPECT_EQ(r.plaintext, 0u);
  EXPECT_EQ(layer_->state(), Tls13RecordLayer::State::kFailed);
  EXPECT_THAT(alert_seen_by(client_, cin_, out), ::testing::HasSubstr("bad record mac"));
  EXPECT_FALSE(layer_->seal(Bytes{'x'}, out));
  // Nothing more is opened once failed.
  Bytes out2;
  Bytes again = more;
  EXPECT_EQ(layer_->open(again, out2).plaintext, 0u);
  EXPECT_TRUE(out2.empty());
}

TEST_F(Tls13Records, OversizeRecordIsRecordOverflow) {
  Bytes wire = {23, 3, 3, 0x41, 0x01};  // 2^14 + 257: one more than §5.2 allows
  Bytes out;
  const auto r = layer_->open(wire, out);
  EXPECT_EQ(r.plaintext, 0u);
  EXPECT_EQ(layer_->state(), Tls13RecordLayer::State::kFailed);
  EXPECT_THAT(alert_seen_by(client_, cin_, out), ::testing::HasSubstr("record overflow"));
}

TEST_F(Tls13Records, ChangeCipherSpecAfterTheHandshakeIsUnexpected) {
  Bytes wire = {20, 3, 3, 0, 1, 1};
  Bytes out;
  layer_->open(wire, out);
  EXPECT_EQ(layer_->state(), Tls13RecordLayer::State::kFailed);
  EXPECT_THAT(alert_seen_by(client_, cin_, out), ::testing::HasSubstr("unexpected message"));
}

TEST_F(Tls13Records, PartialHeaderAndBodyWaitForMoreBytes) {
  Bytes wire = client_writes("split");
  Bytes out;
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{5}, wire.size() - 1}) {
    Bytes part(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(cut));
    const auto r = layer_->open(part, out);
    EXPECT_EQ(r.consumed, 0u) << cut;
    EXPECT_EQ(r.plaintext, 0u) << cut;
  }
  EXPECT_EQ(layer_opens(wire, out), "split");
}

// The peer-side layer crafts records OpenSSL would never send.
class Tls13Crafted : public Tls13Records {
 protected:
  void SetUp() override {
    Tls13Records::SetUp();
    peer_ = Tls13RecordLayer::create(suite_, secrets_.server, secrets_.client, 0, 0);
    ASSERT_TRUE(peer_);
  }
  Tls13RecordLayer::State feed(std::uint8_t type, Bytes inner) {
    Bytes wire;
    peer_->seal_message(type, inner, wire);
    out_.clear();
    got_ = layer_->open(wire, out_);
    return layer_->state();
  }
  std::unique_ptr<Tls13RecordLayer> peer_;
  Bytes out_;
  Tls13RecordLayer::Opened got_;
};

TEST_F(Tls13Crafted, KeyUpdateFollowedByDataInTheSameRecordIsUnexpected) {
  EXPECT_EQ(feed(22, {24, 0, 0, 1, 0, 99}), Tls13RecordLayer::State::kFailed);
  EXPECT_EQ(layer_->key_updates_received(), 0u);
}

TEST_F(Tls13Crafted, HandshakeMessagesOtherThanKeyUpdateAreUnexpected) {
  EXPECT_EQ(feed(22, {4, 0, 0, 1, 0}), Tls13RecordLayer::State::kFailed);  // NewSessionTicket
  EXPECT_FALSE(out_.empty());                                              // the alert
}

TEST_F(Tls13Crafted, KeyUpdateWithABadValueOrLengthFails) {
  EXPECT_EQ(feed(22, {24, 0, 0, 1, 2}), Tls13RecordLayer::State::kFailed);
  SetUp();
  EXPECT_EQ(feed(22, {24, 0, 0, 2, 0, 0}), Tls13RecordLayer::State::kFailed);
}

TEST_F(Tls13Crafted, KeyUpdateSplitAcrossRecordsIsFollowed) {
  EXPECT_EQ(feed(22, {24, 0}), Tls13RecordLayer::State::kOpen);
  EXPECT_EQ(feed(22, {0, 1, 1}), Tls13RecordLayer::State::kOpen);
  EXPECT_EQ(layer_->key_updates_received(), 1u);
  EXPECT_FALSE(out_.empty());  // update_requested: ours went out
}

TEST_F(Tls13Crafted, DataInsideASplitHandshakeMessageIsUnexpected) {
  EXPECT_EQ(feed(22, {24, 0}), Tls13RecordLayer::State::kOpen);
  EXPECT_EQ(feed(23, {'x'}), Tls13RecordLayer::State::kFailed);
  EXPECT_EQ(got_.plaintext, 0u);
}

TEST_F(Tls13Crafted, PaddingIsStrippedAndAllZeroRecordsFail) {
  // seal_message appends its type byte (here 0) after the bytes given: the inner
  // plaintext is "hi" 23 0 0 0, i.e. application data "hi" and three bytes of padding.
  EXPECT_EQ(feed(0, {'h', 'i', 23, 0, 0}), Tls13RecordLayer::State::kOpen);
  EXPECT_EQ(got_.plaintext, 2u);
  EXPECT_EQ(feed(0, {0, 0, 0}), Tls13RecordLayer::State::kFailed);  // no content type
}

TEST_F(Tls13Crafted, AlertsCloseFailOrAreIgnored) {
  EXPECT_EQ(feed(21, {1, 90}), Tls13RecordLayer::State::kOpen);  // user_canceled
  EXPECT_EQ(feed(21, {2, 40}), Tls13RecordLayer::State::kFailed);
  EXPECT_TRUE(out_.empty());  // §6.2: no alert in answer to a fatal alert
  SetUp();
  EXPECT_EQ(feed(21, {1, 0, 0}), Tls13RecordLayer::State::kFailed);  // two bytes only
  SetUp();
  EXPECT_EQ(feed(21, {1, 0}), Tls13RecordLayer::State::kPeerClosed);
}

TEST_F(Tls13Crafted, UnknownContentTypesAndEmptyHandshakesFail) {
  EXPECT_EQ(feed(99, {1, 2, 3}), Tls13RecordLayer::State::kFailed);
  SetUp();
  EXPECT_EQ(feed(22, {}), Tls13RecordLayer::State::kFailed);
  SetUp();
  EXPECT_EQ(feed(23, {}), Tls13RecordLayer::State::kOpen);  // empty application data is fine
}

TEST(Tls13RecordLayerCreate, RefusesUnknownSuitesAndWrongSecretLengths) {
  const Bytes s32(32, 1), s48(48, 1);
  EXPECT_FALSE(Tls13RecordLayer::create(0x1304, s32, s32, 0, 0));  // CCM: not offered
  EXPECT_FALSE(Tls13RecordLayer::create(0x1301, s48, s32, 0, 0));
  EXPECT_FALSE(Tls13RecordLayer::create(0x1302, s32, s32, 0, 0));
  EXPECT_TRUE(Tls13RecordLayer::create(0x1302, s48, s48, 0, 0));
}

}  // namespace
}  // namespace dnspush::io::detail
