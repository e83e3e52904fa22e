#include "io/client.hpp"

#include <optional>

#include "io/asio.hpp"
#include "io/tcp_stream.hpp"
#include "io/tls_stream.hpp"

namespace dnspush::io {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using detail::kAsTuple;
using Bytes = std::vector<std::uint8_t>;

bool same_id(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() >= 2 && b.size() >= 2 && a[0] == b[0] && a[1] == b[1];
}

template <class Stream>
asio::awaitable<Result<Bytes>> stream_exchange(Stream& s, std::span<const std::uint8_t> query) {
  if (auto ec = co_await s.handshake()) co_return fail(Errc::kIo, "TLS: " + ec.message());
  Bytes framed;
  framed.push_back(static_cast<std::uint8_t>(query.size() >> 8));
  framed.push_back(static_cast<std::uint8_t>(query.size()));
  framed.insert(framed.end(), query.begin(), query.end());
  if (auto ec = co_await s.write_all(framed)) co_return fail(Errc::kIo, ec.message());
  Bytes in;
  std::size_t used = 0;
  std::uint8_t chunk[4096];
  for (;;) {
    while (used >= 2) {
      const std::size_t len = (std::size_t{in[0]} << 8) | in[1];
      if (used < 2 + len) break;
      Bytes msg(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      if (same_id(msg, query)) co_return msg;
      in.erase(in.begin(), in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      used = in.size();
    }
    std::error_code ec;
    const std::size_t n = co_await s.read_some(chunk, ec);
    if (ec) {
      co_return fail(Errc::kIo,
                     ec == asio::error::eof ? "connection closed by server" : ec.message());
    }
    in.insert(in.end(), chunk, chunk + n);
    used = in.size();
  }
}

asio::awaitable<Result<Bytes>> udp_exchange(udp::socket& s, const udp::endpoint& to,
                                            std::span<const std::uint8_t> query) {
  auto [ec, n] = co_await s.async_send_to(asio::buffer(query.data(), query.size()), to, kAsTuple);
  if (ec) co_return fail(Errc::kIo, ec.message());
  Bytes buf(65535);
  for (;;) {
    udp::endpoint from;
    auto [rec, got] = co_await s.async_receive_from(asio::buffer(buf), from, kAsTuple);
    if (rec) co_return fail(Errc::kIo, rec.message());
    // Only the server we asked, with our id (RFC 5452 §9.1 in spirit).
    if (from != to || !same_id(std::span(buf.data(), got), query)) continue;
    buf.resize(got);
    co_return buf;
  }
}

asio::awaitable<Result<Bytes>> run(const ExchangeOptions& o, std::span<const std::uint8_t> query) {
  auto ex = co_await asio::this_coro::executor;
  std::error_code ec;
  auto addr = asio::ip::make_address(o.server, ec);
  if (ec) {
    tcp::resolver r(ex);
    auto [rec, results] = co_await r.async_resolve(o.server, "", kAsTuple);
    if (rec || results.empty()) {
      co_return fail(Errc::kIo, "cannot resolve " + o.server + ": " + rec.message());
    }
    addr = results.begin()->endpoint().address();
  }
  if (o.transport == auth::Transport::kUdp) {
    const udp::endpoint to(addr, o.port);
    udp::socket s(ex, to.protocol());
    co_return co_await udp_exchange(s, to, query);
  }
  tcp::socket sock(ex);
  auto [cec] = co_await sock.async_connect(tcp::endpoint(addr, o.port), kAsTuple);
  if (cec) co_return fail(Errc::kIo, "cannot connect: " + cec.message());
  if (o.transport == auth::Transport::kTcp) {
    detail::TcpStream s(std::move(sock));
    co_return co_await stream_exchange(s, query);
  }
  if (!o.tls) co_return fail(Errc::kInvalidConfig, "TLS needs a client context");
  detail::TlsStream s(std::move(sock), *o.tls, detail::TlsStream::Role::kClient);
  auto r = co_await stream_exchange(s, query);
  s.close();
  co_return r;
}

}  // namespace

Result<Bytes> send_query(const ExchangeOptions& o, std::span<const std::uint8_t> query) {
  using namespace asio::experimental::awaitable_operators;
  asio::io_context ctx(1);
  std::optional<Result<Bytes>> result;
  auto with_timeout = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor, o.timeout);
    auto v = co_await (run(o, query) || timer.async_wait(kAsTuple));
    if (v.index() == 0) {
      result = std::move(std::get<0>(v));
    } else {
      result = fail(Errc::kIo, "timed out");
    }
  };
  asio::co_spawn(ctx, with_timeout(), asio::detached);
  ctx.run();
  if (!result) return fail(Errc::kIo, "no result");
  return std::move(*result);
}

}  // namespace dnspush::io
