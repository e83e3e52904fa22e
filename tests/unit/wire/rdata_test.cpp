// RDATA: one hand-built case per described type. Expected presentation strings are what
// BIND's dig/named-rrchecker print for the same record.
#include "wire/rdata.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dnspush::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

// The message every case is embedded in: a zeroed header, then "example.com." at
// offset 12, so a pointer to it is C0 0C.
constexpr std::uint8_t kPtrHi = 0xC0;
constexpr std::uint8_t kPtrLo = 0x0C;

Name N(std::string_view s) {
  return *Name::from_text(s);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int b64_value(char c) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto p = kAlphabet.find(c);
  return p == std::string::npos ? -1 : static_cast<int>(p);
}

// Builds RDATA. `mode` says which name fields are written as a pointer to "example.com."
// (only names ending in it): none, the unicast-compressible ones, the push ones, or all.
enum class Mode { kPlain, kUnicast, kPush, kAll };

struct B {
  Mode mode = Mode::kPlain;
  Bytes v;

  B& u8(unsigned x) {
    v.push_back(static_cast<std::uint8_t>(x));
    return *this;
  }
  B& u16(unsigned x) { return u8(x >> 8).u8(x & 0xFF); }
  B& u32(std::uint32_t x) { return u16(x >> 16).u16(x & 0xFFFF); }
  B& raw(std::initializer_list<std::uint8_t> b) {
    v.insert(v.end(), b);
    return *this;
  }
  B& str(std::string_view s) {
    u8(static_cast<unsigned>(s.size()));
    v.insert(v.end(), s.begin(), s.end());
    return *this;
  }
  B& hex(std::string_view s) {
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
      u8(static_cast<unsigned>(hex_value(s[i]) * 16 + hex_value(s[i + 1])));
    }
    return *this;
  }
  B& b64(std::string_view s) {
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : s) {
      const int x = b64_value(c);
      if (x < 0) continue;
      acc = (acc << 6) | static_cast<std::uint32_t>(x);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        u8((acc >> bits) & 0xFF);
      }
    }
    return *this;
  }
  // A name field of the given kind; compressed against "example.com." when `mode` says so.
  B& name(std::string_view text, Field kind) {
    const bool compress =
        mode == Mode::kAll ||
        (kind == Field::kNameUnicast && (mode == Mode::kUnicast || mode == Mode::kPush)) ||
        (kind == Field::kNamePush && mode == Mode::kPush);
    const std::string_view suffix = "example.com.";
    if (compress && text.size() >= suffix.size() &&
        text.substr(text.size() - suffix.size()) == suffix) {
      const Name head = N(text);
      const auto w = head.wire();
      const std::size_t keep = w.size() - N(suffix).wire_size();
      v.insert(v.end(), w.begin(), w.begin() + static_cast<long>(keep));
      return raw({kPtrHi, kPtrLo});
    }
    const Name n = N(text);
    const auto w = n.wire();
    v.insert(v.end(), w.begin(), w.end());
    return *this;
  }
};

constexpr Field kU = Field::kNameUnicast;
constexpr Field kP = Field::kNamePush;
constexpr Field kN = Field::kName;

const char kDnskeyB64[] =
    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==";
const char kSigB64[] =
    "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/"
    "M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=";

struct Case {
  RRType type;
  Bytes (*build)(Mode);
  std::string text;
};

Bytes build_a(Mode m) {
  return B{m}.raw({192, 0, 2, 1}).v;
}
Bytes build_aaaa(Mode m) {
  return B{m}.raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}).v;
}
Bytes build_one_name(Mode m) {
  return B{m}.name("a.example.com.", kU).v;
}
Bytes build_soa(Mode m) {
  return B{m}
      .name("ns1.example.com.", kU)
      .name("Host\\.Master.example.com.", kU)
      .u32(2024010101)
      .u32(7200)
      .u32(3600)
      .u32(1209600)
      .u32(300)
      .v;
}
Bytes build_hinfo(Mode m) {
  return B{m}.str("INTEL-386").str("Unix x").v;
}
Bytes build_minfo(Mode m) {
  return B{m}.name("rmail.example.com.", kU).name("email.example.com.", kU).v;
}
Bytes build_mx(Mode m) {
  return B{m}.u16(10).name("mail.example.com.", kU).v;
}
Bytes build_txt(Mode m) {
  return B{m}.str("hello world").str("a\"b\\c").raw({2, 0x00, 0xFF}).v;
}
Bytes build_rp(Mode m) {
  return B{m}.name("admin.example.com.", kP).name("info.example.com.", kP).v;
}
Bytes build_afsdb(Mode m) {
  return B{m}.u16(1).name("afs.example.com.", kP).v;
}
Bytes build_rt(Mode m) {
  return B{m}.u16(10).name("relay.example.com.", kP).v;
}
Bytes build_px(Mode m) {
  return B{m}.u16(10).name("map.example.com.", kP).name("x400.example.com.", kP).v;
}
Bytes build_kx(Mode m) {
  return B{m}.u16(10).name("kx.example.com.", kP).v;
}
Bytes build_srv(Mode m) {
  return B{m}.u16(0).u16(5).u16(5060).name("sip.example.com.", kP).v;
}
Bytes build_naptr(Mode m) {
  return B{m}.u16(100).u16(10).str("S").str("SIP+D2U").str("").name("_sip._udp.example.com.", kN).v;
}
Bytes build_dname(Mode m) {
  return B{m}.name("target.example.com.", kP).v;
}
Bytes build_caa(Mode m) {
  return B{m}.u8(0).str("issue").raw({'l', 'e', '.', 'o', 'r', 'g'}).v;
}
Bytes build_svcb(Mode m) {
  return B{m}
      .u16(1)
      .name("svc.example.com.", kN)
      .u16(1)
      .u16(6)
      .str("h2")
      .str("h3")  // alpn
      .u16(3)
      .u16(2)
      .u16(8443)  // port
      .u16(4)
      .u16(4)
      .raw({192, 0, 2, 1})  // ipv4hint
      .u16(65000)
      .u16(3)
      .raw({'x', ' ', 'y'})  // unknown key
      .v;
}
Bytes build_https(Mode m) {
  return B{m}
      .u16(1)
      .name(".", kN)
      .u16(0)
      .u16(2)
      .u16(1)  // mandatory=alpn
      .u16(1)
      .u16(3)
      .str("h2")  // alpn
      .u16(5)
      .u16(3)
      .raw({0, 0, 0})  // ech
      .u16(6)
      .u16(32)
      .raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
      .raw({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4})
      .v;
}
Bytes build_ds(Mode m) {
  return B{m}
      .u16(370)
      .u8(13)
      .u8(2)
      .hex("BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A86764247C")
      .v;
}
Bytes build_dnskey(Mode m) {
  return B{m}.u16(257).u8(3).u8(13).b64(kDnskeyB64).v;
}
Bytes build_rrsig(Mode m) {
  return B{m}
      .u16(1)
      .u8(13)
      .u8(3)
      .u32(3600)
      .u32(1704067200)  // 2024-01-01 00:00:00 UTC
      .u32(1701388800)  // 2023-12-01 00:00:00 UTC
      .u16(12345)
      .name("example.com.", kN)
      .b64(kSigB64)
      .v;
}
Bytes build_nsec(Mode m) {
  // A(1) MX(15) RRSIG(46) NSEC(47) in window 0; TYPE1234 = window 4, bit 210.
  B b{m};
  b.name("host.example.com.", kP).u8(0).u8(6).raw({0x40, 0x01, 0, 0, 0, 0x03});
  b.u8(4).u8(27);
  for (int i = 0; i < 26; ++i) b.u8(0);
  b.u8(0x20);
  return b.v;
}
Bytes build_nsec3(Mode m) {
  return B{m}
      .u8(1)
      .u8(1)
      .u16(10)
      .u8(2)
      .raw({0xAA, 0xBB})
      .u8(20)
      .hex(
          "17F3DF17B2B2ADAEF615257DE4D2020B80AC6C7C")  // base32hex 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S
      .raw({0, 6, 0x40, 0, 0, 0, 0, 0x02})             // A RRSIG
      .v;
}
Bytes build_nsec3param(Mode m) {
  return B{m}.u8(1).u8(0).u16(0).u8(0).v;
}
Bytes build_tlsa(Mode m) {
  return B{m}
      .u8(3)
      .u8(1)
      .u8(1)
      .hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")
      .v;
}
Bytes build_tsig(Mode m) {
  return B{m}
      .name("hmac-sha256.", kN)
      .u16(0)
      .u32(1700000000)
      .u16(300)
      .u16(4)
      .raw({1, 2, 3, 4})
      .u16(0x1234)
      .u16(16)
      .u16(0)
      .v;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {RRType::A, build_a, "192.0.2.1"},
      {RRType::AAAA, build_aaaa, "2001:db8::1"},
      {RRType::NS, build_one_name, "a.example.com."},
      {RRType::MD, build_one_name, "a.example.com."},
      {RRType::MF, build_one_name, "a.example.com."},
      {RRType::CNAME, build_one_name, "a.example.com."},
      {RRType::MB, build_one_name, "a.example.com."},
      {RRType::MG, build_one_name, "a.example.com."},
      {RRType::MR, build_one_name, "a.example.com."},
      {RRType::PTR, build_one_name, "a.example.com."},
      {RRType::SOA, build_soa,
       "ns1.example.com. Host\\.Master.example.com. 2024010101 7200 3600 1209600 300"},
      {RRType::HINFO, build_hinfo, "\"INTEL-386\" \"Unix x\""},
      {RRType::MINFO, build_minfo, "rmail.example.com. email.example.com."},
      {RRType::MX, build_mx, "10 mail.example.com."},
      {RRType::TXT, build_txt, "\"hello world\" \"a\\\"b\\\\c\" \"\\000\\255\""},
      {RRType::RP, build_rp, "admin.example.com. info.example.com."},
      {RRType::AFSDB, build_afsdb, "1 afs.example.com."},
      {RRType::RT, build_rt, "10 relay.example.com."},
      {RRType::PX, build_px, "10 map.example.com. x400.example.com."},
      {RRType::KX, build_kx, "10 kx.example.com."},
      {RRType::SRV, build_srv, "0 5 5060 sip.example.com."},
      {RRType::NAPTR, build_naptr, "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."},
      {RRType::DNAME, build_dname, "target.example.com."},
      {RRType::CAA, build_caa, "0 issue \"le.org\""},
      {RRType::SVCB, build_svcb,
       "1 svc.example.com. alpn=\"h2,h3\" port=8443 ipv4hint=192.0.2.1 key65000=\"x y\""},
      {RRType::HTTPS, build_https,
       "1 . mandatory=alpn alpn=\"h2\" ech=AAAA ipv6hint=2001:db8::1,::ffff:1.2.3.4"},
      {RRType::DS, build_ds,
       "370 13 2 BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A8 6764247C"},
      {RRType::DNSKEY, build_dnskey,
       "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+ "
       "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="},
      {RRType::RRSIG, build_rrsig,
       "A 13 3 3600 20240101000000 20231201000000 12345 example.com. "
       "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKi "
       "jVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNaz "
       "PwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3A p3o="},
      {RRType::NSEC, build_nsec, "host.example.com. A MX RRSIG NSEC TYPE1234"},
      {RRType::NSEC3, build_nsec3, "1 1 10 AABB 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG"},
      {RRType::NSEC3PARAM, build_nsec3param, "1 0 0 -"},
      {RRType::TLSA, build_tlsa,
       "3 1 1 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C 1D1E1F20"},
      {RRType::TSIG, build_tsig, "hmac-sha256. 1700000000 300 4 AQIDBA== 4660 BADSIG 0"},
  };
  return kCases;
}

Bytes message_prefix() {
  Bytes m(12, 0);
  const Name origin = N("example.com.");
  const auto w = origin.wire();
  m.insert(m.end(), w.begin(), w.end());
  return m;
}

// Reads `rdata` (possibly with pointers into the prefix) as it would sit in a message.
Result<Bytes> read_in_message(RRType type, const Bytes& rdata) {
  Bytes msg = message_prefix();
  const std::size_t at = msg.size();
  msg.insert(msg.end(), rdata.begin(), rdata.end());
  msg.push_back(0xEE);  // a following byte that must not be consumed
  Reader r(msg);
  r.skip(at);
  auto out = read_rdata(r, type, static_cast<std::uint16_t>(rdata.size()));
  if (out && r.offset() != at + rdata.size()) return fail(Errc::kMalformed, "wrong offset");
  return out;
}

// Writes `rdata` after the prefix (with "example.com." as a compression target).
Bytes write_in_message(RRType type, const Bytes& rdata, Compression c) {
  Writer w;
  w.bytes(Bytes(12, 0));
  w.name(N("example.com."), false);
  const std::size_t at = w.size();
  write_rdata(w, type, rdata, c);
  return Bytes(w.data().begin() + static_cast<long>(at), w.data().end());
}

// The types with compressible names or special text; rdata_types_test.cpp covers every
// described type against BIND's and Knot's parsers.
TEST(Rdata, EveryCaseIsDescribed) {
  for (const auto& c : cases()) EXPECT_NE(descriptor(c.type), nullptr) << to_text(c.type);
  EXPECT_EQ(descriptor(RRType::OPT), nullptr);
  EXPECT_EQ(descriptor(static_cast<RRType>(65280)), nullptr);
}

TEST(Rdata, PresentationTextMatchesDig) {
  for (const auto& c : cases()) {
    EXPECT_EQ(rdata_to_text(c.type, c.build(Mode::kPlain)), c.text) << to_text(c.type);
  }
}

TEST(Rdata, ValidAndCanonicalEqualToItself) {
  for (const auto& c : cases()) {
    const Bytes rd = c.build(Mode::kPlain);
    EXPECT_TRUE(rdata_valid(c.type, rd)) << to_text(c.type);
    EXPECT_TRUE(rdata_equal(c.type, rd, rd)) << to_text(c.type);
  }
}

TEST(Rdata, ReadUncompressedAndCompressedGivesUncompressed) {
  for (const auto& c : cases()) {
    const Bytes plain = c.build(Mode::kPlain);
    for (Mode m : {Mode::kPlain, Mode::kUnicast, Mode::kPush, Mode::kAll}) {
      auto got = read_in_message(c.type, c.build(m));
      ASSERT_TRUE(got) << to_text(c.type) << ": " << got.error().message;
      EXPECT_EQ(*got, plain) << to_text(c.type) << " mode " << static_cast<int>(m);
    }
  }
}

TEST(Rdata, WriteCompressesOnlyWhatEachPolicyAllows) {
  for (const auto& c : cases()) {
    const Bytes plain = c.build(Mode::kPlain);
    EXPECT_EQ(write_in_message(c.type, plain, Compression::kNone), plain) << to_text(c.type);
    EXPECT_EQ(write_in_message(c.type, plain, Compression::kUnicast), c.build(Mode::kUnicast))
        << to_text(c.type);
    EXPECT_EQ(write_in_message(c.type, plain, Compression::kPush), c.build(Mode::kPush))
        << to_text(c.type);
  }
}

TEST(Rdata, CompressionPolicyExamples) {
  const Bytes srv = build_srv(Mode::kPlain);
  // SRV target: RFC 2782 forbids compression in unicast; RFC 6762 §18.14 allows it in PUSH.
  EXPECT_EQ(write_in_message(RRType::SRV, srv, Compression::kUnicast), srv);
  EXPECT_EQ(write_in_message(RRType::SRV, srv, Compression::kPush),
            (Bytes{0, 0, 0, 5, 0x13, 0xC4, 3, 's', 'i', 'p', kPtrHi, kPtrLo}));
  const Bytes mx = build_mx(Mode::kPlain);
  const Bytes mx_compressed = {0, 10, 4, 'm', 'a', 'i', 'l', kPtrHi, kPtrLo};
  EXPECT_EQ(write_in_message(RRType::MX, mx, Compression::kUnicast), mx_compressed);
  EXPECT_EQ(write_in_message(RRType::MX, mx, Compression::kPush), mx_compressed);
  EXPECT_EQ(write_in_message(RRType::MX, mx, Compression::kNone), mx);
  const Bytes naptr = build_naptr(Mode::kPlain);
  for (auto c : {Compression::kNone, Compression::kUnicast, Compression::kPush}) {
    EXPECT_EQ(write_in_message(RRType::NAPTR, naptr, c), naptr);
  }
}

TEST(Rdata, ReadMustConsumeExactlyRdlength) {
  const Bytes mx = build_mx(Mode::kPlain);
  Bytes msg = message_prefix();
  const std::size_t at = msg.size();
  msg.insert(msg.end(), mx.begin(), mx.end());
  msg.push_back(0);
  {  // one byte too many: the fields end before RDLENGTH does
    Reader r(msg);
    r.skip(at);
    EXPECT_FALSE(read_rdata(r, RRType::MX, static_cast<std::uint16_t>(mx.size() + 1)));
  }
  {  // one byte short: the name runs past RDLENGTH
    Reader r(msg);
    r.skip(at);
    EXPECT_FALSE(read_rdata(r, RRType::MX, static_cast<std::uint16_t>(mx.size() - 1)));
  }
  {  // past the end of the message
    Reader r(msg);
    r.skip(at);
    EXPECT_FALSE(read_rdata(r, RRType::MX, 200));
  }
  {  // A with 5 bytes
    const Bytes a = {12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5};
    Reader r(a);
    r.skip(12);
    EXPECT_FALSE(read_rdata(r, RRType::A, 5));
  }
}

TEST(Rdata, ReadRejectsBadPointers) {
  // A forward pointer inside the RDATA (to offset 0x20, past itself).
  Bytes rd = {0, 10, 0xC0, 0x20};
  EXPECT_FALSE(read_in_message(RRType::MX, rd));
  // A pointer to itself.
  Bytes msg = message_prefix();
  const std::size_t at = msg.size();
  msg.insert(msg.end(), {0, 10, 0xC0, static_cast<std::uint8_t>(at + 2)});
  Reader r(msg);
  r.skip(at);
  EXPECT_FALSE(read_rdata(r, RRType::MX, 4));
}

TEST(Rdata, EmptyRdataIsAcceptedOnReadForUpdate) {
  // RFC 2136 §2.5.2: "delete an RRset" carries RDLENGTH 0 for any type.
  Bytes msg = message_prefix();
  Reader r(msg);
  r.skip(msg.size());
  auto got = read_rdata(r, RRType::MX, 0);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  EXPECT_FALSE(rdata_valid(RRType::MX, Bytes{}));
  EXPECT_EQ(rdata_to_text(RRType::MX, Bytes{}), "");
}

TEST(Rdata, OpaqueTypesUseGenericForm) {
  const Bytes rd = {0xab, 0xcd, 0xef};
  EXPECT_EQ(rdata_to_text(static_cast<RRType>(65280), rd), "\\# 3 ABCDEF");
  EXPECT_EQ(rdata_to_text(static_cast<RRType>(65280), Bytes{}), "\\# 0");
  EXPECT_EQ(rdata_to_text(RRType::OPT, Bytes{0, 10, 0, 0}), "\\# 4 000A0000");
  EXPECT_TRUE(rdata_valid(static_cast<RRType>(65280), rd));
  Bytes long_rd;
  for (int i = 1; i <= 40; ++i) long_rd.push_back(static_cast<std::uint8_t>(i));
  EXPECT_EQ(rdata_to_text(static_cast<RRType>(65280), long_rd),
            "\\# 40 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C "
            "1D1E1F202122232425262728");
  // Opaque RDATA is never looked into, so something that looks like a name is not
  // compressed.
  const Bytes name_like = build_one_name(Mode::kPlain);
  EXPECT_EQ(write_in_message(static_cast<RRType>(65280), name_like, Compression::kPush), name_like);
  auto got = read_in_message(static_cast<RRType>(65280), rd);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, rd);
}

TEST(Rdata, MalformedFallsBackToGenericText) {
  EXPECT_EQ(rdata_to_text(RRType::A, Bytes{1, 2, 3}), "\\# 3 010203");
  EXPECT_EQ(rdata_to_text(RRType::MX, Bytes{0, 10, 3, 'a'}), "\\# 4 000A0361");
  EXPECT_EQ(rdata_to_text(RRType::TXT, Bytes{5, 'a'}), "\\# 2 0561");
  // Malformed RDATA is written as given, never compressed.
  const Bytes bad = {0, 10, 0xC0, 0x0C};
  EXPECT_EQ(write_in_message(RRType::MX, bad, Compression::kUnicast), bad);
}

TEST(RdataValid, RejectsTruncatedAndOverlong) {
  struct Bad {
    RRType type;
    Bytes rdata;
  };
  const Bytes mx = build_mx(Mode::kPlain);
  const Bytes soa = build_soa(Mode::kPlain);
  const Bytes srv = build_srv(Mode::kPlain);
  const Bytes rrsig = build_rrsig(Mode::kPlain);
  const Bytes tsig = build_tsig(Mode::kPlain);
  const std::vector<Bad> bad = {
      {RRType::A, {192, 0, 2}},
      {RRType::A, {192, 0, 2, 1, 0}},
      {RRType::AAAA, Bytes(15, 0)},
      {RRType::AAAA, Bytes(17, 0)},
      {RRType::MX, Bytes(mx.begin(), mx.end() - 1)},
      {RRType::MX,
       [&] {
         Bytes b = mx;
         b.push_back(0);
         return b;
       }()},
      {RRType::MX, {0, 10, 0xC0, 0x0C}},  // a pointer is not an uncompressed name
      {RRType::MX, {0, 10, 0x40, 0}},     // extended label type
      {RRType::SOA, Bytes(soa.begin(), soa.end() - 1)},
      {RRType::SRV, Bytes(srv.begin(), srv.begin() + 5)},
      {RRType::TXT, {}},
      {RRType::TXT, {3, 'a', 'b'}},
      {RRType::HINFO, {1, 'a'}},
      {RRType::CAA, {0, 0}},            // empty tag
      {RRType::CAA, {0, 2, 'a', ' '}},  // tag not alphanumeric
      {RRType::DS, {0, 1, 8}},
      {RRType::RRSIG, Bytes(rrsig.begin(), rrsig.begin() + 20)},
      {RRType::NSEC3, {1, 0, 0, 0, 0, 0}},  // hash length 0
      {RRType::NSEC3PARAM, {1, 0, 0, 0, 2, 0xAA}},
      {RRType::TSIG, Bytes(tsig.begin(), tsig.end() - 1)},
      {RRType::TSIG,
       [&] {
         Bytes b = tsig;
         b.push_back(0);
         return b;
       }()},
  };
  for (const auto& b : bad) {
    EXPECT_FALSE(rdata_valid(b.type, b.rdata)) << to_text(b.type);
    // On input a pointer is fine and RDLENGTH 0 is UPDATE's empty RDATA.
    if (b.rdata.size() > 3 && b.rdata[2] == 0xC0) continue;
    if (b.rdata.empty()) continue;
    EXPECT_FALSE(read_in_message(b.type, b.rdata)) << to_text(b.type);
  }
  // A name longer than 255 octets.
  Bytes longname = {0, 10};
  for (int i = 0; i < 5; ++i) {
    longname.push_back(63);
    longname.insert(longname.end(), 63, 'a');
  }
  longname.push_back(0);
  EXPECT_FALSE(rdata_valid(RRType::MX, longname));
}

Bytes nsec_with_bitmap(std::initializer_list<std::uint8_t> bitmap) {
  Bytes b = build_one_name(Mode::kPlain);
  b.insert(b.end(), bitmap);
  return b;
}

TEST(RdataValid, TypeBitmapRules) {
  // RFC 4034 §4.1.2.
  EXPECT_TRUE(rdata_valid(RRType::NSEC, nsec_with_bitmap({0, 1, 0x40})));
  // RFC 4034 §4.1.2: an NSEC names at least its own type (BIND refuses an empty bitmap);
  // NSEC3 may have none (RFC 5155 §3.2: an empty non-terminal).
  EXPECT_FALSE(rdata_valid(RRType::NSEC, nsec_with_bitmap({})));
  EXPECT_TRUE(rdata_valid(RRType::NSEC3, Bytes{1, 0, 0,  0,  0,  20, 1,  2,  3,  4,  5,  6,  7,
                                               8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}));
  EXPECT_TRUE(rdata_valid(RRType::NSEC, nsec_with_bitmap({0, 1, 0x40, 1, 1, 0x80})));
  EXPECT_FALSE(rdata_valid(RRType::NSEC, nsec_with_bitmap({0, 0})));           // length 0
  EXPECT_FALSE(rdata_valid(RRType::NSEC, nsec_with_bitmap({0, 2, 0x40, 0})));  // trailing 0
  EXPECT_FALSE(rdata_valid(RRType::NSEC, nsec_with_bitmap({0, 2, 0x40})));     // truncated
  EXPECT_FALSE(rdata_valid(RRType::NSEC, nsec_with_bitmap({0})));
  EXPECT_FALSE(
      rdata_valid(RRType::NSEC, nsec_with_bitmap({1, 1, 0x80, 0, 1, 0x40})));  // descending
  EXPECT_FALSE(
      rdata_valid(RRType::NSEC, nsec_with_bitmap({0, 1, 0x40, 0, 1, 0x20})));  // repeated window
  Bytes too_long = nsec_with_bitmap({0, 33});
  too_long.insert(too_long.end(), 33, 0xFF);
  EXPECT_FALSE(rdata_valid(RRType::NSEC, too_long));
  Bytes max = nsec_with_bitmap({0, 32});
  max.insert(max.end(), 32, 0xFF);
  EXPECT_TRUE(rdata_valid(RRType::NSEC, max));
  // A malformed bitmap is also refused on input.
  EXPECT_FALSE(read_in_message(RRType::NSEC, nsec_with_bitmap({0, 2, 0x40, 0})));
}

Bytes svcb_with_params(std::initializer_list<std::uint8_t> params) {
  Bytes b = {0, 1, 0};  // priority 1, target "."
  b.insert(b.end(), params);
  return b;
}

TEST(RdataValid, SvcParamRules) {
  // RFC 9460 §2.2: strictly ascending keys whose values fit.
  EXPECT_TRUE(rdata_valid(RRType::SVCB, svcb_with_params({})));
  EXPECT_TRUE(rdata_valid(RRType::SVCB, svcb_with_params({0, 3, 0, 2, 0, 80})));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 3, 0, 2, 0, 80, 0, 3, 0, 2, 0, 81})));
  EXPECT_FALSE(
      rdata_valid(RRType::SVCB, svcb_with_params({0, 4, 0, 4, 1, 2, 3, 4, 0, 3, 0, 2, 0, 80})));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 3, 0, 3, 0, 80})));  // overlong
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 3, 0, 1, 0})));      // port size
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 3, 0})));            // truncated
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 2, 0, 1, 0})));  // no-default-alpn
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 1, 0, 1, 0})));  // empty alpn id
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 4, 0, 3, 1, 2, 3})));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0xFF, 0xFF, 0, 0})));  // key65535
  EXPECT_TRUE(rdata_valid(RRType::SVCB, svcb_with_params({0, 2, 0, 0})));
  EXPECT_EQ(rdata_to_text(RRType::SVCB, svcb_with_params({0, 2, 0, 0, 0, 8, 0, 0})),
            "1 . no-default-alpn key8");
  // RFC 9460 §8: mandatory lists, ascending, keys the RR has, never itself.
  EXPECT_TRUE(rdata_valid(RRType::SVCB, svcb_with_params({0, 0, 0, 2, 0, 3, 0, 3, 0, 2, 1, 187})));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 0, 0, 2, 0, 4, 0, 3, 0, 2, 1, 187})));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 0, 0, 2, 0, 0, 0, 3, 0, 2, 1, 187})));
  EXPECT_FALSE(
      rdata_valid(RRType::SVCB, svcb_with_params({0, 0, 0, 4, 0, 3, 0, 3, 0, 3, 0, 2, 1, 187})));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 0, 0,   4,   0, 3, 0, 1, 0, 1,  0,
                                                           3, 2, 'h', '2', 0, 3, 0, 2, 1, 187})));
  // ech: an empty ECHConfigList has no text libzscanner reads back.
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 5, 0, 0})));
  // dohpath (RFC 9461 §5): "/", UTF-8, a template with the dns variable.
  auto dohpath = [](std::string_view v) {
    Bytes b = svcb_with_params({0, 7, 0, static_cast<std::uint8_t>(v.size())});
    b.insert(b.end(), v.begin(), v.end());
    return b;
  };
  EXPECT_TRUE(rdata_valid(RRType::SVCB, dohpath("/dns-query{?dns}")));
  EXPECT_TRUE(rdata_valid(RRType::SVCB, dohpath("/q{?x,dns}")));
  EXPECT_EQ(rdata_to_text(RRType::SVCB, dohpath("/q{?dns}")), "1 . key7=\"/q{?dns}\"");
  EXPECT_FALSE(rdata_valid(RRType::SVCB, dohpath("")));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, dohpath("q{?dns}")));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, dohpath("/q{?dnsx}")));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, dohpath("/q{?dns")));
  EXPECT_FALSE(rdata_valid(RRType::SVCB, dohpath("/\xff{?dns}")));
}

TEST(RdataText, EscapesAndSpecialValues) {
  // alpn: a comma or backslash inside one id would be escaped twice (RFC 9460 §7.1.1),
  // as dig prints "h2\\,x"; libzscanner cannot read that back, so such ids are refused.
  EXPECT_FALSE(rdata_valid(RRType::SVCB,
                           svcb_with_params({0, 1, 0, 8, 4, 'h', '2', ',', 'x', 2, 'h', '3'})));
  EXPECT_EQ(rdata_to_text(RRType::SVCB, svcb_with_params({0, 1, 0, 6, 2, 'h', '2', 2, 'h', '3'})),
            "1 . alpn=\"h2,h3\"");
  // A backslash in an id: dig prints "h\\\\", which libzscanner cannot read back.
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 1, 0, 3, 2, 'h', '\\'})));
  // Nor can it read an id with a space or other non-printable (dig: "a\032b").
  EXPECT_FALSE(rdata_valid(RRType::SVCB, svcb_with_params({0, 1, 0, 4, 3, 'a', ' ', 'b'})));
  EXPECT_EQ(rdata_to_text(RRType::SVCB, svcb_with_params({0, 5, 0, 1, 0})), "1 . ech=AA==");
  EXPECT_EQ(rdata_to_text(RRType::TXT, Bytes{6, 'c', 'a', 'f', 0xC3, 0xA9, ';'}),
            "\"caf\\195\\169;\"");
  EXPECT_EQ(rdata_to_text(RRType::TXT, Bytes{0}), "\"\"");
  EXPECT_EQ(rdata_to_text(RRType::TXT, Bytes{2, '~', 0x7F}), "\"~\\127\"");
  EXPECT_EQ(rdata_to_text(RRType::CAA, Bytes{128, 3, 't', 'b', 's', 'a', '"', 'b'}),
            "128 tbs \"a\\\"b\"");
  EXPECT_EQ(rdata_to_text(RRType::NSEC3, Bytes{2, 0, 0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
            "2 0 0 - VVVVVVVV");
  EXPECT_EQ(rdata_to_text(RRType::RRSIG,
                          [] {
                            Bytes b = build_rrsig(Mode::kPlain);
                            b[12] = b[13] = b[14] = b[15] = 0xFF;  // inception 2106-02-07 06:28:15
                            return b;
                          }())
                .substr(0, 42),
            "A 13 3 3600 20240101000000 21060207062815 ");
  EXPECT_EQ(rdata_to_text(RRType::NS, Bytes{0}), ".");
  EXPECT_EQ(rdata_to_text(RRType::PTR, Bytes{3, 'a', '.', 'b', 0}), "a\\.b.");
}

TEST(RdataCanonical, NamesLowercasedOnlyWhereRfc4034Says) {
  Bytes upper = B{}.u16(10).name("MAIL.Example.COM.", kU).v;
  Bytes lower = B{}.u16(10).name("mail.example.com.", kU).v;
  EXPECT_EQ(canonical_rdata(RRType::MX, upper), lower);
  EXPECT_TRUE(rdata_equal(RRType::MX, upper, lower));
  // TXT data is case-sensitive bytes.
  EXPECT_FALSE(rdata_equal(RRType::TXT, Bytes{1, 'A'}, Bytes{1, 'a'}));
  EXPECT_EQ(canonical_rdata(RRType::TXT, Bytes{1, 'A'}), (Bytes{1, 'A'}));
  // SOA: both names; the numbers are untouched.
  Bytes soa_upper = B{}.name("NS1.example.com.", kU)
                        .name("HOST.example.com.", kU)
                        .u32(0x41424344)
                        .u32(1)
                        .u32(2)
                        .u32(3)
                        .u32(4)
                        .v;
  Bytes soa_lower = B{}.name("ns1.example.com.", kU)
                        .name("host.example.com.", kU)
                        .u32(0x41424344)
                        .u32(1)
                        .u32(2)
                        .u32(3)
                        .u32(4)
                        .v;
  EXPECT_EQ(canonical_rdata(RRType::SOA, soa_upper), soa_lower);
  // SRV, RRSIG signer, NSEC next name, NAPTR replacement are in the RFC 4034 §6.2 list.
  EXPECT_TRUE(rdata_equal(RRType::SRV, B{}.u16(0).u16(0).u16(1).name("A.example.", kP).v,
                          B{}.u16(0).u16(0).u16(1).name("a.EXAMPLE.", kP).v));
  EXPECT_TRUE(rdata_equal(RRType::NAPTR, B{}.u16(1).u16(1).str("").str("").str("").name("X.", kN).v,
                          B{}.u16(1).u16(1).str("").str("").str("").name("x.", kN).v));
  // NAPTR's strings are not names: case matters.
  EXPECT_FALSE(rdata_equal(RRType::NAPTR,
                           B{}.u16(1).u16(1).str("S").str("").str("").name("x.", kN).v,
                           B{}.u16(1).u16(1).str("s").str("").str("").name("x.", kN).v));
  // SVCB targets are not in the list (RFC 9460 adds none).
  EXPECT_FALSE(rdata_equal(RRType::SVCB, B{}.u16(1).name("A.", kN).v, B{}.u16(1).name("a.", kN).v));
  // Unknown types compare bytes.
  EXPECT_FALSE(rdata_equal(static_cast<RRType>(65280), Bytes{'A'}, Bytes{'a'}));
  EXPECT_FALSE(rdata_equal(RRType::MX, lower, Bytes{0, 10, 0}));
  // Length octets are left alone even when they look like capital letters ('A' = 65 > 63,
  // so a label length never is), and a malformed MX is returned unchanged.
  EXPECT_EQ(canonical_rdata(RRType::MX, Bytes{0, 'A', 1}), (Bytes{0, 'A', 1}));
}

}  // namespace
}  // namespace dnspush::wire
