// The two text files a client reads besides its own arguments: /etc/resolv.conf (the
// system's resolvers) and a BIND-format TSIG key file (`tsig-keygen`, `nsupdate -k`).
// Parsers of text only: the caller reads the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "wire/tsig.hpp"

namespace dnspush::client {

struct ServerAddress {
  std::string host;  // numeric address or host name, without brackets
  std::uint16_t port = 53;
  std::string to_text() const;  // "192.0.2.1:53", "[2001:db8::1]:53"
  friend bool operator==(const ServerAddress&, const ServerAddress&) = default;
};

// "HOST", "HOST:PORT", "[V6]:PORT" or a bare IPv6 literal (port `default_port`).
Result<ServerAddress> parse_server(std::string_view text, std::uint16_t default_port);

// The `nameserver` lines of resolv.conf(5), in order (at most 3 are used, as glibc does;
// IPv6 zone ids are kept). Comments (# or ;) and other options are ignored.
std::vector<ServerAddress> parse_resolv_conf(std::string_view text);

// The first domain of the `search` (or `domain`) line of resolv.conf(5), empty if none.
std::string resolv_conf_domain(std::string_view text);

// The first `key "NAME" { algorithm ALG; secret "BASE64"; };` clause of a BIND key file
// (named.conf(5) syntax: comments in #, //, /* */).
Result<wire::TsigKey> parse_key_file(std::string_view text);

}  // namespace dnspush::client
