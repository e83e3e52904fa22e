#include "client/push_channel.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dso/message.hpp"
#include "push/tlv.hpp"

namespace dnspush::client {

using SubState = SubscriptionStatus::State;
using ChanState = ChannelStatus::State;
using wire::Rcode;

namespace {

// A SUBSCRIBE refused without a Retry Delay (RFC 8765 §6.2.2 makes it optional) is not
// retried sooner than this.
constexpr Duration kDefaultRefusedRetry = std::chrono::seconds(30);

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// RFC 8765 §6.2.2: REFUSED (and SERVFAIL) say "not now"; the other errors say the
// subscription will never work on this server.
bool temporary(Rcode r) {
  return r == Rcode::REFUSED || r == Rcode::SERVFAIL;
}

}  // namespace

PushChannel::PushChannel(PushChannelConfig cfg, Backoff::Random random)
    : cfg_(std::move(cfg)), backoff_(cfg_.backoff, std::move(random)) {}

PushChannel::Sub* PushChannel::find(SubscriptionId id) {
  for (auto& s : subs_)
    if (s.id == id && !s.removed) return &s;
  return nullptr;
}

void PushChannel::add(SubscriptionId id, RecordSet* set, TimePoint now) {
  subs_.push_back(Sub{id, set});
  switch (state_) {
    case State::kIdle:
      state_ = State::kWaiting;
      connect_at_ = std::max(now, backoff_.not_before().value_or(now));
      events_.push_back(ChannelStatus{ChanState::kConnecting, connect_at_, {}});
      return;
    case State::kConnected:
      if (established()) subscribe(subs_.back(), now);
      return;
    case State::kUnsupported:
      events_.push_back(SubscriptionStatus{id, SubState::kFailed, Rcode::NOERROR, std::nullopt,
                                           "the server does not support DNS Push"});
      subs_.pop_back();
      return;
    case State::kWaiting:
      return;
  }
}

void PushChannel::remove(SubscriptionId id, TimePoint now) {
  Sub* s = find(id);
  if (s == nullptr) return;
  if (s->active_id && session_ && session_->state() == dso::Session::State::kOpen) {
    // RFC 8765 §6.4: UNSUBSCRIBE carries the MESSAGE ID of the SUBSCRIBE.
    auto b = dso::MessageBuilder::unidirectional();
    const auto mark = b.begin_tlv(dso::TlvType::UNSUBSCRIBE);
    push::encode_unsubscribe(b.writer(), *s->active_id);
    b.end_tlv(mark);
    if (auto msg = b.finish()) {
      if (cfg_.pad) dso::pad_message(*msg, dso::kClientPaddingBlock);
      session_->send_unidirectional(dso::make_frame(std::move(*msg)), now);
    }
    session_->end_operation(*s->active_id, now);
  }
  if (s->request_id && session_) {
    s->removed = true;  // its response is still coming: unsubscribe then
  } else {
    // This entry only: the same id may have been added again while an earlier
    // entry waits, removed, for its SUBSCRIBE's answer.
    subs_.erase(subs_.begin() + (s - subs_.data()));
  }
}

void PushChannel::subscribe(Sub& s, TimePoint now) {
  if (s.removed || s.request_id || s.active_id) return;
  if (s.retry_at && *s.retry_at > now) return;
  s.retry_at.reset();
  wire::Writer w;
  push::encode_subscribe(
      w, push::Subscribe{s.set->question().name, s.set->question().type, s.set->question().cls});
  const auto data = w.take();
  s.request_id =
      session_->request(dso::Tlv{dso::TlvType::SUBSCRIBE, data}, now, /*long_lived=*/true);
  if (!s.request_id) {
    // Out of message ids or the session is closing: the next session sends it.
    s.retry_at = now + cfg_.backoff.initial;
  }
}

void PushChannel::subscribe_due(TimePoint now) {
  if (!established()) return;
  for (auto& s : subs_) subscribe(s, now);
}

void PushChannel::connected(TimePoint now) {
  dso::SessionConfig c;
  c.role = dso::Role::kClient;
  c.app_tlvs = dso::push_tlvs();
  c.pad = cfg_.pad;
  c.timeouts = cfg_.timeouts;
  session_ = std::make_unique<dso::Session>(std::move(c), now);
  state_ = State::kConnected;
  connect_at_.reset();
  // RFC 8490 §5.1.1: establish with a Keepalive, so that an error for the first
  // SUBSCRIBE cannot be taken for "no DSO here".
  session_->send_keepalive(now);
  drain_session(now);
}

void PushChannel::connect_failed(const std::string& why, TimePoint now, bool permanent) {
  session_.reset();
  if (subs_.empty()) {
    state_ = State::kIdle;
    events_.push_back(ChannelStatus{ChanState::kIdle, std::nullopt, why});
    return;
  }
  if (permanent) {
    state_ = State::kUnsupported;
    events_.push_back(ChannelStatus{ChanState::kUnsupported, std::nullopt, why});
    return;
  }
  state_ = State::kWaiting;
  connect_at_ = backoff_.failed(now);
  events_.push_back(ChannelStatus{ChanState::kDisconnected, connect_at_, why});
}

void PushChannel::receive(std::span<const std::uint8_t> bytes, TimePoint now) {
  if (!session_) return;
  session_->receive(bytes, now);
  drain_session(now);
}

void PushChannel::connection_lost(const std::string& why, TimePoint now) {
  if (!session_ || state_ != State::kConnected) return;
  if (session_->state() == dso::Session::State::kOpen ||
      session_->state() == dso::Session::State::kClosing) {
    session_->abort(why, now, dso::CloseReason::kPeerClosed);
    drain_session(now);
  }
}

bool PushChannel::should_close() const {
  return session_ && session_->state() != dso::Session::State::kOpen &&
         session_->state() != dso::Session::State::kClosing;
}

std::optional<dso::Frame> PushChannel::poll_transmit() {
  if (!session_ || session_->state() == dso::Session::State::kAborted) return std::nullopt;
  return session_->poll_transmit();
}

void PushChannel::drain_session(TimePoint now) {
  while (session_) {
    auto e = session_->poll_event();
    if (!e) return;
    std::visit(Overloaded{
                   [&](dso::EstablishedEvent&) {
                     backoff_.succeeded();
                     events_.push_back(ChannelStatus{ChanState::kEstablished, std::nullopt, {}});
                     subscribe_due(now);
                   },
                   [&](dso::ResponseEvent& r) { on_response(r, now); },
                   [&](dso::UnidirectionalEvent& u) {
                     if (u.type == dso::TlvType::PUSH) on_push(u.message, now);
                   },
                   [&](dso::RetryDelayEvent& r) { backoff_.retry_delay(now, r.delay); },
                   [&](dso::QueryEvent& q) { session_->no_answer(q.token, now); },
                   [&](dso::ClosedEvent& c) { session_closed(c.text, now); },
                   [&](auto&) {},
               },
               *e);
  }
}

void PushChannel::on_response(const dso::ResponseEvent& r, TimePoint now) {
  if (r.type == dso::TlvType::KeepAlive) {
    // RFC 8490 §5.1.1: an error to our first DSO request: the server does not do DSO.
    state_ = State::kUnsupported;
    events_.push_back(ChannelStatus{
        ChanState::kUnsupported, std::nullopt,
        fmt::format("the server answered {} to a DSO Keepalive: no DSO (RFC 8490 §5.1.1)",
                    wire::to_text(r.rcode))});
    session_->close(now);
    return;
  }
  if (r.type != dso::TlvType::SUBSCRIBE) return;
  if (r.cancelled) {
    // RFC 8490 §5.6: the server ended a subscription it had accepted.
    for (auto& s : subs_) {
      if (s.active_id != r.id) continue;
      s.active_id.reset();
      s.set->suspend(now);
      s.retry_at = now + r.retry_delay.value_or(kDefaultRefusedRetry);
      events_.push_back(SubscriptionStatus{
          s.id, SubState::kSuspended, r.rcode, s.retry_at,
          fmt::format("the server cancelled the subscription ({})", wire::to_text(r.rcode))});
    }
    return;
  }
  auto it =
      std::find_if(subs_.begin(), subs_.end(), [&](const Sub& s) { return s.request_id == r.id; });
  if (it == subs_.end()) return;
  Sub& s = *it;
  s.request_id.reset();
  if (s.removed) {
    if (r.rcode == Rcode::NOERROR && session_->state() == dso::Session::State::kOpen) {
      // RFC 8765 §6.4: removed while its SUBSCRIBE was on the way: unsubscribe now.
      auto b = dso::MessageBuilder::unidirectional();
      const auto mark = b.begin_tlv(dso::TlvType::UNSUBSCRIBE);
      push::encode_unsubscribe(b.writer(), r.id);
      b.end_tlv(mark);
      if (auto msg = b.finish()) {
        if (cfg_.pad) dso::pad_message(*msg, dso::kClientPaddingBlock);
        session_->send_unidirectional(dso::make_frame(std::move(*msg)), now);
      }
      session_->end_operation(r.id, now);
    }
    subs_.erase(it);
    return;
  }
  if (r.rcode == Rcode::NOERROR) {
    s.active_id = r.id;
    // After a reconnect the initial answer comes again: reconcile (record_set.hpp).
    if (s.ever_subscribed) {
      s.set->begin_resync(now + cfg_.resync_grace);
    } else {
      s.set->set_live();
    }
    s.ever_subscribed = true;
    events_.push_back(SubscriptionStatus{s.id, SubState::kSubscribed, r.rcode, std::nullopt, {}});
    return;
  }
  if (r.rcode == Rcode::DSOTYPENI) {
    // RFC 8490 §5.4.5 / RFC 8765 §6.1: DSO, but not DNS Push.
    state_ = State::kUnsupported;
    events_.push_back(ChannelStatus{ChanState::kUnsupported, std::nullopt,
                                    "the server does DSO but not DNS Push (DSOTYPENI)"});
    session_->close(now);
    return;
  }
  if (temporary(r.rcode)) {
    s.retry_at = now + r.retry_delay.value_or(kDefaultRefusedRetry);
    events_.push_back(SubscriptionStatus{
        s.id, SubState::kRetrying, r.rcode, s.retry_at,
        fmt::format("SUBSCRIBE {}: {}", s.set->question().to_text(), wire::to_text(r.rcode))});
    return;
  }
  const SubscriptionId id = s.id;
  events_.push_back(SubscriptionStatus{
      id, SubState::kFailed, r.rcode, std::nullopt,
      fmt::format("SUBSCRIBE {}: {}", s.set->question().to_text(), wire::to_text(r.rcode))});
  std::erase_if(subs_, [&](const Sub& x) { return x.id == id; });
}

void PushChannel::on_push(const std::vector<std::uint8_t>& msg, TimePoint now) {
  auto d = push::parse_push_message(msg);
  if (!d) {
    // RFC 8765 §6.3.1: a malformed PUSH is fatal for the session.
    session_->abort("malformed PUSH: " + d.error().message, now, dso::CloseReason::kMalformed);
    return;
  }
  for (const auto& change : d->changes) {
    for (auto& s : subs_) {
      if (!s.active_id) continue;
      scratch_.clear();
      s.set->apply(change, now, scratch_);
      for (auto& ev : scratch_) events_.push_back(SubscriptionEvent{s.id, std::move(ev)});
    }
  }
}

void PushChannel::session_closed(const std::string& why, TimePoint now) {
  for (auto& s : subs_) {
    s.request_id.reset();
    if (s.active_id) {
      s.active_id.reset();
      s.set->suspend(now);
      events_.push_back(
          SubscriptionStatus{s.id, SubState::kSuspended, Rcode::NOERROR, std::nullopt, why});
    }
  }
  std::erase_if(subs_, [](const Sub& s) { return s.removed; });
  if (state_ == State::kUnsupported) return;
  if (subs_.empty()) {
    state_ = State::kIdle;
    events_.push_back(ChannelStatus{ChanState::kIdle, std::nullopt, why});
    return;
  }
  state_ = State::kWaiting;
  connect_at_ = backoff_.failed(now);
  events_.push_back(ChannelStatus{ChanState::kDisconnected, connect_at_, why});
}

std::optional<TimePoint> PushChannel::next_timeout() const {
  std::optional<TimePoint> t;
  const auto consider = [&](std::optional<TimePoint> at) {
    if (at && (!t || *at < *t)) t = at;
  };
  if (state_ == State::kWaiting) consider(connect_at_);
  if (session_) consider(session_->next_timeout());
  for (const auto& s : subs_) {
    if (established()) consider(s.retry_at);
    consider(s.set->next_timeout());
  }
  return t;
}

void PushChannel::on_timeout(TimePoint now) {
  if (session_) {
    session_->on_timeout(now);
    drain_session(now);
  }
  subscribe_due(now);
  for (auto& s : subs_) {
    scratch_.clear();
    s.set->on_timeout(now, scratch_);
    for (auto& ev : scratch_) events_.push_back(SubscriptionEvent{s.id, std::move(ev)});
  }
}

std::optional<ChannelEvent> PushChannel::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace dnspush::client
