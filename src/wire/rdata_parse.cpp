// RDATA from presentation text (RFC 1035 §5.1 and each type's RFC), driven by the same
// field descriptions as the wire side (DESIGN.md convention 2). The client uses it for
// `dnspush update add NAME TTL TYPE RDATA...`; zone files go through libzscanner instead.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <string>

#include "wire/base64.hpp"
#include "wire/rdata.hpp"
#include "wire/rdata_fields.hpp"
#include "wire/rdata_parse_fields.hpp"

namespace dnspush::wire {
namespace detail {

Result<std::uint64_t> parse_number(std::string_view s, std::uint64_t max) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return fail(Errc::kMalformed, "\"" + std::string(s) + "\" is not a number");
  if (v > max) return fail(Errc::kOutOfRange, std::string(s) + " is too large");
  return v;
}

void put_uint(Bytes& b, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Result<Bytes> parse_hex(std::string_view s) {
  Bytes out;
  if (s.size() % 2 != 0) return fail(Errc::kMalformed, "odd number of hex digits");
  for (std::size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc() || p != s.data() + i + 2)
      return fail(Errc::kMalformed, "bad hex digits in \"" + std::string(s) + "\"");
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

Result<Bytes> parse_ip(std::string_view s, bool v6) {
  std::uint8_t buf[16];
  const std::string str(s);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, str.c_str(), buf) != 1)
    return fail(Errc::kMalformed,
                "\"" + str + "\" is not an " + (v6 ? "IPv6" : "IPv4") + " address");
  return Bytes(buf, buf + (v6 ? 16 : 4));
}

}  // namespace detail

namespace {

using detail::Bytes;
using Token = detail::TextToken;
constexpr auto number = detail::parse_number;
constexpr auto put = detail::put_uint;
constexpr auto hex = detail::parse_hex;
constexpr auto ip = detail::parse_ip;

// RFC 1035 §5.1: whitespace separates; "..." groups (with \ escapes inside); parentheses
// only continue lines; ';' starts a comment.
Result<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')') {
      ++i;
      continue;
    }
    if (c == ';') break;
    Token t;
    if (c == '"') {
      t.quoted = true;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          t.text += s.substr(i, 2);
          i += 2;
          continue;
        }
        if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        t.text += s[i++];
      }
      if (!closed) return fail(Errc::kMalformed, "unterminated quoted string");
    } else {
      while (i < s.size()) {
        const char d = s[i];
        if (d == ' ' || d == '\t' || d == '\n' || d == '\r' || d == '(' || d == ')' || d == ';')
          break;
        if (d == '\\' && i + 1 < s.size()) {
          t.text += s.substr(i, 2);
          i += 2;
          continue;
        }
        if (d == '"') {
          // A quoted part inside a word (RFC 9460 key="value"): kept with its quotes,
          // blanks and parentheses in it are part of the word.
          t.text += d;
          ++i;
          while (i < s.size() && s[i] != '"') {
            const std::size_t n = s[i] == '\\' && i + 1 < s.size() ? 2 : 1;
            t.text += s.substr(i, n);
            i += n;
          }
          if (i >= s.size()) return fail(Errc::kMalformed, "unterminated quoted string");
        }
        t.text += s[i];
        ++i;
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The bytes of a <character-string> token: \X is X, \DDD is a byte (RFC 1035 §5.1).
Result<Bytes> unescape(std::string_view s) {
  Bytes out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(static_cast<std::uint8_t>(s[i]));
      continue;
    }
    if (i + 1 >= s.size()) return fail(Errc::kMalformed, "a lone backslash");
    if (std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      unsigned v = 0;
      for (std::size_t k = 1; k <= 3; ++k) {
        if (i + k >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i + k])))
          return fail(Errc::kMalformed, "\\DDD needs three digits");
        v = v * 10 + static_cast<unsigned>(s[i + k] - '0');
      }
      if (v > 255) return fail(Errc::kMalformed, "\\DDD above 255");
      out.push_back(static_cast<std::uint8_t>(v));
      i += 3;
    } else {
      out.push_back(static_cast<std::uint8_t>(s[i + 1]));
      ++i;
    }
  }
  return out;
}

// RFC 4648 §7 base32hex, no padding (RFC 5155 §3.3).
Result<Bytes> base32hex(std::string_view s) {
  Bytes out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : s) {
    int v = -1;
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (u >= '0' && u <= '9') v = u - '0';
    if (u >= 'A' && u <= 'V') v = u - 'A' + 10;
    if (v < 0) return fail(Errc::kMalformed, "bad base32hex digit");
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// RFC 4034 §3.2: YYYYMMDDHHmmSS, or seconds since the epoch.
Result<std::uint32_t> time_value(std::string_view s) {
  if (s.size() != 14) {
    auto v = number(s, 0xFFFFFFFF);
    if (!v) return tl::unexpected(v.error());
    return static_cast<std::uint32_t>(*v);
  }
  auto part = [&](std::size_t at, std::size_t n) { return number(s.substr(at, n), 9999); };
  auto y = part(0, 4), mo = part(4, 2), d = part(6, 2), h = part(8, 2), mi = part(10, 2),
       se = part(12, 2);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 ||
      *mi > 59 || *se > 60)
    return fail(Errc::kMalformed, "bad time \"" + std::string(s) + "\"");
  const std::int64_t t = days_from_civil(static_cast<std::int64_t>(*y), static_cast<unsigned>(*mo),
                                         static_cast<unsigned>(*d)) *
                             86400 +
                         static_cast<std::int64_t>(*h * 3600 + *mi * 60 + *se);
  return static_cast<std::uint32_t>(t);  // RFC 4034 §3.1.5: serial arithmetic mod 2^32
}

Result<Bytes> type_bitmap(std::span<const Token> toks) {
  std::map<unsigned, std::array<std::uint8_t, 32>> windows;
  for (const Token& t : toks) {
    auto ty = rrtype_from_text(t.text);
    if (!ty) return fail(Errc::kMalformed, "unknown type \"" + t.text + "\" in a bitmap");
    const auto v = static_cast<unsigned>(*ty);
    auto& w = windows[v >> 8];
    w[(v & 0xFF) / 8] |= static_cast<std::uint8_t>(0x80 >> (v % 8));
  }
  Bytes out;
  for (const auto& [window, bits] : windows) {
    std::size_t len = 32;
    while (len > 0 && bits[len - 1] == 0) --len;
    out.push_back(static_cast<std::uint8_t>(window));
    out.push_back(static_cast<std::uint8_t>(len));
    out.insert(out.end(), bits.begin(), bits.begin() + static_cast<std::ptrdiff_t>(len));
  }
  return out;
}

std::optional<std::uint16_t> svc_key(std::string_view k) {
  static const std::pair<std::string_view, std::uint16_t> kKeys[] = {
      {"mandatory", detail::kSvcMandatory},
      {"alpn", detail::kSvcAlpn},
      {"no-default-alpn", detail::kSvcNoDefaultAlpn},
      {"port", detail::kSvcPort},
      {"ipv4hint", detail::kSvcIpv4Hint},
      {"ech", detail::kSvcEch},
      {"ipv6hint", detail::kSvcIpv6Hint},
  };
  for (const auto& [name, key] : kKeys)
    if (k == name) return key;
  if (k.size() > 3 && k.substr(0, 3) == "key") {
    auto v = number(k.substr(3), 65534);
    if (v) return static_cast<std::uint16_t>(*v);
  }
  return std::nullopt;
}

std::vector<std::string> split_commas(const Bytes& v) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {  // RFC 9460 §A.1 value-level escape
      out.back() += static_cast<char>(v[++i]);
    } else if (v[i] == ',') {
      out.emplace_back();
    } else {
      out.back() += static_cast<char>(v[i]);
    }
  }
  return out;
}

// RFC 9460 §2.1: key=value pairs, written in increasing key order.
Result<Bytes> svc_params(std::span<const Token> toks) {
  std::map<std::uint16_t, Bytes> params;
  for (const Token& t : toks) {
    const auto eq = t.text.find('=');
    const std::string key_text = t.text.substr(0, eq);
    auto key = svc_key(key_text);
    if (!key) return fail(Errc::kMalformed, "unknown SvcParamKey \"" + key_text + "\"");
    std::string raw = eq == std::string::npos ? std::string() : t.text.substr(eq + 1);
    if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"')
      raw = raw.substr(1, raw.size() - 2);
    auto value = unescape(raw);
    if (!value) return tl::unexpected(value.error());
    Bytes v;
    switch (*key) {
      case detail::kSvcMandatory:
        for (const auto& k : split_commas(*value)) {
          auto mk = svc_key(k);
          if (!mk) return fail(Errc::kMalformed, "unknown key \"" + k + "\" in mandatory");
          put(v, *mk, 2);
        }
        break;
      case detail::kSvcAlpn:
        for (const auto& id : split_commas(*value)) {
          if (id.empty() || id.size() > 255) return fail(Errc::kMalformed, "bad alpn id");
          v.push_back(static_cast<std::uint8_t>(id.size()));
          v.insert(v.end(), id.begin(), id.end());
        }
        break;
      case detail::kSvcNoDefaultAlpn:
        if (!value->empty()) return fail(Errc::kMalformed, "no-default-alpn takes no value");
        break;
      case detail::kSvcPort: {
        auto p = number(std::string(value->begin(), value->end()), 65535);
        if (!p) return tl::unexpected(p.error());
        put(v, *p, 2);
        break;
      }
      case detail::kSvcIpv4Hint:
      case detail::kSvcIpv6Hint:
        for (const auto& a : split_commas(*value)) {
          auto b = ip(a, *key == detail::kSvcIpv6Hint);
          if (!b) return tl::unexpected(b.error());
          v.insert(v.end(), b->begin(), b->end());
        }
        break;
      case detail::kSvcEch: {
        auto b = base64_decode(std::string(value->begin(), value->end()));
        if (!b) return tl::unexpected(b.error());
        v = std::move(*b);
        break;
      }
      default:
        v = std::move(*value);
        break;
    }
    if (!params.emplace(*key, std::move(v)).second)
      return fail(Errc::kMalformed, "SvcParamKey \"" + key_text + "\" given twice");
  }
  Bytes out;
  for (const auto& [key, v] : params) {
    put(out, key, 2);
    put(out, v.size(), 2);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::string joined(std::span<const Token> toks) {
  std::string s;
  for (const Token& t : toks) s += t.text;
  return s;
}

bool is_rest_field(Field f) {
  switch (f) {
    case Field::kCharStrings:
    case Field::kQuotedRest:
    case Field::kHexRest:
    case Field::kBase64Rest:
    case Field::kTypeBitmap:
    case Field::kSvcParams:
    case Field::kCharStringOpt:
    case Field::kNameList:
    case Field::kBase64RestOpt:
    case Field::kBase64OrDash:
      return true;
    default:
      return false;
  }
}

// One field from toks[pos...]; advances pos.
Result<void> parse_field(Field f, std::span<const Token> toks, std::size_t& pos, const Name* origin,
                         Bytes& out) {
  if (is_rest_field(f)) {
    const auto rest = toks.subspan(pos);
    pos = toks.size();
    switch (f) {
      case Field::kCharStrings: {
        if (rest.empty()) return fail(Errc::kMalformed, "TXT needs at least one string");
        for (const Token& t : rest) {
          auto b = unescape(t.text);
          if (!b) return tl::unexpected(b.error());
          if (b->size() > 255) return fail(Errc::kOutOfRange, "a string longer than 255 bytes");
          out.push_back(static_cast<std::uint8_t>(b->size()));
          out.insert(out.end(), b->begin(), b->end());
        }
        return {};
      }
      case Field::kCharStringOpt: {  // ISDN's optional subaddress
        if (rest.size() > 1) return fail(Errc::kMalformed, "too many strings");
        for (const Token& t : rest) {
          auto b = unescape(t.text);
          if (!b) return tl::unexpected(b.error());
          if (b->size() > 255) return fail(Errc::kOutOfRange, "a string longer than 255 bytes");
          out.push_back(static_cast<std::uint8_t>(b->size()));
          out.insert(out.end(), b->begin(), b->end());
        }
        return {};
      }
      case Field::kNameList:  // HIP's rendezvous servers
        for (const Token& t : rest) {
          auto n = Name::from_text(t.text, origin);
          if (!n) return tl::unexpected(n.error());
          out.insert(out.end(), n->wire().begin(), n->wire().end());
        }
        return {};
      case Field::kBase64OrDash:  // DOA: "-" for no data
        if (rest.size() == 1 && rest[0].text == "-") return {};
        [[fallthrough]];
      case Field::kBase64RestOpt: {
        auto b = base64_decode(joined(rest));
        if (!b) return tl::unexpected(b.error());
        out.insert(out.end(), b->begin(), b->end());
        return {};
      }
      case Field::kQuotedRest: {  // CAA value, URI target: one (quoted) word
        if (rest.size() != 1) return fail(Errc::kMalformed, "needs one quoted value");
        auto b = unescape(rest[0].text);
        if (!b) return tl::unexpected(b.error());
        out.insert(out.end(), b->begin(), b->end());
        return {};
      }
      case Field::kHexRest: {
        auto b = hex(joined(rest));
        if (!b) return tl::unexpected(b.error());
        out.insert(out.end(), b->begin(), b->end());
        return {};
      }
      case Field::kBase64Rest: {
        auto b = base64_decode(joined(rest));
        if (!b) return tl::unexpected(b.error());
        out.insert(out.end(), b->begin(), b->end());
        return {};
      }
      case Field::kTypeBitmap: {
        auto b = type_bitmap(rest);
        if (!b) return tl::unexpected(b.error());
        out.insert(out.end(), b->begin(), b->end());
        return {};
      }
      default: {
        auto b = svc_params(rest);
        if (!b) return tl::unexpected(b.error());
        out.insert(out.end(), b->begin(), b->end());
        return {};
      }
    }
  }
  // The fields that serve one type only (rdata.hpp lists them last) read their own words,
  // none to several.
  if (f >= Field::kSecAlg) return detail::parse_type_field(f, toks, pos, origin, out);
  if (pos >= toks.size()) return fail(Errc::kMalformed, "too few fields");
  const Token& t = toks[pos++];
  switch (f) {
    case Field::kU8:
    case Field::kU16:
    case Field::kU32:
    case Field::kU48: {
      const int bytes = f == Field::kU8 ? 1 : f == Field::kU16 ? 2 : f == Field::kU32 ? 4 : 6;
      auto v = number(t.text, bytes == 6 ? 0xFFFFFFFFFFFFull : (1ull << (8 * bytes)) - 1);
      if (!v) return tl::unexpected(v.error());
      put(out, *v, bytes);
      return {};
    }
    case Field::kType:
    case Field::kSigType: {
      auto ty = rrtype_from_text(t.text);
      if (!ty && f == Field::kSigType) {  // SIG's type covered may be a bare number
        auto v = number(t.text, 65535);
        if (v) ty = static_cast<RRType>(*v);
      }
      if (!ty) return fail(Errc::kMalformed, "unknown type \"" + t.text + "\"");
      put(out, static_cast<std::uint16_t>(*ty), 2);
      return {};
    }
    case Field::kTime: {
      auto v = time_value(t.text);
      if (!v) return tl::unexpected(v.error());
      put(out, *v, 4);
      return {};
    }
    case Field::kIPv4:
    case Field::kIPv6: {
      auto b = ip(t.text, f == Field::kIPv6);
      if (!b) return tl::unexpected(b.error());
      out.insert(out.end(), b->begin(), b->end());
      return {};
    }
    case Field::kName:
    case Field::kNameUnicast:
    case Field::kNamePush: {
      auto n = Name::from_text(t.text, origin);
      if (!n) return tl::unexpected(n.error());
      out.insert(out.end(), n->wire().begin(), n->wire().end());
      return {};
    }
    case Field::kCharString: {
      auto b = unescape(t.text);
      if (!b) return tl::unexpected(b.error());
      if (b->size() > 255) return fail(Errc::kOutOfRange, "a string longer than 255 bytes");
      out.push_back(static_cast<std::uint8_t>(b->size()));
      out.insert(out.end(), b->begin(), b->end());
      return {};
    }
    case Field::kCaaTag: {
      if (t.text.empty() || t.text.size() > 255) return fail(Errc::kMalformed, "bad CAA tag");
      out.push_back(static_cast<std::uint8_t>(t.text.size()));
      out.insert(out.end(), t.text.begin(), t.text.end());
      return {};
    }
    case Field::kHexLen8: {
      Bytes b;
      if (t.text != "-") {
        auto h = hex(t.text);
        if (!h) return tl::unexpected(h.error());
        b = std::move(*h);
      }
      if (b.size() > 255) return fail(Errc::kOutOfRange, "more than 255 bytes");
      out.push_back(static_cast<std::uint8_t>(b.size()));
      out.insert(out.end(), b.begin(), b.end());
      return {};
    }
    case Field::kBase32Len8: {
      auto b = base32hex(t.text);
      if (!b) return tl::unexpected(b.error());
      if (b->size() > 255) return fail(Errc::kOutOfRange, "more than 255 bytes");
      out.push_back(static_cast<std::uint8_t>(b->size()));
      out.insert(out.end(), b->begin(), b->end());
      return {};
    }
    case Field::kOpaque:  // NULL: only the RFC 3597 form (handled before the fields)
      return fail(Errc::kMalformed, "needs the \\# <len> <hex> form");
    case Field::kBlob16:
    case Field::kTsigError:  // TSIG and TKEY: meta records are not written as text
      return fail(Errc::kRefused, "this type cannot be given as text");
    default:
      return fail(Errc::kRefused, "this field cannot be given as text");
  }
}

}  // namespace

Result<std::vector<std::uint8_t>> rdata_from_text(RRType type, std::string_view text,
                                                  const Name* origin) {
  auto toks = tokenize(text);
  if (!toks) return tl::unexpected(toks.error());
  // RFC 3597 §5: "\# <length> <hex>" is valid for every type.
  if (!toks->empty() && (*toks)[0].text == "\\#" && !(*toks)[0].quoted) {
    if (toks->size() < 2) return fail(Errc::kMalformed, "\\# needs a length");
    auto len = number((*toks)[1].text, 65535);
    if (!len) return tl::unexpected(len.error());
    auto b = hex(joined(std::span(*toks).subspan(2)));
    if (!b) return tl::unexpected(b.error());
    if (b->size() != *len)
      return fail(Errc::kMalformed, "\\# length " + std::to_string(*len) + " but " +
                                        std::to_string(b->size()) + " bytes of data");
    if (descriptor(type) != nullptr && !rdata_valid(type, *b))
      return fail(Errc::kMalformed, "the data does not match the type " + to_text(type));
    return std::move(*b);
  }
  const RdataDescriptor* desc = descriptor(type);
  if (desc == nullptr)
    return fail(Errc::kMalformed, "type " + to_text(type) + " needs the \\# <len> <hex> form");
  Bytes out;
  std::size_t pos = 0;
  for (Field f : desc->fields) {
    auto r = parse_field(f, *toks, pos, origin, out);
    if (!r) return fail(r.error().code, to_text(type) + ": " + r.error().message);
  }
  if (pos != toks->size()) return fail(Errc::kMalformed, to_text(type) + ": too many fields");
  if (out.size() > 65535 || !rdata_valid(type, out))
    return fail(Errc::kMalformed, to_text(type) + ": not valid RDATA");
  return out;
}

}  // namespace dnspush::wire
