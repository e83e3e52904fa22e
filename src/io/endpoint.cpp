#include "io/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace dnspush::io {

Result<Endpoint> Endpoint::parse(std::string_view text) {
  Endpoint e;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(Errc::kInvalidConfig, "expected \"[ipv6]:port\": " + std::string(text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    e.v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(Errc::kInvalidConfig, "missing port in \"" + std::string(text) + "\"");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(Errc::kInvalidConfig,
                  "IPv6 addresses need brackets, as \"[::1]:53\": " + std::string(text));
    }
  }
  e.address = std::string(host);
  unsigned char buf[16];
  if (inet_pton(e.v6 ? AF_INET6 : AF_INET, e.address.c_str(), buf) != 1) {
    return fail(Errc::kInvalidConfig, "not a numeric IP address: \"" + e.address + "\"");
  }
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value > 65535) {
    return fail(Errc::kInvalidConfig, "bad port \"" + std::string(port) + "\"");
  }
  e.port = static_cast<std::uint16_t>(value);
  return e;
}

std::string Endpoint::to_string() const {
  return v6 ? "[" + address + "]:" + std::to_string(port) : address + ":" + std::to_string(port);
}

}  // namespace dnspush::io
