// dso::Session, the application's side: answers and responses, messages it initiates,
// and the calls that end or reshape the session.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "dso/edns_scan.hpp"
#include "dso/session.hpp"
#include "wire/message.hpp"
#include "wire/reader.hpp"

namespace dnspush::dso {

using wire::Rcode;

namespace {

// RFC 8490 §6.6.1: the server gives the client five seconds to close after Retry Delay.
constexpr Duration kRetryDelayGrace = std::chrono::seconds(5);

}  // namespace

// ---- the application's side ----------------------------------------------------------------

bool Session::answer(QueryToken token, Frame msg, TimePoint now, bool more) {
  auto it = std::find_if(owed_queries_.begin(), owed_queries_.end(),
                         [&](const OwedQuery& q) { return q.token == token; });
  if (it == owed_queries_.end()) return false;
  const bool strip = it->tcp_keepalive;
  if (!more) {
    owed_queries_.erase(it);
    operation_ended(now);
  }
  bool ok = false;
  if (msg && !shutdown_) {
    // A query from before the DSO session asked for edns-tcp-keepalive; the session now
    // exists and the option may not be sent any more (RFC 8490 §7.1.2).
    if (strip && established_) {
      if (auto pos = find_edns_option(*msg, wire::edns_option::kTcpKeepalive))
        msg = make_frame(remove_edns_option(*msg, *pos));
    }
    ok = queue(std::move(msg), now, false);
  }
  if (!more) {
    check_closing();
    resume(now);
  }
  return ok;
}

bool Session::no_answer(QueryToken token, TimePoint now) {
  auto it = std::find_if(owed_queries_.begin(), owed_queries_.end(),
                         [&](const OwedQuery& q) { return q.token == token; });
  if (it == owed_queries_.end()) return false;
  owed_queries_.erase(it);
  operation_ended(now);
  check_closing();
  resume(now);
  return true;
}

bool Session::respond(std::uint16_t id, Rcode rcode, TimePoint now, std::span<const Tlv> tlvs,
                      std::optional<Duration> retry_delay) {
  auto it = std::find_if(owed_requests_.begin(), owed_requests_.end(),
                         [&](const OwedRequest& r) { return r.id == id; });
  if (it == owed_requests_.end()) return false;
  const bool padded = it->padded;
  owed_requests_.erase(it);
  operation_ended(now);
  bool ok = false;
  if (!shutdown_) {
    ok = queue_response(id, rcode, tlvs, retry_delay, padded, now, false);
    // RFC 8490 §5.1.2: the server's NOERROR response establishes the session.
    if (ok && rcode == Rcode::NOERROR && !established_ && state_ == State::kOpen) establish(now);
  }
  check_closing();
  resume(now);
  return ok;
}

bool Session::cancel(std::uint16_t id, Rcode rcode, TimePoint now) {
  if (state_ != State::kOpen || shutdown_ || !established_ || id == 0 || rcode == Rcode::NOERROR ||
      owes_request(id))
    return false;
  return queue_response(id, rcode, {}, std::nullopt, peer_pads_, now, false);
}

bool Session::send_unidirectional(Frame msg, TimePoint now) {
  if (!msg || state_ != State::kOpen || shutdown_ || !established_) return false;
  const auto h = wire::Header::peek(*msg);
  if (!h || h->opcode != wire::Opcode::DSO || h->qr || h->id != 0 || h->qdcount != 0 ||
      h->ancount != 0 || h->nscount != 0 || h->arcount != 0)
    return false;
  wire::Reader r(*msg);
  r.skip(wire::kHeaderSize);
  const auto type = static_cast<TlvType>(r.u16());
  if (!r.ok()) return false;
  const AppTlv* app = app_tlv(type);
  if (app == nullptr || app->kind != TlvKind::kUnidirectional || !may_initiate(*app, cfg_.role))
    return false;
  return queue(std::move(msg), now, false);
}

bool Session::send_unsolicited(Frame msg, TimePoint now) {
  if (!msg || cfg_.role != Role::kServer || state_ != State::kOpen || shutdown_) return false;
  const auto h = wire::Header::peek(*msg);
  if (!h || !h->qr || h->opcode != wire::Opcode::QUERY) return false;
  return queue(std::move(msg), now, false);
}

void Session::set_long_lived(std::size_t active, TimePoint now) {
  if (active != long_lived_) operation_ended(now);
  long_lived_ = active;
}

void Session::pause_reading(bool paused, TimePoint now) {
  paused_ = paused;
  resume(now);
}

void Session::set_timeouts(Timeouts t, TimePoint now) {
  if (cfg_.role == Role::kServer && t.keepalive < kMinKeepaliveInterval)
    t.keepalive = kMinKeepaliveInterval;
  cfg_.timeouts = t;
  if (cfg_.role == Role::kServer && established_ && state_ == State::kOpen && !shutdown_)
    announce_timeouts(now);
}

bool Session::retry_delay(Duration delay, Rcode rcode, TimePoint now) {
  if (cfg_.role != Role::kServer || state_ != State::kOpen || shutdown_) return false;
  if (!established_) {
    close(now);
    return false;
  }
  // §6.6.1: the Retry Delay is the last message. What is already queued goes out before
  // it: among it may be the NOERROR response that established the session, without which
  // the client would take the Retry Delay for a protocol error (§5.1).
  // §7.2.1: the RCODE gives the reason; one a DSO header cannot carry becomes NOERROR,
  // which clients treat any unknown RCODE as anyway.
  const Rcode rc = static_cast<std::uint16_t>(rcode) > 0x0F ? Rcode::NOERROR : rcode;
  auto msg = MessageBuilder::unidirectional(rc)
                 .add(TlvType::RetryDelay, encode_retry_delay(retry_delay_ms(delay)))
                 .finish();
  if (!msg) return false;
  if (auto block = initiator_pad_block()) pad_message(*msg, *block);
  if (!queue(make_frame(std::move(*msg)), now, false)) return false;
  // §6.6.1.1: requests still in flight are ignored and never answered.
  shutdown_ = true;
  shutdown_deadline_ = now + kRetryDelayGrace;
  owed_queries_.clear();
  owed_requests_.clear();
  std::vector<std::uint8_t>().swap(in_);
  partial_since_.reset();
  return true;
}

void Session::close(TimePoint now) {
  (void)now;
  if (state_ != State::kOpen && state_ != State::kClosing) return;
  finish(State::kClosed, CloseReason::kApplication, "closed by the application");
}

void Session::abort(std::string text, TimePoint now, CloseReason reason) {
  (void)now;
  if (state_ == State::kAborted) return;
  if (state_ == State::kClosed) {  // already reported: just stop flushing
    state_ = State::kAborted;
    out_.clear();
    queued_bytes_ = 0;
    return;
  }
  finish(State::kAborted, reason, std::move(text));
}

// ---- initiating ----------------------------------------------------------------------------

std::optional<std::uint16_t> Session::request(const Tlv& primary, TimePoint now, bool long_lived,
                                              std::span<const Tlv> additional) {
  const AppTlv* app = app_tlv(primary.type);
  if (app == nullptr || app->kind != TlvKind::kRequest || !may_initiate(*app, cfg_.role))
    return std::nullopt;
  return send_request(primary.type, primary.data, additional, long_lived, now);
}

std::optional<std::uint16_t> Session::send_keepalive(TimePoint now) {
  if (cfg_.role != Role::kClient || keepalive_id_) return std::nullopt;
  const Timeouts& t = cfg_.timeouts;
  const auto data = encode_keepalive(Keepalive{to_wire_ms(t.inactivity), to_wire_ms(t.keepalive)});
  auto id = send_request(TlvType::KeepAlive, data, {}, false, now);
  if (id) keepalive_id_ = id;
  return id;
}

std::optional<std::uint16_t> Session::send_request(TlvType type, std::span<const std::uint8_t> data,
                                                   std::span<const Tlv> additional, bool long_lived,
                                                   TimePoint now) {
  if (!dso_available()) return std::nullopt;
  if (cfg_.role == Role::kServer && !established_) return std::nullopt;  // RFC 8490 §5.1
  auto id = allocate_id();
  if (!id) return std::nullopt;
  auto b = MessageBuilder::request(*id);
  b.add(type, data);
  for (const Tlv& t : additional) b.add(t);
  auto msg = b.finish();
  if (!msg) return std::nullopt;
  if (auto block = initiator_pad_block()) pad_message(*msg, *block);
  if (!queue(make_frame(std::move(*msg)), now, type == TlvType::KeepAlive)) return std::nullopt;
  pending_.push_back(Pending{*id, type, long_lived, now});
  return id;
}

std::optional<std::uint16_t> Session::allocate_id() {
  // RFC 8490 §5.4.1: nonzero and not in use by a request awaiting its response or by a
  // long-lived operation.
  for (unsigned i = 0; i < 0x10000; ++i) {
    const std::uint16_t id = next_id_++;
    if (id == 0) continue;
    const auto same = [&](const Pending& p) { return p.id == id; };
    if (std::any_of(pending_.begin(), pending_.end(), same) ||
        std::any_of(operations_.begin(), operations_.end(), same) || recently_ended(id))
      continue;
    return id;
  }
  return std::nullopt;
}

void Session::end_operation(std::uint16_t id, TimePoint now) {
  auto op = std::find_if(operations_.begin(), operations_.end(),
                         [&](const Pending& p) { return p.id == id; });
  if (op == operations_.end()) return;
  operations_.erase(op);
  ended_[ended_next_++ % kRecentlyEnded] = id;
  operation_ended(now);
}

bool Session::send_query(Frame msg, TimePoint now) {
  if (!msg || state_ != State::kOpen || shutdown_) return false;
  const auto h = wire::Header::peek(*msg);
  if (!h || h->qr || (cfg_.dso_enabled && h->opcode == wire::Opcode::DSO)) return false;
  // RFC 7766 §6.2.1: no two queries in flight with one id.
  if (std::find(queries_.begin(), queries_.end(), h->id) != queries_.end()) return false;
  if (!queue(std::move(msg), now, false)) return false;
  queries_.push_back(h->id);
  return true;
}

bool Session::dso_available() const {
  return cfg_.dso_enabled && !dso_refused_ && state_ == State::kOpen && !shutdown_;
}

}  // namespace dnspush::dso
