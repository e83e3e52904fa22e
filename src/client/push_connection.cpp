#include "client/push_connection.hpp"

#include <random>

namespace dnspush::client {

using asio::ip::tcp;
using io::detail::kAsTuple;

PushConnection::PushConnection(asio::any_io_executor ex, std::vector<PushTarget> targets,
                               std::shared_ptr<io::TlsContext> tls, PushChannelConfig cfg,
                               EventSink events, FailureSink failures, Duration connect_timeout)
    : ex_(ex),
      targets_(std::move(targets)),
      tls_(std::move(tls)),
      channel_(std::move(cfg),
               [rng = std::make_shared<std::mt19937>(std::random_device{}())] {
                 return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
               }),
      events_(std::move(events)),
      failures_(std::move(failures)),
      connect_timeout_(connect_timeout),
      timer_(ex) {}

std::string PushConnection::describe() const {
  if (targets_.empty()) return "(no target)";
  const auto& t = targets_[current_ % targets_.size()];
  return t.name + ":" + std::to_string(t.port);
}

void PushConnection::start() {
  if (running_) return;
  running_ = true;
  asio::co_spawn(
      ex_, [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void PushConnection::stop() {
  stopped_ = true;
  wake();
}

void PushConnection::wake() {
  timer_.cancel();
}

void PushConnection::add(SubscriptionId id, RecordSet* set) {
  channel_.add(id, set, Clock::now());
  deliver();
  wake();
}

void PushConnection::remove(SubscriptionId id) {
  channel_.remove(id, Clock::now());
  deliver();
  wake();
}

void PushConnection::deliver() {
  while (auto e = channel_.poll_event()) {
    if (auto* st = std::get_if<ChannelStatus>(&*e);
        st && st->state == ChannelStatus::State::kEstablished)
      ever_established_ = true;
    if (events_) events_(*e);
  }
}

asio::awaitable<void> PushConnection::run() {
  auto self = shared_from_this();
  while (!stopped_) {
    const TimePoint now = Clock::now();
    // Between sessions the records age (RFC 8765 §6.3.1) and resyncs end: the channel's
    // timers run here too.
    if (auto t = channel_.next_timeout(); t && *t <= now) {
      channel_.on_timeout(now);
      deliver();
    }
    if (channel_.wants_connection() && channel_.connect_at().value_or(now) <= now) {
      co_await attempt();
      deliver();
      continue;
    }
    timer_.expires_at(channel_.next_timeout().value_or(TimePoint::max()));
    co_await timer_.async_wait(kAsTuple);
  }
  running_ = false;
}

asio::awaitable<void> PushConnection::attempt() {
  using namespace asio::experimental::awaitable_operators;
  ConnectFailure last{net::Failure::kUnreachable, "no address for " + describe(),
                      ever_established_};
  // RFC 8765 §6.1 step 7: the targets in order, starting with the one that worked last.
  for (std::size_t k = 0; k < targets_.size() && !stopped_; ++k) {
    const std::size_t ti = (current_ + k) % targets_.size();
    const PushTarget& t = targets_[ti];
    for (const auto& a : t.addresses) {
      if (stopped_) co_return;
      auto addr = net::parse_address(a);
      if (!addr) continue;
      const net::Endpoint ep{*addr, t.port};
      tcp::socket sock(ex_);
      asio::steady_timer deadline(ex_, connect_timeout_);
      auto c = co_await (sock.async_connect(tcp::endpoint(*addr, t.port), kAsTuple) ||
                         deadline.async_wait(kAsTuple));
      if (c.index() == 1) {
        last = {net::Failure::kTimeout,
                t.name + " (" + ep.to_text() + "): no connection within the timeout",
                ever_established_};
        continue;
      }
      if (auto [ec] = std::get<0>(c); ec) {
        last = {net::Failure::kUnreachable, t.name + " (" + ep.to_text() + "): " + ec.message(),
                ever_established_};
        continue;
      }
      io::TlsClientParams p;
      p.hostname = t.name;
      p.tlsa = t.tlsa;
      if (resume_ && resume_target_ == ti) p.resume = resume_;
      io::detail::TlsStream s(std::move(sock), *tls_, p);
      deadline.expires_after(connect_timeout_);
      auto h = co_await (s.handshake() || deadline.async_wait(kAsTuple));
      std::error_code hec = h.index() == 0 ? std::get<0>(h) : asio::error::timed_out;
      if (hec) {
        const std::string why = s.verify_error();
        if (!why.empty()) {
          last = {net::Failure::kTlsVerify,
                  t.name + " (" + ep.to_text() + "): TLS certificate verification failed: " + why +
                      (t.tlsa.empty() ? "" : " (DANE)"),
                  ever_established_};
        } else {
          last = {h.index() == 0 ? net::Failure::kTls : net::Failure::kTimeout,
                  t.name + " (" + ep.to_text() + "): TLS handshake failed: " + hec.message(),
                  ever_established_};
        }
        s.close();
        continue;
      }
      current_ = ti;
      auth_ = s.dane_authenticated() ? "DANE (TLSA)"
              : tls_->verify()       ? "certificate"
                                     : "none (insecure)";
      channel_.connected(Clock::now());
      deliver();
      co_await session(s);
      if (auto sess = s.session()) {
        resume_ = std::move(sess);
        resume_target_ = ti;
      }
      s.close();
      co_return;
    }
  }
  // The owner first: subscriptions it ends here (a certificate that does not verify) are
  // then not reported as reconnecting.
  if (failures_) failures_(last);
  channel_.connect_failed(last.text, Clock::now());
}

asio::awaitable<void> PushConnection::session(io::detail::TlsStream& s) {
  using namespace asio::experimental::awaitable_operators;
  std::vector<std::uint8_t> buf(16 * 1024);
  std::vector<std::uint8_t> out;
  bool saved_session = false;
  for (;;) {
    // Everything queued goes out in one write (one TLS record train).
    out.clear();
    while (auto f = channel_.poll_transmit()) {
      const auto& m = **f;
      out.push_back(static_cast<std::uint8_t>(m.size() >> 8));
      out.push_back(static_cast<std::uint8_t>(m.size()));
      out.insert(out.end(), m.begin(), m.end());
    }
    if (!out.empty()) {
      if (auto ec = co_await s.write_all(out)) {
        channel_.connection_lost("write failed: " + ec.message(), Clock::now());
      }
    }
    deliver();
    if (channel_.should_close()) co_return;
    if (stopped_) {
      channel_.connection_lost("stopped", Clock::now());
      deliver();
      co_return;
    }
    const auto deadline = channel_.next_timeout();
    timer_.expires_at(deadline.value_or(TimePoint::max()));
    auto v = co_await (s.wait_readable() || timer_.async_wait(kAsTuple));
    const TimePoint now = Clock::now();
    if (v.index() == 0) {
      if (auto ec = std::get<0>(v)) {
        channel_.connection_lost(ec.message(), now);
        continue;
      }
      // Never wait inside the read: a wakeup without application data goes back to
      // waiting with the timers armed (keepalive, retries, record ageing).
      std::error_code ec;
      const std::size_t n = co_await s.read_available(buf, ec);
      if (ec) {
        channel_.connection_lost(
            ec == asio::error::eof ? "the server closed the connection" : ec.message(),
            Clock::now());
        continue;
      }
      if (!saved_session) {
        // TLS 1.3 tickets come after the handshake, with the first records read.
        if (auto sess = s.session()) {
          resume_ = std::move(sess);
          resume_target_ = current_;
          saved_session = true;
        }
      }
      if (n == 0) continue;
      channel_.receive(std::span(buf.data(), n), Clock::now());
    } else if (deadline && now >= *deadline) {
      channel_.on_timeout(now);
    }
  }
}

}  // namespace dnspush::client
