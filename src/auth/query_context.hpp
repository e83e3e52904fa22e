// What the transport tells query processing about a request.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
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
  // Bytes the caller appends after the answer (a TSIG record, RFC 8945 §5.3): the answer
  // is kept this much below the transport's limit so the signed message still fits, and
  // is truncated (TC=1) when it does not.
  std::size_t trailer_reserve = 0;
};

}  // namespace dnspush::auth
