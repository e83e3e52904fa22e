// The byte-stream interface a connection is written against (internal to io/), here over
// plain TCP; tls_stream.hpp provides the same members over TLS.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

#include "io/asio.hpp"

namespace dnspush::io::detail {

class TcpStream {
 public:
  explicit TcpStream(asio::ip::tcp::socket s) : sock_(std::move(s)) {}

  asio::ip::tcp::socket& socket() { return sock_; }
  asio::awaitable<std::error_code> handshake() { co_return std::error_code{}; }

  // Completes when a read would not block, so idle connections hold no read buffer.
  asio::awaitable<std::error_code> wait_readable() {
    auto [ec] = co_await sock_.async_wait(asio::socket_base::wait_read, kAsTuple);
    co_return ec;
  }
  asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buf, std::error_code& ec) {
    auto [e, n] = co_await sock_.async_read_some(asio::buffer(buf.data(), buf.size()), kAsTuple);
    ec = e;
    co_return n;
  }
  asio::awaitable<std::error_code> write_all(std::span<const std::uint8_t> buf) {
    auto [e, n] = co_await asio::async_write(sock_, asio::buffer(buf.data(), buf.size()), kAsTuple);
    co_return e;
  }
  void close() {
    std::error_code ignored;
    sock_.shutdown(asio::socket_base::shutdown_both, ignored);
    sock_.close(ignored);
  }

 private:
  asio::ip::tcp::socket sock_;
};

}  // namespace dnspush::io::detail
