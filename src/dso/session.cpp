#include "dso/session.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "dso/edns_scan.hpp"
#include "dso/recycling.hpp"
#include "wire/message.hpp"
#include "wire/reader.hpp"

namespace dnspush::dso {

using wire::Rcode;

Session::Session(SessionConfig config, TimePoint now)
    : cfg_(std::move(config)), last_message_(now), last_activity_(now) {
  // RFC 8490 §6.5.2: a server MUST NOT grant a keepalive interval below ten seconds.
  if (cfg_.role == Role::kServer && cfg_.timeouts.keepalive < kMinKeepaliveInterval)
    cfg_.timeouts.keepalive = kMinKeepaliveInterval;
  cfg_.max_outstanding = std::max<std::size_t>(cfg_.max_outstanding, 1);
  // Room for one whole message and its prefix, or nothing could ever be read.
  cfg_.max_buffered_input = std::max(cfg_.max_buffered_input, kMaxMessageSize + 2);
}

// ---- input -------------------------------------------------------------------------------

void Session::receive(std::span<const std::uint8_t> bytes, TimePoint now) {
  if (state_ != State::kOpen || shutdown_ || bytes.empty()) return;  // §6.6.1.1: ignored
  std::size_t used = 0;
  if (in_.empty()) {
    // Whole messages are handled straight from the caller's buffer; only the tail of an
    // incomplete one (or what backpressure left) is copied.
    in_process_ = true;
    used = process(bytes, now);
    in_process_ = false;
    const auto rest = bytes.subspan(used);
    if (state_ == State::kOpen && !rest.empty()) {
      if (rest.size() > cfg_.max_buffered_input) {
        abort(fmt::format("{} bytes of input buffered, more than the {} allowed", rest.size(),
                          cfg_.max_buffered_input),
              now, CloseReason::kInputOverflow);
      } else {
        in_.assign(rest.begin(), rest.end());
      }
    }
  } else {
    if (in_.size() + bytes.size() > cfg_.max_buffered_input) {
      abort(fmt::format("{} bytes of input buffered, more than the {} allowed",
                        in_.size() + bytes.size(), cfg_.max_buffered_input),
            now, CloseReason::kInputOverflow);
      return;
    }
    in_.insert(in_.end(), bytes.begin(), bytes.end());
    in_process_ = true;
    used = process(in_, now);
    in_process_ = false;
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(used));
  }
  after_input(now, used > 0);
}

void Session::receive_eof(TimePoint now) {
  (void)now;
  if (state_ != State::kOpen) return;
  std::vector<std::uint8_t>().swap(in_);
  partial_since_.reset();
  if (shutdown_) {
    finish(State::kClosed, CloseReason::kPeerClosed, "the client closed after Retry Delay");
    return;
  }
  // Answers the peer asked for before closing its side still go out, as over plain TCP.
  if (!owed_queries_.empty() || !owed_requests_.empty()) {
    state_ = State::kClosing;
    return;
  }
  finish(State::kClosed, CloseReason::kPeerClosed, "the peer closed the connection");
}

std::size_t Session::process(std::span<const std::uint8_t> buf, TimePoint now) {
  std::size_t pos = 0;
  while (state_ == State::kOpen && !shutdown_ && !blocked()) {
    // RFC 7766 §8: each message is preceded by its 2-byte length.
    wire::Reader r(buf.subspan(pos));
    const std::size_t len = r.u16();
    if (!r.ok() || r.remaining() < len) break;
    const auto msg = buf.subspan(pos + 2, len);
    pos += 2 + len;
    handle(msg, now);
  }
  return pos;
}

void Session::resume(TimePoint now) {
  if (in_process_ || state_ != State::kOpen || shutdown_) return;
  std::size_t used = 0;
  if (!in_.empty() && !blocked()) {
    in_process_ = true;
    used = process(in_, now);
    in_process_ = false;
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(used));
  }
  after_input(now, used > 0);
}

void Session::after_input(TimePoint now, bool consumed_any) {
  if (state_ != State::kOpen || in_.empty()) {
    std::vector<std::uint8_t>().swap(in_);  // an idle session holds no input buffer
    partial_since_.reset();
    return;
  }
  // Blocked: the head message may be complete and waiting for us, not for the peer.
  if (blocked()) {
    partial_since_.reset();
    return;
  }
  // The head message is incomplete: it must complete within message_timeout of its first
  // byte (or of reading resuming), however slowly its bytes trickle in.
  if (consumed_any || !partial_since_) partial_since_ = now;
}

bool Session::blocked() const {
  return paused_ || outstanding() >= cfg_.max_outstanding;
}

bool Session::wants_read() const {
  if (state_ != State::kOpen) return false;
  if (shutdown_) return true;  // read (and drop) until the client closes
  return !blocked() && events_.empty();
}

void Session::handle(std::span<const std::uint8_t> msg, TimePoint now) {
  const auto h = wire::Header::peek(msg);
  // Shorter than a header (a zero-length message included): nothing to answer and no
  // activity, so a peer cannot hold an idle connection open with empty frames.
  if (!h) return;
  if (cfg_.dso_enabled && h->opcode == wire::Opcode::DSO) {
    handle_dso(msg, now);
  } else {
    handle_dns(msg, now);
  }
}

void Session::handle_dns(std::span<const std::uint8_t> msg, TimePoint now) {
  const auto h = *wire::Header::peek(msg);
  std::optional<EdnsOptionPos> ka;
  if (cfg_.dso_enabled) ka = find_edns_option(msg, wire::edns_option::kTcpKeepalive);
  // RFC 8490 §5.4.6, §7.1.2: edns-tcp-keepalive in any message on a DSO session is fatal.
  if (ka && established_) {
    abort("edns-tcp-keepalive option on a DSO session (RFC 8490 §7.1.2)", now,
          CloseReason::kTcpKeepaliveOption);
    return;
  }
  if (h.qr) {
    auto it = std::find(queries_.begin(), queries_.end(), h.id);
    if (it == queries_.end()) return;  // not an answer to anything we asked: dropped
    queries_.erase(it);
    touch(now, false);
    operation_ended(now);
    events_.push_back(DnsResponseEvent{copy_message(msg)});
    return;
  }
  touch(now, false);
  const QueryToken token = next_token_++;
  owed_queries_.push_back(OwedQuery{token, ka.has_value()});
  events_.push_back(QueryEvent{token, copy_message(msg)});
}

void Session::handle_dso(std::span<const std::uint8_t> msg, TimePoint now) {
  const auto h = *wire::Header::peek(msg);
  if (h.qdcount != 0 || h.ancount != 0 || h.nscount != 0 || h.arcount != 0) {
    // RFC 8490 §5.4: FORMERR for a request; a response or unidirectional message cannot
    // be answered, and a server's request before the session exists is fatal anyway.
    const bool answerable = !h.qr && h.id != 0 && (cfg_.role == Role::kServer || established_);
    if (answerable && !owes_request(h.id)) {
      touch(now, false);
      queue_response(h.id, Rcode::FORMERR, {}, std::nullopt, false, now, false);
      return;
    }
    abort("DSO message with a nonzero count field (RFC 8490 §5.4)", now, CloseReason::kMalformed);
    return;
  }
  auto m = parse_message(msg);
  if (!m) {
    abort(m.error().message + " (RFC 8490 §5.4.4)", now, CloseReason::kMalformed);
    return;
  }
  if (m->has(TlvType::EncryptionPadding)) peer_pads_ = true;
  if (m->qr) {
    handle_dso_response(*m, msg, now);
  } else {
    handle_dso_request(*m, msg, now);
  }
}

void Session::handle_dso_request(const MessageView& m, std::span<const std::uint8_t> msg,
                                 TimePoint now) {
  const Tlv primary = *m.primary();  // parse_message: a request has at least one TLV
  const bool uni = m.id == 0;
  const bool padded = m.has(TlvType::EncryptionPadding);
  const bool from_client = cfg_.role == Role::kServer;
  // RFC 8490 §5.1: a server sends no DSO request or unidirectional message before the
  // session exists.
  if (!from_client && !established_) {
    abort("DSO message from the server before the session was established (RFC 8490 §5.1)", now,
          CloseReason::kNotEstablished);
    return;
  }
  switch (primary.type) {
    case TlvType::KeepAlive: {
      // RFC 8490 §7.1: a client's Keepalive is a request, a server's is unidirectional.
      if (from_client && uni) {
        abort("Keepalive from the client with MESSAGE ID 0 (RFC 8490 §7.1)", now,
              CloseReason::kBadMessageId);
        return;
      }
      if (!from_client && !uni) {
        abort("Keepalive from the server with a nonzero MESSAGE ID (RFC 8490 §7.1)", now,
              CloseReason::kBadMessageId);
        return;
      }
      if (from_client) {
        handle_keepalive_request(m, padded, now);
        return;
      }
      if (!additional_allowed(m, now)) return;
      auto k = decode_keepalive(primary.data);
      if (!k) {
        abort(k.error().message + " (RFC 8490 §7.1)", now, CloseReason::kMalformed);
        return;
      }
      touch(now, true);  // §7.1: resets only the keepalive timer
      apply_server_timeouts(*k, now);
      return;
    }
    case TlvType::RetryDelay: {
      if (from_client) {
        abort("Retry Delay from the client (RFC 8490 §7.2.1)", now, CloseReason::kUnexpectedTlv);
        return;
      }
      if (!uni) {
        abort("Retry Delay with a nonzero MESSAGE ID (RFC 8490 §7.2.1)", now,
              CloseReason::kBadMessageId);
        return;
      }
      if (!additional_allowed(m, now)) return;
      auto d = decode_retry_delay(primary.data);
      if (!d) {
        abort(d.error().message + " (RFC 8490 §7.2)", now, CloseReason::kMalformed);
        return;
      }
      touch(now, false);
      const auto rcode = static_cast<Rcode>(m.rcode);
      events_.push_back(RetryDelayEvent{std::chrono::milliseconds(*d), rcode});
      // §6.6.1: note the delay, then close gracefully at once.
      finish(State::kClosed, CloseReason::kRetryDelay,
             fmt::format("the server sent Retry Delay {} ms, RCODE {} (RFC 8490 §6.6.1)", *d,
                         wire::to_text(rcode)));
      return;
    }
    case TlvType::EncryptionPadding:
      abort("Encryption Padding as the Primary TLV (RFC 8490 §7.3)", now,
            CloseReason::kUnexpectedTlv);
      return;
    default:
      break;
  }

  const AppTlv* app = app_tlv(primary.type);
  if (app == nullptr) {
    // RFC 8490 §5.4.5: an unrecognized Primary TLV gets DSOTYPENI (without a copy of the
    // TLV) in a request, and is fatal in a unidirectional message.
    if (uni) {
      abort(fmt::format("unidirectional message with unrecognized Primary TLV {} "
                        "(RFC 8490 §5.4.5)",
                        to_text(primary.type)),
            now, CloseReason::kUnknownUnidirectional);
      return;
    }
    if (owes_request(m.id)) {
      abort(fmt::format("request reuses MESSAGE ID {}, still outstanding (RFC 8490 §5.5.2)", m.id),
            now, CloseReason::kBadMessageId);
      return;
    }
    touch(now, false);
    queue_response(m.id, Rcode::DSOTYPENI, {}, std::nullopt, padded, now, false);
    return;
  }
  if (!may_initiate(*app, from_client ? Role::kClient : Role::kServer)) {
    abort(fmt::format("{} from the {}", to_text(primary.type), from_client ? "client" : "server"),
          now, CloseReason::kUnexpectedTlv);
    return;
  }
  // RFC 8490 §5.4.1: the Primary TLV alone decides request or unidirectional.
  if ((app->kind == TlvKind::kUnidirectional) != uni) {
    abort(to_text(primary.type) +
              (uni ? " needs a response but has MESSAGE ID 0"
                   : " is unidirectional but has a nonzero MESSAGE ID") +
              " (RFC 8490 §5.4.1)",
          now, CloseReason::kBadMessageId);
    return;
  }
  if (!additional_allowed(m, now)) return;
  if (uni) {
    // RFC 8490 §5.1: no unidirectional message before the session exists.
    if (!established_) {
      abort(fmt::format("{} before the session was established (RFC 8490 §5.1)",
                        to_text(primary.type)),
            now, CloseReason::kNotEstablished);
      return;
    }
    touch(now, false);
    events_.push_back(UnidirectionalEvent{primary.type, copy_message(msg)});
    return;
  }
  if (owes_request(m.id)) {
    abort(fmt::format("request reuses MESSAGE ID {}, still outstanding (RFC 8490 §5.5.2)", m.id),
          now, CloseReason::kBadMessageId);
    return;
  }
  touch(now, false);
  owed_requests_.push_back(OwedRequest{m.id, padded});
  events_.push_back(RequestEvent{m.id, primary.type, copy_message(msg)});
}

void Session::handle_keepalive_request(const MessageView& m, bool padded, TimePoint now) {
  if (!additional_allowed(m, now)) return;
  auto k = decode_keepalive(m.primary()->data);
  if (!k) {
    abort(k.error().message + " (RFC 8490 §7.1)", now, CloseReason::kMalformed);
    return;
  }
  if (owes_request(m.id)) {
    abort(fmt::format("request reuses MESSAGE ID {}, still outstanding (RFC 8490 §5.5.2)", m.id),
          now, CloseReason::kBadMessageId);
    return;
  }
  touch(now, true);  // §7.1: a Keepalive resets only the keepalive timer
  // §7.1: the response carries the server's values, whatever the client asked for.
  const Timeouts granted = cfg_.timeouts;
  const auto data =
      encode_keepalive(Keepalive{to_wire_ms(granted.inactivity), to_wire_ms(granted.keepalive)});
  const Tlv tlv{TlvType::KeepAlive, data};
  keepalive_exchanged_ = true;
  if (!queue_response(m.id, Rcode::NOERROR, std::span(&tlv, 1), std::nullopt, padded, now, true))
    return;
  if (timeouts_ != granted) {
    timeouts_ = granted;
    timeouts_changed_ = now;
  }
  // §5.1.2: a NOERROR response to a DSO request establishes the session.
  if (!established_) establish(now);
  events_.push_back(TimeoutsEvent{timeouts_});
}

bool Session::additional_allowed(const MessageView& m, TimePoint now) {
  // RFC 8490 §8.2: Keepalive and Retry Delay are never Additional TLVs of a request or
  // unidirectional message; Encryption Padding is; unknown ones are ignored (§5.4.5).
  for (const Tlv& t : m.additional()) {
    if (t.type == TlvType::KeepAlive || t.type == TlvType::RetryDelay) {
      abort(fmt::format("{} as an Additional TLV (RFC 8490 §8.2)", to_text(t.type)), now,
            CloseReason::kUnexpectedTlv);
      return false;
    }
  }
  return true;
}

void Session::handle_dso_response(const MessageView& m, std::span<const std::uint8_t> msg,
                                  TimePoint now) {
  if (m.id == 0) {
    abort("DSO response with MESSAGE ID 0 (RFC 8490 §5.4.1)", now, CloseReason::kBadMessageId);
    return;
  }
  const auto rcode = static_cast<Rcode>(m.rcode);
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return p.id == m.id; });
  if (it == pending_.end()) {
    // RFC 8490 §5.6: a response with an error RCODE to a long-lived operation the peer
    // had accepted cancels it, and frees its MESSAGE ID.
    auto op = std::find_if(operations_.begin(), operations_.end(),
                           [&](const Pending& p) { return p.id == m.id; });
    if (op != operations_.end() && rcode != Rcode::NOERROR) {
      const TlvType type = op->type;
      operations_.erase(op);
      touch(now, false);
      operation_ended(now);
      events_.push_back(ResponseEvent{m.id, type, rcode, std::nullopt, true, copy_message(msg)});
      return;
    }
    if (rcode != Rcode::NOERROR && recently_ended(m.id)) {
      touch(now, false);
      return;  // a cancellation that crossed our own end of the operation
    }
    abort(fmt::format("DSO response to MESSAGE ID {}, which has no request outstanding "
                      "(RFC 8490 §5.5.2)",
                      m.id),
          now, CloseReason::kBadMessageId);
    return;
  }
  const Pending p = *it;
  pending_.erase(it);

  // RFC 8490 §5.4.2: Response Primary TLVs (the request's type) come first; §7.1: a
  // Keepalive TLV is only ever the Response Primary TLV of a Keepalive response; §7.2.2:
  // Retry Delay may follow as a Response Additional TLV; unknown TLVs are ignored.
  std::size_t primaries = 0;
  bool additional_seen = false;
  std::optional<Tlv> first_primary;
  std::optional<Duration> retry;
  for (const Tlv& t : m.tlvs) {
    if (t.type == p.type) {
      if (additional_seen) {
        abort("Response Primary TLV after a Response Additional TLV (RFC 8490 §5.4.2)", now,
              CloseReason::kResponseTlv);
        return;
      }
      if (!first_primary) first_primary = t;
      ++primaries;
      continue;
    }
    additional_seen = true;
    if (t.type == TlvType::KeepAlive) {
      abort("Keepalive as a Response Additional TLV (RFC 8490 §7.1)", now,
            CloseReason::kUnexpectedTlv);
      return;
    }
    if (t.type == TlvType::RetryDelay) {
      auto d = decode_retry_delay(t.data);
      if (!d) {
        abort(d.error().message + " (RFC 8490 §7.2)", now, CloseReason::kMalformed);
        return;
      }
      retry = std::chrono::milliseconds(*d);
    }
  }

  const bool was_established = established_;
  if (!established_ && rcode != Rcode::NOERROR && rcode != Rcode::DSOTYPENI) {
    // RFC 8490 §5.1.1: any other error means the server does not do DSO at all; plain
    // DNS may continue on this connection, DSO may not.
    dso_refused_ = true;
  }

  if (p.type == TlvType::KeepAlive) {
    touch(now, true);
    keepalive_id_.reset();
    if (rcode == Rcode::NOERROR) {
      // §7.1: exactly one Keepalive TLV in a Keepalive response.
      if (primaries != 1) {
        abort("Keepalive response without exactly one Keepalive TLV (RFC 8490 §7.1)", now,
              CloseReason::kResponseTlv);
        return;
      }
      auto k = decode_keepalive(first_primary->data);
      if (!k) {
        abort(k.error().message + " (RFC 8490 §7.1)", now, CloseReason::kMalformed);
        return;
      }
      if (!apply_server_timeouts(*k, now)) return;
      if (!was_established) establish(now);
      return;
    }
    // An error for a Keepalive (the server is not a DSO server, §5.1.1): the owner
    // learns it like any other response.
    events_.push_back(ResponseEvent{m.id, p.type, rcode, retry, false, copy_message(msg)});
    return;
  }

  touch(now, false);
  operation_ended(now);
  if (!was_established && rcode == Rcode::NOERROR) establish(now);
  if (p.long_lived && rcode == Rcode::NOERROR) operations_.push_back(p);
  events_.push_back(ResponseEvent{m.id, p.type, rcode, retry, false, copy_message(msg)});
}

bool Session::apply_server_timeouts(const Keepalive& k, TimePoint now) {
  const Duration interval = from_wire_ms(k.keepalive_interval_ms);
  // RFC 8490 §6.5.2: less than ten seconds is a fatal error.
  if (interval < kMinKeepaliveInterval) {
    abort(fmt::format("keepalive interval of {} ms is below 10 s (RFC 8490 §6.5.2)",
                      k.keepalive_interval_ms),
          now, CloseReason::kBadKeepalive);
    return false;
  }
  // §7.1.1: the new values apply from now; the inactivity timer is not reset, so a
  // session already inactive for longer closes at the next on_timeout().
  timeouts_ = Timeouts{from_wire_ms(k.inactivity_timeout_ms), interval};
  events_.push_back(TimeoutsEvent{timeouts_});
  return true;
}

void Session::establish(TimePoint now) {
  established_ = true;
  // A NOERROR proves DSO support, whatever an earlier pipelined request got (§5.1.1).
  dso_refused_ = false;
  events_.push_back(EstablishedEvent{});
  // Apple's client establishes with SUBSCRIBE and never asks for timeouts: tell it ours
  // (RFC 8490 §7.1 lets the server send a unidirectional Keepalive at any time).
  if (cfg_.role == Role::kServer && cfg_.announce_timeouts && !keepalive_exchanged_)
    announce_timeouts(now);
}

bool Session::recently_ended(std::uint16_t id) const {
  return id != 0 && std::find(ended_.begin(), ended_.end(), id) != ended_.end();
}

bool Session::owes_request(std::uint16_t id) const {
  return std::any_of(owed_requests_.begin(), owed_requests_.end(),
                     [&](const OwedRequest& r) { return r.id == id; });
}

const AppTlv* Session::app_tlv(TlvType t) const {
  for (const AppTlv& a : cfg_.app_tlvs) {
    if (a.type == t) return &a;
  }
  return nullptr;
}

bool Session::may_initiate(const AppTlv& a, Role r) const {
  const auto bit =
      static_cast<std::uint8_t>(r == Role::kClient ? Initiator::kClient : Initiator::kServer);
  return (static_cast<std::uint8_t>(a.initiator) & bit) != 0;
}

// ---- output ------------------------------------------------------------------------------

std::optional<Event> Session::poll_event() {
  if (events_.empty()) return std::nullopt;
  Event e = events_.pop_front();
  // Events are drained right after each call: an idle session keeps no slots for them
  // (they go to this thread's spare, for the next session's next message).
  if (events_.empty()) events_.clear();
  return e;
}

std::optional<Frame> Session::poll_transmit() {
  if (state_ == State::kAborted || out_.empty()) return std::nullopt;
  Frame f = out_.pop_front();
  queued_bytes_ -= f->size() + 2;
  return f;
}

bool Session::queue(Frame f, TimePoint now, bool keepalive) {
  if (!f || (state_ != State::kOpen && state_ != State::kClosing)) return false;
  if (f->size() > kMaxMessageSize) return false;
  const std::size_t cost = f->size() + 2;
  // DESIGN.md "bounded everything": a peer that does not read its messages is cut off
  // rather than allowed to pin memory.
  if (queued_bytes_ + cost > cfg_.max_queued_bytes) {
    abort(fmt::format("transmit queue would pass {} bytes: the peer does not read",
                      cfg_.max_queued_bytes),
          now, CloseReason::kSlowReader);
    return false;
  }
  queued_bytes_ += cost;
  out_.push_back(std::move(f));
  touch(now, keepalive);  // RFC 8490 §6.3: sending a message resets the timers too
  return true;
}

bool Session::queue_response(std::uint16_t id, Rcode rcode, std::span<const Tlv> tlvs,
                             std::optional<Duration> retry_delay, bool padded, TimePoint now,
                             bool keepalive) {
  auto b = MessageBuilder::response(id, rcode);
  for (const Tlv& t : tlvs) b.add(t);
  const auto rd = encode_retry_delay(retry_delay ? retry_delay_ms(*retry_delay) : 0);
  if (retry_delay) b.add(TlvType::RetryDelay, rd);
  auto msg = b.finish();
  bool ok = true;
  if (!msg) {
    // Too large, or an RCODE a DSO header cannot carry: the owner's mistake, but the
    // peer still gets its answer.
    ok = false;
    msg = MessageBuilder::response(id, Rcode::SERVFAIL).finish();
  }
  // RFC 8490 §7.3: a padded request gets a padded response.
  if (padded) pad_message(*msg, cfg_.pad ? kServerPaddingBlock : 0);
  return queue(make_frame(std::move(*msg)), now, keepalive) && ok;
}

std::optional<std::size_t> Session::initiator_pad_block() const {
  // RFC 8467 §4.1: clients pad to 128-byte blocks; a server pads to 468 for a peer that
  // pads (it asked for privacy; §7.3 leaves the amount to best practice).
  if (!cfg_.pad) return std::nullopt;
  if (cfg_.role == Role::kClient) return kClientPaddingBlock;
  if (peer_pads_) return kServerPaddingBlock;
  return std::nullopt;
}

bool Session::announce_timeouts(TimePoint now) {
  const Timeouts t = cfg_.timeouts;
  const auto data = encode_keepalive(Keepalive{to_wire_ms(t.inactivity), to_wire_ms(t.keepalive)});
  auto msg = MessageBuilder::unidirectional().add(TlvType::KeepAlive, data).finish();
  if (!msg) return false;
  if (auto block = initiator_pad_block()) pad_message(*msg, *block);
  if (!queue(make_frame(std::move(*msg)), now, true)) return false;
  timeouts_ = t;
  timeouts_changed_ = now;
  events_.push_back(TimeoutsEvent{timeouts_});
  return true;
}

// ---- timers and state ----------------------------------------------------------------------

void Session::touch(TimePoint now, bool keepalive) {
  // RFC 8490 §6.3: every complete message sent or received resets both timers, except
  // that a Keepalive resets only the keepalive timer (§7.1).
  last_message_ = now;
  if (!keepalive) last_activity_ = now;
}

void Session::operation_ended(TimePoint now) {
  last_activity_ = now;
}

bool Session::active() const {
  // RFC 8490 §6.3 / RFC 7766 §6.2.3: anything outstanding in either direction, or a
  // long-lived operation; a Keepalive exchange is not an operation (§6.4.1).
  return !owed_queries_.empty() || !owed_requests_.empty() || !queries_.empty() ||
         !operations_.empty() || long_lived_ > 0 ||
         std::any_of(pending_.begin(), pending_.end(),
                     [](const Pending& p) { return p.type != TlvType::KeepAlive; });
}

void Session::check_closing() {
  if (state_ == State::kClosing && owed_queries_.empty() && owed_requests_.empty())
    finish(State::kClosed, CloseReason::kPeerClosed, "the peer closed the connection");
}

void Session::finish(State s, CloseReason reason, std::string text) {
  state_ = s;
  if (s == State::kAborted) {
    out_.clear();
    queued_bytes_ = 0;
  }
  owed_queries_.clear();
  owed_requests_.clear();
  pending_.clear();
  operations_.clear();
  queries_.clear();
  keepalive_id_.reset();
  partial_since_.reset();
  shutdown_deadline_.reset();
  if (!in_process_) std::vector<std::uint8_t>().swap(in_);
  events_.push_back(ClosedEvent{reason, s == State::kAborted, std::move(text)});
}

}  // namespace dnspush::dso
