// Mnemonics for DNS code points. Unknown values use the RFC 3597 §5 generic forms
// (TYPEnnn, CLASSnnn) so that every 16-bit value has a text form and round-trips.
#include "wire/types.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace dnspush::wire {
namespace {

struct TypeName {
  RRType type;
  std::string_view name;
};

// Sorted by code point (to_text searches it); BIND 9.18's list of mnemonics.
constexpr std::array<TypeName, 94> kTypeNames{{
    {RRType::A, "A"},
    {RRType::NS, "NS"},
    {RRType::MD, "MD"},
    {RRType::MF, "MF"},
    {RRType::CNAME, "CNAME"},
    {RRType::SOA, "SOA"},
    {RRType::MB, "MB"},
    {RRType::MG, "MG"},
    {RRType::MR, "MR"},
    {RRType::NULL_, "NULL"},
    {RRType::WKS, "WKS"},
    {RRType::PTR, "PTR"},
    {RRType::HINFO, "HINFO"},
    {RRType::MINFO, "MINFO"},
    {RRType::MX, "MX"},
    {RRType::TXT, "TXT"},
    {RRType::RP, "RP"},
    {RRType::AFSDB, "AFSDB"},
    {RRType::X25, "X25"},
    {RRType::ISDN, "ISDN"},
    {RRType::RT, "RT"},
    {RRType::NSAP, "NSAP"},
    {RRType::NSAP_PTR, "NSAP-PTR"},
    {RRType::SIG, "SIG"},
    {RRType::KEY, "KEY"},
    {RRType::PX, "PX"},
    {RRType::GPOS, "GPOS"},
    {RRType::AAAA, "AAAA"},
    {RRType::LOC, "LOC"},
    {RRType::NXT, "NXT"},
    {RRType::EID, "EID"},
    {RRType::NIMLOC, "NIMLOC"},
    {RRType::SRV, "SRV"},
    {RRType::ATMA, "ATMA"},
    {RRType::NAPTR, "NAPTR"},
    {RRType::KX, "KX"},
    {RRType::CERT, "CERT"},
    {RRType::A6, "A6"},
    {RRType::DNAME, "DNAME"},
    {RRType::SINK, "SINK"},
    {RRType::OPT, "OPT"},
    {RRType::APL, "APL"},
    {RRType::DS, "DS"},
    {RRType::SSHFP, "SSHFP"},
    {RRType::IPSECKEY, "IPSECKEY"},
    {RRType::RRSIG, "RRSIG"},
    {RRType::NSEC, "NSEC"},
    {RRType::DNSKEY, "DNSKEY"},
    {RRType::DHCID, "DHCID"},
    {RRType::NSEC3, "NSEC3"},
    {RRType::NSEC3PARAM, "NSEC3PARAM"},
    {RRType::TLSA, "TLSA"},
    {RRType::SMIMEA, "SMIMEA"},
    {RRType::HIP, "HIP"},
    {RRType::NINFO, "NINFO"},
    {RRType::RKEY, "RKEY"},
    {RRType::TALINK, "TALINK"},
    {RRType::CDS, "CDS"},
    {RRType::CDNSKEY, "CDNSKEY"},
    {RRType::OPENPGPKEY, "OPENPGPKEY"},
    {RRType::CSYNC, "CSYNC"},
    {RRType::ZONEMD, "ZONEMD"},
    {RRType::SVCB, "SVCB"},
    {RRType::HTTPS, "HTTPS"},
    {RRType::DSYNC, "DSYNC"},
    {RRType::HHIT, "HHIT"},
    {RRType::BRID, "BRID"},
    {RRType::SPF, "SPF"},
    {RRType::UINFO, "UINFO"},
    {RRType::UID, "UID"},
    {RRType::GID, "GID"},
    {RRType::UNSPEC, "UNSPEC"},
    {RRType::NID, "NID"},
    {RRType::L32, "L32"},
    {RRType::L64, "L64"},
    {RRType::LP, "LP"},
    {RRType::EUI48, "EUI48"},
    {RRType::EUI64, "EUI64"},
    {RRType::TKEY, "TKEY"},
    {RRType::TSIG, "TSIG"},
    {RRType::IXFR, "IXFR"},
    {RRType::AXFR, "AXFR"},
    {RRType::MAILB, "MAILB"},
    {RRType::MAILA, "MAILA"},
    {RRType::ANY, "ANY"},
    {RRType::URI, "URI"},
    {RRType::CAA, "CAA"},
    {RRType::AVC, "AVC"},
    {RRType::DOA, "DOA"},
    {RRType::AMTRELAY, "AMTRELAY"},
    {RRType::RESINFO, "RESINFO"},
    {RRType::WALLET, "WALLET"},
    {RRType::TA, "TA"},
    {RRType::DLV, "DLV"},
}};

struct ClassName {
  RRClass cls;
  std::string_view name;
};

constexpr std::array<ClassName, 5> kClassNames{{
    {RRClass::IN, "IN"},
    {RRClass::CH, "CH"},
    {RRClass::HS, "HS"},
    {RRClass::NONE, "NONE"},
    {RRClass::ANY, "ANY"},
}};

constexpr bool sorted_by_code() {
  for (std::size_t i = 1; i < kTypeNames.size(); ++i) {
    if (static_cast<std::uint16_t>(kTypeNames[i - 1].type) >=
        static_cast<std::uint16_t>(kTypeNames[i].type)) {
      return false;
    }
  }
  return true;
}
static_assert(sorted_by_code(), "kTypeNames must stay sorted for the binary search");

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// "<prefix><decimal>" with the decimal in 0..65535, digits only (RFC 3597 §5).
std::optional<std::uint16_t> generic_number(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() || !iequals(s.substr(0, prefix.size()), prefix)) {
    return std::nullopt;
  }
  const std::string_view digits = s.substr(prefix.size());
  if (digits.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::string generic_text(std::string_view prefix, unsigned value) {
  std::string out(prefix);
  out += std::to_string(value);
  return out;
}

}  // namespace

std::string to_text(RRType t) {
  const auto value = [](RRType x) { return static_cast<std::uint16_t>(x); };
  const auto it =
      std::lower_bound(kTypeNames.begin(), kTypeNames.end(), t,
                       [&](const TypeName& e, RRType v) { return value(e.type) < value(v); });
  if (it != kTypeNames.end() && it->type == t) return std::string(it->name);
  return generic_text("TYPE", value(t));
}

std::optional<RRType> rrtype_from_text(std::string_view s) {
  for (const auto& e : kTypeNames) {
    if (iequals(e.name, s)) return e.type;
  }
  if (auto v = generic_number(s, "TYPE")) return static_cast<RRType>(*v);
  return std::nullopt;
}

std::string to_text(RRClass c) {
  for (const auto& e : kClassNames) {
    if (e.cls == c) return std::string(e.name);
  }
  return generic_text("CLASS", static_cast<std::uint16_t>(c));
}

std::optional<RRClass> rrclass_from_text(std::string_view s) {
  for (const auto& e : kClassNames) {
    if (iequals(e.name, s)) return e.cls;
  }
  // The long forms BIND also accepts in zone files.
  if (iequals(s, "CHAOS")) return RRClass::CH;
  if (iequals(s, "HESIOD")) return RRClass::HS;
  if (auto v = generic_number(s, "CLASS")) return static_cast<RRClass>(*v);
  return std::nullopt;
}

std::string to_text(Rcode r) {
  switch (r) {
    case Rcode::NOERROR:
      return "NOERROR";
    case Rcode::FORMERR:
      return "FORMERR";
    case Rcode::SERVFAIL:
      return "SERVFAIL";
    case Rcode::NXDOMAIN:
      return "NXDOMAIN";
    case Rcode::NOTIMP:
      return "NOTIMP";
    case Rcode::REFUSED:
      return "REFUSED";
    case Rcode::YXDOMAIN:
      return "YXDOMAIN";
    case Rcode::YXRRSET:
      return "YXRRSET";
    case Rcode::NXRRSET:
      return "NXRRSET";
    case Rcode::NOTAUTH:
      return "NOTAUTH";
    case Rcode::NOTZONE:
      return "NOTZONE";
    case Rcode::DSOTYPENI:
      return "DSOTYPENI";
    case Rcode::BADVERS:
      return "BADVERS";
    case Rcode::BADKEY:
      return "BADKEY";
    case Rcode::BADTIME:
      return "BADTIME";
    case Rcode::BADMODE:
      return "BADMODE";
    case Rcode::BADNAME:
      return "BADNAME";
    case Rcode::BADALG:
      return "BADALG";
    case Rcode::BADTRUNC:
      return "BADTRUNC";
    case Rcode::BADCOOKIE:
      return "BADCOOKIE";
  }
  return generic_text("RCODE", static_cast<std::uint16_t>(r));
}

std::string to_text(Opcode o) {
  switch (o) {
    case Opcode::QUERY:
      return "QUERY";
    case Opcode::IQUERY:
      return "IQUERY";
    case Opcode::STATUS:
      return "STATUS";
    case Opcode::NOTIFY:
      return "NOTIFY";
    case Opcode::UPDATE:
      return "UPDATE";
    case Opcode::DSO:
      return "DSO";
  }
  return generic_text("OPCODE", static_cast<std::uint8_t>(o));
}

}  // namespace dnspush::wire
