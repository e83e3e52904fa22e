#include "client/config_files.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace dnspush::client {
namespace {

bool is_v6(const std::string& s) {
  unsigned char buf[16];
  const auto pct = s.find('%');
  return inet_pton(AF_INET6, s.substr(0, pct).c_str(), buf) == 1;
}

// named.conf tokens: words, quoted strings, and the punctuation { } ;
std::vector<std::string> conf_tokens(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' || (c == '/' && i + 1 < s.size() && s[i + 1] == '/')) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const auto end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else if (c == '{' || c == '}' || c == ';') {
      out.emplace_back(1, c);
      ++i;
    } else if (c == '"') {
      const auto end = s.find('"', i + 1);
      const auto stop = end == std::string_view::npos ? s.size() : end;
      out.emplace_back("\"" + std::string(s.substr(i + 1, stop - i - 1)));
      i = stop + 1;
    } else {
      std::size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '{' &&
             s[j] != '}' && s[j] != ';' && s[j] != '"')
        ++j;
      out.emplace_back(s.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

std::string unquote(const std::string& t) {
  return !t.empty() && t[0] == '"' ? t.substr(1) : t;
}

}  // namespace

std::string ServerAddress::to_text() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ServerAddress> parse_server(std::string_view text, std::uint16_t default_port) {
  ServerAddress a;
  a.port = default_port;
  std::string s(text);
  if (s.empty()) return fail(Errc::kMalformed, "empty server address");
  std::string port_text;
  if (s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string::npos) return fail(Errc::kMalformed, "\"" + s + "\": missing ]");
    a.host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return fail(Errc::kMalformed, "\"" + s + "\": bad port");
      port_text = s.substr(close + 2);
    }
  } else if (is_v6(s)) {
    a.host = s;
  } else {
    const auto colon = s.rfind(':');
    a.host = s.substr(0, colon);
    if (colon != std::string::npos) port_text = s.substr(colon + 1);
  }
  if (a.host.empty()) return fail(Errc::kMalformed, "\"" + s + "\": no host");
  if (!port_text.empty() || s.back() == ':') {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 || v > 65535)
      return fail(Errc::kMalformed, "\"" + s + "\": bad port \"" + port_text + "\"");
    a.port = static_cast<std::uint16_t>(v);
  }
  return a;
}

std::vector<ServerAddress> parse_resolv_conf(std::string_view text) {
  std::vector<ServerAddress> out;
  std::size_t pos = 0;
  while (pos < text.size() && out.size() < 3) {  // resolv.conf(5): MAXNS is 3
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto c = line.find_first_of("#;");
    if (c != std::string_view::npos) line = line.substr(0, c);
    std::size_t i = 0;
    auto word = [&]() {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      const std::size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      return line.substr(start, i - start);
    };
    if (word() != "nameserver") continue;
    const auto addr = word();
    unsigned char buf[16];
    const std::string a(addr);
    if (inet_pton(AF_INET, a.c_str(), buf) == 1 || is_v6(a)) out.push_back({a, 53});
  }
  return out;
}

std::string resolv_conf_domain(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    std::size_t i = 0;
    auto word = [&]() {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      const std::size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      return line.substr(start, i - start);
    };
    const std::string w = word();
    if (w == "search" || w == "domain") return word();
  }
  return {};
}

Result<wire::TsigKey> parse_key_file(std::string_view text) {
  const auto t = conf_tokens(text);
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    if (t[i] != "key" || t[i + 2] != "{") continue;
    const std::string name = unquote(t[i + 1]);
    std::string alg, secret;
    std::size_t j = i + 3;
    for (; j < t.size() && t[j] != "}"; ++j) {
      if (t[j] == "algorithm" && j + 1 < t.size()) alg = unquote(t[++j]);
      if (t[j] == "secret" && j + 1 < t.size()) secret = unquote(t[++j]);
    }
    if (j == t.size()) return fail(Errc::kMalformed, "key \"" + name + "\": missing }");
    if (alg.empty()) return fail(Errc::kMalformed, "key \"" + name + "\": no algorithm");
    if (secret.empty()) return fail(Errc::kMalformed, "key \"" + name + "\": no secret");
    return wire::TsigKey::from_fields(name, alg, secret);
  }
  return fail(Errc::kMalformed, "no key clause (key \"NAME\" { algorithm ...; secret ...; };)");
}

}  // namespace dnspush::client
