// DNS code points as distinct strong types (DESIGN.md convention 3). Each is an enum class
// with a fixed underlying type, so any 16-bit value is representable (RFC 3597 unknown
// types stay opaque) while an RRType can never be passed where an RRClass is meant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnspush::wire {

enum class RRType : std::uint16_t {
  A = 1,
  NS = 2,
  MD = 3,
  MF = 4,
  CNAME = 5,
  SOA = 6,
  MB = 7,
  MG = 8,
  MR = 9,
  NULL_ = 10,
  WKS = 11,
  PTR = 12,
  HINFO = 13,
  MINFO = 14,
  MX = 15,
  TXT = 16,
  RP = 17,
  AFSDB = 18,
  X25 = 19,
  ISDN = 20,
  RT = 21,
  NSAP = 22,
  NSAP_PTR = 23,
  SIG = 24,
  KEY = 25,
  PX = 26,
  GPOS = 27,
  AAAA = 28,
  LOC = 29,
  NXT = 30,
  EID = 31,
  NIMLOC = 32,
  SRV = 33,
  ATMA = 34,
  NAPTR = 35,
  KX = 36,
  CERT = 37,
  A6 = 38,
  DNAME = 39,
  SINK = 40,
  OPT = 41,
  APL = 42,
  DS = 43,
  SSHFP = 44,
  IPSECKEY = 45,
  RRSIG = 46,
  NSEC = 47,
  DNSKEY = 48,
  DHCID = 49,
  NSEC3 = 50,
  NSEC3PARAM = 51,
  TLSA = 52,
  SMIMEA = 53,
  HIP = 55,
  NINFO = 56,
  RKEY = 57,
  TALINK = 58,
  CDS = 59,
  CDNSKEY = 60,
  OPENPGPKEY = 61,
  CSYNC = 62,
  ZONEMD = 63,
  SVCB = 64,
  HTTPS = 65,
  DSYNC = 66,
  HHIT = 67,
  BRID = 68,
  SPF = 99,
  UINFO = 100,
  UID = 101,
  GID = 102,
  UNSPEC = 103,
  NID = 104,
  L32 = 105,
  L64 = 106,
  LP = 107,
  EUI48 = 108,
  EUI64 = 109,
  TKEY = 249,
  TSIG = 250,
  IXFR = 251,
  AXFR = 252,
  MAILB = 253,
  MAILA = 254,
  ANY = 255,
  URI = 256,
  CAA = 257,
  AVC = 258,
  DOA = 259,
  AMTRELAY = 260,
  RESINFO = 261,
  WALLET = 262,
  TA = 32768,
  DLV = 32769,
};

enum class RRClass : std::uint16_t {
  IN = 1,
  CH = 3,
  HS = 4,
  NONE = 254,
  ANY = 255,
};

enum class Opcode : std::uint8_t {
  QUERY = 0,
  IQUERY = 1,
  STATUS = 2,
  NOTIFY = 4,
  UPDATE = 5,
  DSO = 6,
};

// Extended (12-bit) RCODE: the low 4 bits live in the header, the high 8 in OPT (RFC 6891).
enum class Rcode : std::uint16_t {
  NOERROR = 0,
  FORMERR = 1,
  SERVFAIL = 2,
  NXDOMAIN = 3,
  NOTIMP = 4,
  REFUSED = 5,
  YXDOMAIN = 6,
  YXRRSET = 7,
  NXRRSET = 8,
  NOTAUTH = 9,
  NOTZONE = 10,
  DSOTYPENI = 11,
  BADVERS = 16,  // also BADSIG in TSIG's error field (RFC 8945)
  BADKEY = 17,
  BADTIME = 18,
  BADMODE = 19,
  BADNAME = 20,
  BADALG = 21,
  BADTRUNC = 22,
  BADCOOKIE = 23,
};

// Mnemonics ("A", "TYPE65280") and back; from_text accepts the RFC 3597 TYPEnnn form.
std::string to_text(RRType t);
std::optional<RRType> rrtype_from_text(std::string_view s);
std::string to_text(RRClass c);
std::optional<RRClass> rrclass_from_text(std::string_view s);
std::string to_text(Rcode r);
std::string to_text(Opcode o);

// Meta types (RFC 6895 §3.1): OPT and 128..255 (TKEY, TSIG, IXFR, AXFR, MAILB, MAILA,
// ANY). They live only in a message, never in a zone.
constexpr bool is_meta_type(RRType t) {
  const auto v = static_cast<std::uint16_t>(t);
  return t == RRType::OPT || (v >= 128 && v <= 255);
}

// RFC 6895 §3.1: TYPE 0 (SIG(0)'s "no type" marker, RFC 2931 §3) and 65535 are reserved
// and never name data.
constexpr bool is_reserved_type(RRType t) {
  const auto v = static_cast<std::uint16_t>(t);
  return v == 0 || v == 0xFFFF;
}

// RFC 1123 §6.1.3.6: MD and MF are obsolete (RFC 973); "name servers MUST NOT load these
// types from configuration files". Their RDATA is still understood on the wire.
constexpr bool is_obsolete_type(RRType t) {
  return t == RRType::MD || t == RRType::MF;
}

// Whether a record of this type may be stored in a zone: loaded from a file, added by
// UPDATE or replayed from the journal.
constexpr bool is_storable_type(RRType t) {
  return !is_meta_type(t) && !is_reserved_type(t) && !is_obsolete_type(t);
}

// RFC 2181 §8: a TTL with the most significant bit set is treated as zero. Every way a
// record enters a zone applies this, so 2147483648 is never stored or served.
inline constexpr std::uint32_t kMaxTtl = 0x7FFFFFFF;
constexpr std::uint32_t effective_ttl(std::uint32_t ttl) {
  return ttl > kMaxTtl ? 0 : ttl;
}

}  // namespace dnspush::wire
