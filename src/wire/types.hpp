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
  RT = 21,
  SIG = 24,
  KEY = 25,
  PX = 26,
  AAAA = 28,
  SRV = 33,
  NAPTR = 35,
  KX = 36,
  DNAME = 39,
  OPT = 41,
  DS = 43,
  RRSIG = 46,
  NSEC = 47,
  DNSKEY = 48,
  NSEC3 = 50,
  NSEC3PARAM = 51,
  TLSA = 52,
  SVCB = 64,
  HTTPS = 65,
  TKEY = 249,
  TSIG = 250,
  IXFR = 251,
  AXFR = 252,
  ANY = 255,
  CAA = 257,
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

// Meta types (RFC 6895 §3.1): never stored in a zone or answered from one.
constexpr bool is_meta_type(RRType t) {
  const auto v = static_cast<std::uint16_t>(t);
  return t == RRType::OPT || (v >= 128 && v <= 255);
}

}  // namespace dnspush::wire
