#include "client/client.hpp"

#include <future>
#include <map>
#include <random>

#include <fmt/format.h>

#include "client/discovery.hpp"
#include "client/llq_connection.hpp"
#include "client/push_connection.hpp"

namespace dnspush::client {

using io::detail::kAsTuple;
using Kind = Status::Kind;

std::string_view to_text(Protocol p) {
  switch (p) {
    case Protocol::kPush:
      return "push";
    case Protocol::kLlq:
      return "llq";
    case Protocol::kPoll:
      return "poll";
    case Protocol::kAuto:
      return "auto";
  }
  return "?";
}

std::optional<Protocol> protocol_from_text(std::string_view s) {
  for (auto p : {Protocol::kPush, Protocol::kLlq, Protocol::kPoll, Protocol::kAuto})
    if (s == to_text(p)) return p;
  return std::nullopt;
}

namespace {

std::string seconds(Duration d) {
  return fmt::format("{:.0f} s", std::chrono::duration<double>(d).count());
}

FailureKind failure_for(wire::Rcode r) {
  if (r == wire::Rcode::REFUSED) return FailureKind::kRefused;
  if (r == wire::Rcode::NOTAUTH) return FailureKind::kNotAuth;
  return FailureKind::kRcode;
}

}  // namespace

// ---- EventStream ---------------------------------------------------------------------------

EventStream::EventStream(asio::any_io_executor ex, std::size_t max_queued)
    : max_(std::max<std::size_t>(max_queued, 1)), ready_(ex, TimePoint::max()) {}

void EventStream::push(StreamItem item,
                       const std::function<std::vector<wire::Record>()>& snapshot) {
  if (closed_) return;
  if (items_.size() >= max_) {
    // The bound: a consumer this far behind gets the current state instead of history.
    items_.clear();
    StreamItem reset;
    reset.kind = StreamItem::Kind::kReset;
    items_.push_back(std::move(reset));
    for (auto& r : snapshot()) {
      StreamItem add;
      add.event = {RecordEvent::Kind::kAdd, std::move(r)};
      items_.push_back(std::move(add));
    }
  } else {
    items_.push_back(std::move(item));
  }
  ready_.cancel();
}

void EventStream::close() {
  closed_ = true;
  ready_.cancel();
}

asio::awaitable<std::optional<StreamItem>> EventStream::next() {
  while (items_.empty()) {
    if (closed_) co_return std::nullopt;
    ready_.expires_at(TimePoint::max());
    co_await ready_.async_wait(kAsTuple);
  }
  StreamItem it = std::move(items_.front());
  items_.pop_front();
  co_return it;
}

// ---- Client ----------------------------------------------------------------------------------

struct Client::Impl : std::enable_shared_from_this<Impl> {
  struct Sub {
    SubscriptionId id = 0;
    Question q;
    RecordSet set;
    EventCallback on_event;
    StatusCallback on_status;
    enum class Mode : std::uint8_t { kStarting, kPush, kLlq, kPoll, kDone } mode = Mode::kStarting;
    std::string conn_key;
    std::shared_ptr<LlqConnection> llq;
    std::vector<LlqTarget> llq_targets;  // auto: LLQ to try when push does not work
    std::unique_ptr<asio::steady_timer> poll_timer;
    bool reported_polling = false;
    std::function<void()> on_end;  // an EventStream's close
  };

  Impl(asio::io_context& ctx, ClientOptions o)
      : ex(ctx.get_executor()),
        opts(std::move(o)),
        resolver(opts.resolver),
        rng(std::random_device{}()) {}

  asio::any_io_executor ex;
  ClientOptions opts;
  Resolver resolver;
  std::mt19937 rng;
  std::shared_ptr<io::TlsContext> tls;
  std::map<SubscriptionId, std::unique_ptr<Sub>> subs;
  std::map<std::string, std::shared_ptr<PushConnection>> conns;
  SubscriptionId next_id = 1;
  bool stopped = false;

  Sub* find(SubscriptionId id) {
    auto it = subs.find(id);
    return it == subs.end() ? nullptr : it->second.get();
  }

  void status(Sub& s, Kind k, std::string text, std::optional<FailureKind> f = std::nullopt) {
    if (s.on_status) s.on_status(Status{k, std::move(text), f});
  }
  void event(Sub& s, const RecordEvent& e) {
    if (s.on_event) s.on_event(e);
  }

  void fail(Sub& s, FailureKind f, std::string text) {
    detach(s);
    s.mode = Sub::Mode::kDone;
    status(s, Kind::kFailed, std::move(text), f);
  }

  // Off its push connection or poll loop (the record set stays for answers()).
  void detach(Sub& s) {
    if (!s.conn_key.empty()) {
      auto it = conns.find(s.conn_key);
      if (it != conns.end()) {
        it->second->remove(s.id);
        if (it->second->subscriptions() == 0) {
          it->second->stop();
          conns.erase(it);
        }
      }
      s.conn_key.clear();
    }
    if (s.llq) {
      auto llq = std::move(s.llq);
      llq->stop();  // RFC 8764 §7: cancelled with a lease of 0
    }
    if (s.poll_timer) s.poll_timer->cancel();
  }

  Result<std::shared_ptr<io::TlsContext>> tls_context() {
    if (tls) return tls;
    io::ClientTlsOptions t;
    t.verify = !opts.insecure;
    t.ca_file = opts.ca_file;
    auto c = io::TlsContext::client(t);
    if (!c) return tl::unexpected(c.error());
    tls = *c;
    return tls;
  }

  asio::awaitable<void> start(SubscriptionId id) {
    auto self = shared_from_this();
    Sub* s = find(id);
    if (s == nullptr || stopped) co_return;
    if (opts.protocol == Protocol::kLlq) {
      co_await start_llq_by_discovery(id);
      co_return;
    }
    if (opts.protocol == Protocol::kPoll) {
      start_poll(*s, "polling (--protocol poll)");
      co_return;
    }
    std::vector<PushTarget> targets;
    if (opts.push_server) {
      PushTarget t;
      t.name = opts.tls_name.empty() ? opts.push_server->host : opts.tls_name;
      t.port = opts.push_server->port;
      t.addresses = co_await resolver.addresses(opts.push_server->host);
      if (stopped || (s = find(id)) == nullptr) co_return;
      if (t.addresses.empty()) {
        fail(*s, FailureKind::kNoServer, "cannot resolve " + opts.push_server->host);
        co_return;
      }
      targets.push_back(std::move(t));
    } else {
      status(*s, Kind::kDiscovering, "discovering the push server for " + s->q.name.to_text());
      DiscoveryConfig dc;
      dc.services = {Service::kPushTls};
      if (opts.protocol == Protocol::kAuto) dc.services.push_back(Service::kLlqUdp);
      dc.dane = opts.dane;
      auto res = co_await resolver.discover(s->q.name, dc);
      bool timed_out = false;
      for (const auto& line : res.log)
        if (line.find("no answer") != std::string::npos) timed_out = true;
      if (stopped || (s = find(id)) == nullptr || s->mode == Sub::Mode::kDone) co_return;
      if (opts.protocol == Protocol::kAuto) s->llq_targets = llq_targets(res);
      const ServiceResult* push = res.find(Service::kPushTls);
      if (push != nullptr) {
        for (const auto& t : push->targets) {
          if (t.addresses.empty()) continue;
          PushTarget pt;
          pt.name = t.srv.target.to_text();
          if (pt.name.size() > 1) pt.name.pop_back();  // SNI and names without the root dot
          pt.port = t.srv.port;
          pt.addresses = t.addresses;
          if (t.dane)
            for (const auto& r : t.tlsa)
              pt.tlsa.push_back({r.usage, r.selector, r.matching_type, r.data});
          targets.push_back(std::move(pt));
        }
      }
      if (targets.empty()) {
        const std::string why =
            !res.zone_found ? res.error
                            : fmt::format("no DNS Push server for zone {} (no usable {}.{} SRV)",
                                          res.zone.to_text(), service_label(Service::kPushTls),
                                          res.zone.to_text());
        if (opts.protocol == Protocol::kPush) {
          fail(*s, timed_out && !res.zone_found ? FailureKind::kTimeout : FailureKind::kNoServer,
               why);
          co_return;
        }
        for (const auto& line : res.log) status(*s, Kind::kInfo, line);
        fallback(*s, why);
        co_return;
      }
      for (const auto& line : res.log) status(*s, Kind::kInfo, line);
    }
    attach(*s, std::move(targets));
  }

  void attach(Sub& s, std::vector<PushTarget> targets) {
    auto ctx = tls_context();
    if (!ctx) {
      fail(s, FailureKind::kTlsVerify, ctx.error().message);
      return;
    }
    const std::string key = targets.front().name + ":" + std::to_string(targets.front().port);
    auto it = conns.find(key);
    if (it == conns.end()) {
      auto weak = weak_from_this();
      auto conn = std::make_shared<PushConnection>(
          ex, std::move(targets), *ctx, opts.push,
          [weak, key](const ChannelEvent& e) {
            if (auto self = weak.lock()) self->on_channel(key, e);
          },
          [weak, key](const ConnectFailure& f) {
            if (auto self = weak.lock()) self->on_connect_failure(key, f);
          },
          opts.connect_timeout);
      it = conns.emplace(key, conn).first;
      conn->start();
    }
    s.mode = Sub::Mode::kPush;
    s.conn_key = key;
    status(s, Kind::kInfo, "push server " + it->second->describe());
    it->second->add(s.id, &s.set);
  }

  std::vector<Sub*> subs_on(const std::string& key) {
    std::vector<Sub*> out;
    for (auto& [id, s] : subs)
      if (s->conn_key == key) out.push_back(s.get());
    return out;
  }

  void on_channel(const std::string& key, const ChannelEvent& e) {
    if (const auto* se = std::get_if<SubscriptionEvent>(&e)) {
      if (Sub* s = find(se->id)) event(*s, se->event);
      return;
    }
    if (const auto* st = std::get_if<SubscriptionStatus>(&e)) {
      Sub* s = find(st->id);
      if (s == nullptr) return;
      switch (st->state) {
        case SubscriptionStatus::State::kSubscribed: {
          auto c = conns.find(key);
          status(*s, Kind::kPushing,
                 fmt::format("subscribed at {} (TLS authenticated by {})",
                             c != conns.end() ? c->second->describe() : key,
                             c != conns.end() ? c->second->authentication() : std::string("?")));
          return;
        }
        case SubscriptionStatus::State::kSuspended:
          status(*s, Kind::kReconnecting, "push session lost: " + st->text);
          return;
        case SubscriptionStatus::State::kRetrying:
          status(*s, Kind::kInfo,
                 st->text + (st->retry_at ? ", retrying in " + seconds(*st->retry_at - Clock::now())
                                          : std::string()));
          return;
        case SubscriptionStatus::State::kFailed:
          s->conn_key.clear();  // the channel already forgot it
          if (opts.protocol == Protocol::kAuto && st->rcode == wire::Rcode::NOERROR) {
            fallback(*s, st->text);
            return;
          }
          // NOERROR here: the channel found the server without DNS Push.
          fail(*s,
               st->rcode == wire::Rcode::NOERROR ? FailureKind::kUnavailable
                                                 : failure_for(st->rcode),
               st->text);
          return;
      }
      return;
    }
    const auto& cs = std::get<ChannelStatus>(e);
    switch (cs.state) {
      case ChannelStatus::State::kDisconnected:
        // kReconnecting was said when the session was lost; each retry is a detail.
        for (Sub* s : subs_on(key)) {
          status(*s, Kind::kInfo,
                 cs.text + (cs.retry_at ? fmt::format(" (reconnecting in {})",
                                                      seconds(*cs.retry_at - Clock::now()))
                                        : std::string()));
        }
        return;
      case ChannelStatus::State::kUnsupported:
        for (Sub* s : subs_on(key)) {
          if (opts.protocol == Protocol::kAuto) {
            detach(*s);
            fallback(*s, cs.text);
          } else {
            fail(*s, FailureKind::kUnavailable, cs.text);
          }
        }
        return;
      default:
        return;
    }
  }

  void on_connect_failure(const std::string& key, const ConnectFailure& f) {
    if (f.ever_established) return;  // a server that worked before: keep retrying
    for (Sub* s : subs_on(key)) {
      if (f.failure == net::Failure::kTlsVerify) {
        // Never fall back silently past a certificate that does not verify.
        fail(*s, FailureKind::kTlsVerify, f.text);
      } else if (opts.protocol == Protocol::kAuto) {
        detach(*s);
        fallback(*s, "push server unreachable: " + f.text);
      } else {
        fail(*s,
             f.failure == net::Failure::kTimeout ? FailureKind::kTimeout : FailureKind::kConnect,
             f.text);
      }
    }
  }

  // Auto: push did not work (or the zone has none): LLQ where the zone has an LLQ server,
  // else polling.
  void fallback(Sub& s, const std::string& why) {
    if (!s.llq_targets.empty()) {
      auto targets = std::move(s.llq_targets);
      s.llq_targets.clear();
      status(s, Kind::kInfo, why + ": trying LLQ");
      start_llq(s, std::move(targets));
      return;
    }
    start_poll(s, why + ": polling instead");
  }

  static std::vector<LlqTarget> llq_targets(const DiscoveryResult& res) {
    std::vector<LlqTarget> out;
    const ServiceResult* llq = res.find(Service::kLlqUdp);
    if (llq == nullptr) return out;
    for (const auto& t : llq->targets) {
      if (t.addresses.empty()) continue;
      out.push_back(LlqTarget{t.srv.target.to_text(), t.srv.port, t.addresses});
    }
    return out;
  }

  // Protocol llq: the given server, else discovery of _dns-llq._udp (RFC 8764 §3.1).
  asio::awaitable<void> start_llq_by_discovery(SubscriptionId id) {
    auto self = shared_from_this();
    Sub* s = find(id);
    std::vector<LlqTarget> targets;
    if (opts.llq_server) {
      auto addrs = co_await resolver.addresses(opts.llq_server->host);
      if (stopped || (s = find(id)) == nullptr) co_return;
      if (addrs.empty()) {
        fail(*s, FailureKind::kNoServer, "cannot resolve " + opts.llq_server->host);
        co_return;
      }
      targets.push_back(LlqTarget{opts.llq_server->host, opts.llq_server->port, std::move(addrs)});
    } else {
      status(*s, Kind::kDiscovering, "discovering the LLQ server for " + s->q.name.to_text());
      DiscoveryConfig dc;
      dc.services = {Service::kLlqUdp};
      dc.dane = false;
      auto res = co_await resolver.discover(s->q.name, dc);
      if (stopped || (s = find(id)) == nullptr || s->mode == Sub::Mode::kDone) co_return;
      bool timed_out = false;
      for (const auto& line : res.log) {
        if (line.find("no answer") != std::string::npos) timed_out = true;
        status(*s, Kind::kInfo, line);
      }
      targets = llq_targets(res);
      if (targets.empty()) {
        fail(*s, timed_out && !res.zone_found ? FailureKind::kTimeout : FailureKind::kNoServer,
             !res.zone_found ? res.error
                             : fmt::format("no LLQ server for zone {} (no usable {}.{} SRV)",
                                           res.zone.to_text(), service_label(Service::kLlqUdp),
                                           res.zone.to_text()));
        co_return;
      }
    }
    start_llq(*s, std::move(targets));
  }

  void start_llq(Sub& s, std::vector<LlqTarget> targets) {
    s.mode = Sub::Mode::kLlq;
    s.conn_key.clear();
    auto weak = weak_from_this();
    const SubscriptionId id = s.id;
    auto conn = std::make_shared<LlqConnection>(ex, std::move(targets), s.q, &s.set, opts.llq,
                                                [weak, id](const LlqEvent& e) {
                                                  if (auto self = weak.lock()) self->on_llq(id, e);
                                                });
    s.llq = conn;
    status(s, Kind::kInfo, "LLQ server " + conn->describe());
    conn->start();  // may report (and end) at once: `s` is not used after this
  }

  void on_llq(SubscriptionId id, const LlqEvent& e) {
    Sub* s = find(id);
    if (s == nullptr || s->mode != Sub::Mode::kLlq || !s->llq) return;
    if (const auto* r = std::get_if<RecordEvent>(&e)) {
      event(*s, *r);
      return;
    }
    const auto& st = std::get<LlqStatus>(e);
    using LS = LlqStatus::State;
    switch (st.state) {
      case LS::kEstablished:
        status(*s, Kind::kLlq,
               fmt::format("LLQ established at {} (lease {} s)", s->llq->describe(), st.lease));
        return;
      case LS::kTruncated:
        status(*s, Kind::kInfo, st.text);
        asio::co_spawn(ex, fetch_full(id), asio::detached);
        return;
      case LS::kLost:
        status(*s, Kind::kReconnecting, "LLQ lost: " + st.text);
        return;
      case LS::kRetrying:
        status(*s, Kind::kInfo,
               st.text + (st.retry_at ? ", retrying in " + seconds(*st.retry_at - Clock::now())
                                      : std::string()));
        return;
      case LS::kFailed: {
        auto llq = std::move(s->llq);
        llq->stop();
        if (opts.protocol == Protocol::kAuto) {
          start_poll(*s, st.text + ": polling instead");
          return;
        }
        FailureKind f = FailureKind::kRcode;
        switch (st.reason) {
          case LlqStatus::Reason::kNoAnswer:
            f = FailureKind::kTimeout;
            break;
          case LlqStatus::Reason::kUnreachable:
            f = FailureKind::kConnect;
            break;
          case LlqStatus::Reason::kUnavailable:
            f = FailureKind::kUnavailable;
            break;
          case LlqStatus::Reason::kRcode:
            f = failure_for(st.rcode);
            break;
          default:
            break;
        }
        fail(*s, f, st.text);
        return;
      }
    }
  }

  // A truncated ACK (RFC 8764 §5.1): the LLQ stands; the answer comes by the resolver.
  asio::awaitable<void> fetch_full(SubscriptionId id) {
    auto self = shared_from_this();
    Sub* s = find(id);
    if (s == nullptr) co_return;
    const Question q = s->q;
    auto r = co_await resolver.query(q, /*use_cache=*/false);
    if (stopped || (s = find(id)) == nullptr || !s->llq || !r.answer) co_return;
    const auto records = r.answer->matching(q);
    auto llq = s->llq;
    llq->full_answer(records);
  }

  void start_poll(Sub& s, std::string why) {
    s.mode = Sub::Mode::kPoll;
    s.conn_key.clear();
    status(s, Kind::kPolling, std::move(why));
    s.poll_timer = std::make_unique<asio::steady_timer>(ex);
    asio::co_spawn(ex, poll(s.id), asio::detached);
  }

  // RFC 8765 §6.1's fallback: query, reconcile, wait min(900 s, TTL + 2 s) at least.
  asio::awaitable<void> poll(SubscriptionId id) {
    auto self = shared_from_this();
    for (;;) {
      Sub* s = find(id);
      if (s == nullptr || s->mode != Sub::Mode::kPoll || stopped) co_return;
      auto r = co_await resolver.query(s->q, /*use_cache=*/false);
      if ((s = find(id)) == nullptr || s->mode != Sub::Mode::kPoll || stopped) co_return;
      Duration wait = poll_interval(0, opts.poll_interval);
      if (r.answer &&
          (r.answer->rcode == wire::Rcode::NOERROR || r.answer->rcode == wire::Rcode::NXDOMAIN)) {
        std::vector<RecordEvent> out;
        const auto records = r.answer->matching(s->q);
        s->set.replace(records, out);
        for (const auto& e : out) event(*s, e);
        wait = poll_interval(r.answer->cache_ttl(), opts.poll_interval);
        if (!s->reported_polling) {
          s->reported_polling = true;
          status(*s, Kind::kInfo,
                 fmt::format("polling {} every {} (RFC 8765 §6.1: TTL + 2 s, at most "
                             "15 min, or --poll-interval)",
                             r.server, seconds(wait)));
        }
      } else if (r.answer) {
        status(*s, Kind::kInfo,
               fmt::format("the resolver answered {}", wire::to_text(r.answer->rcode)));
      } else {
        status(*s, Kind::kInfo, "no answer from the resolver: " + r.error.text);
      }
      s->poll_timer->expires_after(wait);
      asio::steady_timer* t = s->poll_timer.get();
      co_await t->async_wait(kAsTuple);
    }
  }

  void stop_all() {
    stopped = true;
    for (auto& [id, s] : subs) {
      if (s->poll_timer) s->poll_timer->cancel();
      if (s->llq) {
        auto llq = std::move(s->llq);
        llq->stop();
      }
      s->mode = Sub::Mode::kDone;
      if (s->on_end) s->on_end();
    }
    for (auto& [k, c] : conns) c->stop();
    conns.clear();
  }
};

Client::Client(asio::io_context& ctx, ClientOptions options)
    : impl_(std::make_shared<Impl>(ctx, std::move(options))) {}

Client::~Client() {
  stop();
}

asio::any_io_executor Client::executor() const {
  return impl_->ex;
}

Resolver& Client::resolver() {
  return impl_->resolver;
}

SubscriptionId Client::subscribe(const Question& q, EventCallback on_event,
                                 StatusCallback on_status) {
  const SubscriptionId id = impl_->next_id++;
  auto s = std::make_unique<Impl::Sub>(Impl::Sub{id, q, RecordSet(q, impl_->opts.max_records),
                                                 std::move(on_event), std::move(on_status)});
  impl_->subs.emplace(id, std::move(s));
  asio::co_spawn(impl_->ex, impl_->start(id), asio::detached);
  return id;
}

std::shared_ptr<EventStream> Client::subscribe_stream(const Question& q, std::size_t max_queued) {
  std::shared_ptr<EventStream> st(new EventStream(impl_->ex, max_queued));
  std::weak_ptr<Impl> weak = impl_;
  auto snapshot_of = [weak, st]() -> std::vector<wire::Record> {
    if (auto self = weak.lock()) {
      if (auto* s = self->find(st->id())) return s->set.records(Clock::now());
    }
    return {};
  };
  st->id_ = subscribe(
      q,
      [st, snapshot_of](const RecordEvent& e) {
        StreamItem it;
        it.event = e;
        st->push(std::move(it), snapshot_of);
      },
      [st, snapshot_of](const Status& s) {
        StreamItem it;
        it.kind = StreamItem::Kind::kStatus;
        it.status = s;
        st->push(std::move(it), snapshot_of);
        if (s.kind == Status::Kind::kFailed) st->close();
      });
  if (auto* s = impl_->find(st->id_)) s->on_end = [st] { st->close(); };
  return st;
}

std::vector<wire::Record> Client::answers(SubscriptionId id) const {
  auto* s = impl_->find(id);
  return s == nullptr ? std::vector<wire::Record>{} : s->set.records(Clock::now());
}

void Client::unsubscribe(SubscriptionId id) {
  auto* s = impl_->find(id);
  if (s == nullptr) return;
  impl_->detach(*s);
  s->mode = Impl::Sub::Mode::kDone;
  if (s->on_end) s->on_end();
  impl_->subs.erase(id);
}

void Client::stop() {
  if (impl_) impl_->stop_all();
}

// ---- ClientThread ------------------------------------------------------------------------

ClientThread::ClientThread(ClientOptions options)
    : client_(std::make_unique<Client>(ctx_, std::move(options))),
      work_(asio::make_work_guard(ctx_)),
      thread_([this] { ctx_.run(); }) {}

ClientThread::~ClientThread() {
  asio::post(ctx_, [this] { client_->stop(); });
  work_.reset();
  thread_.join();
  client_.reset();
}

SubscriptionId ClientThread::subscribe(const Question& q, EventCallback on_event,
                                       StatusCallback on_status) {
  std::promise<SubscriptionId> p;
  auto f = p.get_future();
  asio::post(
      ctx_, [&] { p.set_value(client_->subscribe(q, std::move(on_event), std::move(on_status))); });
  return f.get();
}

std::vector<wire::Record> ClientThread::answers(SubscriptionId id) {
  std::promise<std::vector<wire::Record>> p;
  auto f = p.get_future();
  asio::post(ctx_, [&] { p.set_value(client_->answers(id)); });
  return f.get();
}

void ClientThread::unsubscribe(SubscriptionId id) {
  std::promise<void> p;
  auto f = p.get_future();
  asio::post(ctx_, [&] {
    client_->unsubscribe(id);
    p.set_value();
  });
  f.get();
}

}  // namespace dnspush::client
