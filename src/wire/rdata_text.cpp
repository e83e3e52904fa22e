// RDATA presentation format as BIND's dig prints it (RFC 1035 §5.1 and each type's RFC);
// anything that does not match its description is shown in RFC 3597 §5 generic form.
// The fields that serve one type only are printed in rdata_text_types.cpp.
#include <arpa/inet.h>

#include <cstdio>
#include <string>

#include "wire/base64.hpp"
#include "wire/rdata.hpp"
#include "wire/rdata_fields.hpp"

namespace dnspush::wire {

namespace detail {

std::uint64_t get_uint(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (std::uint8_t x : b) v = (v << 8) | x;
  return v;
}

std::string split_chunks(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += kSplitWidth) {
    if (i != 0) out += ' ';
    out += s.substr(i, kSplitWidth);
  }
  return out;
}

std::string hex_upper(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(b.size() * 2);
  for (std::uint8_t x : b) {
    out += kDigits[x >> 4];
    out += kDigits[x & 0xF];
  }
  return out;
}

void append_decimal_escape(std::string& out, std::uint8_t c) {
  char buf[5];
  std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
  out += buf;
}

// The inside of a quoted <character-string>: \" and \\ escaped, non-printables as \DDD.
void append_quoted_body(std::string& out, std::span<const std::uint8_t> b) {
  for (std::uint8_t c : b) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      append_decimal_escape(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
}

std::string quoted(std::span<const std::uint8_t> b) {
  std::string out = "\"";
  append_quoted_body(out, b);
  out += '"';
  return out;
}

std::string ipv4_text(std::span<const std::uint8_t> b) {
  return std::to_string(b[0]) + '.' + std::to_string(b[1]) + '.' + std::to_string(b[2]) + '.' +
         std::to_string(b[3]);
}

std::string ipv6_text(std::span<const std::uint8_t> b) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, b.data(), buf, sizeof buf) == nullptr) return "::";
  return buf;
}

std::string known_type_text(RRType t) {
  std::string s = to_text(t);
  // No mnemonic starts with "TYPE": that is the RFC 3597 form of an unknown type.
  if (s.starts_with("TYPE")) return std::to_string(static_cast<std::uint16_t>(t));
  return s;
}

// A type in a bitmap: its mnemonic when both BIND and libzscanner (Knot's parser, our
// zone loader) read it there, else the RFC 3597 §5 form TYPEnnn, which both read. dig
// prints e.g. "HIP" or "MF"; libzscanner refuses those, and a zone file we write must
// load again.
std::string bitmap_type_text(RRType t) {
  static constexpr RRType kNotReadByKnot[] = {
      RRType::MD,       RRType::MF,       RRType::MB,      RRType::MG,     RRType::MR,
      RRType::NULL_,    RRType::WKS,      RRType::X25,     RRType::ISDN,   RRType::NSAP,
      RRType::NSAP_PTR, RRType::SIG,      RRType::PX,      RRType::GPOS,   RRType::NXT,
      RRType::EID,      RRType::NIMLOC,   RRType::ATMA,    RRType::A6,     RRType::SINK,
      RRType::OPT,      RRType::HIP,      RRType::NINFO,   RRType::RKEY,   RRType::TALINK,
      RRType::DSYNC,    RRType::HHIT,     RRType::BRID,    RRType::UINFO,  RRType::UID,
      RRType::GID,      RRType::UNSPEC,   RRType::TKEY,    RRType::TSIG,   RRType::IXFR,
      RRType::AXFR,     RRType::MAILB,    RRType::MAILA,   RRType::ANY,    RRType::AVC,
      RRType::DOA,      RRType::AMTRELAY, RRType::RESINFO, RRType::WALLET, RRType::TA,
      RRType::DLV};
  for (RRType k : kNotReadByKnot) {
    if (k == t) return "TYPE" + std::to_string(static_cast<std::uint16_t>(t));
  }
  return to_text(t);
}

std::string type_bitmap_text(std::span<const std::uint8_t> b) {
  std::string out;
  std::size_t p = 0;
  while (p + 2 <= b.size()) {
    const unsigned window = b[p];
    const std::size_t len = b[p + 1];
    for (std::size_t i = 0; i < len && p + 2 + i < b.size(); ++i) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        if ((b[p + 2 + i] & (0x80 >> bit)) == 0) continue;
        const auto type = static_cast<RRType>(window * 256 + i * 8 + bit);
        if (!out.empty()) out += ' ';
        out += bitmap_type_text(type);
      }
    }
    p += 2 + len;
  }
  return out;
}

}  // namespace detail

namespace {

using detail::append_decimal_escape;
using detail::get_uint;
using detail::hex_upper;
using detail::ipv4_text;
using detail::ipv6_text;
using detail::quoted;
using detail::split_chunks;

// RFC 4648 §7 "base32hex", uppercase and without padding (RFC 5155 §3.3).
std::string base32hex(std::span<const std::uint8_t> b) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t x : b) {
    buffer = (buffer << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

// Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's civil_from_days).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

// RFC 4034 §3.2: YYYYMMDDHHmmSS in UTC.
std::string time_text(std::uint32_t t) {
  int y = 0;
  unsigned mo = 0, d = 0;
  civil_from_days(t / 86400, y, mo, d);
  const std::uint32_t s = t % 86400;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02u%02u%02u", y, mo, d, s / 3600, (s / 60) % 60,
                s % 60);
  return buf;
}

std::string svc_key_name(std::uint16_t key) {
  switch (key) {
    case detail::kSvcMandatory:
      return "mandatory";
    case detail::kSvcAlpn:
      return "alpn";
    case detail::kSvcNoDefaultAlpn:
      return "no-default-alpn";
    case detail::kSvcPort:
      return "port";
    case detail::kSvcIpv4Hint:
      return "ipv4hint";
    case detail::kSvcEch:
      return "ech";
    case detail::kSvcIpv6Hint:
      return "ipv6hint";
    default:
      return "key" + std::to_string(key);
  }
}

// RFC 9460 §7.1.1: alpn-ids joined by commas; a comma or backslash inside an id is
// escaped at the value level (\, \\) and that backslash again in presentation format.
std::string alpn_text(std::span<const std::uint8_t> v) {
  std::string out = "\"";
  std::size_t p = 0;
  while (p < v.size()) {
    if (p != 0) out += ',';
    const std::size_t len = v[p];
    for (std::uint8_t c : v.subspan(p + 1, len)) {
      if (c == ',') {
        out += "\\\\,";  // value-level "\," with its backslash escaped: \\,
      } else if (c == '\\') {
        out += "\\\\\\\\";  // value-level "\\", each backslash escaped again
      } else if (c == '"') {
        out += "\\\"";
      } else if (c <= 0x20 || c >= 0x7F) {
        append_decimal_escape(out, c);
      } else {
        out += static_cast<char>(c);
      }
    }
    p += 1 + len;
  }
  out += '"';
  return out;
}

std::string svc_params_text(std::span<const std::uint8_t> b) {
  std::string out;
  std::size_t p = 0;
  while (p + 4 <= b.size()) {
    const auto key = static_cast<std::uint16_t>(get_uint(b.subspan(p, 2)));
    const auto len = static_cast<std::size_t>(get_uint(b.subspan(p + 2, 2)));
    const auto v = b.subspan(p + 4, len);
    if (!out.empty()) out += ' ';
    out += svc_key_name(key);
    std::string value;
    switch (key) {
      case detail::kSvcMandatory:
        for (std::size_t i = 0; i + 2 <= v.size(); i += 2) {
          if (i != 0) value += ',';
          value += svc_key_name(static_cast<std::uint16_t>(get_uint(v.subspan(i, 2))));
        }
        break;
      case detail::kSvcAlpn:
        value = alpn_text(v);
        break;
      case detail::kSvcPort:
        value = std::to_string(get_uint(v));
        break;
      case detail::kSvcIpv4Hint:
        for (std::size_t i = 0; i + 4 <= v.size(); i += 4) {
          if (i != 0) value += ',';
          value += ipv4_text(v.subspan(i, 4));
        }
        break;
      case detail::kSvcIpv6Hint:
        for (std::size_t i = 0; i + 16 <= v.size(); i += 16) {
          if (i != 0) value += ',';
          value += ipv6_text(v.subspan(i, 16));
        }
        break;
      case detail::kSvcEch:
        value = base64_encode(v);
        break;
      default:
        if (!v.empty()) value = quoted(v);
        break;
    }
    if (!value.empty()) out += '=' + value;
    p += 4 + len;
  }
  return out;
}

// RFC 8945 §4.3: TSIG errors share the RCODE space except 16, which is BADSIG here.
std::string tsig_error_text(std::uint16_t v) {
  if (v == 16) return "BADSIG";
  return to_text(static_cast<Rcode>(v));
}

// RFC 3597 §5: \# <length> <hex>.
std::string generic_text(std::span<const std::uint8_t> rdata) {
  std::string out = "\\# " + std::to_string(rdata.size());
  if (!rdata.empty()) out += ' ' + split_chunks(hex_upper(rdata));
  return out;
}

std::string field_text(Field f, std::span<const std::uint8_t> b,
                       std::span<const std::uint8_t> rdata) {
  switch (f) {
    case Field::kU8:
    case Field::kU16:
    case Field::kU32:
    case Field::kU48:
      return std::to_string(get_uint(b));
    case Field::kType:
      return to_text(static_cast<RRType>(get_uint(b)));
    case Field::kSigType:
      return detail::known_type_text(static_cast<RRType>(get_uint(b)));
    case Field::kTsigError:
      return tsig_error_text(static_cast<std::uint16_t>(get_uint(b)));
    case Field::kTime:
      return time_text(static_cast<std::uint32_t>(get_uint(b)));
    case Field::kIPv4:
      return ipv4_text(b);
    case Field::kIPv6:
      return ipv6_text(b);
    case Field::kName:
    case Field::kNameUnicast:
    case Field::kNamePush: {
      auto n = Name::from_wire(b);
      return n ? n->to_text() : std::string("?");
    }
    case Field::kCharString:
      return quoted(b.subspan(1));
    case Field::kCharStrings: {
      std::string out;
      std::size_t p = 0;
      while (p < b.size()) {
        if (p != 0) out += ' ';
        out += quoted(b.subspan(p + 1, b[p]));
        p += 1 + b[p];
      }
      return out;
    }
    case Field::kCaaTag:
      return std::string(b.begin() + 1, b.end());
    case Field::kQuotedRest:
      return quoted(b);
    case Field::kCharStringOpt:
      return b.empty() ? std::string() : quoted(b.subspan(1));
    case Field::kNameList: {
      std::string out;
      std::size_t p = 0;
      while (p < b.size()) {
        const auto len = detail::name_length(b, p, /*check_name=*/false);
        if (!len) break;
        auto n = Name::from_wire(b.subspan(p, *len));
        if (p != 0) out += ' ';
        out += n ? n->to_text() : std::string("?");
        p += *len;
      }
      return out;
    }
    case Field::kHexRest:
      return split_chunks(hex_upper(b));
    case Field::kBase64Rest:
    case Field::kBase64RestOpt:
      return split_chunks(base64_encode(b));
    case Field::kBase64OrDash:
      return b.empty() ? std::string("-") : base64_encode(b);
    case Field::kOpaque:
      return generic_text(b);
    case Field::kHexLen8:
      return b.size() == 1 ? std::string("-") : hex_upper(b.subspan(1));
    case Field::kBase32Len8:
      return base32hex(b.subspan(1));
    case Field::kBlob16: {
      const auto data = b.subspan(2);
      std::string out = std::to_string(data.size());
      if (!data.empty()) out += ' ' + base64_encode(data);
      return out;
    }
    case Field::kTypeBitmap:
      return detail::type_bitmap_text(b);
    case Field::kSvcParams:
      return svc_params_text(b);
    default:
      return detail::type_field_text(f, b, rdata);
  }
}

}  // namespace

std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata) {
  const RdataDescriptor* desc = descriptor(type);
  if (desc == nullptr) return generic_text(rdata);
  // RFC 2136 §2.4/§2.5: an UPDATE's empty RDATA has no text, as dig shows it.
  if (rdata.empty()) return {};
  const auto fields = detail::split_rdata(*desc, rdata);
  if (!fields) return generic_text(rdata);
  std::string out;
  for (const auto& fs : *fields) {
    std::string t = field_text(fs.field, rdata.subspan(fs.offset, fs.length), rdata);
    // An empty bitmap, SvcParams or optional trailer is left out, except A6's address:
    // dig prints "128  prefix." for a prefix length of 128.
    if (t.empty() && fs.field != Field::kA6Suffix) continue;
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

}  // namespace dnspush::wire
