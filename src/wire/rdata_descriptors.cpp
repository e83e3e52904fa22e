// The RDATA descriptor table: every type whose RDATA BIND 9.18 or Knot DNS 3.2 parse from
// the wire, each described once (DESIGN.md convention 2), plus the rules between fields
// that a field list cannot state. What a type accepts here is what both of them parse and
// print; where they differ, the stricter one (or the RFC, where it is stricter still).
// Types not in this table are opaque RFC 3597 data; that includes the ones BIND names but
// parses as opaque itself (NULL, UINFO, UID, GID, UNSPEC).
#include <array>

#include "wire/rdata.hpp"
#include "wire/rdata_fields.hpp"

namespace dnspush::wire {
namespace {

using F = Field;

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// ---- Field lists ----

constexpr Field kA[] = {F::kIPv4};
constexpr Field kAAAA[] = {F::kIPv6};
constexpr Field kOneName[] = {F::kNameUnicast};  // NS, MD, MF, CNAME, MB, MG, MR, PTR
constexpr Field kSOA[] = {F::kNameUnicast, F::kNameUnicast, F::kU32, F::kU32,
                          F::kU32,         F::kU32,         F::kU32};
constexpr Field kWKS[] = {F::kIPv4, F::kU8, F::kWksBitmap};
constexpr Field kHINFO[] = {F::kCharString, F::kCharString};
constexpr Field kMINFO[] = {F::kNameUnicast, F::kNameUnicast};
constexpr Field kMX[] = {F::kU16, F::kNameUnicast};
constexpr Field kTXT[] = {F::kCharStrings};  // TXT, SPF, NINFO, AVC, RESINFO, WALLET
// RFC 6762 §18.14's extra compressible types: compressed only inside PUSH.
constexpr Field kRP[] = {F::kNamePush, F::kNamePush};
constexpr Field kPrefName[] = {F::kU16, F::kNamePush};  // AFSDB, RT, KX
constexpr Field kPX[] = {F::kU16, F::kNamePush, F::kNamePush};
constexpr Field kSRV[] = {F::kU16, F::kU16, F::kU16, F::kNamePush};
constexpr Field kDNAME[] = {F::kNamePush};
constexpr Field kNSEC[] = {F::kNamePush, F::kTypeBitmap};
// RFC 3597 §4: types defined after RFC 1035 never have their names compressed.
constexpr Field kX25[] = {F::kCharString};
constexpr Field kISDN[] = {F::kCharString, F::kCharStringOpt};
constexpr Field kNSAP[] = {F::kNsap};
constexpr Field kUncompressedName[] = {F::kName};  // NSAP-PTR
constexpr Field kRRSIG[] = {F::kType, F::kU8,  F::kU8,   F::kU32,       F::kTime,
                            F::kTime, F::kU16, F::kName, F::kBase64Rest};
constexpr Field kSIG[] = {F::kSigType, F::kU8,  F::kU8,   F::kU32,       F::kTime,
                          F::kTime,    F::kU16, F::kName, F::kBase64Rest};
// RFC 1035 §3.3.10: anything at all, which Knot refuses when empty.
constexpr Field kNULL[] = {F::kOpaque};
constexpr Field kKEY[] = {F::kU16, F::kU8, F::kU8, F::kBase64Rest};  // KEY, DNSKEY, ...
constexpr Field kGPOS[] = {F::kCharString, F::kCharString, F::kCharString};
constexpr Field kLOC[] = {F::kLoc};
constexpr Field kNXT[] = {F::kName, F::kNxtBitmap};
constexpr Field kHex[] = {F::kHexRest};  // EID, NIMLOC
constexpr Field kATMA[] = {F::kAtma};
constexpr Field kNAPTR[] = {F::kU16,        F::kU16,        F::kCharString,
                            F::kCharString, F::kCharString, F::kName};
constexpr Field kCERT[] = {F::kCertType, F::kU16, F::kSecAlg, F::kBase64Rest};
constexpr Field kA6[] = {F::kU8, F::kA6Suffix, F::kA6Prefix};
constexpr Field kSINK[] = {F::kU8, F::kU8, F::kU8, F::kBase64RestOpt};
constexpr Field kAPL[] = {F::kApl};
constexpr Field kDS[] = {F::kU16, F::kU8, F::kU8, F::kHexRest};  // DS, CDS, TA, DLV
constexpr Field kSSHFP[] = {F::kU8, F::kU8, F::kHexRest};
constexpr Field kIPSECKEY[] = {F::kU8, F::kU8, F::kU8, F::kGateway, F::kBase64Rest};
constexpr Field kBase64[] = {F::kBase64Rest};  // DHCID, OPENPGPKEY, HHIT, BRID
constexpr Field kNSEC3[] = {F::kU8, F::kU8, F::kU16, F::kHexLen8, F::kBase32Len8, F::kTypeBitmap};
constexpr Field kNSEC3PARAM[] = {F::kU8, F::kU8, F::kU16, F::kHexLen8};
constexpr Field kTLSA[] = {F::kU8, F::kU8, F::kU8, F::kHexRest};  // TLSA, SMIMEA
constexpr Field kHIP[] = {F::kHipKeys, F::kNameList};
constexpr Field kTALINK[] = {F::kName, F::kName};
constexpr Field kCSYNC[] = {F::kU32, F::kU16, F::kTypeBitmap};
constexpr Field kZONEMD[] = {F::kU32, F::kU8, F::kU8, F::kHexRest};
constexpr Field kSVCB[] = {F::kU16, F::kName, F::kSvcParams};
constexpr Field kDSYNC[] = {F::kType, F::kDsyncScheme, F::kU16, F::kName};
constexpr Field kNID[] = {F::kU16, F::kLocator64};  // NID, L64
constexpr Field kL32[] = {F::kU16, F::kIPv4};
constexpr Field kLP[] = {F::kU16, F::kName};
constexpr Field kEUI48[] = {F::kEui48};
constexpr Field kEUI64[] = {F::kEui64};
constexpr Field kTKEY[] = {F::kName,      F::kU32,    F::kU32,   F::kU16,
                           F::kTsigError, F::kBlob16, F::kBlob16};
constexpr Field kTSIG[] = {F::kName, F::kU48,       F::kU16,   F::kBlob16,
                           F::kU16,  F::kTsigError, F::kBlob16};
constexpr Field kURI[] = {F::kU16, F::kU16, F::kQuotedRest};
constexpr Field kCAA[] = {F::kU8, F::kCaaTag, F::kQuotedRest};
constexpr Field kDOA[] = {F::kU32, F::kU32, F::kU8, F::kCharString, F::kBase64OrDash};
constexpr Field kAMTRELAY[] = {F::kU8, F::kAmtRelayType, F::kGateway};

// ---- Rules between fields (each run only on RDATA that matched its fields) ----

// RFC 1183 §3.1: a PSDN address is at least the 4 digits of a DNIC, digits only.
bool check_x25(std::span<const std::uint8_t> rd) {
  if (rd[0] < 4) return false;
  for (std::size_t i = 1; i < rd.size(); ++i) {
    if (rd[i] < '0' || rd[i] > '9') return false;
  }
  return true;
}

// RFC 4034 §A.1.1: with algorithm PRIVATEDNS (253) the key or signature starts with the
// wire form of the domain name that names the algorithm.
constexpr std::uint8_t kPrivateDns = 253;
bool starts_with_name(std::span<const std::uint8_t> b) {
  return detail::name_length(b, 0).has_value();
}

// DNSKEY, CDNSKEY, RKEY: flags, protocol, algorithm, key.
bool check_dnskey(std::span<const std::uint8_t> rd) {
  return rd[3] != kPrivateDns || starts_with_name(rd.subspan(4));
}

// RFC 2535 §3.1.2: with both key-type bits set (NOKEY) a KEY has no key; BIND refuses a
// key there and Knot cannot print one without: neither form is safe to serve.
bool check_key(std::span<const std::uint8_t> rd) {
  if ((get16(rd, 0) & 0xC000) == 0xC000) return false;
  return check_dnskey(rd);
}

// Digest lengths by digest type: RFC 3658 (SHA-1), RFC 4509 (SHA-256), RFC 5933 (GOST),
// RFC 6605 (SHA-384). Type 0 is CDS's delete request (RFC 8078 §4).
bool check_ds(std::span<const std::uint8_t> rd) {
  const std::size_t n = rd.size() - 4;
  switch (rd[3]) {
    case 1:
      return n == 20;
    case 2:
    case 3:
      return n == 32;
    case 4:
      return n == 48;
    default:
      return true;
  }
}

// RFC 4255 §3.1 (SHA-1), RFC 6594 §3 (SHA-256): fingerprint length by type.
bool check_sshfp(std::span<const std::uint8_t> rd) {
  const std::size_t n = rd.size() - 2;
  switch (rd[1]) {
    case 1:
      return n == 20;
    case 2:
      return n == 32;
    default:
      return true;
  }
}

// draft-reid-dnsext-rkey §3: the flags field is zero (BIND refuses anything else).
bool check_rkey(std::span<const std::uint8_t> rd) {
  return get16(rd, 0) == 0 && check_dnskey(rd);
}

// RFC 4034 §3.1.3: LABELS counts the owner's labels, and the signer is the owner or an
// ancestor of it, so LABELS is at least the signer's label count (BIND checks this).
bool check_rrsig(std::span<const std::uint8_t> rd) {
  constexpr std::size_t kSignerAt = 18;
  unsigned labels = 0;
  for (std::size_t p = kSignerAt; p < rd.size() && rd[p] != 0; p += 1 + rd[p]) ++labels;
  return rd[3] >= labels;
}

// RFC 4025 §2.3: gateway types 0..3 (the octet has no flag bits, unlike AMTRELAY's);
// §2.4: algorithm 0 means "no key", which BIND refuses and Knot cannot print with one.
bool check_ipseckey(std::span<const std::uint8_t> rd) {
  return rd[1] <= 3 && rd[2] != 0;
}

// RFC 4034 §4.1.2: an NSEC's bitmap names at least the NSEC type itself.
bool check_nsec(std::span<const std::uint8_t> rd) {
  const auto name = detail::name_length(rd, 0);
  return name && *name < rd.size();
}

// RFC 5155 §3.2 with §11: hash algorithm 1 is SHA-1, whose hash is 20 octets. Any hash
// must fit, base32-encoded, in the 63-octet first label of an NSEC3 owner (§3.3), which
// BIND checks (at most 39 octets); and its text must be whole base32 groups, since BIND
// reads the hash only unpadded and libzscanner only in whole (or padded) groups: a
// multiple of 5 octets.
bool check_nsec3(std::span<const std::uint8_t> rd) {
  const std::size_t hash_len = rd[5 + rd[4]];
  return hash_len <= 39 && hash_len % 5 == 0 && (rd[0] != 1 || hash_len == 20);
}

// RFC 8976 §2.2.4: at least 12 octets; SHA-384 (1) is 48 and SHA-512 (2) is 64.
bool check_zonemd(std::span<const std::uint8_t> rd) {
  const std::size_t n = rd.size() - 6;
  switch (rd[5]) {
    case 1:
      return n == 48;
    case 2:
      return n == 64;
    default:
      return n >= 12;
  }
}

// RFC 7553 §4.5: "The length of the Target field MUST be greater than zero."
bool check_uri(std::span<const std::uint8_t> rd) {
  return rd.size() > 4;
}

// RFC 2874 §3.1: the prefix bits of the first suffix octet are zero ("pad bits").
bool check_a6(std::span<const std::uint8_t> rd) {
  const unsigned prefix = rd[0];
  if (prefix == 128 || prefix % 8 == 0) return true;
  const auto pad = static_cast<std::uint8_t>(0xFF << (8 - prefix % 8));
  return (rd[1] & pad) == 0;
}

// ---- The table ----

constexpr RdataDescriptor kDescriptors[] = {
    {RRType::A, kA},
    {RRType::NS, kOneName},
    {RRType::MD, kOneName},
    {RRType::MF, kOneName},
    {RRType::CNAME, kOneName},
    {RRType::SOA, kSOA},
    {RRType::MB, kOneName},
    {RRType::MG, kOneName},
    {RRType::MR, kOneName},
    {RRType::NULL_, kNULL},
    {RRType::WKS, kWKS},
    {RRType::PTR, kOneName},
    {RRType::HINFO, kHINFO},
    {RRType::MINFO, kMINFO},
    {RRType::MX, kMX},
    {RRType::TXT, kTXT},
    {RRType::RP, kRP},
    {RRType::AFSDB, kPrefName},
    {RRType::X25, kX25, check_x25},
    {RRType::ISDN, kISDN},
    {RRType::RT, kPrefName},
    {RRType::NSAP, kNSAP},
    {RRType::NSAP_PTR, kUncompressedName},
    {RRType::SIG, kSIG},
    {RRType::KEY, kKEY, check_key},
    {RRType::PX, kPX},
    {RRType::GPOS, kGPOS},
    {RRType::AAAA, kAAAA},
    {RRType::LOC, kLOC},
    {RRType::NXT, kNXT},
    {RRType::EID, kHex},
    {RRType::NIMLOC, kHex},
    {RRType::SRV, kSRV},
    {RRType::ATMA, kATMA},
    {RRType::NAPTR, kNAPTR, detail::naptr_regexp_valid},
    {RRType::KX, kPrefName},
    {RRType::CERT, kCERT},
    {RRType::A6, kA6, check_a6},
    {RRType::DNAME, kDNAME},
    {RRType::SINK, kSINK},
    {RRType::APL, kAPL},
    {RRType::DS, kDS, check_ds},
    {RRType::SSHFP, kSSHFP, check_sshfp},
    {RRType::IPSECKEY, kIPSECKEY, check_ipseckey},
    {RRType::RRSIG, kRRSIG, check_rrsig},
    {RRType::NSEC, kNSEC, check_nsec},
    {RRType::DNSKEY, kKEY, check_dnskey},
    {RRType::DHCID, kBase64},
    {RRType::NSEC3, kNSEC3, check_nsec3},
    {RRType::NSEC3PARAM, kNSEC3PARAM},
    {RRType::TLSA, kTLSA},
    {RRType::SMIMEA, kTLSA},
    {RRType::HIP, kHIP},
    {RRType::NINFO, kTXT},
    {RRType::RKEY, kKEY, check_rkey},
    {RRType::TALINK, kTALINK},
    {RRType::CDS, kDS, check_ds},
    {RRType::CDNSKEY, kKEY, check_dnskey},
    {RRType::OPENPGPKEY, kBase64},
    {RRType::CSYNC, kCSYNC},
    {RRType::ZONEMD, kZONEMD, check_zonemd},
    {RRType::SVCB, kSVCB},
    {RRType::HTTPS, kSVCB},
    {RRType::DSYNC, kDSYNC},
    {RRType::HHIT, kBase64},
    {RRType::BRID, kBase64},
    {RRType::SPF, kTXT},
    {RRType::NID, kNID},
    {RRType::L32, kL32},
    {RRType::L64, kNID},
    {RRType::LP, kLP},
    {RRType::EUI48, kEUI48},
    {RRType::EUI64, kEUI64},
    {RRType::TKEY, kTKEY},
    {RRType::TSIG, kTSIG},
    {RRType::URI, kURI, check_uri},
    {RRType::CAA, kCAA},
    {RRType::AVC, kTXT},
    {RRType::DOA, kDOA},
    {RRType::AMTRELAY, kAMTRELAY},
    {RRType::RESINFO, kTXT},
    {RRType::WALLET, kTXT},
    {RRType::TA, kDS, check_ds},
    {RRType::DLV, kDS, check_ds},
};

// Code points below this value index one array; the two above it (TA, DLV at 32768 and
// 32769) index a second one. Both lookups are one bounds check and one load.
constexpr std::size_t kLowSize = 263;
constexpr std::uint16_t kHighBase = 32768;
constexpr std::size_t kHighSize = 2;

struct Lookup {
  std::array<const RdataDescriptor*, kLowSize> low{};
  std::array<const RdataDescriptor*, kHighSize> high{};
};

constexpr Lookup make_lookup() {
  Lookup t;
  for (const auto& d : kDescriptors) {
    const auto v = static_cast<std::uint16_t>(d.type);
    if (v < kLowSize) {
      t.low[v] = &d;
    } else {
      t.high[v - kHighBase] = &d;  // not a constant expression when out of range
    }
  }
  return t;
}
constexpr Lookup kLookup = make_lookup();

}  // namespace

const RdataDescriptor* descriptor(RRType type) {
  const auto v = static_cast<std::uint16_t>(type);
  if (v < kLowSize) return kLookup.low[v];
  if (v >= kHighBase && std::size_t{v} - kHighBase < kHighSize) return kLookup.high[v - kHighBase];
  return nullptr;
}

std::span<const RdataDescriptor> descriptors() {
  return kDescriptors;
}

}  // namespace dnspush::wire
