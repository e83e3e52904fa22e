// A listen or server address as written in the config and on the command line:
// "127.0.0.1:5300", "[::1]:5300". Plain data, no Asio, so server/ and apps/ can use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace dnspush::io {

struct Endpoint {
  std::string address;  // numeric IPv4 or IPv6 literal, without brackets
  std::uint16_t port = 0;
  bool v6 = false;

  // "a.b.c.d:port" or "[v6]:port"; the address must be numeric (no resolution).
  static Result<Endpoint> parse(std::string_view text);
  std::string to_string() const;  // the form parse() accepts

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace dnspush::io
