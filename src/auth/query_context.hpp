// What the transport tells query processing about a request.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace dnspush::auth {

enum class Transport { kUdp, kTcp, kTls };

struct ClientAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
  bool v6 = false;
  std::uint16_t port = 0;
};

// "192.0.2.1" or "2001:db8::1", for logs.
inline std::string to_text(const ClientAddress& a) {
  char buf[INET6_ADDRSTRLEN] = "?";
  ::inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

struct QueryContext {
  Transport transport = Transport::kUdp;
  ClientAddress client;
  // For edns-tcp-keepalive (RFC 7828): the idle timeout the server applies to this
  // connection; zero over UDP.
  std::chrono::milliseconds tcp_idle_timeout{0};
  // Bytes the caller appends after the answer (a TSIG record, RFC 8945 §5.3): the answer
  // is kept this much below the transport's limit so the signed message still fits, and
  // is truncated (TC=1) when it does not.
  std::size_t trailer_reserve = 0;
};

}  // namespace dnspush::auth
