#include "server/push_service.hpp"

#include <spdlog/spdlog.h>
#include <sys/random.h>

#include <cstring>
#include <deque>
#include <unordered_map>

#include "base/log_limiter.hpp"
#include "dso/message.hpp"

namespace dnspush::server {

namespace {

LogLimiter push_abort_log;
LogLimiter reconfirm_log;
LogLimiter session_limit_log;

push::SessionId sid(io::ConnectionId c) {
  return static_cast<push::SessionId>(c);
}

// Random bytes from the kernel's CSPRNG (getrandom), read in blocks.
class Csprng {
 public:
  std::uint64_t next() {
    if (pos_ + 8 > buf_.size()) {
      std::size_t got = 0;
      while (got < buf_.size()) {
        const ssize_t n = ::getrandom(buf_.data() + got, buf_.size() - got, 0);
        if (n > 0) got += static_cast<std::size_t>(n);
      }
      pos_ = 0;
    }
    std::uint64_t v;
    std::memcpy(&v, buf_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }

 private:
  std::array<std::uint8_t, 512> buf_{};
  std::size_t pos_ = 512;
};

llq::Peer llq_peer(const io::DatagramPeer& p) {
  llq::Peer q;
  q.address = p.client.bytes;
  q.v6 = p.client.v6;
  q.port = p.client.port;
  q.has_local = p.has_local;
  q.local_v6 = p.local_v6;
  q.local = p.local;
  q.socket = p.socket;
  q.stream = p.stream;
  return q;
}

io::DatagramPeer io_peer(const llq::Peer& q) {
  io::DatagramPeer p;
  p.client.bytes = q.address;
  p.client.v6 = q.v6;
  p.client.port = q.port;
  p.has_local = q.has_local;
  p.local_v6 = q.local_v6;
  p.local = q.local;
  p.socket = q.socket;
  p.stream = q.stream;
  return p;
}

}  // namespace

// One io worker's DNS Push and LLQ: runs on that worker's thread only. Both share the
// worker's PushWorker, whose SubscriptionIndex holds push subscriptions and LLQs alike.
class PushApp final : public io::SessionApp, public io::DatagramApp {
 public:
  PushApp(io::WorkerLink& link, const Config& config, const auth::Responder& responder,
          push::PushConfig cfg, io::ConnectionLimiter& sessions,
          const std::optional<llq::LlqConfig>& llq_cfg, Metrics* metrics)
      : link_(link),
        config_(config),
        responder_(responder),
        push_(std::move(cfg)),
        sessions_(sessions),
        metrics_(metrics) {
    if (llq_cfg) {
      llq::LlqConfig lc = *llq_cfg;
      for (std::size_t i = 0; i < lc.secret.size(); i += 8) {
        const std::uint64_t r = random_.next();
        std::memcpy(lc.secret.data() + i, &r, 8);
      }
      llq_ =
          std::make_unique<llq::LlqServer>(push_, std::move(lc), [this] { return random_.next(); });
    }
  }

  io::DatagramApp* datagram_app() override { return llq_ ? this : nullptr; }

  io::DatagramDisposition on_datagram(std::span<const std::uint8_t> bytes,
                                      const io::DatagramPeer& from, TimePoint now,
                                      std::vector<std::uint8_t>& out) override {
    auto cat = responder_.catalogue();
    const auto d = llq_->receive(bytes, llq_peer(from), *cat, now, out);
    flush_llq();
    switch (d) {
      case llq::Disposition::kAnswer:
        return io::DatagramDisposition::kAnswer;
      case llq::Disposition::kNoAnswer:
        return io::DatagramDisposition::kNoAnswer;
      case llq::Disposition::kNotLlq:
        break;
    }
    return io::DatagramDisposition::kNotMine;
  }

  void on_datagram_timer(TimePoint now) override {
    llq_->on_timeout(now);
    flush_llq();
  }

  void on_request(const io::ConnectionInfo& c, dso::Session& s, const dso::RequestEvent& ev,
                  TimePoint now) override {
    auto m = dso::parse_message(ev.message);
    auto primary = m ? m->primary() : std::nullopt;
    if (!primary || ev.type != dso::TlvType::SUBSCRIBE) {
      s.respond(ev.id, wire::Rcode::DSOTYPENI, now);  // not ours (the session filters these)
      return;
    }
    // max-sessions / max-sessions-per-address: checked when a connection first subscribes.
    auto slot = slots_.find(c.id);
    if (slot == slots_.end()) {
      io::ConnectionLimiter::Refusal why{};
      auto t = sessions_.try_acquire(c.peer, &why);
      if (!t) {
        std::uint64_t suppressed = 0;
        if (session_limit_log.allow(now, suppressed)) {
          spdlog::warn("SUBSCRIBE from {}: refused, {} reached{}", auth::to_text(c.peer),
                       why == io::ConnectionLimiter::Refusal::kTotal
                           ? "push.max-sessions"
                           : "push.max-sessions-per-address",
                       suppressed_note(suppressed));
        }
        ++refused_sessions_;
        count(Counter::kSubscribes, static_cast<std::size_t>(wire::Rcode::REFUSED));
        count(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxPushSessions));
        // RFC 8765 §6.2.2: REFUSED with a Retry Delay when resources are exhausted.
        s.respond(ev.id, wire::Rcode::REFUSED, now, {}, push_.config().retry_delay_limit);
        return;
      }
      slot = slots_.emplace(c.id, std::move(*t)).first;
    }
    push::SessionOptions so;
    so.pad = c.transport == auth::Transport::kTls && s.peer_pads();
    so.deletes = config_.push.delete_encoding;
    so.max_message = static_cast<std::uint16_t>(config_.push.max_message);
    push_.set_session_options(sid(c.id), so);
    auto cat = responder_.catalogue();
    const push::PushCounters before = push_.counters();
    auto r = push_.subscribe(sid(c.id), ev.id, primary->data, *cat, now);
    count_subscribe(before, r);
    if (r.action == push::SubscribeResult::Action::kAbort) {
      abort(c, s, std::string("SUBSCRIBE: ") + r.reason, now);
      return;
    }
    s.respond(ev.id, r.rcode, now, {}, r.retry_delay);
    // RFC 8765 §6.3: the initial PUSH immediately follows the NOERROR response.
    for (const auto& msg : r.initial_push) {
      if (!s.send_unidirectional(msg, now)) break;
      count(Counter::kPushMessages);
      count(Counter::kPushBytes, 0, msg->size());
    }
    update_long_lived(c);
    if (r.rcode != wire::Rcode::NOERROR) {
      spdlog::debug("connection {}: SUBSCRIBE {}: {}", c.id, wire::to_text(r.rcode), r.reason);
    }
  }

  void on_unidirectional(const io::ConnectionInfo& c, dso::Session& s,
                         const dso::UnidirectionalEvent& ev, TimePoint now) override {
    auto m = dso::parse_message(ev.message);
    auto primary = m ? m->primary() : std::nullopt;
    if (!primary) {
      abort(c, s, "unparseable message", now);
      return;
    }
    if (ev.type == dso::TlvType::UNSUBSCRIBE) {
      if (push_.unsubscribe(sid(c.id), primary->data) == push::UnsubscribeResult::kAbort) {
        abort(c, s, "malformed UNSUBSCRIBE", now);
        return;
      }
      update_long_lived(c);
      return;
    }
    if (ev.type == dso::TlvType::RECONFIRM) {
      auto cat = responder_.catalogue();
      auto r = push_.reconfirm(sid(c.id), primary->data, *cat);
      if (r.abort) {
        abort(c, s, "malformed RECONFIRM", now);
        return;
      }
      // RFC 8765 §6.5: our data is authoritative, so a RECONFIRM changes nothing.
      std::uint64_t suppressed = 0;
      if (reconfirm_log.allow(now, suppressed)) {
        spdlog::info("connection {} from {}: RECONFIRM {} {} ({}){}", c.id, auth::to_text(c.peer),
                     r.record.name.to_text(), wire::to_text(r.record.type),
                     r.present ? "present" : (r.authoritative ? "not present" : "not ours"),
                     suppressed_note(suppressed));
      }
      return;
    }
    // A PUSH from a client, or anything else unidirectional: RFC 8765 §6.3 / RFC 8490 §5.4.5.
    abort(c, s, "unexpected " + dso::to_text(ev.type) + " from a client", now);
  }

  void on_closed(const io::ConnectionInfo& c) override {
    if (llq_) {
      llq_->close_stream(c.id);  // LLQs over this connection end with it
      sync_llq();
    }
    push_.close_session(sid(c.id));
    sync_subscriptions();
    slots_.erase(c.id);  // the session slot is free again
  }

  // A commit, posted by the PushService in commit order. Its deliveries join the queue
  // of those not yet written, which is worked off in slices so that queries and UPDATE
  // answers on this worker are not held up by a fan-out to thousands of sessions; one
  // queue keeps every session's PUSH messages in commit order.
  void apply(const zone::Commit& commit) {
    auto deliveries = push_.on_commit(commit);
    if (llq_) {
      // The LLQs' part of the same index lookup: their events, one in flight per LLQ.
      llq_->on_commit(push_.llq_matches(), Clock::now());
      flush_llq();
    }
    for (auto& d : deliveries) pending_.push_back(Pending{std::move(d), commit.committed_at});
    // Commits arriving faster than they can be written: no more slicing, so the queue
    // never holds more than about one fan-out beyond kMaxPending.
    if (pending_.size() > kMaxPending) {
      count(Counter::kLimitHits, static_cast<std::size_t>(Limit::kPushBacklog));
    }
    while (pending_.size() > kMaxPending) drain_slice();
    if (!draining_) drain();
  }

 private:
  void abort(const io::ConnectionInfo& c, dso::Session& s, const std::string& why, TimePoint now) {
    ++aborts_;
    std::uint64_t suppressed = 0;
    if (push_abort_log.allow(now, suppressed)) {
      spdlog::info("connection {} from {}: DNS Push protocol error, aborting: {}{}", c.id,
                   auth::to_text(c.peer), why, suppressed_note(suppressed));
    }
    s.abort(why, now, dso::CloseReason::kApplication);
  }
  // Sends what the LLQ core queued (events, resends) and arms its timer.
  void flush_llq() {
    while (auto t = llq_->poll_transmit()) link_.send_datagram(io_peer(t->to), *t->bytes);
    if (const auto at = llq_->next_timeout()) link_.schedule_datagram_timer(*at);
    // Streams whose LLQs came or went: a connection with LLQs stays open (RFC 7766 §6.2.3).
    while (auto id = llq_->poll_stream_change()) {
      const auto c = static_cast<io::ConnectionId>(*id);
      link_.set_long_lived(c, push_.subscriptions(sid(c)) + llq_->for_stream(*id));
    }
    sync_llq();
  }
  // The LLQ core keeps its own counters; the metrics get what changed since the last call
  // (only LLQ datagrams, LLQ timers and commits come here, never an ordinary query).
  void sync_llq() {
    if (!metrics_) return;
    const llq::LlqCounters& now = llq_->counters();
    llq::LlqCounters& was = reported_llq_;
    auto delta = [this](std::uint64_t v, std::uint64_t& seen, Counter c, std::size_t label = 0) {
      if (v != seen) metrics_->add(c, label, v - seen);
      seen = v;
    };
    using metric_labels::kLlqEnd;
    delta(now.established, was.established, Counter::kLlqEstablished);
    delta(now.refreshes, was.refreshes, Counter::kLlqRefreshes);
    delta(now.cancels, was.cancels, Counter::kLlqEnded, label_index(kLlqEnd, "cancelled"));
    delta(now.expired, was.expired, Counter::kLlqEnded, label_index(kLlqEnd, "expired"));
    delta(now.dropped_unacked, was.dropped_unacked, Counter::kLlqEnded,
          label_index(kLlqEnd, "unacknowledged"));
    delta(now.stream_closed, was.stream_closed, Counter::kLlqEnded,
          label_index(kLlqEnd, "connection_closed"));
    if (now.dropped_overflow != was.dropped_overflow) {
      metrics_->add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kLlqQueuedEvents),
                    now.dropped_overflow - was.dropped_overflow);
    }
    delta(now.dropped_overflow, was.dropped_overflow, Counter::kLlqEnded,
          label_index(kLlqEnd, "queue_full"));
    delta(now.events, was.events, Counter::kLlqEvents);
    delta(now.resends, was.resends, Counter::kLlqEventResends);
    delta(now.event_acks, was.event_acks, Counter::kLlqEventAcks);
    for (std::size_t i = 0; i < now.errors.size(); ++i) {
      delta(now.errors[i], was.errors[i], Counter::kLlqAnswers, i);
    }
    delta(now.full_total, was.full_total, Counter::kLimitHits,
          static_cast<std::size_t>(Limit::kMaxLlqs));
    delta(now.full_address, was.full_address, Counter::kLimitHits,
          static_cast<std::size_t>(Limit::kMaxLlqsPerAddress));
    const std::uint64_t active = llq_->size();
    if (active > reported_llqs_) metrics_->add(Counter::kLlqActive, 0, active - reported_llqs_);
    if (active < reported_llqs_) metrics_->sub(Counter::kLlqActive, 0, reported_llqs_ - active);
    reported_llqs_ = active;
  }

  void update_long_lived(const io::ConnectionInfo& c) {
    link_.set_long_lived(c.id,
                         push_.subscriptions(sid(c.id)) + (llq_ ? llq_->for_stream(c.id) : 0));
    sync_subscriptions();
  }

  void count(Counter c, std::size_t label = 0, std::uint64_t n = 1) {
    if (metrics_) metrics_->add(c, label, n);
  }
  // The gauge follows this worker's index: the difference since it was last reported.
  void sync_subscriptions() {
    if (!metrics_) return;
    // The index holds this worker's LLQs too, one entry each: they have their own gauge.
    const std::uint64_t all = push_.subscriptions();
    const std::uint64_t llqs = llq_ ? llq_->size() : 0;
    const std::uint64_t now = all > llqs ? all - llqs : 0;
    if (now > reported_subscriptions_)
      metrics_->add(Counter::kSubscriptions, 0, now - reported_subscriptions_);
    if (now < reported_subscriptions_)
      metrics_->sub(Counter::kSubscriptions, 0, reported_subscriptions_ - now);
    reported_subscriptions_ = now;
  }
  void count_subscribe(const push::PushCounters& before, const push::SubscribeResult& r) {
    if (!metrics_) return;
    const push::PushCounters& after = push_.counters();
    if (after.subscribe_refused_rate != before.subscribe_refused_rate) {
      count(Counter::kLimitHits, static_cast<std::size_t>(Limit::kSubscribeRate));
    }
    if (after.subscribe_refused_session_limit != before.subscribe_refused_session_limit ||
        after.subscribe_refused_worker_limit != before.subscribe_refused_worker_limit) {
      count(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxSubscriptions));
    }
    if (r.action == push::SubscribeResult::Action::kRespond) {
      count(Counter::kSubscribes, static_cast<std::size_t>(r.rcode) & 0x0F);
    }
  }

  void drain_slice() {
    // The slice's writes go to the kernel together at its end (io/send_batch.hpp), also
    // when a send throws: the batch must never keep entries past the slice.
    struct SendBatchScope {
      io::WorkerLink& link;
      explicit SendBatchScope(io::WorkerLink& l) : link(l) { link.begin_send_batch(); }
      ~SendBatchScope() { link.end_send_batch(); }
      SendBatchScope(const SendBatchScope&) = delete;
      SendBatchScope& operator=(const SendBatchScope&) = delete;
    } scope(link_);
    for (std::size_t n = 0; n < kSlice && !pending_.empty(); ++n) {
      const Pending p = std::move(pending_.front());
      pending_.pop_front();
      // False: the connection is gone or was closed as a slow reader (its on_closed
      // forgets it); the others go on.
      if (link_.send_unidirectional(static_cast<io::ConnectionId>(p.d.session), p.d.message) &&
          metrics_) {
        metrics_->add(Counter::kPushMessages);
        metrics_->add(Counter::kPushBytes, 0, p.d.message->size());
        metrics_->observe(Histogram::kUpdateToPush, Clock::now() - p.committed_at);
      }
    }
  }

  void drain() {
    draining_ = false;
    drain_slice();
    if (!pending_.empty()) {
      draining_ = true;
      link_.defer([this] { drain(); });
    }
  }

  static constexpr std::size_t kSlice = 256;  // deliveries between two looks at the queue
  static constexpr std::size_t kMaxPending = 1 << 20;

  io::WorkerLink& link_;
  const Config& config_;
  const auth::Responder& responder_;
  push::PushWorker push_;
  io::ConnectionLimiter& sessions_;
  std::unordered_map<io::ConnectionId, io::ConnectionLimiter::Ticket> slots_;
  struct Pending {
    push::Delivery d;
    TimePoint committed_at;  // UPDATE->PUSH latency
  };
  Metrics* metrics_;
  std::uint64_t reported_subscriptions_ = 0;  // this worker's part of the gauge
  llq::LlqCounters reported_llq_;             // what sync_llq() last passed on
  std::uint64_t reported_llqs_ = 0;           // this worker's part of the LLQ gauge
  std::deque<Pending> pending_;               // PUSH messages not yet handed to their sessions
  bool draining_ = false;                     // a drain() is queued on the worker
  std::uint64_t aborts_ = 0;
  std::uint64_t refused_sessions_ = 0;
  Csprng random_;
  std::unique_ptr<llq::LlqServer> llq_;  // after push_, which it refers to
};

PushService::PushService(const Config& config, const auth::Responder& responder,
                         ZoneSettings zone_settings)
    : config_(config), responder_(responder) {
  const PushSettings& p = config.push;
  const unsigned workers = config.effective_workers();
  push_config_.max_subscriptions_per_session = p.max_subscriptions_per_session;
  // The total is shared out: each worker owns its part outright (no shared counter).
  push_config_.max_subscriptions = std::max<std::size_t>(1, p.max_subscriptions / workers);
  push_config_.subscribe_burst = p.subscribe_burst;
  push_config_.subscribe_interval = p.subscribe_interval;
  push_config_.max_message = p.max_message;
  if (!zone_settings) {
    // Without a view of the configuration in effect: the zones of `config`, fixed.
    std::vector<std::pair<wire::Name, const ZoneConfig*>> fixed;
    for (const auto& z : config.zones) {
      if (auto n = wire::Name::from_text(z.origin)) fixed.emplace_back(*n, &z);
    }
    zone_settings = [fixed = std::move(fixed)](const wire::Name& origin) -> const ZoneConfig* {
      for (const auto& [n, zc] : fixed) {
        if (n == origin) return zc;
      }
      return nullptr;
    };
  }
  // Per-zone policy: SUBSCRIBE is REFUSED in zones with push = false, as the configuration
  // in effect says (a reload may add a zone, or switch one).
  push_config_.allow = [zone_settings](const wire::Name& zone, const push::Subscribe&) {
    const ZoneConfig* zc = zone_settings(zone);
    return zc == nullptr || zc->push;
  };
  sessions_ = std::make_unique<io::ConnectionLimiter>(p.max_sessions, p.max_sessions_per_address);

  if (config.llq.enabled) {
    const LlqSettings& l = config.llq;
    llq::LlqConfig lc;
    lc.lease_min = l.lease_min;
    lc.lease_max = l.lease_max;
    // Both limits hold for the server as a whole (one client's datagrams from many ports,
    // or its connections, spread over the workers): counted in one SharedLimits.
    lc.shared = std::make_shared<llq::SharedLimits>(l.max_llqs, l.max_llqs_per_address);
    lc.max_llqs = l.max_llqs;
    lc.max_llqs_per_address = l.max_llqs_per_address;
    lc.serv_full_retry = l.serv_full_retry;
    lc.event_resend = l.event_resend;
    lc.event_transmissions = l.event_transmissions;
    lc.max_queued_events = l.max_queued_events;
    lc.max_udp = config.udp_payload;
    // STATIC (RFC 8764 §3.2) in zones with llq = false.
    lc.allow = [zone_settings](const wire::Name& zone) {
      const ZoneConfig* zc = zone_settings(zone);
      return zc == nullptr || zc->llq;
    };
    llq_config_ = std::move(lc);
  }
}

PushService::~PushService() = default;

io::SessionAppFactory PushService::app_factory() {
  return [this](io::WorkerLink& link) -> std::unique_ptr<io::SessionApp> {
    auto app = std::make_unique<PushApp>(link, config_, responder_, push_config_, *sessions_,
                                         llq_config_, metrics_);
    if (apps_.size() <= link.index()) apps_.resize(link.index() + 1, nullptr);
    apps_[link.index()] = app.get();
    return app;
  };
}

std::vector<dso::AppTlv> PushService::tlvs() const {
  const auto t = dso::push_tlvs();
  return {t.begin(), t.end()};
}

void PushService::attach(io::Server& io) {
  io_ = &io;
}

void PushService::on_commit(const zone::CommitPtr& commit) {
  if (io_ == nullptr) return;
  // The same immutable commit to every worker; each applies it on its own thread, after
  // everything posted before (commit order).
  for (unsigned w = 0; w < apps_.size(); ++w) {
    if (apps_[w] == nullptr) continue;
    io_->post(w, [app = apps_[w], commit] { app->apply(*commit); });
  }
}

}  // namespace dnspush::server
