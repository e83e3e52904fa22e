// Presentation text of the fields that serve one RR type each, as BIND 9.18's dig prints
// them (its lib/dns/rdata totext functions are the reference the tests compare with).
#include <cstdio>
#include <string>

#include "wire/base64.hpp"
#include "wire/rdata_fields.hpp"

namespace dnspush::wire::detail {
namespace {

std::string hex_lower(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (std::uint8_t x : b) {
    out += kDigits[x >> 4];
    out += kDigits[x & 0xF];
  }
  return out;
}

std::string name_text(std::span<const std::uint8_t> b) {
  auto n = Name::from_wire(b);
  return n ? n->to_text() : std::string("?");
}

// DNSSEC algorithm mnemonics (RFC 4034 §A.1, RFC 4398 §2.1) as both BIND and libzscanner
// read them. BIND prints 6, 7 and 12 as NSEC3DSA, NSEC3RSASHA1 and ECCGOST, which
// libzscanner (our zone loader) refuses; the number reads everywhere.
std::string sec_alg_text(unsigned alg) {
  switch (alg) {
    case 1:
      return "RSAMD5";
    case 2:
      return "DH";
    case 3:
      return "DSA";
    case 5:
      return "RSASHA1";
    case 8:
      return "RSASHA256";
    case 10:
      return "RSASHA512";
    case 13:
      return "ECDSAP256SHA256";
    case 14:
      return "ECDSAP384SHA384";
    case 15:
      return "ED25519";
    case 16:
      return "ED448";
    case 252:
      return "INDIRECT";
    case 253:
      return "PRIVATEDNS";
    case 254:
      return "PRIVATEOID";
    default:
      return std::to_string(alg);
  }
}

// RFC 4398 §2.1 certificate types.
std::string cert_type_text(unsigned type) {
  switch (type) {
    case 1:
      return "PKIX";
    case 2:
      return "SPKI";
    case 3:
      return "PGP";
    case 4:
      return "IPKIX";
    case 5:
      return "ISPKI";
    case 6:
      return "IPGP";
    case 7:
      return "ACPKIX";
    case 8:
      return "IACPKIX";
    case 253:
      return "URI";
    case 254:
      return "OID";
    default:
      return std::to_string(type);
  }
}

// RFC 1876 §2 / Appendix A: a size or precision in centimetres, as mantissa and power of
// ten, printed in metres.
std::string loc_precision_text(std::uint8_t c) {
  static constexpr unsigned long kPow10[] = {1,      10,      100,      1000,      10000,
                                             100000, 1000000, 10000000, 100000000, 1000000000};
  const unsigned long mantissa = c >> 4;
  const unsigned exponent = c & 0xF;
  char buf[32];
  if (exponent > 1) {
    std::snprintf(buf, sizeof buf, "%lum", mantissa * kPow10[exponent - 2]);
  } else {
    std::snprintf(buf, sizeof buf, "0.%02lum", mantissa * kPow10[exponent]);
  }
  return buf;
}

// Degrees, minutes, seconds and thousandths from 2^31 +/- thousandths of arc.
std::string loc_angle_text(std::uint32_t v, char positive, char negative) {
  constexpr std::uint32_t kEquator = 0x80000000U;
  const bool pos = v >= kEquator;
  std::uint32_t a = pos ? v - kEquator : kEquator - v;
  const unsigned frac = a % 1000;
  a /= 1000;
  const unsigned sec = a % 60;
  a /= 60;
  const unsigned min = a % 60;
  const unsigned deg = a / 60;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u %u %u.%03u %c", deg, min, sec, frac,
                pos ? positive : negative);
  return buf;
}

std::string loc_text(std::span<const std::uint8_t> b) {
  const auto lat = static_cast<std::uint32_t>(get_uint(b.subspan(4, 4)));
  const auto lon = static_cast<std::uint32_t>(get_uint(b.subspan(8, 4)));
  auto alt = static_cast<std::uint32_t>(get_uint(b.subspan(12, 4)));
  // RFC 1876 §2: altitude in centimetres from 100,000 m below the WGS 84 spheroid.
  constexpr std::uint32_t kBase = 10000000;
  const bool below = alt < kBase;
  alt = below ? kBase - alt : alt - kBase;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%u.%02um", below ? "-" : "", alt / 100, alt % 100);
  return loc_angle_text(lat, 'N', 'S') + ' ' + loc_angle_text(lon, 'E', 'W') + ' ' + buf + ' ' +
         loc_precision_text(b[1]) + ' ' + loc_precision_text(b[2]) + ' ' + loc_precision_text(b[3]);
}

// RFC 3123 §5: [!]afi:address/prefix, items separated by spaces.
std::string apl_text(std::span<const std::uint8_t> b) {
  std::string out;
  std::size_t p = 0;
  while (p + 4 <= b.size()) {
    const auto family = static_cast<unsigned>(get_uint(b.subspan(p, 2)));
    const unsigned prefix = b[p + 2];
    const std::size_t len = b[p + 3] & 0x7F;
    const bool negated = (b[p + 3] & 0x80) != 0;
    std::uint8_t addr[16] = {};
    for (std::size_t i = 0; i < len && i < sizeof addr; ++i) addr[i] = b[p + 4 + i];
    if (!out.empty()) out += ' ';
    if (negated) out += '!';
    out += std::to_string(family) + ':';
    out += family == 1 ? ipv4_text(std::span(addr, 4)) : ipv6_text(std::span(addr, 16));
    out += '/' + std::to_string(prefix);
    p += 4 + len;
  }
  return out;
}

// A bitmap whose bit n (most significant first) stands for the number n.
template <typename Emit>
void each_bit(std::span<const std::uint8_t> b, Emit emit) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      if ((b[i] & (0x80 >> bit)) != 0) emit(static_cast<unsigned>(i * 8 + bit));
    }
  }
}

std::string gateway_text(std::span<const std::uint8_t> b, std::uint8_t type) {
  switch (type) {
    case 1:
      return ipv4_text(b);
    case 2:
      return ipv6_text(b);
    case 3:
      return name_text(b);
    default:
      return ".";  // RFC 4025 §3.1: no gateway
  }
}

// RFC 2874 §3.2: the suffix as a full IPv6 address with the prefix octets zero; nothing
// for a prefix length of 128.
std::string a6_suffix_text(std::span<const std::uint8_t> b, unsigned prefix) {
  if (prefix >= 128) return {};
  std::uint8_t addr[16] = {};
  const std::size_t at = prefix / 8;
  for (std::size_t i = 0; i < b.size() && at + i < sizeof addr; ++i) addr[at + i] = b[i];
  return ipv6_text(addr);
}

// RFC 8005 §6: algorithm, HIT in hex, public key in base64 (neither split).
std::string hip_keys_text(std::span<const std::uint8_t> b) {
  const std::size_t hit = b[0];
  return std::to_string(b[1]) + ' ' + hex_upper(b.subspan(4, hit)) + ' ' +
         base64_encode(b.subspan(4 + hit));
}

std::string atma_text(std::span<const std::uint8_t> b) {
  if (b[0] == 1) return '+' + std::string(b.begin() + 1, b.end());  // E.164 digits
  return hex_lower(b.subspan(1));
}

std::string dashed_hex(std::span<const std::uint8_t> b) {
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i != 0) out += '-';
    out += hex_lower(b.subspan(i, 1));
  }
  return out;
}

// RFC 6742 §2.3 / §3.1: four groups of four hex digits. dig drops leading zeros
// ("14:4fff:..."), which libzscanner (our zone loader) cannot read back; both BIND and
// Knot read the four-digit form, so zone files we write stay loadable.
std::string locator64_text(std::span<const std::uint8_t> b) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04x:%04x:%04x:%04x",
                static_cast<unsigned>(get_uint(b.subspan(0, 2))),
                static_cast<unsigned>(get_uint(b.subspan(2, 2))),
                static_cast<unsigned>(get_uint(b.subspan(4, 2))),
                static_cast<unsigned>(get_uint(b.subspan(6, 2))));
  return buf;
}

}  // namespace

std::string type_field_text(Field f, std::span<const std::uint8_t> b,
                            std::span<const std::uint8_t> rdata) {
  switch (f) {
    case Field::kSecAlg:
      return sec_alg_text(b[0]);
    case Field::kCertType:
      return cert_type_text(static_cast<unsigned>(get_uint(b)));
    case Field::kDsyncScheme:  // draft-ietf-dnsop-generalized-notify: 1 is NOTIFY
      return b[0] == 1 ? std::string("NOTIFY") : std::to_string(b[0]);
    case Field::kNxtBitmap: {
      std::string out;
      each_bit(b, [&](unsigned t) {
        if (!out.empty()) out += ' ';
        out += known_type_text(static_cast<RRType>(t));
      });
      return out;
    }
    case Field::kWksBitmap: {
      std::string out;
      each_bit(b, [&](unsigned port) {
        if (!out.empty()) out += ' ';
        out += std::to_string(port);
      });
      return out;
    }
    case Field::kLoc:
      return loc_text(b);
    case Field::kApl:
      return apl_text(b);
    case Field::kGateway:
      return gateway_text(b, rdata[1] & 0x7F);
    case Field::kAmtRelayType:  // RFC 8777 §4.3: "D type"
      return std::to_string(b[0] >> 7) + ' ' + std::to_string(b[0] & 0x7F);
    case Field::kA6Suffix:
      return a6_suffix_text(b, rdata[0]);
    case Field::kA6Prefix:
      return b.empty() ? std::string() : name_text(b);
    case Field::kHipKeys:
      return hip_keys_text(b);
    case Field::kNsap:  // RFC 1706 §6: "0x" and the octets in hex
      return "0x" + hex_lower(b);
    case Field::kAtma:
      return atma_text(b);
    case Field::kEui48:
    case Field::kEui64:
      return dashed_hex(b);
    case Field::kLocator64:
      return locator64_text(b);
    default:
      return {};
  }
}

}  // namespace dnspush::wire::detail
