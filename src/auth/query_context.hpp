// What the transport tells query processing about a request.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace dnspush::auth {

enum class Transport { kUdp, kTcp, kTls };

struct ClientAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
  bool v6 = false;
  std::uint16_t port = 0;
};

struct QueryContext {
  Transport transport = Transport::kUdp;
  ClientAddress client;
  // For edns-tcp-keepalive (RFC 7828): the idle timeout the server applies to this
  // connection; zero over UDP.
  std::chrono::milliseconds tcp_idle_timeout{0};
};

}  // namespace dnspush::auth
