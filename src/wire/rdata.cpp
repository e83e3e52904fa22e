// RDATA descriptors and the wire side of RDATA: parse (with decompression), validate,
// write (with per-context compression) and canonical form. Text lives in rdata_text.cpp.
#include "wire/rdata.hpp"

#include <algorithm>
#include <array>

#include "wire/rdata_fields.hpp"

namespace dnspush::wire {
namespace {

using F = Field;

// One field list per type (DESIGN.md convention 2).
constexpr Field kA[] = {F::kIPv4};
constexpr Field kAAAA[] = {F::kIPv6};
constexpr Field kOneName[] = {F::kNameUnicast};  // NS, MD, MF, CNAME, MB, MG, MR, PTR
constexpr Field kSOA[] = {F::kNameUnicast, F::kNameUnicast, F::kU32, F::kU32,
                          F::kU32,         F::kU32,         F::kU32};
constexpr Field kHINFO[] = {F::kCharString, F::kCharString};
constexpr Field kMINFO[] = {F::kNameUnicast, F::kNameUnicast};
constexpr Field kMX[] = {F::kU16, F::kNameUnicast};
constexpr Field kTXT[] = {F::kCharStrings};
// RFC 6762 §18.14's extra compressible types: compressed only inside PUSH.
constexpr Field kRP[] = {F::kNamePush, F::kNamePush};
constexpr Field kPrefName[] = {F::kU16, F::kNamePush};  // AFSDB, RT, KX
constexpr Field kPX[] = {F::kU16, F::kNamePush, F::kNamePush};
constexpr Field kSRV[] = {F::kU16, F::kU16, F::kU16, F::kNamePush};
constexpr Field kDNAME[] = {F::kNamePush};
constexpr Field kNSEC[] = {F::kNamePush, F::kTypeBitmap};
// RFC 3403 §4.1, RFC 9460 §2.2, RFC 4034 §3.1.7, RFC 8945 §4.2: never compressed.
constexpr Field kNAPTR[] = {F::kU16,        F::kU16,        F::kCharString,
                            F::kCharString, F::kCharString, F::kName};
constexpr Field kSVCB[] = {F::kU16, F::kName, F::kSvcParams};
constexpr Field kRRSIG[] = {F::kType, F::kU8,  F::kU8,   F::kU32,       F::kTime,
                            F::kTime, F::kU16, F::kName, F::kBase64Rest};
constexpr Field kTSIG[] = {F::kName, F::kU48,       F::kU16,   F::kBlob16,
                           F::kU16,  F::kTsigError, F::kBlob16};
constexpr Field kCAA[] = {F::kU8, F::kCaaTag, F::kCaaValue};
constexpr Field kDS[] = {F::kU16, F::kU8, F::kU8, F::kHexRest};
constexpr Field kDNSKEY[] = {F::kU16, F::kU8, F::kU8, F::kBase64Rest};
constexpr Field kNSEC3[] = {F::kU8, F::kU8, F::kU16, F::kHexLen8, F::kBase32Len8, F::kTypeBitmap};
constexpr Field kNSEC3PARAM[] = {F::kU8, F::kU8, F::kU16, F::kHexLen8};
constexpr Field kTLSA[] = {F::kU8, F::kU8, F::kU8, F::kHexRest};

constexpr RdataDescriptor kDescriptors[] = {
    {RRType::A, kA},
    {RRType::AAAA, kAAAA},
    {RRType::NS, kOneName},
    {RRType::MD, kOneName},
    {RRType::MF, kOneName},
    {RRType::CNAME, kOneName},
    {RRType::SOA, kSOA},
    {RRType::MB, kOneName},
    {RRType::MG, kOneName},
    {RRType::MR, kOneName},
    {RRType::PTR, kOneName},
    {RRType::HINFO, kHINFO},
    {RRType::MINFO, kMINFO},
    {RRType::MX, kMX},
    {RRType::TXT, kTXT},
    {RRType::RP, kRP},
    {RRType::AFSDB, kPrefName},
    {RRType::RT, kPrefName},
    {RRType::PX, kPX},
    {RRType::KX, kPrefName},
    {RRType::SRV, kSRV},
    {RRType::NAPTR, kNAPTR},
    {RRType::DNAME, kDNAME},
    {RRType::CAA, kCAA},
    {RRType::SVCB, kSVCB},
    {RRType::HTTPS, kSVCB},
    {RRType::DS, kDS},
    {RRType::DNSKEY, kDNSKEY},
    {RRType::RRSIG, kRRSIG},
    {RRType::NSEC, kNSEC},
    {RRType::NSEC3, kNSEC3},
    {RRType::NSEC3PARAM, kNSEC3PARAM},
    {RRType::TLSA, kTLSA},
    {RRType::TSIG, kTSIG},
};

// All described types are below this value, so lookup is one array index.
constexpr std::size_t kLookupSize = 258;

constexpr std::array<const RdataDescriptor*, kLookupSize> make_lookup() {
  std::array<const RdataDescriptor*, kLookupSize> table{};
  for (const auto& d : kDescriptors) table[static_cast<std::uint16_t>(d.type)] = &d;
  return table;
}
constexpr auto kLookup = make_lookup();

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
    case RRType::NAPTR:
    case RRType::KX:
    case RRType::SRV:
    case RRType::DNAME:
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

// Length of the uncompressed wire name at rdata[pos..], validated with Name::from_wire.
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
bool alpn_valid(std::span<const std::uint8_t> v) {
  if (v.empty()) return false;
  std::size_t p = 0;
  while (p < v.size()) {
    const std::size_t len = v[p];
    if (len == 0 || v.size() - p - 1 < len) return false;
    p += 1 + len;
  }
  return true;
}

// RFC 9460 §2.2: keys strictly ascending, each value within the RDATA; §7 value formats
// for the keys we print specially.
bool svc_params_valid(std::span<const std::uint8_t> b) {
  std::size_t p = 0;
  int last_key = -1;
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
      case detail::kSvcIpv6Hint:
        if (len == 0 || len % 16 != 0) return false;
        break;
      default:
        break;
    }
    last_key = key;
    p += 4 + len;
  }
  return true;
}

bool caa_tag_char(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Size of one field at rdata[pos..] (whole remainder for the "to the end" fields).
std::optional<std::size_t> field_length(Field f, std::span<const std::uint8_t> rdata,
                                        std::size_t pos, bool check_names) {
  const std::size_t left = rdata.size() - pos;
  auto fixed = [left](std::size_t n) -> std::optional<std::size_t> {
    if (left < n) return std::nullopt;
    return n;
  };
  switch (f) {
    case F::kU8:
      return fixed(1);
    case F::kU16:
    case F::kType:
    case F::kTsigError:
      return fixed(2);
    case F::kU32:
    case F::kTime:
    case F::kIPv4:
      return fixed(4);
    case F::kU48:
      return fixed(6);
    case F::kIPv6:
      return fixed(16);
    case F::kName:
    case F::kNameUnicast:
    case F::kNamePush:
      return name_length(rdata, pos, check_names);
    case F::kCharString:
    case F::kHexLen8:
      if (left < 1 || left - 1 < rdata[pos]) return std::nullopt;
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
    case F::kCaaValue:
    case F::kHexRest:
    case F::kBase64Rest:
      return left;
    case F::kTypeBitmap:
      if (!bitmap_valid(rdata.subspan(pos))) return std::nullopt;
      return left;
    case F::kSvcParams:
      if (!svc_params_valid(rdata.subspan(pos))) return std::nullopt;
      return left;
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
  return out;
}

}  // namespace detail

const RdataDescriptor* descriptor(RRType type) {
  const auto v = static_cast<std::uint16_t>(type);
  return v < kLookupSize ? kLookup[v] : nullptr;
}

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
  auto append = [&out](std::span<const std::uint8_t> b) {
    out.insert(out.end(), b.begin(), b.end());
  };
  if (desc == nullptr) {
    append(r.bytes(rdlength));  // RFC 3597: opaque
  } else {
    for (Field f : desc->fields) {
      if (!r.ok()) break;
      switch (f) {
        case F::kName:
        case F::kNameUnicast:
        case F::kNamePush: {
          // Tolerant on input: any name may be compressed (RFC 3597 §4).
          const Name n = r.name();
          if (r.ok()) append(n.wire());
          break;
        }
        case F::kCharString:
        case F::kHexLen8:
        case F::kBase32Len8:
        case F::kCaaTag: {
          const std::uint8_t len = r.u8();
          out.push_back(len);
          append(r.bytes(len));
          break;
        }
        case F::kBlob16: {
          const std::uint16_t len = r.u16();
          out.push_back(static_cast<std::uint8_t>(len >> 8));
          out.push_back(static_cast<std::uint8_t>(len));
          append(r.bytes(len));
          break;
        }
        case F::kCharStrings:
        case F::kCaaValue:
        case F::kHexRest:
        case F::kBase64Rest:
        case F::kTypeBitmap:
        case F::kSvcParams:
          append(r.bytes(r.remaining()));
          break;
        default: {
          std::size_t n = 0;
          switch (f) {
            case F::kU8:
              n = 1;
              break;
            case F::kU16:
            case F::kType:
            case F::kTsigError:
              n = 2;
              break;
            case F::kU32:
            case F::kTime:
            case F::kIPv4:
              n = 4;
              break;
            case F::kU48:
              n = 6;
              break;
            case F::kIPv6:
              n = 16;
              break;
            default:
              break;
          }
          append(r.bytes(n));
          break;
        }
      }
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
    if (!detail::is_name_field(fs.field)) continue;
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
