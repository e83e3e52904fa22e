#include "io/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <list>
#include <thread>

#include <condition_variable>
#include <future>
#include <mutex>
#include "io/asio.hpp"

#include "io/connection_limiter.hpp"
#include "io/reply_sink.hpp"
#include "io/stream_connection.hpp"
#include "io/worker.hpp"

namespace dnspush::io {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Opens a socket bound to `e` with SO_REUSEPORT, so that every worker has its own socket
// on the same address and the kernel spreads clients over them.
template <class Socket, class Proto>
Result<void> open_bound(Socket& s, const Endpoint& e) {
  std::error_code ec;
  const auto addr = asio::ip::make_address(e.address, ec);
  if (ec) return fail(Errc::kInvalidConfig, "bad address " + e.to_string());
  const typename Proto::endpoint ep(addr, e.port);
  if (!ec) s.open(ep.protocol(), ec);
  if (!ec) s.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.set_option(ReusePort(true), ec);
  if (!ec && addr.is_v6()) s.set_option(asio::ip::v6_only(true), ec);
  if (!ec) s.bind(ep, ec);
  if (ec) return fail(Errc::kIo, "cannot bind " + e.to_string() + ": " + ec.message());
  return {};
}

constexpr int kLlqSocketBuffer = 4 << 20;

}  // namespace

struct Server::Impl {
  using Worker = detail::Worker;
  using Acceptor = detail::Acceptor;

  ServerOptions opts;
  AsyncHandler handler;
  ConnectionLimiter limiter;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<BoundAddress> bound;
  std::atomic<bool> stopped{false};
  bool started = false;

  // Refusals are logged at most once a second per worker, with a count of the rest.
  struct RefusalLog {
    std::chrono::steady_clock::time_point last{};
    std::size_t suppressed = 0;
  };

  Impl(ServerOptions o, AsyncHandler h)
      : opts(std::move(o)),
        handler(std::move(h)),
        limiter(opts.max_connections, opts.max_connections_per_address) {}

  detail::StreamOptions stream_options() {
    detail::StreamOptions so;
    so.server = &opts;
    so.handler = &handler;
    so.limiter = &limiter;
    return so;
  }

  Result<void> bind_all();
  Result<void> bind_once();
  asio::awaitable<void> accept_loop(Acceptor& a, Worker& w);
};

Result<void> Server::Impl::bind_all() {
  // With port 0 the UDP socket picks the port and TCP must get the same one, which
  // another socket (e.g. a client connection's local port) may already hold: pick again.
  // Bounded; a fixed port that is taken fails on the first try.
  bool any_port_zero = false;
  for (const auto& e : opts.dns) any_port_zero = any_port_zero || e.port == 0;
  for (const auto& e : opts.tls) any_port_zero = any_port_zero || e.port == 0;
  for (const auto& e : opts.llq) any_port_zero = any_port_zero || e.port == 0;
  Result<void> r;
  for (int attempt = 0; attempt < (any_port_zero ? 32 : 1); ++attempt) {
    workers.clear();
    bound.clear();
    r = bind_once();
    if (r) return r;
  }
  return r;
}

Result<void> Server::Impl::bind_once() {
  // Worker 0 binds first; if port 0 was asked for, the others reuse the port it got.
  std::vector<Endpoint> dns = opts.dns, tls = opts.tls, llq = opts.llq;
  for (unsigned w = 0; w < opts.workers; ++w) {
    auto worker = std::make_unique<Worker>(w, stream_options());
    std::uint16_t udp_index = 0;
    for (auto& e : dns) {
      udp::socket u(worker->ctx);
      if (auto r = open_bound<udp::socket, udp>(u, e); !r) return r;
      if (e.port == 0) e.port = u.local_endpoint().port();
      worker->udp.emplace_back(*worker, std::move(u), udp_index++);
      auto& a = worker->acceptors.emplace_back(Acceptor{tcp::acceptor(worker->ctx), false});
      if (auto r = open_bound<tcp::acceptor, tcp>(a.socket, e); !r) return r;
      std::error_code ec;
      a.socket.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return fail(Errc::kIo, "cannot listen on " + e.to_string() + ": " + ec.message());
      if (w == 0) {
        bound.push_back({"udp", e});
        bound.push_back({"tcp", e});
      }
    }
    // LLQ (RFC 8764): UDP only, every datagram to the session app's datagram side first.
    for (auto& e : llq) {
      udp::socket u(worker->ctx);
      if (auto r = open_bound<udp::socket, udp>(u, e); !r) return r;
      if (e.port == 0) e.port = u.local_endpoint().port();
      // A change to N LLQs is N events out and N acknowledgements back at once: with the
      // default buffers (208 KiB) acknowledgements are dropped past ~250 and their events
      // resent 2 s later (measured, BENCHMARKS.md "LLQ"). The kernel caps these at
      // net.core.rmem_max / wmem_max.
      std::error_code ignored;
      u.set_option(asio::socket_base::receive_buffer_size(kLlqSocketBuffer), ignored);
      u.set_option(asio::socket_base::send_buffer_size(kLlqSocketBuffer), ignored);
      worker->udp.emplace_back(*worker, std::move(u), udp_index++, true);
      if (w == 0) bound.push_back({"llq", e});
    }
    for (auto& e : tls) {
      auto& a = worker->acceptors.emplace_back(Acceptor{tcp::acceptor(worker->ctx), true});
      if (auto r = open_bound<tcp::acceptor, tcp>(a.socket, e); !r) return r;
      std::error_code ec;
      a.socket.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return fail(Errc::kIo, "cannot listen on " + e.to_string() + ": " + ec.message());
      if (e.port == 0) e.port = a.socket.local_endpoint().port();
      if (w == 0) bound.push_back({"tls", e});
    }
    workers.push_back(std::move(worker));
  }
  return {};
}

asio::awaitable<void> Server::Impl::accept_loop(Acceptor& a, Worker& w) {
  RefusalLog log;
  asio::steady_timer backoff(a.socket.get_executor());
  for (;;) {
    auto [ec, sock] = co_await a.socket.async_accept(detail::kAsTuple);
    if (ec == asio::error::operation_aborted || !a.socket.is_open()) co_return;
    if (ec) {
      // Out of file descriptors (EMFILE/ENFILE) or the like: pause instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(detail::kAsTuple);
      continue;
    }
    std::error_code pec;
    const auto peer = sock.remote_endpoint(pec);
    if (pec) continue;  // already reset by the client
    const auto client = detail::client_address(peer.address(), peer.port());
    ConnectionLimiter::Refusal why{};
    auto ticket = limiter.try_acquire(client, &why);
    // At max-connections, room is made by closing this worker's connection that has been
    // idle (or stuck in a message) the longest (RFC 7766 §6.2.3), so a flood of idle or
    // trickling connections cannot lock new clients out. Bounded: a few tries.
    for (int tries = 0; !ticket && why == ConnectionLimiter::Refusal::kTotal && tries < 4;
         ++tries) {
      if (opts.metrics)
        opts.metrics->add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxConnections));
      if (!w.evict_one()) break;
      if (auto t = limiter.try_acquire(client, &why)) ticket.emplace(std::move(*t));
    }
    if (!ticket) {
      if (opts.metrics) {
        opts.metrics->add(Counter::kLimitHits,
                          static_cast<std::size_t>(why == ConnectionLimiter::Refusal::kTotal
                                                       ? Limit::kMaxConnections
                                                       : Limit::kMaxConnectionsPerAddress));
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - log.last >= std::chrono::seconds(1)) {
        spdlog::warn("closing new {} connection from {}: {} ({} more refused since last report)",
                     a.tls ? "tls" : "tcp", peer.address().to_string(),
                     why == ConnectionLimiter::Refusal::kTotal
                         ? fmt::format("max-connections ({}) reached", opts.max_connections)
                         : fmt::format("max-connections-per-address ({}) reached",
                                       opts.max_connections_per_address),
                     log.suppressed);
        log.last = now;
        log.suppressed = 0;
      } else {
        ++log.suppressed;
      }
      std::error_code ignored;
      sock.close(ignored);
      continue;
    }
    std::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    w.adopt(std::move(sock), a.tls, client, std::move(*ticket));
  }
}

Result<std::unique_ptr<Server>> Server::create(ServerOptions options, Handler handler) {
  return create(std::move(options), detail::make_async(std::move(handler)));
}

Result<std::unique_ptr<Server>> Server::create(ServerOptions options, AsyncHandler handler) {
  if (!options.tls.empty() && !options.tls_context) {
    return fail(Errc::kInvalidConfig, "TLS listeners need a certificate");
  }
  if (options.workers == 0) options.workers = 1;
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  if (auto r = impl->bind_all(); !r) return tl::unexpected(r.error());
  if (impl->opts.session_app) {
    for (auto& w : impl->workers) w->app = impl->opts.session_app(*w);
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

const std::vector<BoundAddress>& Server::bound() const {
  return impl_->bound;
}

void Server::start() {
  if (impl_->started) return;
  impl_->started = true;
  for (auto& w : impl_->workers) {
    for (auto& u : w->udp) u.start();
    for (auto& a : w->acceptors) {
      asio::co_spawn(w->ctx, impl_->accept_loop(a, *w), asio::detached);
    }
    w->thread = std::thread([ctx = &w->ctx] { ctx->run(); });
  }
}

void Server::stop() {
  if (impl_->stopped.exchange(true)) return;
  // Replies completed from now on are dropped instead of posted to a dying loop.
  for (auto& w : impl_->workers) w->gate->close();
  for (auto& w : impl_->workers) w->ctx.stop();
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  // Destroying the contexts destroys every suspended coroutine and so every connection.
  impl_->workers.clear();
}

std::size_t Server::connection_count() const {
  return impl_->limiter.total();
}

unsigned Server::workers() const {
  return static_cast<unsigned>(impl_->workers.size());
}

std::vector<ConnectionSummary> Server::connections(std::size_t max,
                                                   std::chrono::milliseconds wait) {
  struct Shared {
    std::mutex m;
    std::condition_variable cv;
    std::vector<ConnectionSummary> out;
    unsigned answered = 0;
  };
  auto sh = std::make_shared<Shared>();
  unsigned asked = 0;
  for (unsigned w = 0; w < workers(); ++w) {
    if (post(w, [sh, wp = impl_->workers[w].get(), max] {
          auto part = wp->summaries(max);
          std::lock_guard lock(sh->m);
          for (auto& c : part) {
            if (sh->out.size() < max) sh->out.push_back(c);
          }
          ++sh->answered;
          sh->cv.notify_all();
        })) {
      ++asked;
    }
  }
  std::unique_lock lock(sh->m);
  sh->cv.wait_for(lock, wait, [&] { return sh->answered == asked; });
  return sh->out;
}

bool Server::close_connection(ConnectionId id) {
  const unsigned w = static_cast<unsigned>(id >> 48);  // Worker numbers its connections so
  if (w >= workers()) return false;
  auto found = std::make_shared<std::promise<bool>>();
  auto f = found->get_future();
  if (!post(w, [found, wp = impl_->workers[w].get(), id] { found->set_value(wp->close(id)); })) {
    return false;
  }
  return f.wait_for(std::chrono::seconds(2)) == std::future_status::ready && f.get();
}

bool Server::post(unsigned w, std::function<void()> task) {
  if (w >= impl_->workers.size() || impl_->stopped) return false;
  return impl_->workers[w]->gate->post(std::move(task));
}

void Server::drain(std::chrono::milliseconds retry_delay, std::chrono::milliseconds grace) {
  if (impl_->stopped || !impl_->started) return;
  // No new clients: close the listeners, then let every connection wind down.
  for (auto& w : impl_->workers) {
    w->gate->post([wp = w.get(), retry_delay] {
      for (auto& a : wp->acceptors) {
        std::error_code ignored;
        a.socket.close(ignored);
      }
      wp->drain(retry_delay);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline && impl_->limiter.total() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace dnspush::io
