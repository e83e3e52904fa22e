// JSON string escaping (RFC 8259 §7), shared by the server's JSON logs and the client's
// JSON output. Quotes, backslashes and control characters are escaped, and so is every
// byte >= 0x7F (as \u00XX): the input is not assumed to be UTF-8 (log lines quote what
// peers send), so the output is ASCII and valid JSON whatever bytes it holds.
#pragma once

#include <string>
#include <string_view>

namespace dnspush {

inline void append_json_escaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
}

// `s` as a quoted JSON string.
inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  append_json_escaped(s, out);
  out += '"';
  return out;
}

}  // namespace dnspush
