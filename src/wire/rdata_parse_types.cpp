// Presentation text of the fields that serve one RR type each, read back: the inverse of
// rdata_text_types.cpp (BIND 9.18's forms, plus the numbers for every mnemonic).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "wire/base64.hpp"
#include "wire/rdata_parse_fields.hpp"

namespace dnspush::wire::detail {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A mnemonic from `names` (index = value) or a number up to `max`.
Result<std::uint64_t> mnemonic_or_number(std::string_view s,
                                         std::span<const std::pair<const char*, unsigned>> names,
                                         std::uint64_t max) {
  const std::string u = upper(s);
  for (const auto& [name, value] : names)
    if (u == name) return value;
  return parse_number(s, max);
}

constexpr std::pair<const char*, unsigned> kSecAlgs[] = {{"RSAMD5", 1},
                                                         {"DH", 2},
                                                         {"DSA", 3},
                                                         {"RSASHA1", 5},
                                                         {"RSASHA256", 8},
                                                         {"RSASHA512", 10},
                                                         {"ECDSAP256SHA256", 13},
                                                         {"ECDSAP384SHA384", 14},
                                                         {"ED25519", 15},
                                                         {"ED448", 16},
                                                         {"INDIRECT", 252},
                                                         {"PRIVATEDNS", 253},
                                                         {"PRIVATEOID", 254},
                                                         {"NSEC3DSA", 6},
                                                         {"NSEC3RSASHA1", 7},
                                                         {"ECCGOST", 12}};
constexpr std::pair<const char*, unsigned> kCertTypes[] = {
    {"PKIX", 1}, {"SPKI", 2},   {"PGP", 3},     {"IPKIX", 4}, {"ISPKI", 5},
    {"IPGP", 6}, {"ACPKIX", 7}, {"IACPKIX", 8}, {"URI", 253}, {"OID", 254}};
constexpr std::pair<const char*, unsigned> kDsyncSchemes[] = {{"NOTIFY", 1}};

// RFC 1876 §3 / Appendix A: a size or precision in metres as mantissa and power of ten
// of centimetres.
Result<std::uint8_t> loc_precision(std::string_view s) {
  if (!s.empty() && (s.back() == 'm' || s.back() == 'M')) s.remove_suffix(1);
  char* end = nullptr;
  const std::string str(s);
  const double m = std::strtod(str.c_str(), &end);
  if (str.empty() || end != str.c_str() + str.size() || !(m >= 0) || m > 90000000.0)
    return fail(Errc::kMalformed, "bad LOC size or precision \"" + str + "\"");
  auto cm = static_cast<std::uint64_t>(std::llround(m * 100));
  unsigned exponent = 0;
  while (cm >= 10 && cm % 10 == 0 && exponent < 9) {
    cm /= 10;
    ++exponent;
  }
  if (cm > 9)
    return fail(Errc::kMalformed, "LOC size or precision not one digit of a power of ten");
  return static_cast<std::uint8_t>((cm << 4) | exponent);
}

// Degrees [minutes [seconds]] and a hemisphere letter, as 2^31 +/- thousandths of arc.
Result<std::uint32_t> loc_angle(std::span<const TextToken> toks, std::size_t& pos, char positive,
                                char negative, unsigned max_degrees) {
  double parts[3] = {0, 0, 0};
  std::size_t n = 0;
  while (pos < toks.size() && n < 3) {
    const std::string& t = toks[pos].text;
    if (t.size() == 1 && (std::toupper(t[0]) == positive || std::toupper(t[0]) == negative)) break;
    char* end = nullptr;
    parts[n] = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || !(parts[n] >= 0))
      return fail(Errc::kMalformed, "bad LOC angle \"" + t + "\"");
    ++n;
    ++pos;
  }
  if (n == 0 || pos >= toks.size() || toks[pos].text.size() != 1)
    return fail(Errc::kMalformed, std::string("LOC needs ") + positive + " or " + negative);
  const char h = static_cast<char>(std::toupper(static_cast<unsigned char>(toks[pos++].text[0])));
  if (h != positive && h != negative)
    return fail(Errc::kMalformed, std::string("LOC needs ") + positive + " or " + negative);
  if (parts[0] > max_degrees || parts[1] >= 60 || parts[2] >= 60 ||
      parts[0] != std::floor(parts[0]) || parts[1] != std::floor(parts[1]))
    return fail(Errc::kMalformed, "bad LOC angle");
  const auto thousandths =
      static_cast<std::int64_t>(std::llround(((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000));
  if (thousandths > static_cast<std::int64_t>(max_degrees) * 3600000)
    return fail(Errc::kOutOfRange, "LOC angle out of range");
  constexpr std::int64_t kEquator = 0x80000000LL;
  return static_cast<std::uint32_t>(h == positive ? kEquator + thousandths
                                                  : kEquator - thousandths);
}

Result<void> loc(std::span<const TextToken> toks, std::size_t& pos, Bytes& out) {
  auto lat = loc_angle(toks, pos, 'N', 'S', 90);
  if (!lat) return tl::unexpected(lat.error());
  auto lon = loc_angle(toks, pos, 'E', 'W', 180);
  if (!lon) return tl::unexpected(lon.error());
  if (pos >= toks.size()) return fail(Errc::kMalformed, "LOC needs an altitude");
  std::string alt_text = toks[pos++].text;
  if (!alt_text.empty() && (alt_text.back() == 'm' || alt_text.back() == 'M')) alt_text.pop_back();
  char* end = nullptr;
  const double alt = std::strtod(alt_text.c_str(), &end);
  // RFC 1876 §2: centimetres from 100,000 m below the WGS 84 reference spheroid.
  const double cm = std::round(alt * 100) + 10000000.0;
  if (alt_text.empty() || end != alt_text.c_str() + alt_text.size() || !(cm >= 0) ||
      cm > 4294967295.0)
    return fail(Errc::kMalformed, "bad LOC altitude");
  // RFC 1876 §3 defaults: size 1 m, horizontal precision 10 km, vertical 10 m.
  std::uint8_t prec[3] = {0x12, 0x16, 0x13};
  for (auto& p : prec) {
    if (pos >= toks.size()) break;
    auto v = loc_precision(toks[pos++].text);
    if (!v) return tl::unexpected(v.error());
    p = *v;
  }
  out.push_back(0);  // version
  out.insert(out.end(), prec, prec + 3);
  put_uint(out, *lat, 4);
  put_uint(out, *lon, 4);
  put_uint(out, static_cast<std::uint64_t>(cm), 4);
  return {};
}

// RFC 3123 §5: [!]afi:address/prefix items; the address without its trailing zero octets.
Result<void> apl(std::span<const TextToken> toks, std::size_t& pos, Bytes& out) {
  for (; pos < toks.size(); ++pos) {
    std::string_view t = toks[pos].text;
    const bool negated = !t.empty() && t[0] == '!';
    if (negated) t.remove_prefix(1);
    const auto colon = t.find(':');
    const auto slash = t.rfind('/');
    if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon)
      return fail(Errc::kMalformed,
                  "APL item \"" + std::string(t) + "\" is not afi:address/prefix");
    auto family = parse_number(t.substr(0, colon), 2);
    if (!family || *family == 0) return fail(Errc::kMalformed, "APL family must be 1 or 2");
    auto addr = parse_ip(t.substr(colon + 1, slash - colon - 1), *family == 2);
    if (!addr) return tl::unexpected(addr.error());
    auto prefix = parse_number(t.substr(slash + 1), *family == 1 ? 32 : 128);
    if (!prefix) return tl::unexpected(prefix.error());
    std::size_t len = addr->size();
    while (len > 0 && (*addr)[len - 1] == 0) --len;
    put_uint(out, *family, 2);
    out.push_back(static_cast<std::uint8_t>(*prefix));
    out.push_back(static_cast<std::uint8_t>(len | (negated ? 0x80 : 0)));
    out.insert(out.end(), addr->begin(), addr->begin() + static_cast<std::ptrdiff_t>(len));
  }
  return {};
}

// Numbers as bits of a bitmap, most significant bit first, up to `max`.
Result<void> bitmap(std::span<const TextToken> toks, std::size_t& pos, unsigned max, bool types,
                    Bytes& out) {
  Bytes bits;
  for (; pos < toks.size(); ++pos) {
    std::optional<unsigned> v;
    if (types) {
      if (auto t = rrtype_from_text(toks[pos].text)) v = static_cast<unsigned>(*t);
    }
    if (!v) {
      auto n = parse_number(toks[pos].text, max);
      if (!n) return tl::unexpected(n.error());
      v = static_cast<unsigned>(*n);
    }
    if (*v > max) return fail(Errc::kOutOfRange, toks[pos].text + " is out of range here");
    if (bits.size() <= *v / 8) bits.resize(*v / 8 + 1);
    bits[*v / 8] |= static_cast<std::uint8_t>(0x80 >> (*v % 8));
  }
  out.insert(out.end(), bits.begin(), bits.end());
  return {};
}

// xx-xx-... (EUI48/EUI64, exactly two digits a group) or x:x:x:x (NID/L64, one to four
// digits a group: dig drops leading zeros, we print all four).
Result<void> grouped_hex(std::string_view s, char sep, std::size_t groups, std::size_t digits,
                         bool leading_zeros_optional, Bytes& out) {
  std::string joined;
  std::size_t n = 0;
  std::size_t start = 0;
  while (true) {
    const auto end = s.find(sep, start);
    const auto part = s.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.size() > digits || part.empty() || (part.size() < digits && !leading_zeros_optional))
      break;
    joined += std::string(digits - part.size(), '0');
    joined += part;
    ++n;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (n != groups)
    return fail(Errc::kMalformed, "\"" + std::string(s) + "\" is not " + std::to_string(groups) +
                                      " groups of " + std::to_string(digits) + " hex digits");
  auto b = parse_hex(joined);
  if (!b) return tl::unexpected(b.error());
  out.insert(out.end(), b->begin(), b->end());
  return {};
}

Result<void> name_into(std::string_view text, const Name* origin, Bytes& out) {
  auto n = Name::from_text(text, origin);
  if (!n) return tl::unexpected(n.error());
  out.insert(out.end(), n->wire().begin(), n->wire().end());
  return {};
}

}  // namespace

Result<void> parse_type_field(Field f, std::span<const TextToken> toks, std::size_t& pos,
                              const Name* origin, Bytes& out) {
  // The fields that take the rest of the text, or a number of words other than one.
  switch (f) {
    case Field::kNxtBitmap:  // RFC 2535 §5.2: types 0..127
      return bitmap(toks, pos, 127, /*types=*/true, out);
    case Field::kWksBitmap:  // RFC 1035 §3.4.2: port numbers
      return bitmap(toks, pos, 65535, /*types=*/false, out);
    case Field::kLoc:
      return loc(toks, pos, out);
    case Field::kApl:
      return apl(toks, pos, out);
    case Field::kA6Suffix: {  // RFC 2874 §3.1: nothing when the prefix length is 128
      const unsigned prefix = out.empty() ? 128 : out[0];
      if (prefix > 128) return fail(Errc::kOutOfRange, "A6 prefix length above 128");
      if (prefix == 128) return {};
      if (pos >= toks.size()) return fail(Errc::kMalformed, "A6 needs an address suffix");
      auto a = parse_ip(toks[pos++].text, true);
      if (!a) return tl::unexpected(a.error());
      out.insert(out.end(), a->begin() + prefix / 8, a->end());
      return {};
    }
    case Field::kA6Prefix:  // a name only when the prefix length is not 0
      if (out.empty() || out[0] == 0) return {};
      if (pos >= toks.size()) return fail(Errc::kMalformed, "A6 needs a prefix name");
      return name_into(toks[pos++].text, origin, out);
    case Field::kAmtRelayType: {  // RFC 8777 §4.3: "D type", two words
      if (pos + 2 > toks.size()) return fail(Errc::kMalformed, "AMTRELAY needs D and a type");
      auto d = parse_number(toks[pos].text, 1);
      auto t = parse_number(toks[pos + 1].text, 127);
      if (!d) return tl::unexpected(d.error());
      if (!t) return tl::unexpected(t.error());
      pos += 2;
      out.push_back(static_cast<std::uint8_t>((*d << 7) | *t));
      return {};
    }
    case Field::kHipKeys: {  // RFC 8005 §6: algorithm, HIT in hex, public key in base64
      if (pos + 3 > toks.size()) return fail(Errc::kMalformed, "HIP needs algorithm, HIT and key");
      auto alg = parse_number(toks[pos].text, 255);
      if (!alg) return tl::unexpected(alg.error());
      auto hit = parse_hex(toks[pos + 1].text);
      if (!hit) return tl::unexpected(hit.error());
      auto key = base64_decode(toks[pos + 2].text);
      if (!key) return tl::unexpected(key.error());
      if (hit->size() > 255 || key->size() > 65535)
        return fail(Errc::kOutOfRange, "HIP HIT or key too long");
      pos += 3;
      out.push_back(static_cast<std::uint8_t>(hit->size()));
      out.push_back(static_cast<std::uint8_t>(*alg));
      put_uint(out, key->size(), 2);
      out.insert(out.end(), hit->begin(), hit->end());
      out.insert(out.end(), key->begin(), key->end());
      return {};
    }
    default:
      break;
  }
  if (pos >= toks.size()) return fail(Errc::kMalformed, "too few fields");
  const std::string& t = toks[pos++].text;
  switch (f) {
    case Field::kSecAlg: {
      auto v = mnemonic_or_number(t, kSecAlgs, 255);
      if (!v) return tl::unexpected(v.error());
      out.push_back(static_cast<std::uint8_t>(*v));
      return {};
    }
    case Field::kCertType: {
      auto v = mnemonic_or_number(t, kCertTypes, 65535);
      if (!v) return tl::unexpected(v.error());
      put_uint(out, *v, 2);
      return {};
    }
    case Field::kDsyncScheme: {
      auto v = mnemonic_or_number(t, kDsyncSchemes, 255);
      if (!v) return tl::unexpected(v.error());
      out.push_back(static_cast<std::uint8_t>(*v));
      return {};
    }
    case Field::kGateway: {  // RFC 4025 §2.5 / RFC 8777 §4.2.3: by the type at offset 1
      const unsigned type = out.size() >= 2 ? (out[1] & 0x7F) : 0;
      if (type == 0) {
        if (t != ".") return fail(Errc::kMalformed, "gateway type 0 is written \".\"");
        return {};
      }
      if (type == 3) return name_into(t, origin, out);
      if (type > 3) return fail(Errc::kMalformed, "unknown gateway type");
      auto a = parse_ip(t, type == 2);
      if (!a) return tl::unexpected(a.error());
      out.insert(out.end(), a->begin(), a->end());
      return {};
    }
    case Field::kNsap: {  // RFC 1706 §6: 0x and hex digits, dots allowed between
      if (t.size() < 3 || t[0] != '0' || (t[1] != 'x' && t[1] != 'X'))
        return fail(Errc::kMalformed, "NSAP is written 0x<hex>");
      std::string digits;
      for (char c : t.substr(2))
        if (c != '.') digits += c;
      auto b = parse_hex(digits);
      if (!b) return tl::unexpected(b.error());
      out.insert(out.end(), b->begin(), b->end());
      return {};
    }
    case Field::kAtma: {  // "+" and E.164 digits (format 1), else hex (format 0, AESA)
      if (!t.empty() && t[0] == '+') {
        out.push_back(1);
        out.insert(out.end(), t.begin() + 1, t.end());
        return {};
      }
      auto b = parse_hex(t);
      if (!b) return tl::unexpected(b.error());
      out.push_back(0);
      out.insert(out.end(), b->begin(), b->end());
      return {};
    }
    case Field::kEui48:
      return grouped_hex(t, '-', 6, 2, false, out);
    case Field::kEui64:
      return grouped_hex(t, '-', 8, 2, false, out);
    case Field::kLocator64:
      return grouped_hex(t, ':', 4, 4, true, out);
    default:
      return fail(Errc::kRefused, "this field cannot be given as text");
  }
}

}  // namespace dnspush::wire::detail
