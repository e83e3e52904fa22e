#include "subscriber.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include "dso/event.hpp"
#include "dso/session.hpp"
#include "tls_client.hpp"
#include "wire/writer.hpp"

namespace dnspush::bench {
namespace {

constexpr std::size_t kReadBuffer = 64 * 1024;
constexpr std::size_t kWriteBatch = 64 * 1024;
constexpr auto kTick = std::chrono::milliseconds(500);

std::int64_t ns_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The TXT RDATA the updater writes: one character-string of decimal nanoseconds.
std::optional<std::int64_t> sent_ns_of(std::span<const std::uint8_t> rdata) {
  if (rdata.empty() || rdata[0] + 1u != rdata.size()) return std::nullopt;
  const char* b = reinterpret_cast<const char*>(rdata.data() + 1);
  std::int64_t v = 0;
  const auto r = std::from_chars(b, b + rdata[0], v);
  if (r.ec != std::errc() || r.ptr != b + rdata[0]) return std::nullopt;
  return v;
}

}  // namespace

// One TLS session to the server: connect (bound to its source address), handshake, then a
// client dso::Session driven like src/io/stream_connection drives the server's: read while
// the session wants input, write what it queues in one batch, wait for readiness.
class Connection {
 public:
  Connection(SubscriberPool& pool, std::size_t local_index, const asio::ip::address& source)
      : pool_(pool), index_(local_index), source_(source), sock_(pool.ctx()) {}

  void start() {
    std::error_code ec;
    sock_.open(pool_.config().server.protocol(), ec);
    if (!ec) sock_.bind(asio::ip::tcp::endpoint(source_, 0), ec);
    if (ec) {
      fail("bind " + source_.to_string() + ": " + ec.message());
      return;
    }
    sock_.async_connect(pool_.config().server, [this](std::error_code e) {
      if (e) {
        fail("connect: " + e.message());
        return;
      }
      std::error_code ignored;
      sock_.non_blocking(true, ignored);
      sock_.set_option(asio::ip::tcp::no_delay(true), ignored);
      tls_.emplace(static_cast<int>(sock_.native_handle()), pool_.config().tls);
      if (!tls_->usable()) {
        fail("SSL_new failed");
        return;
      }
      service();
    });
  }

  void on_timer(TimePoint now) {
    if (!session_ || closed_) return;
    if (auto at = session_->next_timeout(); at && *at <= now) {
      session_->on_timeout(now);
      service();
    }
  }

  bool ready() const { return ready_; }
  std::uint64_t wire_read() const { return tls_ ? tls_->wire_bytes_read() : 0; }
  std::uint64_t wire_written() const { return tls_ ? tls_->wire_bytes_written() : 0; }

 private:
  void service() {
    if (closed_) return;
    if (in_service_) {
      again_ = true;
      return;
    }
    in_service_ = true;
    do {
      again_ = false;
      run_once();
    } while (again_ && !closed_);
    in_service_ = false;
    if (!closed_) arm();
  }

  void run_once() {
    need_read_ = need_write_ = false;
    if (!session_) {
      const IoStep h = tls_->handshake();
      if (h.status == IoStep::Status::kWantRead) {
        need_read_ = true;
        return;
      }
      if (h.status == IoStep::Status::kWantWrite) {
        need_write_ = true;
        return;
      }
      if (h.status != IoStep::Status::kOk) {
        fail("TLS handshake: " + (h.error.empty() ? std::string("end of stream") : h.error));
        return;
      }
      open_session(Clock::now());
    }
    do_read();
    if (closed_) return;
    do_write();
    if (closed_) return;
    const auto st = session_->state();
    if (st == dso::Session::State::kAborted ||
        (st == dso::Session::State::kClosed && woff_ == wbuf_.size())) {
      fail("session ended: " + close_text_);
    }
  }

  void open_session(TimePoint now) {
    dso::SessionConfig c;
    c.role = dso::Role::kClient;
    c.app_tlvs = dso::push_tlvs();
    // RFC 8490 §6.5.2 recommends a 60-minute keepalive for long-lived sessions; the
    // server's values win anyway (§7.1).
    c.timeouts = dso::Timeouts{std::chrono::seconds(15), std::chrono::minutes(60)};
    session_.emplace(std::move(c), now);
    session_->send_keepalive(now);
    // RFC 8490 §5.1 lets requests follow before the first response: Keepalive and every
    // SUBSCRIBE go out in one write.
    for (const auto& s : pool_.subscriptions_of(index_)) {
      wire::Writer w(512);
      push::encode_subscribe(w, s);
      const auto data = w.take();
      if (!session_->request(dso::Tlv{dso::TlvType::SUBSCRIBE, data}, now, /*long_lived=*/true)) {
        fail("could not queue SUBSCRIBE");
        return;
      }
      ++expected_;
    }
  }

  void do_read() {
    auto buf = pool_.read_buffer();
    while (session_->wants_read()) {
      const IoStep r = tls_->read(buf);
      const TimePoint now = Clock::now();
      switch (r.status) {
        case IoStep::Status::kOk:
          session_->receive(buf.first(r.bytes), now);
          while (auto ev = session_->poll_event()) handle(*ev, now);
          if (closed_) return;
          continue;
        case IoStep::Status::kWantRead:
          need_read_ = true;
          return;
        case IoStep::Status::kWantWrite:
          need_write_ = true;
          return;
        case IoStep::Status::kEof:
          session_->receive_eof(now);
          while (auto ev = session_->poll_event()) handle(*ev, now);
          return;
        case IoStep::Status::kError:
          session_->abort("read: " + r.error, now, dso::CloseReason::kPeerClosed);
          while (auto ev = session_->poll_event()) handle(*ev, now);
          return;
      }
    }
  }

  void do_write() {
    for (;;) {
      if (wretry_ == 0) {
        if (woff_ == wbuf_.size()) {
          wbuf_.clear();
          woff_ = 0;
        }
        while (wbuf_.size() < kWriteBatch) {
          auto f = session_->poll_transmit();
          if (!f) break;
          const std::size_t n = (*f)->size();
          wbuf_.push_back(static_cast<std::uint8_t>(n >> 8));
          wbuf_.push_back(static_cast<std::uint8_t>(n));
          wbuf_.insert(wbuf_.end(), (*f)->begin(), (*f)->end());
        }
      }
      if (woff_ == wbuf_.size()) break;
      const std::size_t len = wretry_ != 0 ? wretry_ : wbuf_.size() - woff_;
      const IoStep r = tls_->write(std::span(wbuf_.data() + woff_, len));
      if (r.status == IoStep::Status::kOk) {
        woff_ += r.bytes;
        wretry_ = 0;
        continue;
      }
      if (r.status == IoStep::Status::kWantRead || r.status == IoStep::Status::kWantWrite) {
        wretry_ = len;  // OpenSSL: retry with the same length
        (r.status == IoStep::Status::kWantWrite ? need_write_ : need_read_) = true;
        return;
      }
      session_->abort("write: " + r.error, Clock::now(), dso::CloseReason::kPeerClosed);
      return;
    }
    std::vector<std::uint8_t>().swap(wbuf_);
    woff_ = 0;
  }

  void handle(dso::Event& ev, TimePoint now) {
    if (auto* u = std::get_if<dso::UnidirectionalEvent>(&ev)) {
      if (u->type == dso::TlvType::PUSH) pool_.on_push(u->message, now, tls_->last_arrival_ns());
      return;
    }
    if (auto* r = std::get_if<dso::ResponseEvent>(&ev)) {
      if (r->type != dso::TlvType::SUBSCRIBE) return;  // the Keepalive's response
      const bool ok = r->rcode == wire::Rcode::NOERROR && !r->cancelled;
      pool_.note_subscribe(ok);
      if (!ok) {
        close_text_ = "SUBSCRIBE answered " + wire::to_text(r->rcode);
        refused_ = true;
      }
      if (++answered_ == expected_) {
        if (refused_) {
          session_->close(now);
        } else {
          ready_ = true;
          pool_.on_ready(*this);
        }
      }
      return;
    }
    if (auto* d = std::get_if<dso::RetryDelayEvent>(&ev)) {
      close_text_ =
          "Retry Delay " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d->delay).count()) +
          " ms";
      return;
    }
    if (auto* c = std::get_if<dso::ClosedEvent>(&ev)) {
      if (close_text_.empty()) close_text_ = std::string(dso::to_text(c->reason)) + ": " + c->text;
    }
  }

  void fail(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    if (tls_) {
      final_read_ = tls_->wire_bytes_read();
      final_written_ = tls_->wire_bytes_written();
    }
    std::error_code ignored;
    sock_.close(ignored);
    pool_.on_failed(*this, why, ready_);
  }

  void arm() {
    if (need_read_ && !read_armed_) {
      read_armed_ = true;
      sock_.async_wait(asio::socket_base::wait_read, [this](std::error_code ec) {
        read_armed_ = false;
        if (!ec) service();
      });
    }
    if (need_write_ && !write_armed_) {
      write_armed_ = true;
      sock_.async_wait(asio::socket_base::wait_write, [this](std::error_code ec) {
        write_armed_ = false;
        if (!ec) service();
      });
    }
  }

  SubscriberPool& pool_;
  std::size_t index_;
  asio::ip::address source_;
  asio::ip::tcp::socket sock_;
  std::optional<TlsClient> tls_;
  std::optional<dso::Session> session_;
  std::vector<std::uint8_t> wbuf_;
  std::size_t woff_ = 0;
  std::size_t wretry_ = 0;
  std::size_t expected_ = 0;
  std::size_t answered_ = 0;
  std::string close_text_;
  std::uint64_t final_read_ = 0;
  std::uint64_t final_written_ = 0;
  bool refused_ = false;
  bool ready_ = false;
  bool closed_ = false;
  bool in_service_ = false;
  bool again_ = false;
  bool need_read_ = false;
  bool need_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;

  friend class SubscriberPool;
};

SubscriberPool::SubscriberPool(asio::io_context& ctx, SubscriberConfig cfg)
    : ctx_(ctx), cfg_(std::move(cfg)), buf_(kReadBuffer), timer_(ctx) {}

SubscriberPool::~SubscriberPool() = default;

std::vector<push::Subscribe> SubscriberPool::subscriptions_of(std::size_t local_index) const {
  std::vector<push::Subscribe> out;
  out.push_back({cfg_.watched, wire::RRType::TXT, wire::RRClass::IN});
  const std::size_t global = cfg_.first_session + local_index;
  for (std::size_t k = 1; k < cfg_.subscriptions; ++k) {
    // Distinct within the session as long as extra_names >= subscriptions - 1.
    const std::size_t j = (global + k - 1) % cfg_.extra_names;
    auto n = cfg_.extra_parent.prepend("n" + std::to_string(j));
    if (n) out.push_back({*n, wire::RRType::TXT, wire::RRClass::IN});
  }
  return out;
}

void SubscriberPool::start(std::function<void()> settled) {
  settled_ = std::move(settled);
  conns_.reserve(cfg_.sessions);
  for (std::size_t i = 0; i < cfg_.sessions; ++i) {
    const std::size_t src = (cfg_.first_session + i) / cfg_.per_source;
    conns_.push_back(
        std::make_unique<Connection>(*this, i, cfg_.sources[src % cfg_.sources.size()]));
  }
  launch_more();
  tick();
  check_settled();
}

void SubscriberPool::launch_more() {
  while (next_ < conns_.size() && in_flight_ < cfg_.connect_window) {
    ++in_flight_;
    conns_[next_++]->start();
  }
}

void SubscriberPool::tick() {
  const TimePoint now = Clock::now();
  for (auto& c : conns_) c->on_timer(now);
  timer_.expires_after(kTick);
  timer_.async_wait([this](std::error_code ec) {
    if (!ec) tick();
  });
}

void SubscriberPool::on_ready(Connection&) {
  ++counters_.ready;
  --in_flight_;
  launch_more();
  check_settled();
}

void SubscriberPool::on_failed(Connection& c, const std::string& why, bool after_ready) {
  if (counters_.first_error.empty()) counters_.first_error = why;
  counters_.wire_read += c.final_read_;
  counters_.wire_written += c.final_written_;
  if (after_ready) {
    ++counters_.lost;
    return;
  }
  ++counters_.failed;
  --in_flight_;
  // start() may fail synchronously (bind): continue from the event loop, not recursively.
  asio::post(ctx_, [this] {
    launch_more();
    check_settled();
  });
}

void SubscriberPool::check_settled() {
  if (settled_called_ || counters_.ready + counters_.failed < conns_.size()) return;
  settled_called_ = true;
  if (settled_) asio::post(ctx_, settled_);
}

void SubscriberPool::on_push(std::span<const std::uint8_t> message, TimePoint received,
                             std::int64_t arrived_ns) {
  ++counters_.push_messages;
  auto p = push::parse_push_message(message);
  if (!p) {
    ++counters_.bad_push;
    return;
  }
  const std::int64_t at = ns_of(received);
  for (const auto& ch : p->changes) {
    if (ch.kind != push::ChangeKind::kAdd || ch.type != wire::RRType::TXT ||
        !(ch.name == cfg_.watched))
      continue;
    if (auto sent = sent_ns_of(ch.rdata)) samples_.push_back(Sample{*sent, at, arrived_ns});
  }
}

PoolCounters SubscriberPool::counters() const {
  PoolCounters c = counters_;
  for (const auto& conn : conns_) {
    if (conn->closed_) continue;  // already counted in on_failed
    c.wire_read += conn->wire_read();
    c.wire_written += conn->wire_written();
  }
  return c;
}

}  // namespace dnspush::bench
