// A small blocking DNS client for the command-line tool and tests: one query over UDP,
// TCP or TLS, with an overall timeout. Lives in io/ (not server/) so that the client
// side links neither zone/ nor the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "auth/query_context.hpp"
#include "base/result.hpp"
#include "io/tls_context.hpp"

namespace dnspush::io {

struct ExchangeOptions {
  std::string server = "127.0.0.1";  // IP literal or host name
  std::uint16_t port = 53;
  auth::Transport transport = auth::Transport::kUdp;
  std::chrono::milliseconds timeout{5000};
  std::shared_ptr<TlsContext> tls;  // required for kTls (TlsContext::client)
};

// Sends `query` and returns the first answer whose message id matches it.
Result<std::vector<std::uint8_t>> send_query(const ExchangeOptions& o,
                                             std::span<const std::uint8_t> query);

}  // namespace dnspush::io
