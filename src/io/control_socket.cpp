#include "io/control_socket.hpp"

#include <sys/stat.h>

#include <thread>

#include "io/asio.hpp"

namespace dnspush::io {

using asio::local::stream_protocol;

struct ControlSocket::Impl {
  std::size_t active = 0;  // loop thread only; declared first: the frames ctx destroys use it
  asio::io_context ctx{1};
  stream_protocol::acceptor acceptor{ctx};
  std::filesystem::path path;
  Handler handler;
  std::chrono::milliseconds timeout{};
  std::thread thread;
  bool stopped = false;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(detail::kAsTuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;
      if (active >= kMaxConnections) {
        std::error_code ignored;
        sock.close(ignored);
        continue;
      }
      ++active;
      asio::co_spawn(ctx, serve(std::move(sock)), asio::detached);
    }
  }

  // No temporaries inside co_await expressions (g++ 12 destroys some twice).
  asio::awaitable<void> serve(stream_protocol::socket sock) {
    struct Release {
      std::size_t& n;
      ~Release() { --n; }
    } release{active};
    auto s = std::make_shared<stream_protocol::socket>(std::move(sock));
    asio::steady_timer deadline(ctx);
    deadline.expires_after(timeout);
    deadline.async_wait([s](std::error_code ec) {
      if (!ec) {
        std::error_code ignored;
        s->close(ignored);
      }
    });
    std::string line;
    std::array<char, 512> buf;
    std::string out;
    while (line.find('\n') == std::string::npos && line.size() <= kMaxLine) {
      auto [ec, n] = co_await s->async_read_some(asio::buffer(buf), detail::kAsTuple);
      if (ec && ec != asio::error::eof) co_return;
      line.append(buf.data(), n);
      if (ec) break;  // end of stream: the line is what came
    }
    if (line.size() > kMaxLine) {
      out = "error: command longer than " + std::to_string(kMaxLine) + " bytes\n";
    } else {
      line = line.substr(0, line.find('\n'));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out = handler(line);
    }
    co_await asio::async_write(*s, asio::buffer(out), detail::kAsTuple);
    deadline.cancel();
    std::error_code ignored;
    s->close(ignored);
  }
};

Result<std::unique_ptr<ControlSocket>> ControlSocket::create(const std::filesystem::path& path,
                                                             Handler handler,
                                                             std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->handler = std::move(handler);
  impl->timeout = timeout;
  std::error_code ec;
  std::filesystem::remove(path, ec);
  auto& a = impl->acceptor;
  a.open(stream_protocol(), ec);
  if (!ec) {
    // Owner-only from the first moment: bind creates the file under this umask.
    const mode_t old = ::umask(0077);
    a.bind(stream_protocol::endpoint(path.string()), ec);
    ::umask(old);
  }
  if (!ec) a.listen(8, ec);
  if (!ec && ::chmod(path.c_str(), 0600) != 0) ec = std::error_code(errno, std::generic_category());
  if (ec) return fail(Errc::kIo, "control socket " + path.string() + ": " + ec.message());
  return std::unique_ptr<ControlSocket>(new ControlSocket(std::move(impl)));
}

ControlSocket::ControlSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlSocket::~ControlSocket() {
  stop();
}

void ControlSocket::start() {
  if (impl_->thread.joinable() || impl_->stopped) return;
  asio::co_spawn(impl_->ctx, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ctx.run(); });
}

void ControlSocket::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->ctx.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::error_code ec;
  impl_->acceptor.close(ec);
  std::filesystem::remove(impl_->path, ec);
}

}  // namespace dnspush::io
