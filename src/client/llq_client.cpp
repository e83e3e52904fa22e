#include "client/llq_client.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "push/tlv.hpp"

namespace dnspush::client {

using llq::ErrorCode;
using llq::Opcode;
using wire::Rcode;
using Reason = LlqStatus::Reason;

namespace {

constexpr std::uint32_t kMaxAddTtl = 0x7FFFFFFF;

// FNV-1a over the datagram: a resent event is the same bytes (the server keeps them).
std::uint64_t digest(std::span<const std::uint8_t> b) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (auto c : b) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

const char* error_text(std::uint16_t e) {
  return e <= static_cast<std::uint16_t>(ErrorCode::UNKNOWN_ERR)
             ? llq::to_text(static_cast<ErrorCode>(e))
             : "an unknown ERROR-CODE";
}

}  // namespace

LlqClient::LlqClient(Question q, RecordSet* set, LlqClientConfig cfg, RandomId random_id,
                     Backoff::Random random)
    : q_(std::move(q)),
      set_(set),
      cfg_(cfg),
      random_id_(std::move(random_id)),
      backoff_(cfg.backoff, std::move(random)) {
  cfg_.transmissions = std::max(cfg_.transmissions, 1u);
  cfg_.refresh_at = std::clamp(cfg_.refresh_at, 0.1, 0.95);
}

void LlqClient::start(TimePoint now) {
  if (state_ != State::kIdle) return;
  setup_again(now);
}

// ---- input ---------------------------------------------------------------------------------

void LlqClient::receive(std::span<const std::uint8_t> datagram, TimePoint now) {
  if (state_ == State::kIdle || finished()) {
    ++counters_.ignored;
    return;
  }
  auto parsed = wire::Message::parse(datagram);
  if (!parsed || !parsed->header.qr || parsed->header.opcode != wire::Opcode::QUERY) {
    ++counters_.ignored;
    return;
  }
  const wire::Message& m = *parsed;
  std::optional<llq::Option> o;
  bool bad_option = false;
  if (m.edns) {
    for (auto& r : llq::llq_options(*m.edns)) {
      if (!r) {
        bad_option = true;
      } else if (!o) {
        o = *r;
      }
    }
  }
  // §6: an event carries our LLQ-ID and the question; anything else with opcode EVENT is
  // not ours.
  if (o && o->opcode == static_cast<std::uint16_t>(Opcode::LLQ_EVENT)) {
    if (llq_id_ != 0 && o->id == llq_id_ && our_question(m) &&
        (state_ == State::kChallenge || established())) {
      on_event(m, *o, digest(datagram), now);
    } else {
      ++counters_.ignored;
    }
    return;
  }
  // A response to the outstanding request: its message ID and question (an error answer
  // may come without the question, as for NOTIFY; the ID still ties it to the request).
  if (!req_ || m.header.id != req_->id || bad_option) {
    ++counters_.ignored;
    return;
  }
  const bool question_ok = our_question(m) || (m.questions.empty() && m.rcode() != Rcode::NOERROR);
  if (!question_ok) {
    ++counters_.ignored;
    return;
  }
  on_response(m, o, now);
}

bool LlqClient::our_question(const wire::Message& m) const {
  if (m.questions.size() != 1) return false;
  const auto& q = m.questions.front();
  return q.name == q_.name && q.type == q_.type && q.cls == q_.cls;
}

void LlqClient::on_response(const wire::Message& m, const std::optional<llq::Option>& o,
                            TimePoint now) {
  if (error_response(m, o, now)) return;
  const llq::Option& opt = *o;
  const auto op = static_cast<Opcode>(opt.opcode);
  switch (state_) {
    case State::kSetup:
      // (2) the challenge: echo its LLQ-ID (and the lease granted) in (3), §5.1.
      if (op != Opcode::LLQ_SETUP || opt.id == 0) break;
      llq_id_ = opt.id;
      granted_ = opt.lease;
      state_ = State::kChallenge;
      send_request(Opcode::LLQ_SETUP, opt.id, opt.lease != 0 ? opt.lease : cfg_.lease, now);
      return;
    case State::kChallenge:
      // (4) the ACK.
      if (op != Opcode::LLQ_SETUP || opt.id != llq_id_) break;
      on_ack(m, opt, now);
      return;
    case State::kRefreshing: {
      if (op != Opcode::LLQ_REFRESH || opt.id != llq_id_) break;
      if (opt.lease == 0) {
        // A refresh answered with no lease: the server holds nothing for us any more.
        lose(Reason::kNoSuchLlq, "the server granted no lease to the refresh", now);
        return;
      }
      // §7: the new lease runs from when the server may have received the first copy.
      ++counters_.refreshes;
      granted_ = opt.lease;
      const TimePoint base = req_->first_sent;
      req_.reset();
      lease_end_ = base + std::chrono::seconds(opt.lease);
      refresh_at_ = base + std::chrono::duration_cast<Duration>(
                               std::chrono::duration<double>(opt.lease * cfg_.refresh_at));
      state_ = State::kEstablished;
      return;
    }
    default:
      break;
  }
  ++counters_.ignored;  // a response of the wrong opcode or LLQ-ID: not our request's
}

// RCODEs and ERROR-CODEs (§3.2). True when the response was an error and is handled.
bool LlqClient::error_response(const wire::Message& m, const std::optional<llq::Option>& o,
                               TimePoint now) {
  const Rcode rcode = m.rcode();
  const std::optional<ErrorCode> e =
      o ? std::optional<ErrorCode>(static_cast<ErrorCode>(o->error)) : std::nullopt;
  if (rcode != Rcode::NOERROR) {
    const std::string text = fmt::format(
        "the LLQ server answered {}{}", wire::to_text(rcode),
        o && o->error != 0 ? fmt::format(" ({})", error_text(o->error)) : std::string());
    if (rcode == Rcode::SERVFAIL) {
      // A temporary failure (e.g. a secondary without its zone yet).
      backoff_then_setup(Reason::kTransient, rcode, e, text, now);
    } else if (rcode == Rcode::FORMERR && o) {
      fail(Reason::kFormatError, rcode, e, text, now);
    } else if (rcode == Rcode::FORMERR || rcode == Rcode::NOTIMP) {
      // No LLQ option back: a server that does not do EDNS or LLQ at all.
      fail(Reason::kUnavailable, rcode, e, text + ": not an LLQ server", now);
    } else {
      fail(Reason::kRcode, rcode, e, text, now);  // REFUSED, NOTAUTH, ...
    }
    return true;
  }
  if (!o) {
    fail(Reason::kUnavailable, rcode, e, "answered without an LLQ option: not an LLQ server", now);
    return true;
  }
  if (o->version != llq::kVersion) {
    fail(Reason::kUnavailable, rcode, e,
         fmt::format("the server speaks LLQ version {}, not {}", o->version, llq::kVersion), now);
    return true;
  }
  if (o->error == static_cast<std::uint16_t>(ErrorCode::NO_ERROR)) return false;
  const std::string text = fmt::format("the LLQ server answered {}", error_text(o->error));
  switch (static_cast<ErrorCode>(o->error)) {
    case ErrorCode::SERV_FULL: {
      // §3.2: LEASE-LIFE is then the time after which the client may try again.
      const Duration wait =
          std::clamp<Duration>(std::chrono::seconds(o->lease), kMinServFullWait, kMaxServFullWait);
      backoff_.retry_delay(now, wait);
      wait_then_setup(now + wait, Reason::kServFull, rcode, e, text, now);
      return true;
    }
    case ErrorCode::STATIC:
      fail(Reason::kUnavailable, rcode, e, text + ": the zone does not do LLQ", now);
      return true;
    case ErrorCode::BAD_VERS:
      fail(Reason::kUnavailable, rcode, e, text + ": the server speaks another LLQ version", now);
      return true;
    case ErrorCode::FORMAT_ERR:
      fail(Reason::kFormatError, rcode, e, text, now);
      return true;
    case ErrorCode::NO_SUCH_LLQ:
      if (state_ == State::kRefreshing) {
        lose(Reason::kNoSuchLlq, text, now);  // the server forgot it: set up again
      } else if (state_ == State::kChallenge && ++restarts_ <= kMaxRestarts) {
        // The challenge expired before our response reached the server: start over.
        setup_again(now);
      } else {
        backoff_then_setup(Reason::kNoSuchLlq, rcode, e, text, now);
      }
      return true;
    default:  // UNKNOWN-ERR and codes we do not know: transient
      backoff_then_setup(Reason::kTransient, rcode, e, text, now);
      return true;
  }
}

void LlqClient::on_ack(const wire::Message& m, const llq::Option& o, TimePoint now) {
  if (o.lease == 0) {
    backoff_then_setup(Reason::kTransient, Rcode::NOERROR, ErrorCode::NO_ERROR,
                       "the LLQ server granted a lease of 0", now);
    return;
  }
  ++counters_.setups;
  const TimePoint base = req_->first_sent;
  req_.reset();
  granted_ = o.lease;
  lease_end_ = base + std::chrono::seconds(o.lease);
  refresh_at_ = base + std::chrono::duration_cast<Duration>(
                           std::chrono::duration<double>(o.lease * cfg_.refresh_at));
  state_ = State::kEstablished;
  ever_established_ = true;
  restarts_ = 0;
  backoff_.succeeded();
  LlqStatus s;
  s.state = LlqStatus::State::kEstablished;
  s.lease = o.lease;
  s.text = fmt::format("LLQ {:016x} established, lease {} s", llq_id_, o.lease);
  status(std::move(s));
  if (m.header.tc) {
    // The answers did not fit (the LLQ stands, §5.1): the caller fetches them.
    set_->set_live();
    LlqStatus t;
    t.state = LlqStatus::State::kTruncated;
    t.text = "the ACK was truncated: the answer is fetched over TCP";
    status(std::move(t));
    return;
  }
  std::vector<wire::Record> full;
  for (const auto& r : m.answers) {
    if (!q_.matches(r)) continue;
    full.push_back(r);
    if (r.ttl > kMaxAddTtl) full.back().ttl = 0;  // RFC 2181 §8
  }
  full_answer(full);
}

void LlqClient::full_answer(std::span<const wire::Record> records) {
  if (finished()) return;
  scratch_.clear();
  set_->replace(records, scratch_);
  for (auto& e : scratch_) events_.push_back(std::move(e));
}

void LlqClient::on_event(const wire::Message& m, const llq::Option& o, std::uint64_t d,
                         TimePoint now) {
  // §6.2: every event is acknowledged, a repeated one too (our earlier ack was lost).
  queue(build(m.header.id, /*qr=*/true,
              llq::make_option(Opcode::LLQ_EVENT, ErrorCode::NO_ERROR, o.id, o.lease)));
  if (state_ == State::kChallenge) {
    // The ACK was lost but the LLQ exists: the ACK our retransmission brings holds the
    // answers as they are now, this change included.
    ++counters_.ignored;
    return;
  }
  const std::size_t n = std::min(recent_count_, kRecentEvents);
  for (std::size_t i = 0; i < n; ++i) {
    if (recent_[i].id == m.header.id && recent_[i].digest == d) {
      ++counters_.events_repeated;
      return;
    }
  }
  recent_[recent_next_] = Recent{m.header.id, d};
  recent_next_ = (recent_next_ + 1) % kRecentEvents;
  ++recent_count_;
  ++counters_.events;
  scratch_.clear();
  for (const auto& r : m.answers) {
    // §6.1: TTL 0xFFFFFFFF removes the record; an ordinary TTL adds it.
    if (r.ttl == push::kTtlDeleteRecord) {
      set_->apply(
          push::Change{push::ChangeKind::kDeleteRecord, r.owner, r.type, r.cls, r.ttl, r.rdata},
          now, scratch_);
    } else if (r.ttl <= kMaxAddTtl) {
      set_->apply(push::Change{push::ChangeKind::kAdd, r.owner, r.type, r.cls, r.ttl, r.rdata}, now,
                  scratch_);
    }
  }
  for (auto& e : scratch_) events_.push_back(std::move(e));
}

// ---- stopping ------------------------------------------------------------------------------

void LlqClient::stop(TimePoint) {
  if (finished()) return;
  if (established()) {
    // §7: a refresh with a lease of 0 cancels the LLQ; not retransmitted (if it is lost
    // the lease ends it).
    queue(build(random_id_ ? random_id_() : 0, false,
                llq::make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, llq_id_, 0)));
    ++counters_.sent;
  }
  req_.reset();
  state_ = State::kStopped;
}

// ---- timers --------------------------------------------------------------------------------

std::optional<TimePoint> LlqClient::next_timeout() const {
  if (finished() || state_ == State::kIdle) return std::nullopt;
  std::optional<TimePoint> t = set_->next_timeout();
  auto consider = [&](const std::optional<TimePoint>& x) {
    if (x && (!t || *x < *t)) t = x;
  };
  if (req_) consider(req_->deadline);
  if (state_ == State::kWaiting) consider(retry_at_);
  if (state_ == State::kEstablished) consider(refresh_at_);
  if (state_ == State::kRefreshing) consider(lease_end_);
  return t;
}

void LlqClient::on_timeout(TimePoint now) {
  if (finished() || state_ == State::kIdle) return;
  if (state_ == State::kRefreshing && lease_end_ && *lease_end_ <= now) {
    // §7: no answer to the refresh before the lease ended: the LLQ is gone.
    lose(Reason::kNoAnswer, "no answer to the refresh before the lease ended", now);
  } else if (req_ && req_->deadline <= now) {
    retransmit_or_give_up(now);
  } else if (state_ == State::kWaiting && retry_at_ && *retry_at_ <= now) {
    setup_again(now);
  } else if (state_ == State::kEstablished && refresh_at_ && *refresh_at_ <= now) {
    state_ = State::kRefreshing;
    send_request(Opcode::LLQ_REFRESH, llq_id_, cfg_.lease, now);
  }
  scratch_.clear();
  set_->on_timeout(now, scratch_);
  for (auto& e : scratch_) events_.push_back(std::move(e));
}

void LlqClient::retransmit_or_give_up(TimePoint now) {
  Request& r = *req_;
  if (r.sends < cfg_.transmissions) {
    // §5.2.1: the same request again (same message ID: a late answer to an earlier copy
    // still counts), waiting twice as long each time.
    ++r.sends;
    r.deadline = now + retransmit_interval(r.sends);
    if (state_ == State::kRefreshing && lease_end_) r.deadline = std::min(r.deadline, *lease_end_);
    ++counters_.retransmissions;
    ++counters_.sent;
    queue(build(r.id, false, llq::make_option(r.opcode, ErrorCode::NO_ERROR, r.llq_id, r.lease)));
    return;
  }
  if (state_ == State::kRefreshing) {
    lose(Reason::kNoAnswer, "no answer to the refresh", now);
  } else if (!ever_established_) {
    // §5.2.1: the server is down or unreachable; the caller may use another protocol.
    fail(Reason::kNoAnswer, Rcode::NOERROR, std::nullopt,
         fmt::format("no answer to LLQ setup after {} tries", r.sends), now);
  } else {
    backoff_then_setup(Reason::kNoAnswer, Rcode::NOERROR, std::nullopt,
                       fmt::format("no answer to LLQ setup after {} tries", r.sends), now);
  }
}

Duration LlqClient::retransmit_interval(unsigned sends) const {
  Duration d = cfg_.first_retransmit;
  for (unsigned i = 1; i < sends; ++i) d *= 2;  // 2 s, 4 s, then 8 s after the last copy
  return d;
}

// ---- transitions ---------------------------------------------------------------------------

void LlqClient::send_request(Opcode op, std::uint64_t llq_id, std::uint32_t lease, TimePoint now) {
  Request r;
  r.id = random_id_ ? random_id_() : 0;
  r.opcode = op;
  r.llq_id = llq_id;
  r.lease = lease;
  r.sends = 1;
  r.first_sent = now;
  r.deadline = now + retransmit_interval(1);
  if (op == Opcode::LLQ_REFRESH && lease_end_) r.deadline = std::min(r.deadline, *lease_end_);
  req_ = r;
  ++counters_.sent;
  queue(build(r.id, false, llq::make_option(op, ErrorCode::NO_ERROR, llq_id, lease)));
}

void LlqClient::setup_again(TimePoint now) {
  llq_id_ = 0;
  lease_end_.reset();
  refresh_at_.reset();
  retry_at_.reset();
  state_ = State::kSetup;
  send_request(Opcode::LLQ_SETUP, 0, cfg_.lease, now);
}

void LlqClient::lose(Reason why, const std::string& text, TimePoint now) {
  set_->suspend(now);  // RFC 8765 §6.3.1's rule for push, the same here: TTLs run
  LlqStatus s;
  s.state = LlqStatus::State::kLost;
  s.reason = why;
  s.retry_at = now;
  s.text = text;
  status(std::move(s));
  setup_again(now);
}

void LlqClient::wait_then_setup(TimePoint at, Reason why, Rcode rcode, std::optional<ErrorCode> e,
                                std::string text, TimePoint now) {
  if (established() || state_ == State::kChallenge) set_->suspend(now);
  req_.reset();
  llq_id_ = 0;
  lease_end_.reset();
  refresh_at_.reset();
  state_ = State::kWaiting;
  retry_at_ = at;
  LlqStatus s;
  s.state = LlqStatus::State::kRetrying;
  s.reason = why;
  s.rcode = rcode;
  s.error = e;
  s.retry_at = at;
  s.text = std::move(text);
  status(std::move(s));
}

void LlqClient::backoff_then_setup(Reason why, Rcode rcode, std::optional<ErrorCode> e,
                                   std::string text, TimePoint now) {
  wait_then_setup(backoff_.failed(now), why, rcode, e, std::move(text), now);
}

void LlqClient::fail(Reason why, Rcode rcode, std::optional<ErrorCode> e, std::string text,
                     TimePoint now) {
  if (established()) set_->suspend(now);
  req_.reset();
  state_ = State::kFailed;
  LlqStatus s;
  s.state = LlqStatus::State::kFailed;
  s.reason = why;
  s.rcode = rcode;
  s.error = e;
  s.text = std::move(text);
  status(std::move(s));
}

// ---- output --------------------------------------------------------------------------------

std::vector<std::uint8_t> LlqClient::build(std::uint16_t id, bool qr, const llq::Option& o) const {
  // §5.1 / §6.2: the question and one LLQ option in the OPT RR.
  wire::Header h;
  h.id = id;
  h.qr = qr;
  h.opcode = wire::Opcode::QUERY;
  wire::Edns e;
  e.udp_payload = cfg_.udp_payload;
  e.options.push_back(llq::to_edns(o));
  wire::MessageBuilder b(h, 512, e.wire_size());
  b.add_question(wire::Question{q_.name, q_.type, q_.cls});
  b.add_edns(e);
  return b.finish();
}

void LlqClient::queue(std::vector<std::uint8_t> bytes) {
  if (transmit_.size() >= kMaxQueuedTransmits) {
    transmit_.pop_front();
    ++counters_.acks_dropped;
  }
  transmit_.push_back(std::move(bytes));
}

void LlqClient::status(LlqStatus s) {
  events_.push_back(std::move(s));
}

std::optional<std::vector<std::uint8_t>> LlqClient::poll_transmit() {
  if (transmit_.empty()) return std::nullopt;
  auto b = std::move(transmit_.front());
  transmit_.pop_front();
  return b;
}

std::optional<LlqEvent> LlqClient::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace dnspush::client
