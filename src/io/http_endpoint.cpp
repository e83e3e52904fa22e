#include "io/http_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "io/asio.hpp"

namespace dnspush::io {

using asio::ip::tcp;

std::optional<HttpRequestLine> parse_request_line(std::string_view head) {
  const auto eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return std::nullopt;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return std::nullopt;
  if (line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) return std::nullopt;
  HttpRequestLine r;
  r.method = line.substr(0, sp1);
  r.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (const auto q = r.path.find('?'); q != std::string_view::npos) r.path = r.path.substr(0, q);
  return r;
}

namespace {

std::string response(int status, std::string_view reason, const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += r.body;
  return out;
}

}  // namespace

struct HttpEndpoint::Impl {
  std::size_t active = 0;  // loop thread only; declared first: the frames ctx destroys use it
  asio::io_context ctx{1};
  tcp::acceptor acceptor{ctx};
  Endpoint bound;
  Handler handler;
  std::chrono::milliseconds timeout;
  std::thread thread;
  bool stopped = false;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(detail::kAsTuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      if (active >= kMaxConnections) {
        std::error_code ignored;
        sock.close(ignored);  // the bound: a scraper retries at its next interval
        continue;
      }
      ++active;
      asio::co_spawn(ctx, serve(std::move(sock)), asio::detached);
    }
  }

  std::string answer(const std::string& head) const {
    static const HttpResponse kEmpty;
    if (head.size() > kMaxRequest) return response(431, "Request Header Fields Too Large", kEmpty);
    const auto line = parse_request_line(head);
    if (!line) return response(400, "Bad Request", kEmpty);
    if (line->method != "GET" && line->method != "HEAD") {
      return response(405, "Method Not Allowed", kEmpty);
    }
    const auto r = handler(line->path);
    if (!r) return response(404, "Not Found", kEmpty);
    std::string out = response(200, "OK", *r);
    if (line->method == "HEAD") out.resize(out.size() - r->body.size());
    return out;
  }

  asio::awaitable<void> serve(tcp::socket sock) {
    struct Release {
      std::size_t& n;
      ~Release() { --n; }
    } release{active};
    auto s = std::make_shared<tcp::socket>(std::move(sock));
    asio::steady_timer deadline(ctx);
    deadline.expires_after(timeout);
    deadline.async_wait([s](std::error_code ec) {
      if (!ec) {
        std::error_code ignored;
        s->close(ignored);  // too slow: the pending read fails
      }
    });
    // No temporaries inside co_await expressions (g++ 12 destroys some twice): the
    // answer is made by a plain function into a local.
    std::string head;
    std::array<char, 1024> buf;
    std::string out;
    while (head.find("\r\n\r\n") == std::string::npos) {
      auto [ec, n] = co_await s->async_read_some(asio::buffer(buf), detail::kAsTuple);
      if (ec) co_return;
      head.append(buf.data(), n);
      if (head.size() > kMaxRequest) break;
    }
    out = answer(head);
    co_await asio::async_write(*s, asio::buffer(out), detail::kAsTuple);
    deadline.cancel();
    std::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  }
};

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::create(const Endpoint& listen, Handler handler,
                                                           std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->timeout = timeout;
  std::error_code ec;
  const auto addr = asio::ip::make_address(listen.address, ec);
  if (ec)
    return fail(Errc::kInvalidConfig, "metrics listen " + listen.to_string() + ": " + ec.message());
  const tcp::endpoint ep(addr, listen.port);
  auto& a = impl->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(16, ec);
  if (ec) return fail(Errc::kIo, "cannot listen on " + listen.to_string() + ": " + ec.message());
  impl->bound = listen;
  impl->bound.port = a.local_endpoint().port();
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(impl)));
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpEndpoint::~HttpEndpoint() {
  stop();
}

const Endpoint& HttpEndpoint::bound() const {
  return impl_->bound;
}

void HttpEndpoint::start() {
  if (impl_->thread.joinable() || impl_->stopped) return;
  asio::co_spawn(impl_->ctx, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ctx.run(); });
}

void HttpEndpoint::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->ctx, [this] {
    std::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->ctx.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace dnspush::io
