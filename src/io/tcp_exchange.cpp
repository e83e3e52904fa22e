#include "io/tcp_exchange.hpp"

#include <optional>

#include "io/asio.hpp"

namespace dnspush::io {

using asio::ip::tcp;
using detail::kAsTuple;

struct TcpExchange::Impl {
  explicit Impl(asio::io_context& ctx) : sock(ctx), timer(ctx) {}

  tcp::socket sock;
  asio::steady_timer timer;
  bool cancelled = false;
  bool sent = false;
  OnMessage on_message;
  OnEnd on_end;

  void end(Result<void> r) {
    if (cancelled) return;
    cancelled = true;  // exactly one ending
    close();
    if (auto cb = std::move(on_end)) cb(std::move(r));
  }
  void close() {
    std::error_code ignored;
    timer.cancel();
    if (sock.is_open()) {
      sock.shutdown(asio::socket_base::shutdown_both, ignored);
      sock.close(ignored);
    }
  }
};

namespace {

asio::awaitable<void> run(std::shared_ptr<TcpExchange::Impl> self, tcp::endpoint to,
                          std::vector<std::uint8_t> request,
                          std::chrono::milliseconds connect_timeout) {
  using namespace asio::experimental::awaitable_operators;
  self->timer.expires_after(connect_timeout);
  auto v = co_await (self->sock.async_connect(to, kAsTuple) || self->timer.async_wait(kAsTuple));
  if (self->cancelled) co_return;
  if (v.index() == 1) {
    self->end(fail(Errc::kIo, "connect timed out"));
    co_return;
  }
  if (auto [ec] = std::get<0>(v); ec) {
    self->end(fail(Errc::kIo, "cannot connect: " + ec.message()));
    co_return;
  }
  // RFC 7766 §8: the length prefix and the message in one write.
  std::vector<std::uint8_t> framed;
  framed.reserve(request.size() + 2);
  framed.push_back(static_cast<std::uint8_t>(request.size() >> 8));
  framed.push_back(static_cast<std::uint8_t>(request.size()));
  framed.insert(framed.end(), request.begin(), request.end());
  auto [wec, wn] = co_await asio::async_write(self->sock, asio::buffer(framed), kAsTuple);
  (void)wn;
  if (self->cancelled) co_return;
  if (wec) {
    self->end(fail(Errc::kIo, "write: " + wec.message()));
    co_return;
  }
  self->sent = true;
  // At most one message and its prefix are ever buffered.
  std::vector<std::uint8_t> buf(2 + 65535);
  std::size_t have = 0;
  for (;;) {
    while (have >= 2) {
      const std::size_t len = (std::size_t{buf[0]} << 8) | buf[1];
      if (have < 2 + len) break;
      if (!self->on_message(std::span(buf.data() + 2, len))) {
        self->end({});
        co_return;
      }
      if (self->cancelled) co_return;
      std::copy(buf.begin() + static_cast<std::ptrdiff_t>(2 + len),
                buf.begin() + static_cast<std::ptrdiff_t>(have), buf.begin());
      have -= 2 + len;
    }
    auto [rec, n] = co_await self->sock.async_read_some(
        asio::buffer(buf.data() + have, buf.size() - have), kAsTuple);
    if (self->cancelled) co_return;
    if (rec) {
      self->end(fail(Errc::kIo, rec == asio::error::eof ? std::string("connection closed by peer")
                                                        : rec.message()));
      co_return;
    }
    have += n;
  }
}

}  // namespace

std::shared_ptr<TcpExchange> TcpExchange::start(Loop& loop, const Endpoint& to,
                                                std::vector<std::uint8_t> request,
                                                OnMessage on_message, OnEnd on_end,
                                                std::chrono::milliseconds connect_timeout) {
  auto impl = std::make_shared<Impl>(loop.context());
  impl->on_message = std::move(on_message);
  impl->on_end = std::move(on_end);
  std::error_code ec;
  const auto addr = asio::ip::make_address(to.address, ec);
  auto ex = std::shared_ptr<TcpExchange>(new TcpExchange(impl));
  if (ec) {
    // Reported from the loop, like every other ending, never from inside start().
    asio::post(loop.context(), [impl, a = to.address] {
      impl->end(fail(Errc::kInvalidConfig, "not an IP address: " + a));
    });
    return ex;
  }
  asio::co_spawn(loop.context(),
                 run(impl, tcp::endpoint(addr, to.port), std::move(request), connect_timeout),
                 asio::detached);
  return ex;
}

TcpExchange::TcpExchange(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpExchange::~TcpExchange() {
  cancel();
}

bool TcpExchange::sent() const {
  return impl_ && impl_->sent;
}

void TcpExchange::cancel() {
  if (!impl_ || impl_->cancelled) return;
  // The callbacks stay until the coroutine ends: cancel() may be called from inside one.
  impl_->cancelled = true;
  impl_->close();
}

}  // namespace dnspush::io
