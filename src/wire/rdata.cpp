// RDATA descriptors and the wire side of RDATA: parse (with decompression), validate,
// write (with per-context compression) and canonical form. Text lives in rdata_text.cpp.
#include "wire/rdata.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "wire/rdata_fields.hpp"

namespace dnspush::wire {
namespace {

using F = Field;

// RFC 4034 §6.2 (item 3): the types whose embedded names are lowercased in canonical form.
bool lowercases_names(RRType t) {
  switch (t) {
    case RRType::NS:
    case RRType::MD:
    case RRType::MF:
    case RRType::CNAME:
    case RRType::SOA:
    case RRType::MB:
    case RRType::MG:
    case RRType::MR:
    case RRType::PTR:
    case RRType::MINFO:
    case RRType::MX:
    case RRType::RP:
    case RRType::AFSDB:
    case RRType::RT:
    case RRType::SIG:
    case RRType::PX:
    case RRType::NXT:
    case RRType::NAPTR:
    case RRType::KX:
    case RRType::SRV:
    case RRType::DNAME:
    case RRType::A6:
    case RRType::RRSIG:
    case RRType::NSEC:
      return true;
    default:
      return false;
  }
}

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// RFC 4034 §4.1.2: windows in ascending order, each 1..32 octets with no trailing zero
// octet; an empty bitmap is allowed (RFC 5155 §3.2: an empty non-terminal's NSEC3).
bool bitmap_valid(std::span<const std::uint8_t> b) {
  std::size_t p = 0;
  int last_window = -1;
  while (p < b.size()) {
    if (b.size() - p < 2) return false;
    const int window = b[p];
    const std::size_t len = b[p + 1];
    if (window <= last_window || len < 1 || len > 32 || b.size() - p - 2 < len) return false;
    if (b[p + 1 + len] == 0) return false;
    last_window = window;
    p += 2 + len;
  }
  return true;
}

// A sequence of non-empty <character-string>s filling `v` exactly (RFC 9460 §7.1.1 alpn).
// Ids are refused unless printable ASCII other than the backslash: BIND and Knot print
// the others alike (as \DDD and doubled escapes), but libzscanner (our zone loader, and
// Knot's) misreads that text. Registered ALPN ids are all printable ASCII.
bool alpn_valid(std::span<const std::uint8_t> v) {
  if (v.empty()) return false;
  std::size_t p = 0;
  while (p < v.size()) {
    const std::size_t len = v[p];
    if (len == 0 || v.size() - p - 1 < len) return false;
    for (std::uint8_t c : v.subspan(p + 1, len)) {
      if (c <= 0x20 || c >= 0x7F || c == '\\' || c == ',') return false;
    }
    p += 1 + len;
  }
  return true;
}

// RFC 9461 §5: a relative URI template (it starts with "/", in UTF-8) with a "dns"
// variable, e.g. "/dns-query{?dns}". BIND refuses other values of the dohpath key.
bool utf8_valid(std::span<const std::uint8_t> v) {
  std::size_t i = 0;
  while (i < v.size()) {
    const std::uint8_t c = v[i];
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (v.size() - i - 1 < n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((v[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (v[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 (RFC 3629 §3).
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += 1 + n;
  }
  return true;
}

// RFC 6570 §2.2: an expression "{" [operator] varspec *("," varspec) "}", where a varspec
// is a name with an optional ":length" or "*" modifier.
bool template_has_dns_variable(std::span<const std::uint8_t> v) {
  std::size_t p = 0;
  while (p < v.size()) {
    if (v[p] != '{') {
      ++p;
      continue;
    }
    const std::size_t close = std::find(v.begin() + static_cast<long>(p), v.end(), '}') - v.begin();
    if (close == v.size()) return false;
    std::size_t q = p + 1;
    // RFC 6570 §2.2: "=,!@|" are reserved for future extensions, not operators.
    static constexpr std::string_view kOperators = "+#./;?&";
    if (q < close && kOperators.find(static_cast<char>(v[q])) != std::string_view::npos) ++q;
    while (q < close) {
      std::size_t end = q;
      while (end < close && v[end] != ',') ++end;
      std::size_t name_end = q;
      while (name_end < end && v[name_end] != ':' && v[name_end] != '*') ++name_end;
      const std::string_view name(reinterpret_cast<const char*>(v.data()) + q, name_end - q);
      if (name == "dns") return true;
      q = end + 1;
    }
    p = close + 1;
  }
  return false;
}

bool dohpath_valid(std::span<const std::uint8_t> v) {
  return !v.empty() && v[0] == '/' && utf8_valid(v) && template_has_dns_variable(v);
}

// RFC 9460 §2.2: keys strictly ascending, each value within the RDATA; §7 value formats
// for the keys we print specially; §8: "mandatory" lists, in ascending order, keys other
// than itself that the RR has.
bool svc_params_valid(std::span<const std::uint8_t> b) {
  std::size_t p = 0;
  int last_key = -1;
  std::span<const std::uint8_t> mandatory;
  while (p < b.size()) {
    if (b.size() - p < 4) return false;
    const std::uint16_t key = get16(b, p);
    const std::size_t len = get16(b, p + 2);
    if (static_cast<int>(key) <= last_key || key == detail::kSvcInvalidKey) return false;
    if (b.size() - p - 4 < len) return false;
    const auto value = b.subspan(p + 4, len);
    switch (key) {
      case detail::kSvcMandatory:
        if (len == 0 || len % 2 != 0) return false;
        mandatory = value;
        break;
      case detail::kSvcAlpn:
        if (!alpn_valid(value)) return false;
        break;
      case detail::kSvcNoDefaultAlpn:
        if (len != 0) return false;
        break;
      case detail::kSvcPort:
        if (len != 2) return false;
        break;
      case detail::kSvcIpv4Hint:
        if (len == 0 || len % 4 != 0) return false;
        break;
      case detail::kSvcEch:
        // An empty ECHConfigList has no presentation form that libzscanner reads back.
        if (len == 0) return false;
        break;
      case detail::kSvcIpv6Hint:
        if (len == 0 || len % 16 != 0) return false;
        break;
      case detail::kSvcDohPath:
        if (!dohpath_valid(value)) return false;
        break;
      default:
        break;
    }
    last_key = key;
    p += 4 + len;
  }
  int last_listed = -1;
  for (std::size_t i = 0; i < mandatory.size(); i += 2) {
    const std::uint16_t listed = get16(mandatory, i);
    if (listed == detail::kSvcMandatory || static_cast<int>(listed) <= last_listed) return false;
    last_listed = listed;
    bool present = false;
    for (std::size_t q = 0; q < b.size(); q += 4 + get16(b, q + 2)) {
      if (get16(b, q) == listed) present = true;
    }
    if (!present) return false;
  }
  return true;
}

bool caa_tag_char(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 2535 §5.2: bit 0 set announces an extended bitmap nobody defined (BIND refuses it);
// at most 16 octets (types 0..127), and no trailing zero octet, which text cannot carry.
bool nxt_bitmap_valid(std::span<const std::uint8_t> b) {
  if (b.empty()) return true;
  return b.size() <= 16 && (b[0] & 0x80) == 0 && b.back() != 0;
}

// RFC 1035 §3.4.2: one bit per port 0..65535, so at most 8192 octets; a trailing zero
// octet is refused (as BIND does): the text form, a list of ports, cannot carry it.
bool wks_bitmap_valid(std::span<const std::uint8_t> b) {
  return b.size() <= 8192 && (b.empty() || b.back() != 0);
}

// RFC 1876 §2: a size or precision octet is a mantissa (high nibble, 1..9, unless the
// whole octet is 0) and a power of ten (low nibble, 0..9).
bool loc_precision_valid(std::uint8_t c) {
  if (c == 0) return true;
  const unsigned mantissa = c >> 4;
  const unsigned exponent = c & 0xF;
  return mantissa >= 1 && mantissa <= 9 && exponent <= 9;
}

std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// RFC 1876 §2: VERSION 0 (the only one; "MUST be zero"), precisions as above, latitude
// within 90° and longitude within 180° of 2^31 thousandths of a second of arc.
bool loc_valid(std::span<const std::uint8_t> b) {
  constexpr std::uint32_t kEquator = 0x80000000U;
  constexpr std::uint32_t kDegree = 3600000;
  if (b.size() != 16 || b[0] != 0) return false;
  if (!loc_precision_valid(b[1]) || !loc_precision_valid(b[2]) || !loc_precision_valid(b[3])) {
    return false;
  }
  const std::uint32_t lat = get32(b, 4);
  const std::uint32_t lon = get32(b, 8);
  return lat >= kEquator - 90 * kDegree && lat <= kEquator + 90 * kDegree &&
         lon >= kEquator - 180 * kDegree && lon <= kEquator + 180 * kDegree;
}

// RFC 3123 §4: items of ADDRESSFAMILY (1 IPv4, 2 IPv6: the only ones with a text form),
// PREFIX within the address size, AFDLENGTH (7 bits) within the address size and no
// trailing zero octet in AFDPART ("MUST NOT" be sent, BIND refuses it).
bool apl_valid(std::span<const std::uint8_t> b) {
  std::size_t p = 0;
  while (p < b.size()) {
    if (b.size() - p < 4) return false;
    const std::uint16_t family = get16(b, p);
    const unsigned prefix = b[p + 2];
    const std::size_t afd_len = b[p + 3] & 0x7F;
    std::size_t max_len = 0;
    if (family == 1) {
      max_len = 4;
    } else if (family == 2) {
      max_len = 16;
    } else {
      return false;
    }
    if (prefix > max_len * 8 || afd_len > max_len || b.size() - p - 4 < afd_len) return false;
    if (afd_len > 0 && b[p + 4 + afd_len - 1] == 0) return false;
    p += 4 + afd_len;
  }
  return true;
}

// ATM Forum AF-DANS-0152 §2: format 0 (AESA) is hex octets; format 1 (E.164) is ASCII
// digits. Other formats have no text form (BIND prints them as RFC 3597 data).
bool atma_valid(std::span<const std::uint8_t> b) {
  if (b.size() < 2) return false;
  if (b[0] == 0) return true;
  if (b[0] != 1) return false;
  for (std::size_t i = 1; i < b.size(); ++i) {
    if (b[i] < '0' || b[i] > '9') return false;
  }
  return true;
}

// RFC 8005 §5: HIT length (1 octet), PK algorithm, PK length (2 octets), HIT, public key;
// both lengths at least 1. Returns the length of all of that.
std::optional<std::size_t> hip_keys_length(std::span<const std::uint8_t> b) {
  if (b.size() < 4) return std::nullopt;
  const std::size_t hit = b[0];
  const std::size_t pk = get16(b, 2);
  if (hit == 0 || pk == 0 || b.size() - 4 < hit + pk) return std::nullopt;
  return 4 + hit + pk;
}

// RFC 4025 §2.5, RFC 8777 §4.2.3: 0 none, 1 IPv4, 2 IPv6, 3 a name; the type is the low
// 7 bits of the RDATA's second octet (AMTRELAY keeps its D bit in the high one).
std::optional<std::size_t> gateway_length(std::span<const std::uint8_t> rdata, std::size_t pos,
                                          bool check_names) {
  if (rdata.size() < 2) return std::nullopt;
  const std::size_t left = rdata.size() - pos;
  switch (rdata[1] & 0x7F) {
    case 0:
      return 0;
    case 1:
      if (left < 4) return std::nullopt;
      return 4;
    case 2:
      if (left < 16) return std::nullopt;
      return 16;
    case 3:
      return detail::name_length(rdata, pos, check_names);
    default:
      return std::nullopt;
  }
}

// Size of one field at rdata[pos..] (whole remainder for the "to the end" fields).
std::optional<std::size_t> field_length(Field f, std::span<const std::uint8_t> rdata,
                                        std::size_t pos, bool check_names) {
  const std::size_t left = rdata.size() - pos;
  auto fixed = [left](std::size_t n) -> std::optional<std::size_t> {
    if (left < n) return std::nullopt;
    return n;
  };
  auto rest_if = [left](bool ok) -> std::optional<std::size_t> {
    if (!ok) return std::nullopt;
    return left;
  };
  const auto tail = rdata.subspan(pos);
  switch (f) {
    case F::kU8:
    case F::kSecAlg:
    case F::kDsyncScheme:
    case F::kAmtRelayType:
      return fixed(1);
    case F::kU16:
    case F::kType:
    case F::kSigType:
    case F::kTsigError:
    case F::kCertType:
      return fixed(2);
    case F::kU32:
    case F::kTime:
    case F::kIPv4:
      return fixed(4);
    case F::kU48:
    case F::kEui48:
      return fixed(6);
    case F::kEui64:
    case F::kLocator64:
      return fixed(8);
    case F::kIPv6:
      return fixed(16);
    case F::kLoc:
      return rest_if(loc_valid(tail));
    case F::kName:
    case F::kNameUnicast:
    case F::kNamePush:
      return detail::name_length(rdata, pos, check_names);
    case F::kNameList: {
      std::size_t p = pos;
      while (p < rdata.size()) {
        const auto n = detail::name_length(rdata, p, check_names);
        if (!n) return std::nullopt;
        p += *n;
      }
      return left;
    }
    case F::kCharString:
    case F::kHexLen8:
      if (left < 1 || left - 1 < rdata[pos]) return std::nullopt;
      return 1 + rdata[pos];
    case F::kCharStringOpt:
      if (left == 0) return 0;
      if (left - 1 < rdata[pos]) return std::nullopt;
      return 1 + rdata[pos];
    case F::kBase32Len8:  // RFC 5155 §3.2: the hash length is at least 1
      if (left < 2 || rdata[pos] == 0 || left - 1 < rdata[pos]) return std::nullopt;
      return 1 + rdata[pos];
    case F::kCaaTag: {  // RFC 8659 §4.1: tag is 1.. alphanumeric octets
      if (left < 2 || rdata[pos] == 0 || left - 1 < rdata[pos]) return std::nullopt;
      for (std::size_t i = 0; i < rdata[pos]; ++i) {
        if (!caa_tag_char(rdata[pos + 1 + i])) return std::nullopt;
      }
      return 1 + rdata[pos];
    }
    case F::kBlob16: {
      if (left < 2) return std::nullopt;
      const std::size_t len = get16(rdata, pos);
      if (left - 2 < len) return std::nullopt;
      return 2 + len;
    }
    case F::kCharStrings: {  // RFC 1035 §3.3.14: one or more
      if (left == 0) return std::nullopt;
      std::size_t p = pos;
      while (p < rdata.size()) {
        if (rdata.size() - p - 1 < rdata[p]) return std::nullopt;
        p += 1 + rdata[p];
      }
      return left;
    }
    case F::kQuotedRest:
    case F::kBase64RestOpt:
    case F::kBase64OrDash:
      return left;
    case F::kHexRest:
    case F::kBase64Rest:
    case F::kNsap:
    case F::kOpaque:
      // BIND and Knot refuse (or cannot print) these empty: a digest, key or signature
      // of no octets has no text form.
      return rest_if(left > 0);
    case F::kTypeBitmap:
      return rest_if(bitmap_valid(tail));
    case F::kNxtBitmap:
      return rest_if(nxt_bitmap_valid(tail));
    case F::kWksBitmap:
      return rest_if(wks_bitmap_valid(tail));
    case F::kSvcParams:
      return rest_if(svc_params_valid(tail));
    case F::kApl:
      return rest_if(apl_valid(tail));
    case F::kAtma:
      return rest_if(atma_valid(tail));
    case F::kGateway:
      return gateway_length(rdata, pos, check_names);
    case F::kA6Suffix:  // RFC 2874 §3.1: prefix length 0..128 at RDATA offset 0
      if (rdata.empty() || rdata[0] > 128) return std::nullopt;
      return fixed(16 - rdata[0] / 8);
    case F::kA6Prefix:
      if (rdata[0] == 0) return 0;
      return detail::name_length(rdata, pos, check_names);
    case F::kHipKeys:
      return hip_keys_length(tail);
  }
  return std::nullopt;
}

bool compress_field(Field f, Compression c) {
  switch (f) {
    case F::kNameUnicast:
      return c == Compression::kUnicast || c == Compression::kPush;
    case F::kNamePush:
      return c == Compression::kPush;
    default:
      return false;
  }
}

bool has_name_field(const RdataDescriptor& d) {
  return std::any_of(d.fields.begin(), d.fields.end(), detail::is_name_field);
}

}  // namespace

namespace detail {

std::optional<std::size_t> name_length(std::span<const std::uint8_t> rdata, std::size_t pos,
                                       bool check_name) {
  std::size_t p = pos;
  while (true) {
    if (p >= rdata.size() || p - pos >= Name::kMaxWireLength) return std::nullopt;
    const std::uint8_t len = rdata[p];
    if (len == 0) break;
    if (len > Name::kMaxLabelLength) return std::nullopt;  // pointers/extended labels
    p += 1 + len;
  }
  const std::size_t n = p + 1 - pos;
  if (check_name && !Name::from_wire(rdata.subspan(pos, n))) return std::nullopt;
  return n;
}

bool is_name_field(Field f) {
  return f == F::kName || f == F::kNameUnicast || f == F::kNamePush;
}

std::optional<FieldSpans> split_rdata(const RdataDescriptor& desc,
                                      std::span<const std::uint8_t> rdata, bool check_names) {
  FieldSpans out;
  if (desc.fields.size() > kMaxFields) return std::nullopt;
  std::size_t pos = 0;
  for (Field f : desc.fields) {
    const auto len = field_length(f, rdata, pos, check_names);
    if (!len) return std::nullopt;
    out.items[out.count++] = {f, pos, *len};
    pos += *len;
  }
  if (pos != rdata.size()) return std::nullopt;
  if (desc.check != nullptr && !desc.check(rdata)) return std::nullopt;
  return out;
}

}  // namespace detail

namespace {

// The bytes a field occupies on the wire that are not names, given the RDATA read so far
// (`out`) and what is left of RDLENGTH; names are read separately because they may be
// compressed. nullopt for a field with no such fixed extent.
std::optional<std::size_t> plain_extent(Field f, const std::vector<std::uint8_t>& out,
                                        std::size_t left) {
  switch (f) {
    case F::kU8:
    case F::kSecAlg:
    case F::kDsyncScheme:
    case F::kAmtRelayType:
      return 1;
    case F::kU16:
    case F::kType:
    case F::kSigType:
    case F::kTsigError:
    case F::kCertType:
      return 2;
    case F::kU32:
    case F::kTime:
    case F::kIPv4:
      return 4;
    case F::kU48:
    case F::kEui48:
      return 6;
    case F::kEui64:
    case F::kLocator64:
      return 8;
    case F::kIPv6:
      return 16;
    case F::kCharStrings:
    case F::kQuotedRest:
    case F::kHexRest:
    case F::kBase64Rest:
    case F::kBase64RestOpt:
    case F::kBase64OrDash:
    case F::kTypeBitmap:
    case F::kNxtBitmap:
    case F::kWksBitmap:
    case F::kSvcParams:
    case F::kLoc:
    case F::kApl:
    case F::kNsap:
    case F::kAtma:
    case F::kOpaque:
      return left;
    case F::kA6Suffix:
      if (out.empty() || out[0] > 128) return std::nullopt;
      return 16 - out[0] / 8;
    default:
      return std::nullopt;
  }
}

// Appends one field read from `r` to `out`: names decompressed, everything else as is.
void read_field(Reader& r, Field f, std::vector<std::uint8_t>& out) {
  auto append = [&out](std::span<const std::uint8_t> b) {
    out.insert(out.end(), b.begin(), b.end());
  };
  auto append_name = [&] {
    // Tolerant on input: any name may be compressed (RFC 3597 §4).
    const Name n = r.name();
    if (r.ok()) append(n.wire());
  };
  switch (f) {
    case F::kName:
    case F::kNameUnicast:
    case F::kNamePush:
      append_name();
      return;
    case F::kNameList:
      while (r.ok() && r.remaining() > 0) append_name();
      return;
    case F::kA6Prefix:
      if (!out.empty() && out[0] != 0) append_name();
      return;
    case F::kGateway:
      if (out.size() < 2) {
        r.fail();
      } else if ((out[1] & 0x7F) == 3) {
        append_name();
      } else {
        const std::uint8_t type = out[1] & 0x7F;
        append(r.bytes(type == 1 ? 4 : type == 2 ? 16 : 0));  // others fail validation
      }
      return;
    case F::kCharStringOpt:
      if (r.remaining() == 0) return;
      [[fallthrough]];
    case F::kCharString:
    case F::kHexLen8:
    case F::kBase32Len8:
    case F::kCaaTag: {
      const std::uint8_t len = r.u8();
      out.push_back(len);
      append(r.bytes(len));
      return;
    }
    case F::kBlob16: {
      const std::uint16_t len = r.u16();
      out.push_back(static_cast<std::uint8_t>(len >> 8));
      out.push_back(static_cast<std::uint8_t>(len));
      append(r.bytes(len));
      return;
    }
    case F::kHipKeys: {
      const auto head = r.bytes(4);
      if (!r.ok()) return;
      append(head);
      append(r.bytes(std::size_t{head[0]} + ((std::size_t{head[2]} << 8) | head[3])));
      return;
    }
    default: {
      const auto n = plain_extent(f, out, r.remaining());
      if (!n) {
        r.fail();
        return;
      }
      append(r.bytes(*n));
      return;
    }
  }
}

}  // namespace

Result<std::vector<std::uint8_t>> read_rdata(Reader& r, RRType type, std::uint16_t rdlength) {
  std::vector<std::uint8_t> out;
  // RFC 2136 §2.4/§2.5: UPDATE prerequisites and deletions carry RDLENGTH 0 for any type.
  if (rdlength == 0) return out;
  const RdataDescriptor* desc = descriptor(type);
  const std::size_t old_end = r.push_limit(rdlength);
  if (!r.ok()) {
    r.pop_limit(old_end);
    return fail(Errc::kMalformed, "RDATA runs past the message");
  }
  if (desc == nullptr) {
    const auto b = r.bytes(rdlength);  // RFC 3597: opaque
    out.assign(b.begin(), b.end());
  } else {
    for (Field f : desc->fields) {
      if (!r.ok()) break;
      read_field(r, f, out);
    }
  }
  const bool filled = r.ok() && r.at_end();
  r.pop_limit(old_end);
  if (!filled)
    return fail(Errc::kMalformed, "RDATA of " + to_text(type) + " does not fill RDLENGTH");
  // Decompressed names can grow RDATA past what RDLENGTH can express on output.
  if (out.size() > 0xFFFF) return fail(Errc::kOutOfRange, "RDATA too long after decompression");
  // Names came from Reader::name(), which validated them.
  if (desc != nullptr && !detail::split_rdata(*desc, out, /*check_names=*/false)) {
    return fail(Errc::kMalformed, "invalid " + to_text(type) + " RDATA");
  }
  return out;
}

bool owner_valid(RRType type, const Name& owner) {
  if (type != RRType::NSEC3) return true;
  if (owner.label_count() == 0) return false;
  // RFC 4648 §7 base32hex without padding: whole groups, or 2, 4, 5 or 7 digits left
  // with the bits they do not use zero, as BIND's decoder requires.
  const std::string_view label = owner.label(0);
  std::size_t last = 0;
  for (char c : label) {
    if (c >= '0' && c <= '9') {
      last = static_cast<std::size_t>(c - '0');
    } else if (c >= 'a' && c <= 'v') {
      last = static_cast<std::size_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'V') {
      last = static_cast<std::size_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  switch (label.size() % 8) {
    case 0:
      return true;
    case 2:
      return (last & 0x3) == 0;
    case 4:
      return (last & 0xF) == 0;
    case 5:
      return (last & 0x1) == 0;
    case 7:
      return (last & 0x7) == 0;
    default:
      return false;
  }
}

bool rdata_valid(RRType type, std::span<const std::uint8_t> rdata) {
  if (rdata.size() > 0xFFFF) return false;
  const RdataDescriptor* desc = descriptor(type);
  if (desc == nullptr) return true;
  return detail::split_rdata(*desc, rdata).has_value();
}

void write_rdata(Writer& w, RRType type, std::span<const std::uint8_t> rdata, Compression c) {
  const RdataDescriptor* desc = descriptor(type);
  if (desc == nullptr || !has_name_field(*desc)) {
    w.bytes(rdata);
    return;
  }
  // Names are validated by Name::from_wire below.
  const auto fields = detail::split_rdata(*desc, rdata, /*check_names=*/false);
  if (!fields) {  // not ours to fix here: written as given, never compressed
    w.bytes(rdata);
    return;
  }
  for (const auto& fs : *fields) {
    const auto bytes = rdata.subspan(fs.offset, fs.length);
    if (detail::is_name_field(fs.field)) {
      auto n = Name::from_wire(bytes);
      if (n) {
        w.name(*n, compress_field(fs.field, c));
        continue;
      }
    }
    w.bytes(bytes);
  }
}

std::vector<std::uint8_t> canonical_rdata(RRType type, std::span<const std::uint8_t> rdata) {
  std::vector<std::uint8_t> out(rdata.begin(), rdata.end());
  const RdataDescriptor* desc = descriptor(type);
  if (desc == nullptr || !lowercases_names(type)) return out;
  const auto fields = detail::split_rdata(*desc, rdata);
  if (!fields) return out;
  for (const auto& fs : *fields) {
    if (!detail::is_name_field(fs.field) && fs.field != F::kA6Prefix) continue;
    if (fs.length == 0) continue;  // an A6 with prefix length 0 has no name
    // Label bytes only: length octets are below 64 and never in 'A'..'Z'.
    std::size_t p = fs.offset;
    while (out[p] != 0) {
      const std::size_t len = out[p];
      for (std::size_t i = p + 1; i <= p + len; ++i) {
        if (out[i] >= 'A' && out[i] <= 'Z') out[i] = static_cast<std::uint8_t>(out[i] + 32);
      }
      p += 1 + len;
    }
  }
  return out;
}

bool rdata_equal(RRType type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (std::equal(a.begin(), a.end(), b.begin())) return true;
  if (!lowercases_names(type)) return false;
  // Canonical form only lowers ASCII letters, so RDATA that differ in more than case
  // differ canonically: decide those without building canonical copies (zones compare
  // every new RR against its RRset, which must stay cheap for large RRsets).
  auto lower = [](std::uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return canonical_rdata(type, a) == canonical_rdata(type, b);
}

}  // namespace dnspush::wire
