#include "wire/base64.hpp"

namespace dnspush::wire {

Result<std::vector<std::uint8_t>> base64_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::size_t len = s.size();
  std::size_t pad = 0;
  while (len > 0 && s[len - 1] == '=' && pad < 2) {
    --len;
    ++pad;
  }
  if (pad > 0 && s.size() % 4 != 0) return fail(Errc::kMalformed, "bad base64 padding");
  if (len % 4 == 1) return fail(Errc::kMalformed, "bad base64 length");
  std::vector<std::uint8_t> out;
  out.reserve(len * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const int v = value(s[i]);
    if (v < 0) return fail(Errc::kMalformed, "bad base64 character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  // Leftover bits must be zero (RFC 4648 §3.5: canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return fail(Errc::kMalformed, "bad base64 trailing bits");
  }
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> b) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const std::uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < b.size()) {
    std::uint32_t v = b[i] << 16;
    if (i + 1 < b.size()) v |= b[i + 1] << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < b.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace dnspush::wire
