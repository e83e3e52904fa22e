// TSIG (RFC 8945) against messages signed by dnspython (tests/data/tsig/fixtures.txt,
// written by make_fixtures.py) and round trips through our own signer.
#include "wire/tsig.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace dnspush::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kNow = 1700000000;  // make_fixtures.py NOW

Bytes from_hex(const std::string& s) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string to_hex(const Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s.push_back(kDigits[c >> 4]);
    s.push_back(kDigits[c & 15]);
  }
  return s;
}

struct Fixture {
  std::string kind, name, alg, keyname, secret;
  std::uint64_t now = 0;
  std::vector<Bytes> wires;
  std::string request;  // for responses and streams

  TsigKey key() const {
    auto k = TsigKey::from_fields(keyname, alg, secret);
    EXPECT_TRUE(k.has_value()) << name;
    return *k;
  }
};

const std::map<std::string, Fixture>& fixtures() {
  static const std::map<std::string, Fixture> all = [] {
    std::map<std::string, Fixture> m;
    std::ifstream in(std::string(DNSPUSH_TEST_DATA) + "/tsig/fixtures.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ls(line);
      Fixture f;
      std::string hexes;
      ls >> f.kind >> f.name >> f.alg >> f.keyname >> f.secret >> f.now >> hexes >> f.request;
      std::istringstream hs(hexes);
      std::string h;
      while (std::getline(hs, h, ',')) f.wires.push_back(from_hex(h));
      m[f.name] = f;
    }
    return m;
  }();
  return all;
}

const Fixture& fixture(const std::string& name) {
  const auto it = fixtures().find(name);
  if (it == fixtures().end()) {
    ADD_FAILURE() << "missing fixture " << name;
    static const Fixture empty;
    return empty;
  }
  return it->second;
}

const std::vector<std::string> kAlgs = {"hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"};

Message parse(const Bytes& b) {
  auto m = Message::parse(b);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
  return m ? *m : Message{};
}

TsigKeyring ring_of(const TsigKey& k) {
  TsigKeyring r;
  EXPECT_TRUE(r.add(k).has_value());
  return r;
}

TsigVerifyResult verify(const Bytes& b, const TsigKeyring& ring, std::uint64_t now,
                        const TsigVerifyOptions& opts = {}) {
  return tsig_verify_request(b, parse(b), ring, now, opts);
}

// The message as it was before signing: TSIG removed, ARCOUNT one less.
Bytes strip_tsig(const Bytes& b) {
  const Message m = parse(b);
  Bytes out(b.begin(), b.begin() + static_cast<long>(*m.tsig_offset));
  const std::uint16_t ar = static_cast<std::uint16_t>(((out[10] << 8) | out[11]) - 1);
  out[10] = static_cast<std::uint8_t>(ar >> 8);
  out[11] = static_cast<std::uint8_t>(ar);
  return out;
}

// Rewrites the TSIG record with `t`'s fields (to build truncated or tampered MACs).
Bytes with_tsig(const Bytes& b, const TsigRecord& t) {
  const Message m = parse(b);
  Bytes out(b.begin(), b.begin() + static_cast<long>(*m.tsig_offset));
  auto u16 = [&](std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  };
  auto bytes = [&](std::span<const std::uint8_t> s) { out.insert(out.end(), s.begin(), s.end()); };
  bytes(t.key_name.wire());
  u16(250);
  u16(255);
  u16(0);
  u16(0);
  const std::size_t rdlen_at = out.size();
  u16(0);
  bytes(t.algorithm.wire());
  u16(static_cast<std::uint16_t>(t.time_signed >> 32));
  u16(static_cast<std::uint16_t>(t.time_signed >> 16));
  u16(static_cast<std::uint16_t>(t.time_signed));
  u16(t.fudge);
  u16(static_cast<std::uint16_t>(t.mac.size()));
  bytes(t.mac);
  u16(t.original_id);
  u16(static_cast<std::uint16_t>(t.error));
  u16(static_cast<std::uint16_t>(t.other.size()));
  bytes(t.other);
  const std::size_t rdlen = out.size() - rdlen_at - 2;
  out[rdlen_at] = static_cast<std::uint8_t>(rdlen >> 8);
  out[rdlen_at + 1] = static_cast<std::uint8_t>(rdlen);
  return out;
}

TsigRecord tsig_of(const Bytes& b) {
  auto t = TsigRecord::parse(b, *parse(b).tsig_offset);
  EXPECT_TRUE(t.has_value());
  return *t;
}

Bytes make_query(std::uint16_t id, const std::string& qname, Opcode op = Opcode::QUERY) {
  Message m;
  m.header.id = id;
  m.header.opcode = op;
  m.questions.push_back(
      {*Name::from_text(qname), op == Opcode::UPDATE ? RRType::SOA : RRType::A, RRClass::IN});
  return m.to_wire();
}

Bytes make_answer(const Bytes& request, const std::string& owner, std::uint8_t last_octet) {
  Message m = parse(request);
  m.header.qr = true;
  m.header.aa = true;
  m.additionals.clear();
  m.answers.push_back(
      {*Name::from_text(owner), RRType::A, RRClass::IN, 300, Bytes{192, 0, 2, last_octet}});
  return m.to_wire();
}

TsigKey test_key(TsigAlgorithm alg, const std::string& name = "k.example.") {
  Bytes secret(digest_size(alg));
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i * 13);
  return TsigKey{*Name::from_text(name), alg, secret};
}

// ---- algorithms, base64, keys ---------------------------------------------------------

TEST(Tsig, AlgorithmNamesAndSizes) {
  EXPECT_EQ(algorithm_name(TsigAlgorithm::kHmacSha256).to_text(), "hmac-sha256.");
  EXPECT_EQ(algorithm_name(TsigAlgorithm::kHmacSha1).to_text(), "hmac-sha1.");
  EXPECT_EQ(algorithm_from_name(*Name::from_text("HMAC-SHA512.")), TsigAlgorithm::kHmacSha512);
  EXPECT_FALSE(algorithm_from_name(*Name::from_text("hmac-md5.sig-alg.reg.int.")));
  EXPECT_EQ(*algorithm_from_text("hmac-sha384"), TsigAlgorithm::kHmacSha384);
  EXPECT_EQ(*algorithm_from_text("HMAC-SHA1."), TsigAlgorithm::kHmacSha1);
  EXPECT_FALSE(algorithm_from_text("hmac-md5"));
  EXPECT_FALSE(algorithm_from_text("hmac-md5.sig-alg.reg.int."));
  EXPECT_FALSE(algorithm_from_text("sha256"));
  EXPECT_EQ(digest_size(TsigAlgorithm::kHmacSha1), 20u);
  EXPECT_EQ(digest_size(TsigAlgorithm::kHmacSha512), 64u);
  // §5.2.2.1: max(10, half the hash).
  EXPECT_EQ(min_truncated_size(TsigAlgorithm::kHmacSha1), 10u);
  EXPECT_EQ(min_truncated_size(TsigAlgorithm::kHmacSha256), 16u);
  EXPECT_EQ(min_truncated_size(TsigAlgorithm::kHmacSha512), 32u);
}

TEST(Tsig, Base64) {
  // RFC 4648 §10 test vectors.
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : vectors) {
    const Bytes p(plain.begin(), plain.end());
    EXPECT_EQ(base64_encode(p), enc);
    auto d = base64_decode(enc);
    ASSERT_TRUE(d.has_value()) << enc;
    EXPECT_EQ(*d, p);
  }
  EXPECT_EQ(*base64_decode("Zm8"), (Bytes{'f', 'o'}));  // padding optional
  EXPECT_FALSE(base64_decode("Zm9v!A=="));
  EXPECT_FALSE(base64_decode("Zm9 v"));
  EXPECT_FALSE(base64_decode("Z"));
  EXPECT_FALSE(base64_decode("Zm8=="));     // too much padding
  EXPECT_FALSE(base64_decode("Zm9=Yg=="));  // padding in the middle
  EXPECT_FALSE(base64_decode("Zh=="));      // non-zero trailing bits
}

TEST(Tsig, KeyFromStringAndFields) {
  auto k = TsigKey::from_string("hmac-sha512:Update-Key.example:Zm9vYmFy");
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(k->alg, TsigAlgorithm::kHmacSha512);
  EXPECT_EQ(k->name.to_text(), "Update-Key.example.");
  EXPECT_EQ(k->secret, (Bytes{'f', 'o', 'o', 'b', 'a', 'r'}));

  auto d = TsigKey::from_string("key:Zm9vYmFy");  // algorithm defaults to hmac-sha256
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->alg, TsigAlgorithm::kHmacSha256);

  EXPECT_FALSE(TsigKey::from_string("hmac-md5:key:Zm9vYmFy"));
  EXPECT_FALSE(TsigKey::from_string("hmac-sha256:key:not base64!"));
  EXPECT_FALSE(TsigKey::from_string("hmac-sha256:key:"));
  EXPECT_FALSE(TsigKey::from_string("Zm9vYmFy"));
  EXPECT_FALSE(TsigKey::from_string("a:b:c:Zm9vYmFy"));
  EXPECT_FALSE(TsigKey::from_string("hmac-sha256::Zm9vYmFy"));

  auto f = TsigKey::from_fields("key.example.", "hmac-sha1", "Zm9vYmFy");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->alg, TsigAlgorithm::kHmacSha1);
  EXPECT_FALSE(TsigKey::from_fields("key.example.", "gss-tsig", "Zm9vYmFy"));
}

TEST(Tsig, KeyringIsCaseInsensitive) {
  TsigKeyring ring;
  ASSERT_TRUE(ring.add(*TsigKey::from_string("hmac-sha256:Key.Example:Zm9vYmFy")));
  EXPECT_FALSE(ring.add(*TsigKey::from_string("hmac-sha1:KEY.example.:Zm9v")));
  EXPECT_EQ(ring.size(), 1u);
  const TsigKey* k = ring.find(*Name::from_text("key.EXAMPLE."));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->alg, TsigAlgorithm::kHmacSha256);
  EXPECT_EQ(ring.find(*Name::from_text("other.example.")), nullptr);
}

// ---- messages signed by dnspython -----------------------------------------------------

TEST(Tsig, FixturesArePresent) {
  for (const auto& a : kAlgs) {
    for (const auto& n : {"query-", "update-", "update-response-", "axfr-", "axfr-stream-"}) {
      EXPECT_EQ(fixtures().count(n + a), 1u) << n << a;
    }
  }
}

TEST(Tsig, VerifiesDnspythonRequests) {
  for (const auto& [name, f] : fixtures()) {
    if (f.kind != "request") continue;
    SCOPED_TRACE(name);
    const TsigKey key = f.key();
    const auto v = verify(f.wires[0], ring_of(key), f.now);
    EXPECT_EQ(v.error, Rcode::NOERROR);
    EXPECT_EQ(v.response_rcode(), Rcode::NOERROR);
    ASSERT_TRUE(v.key.has_value());
    EXPECT_EQ(v.key->name, key.name);
    EXPECT_EQ(v.time_signed, f.now);
    EXPECT_EQ(v.request_mac.size(), digest_size(key.alg));
    EXPECT_EQ(v.request_mac, tsig_of(f.wires[0]).mac);
  }
}

TEST(Tsig, KeyNameCaseDoesNotMatter) {
  // The sha256 fixtures use "Test-Key.Example."; the digest uses the lower-case name.
  const Fixture& f = fixture("update-hmac-sha256");
  TsigKey key = f.key();
  key.name = *Name::from_text("test-key.example.");
  EXPECT_EQ(verify(f.wires[0], ring_of(key), f.now).error, Rcode::NOERROR);
}

TEST(Tsig, VerifiesDnspythonResponses) {
  for (const auto& a : kAlgs) {
    SCOPED_TRACE(a);
    const Fixture& req = fixture("update-" + a);
    const Fixture& resp = fixture("update-response-" + a);
    const Bytes request_mac = tsig_of(req.wires[0]).mac;
    const auto v = tsig_verify_response(resp.wires[0], parse(resp.wires[0]), resp.key(),
                                        request_mac, resp.now);
    EXPECT_EQ(v.error, Rcode::NOERROR);
    EXPECT_EQ(v.tsig.error, Rcode::NOERROR);
    // Against another request's MAC it does not verify.
    const Bytes other_mac = tsig_of(fixture("query-" + a).wires[0]).mac;
    EXPECT_EQ(
        tsig_verify_response(resp.wires[0], parse(resp.wires[0]), resp.key(), other_mac, resp.now)
            .error,
        kBadSig);
  }
}

TEST(Tsig, VerifiesDnspythonStreams) {
  for (const auto& a : kAlgs) {
    SCOPED_TRACE(a);
    const Fixture& s = fixture("axfr-stream-" + a);
    ASSERT_EQ(s.wires.size(), 3u);
    TsigStreamVerifier sv(s.key(), tsig_of(fixture("axfr-" + a).wires[0]).mac);
    for (const auto& w : s.wires) {
      const auto out = sv.receive(w, parse(w), s.now);
      EXPECT_TRUE(out.signed_message);
      EXPECT_EQ(out.result.error, Rcode::NOERROR);
    }
    EXPECT_EQ(sv.finish(), Rcode::NOERROR);
  }
}

TEST(Tsig, StreamVerifierRejectsReorderedMessages) {
  const Fixture& s = fixture("axfr-stream-hmac-sha256");
  TsigStreamVerifier sv(s.key(), tsig_of(fixture("axfr-hmac-sha256").wires[0]).mac);
  EXPECT_TRUE(sv.receive(s.wires[0], parse(s.wires[0]), s.now).result.ok());
  EXPECT_EQ(sv.receive(s.wires[2], parse(s.wires[2]), s.now).result.error, kBadSig);
  // Sticky: the stream stays failed.
  EXPECT_FALSE(sv.receive(s.wires[1], parse(s.wires[1]), s.now).result.ok());
  EXPECT_EQ(sv.finish(), kBadSig);
}

// Our signer reproduces dnspython's bytes exactly: same digest input, same record layout.
TEST(Tsig, SignerMatchesDnspythonByteForByte) {
  for (const auto& a : kAlgs) {
    SCOPED_TRACE(a);
    for (const auto& n : {"query-", "update-", "axfr-"}) {
      const Fixture& f = fixture(n + a);
      Bytes msg = strip_tsig(f.wires[0]);
      ASSERT_TRUE(tsig_sign_request(msg, f.key(), f.now).has_value());
      EXPECT_EQ(to_hex(msg), to_hex(f.wires[0])) << n;
    }
    const Fixture& resp = fixture("update-response-" + a);
    const Bytes request_mac = tsig_of(fixture("update-" + a).wires[0]).mac;
    Bytes msg = strip_tsig(resp.wires[0]);
    auto mac = tsig_sign_response(msg, resp.key(), request_mac, resp.now);
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(to_hex(msg), to_hex(resp.wires[0]));
    EXPECT_EQ(*mac, tsig_of(resp.wires[0]).mac);

    // And the answer built from the verification result is the same again.
    const auto v = verify(fixture("update-" + a).wires[0], ring_of(resp.key()), resp.now);
    Bytes answer = strip_tsig(resp.wires[0]);
    ASSERT_TRUE(tsig_sign_answer(answer, v, resp.now).has_value());
    EXPECT_EQ(to_hex(answer), to_hex(resp.wires[0]));

    const Fixture& s = fixture("axfr-stream-" + a);
    TsigStreamSigner signer(s.key(), tsig_of(fixture("axfr-" + a).wires[0]).mac);
    for (const auto& w : s.wires) {
      Bytes part = strip_tsig(w);
      ASSERT_TRUE(signer.sign(part, s.now).has_value());
      EXPECT_EQ(to_hex(part), to_hex(w));
    }
  }
}

// ---- errors (§5.2) --------------------------------------------------------------------

TEST(Tsig, ModifiedByteIsBadSig) {
  const Fixture& f = fixture("update-hmac-sha256");
  const TsigKeyring ring = ring_of(f.key());
  const std::size_t tsig_at = *parse(f.wires[0]).tsig_offset;
  // Every byte of the signed part (ID excepted: it is replaced by Original ID) matters.
  std::size_t tried = 0;
  for (std::size_t i = 2; i < tsig_at; ++i) {
    if (i == 10 || i == 11) continue;  // ARCOUNT: changing it breaks the parse instead
    Bytes b = f.wires[0];
    b[i] ^= 0x01;
    auto m = Message::parse(b);
    if (!m) continue;  // the flip made it unparsable: dropped before TSIG
    const auto v = tsig_verify_request(b, *m, ring, f.now);
    EXPECT_EQ(v.error, kBadSig) << "byte " << i;
    EXPECT_EQ(v.response_rcode(), Rcode::NOTAUTH);
    ++tried;
  }
  EXPECT_GT(tried, tsig_at / 2);  // most flips still parse: the test is not vacuous
  // A changed MAC, time or fudge is BADSIG too.
  TsigRecord t = tsig_of(f.wires[0]);
  t.mac[5] ^= 0x80;
  EXPECT_EQ(verify(with_tsig(f.wires[0], t), ring, f.now).error, kBadSig);
  t = tsig_of(f.wires[0]);
  t.time_signed += 1;
  EXPECT_EQ(verify(with_tsig(f.wires[0], t), ring, f.now).error, kBadSig);
  t = tsig_of(f.wires[0]);
  t.fudge = 600;
  EXPECT_EQ(verify(with_tsig(f.wires[0], t), ring, f.now).error, kBadSig);
}

TEST(Tsig, ChangedIdWithOriginalIdStillVerifies) {
  // §4.3.3: a forwarder may change the ID; the MAC covers Original ID instead.
  const Fixture& f = fixture("query-hmac-sha384");
  Bytes b = f.wires[0];
  b[0] = 0xBE;
  b[1] = 0xEF;
  EXPECT_EQ(verify(b, ring_of(f.key()), f.now).error, Rcode::NOERROR);
  TsigRecord t = tsig_of(f.wires[0]);
  t.original_id ^= 1;
  EXPECT_EQ(verify(with_tsig(f.wires[0], t), ring_of(f.key()), f.now).error, kBadSig);
}

TEST(Tsig, UnknownKeyOrAlgorithmIsBadKey) {
  const Fixture& f = fixture("update-hmac-sha256");
  const TsigKey other = test_key(TsigAlgorithm::kHmacSha256, "someone-else.");
  auto v = verify(f.wires[0], ring_of(other), f.now);
  EXPECT_EQ(v.error, Rcode::BADKEY);
  EXPECT_EQ(v.response_rcode(), Rcode::NOTAUTH);
  EXPECT_FALSE(v.key.has_value());
  EXPECT_EQ(v.tsig.key_name, f.key().name);

  // Same name, another algorithm: BADKEY (§5.2.1).
  TsigKey wrong_alg = f.key();
  wrong_alg.alg = TsigAlgorithm::kHmacSha512;
  EXPECT_EQ(verify(f.wires[0], ring_of(wrong_alg), f.now).error, Rcode::BADKEY);

  // An algorithm we do not implement: BADKEY.
  TsigRecord t = tsig_of(f.wires[0]);
  t.algorithm = *Name::from_text("hmac-md5.sig-alg.reg.int.");
  EXPECT_EQ(verify(with_tsig(f.wires[0], t), ring_of(f.key()), f.now).error, Rcode::BADKEY);

  // Wrong secret: BADSIG.
  TsigKey wrong_secret = f.key();
  wrong_secret.secret[0] ^= 1;
  EXPECT_EQ(verify(f.wires[0], ring_of(wrong_secret), f.now).error, kBadSig);
}

TEST(Tsig, TimeOutsideFudgeIsBadTime) {
  const Fixture& f = fixture("query-hmac-sha1");
  const TsigKeyring ring = ring_of(f.key());
  const std::uint16_t fudge = tsig_of(f.wires[0]).fudge;
  ASSERT_EQ(fudge, 300);
  EXPECT_EQ(verify(f.wires[0], ring, f.now + fudge).error, Rcode::NOERROR);
  EXPECT_EQ(verify(f.wires[0], ring, f.now - fudge).error, Rcode::NOERROR);
  auto late = verify(f.wires[0], ring, f.now + fudge + 1);
  EXPECT_EQ(late.error, Rcode::BADTIME);
  EXPECT_EQ(late.response_rcode(), Rcode::NOTAUTH);
  EXPECT_TRUE(late.key.has_value());  // the MAC was good: the answer is signed
  EXPECT_EQ(verify(f.wires[0], ring, f.now - fudge - 1).error, Rcode::BADTIME);
  EXPECT_EQ(verify(f.wires[0], ring, 0).error, Rcode::BADTIME);
}

TEST(Tsig, TruncatedMacRules) {
  for (const auto& a : kAlgs) {
    SCOPED_TRACE(a);
    const Fixture& f = fixture("update-" + a);
    const TsigKey key = f.key();
    const TsigKeyring ring = ring_of(key);
    const TsigRecord full = tsig_of(f.wires[0]);
    const std::size_t min = min_truncated_size(key.alg);
    auto truncated = [&](std::size_t n) {
      TsigRecord t = full;
      t.mac.resize(n);
      return with_tsig(f.wires[0], t);
    };
    // §5.2.2.1 rule 4: truncated to max(10, half) or more verifies on the prefix.
    auto v = verify(truncated(min), ring, f.now);
    EXPECT_EQ(v.error, Rcode::NOERROR);
    EXPECT_EQ(v.request_mac.size(), min);  // the answer chains the truncated MAC
    EXPECT_EQ(verify(truncated(digest_size(key.alg) - 1), ring, f.now).error, Rcode::NOERROR);
    // Rule 3: shorter is FORMERR, and so is an empty MAC in a request.
    EXPECT_EQ(verify(truncated(min - 1), ring, f.now).error, Rcode::FORMERR);
    EXPECT_EQ(verify(truncated(0), ring, f.now).response_rcode(), Rcode::FORMERR);
    // Rule 1: longer than the hash is FORMERR.
    TsigRecord longer = full;
    longer.mac.push_back(0);
    EXPECT_EQ(verify(with_tsig(f.wires[0], longer), ring, f.now).error, Rcode::FORMERR);
    // A wrong truncated MAC is still BADSIG.
    TsigRecord bad = full;
    bad.mac.resize(min);
    bad.mac[min - 1] ^= 1;
    EXPECT_EQ(verify(with_tsig(f.wires[0], bad), ring, f.now).error, kBadSig);
    // §5.2.4: allowed by the RFC but below local policy is BADTRUNC (NOTAUTH).
    TsigVerifyOptions strict;
    strict.min_mac_size = digest_size(key.alg);
    auto bt = verify(truncated(min), ring, f.now, strict);
    EXPECT_EQ(bt.error, Rcode::BADTRUNC);
    EXPECT_EQ(bt.response_rcode(), Rcode::NOTAUTH);
    EXPECT_EQ(verify(f.wires[0], ring, f.now, strict).error, Rcode::NOERROR);
  }
}

TEST(Tsig, MessageWithoutTsigIsFormErr) {
  const Bytes q = make_query(7, "example.com.");
  TsigKeyring ring;
  EXPECT_EQ(verify(q, ring, kNow).error, Rcode::FORMERR);
  EXPECT_FALSE(TsigRecord::parse(q, q.size()));
  EXPECT_FALSE(TsigRecord::parse(q, q.size() + 5));
}

// ---- our own signing ------------------------------------------------------------------

TEST(Tsig, SignThenVerifyRoundTrips) {
  for (auto alg : {TsigAlgorithm::kHmacSha1, TsigAlgorithm::kHmacSha256, TsigAlgorithm::kHmacSha384,
                   TsigAlgorithm::kHmacSha512}) {
    SCOPED_TRACE(std::string(algorithm_text(alg)));
    const TsigKey key = test_key(alg);
    const TsigKeyring ring = ring_of(key);
    Bytes req = make_query(0x0102, "zone.example.", Opcode::UPDATE);
    const std::size_t unsigned_size = req.size();
    auto req_mac = tsig_sign_request(req, key, kNow, 120);
    ASSERT_TRUE(req_mac.has_value());
    EXPECT_EQ(req.size(), unsigned_size + tsig_wire_size(key, 0));
    EXPECT_EQ(parse(req).header.arcount, 1);
    const auto v = verify(req, ring, kNow + 100);
    ASSERT_EQ(v.error, Rcode::NOERROR);
    EXPECT_EQ(v.request_mac, *req_mac);
    EXPECT_EQ(tsig_of(req).fudge, 120);
    EXPECT_EQ(verify(req, ring, kNow + 121).error, Rcode::BADTIME);

    Bytes resp = make_answer(strip_tsig(req), "host.zone.example.", 1);
    auto resp_mac = tsig_sign_answer(resp, v, kNow + 101);
    ASSERT_TRUE(resp_mac.has_value());
    const auto rv = tsig_verify_response(resp, parse(resp), key, *req_mac, kNow + 102);
    EXPECT_EQ(rv.error, Rcode::NOERROR);
    EXPECT_EQ(rv.time_signed, kNow + 101);
    // A response is not a request: without the request MAC it fails.
    EXPECT_EQ(verify(resp, ring, kNow + 101).error, kBadSig);
  }
}

TEST(Tsig, ErrorAnswers) {
  const TsigKey key = test_key(TsigAlgorithm::kHmacSha256);
  Bytes req = make_query(0x0BAD, "zone.example.", Opcode::UPDATE);
  const Bytes req_mac = *tsig_sign_request(req, key, kNow);
  const Bytes answer = make_answer(strip_tsig(req), "x.zone.example.", 9);

  // BADKEY: unsigned, MAC size 0, the request's key and algorithm names (§5.3.2).
  {
    const auto v = verify(req, ring_of(test_key(TsigAlgorithm::kHmacSha256, "other.")), kNow);
    ASSERT_EQ(v.error, Rcode::BADKEY);
    Bytes a = answer;
    auto mac = tsig_sign_answer(a, v, kNow + 5);
    ASSERT_TRUE(mac.has_value());
    EXPECT_TRUE(mac->empty());
    const TsigRecord t = tsig_of(a);
    EXPECT_TRUE(t.mac.empty());
    EXPECT_EQ(t.error, Rcode::BADKEY);
    EXPECT_EQ(t.key_name, key.name);
    EXPECT_EQ(t.algorithm, algorithm_name(key.alg));
    EXPECT_EQ(t.original_id, 0x0BAD);
    const auto cv = tsig_verify_response(a, parse(a), key, req_mac, kNow);
    EXPECT_EQ(cv.error, kBadSig);  // unauthenticated
    EXPECT_EQ(cv.tsig.error, Rcode::BADKEY);
  }
  // BADSIG: unsigned too.
  {
    TsigKey wrong = key;
    wrong.secret[3] ^= 0x40;
    const auto v = verify(req, ring_of(wrong), kNow);
    ASSERT_EQ(v.error, kBadSig);
    Bytes a = answer;
    ASSERT_TRUE(tsig_sign_answer(a, v, kNow).has_value());
    const TsigRecord t = tsig_of(a);
    EXPECT_TRUE(t.mac.empty());
    EXPECT_EQ(t.error, kBadSig);
  }
  // BADTIME: signed, Time Signed from the request, our clock in Other Data (§5.2.3).
  {
    const std::uint64_t later = kNow + 1000;
    const auto v = verify(req, ring_of(key), later);
    ASSERT_EQ(v.error, Rcode::BADTIME);
    Bytes a = answer;
    auto mac = tsig_sign_answer(a, v, later);
    ASSERT_TRUE(mac.has_value());
    EXPECT_EQ(mac->size(), 32u);
    const TsigRecord t = tsig_of(a);
    EXPECT_EQ(t.error, Rcode::BADTIME);
    EXPECT_EQ(t.time_signed, kNow);
    ASSERT_EQ(t.other.size(), 6u);
    std::uint64_t other = 0;
    for (auto b : t.other) other = (other << 8) | b;
    EXPECT_EQ(other, later);
    // The client (whose clock says kNow) authenticates it and sees the error.
    const auto cv = tsig_verify_response(a, parse(a), key, req_mac, kNow);
    EXPECT_EQ(cv.error, Rcode::NOERROR);
    EXPECT_EQ(cv.tsig.error, Rcode::BADTIME);
  }
  // BADTRUNC: signed with the error.
  {
    TsigVerifyOptions strict;
    strict.min_mac_size = 32;
    TsigRecord t = tsig_of(req);
    t.mac.resize(16);
    const Bytes short_req = with_tsig(req, t);
    const auto v = verify(short_req, ring_of(key), kNow, strict);
    ASSERT_EQ(v.error, Rcode::BADTRUNC);
    Bytes a = answer;
    ASSERT_TRUE(tsig_sign_answer(a, v, kNow).has_value());
    EXPECT_EQ(tsig_of(a).error, Rcode::BADTRUNC);
    const auto cv = tsig_verify_response(a, parse(a), key, t.mac, kNow);
    EXPECT_EQ(cv.error, Rcode::NOERROR);
    EXPECT_EQ(cv.tsig.error, Rcode::BADTRUNC);
  }
  // FORMERR answers carry no TSIG.
  {
    TsigRecord t = tsig_of(req);
    t.mac.resize(4);
    const auto v = verify(with_tsig(req, t), ring_of(key), kNow);
    ASSERT_EQ(v.error, Rcode::FORMERR);
    Bytes a = answer;
    EXPECT_FALSE(tsig_sign_answer(a, v, kNow).has_value());
    EXPECT_EQ(a, answer);
  }
}

TEST(Tsig, AppendRefusesShortBuffers) {
  Bytes tiny = {1, 2, 3};
  EXPECT_FALSE(tsig_sign_request(tiny, test_key(TsigAlgorithm::kHmacSha256), kNow));
}

TEST(Tsig, StreamSignerAndVerifierWithUnsignedMessages) {
  const TsigKey key = test_key(TsigAlgorithm::kHmacSha384);
  Bytes req = make_query(0x7777, "zone.example.");
  const Bytes req_mac = *tsig_sign_request(req, key, kNow);
  const Bytes base = strip_tsig(req);

  TsigStreamSigner signer(key, req_mac);
  Bytes first_unsigned = make_answer(base, "u.zone.example.", 0);
  EXPECT_FALSE(signer.add_unsigned(first_unsigned));  // the first must be signed

  std::vector<Bytes> stream;
  for (int i = 0; i < 6; ++i) {
    Bytes m =
        make_answer(base, "n" + std::to_string(i) + ".zone.example.", static_cast<std::uint8_t>(i));
    // Sign messages 0, 3 and 5; 1, 2, 4 go unsigned.
    if (i == 0 || i == 3 || i == 5) {
      ASSERT_TRUE(signer.sign(m, kNow + static_cast<std::uint64_t>(i)).has_value());
    } else {
      ASSERT_TRUE(signer.add_unsigned(m).has_value());
    }
    stream.push_back(m);
  }
  EXPECT_EQ(signer.messages(), 6u);

  TsigStreamVerifier sv(key, req_mac);
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const auto out = sv.receive(stream[i], parse(stream[i]), kNow + 10);
    EXPECT_EQ(out.result.error, Rcode::NOERROR) << i;
    EXPECT_EQ(out.signed_message, i == 0 || i == 3 || i == 5) << i;
  }
  EXPECT_EQ(sv.finish(), Rcode::NOERROR);

  // A tampered unsigned message is caught by the next signed one.
  TsigStreamVerifier tampered(key, req_mac);
  for (std::size_t i = 0; i < stream.size(); ++i) {
    Bytes m = stream[i];
    if (i == 2) m[m.size() - 1] ^= 1;  // the A record's last octet
    const auto out = tampered.receive(m, parse(m), kNow);
    if (i < 3) {
      EXPECT_TRUE(out.result.ok()) << i;
    } else if (i == 3) {
      EXPECT_EQ(out.result.error, kBadSig);
    }
  }
  EXPECT_EQ(tampered.finish(), kBadSig);

  // Ending on an unsigned message is not acceptable.
  TsigStreamVerifier cut(key, req_mac);
  for (std::size_t i = 0; i < 5; ++i) cut.receive(stream[i], parse(stream[i]), kNow);
  EXPECT_EQ(cut.finish(), kBadSig);

  // An unsigned first message is refused.
  TsigStreamVerifier unsigned_first(key, req_mac);
  EXPECT_FALSE(unsigned_first.receive(stream[1], parse(stream[1]), kNow).result.ok());
}

TEST(Tsig, StreamAllowsAtMost99UnsignedInARow) {
  const TsigKey key = test_key(TsigAlgorithm::kHmacSha256);
  const Bytes req_mac(32, 0xAA);
  const Bytes m = make_answer(make_query(1, "zone.example."), "a.zone.example.", 1);
  TsigStreamSigner signer(key, req_mac);
  Bytes first = m;
  ASSERT_TRUE(signer.sign(first, kNow).has_value());
  TsigStreamVerifier sv(key, req_mac);
  ASSERT_TRUE(sv.receive(first, parse(first), kNow).result.ok());
  for (int i = 0; i < 99; ++i) {
    ASSERT_TRUE(signer.add_unsigned(m).has_value()) << i;
    ASSERT_TRUE(sv.receive(m, parse(m), kNow).result.ok()) << i;
  }
  EXPECT_FALSE(signer.add_unsigned(m).has_value());
  EXPECT_FALSE(sv.receive(m, parse(m), kNow).result.ok());
  // The signer recovers by signing.
  Bytes next = m;
  EXPECT_TRUE(signer.sign(next, kNow).has_value());
  EXPECT_TRUE(signer.add_unsigned(m).has_value());
}

// Writes what we sign for make_fixtures.py --check (dnspython must accept it); run with
// DNSPUSH_TSIG_EXPORT=path. Without it, the same messages are checked by our verifier.
TEST(Tsig, ExportForDnspython) {
  std::ostringstream out;
  for (auto alg : {TsigAlgorithm::kHmacSha1, TsigAlgorithm::kHmacSha256, TsigAlgorithm::kHmacSha384,
                   TsigAlgorithm::kHmacSha512}) {
    const TsigKey key = test_key(alg, "Export-Key.example.");
    const std::string a(algorithm_text(alg));
    const std::string prefix = a + " " + key.name.to_text() + " " + base64_encode(key.secret) + " ";
    auto line = [&](const std::string& kind, const std::string& name, std::uint64_t now,
                    const std::vector<Bytes>& wires, const std::string& req) {
      out << kind << " " << name << "-" << a << " " << prefix << now << " ";
      for (std::size_t i = 0; i < wires.size(); ++i) out << (i ? "," : "") << to_hex(wires[i]);
      if (!req.empty()) out << " " << req << "-" << a;
      out << "\n";
    };
    Bytes req = make_query(0x2222, "zone.example.", Opcode::UPDATE);
    ASSERT_TRUE(tsig_sign_request(req, key, kNow).has_value());
    line("request", "req", kNow, {req}, "");
    const auto v = verify(req, ring_of(key), kNow);
    ASSERT_TRUE(v.ok());

    Bytes resp = make_answer(strip_tsig(req), "a.zone.example.", 1);
    ASSERT_TRUE(tsig_sign_answer(resp, v, kNow).has_value());
    line("response", "resp", kNow, {resp}, "req");

    const auto late = verify(req, ring_of(key), kNow + 3600);
    ASSERT_EQ(late.error, Rcode::BADTIME);
    Bytes badtime = make_answer(strip_tsig(req), "a.zone.example.", 1);
    ASSERT_TRUE(tsig_sign_answer(badtime, late, kNow + 3600).has_value());
    line("badtime", "badtime", kNow, {badtime}, "req");

    const auto nokey = verify(req, TsigKeyring{}, kNow);
    ASSERT_EQ(nokey.error, Rcode::BADKEY);
    Bytes badkey = make_answer(strip_tsig(req), "a.zone.example.", 1);
    ASSERT_TRUE(tsig_sign_answer(badkey, nokey, kNow).has_value());
    line("badkey", "badkey", kNow, {badkey}, "req");

    TsigKey wrong = key;
    wrong.secret[0] ^= 1;
    const auto badsig_v = verify(req, ring_of(wrong), kNow);
    ASSERT_EQ(badsig_v.error, kBadSig);
    Bytes badsig = make_answer(strip_tsig(req), "a.zone.example.", 1);
    ASSERT_TRUE(tsig_sign_answer(badsig, badsig_v, kNow).has_value());
    line("badsig", "badsig", kNow, {badsig}, "req");

    TsigStreamSigner signer(key, v.request_mac);
    std::vector<Bytes> parts;
    for (int i = 0; i < 3; ++i) {
      Bytes p = make_answer(strip_tsig(req), "s.zone.example.", static_cast<std::uint8_t>(i));
      ASSERT_TRUE(signer.sign(p, kNow).has_value());
      parts.push_back(p);
    }
    line("stream", "stream", kNow, parts, "req");

    // Our own verifier agrees.
    TsigStreamVerifier sv(key, v.request_mac);
    for (const auto& p : parts) EXPECT_TRUE(sv.receive(p, parse(p), kNow).result.ok());
    EXPECT_EQ(tsig_verify_response(resp, parse(resp), key, v.request_mac, kNow).error,
              Rcode::NOERROR);
  }
  if (const char* path = std::getenv("DNSPUSH_TSIG_EXPORT")) {
    std::ofstream f(path);
    f << out.str();
    EXPECT_TRUE(f.good());
  }
}

}  // namespace
}  // namespace dnspush::wire
