// Helpers for io/ tests: a fake handler, a server on 127.0.0.1 port 0, blocking sockets
// with timeouts (every wait in these tests is bounded).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/server.hpp"

namespace dnspush::io::test {

using Bytes = std::vector<std::uint8_t>;

// A 12-byte "query" with the given id; the fake handler answers with QR set and the
// transport and idle timeout it was told appended.
inline Bytes make_query(std::uint16_t id) {
  Bytes q(12, 0);
  q[0] = static_cast<std::uint8_t>(id >> 8);
  q[1] = static_cast<std::uint8_t>(id);
  return q;
}

inline Handler echo_handler() {
  return [](std::span<const std::uint8_t> q, const auth::QueryContext& ctx, Bytes& out) {
    if (q.size() < 12) return false;
    out.assign(q.begin(), q.end());
    out[2] |= 0x80;
    out.push_back(static_cast<std::uint8_t>(ctx.transport));
    out.push_back(static_cast<std::uint8_t>(ctx.tcp_idle_timeout.count() / 1000));
    return true;
  };
}

inline std::uint16_t id_of(const Bytes& m) {
  return static_cast<std::uint16_t>(m[0] << 8 | m[1]);
}

inline std::uint16_t port_of(const Server& s, const std::string& proto) {
  for (const auto& b : s.bound()) {
    if (b.protocol == proto) return b.endpoint.port;
  }
  return 0;
}

inline std::unique_ptr<Server> start_server(ServerOptions o, Handler h = echo_handler()) {
  if (o.dns.empty() && o.tls.empty()) o.dns.push_back(*Endpoint::parse("127.0.0.1:0"));
  auto s = Server::create(std::move(o), std::move(h));
  if (!s) return nullptr;
  (*s)->start();
  return std::move(*s);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  int get() const { return fd_; }

 private:
  int fd_;
};

inline Fd connect_tcp(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return Fd();
  }
  return Fd(fd);
}

inline Bytes frame(const Bytes& m) {
  Bytes f(2 + m.size());
  f[0] = static_cast<std::uint8_t>(m.size() >> 8);
  f[1] = static_cast<std::uint8_t>(m.size());
  std::copy(m.begin(), m.end(), f.begin() + 2);
  return f;
}

// Reads up to `n` bytes within `timeout`; returns what arrived. `eof` is set when the peer
// closed (or reset) the connection.
inline Bytes read_for(int fd, std::size_t n, std::chrono::milliseconds timeout, bool* eof) {
  Bytes got;
  if (eof) *eof = false;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (got.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    std::uint8_t buf[65536];
    const ssize_t r = ::recv(fd, buf, std::min(sizeof buf, n - got.size()), 0);
    if (r <= 0) {
      if (eof) *eof = true;
      break;
    }
    got.insert(got.end(), buf, buf + r);
  }
  return got;
}

// Parses length-prefixed messages out of a byte stream.
inline std::vector<Bytes> unframe(const Bytes& stream) {
  std::vector<Bytes> out;
  std::size_t off = 0;
  while (stream.size() - off >= 2) {
    const std::size_t len = std::size_t{stream[off]} << 8 | stream[off + 1];
    if (stream.size() - off - 2 < len) break;
    out.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(off + 2),
                     stream.begin() + static_cast<std::ptrdiff_t>(off + 2 + len));
    off += 2 + len;
  }
  return out;
}

}  // namespace dnspush::io::test
