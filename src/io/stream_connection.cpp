#include "io/stream_connection.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <exception>

#include "base/log_limiter.hpp"
#include "dso/edns_scan.hpp"
#include "dso/recycling.hpp"
#include "io/reply_sink.hpp"

namespace dnspush::io::detail {
namespace {

constexpr std::size_t kMaxMessage = 65535;       // the 2-byte length prefix (RFC 7766 §8)
constexpr std::size_t kWriteBatch = 64 * 1024;   // frames gathered into one write
constexpr std::size_t kReadBudget = 256 * 1024;  // per service round: others get a turn

LogLimiter protocol_error_log;

CloseCause cause_of(dso::CloseReason r) {
  using R = dso::CloseReason;
  switch (r) {
    case R::kApplication:
      return CloseCause::kApplication;
    case R::kPeerClosed:
      return CloseCause::kPeerClosed;
    case R::kIdleTimeout:
    case R::kInactive:
    case R::kInactivityDelinquent:
    case R::kKeepaliveDelinquent:
    case R::kPeerSilent:
    case R::kEstablishmentTimeout:
      return CloseCause::kIdleTimeout;
    case R::kMessageTimeout:
      return CloseCause::kMessageTimeout;
    case R::kRetryDelay:
    case R::kRetryDelayIgnored:
      return CloseCause::kRetryDelay;
    case R::kSlowReader:
    case R::kInputOverflow:
      return CloseCause::kSlowReader;
    default:
      return CloseCause::kProtocolError;
  }
}

}  // namespace

void StreamConnection::count(Counter c, std::size_t label) {
  if (auto* m = w_.opts.server->metrics) m->add(c, label);
}

// A Reply of a query on this connection: kept when completed during the handler call (the
// common, synchronous case), else posted to the worker and delivered if the connection
// still exists.
class StreamConnection::Sink : public SinkBase {
 public:
  Sink(Worker& w, ConnectionId id, dso::QueryToken token) : w_(&w), id_(id), token_(token) {}

 protected:
  void deliver(Completion c) override {
    auto gate = w_->gate;
    gate->post([w = w_, id = id_, token = token_, c = std::move(c)]() mutable {
      if (auto* conn = w->find(id)) conn->deliver(token, std::move(c));
    });
  }

 private:
  Worker* w_;  // lives while its gate is open
  ConnectionId id_;
  dso::QueryToken token_;
};

StreamConnection::StreamConnection(Worker& w, ConnectionId id, asio::ip::tcp::socket s, bool tls,
                                   auth::ClientAddress peer, ConnectionLimiter::Ticket ticket)
    : w_(w),
      t_(std::move(s), tls ? w.opts.server->tls_context.get() : nullptr),
      ticket_(std::move(ticket)) {
  info_.id = id;
  info_.worker = w.index();
  t_.use_batch(&w.sends, id);
  info_.transport = tls ? auth::Transport::kTls : auth::Transport::kTcp;
  info_.peer = peer;
  qctx_.transport = info_.transport;
  qctx_.client = peer;
  qctx_.tcp_idle_timeout = w.opts.server->tcp_idle_timeout;  // edns-tcp-keepalive (RFC 7828)
}

StreamConnection::~StreamConnection() = default;

dso::SessionConfig StreamConnection::session_config() const {
  const ServerOptions& o = *w_.opts.server;
  dso::SessionConfig c;
  c.role = dso::Role::kServer;
  const bool tls = info_.transport == auth::Transport::kTls;
  // RFC 8490 §5.1: DSO where the app serves it; over plain TCP only when asked.
  c.dso_enabled = w_.app != nullptr && o.dso && (tls || o.dso_on_tcp);
  c.pad = tls;  // RFC 8467: padding only makes sense when encrypted
  c.idle_timeout = o.tcp_idle_timeout;
  c.message_timeout = o.message_timeout;
  c.timeouts = o.dso_timeouts;
  c.max_queued_bytes = o.max_pending_bytes;
  c.max_outstanding = o.max_outstanding;
  if (c.dso_enabled) c.app_tlvs = o.dso_tlvs;
  return c;
}

void StreamConnection::start() {
  handshake_deadline_ = Clock::now() + w_.opts.server->tls_handshake_timeout;
  service();
}

void StreamConnection::service() {
  if (closed_) return;
  if (in_service_) {
    again_ = true;
    return;
  }
  auto self = shared_from_this();  // forget() may drop the worker's reference meanwhile
  in_service_ = true;
  do {
    again_ = false;
    run_once(Clock::now());
  } while (again_ && !closed_);
  in_service_ = false;
  if (!closed_) arm();
}

bool StreamConnection::do_handshake(TimePoint now) {
  const IoResult r = t_.handshake();
  switch (r.status) {
    case IoResult::Status::kOk:
      break;
    case IoResult::Status::kWantRead:
      need_read_ = true;
      return false;
    case IoResult::Status::kWantWrite:
      need_write_ = true;
      return false;
    default:
      spdlog::debug("tls handshake with connection {} failed: {}", info_.id,
                    r.error ? r.error.message() : std::string("end of stream"));
      count(Counter::kTlsHandshakes, 1);
      close_cause_ = CloseCause::kTlsFailed;
      finish_close(true);
      return false;
  }
  info_.tls_resumed = t_.resumed();
  info_.tls_own_records = t_.records_taken_over();
  if (info_.tls_own_records) count(Counter::kTlsTakeovers);
  if (info_.transport == auth::Transport::kTls) count(Counter::kTlsHandshakes, 0);
  session_.emplace(session_config(), now);
  return true;
}

void StreamConnection::run_once(TimePoint now) {
  need_read_ = need_write_ = false;
  if (!session_ && !do_handshake(now)) return;
  do_read(now);
  if (closed_) return;
  while (auto ev = session_->poll_event()) handle(*ev, now);
  // Output: a transfer is pulled one message at a time as writes drain it, so it never
  // sits in memory beyond one message and one write batch.
  const bool streaming = stream_.has_value();
  for (int round = 0;; ++round) {
    fill_stream(now);
    while (auto ev = session_->poll_event()) handle(*ev, now);
    if (closed_) return;
    do_write(now);
    if (closed_) return;
    if (!stream_ || need_write_ || need_read_) break;
    if (round == 64) {
      // Fairness: a fast reader of a large transfer lets the others have a turn.
      asio::post(w_.ctx, [self = shared_from_this()] { self->service(); });
      break;
    }
  }
  if (streaming && !stream_ && !eof_ && session_->wants_read()) {
    // The transfer ended and reading resumed, after do_read() above found it paused: read
    // what came meanwhile (the client's close, a pipelined query) now, or wait for it.
    // Else the connection would sit unread (in CLOSE-WAIT) until the idle timeout.
    if (readable_ || t_.has_buffered()) {
      asio::post(w_.ctx, [self = shared_from_this()] { self->service(); });
    } else {
      need_read_ = true;
    }
  }
  const auto st = session_->state();
  if (st == dso::Session::State::kAborted) {
    finish_close(true);
    return;
  }
  if (st == dso::Session::State::kClosed && woff_ == wbuf_.size() && !t_.owes()) {
    finish_close(false);
    return;
  }
  if (progress_) {
    progress_ = false;
    w_.touch(*this, evictable());
  }
}

void StreamConnection::do_read(TimePoint now) {
  std::size_t budget = kReadBudget;
  auto buf = w_.read_buffer();
  // The socket said EAGAIN last time and has not been reported readable since: a read now
  // would be a wasted system call (one per PUSH sent, measured at 14% of the server's CPU
  // in a fan-out), unless OpenSSL holds decrypted bytes.
  if (!readable_ && !t_.has_buffered()) {
    need_read_ = !eof_ && session_->wants_read();
    return;
  }
  while (!eof_ && session_->wants_read()) {
    if (budget == 0) {
      // Fairness: continue after the other connections of this worker had a turn.
      asio::post(w_.ctx, [self = shared_from_this()] { self->service(); });
      return;
    }
    const IoResult r = t_.read(buf.first(std::min(buf.size(), budget)));
    switch (r.status) {
      case IoResult::Status::kOk:
        budget -= r.bytes;
        progress_ = true;
        session_->receive(buf.first(r.bytes), now);
        // The session holds back further messages while events wait to be polled.
        while (auto ev = session_->poll_event()) handle(*ev, now);
        if (closed_) return;
        continue;
      case IoResult::Status::kWantRead:
        need_read_ = true;
        readable_ = false;
        return;
      case IoResult::Status::kWantWrite:
        need_write_ = true;
        return;
      case IoResult::Status::kEof:
        eof_ = true;
        session_->receive_eof(now);
        return;
      case IoResult::Status::kError:
        spdlog::debug("connection {} read error: {}", info_.id, r.error.message());
        session_->abort("read error: " + r.error.message(), now, dso::CloseReason::kPeerClosed);
        return;
    }
  }
}

void StreamConnection::do_write(TimePoint now) {
  if (t_.owes()) {
    // Output a batched send left behind (a full socket), or the error it met.
    const IoResult r = t_.flush();
    if (r.status == IoResult::Status::kWantWrite) {
      need_write_ = true;
      return;
    }
    if (r.status != IoResult::Status::kOk) {
      spdlog::debug("connection {} write error: {}", info_.id,
                    r.error ? r.error.message() : std::string("closed"));
      session_->abort("write failed", now, dso::CloseReason::kPeerClosed);
      return;
    }
  }
  for (;;) {
    if (wretry_ == 0) {
      if (woff_ == wbuf_.size()) {
        wbuf_.clear();
        woff_ = 0;
      } else if (woff_ > 0) {
        wbuf_.erase(wbuf_.begin(), wbuf_.begin() + static_cast<std::ptrdiff_t>(woff_));
        woff_ = 0;
      }
      // Everything queued so far goes out in one write (one TLS record train), from the
      // worker's spare buffer when this connection holds none.
      if (wbuf_.capacity() == 0) wbuf_.swap(w_.spare_write_buffer);
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
    const IoResult r = t_.write(std::span(wbuf_.data() + woff_, len));
    switch (r.status) {
      case IoResult::Status::kOk:
        woff_ += r.bytes;
        wretry_ = 0;
        progress_ = true;
        continue;
      case IoResult::Status::kWantWrite:
      case IoResult::Status::kWantRead:
        // OpenSSL: the retry must repeat the same length (the buffer may move).
        if (t_.tls()) wretry_ = len;
        (r.status == IoResult::Status::kWantWrite ? need_write_ : need_read_) = true;
        return;
      default:
        spdlog::debug("connection {} write error: {}", info_.id,
                      r.error ? r.error.message() : std::string("closed"));
        session_->abort("write failed", now, dso::CloseReason::kPeerClosed);
        return;
    }
  }
  // Idle connections hold no output buffer: it goes back to the worker (or is freed).
  wbuf_.clear();
  if (w_.spare_write_buffer.capacity() == 0) wbuf_.swap(w_.spare_write_buffer);
  std::vector<std::uint8_t>().swap(wbuf_);
  woff_ = 0;
}

void StreamConnection::handle_query(const dso::QueryEvent& q, TimePoint now) {
  // LLQ over a stream (RFC 8764): the app's messages first, as on the UDP sockets.
  const std::uint16_t option = w_.opts.server->stream_option;
  if (DatagramApp* app = option != 0 && w_.app ? w_.app->datagram_app() : nullptr;
      app != nullptr && q.message.size() > 12 && (q.message[10] | q.message[11]) != 0 &&
      dso::find_edns_option(q.message, option)) {
    DatagramPeer peer;
    peer.client = info_.peer;
    peer.stream = info_.id;
    std::vector<std::uint8_t> out;
    switch (app->on_datagram(q.message, peer, now, out)) {
      case DatagramDisposition::kAnswer:
        complete(q.token, std::move(out), now);
        return;
      case DatagramDisposition::kNoAnswer:
        session_->no_answer(q.token, now);
        return;
      case DatagramDisposition::kNotMine:
        break;
    }
  }
  if (const auto& fast = w_.opts.server->fast_path) {
    // Answered straight into a frame of the worker's pool.
    std::shared_ptr<std::vector<std::uint8_t>> frame = w_.frames.take();
    switch (fast(q.message, qctx_, *frame)) {
      case FastPath::kAnswered:
        answer(q.token, std::move(frame), now);
        return;
      case FastPath::kNoAnswer:
        session_->no_answer(q.token, now);
        return;
      case FastPath::kDeferred:
        break;
    }
  }
  auto sink = std::make_shared<Sink>(w_, info_.id, q.token);
  call_handler(*w_.opts.handler, q.message, qctx_, Reply(sink));
  if (auto c = sink->end_call()) complete(q.token, std::move(*c), now);
}

void StreamConnection::handle(dso::Event& ev, TimePoint now) {
  if (auto* q = std::get_if<dso::QueryEvent>(&ev)) {
    handle_query(*q, now);
    dso::give_back(std::move(q->message));  // for the session's next message
    return;
  }
  if (auto* r = std::get_if<dso::RequestEvent>(&ev)) {
    if (w_.app) w_.app->on_request(info_, *session_, *r, now);
    return;
  }
  if (auto* u = std::get_if<dso::UnidirectionalEvent>(&ev)) {
    if (w_.app) w_.app->on_unidirectional(info_, *session_, *u, now);
    return;
  }
  if (std::holds_alternative<dso::EstablishedEvent>(ev)) {
    spdlog::debug("connection {}: DSO session established", info_.id);
    count(Counter::kDsoSessionsOpened);
    count(Counter::kDsoSessions);
    dso_open_ = true;
    return;
  }
  if (auto* c = std::get_if<dso::ClosedEvent>(&ev)) {
    if (!close_cause_) close_cause_ = cause_of(c->reason);
    if (c->reason == dso::CloseReason::kSlowReader) {
      count(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxPendingBytes));
    }
    if (dso::is_protocol_error(c->reason)) {
      // RFC 8490 §5.3.1: aborted, logged (rate limited: the peer chooses how often).
      std::uint64_t suppressed = 0;
      if (protocol_error_log.allow(now, suppressed)) {
        spdlog::info("connection {} from {}: aborted: {}: {}{}", info_.id,
                     auth::to_text(info_.peer), dso::to_text(c->reason), c->text,
                     suppressed_note(suppressed));
      }
    } else {
      spdlog::debug("connection {}: closing: {}: {}", info_.id, dso::to_text(c->reason), c->text);
    }
    return;
  }
}

void StreamConnection::answer(dso::QueryToken token, dso::Frame f, TimePoint now) {
  if (f->size() > kMaxMessage) {
    spdlog::warn("dropping an answer of {} bytes: larger than a DNS message", f->size());
    session_->no_answer(token, now);
  } else {
    session_->answer(token, std::move(f), now);
  }
}

void StreamConnection::complete(dso::QueryToken token, Completion c, TimePoint now) {
  if (auto* bytes = std::get_if<std::vector<std::uint8_t>>(&c)) {
    answer(token, dso::make_frame(std::move(*bytes)), now);
  } else if (auto* stream = std::get_if<MessageStream>(&c); stream && *stream) {
    if (stream_) {
      // One transfer at a time per connection; reading is paused while one runs, so
      // only a query already taken from the input can get here.
      session_->no_answer(token, now);
      return;
    }
    stream_ = Stream{token, std::move(*stream)};
    session_->pause_reading(true, now);
    fill_stream(now);
  } else {
    session_->no_answer(token, now);
  }
}

void StreamConnection::fill_stream(TimePoint now) {
  auto pull = [this]() -> std::optional<std::vector<std::uint8_t>> {
    try {
      auto m = stream_->next();
      if (m && m->size() > kMaxMessage) {
        spdlog::warn("ending an answer stream: a message of {} bytes", m->size());
        return std::nullopt;
      }
      return m;
    } catch (const std::exception& e) {
      spdlog::error("answer stream failed: {}", e.what());
      return std::nullopt;
    }
  };
  // Only into an empty queue: the next message waits until the previous one was taken
  // for writing, so a transfer can never push the queue past its bound.
  while (stream_ && session_->state() != dso::Session::State::kAborted &&
         session_->queued_bytes() == 0) {
    auto m = pull();
    if (!m) {
      // The previous message was the last one; tell the session the answer is complete.
      session_->no_answer(stream_->token, now);
      stream_.reset();
      session_->pause_reading(false, now);
      break;
    }
    session_->answer(stream_->token, dso::make_frame(std::move(*m)), now, /*more=*/true);
  }
}

void StreamConnection::deliver(dso::QueryToken token, Completion c) {
  if (closed_ || !session_) return;
  complete(token, std::move(c), Clock::now());
  service();
}

bool StreamConnection::send_unidirectional(const dso::Frame& f) {
  if (closed_ || !session_) return false;
  const bool ok = session_->send_unidirectional(f, Clock::now());
  service();
  return ok && !closed_;
}

bool StreamConnection::send_unsolicited(std::span<const std::uint8_t> msg) {
  if (closed_ || !session_) return false;
  const bool ok = session_->send_unsolicited(
      dso::make_frame(std::vector<std::uint8_t>(msg.begin(), msg.end())), Clock::now());
  service();
  return ok && !closed_;
}

void StreamConnection::set_long_lived(std::size_t active) {
  if (closed_ || !session_) return;
  long_lived_ = active;
  session_->set_long_lived(active, Clock::now());
  w_.touch(*this, evictable());
  service();
}

void StreamConnection::on_timer(TimePoint now) {
  if (timer_at_ && *timer_at_ <= now) timer_at_.reset();
  if (closed_) return;
  if (!session_) {
    if (now >= handshake_deadline_) {
      spdlog::debug("connection {}: TLS handshake timed out", info_.id);
      close_cause_ = CloseCause::kMessageTimeout;
      finish_close(true);
    }
    return;
  }
  session_->on_timeout(now);
  service();
}

void StreamConnection::evict() {
  if (closed_) return;
  spdlog::debug("connection {} from {}: closed to make room (max-connections)", info_.id,
                auth::to_text(info_.peer));
  if (!close_cause_) close_cause_ = CloseCause::kEvicted;
  if (session_) session_->abort("closed to make room", Clock::now());
  finish_close(true);
}

ConnectionSummary StreamConnection::summary() const {
  ConnectionSummary s;
  s.id = info_.id;
  s.transport = info_.transport;
  s.peer = info_.peer;
  s.dso = session_ && session_->established();
  s.long_lived = long_lived_;
  s.queued_bytes = (session_ ? session_->queued_bytes() : 0) + (wbuf_.size() - woff_) + t_.unsent();
  return s;
}

void StreamConnection::close_by_operator() {
  if (closed_) return;
  if (!close_cause_) close_cause_ = CloseCause::kApplication;
  if (!session_) {
    finish_close(true);
    return;
  }
  session_->abort("closed by the operator", Clock::now(), dso::CloseReason::kApplication);
  service();
}

void StreamConnection::drain(std::chrono::milliseconds retry_delay) {
  if (closed_) return;
  if (!session_) {
    finish_close(true);
    return;
  }
  const auto now = Clock::now();
  // RFC 8490 §6.6.1: a DSO client is told when to come back; anything else is closed
  // once the answers it is owed are out.
  if (!session_->established() || !session_->retry_delay(retry_delay, wire::Rcode::NOERROR, now)) {
    session_->close(now);
  }
  service();
}

void StreamConnection::finish_close(bool abortive) {
  if (closed_) return;
  closed_ = true;
  count(Counter::kSessionsClosed,
        static_cast<std::size_t>(close_cause_.value_or(CloseCause::kPeerClosed)));
  if (dso_open_) {
    if (auto* m = w_.opts.server->metrics) m->sub(Counter::kDsoSessions);
  }
  if (abortive) {
    t_.abort();
  } else {
    t_.shutdown();
    t_.close();
  }
  stream_.reset();
  ticket_.reset();  // the slot is free for the next client at once
  if (w_.app && session_) w_.app->on_closed(info_);
  w_.forget(info_.id);
}

void StreamConnection::arm() {
  const std::optional<TimePoint> next = session_ ? session_->next_timeout() : handshake_deadline_;
  if (next) timer_at_ = w_.schedule(info_.id, *next, timer_at_);
  auto self = shared_from_this();
  if (need_read_ && !read_armed_) {
    read_armed_ = true;
    t_.socket().async_wait(asio::socket_base::wait_read, [self](std::error_code ec) {
      self->read_armed_ = false;
      if (ec) return;
      self->readable_ = true;
      self->service();
    });
  }
  if (need_write_ && !write_armed_) {
    write_armed_ = true;
    t_.socket().async_wait(asio::socket_base::wait_write, [self](std::error_code ec) {
      self->write_armed_ = false;
      if (!ec) self->service();
    });
  }
}

}  // namespace dnspush::io::detail
