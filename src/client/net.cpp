#include "client/net.hpp"

#include "io/tcp_stream.hpp"
#include "io/tls_stream.hpp"

namespace dnspush::client::net {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using io::detail::kAsTuple;

bool same_id(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() >= 2 && b.size() >= 2 && a[0] == b[0] && a[1] == b[1];
}

template <class T>
Outcome<T> failed(Failure f, std::string text) {
  Outcome<T> o;
  o.error = {f, std::move(text)};
  return o;
}

Failure classify(const std::error_code& ec) {
  if (ec == asio::error::timed_out) return Failure::kTimeout;
  return Failure::kUnreachable;
}

asio::awaitable<Outcome<Bytes>> udp_exchange(Endpoint to, std::span<const std::uint8_t> query) {
  auto ex = co_await asio::this_coro::executor;
  const udp::endpoint ep(to.address, to.port);
  udp::socket s(ex);
  std::error_code ec;
  s.open(ep.protocol(), ec);
  if (ec) co_return failed<Bytes>(Failure::kUnreachable, ec.message());
  auto [sec, n] = co_await s.async_send_to(asio::buffer(query.data(), query.size()), ep, kAsTuple);
  if (sec) co_return failed<Bytes>(classify(sec), sec.message());
  Bytes buf(65535);
  for (;;) {
    udp::endpoint from;
    auto [rec, got] = co_await s.async_receive_from(asio::buffer(buf), from, kAsTuple);
    if (rec) co_return failed<Bytes>(classify(rec), rec.message());
    // Only the server we asked, with our id (RFC 5452 §9.1).
    if (from != ep || !same_id(std::span(buf.data(), got), query)) continue;
    buf.resize(got);
    Outcome<Bytes> o;
    o.value = std::move(buf);
    co_return o;
  }
}

template <class Stream>
asio::awaitable<Outcome<Bytes>> stream_exchange(Stream& s, std::span<const std::uint8_t> query) {
  Bytes framed{static_cast<std::uint8_t>(query.size() >> 8),
               static_cast<std::uint8_t>(query.size())};
  framed.insert(framed.end(), query.begin(), query.end());
  if (auto ec = co_await s.write_all(framed)) co_return failed<Bytes>(classify(ec), ec.message());
  Bytes in;
  std::uint8_t chunk[4096];
  for (;;) {
    // RFC 7766 §8: each message has its 2-byte length; answers may come in any order.
    while (in.size() >= 2) {
      const std::size_t len = (std::size_t{in[0]} << 8) | in[1];
      if (in.size() < 2 + len) break;
      Bytes msg(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      in.erase(in.begin(), in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
      if (same_id(msg, query)) {
        Outcome<Bytes> o;
        o.value = std::move(msg);
        co_return o;
      }
    }
    std::error_code ec;
    const std::size_t n = co_await s.read_some(chunk, ec);
    if (ec) {
      co_return failed<Bytes>(Failure::kUnreachable, ec == asio::error::eof
                                                         ? "connection closed by the server"
                                                         : ec.message());
    }
    in.insert(in.end(), chunk, chunk + n);
  }
}

asio::awaitable<Outcome<Bytes>> run(Endpoint to, Transport t, std::span<const std::uint8_t> query,
                                    const std::shared_ptr<io::TlsContext>* tls,
                                    const io::TlsClientParams* params) {
  if (t == Transport::kUdp) co_return co_await udp_exchange(to, query);
  auto ex = co_await asio::this_coro::executor;
  tcp::socket sock(ex);
  auto [cec] = co_await sock.async_connect(tcp::endpoint(to.address, to.port), kAsTuple);
  if (cec)
    co_return failed<Bytes>(classify(cec),
                            "cannot connect to " + to.to_text() + ": " + cec.message());
  if (t == Transport::kTcp) {
    io::detail::TcpStream s(std::move(sock));
    co_return co_await stream_exchange(s, query);
  }
  if (tls == nullptr || !*tls || params == nullptr)
    co_return failed<Bytes>(Failure::kTls, "TLS needs a client context");
  io::detail::TlsStream s(std::move(sock), **tls, *params);
  if (auto ec = co_await s.handshake()) {
    const std::string why = s.verify_error();
    s.close();
    if (!why.empty())
      co_return failed<Bytes>(Failure::kTlsVerify, "TLS: certificate verification failed: " + why);
    co_return failed<Bytes>(Failure::kTls, "TLS handshake failed: " + ec.message());
  }
  auto r = co_await stream_exchange(s, query);
  s.close();
  co_return r;
}

}  // namespace

std::optional<asio::ip::address> parse_address(const std::string& s) {
  std::error_code ec;
  auto a = asio::ip::make_address(s, ec);
  if (ec) return std::nullopt;
  return a;
}

std::string Endpoint::to_text() const {
  const std::string a = address.to_string();
  return address.is_v6() ? "[" + a + "]:" + std::to_string(port) : a + ":" + std::to_string(port);
}

namespace {

asio::awaitable<Outcome<Bytes>> with_deadline(Endpoint to, Transport t,
                                              std::span<const std::uint8_t> query, Duration timeout,
                                              const std::shared_ptr<io::TlsContext>* tls,
                                              const io::TlsClientParams* params) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto op = run(to, t, query, tls, params);  // not in the co_await expression (net.hpp)
  auto v = co_await (std::move(op) || timer.async_wait(kAsTuple));
  if (v.index() == 0) co_return std::move(std::get<0>(v));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  co_return failed<Bytes>(Failure::kTimeout, "no answer from " + to.to_text() + " within " +
                                                 std::to_string(ms) + " ms");
}

}  // namespace

asio::awaitable<Outcome<Bytes>> exchange(Endpoint to, Transport t,
                                         std::span<const std::uint8_t> query, Duration timeout) {
  co_return co_await with_deadline(to, t, query, timeout, nullptr, nullptr);
}

asio::awaitable<Outcome<Bytes>> exchange_tls(Endpoint to, std::span<const std::uint8_t> query,
                                             Duration timeout,
                                             const std::shared_ptr<io::TlsContext>& tls,
                                             const io::TlsClientParams& params) {
  co_return co_await with_deadline(to, Transport::kTls, query, timeout, &tls, &params);
}

}  // namespace dnspush::client::net
