// DNS message exchanges over UDP, TCP and TLS on the caller's Asio executor, with a
// deadline each (internal to client/). Coroutines; errors are values.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "io/asio.hpp"
#include "io/tls_context.hpp"

namespace dnspush::client::net {

using Bytes = std::vector<std::uint8_t>;

enum class Transport : std::uint8_t { kUdp, kTcp, kTls };

// Why an exchange or a connection failed, for exit codes and messages.
enum class Failure : std::uint8_t {
  kNone,
  kTimeout,      // nothing within the deadline
  kUnreachable,  // refused, unreachable, reset
  kTlsVerify,    // the certificate did not verify (or DANE did not match)
  kTls,          // another TLS failure
  kMalformed,    // an answer that does not parse or is not ours
};

struct NetError {
  Failure failure = Failure::kNone;
  std::string text;
};

template <class T>
struct Outcome {
  std::optional<T> value;
  NetError error;
  explicit operator bool() const { return value.has_value(); }
};

// An address literal to an endpoint; nullopt when it is not numeric.
std::optional<asio::ip::address> parse_address(const std::string& s);

struct Endpoint {
  asio::ip::address address;
  std::uint16_t port = 53;
  std::string to_text() const;
};

// One query over UDP or TCP: the first answer whose id matches `query`'s (and, over UDP,
// that comes from the server asked).
//
// g++ 12 destroys temporaries of a full-expression that contains co_await twice (a
// double free was seen here): coroutines in client/ take their parameters by reference
// or as trivially destructible values, and callers pass no non-trivial temporaries.
asio::awaitable<Outcome<Bytes>> exchange(Endpoint to, Transport t,
                                         std::span<const std::uint8_t> query, Duration timeout);
// The same over TLS (RFC 7858), `params` naming the server for SNI and the checks.
asio::awaitable<Outcome<Bytes>> exchange_tls(Endpoint to, std::span<const std::uint8_t> query,
                                             Duration timeout,
                                             const std::shared_ptr<io::TlsContext>& tls,
                                             const io::TlsClientParams& params);

}  // namespace dnspush::client::net
