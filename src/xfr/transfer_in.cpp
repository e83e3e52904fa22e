#include "xfr/transfer_in.hpp"

#include <utility>

#include "wire/rdata.hpp"
#include "zone/zone_diff.hpp"

namespace dnspush::xfr {

using wire::Rcode;
using wire::Record;
using wire::RRType;

std::string_view to_text(TransferInError e) {
  switch (e) {
    case TransferInError::kNone:
      return "none";
    case TransferInError::kRcode:
      return "error answer";
    case TransferInError::kMalformed:
      return "malformed answer";
    case TransferInError::kTsig:
      return "TSIG";
    case TransferInError::kBadRecord:
      return "bad record";
    case TransferInError::kSerialBackwards:
      return "serial went backwards";
    case TransferInError::kInconsistent:
      return "inconsistent";
    case TransferInError::kLimit:
      return "limit";
    case TransferInError::kTimeout:
      return "timeout";
    case TransferInError::kClosed:
      return "connection";
  }
  return "?";
}

struct TransferIn::State {
  // Where the parse is in the answer's sequence of records.
  enum class Parse {
    kFirst,        // expecting the primary's SOA
    kSecond,       // after it: our SOA (incremental), the rest of a zone, or nothing
    kAxfr,         // inside a full zone, until its SOA again
    kIxfrRemoved,  // inside a difference sequence, before its new SOA
    kIxfrAdded,    // after the new SOA, until the next sequence or the final SOA
    kDone,
  };

  wire::Name origin;
  std::shared_ptr<const zone::Zone> base;
  std::uint16_t id = 0;
  TransferInOptions opts;
  TransferType type = TransferType::kAxfr;
  std::vector<std::uint8_t> request;
  std::optional<wire::TsigStreamVerifier> verifier;

  TimePoint deadline{};  // max_time
  TimePoint idle_at{};   // idle_timeout
  bool finished = false;
  TransferInError error = TransferInError::kNone;
  std::string reason;
  Rcode rcode = Rcode::NOERROR;

  bool io_failed = false;  // never reached the primary: another request would not either
  Parse parse = Parse::kFirst;
  Record soa_new;  // the primary's SOA, first and last record
  Serial serial_new;
  std::size_t messages = 0, bytes = 0, records = 0;

  // Full transfers build the zone as records arrive (ZoneBuilder checks as it goes).
  std::optional<zone::ZoneBuilder> builder;
  // Incremental: the sequence being read and the zone as the previous ones left it.
  zone::Changeset pending;
  std::shared_ptr<const zone::Zone> running;
  std::vector<ZoneStep> steps;
  TransferInKind kind = TransferInKind::kUpToDate;
  std::shared_ptr<const zone::Zone> full_zone;

  bool fail(TransferInError e, std::string why, Rcode rc = Rcode::NOERROR) {
    if (finished) return false;
    finished = true;
    error = e;
    reason = std::move(why);
    rcode = rc;
    builder.reset();
    steps.clear();
    running.reset();
    return false;
  }
  std::string serial_text(Serial s) const { return std::to_string(s.value()); }

  bool check_header(const wire::Message& m, std::span<const std::uint8_t> bytes_in,
                    std::uint64_t wall);
  bool take(const Record& r);  // one answer record, in order
  bool finish_sequence();      // an incremental difference sequence is complete
  bool finish_full();          // the closing SOA of a full zone arrived
  bool finish_message();       // after the last record of a message
};

namespace {

std::string record_text(const Record& r) {
  return r.owner.to_text() + " " + wire::to_text(r.type);
}

}  // namespace

Result<TransferIn> TransferIn::start(wire::Name origin, std::shared_ptr<const zone::Zone> current,
                                     std::uint16_t id, TransferInOptions opts, TimePoint now,
                                     std::uint64_t wall) {
  auto s = std::make_unique<State>();
  s->origin = std::move(origin);
  s->base = std::move(current);
  s->id = id;
  s->opts = std::move(opts);
  // RFC 1995 §3: IXFR carries our SOA; with no copy there is nothing to be incremental on.
  s->type =
      s->base && s->opts.type == TransferType::kIxfr ? TransferType::kIxfr : TransferType::kAxfr;
  s->deadline = now + s->opts.limits.max_time;
  s->idle_at = now + s->opts.limits.idle_timeout;
  s->running = s->base;

  wire::Message m;
  m.header.id = id;
  m.header.opcode = wire::Opcode::QUERY;
  m.questions.push_back(wire::Question{
      s->origin, s->type == TransferType::kIxfr ? RRType::IXFR : RRType::AXFR, wire::RRClass::IN});
  if (s->type == TransferType::kIxfr) m.authorities.push_back(s->base->soa_record());
  s->request = m.to_wire();
  if (s->opts.key) {
    // RFC 8945 §4.3.1; the answer stream is verified against this request MAC (§5.3.1).
    auto mac = wire::tsig_sign_request(s->request, *s->opts.key, wall);
    if (!mac) return tl::unexpected(mac.error());
    s->verifier.emplace(*s->opts.key, std::move(*mac));
  }
  return TransferIn(std::move(s));
}

TransferIn::TransferIn(std::unique_ptr<State> s) : s_(std::move(s)) {}
TransferIn::TransferIn(TransferIn&&) noexcept = default;
TransferIn& TransferIn::operator=(TransferIn&&) noexcept = default;
TransferIn::~TransferIn() = default;

const std::vector<std::uint8_t>& TransferIn::request() const {
  return s_->request;
}
TransferType TransferIn::type() const {
  return s_->type;
}
const wire::Name& TransferIn::origin() const {
  return s_->origin;
}
bool TransferIn::done() const {
  return s_->finished;
}
bool TransferIn::ok() const {
  return s_->finished && s_->error == TransferInError::kNone;
}
TransferInError TransferIn::error() const {
  return s_->error;
}
const std::string& TransferIn::reason() const {
  return s_->reason;
}
Rcode TransferIn::rcode() const {
  return s_->rcode;
}
std::size_t TransferIn::bytes() const {
  return s_->bytes;
}
std::size_t TransferIn::records() const {
  return s_->records;
}

bool TransferIn::fallback_to_axfr() const {
  if (s_->type != TransferType::kIxfr || !s_->finished) return false;
  switch (s_->error) {
    case TransferInError::kRcode:
      return s_->rcode == Rcode::NOTIMP || s_->rcode == Rcode::FORMERR;
    case TransferInError::kClosed:
      // Some old servers close on a query type they do not know (RFC 1995 §2).
      return s_->messages == 0 && !s_->io_failed;
    case TransferInError::kInconsistent:
      return true;
    default:
      return false;
  }
}

bool TransferIn::State::check_header(const wire::Message& m, std::span<const std::uint8_t> bytes_in,
                                     std::uint64_t wall) {
  const wire::Header& h = m.header;
  // RFC 5936 §2.2.1 note a: one query on this connection, so any other id is not ours.
  if (h.id != id) return fail(TransferInError::kMalformed, "answer with another message id");
  if (!h.qr || h.opcode != wire::Opcode::QUERY) {
    return fail(TransferInError::kMalformed, "not a QUERY response");
  }
  // RFC 8945 §5.3.1: every message goes through the stream verifier before its records
  // are looked at; the error answer itself may be what failed to verify.
  std::string tsig_failure;
  if (verifier) {
    auto v = verifier->receive(bytes_in, m, wall);
    if (!v.result.ok()) {
      tsig_failure = "TSIG " + wire::to_text(v.result.error);
      if (v.result.tsig.error != Rcode::NOERROR) {
        tsig_failure += " (the primary says " + wire::to_text(v.result.tsig.error) + ")";
      }
    }
  } else if (m.tsig_offset) {
    tsig_failure = "a TSIG on the answer to an unsigned request";
  }
  const Rcode rc = m.rcode();
  if (rc != Rcode::NOERROR) {
    // RFC 5936 §2.2: an error ends the transfer.
    return fail(TransferInError::kRcode,
                "answered " + wire::to_text(rc) +
                    (tsig_failure.empty() ? std::string() : ", " + tsig_failure),
                rc);
  }
  if (!tsig_failure.empty()) return fail(TransferInError::kTsig, tsig_failure);
  if (h.tc) return fail(TransferInError::kMalformed, "truncated answer over TCP");
  // RFC 5936 §2.2.2: the first message copies the question, later ones copy it or not.
  if (m.questions.size() > 1 || (messages == 1 && m.questions.empty())) {
    return fail(TransferInError::kMalformed, "wrong question count");
  }
  if (!m.questions.empty()) {
    const auto& q = m.questions.front();
    const RRType want = type == TransferType::kIxfr ? RRType::IXFR : RRType::AXFR;
    if (!(q.name == origin) || q.type != want || q.cls != wire::RRClass::IN) {
      return fail(TransferInError::kMalformed, "the answer's question is not ours");
    }
  }
  // RFC 5936 §2.2.4: the authority section MUST be empty.
  if (!m.authorities.empty()) {
    return fail(TransferInError::kMalformed, "records in the authority section");
  }
  if (messages == 1 && m.answers.empty()) {
    return fail(TransferInError::kMalformed, "the first message has no SOA");
  }
  return true;
}

void TransferIn::receive(std::span<const std::uint8_t> message, TimePoint now, std::uint64_t wall) {
  State& s = *s_;
  if (s.finished) return;
  ++s.messages;
  s.bytes += message.size();
  if (s.bytes > s.opts.limits.max_bytes) {
    s.fail(TransferInError::kLimit,
           "more than " + std::to_string(s.opts.limits.max_bytes) + " bytes (max-transfer-bytes)");
    return;
  }
  s.idle_at = now + s.opts.limits.idle_timeout;
  auto m = wire::Message::parse(message);
  if (!m) {
    s.fail(TransferInError::kMalformed,
           "message " + std::to_string(s.messages) + " does not parse: " + m.error().message);
    return;
  }
  if (!s.check_header(*m, message, wall)) return;
  s.records += m->answers.size();
  if (s.records > s.opts.limits.max_records) {
    s.fail(TransferInError::kLimit, "more than " + std::to_string(s.opts.limits.max_records) +
                                        " records (max-transfer-records)");
    return;
  }
  for (const Record& r : m->answers) {
    if (!s.take(r)) return;
  }
  s.finish_message();
}

bool TransferIn::State::take(const Record& r) {
  if (parse == Parse::kDone) {
    return fail(TransferInError::kMalformed, "records after the final SOA");
  }
  // Every record is held to the rules of zone files and UPDATE, removals included (a
  // removal outside the zone is as hostile as an addition there).
  if (auto ok = zone::check_record(origin, r); !ok) {
    return fail(TransferInError::kBadRecord, ok.error().message);
  }
  const bool is_soa = r.type == RRType::SOA;  // check_record: only at the apex
  switch (parse) {
    case Parse::kFirst: {
      if (!is_soa) {
        return fail(TransferInError::kMalformed, "the answer does not start with the SOA of " +
                                                     origin.to_text() + " but " + record_text(r));
      }
      soa_new = r;
      serial_new = zone::soa_serial(r.rdata);
      // RFC 1982: a primary behind our copy must not take us back.
      if (base && base->serial().follows(serial_new)) {
        return fail(TransferInError::kSerialBackwards,
                    "the primary has serial " + serial_text(serial_new) + ", older than ours (" +
                        serial_text(base->serial()) + ")");
      }
      parse = Parse::kSecond;
      return true;
    }
    case Parse::kSecond:
      if (type == TransferType::kIxfr && is_soa && base &&
          zone::soa_serial(r.rdata) == base->serial()) {
        // RFC 1995 §4: "begins with two SOA RRs": differences from our version follow.
        kind = TransferInKind::kIncremental;
        pending = zone::Changeset{};
        pending.soa_from = r;
        parse = Parse::kIxfrRemoved;
        return true;
      }
      if (type == TransferType::kIxfr && is_soa) {
        return fail(TransferInError::kInconsistent,
                    "the differences start at serial " + serial_text(zone::soa_serial(r.rdata)) +
                        ", not at ours (" + serial_text(base ? base->serial() : Serial()) + ")");
      }
      // The whole zone (AXFR, or IXFR answered AXFR-style, RFC 1995 §4).
      kind = TransferInKind::kFull;
      builder.emplace(origin);
      if (auto ok = builder->add(soa_new); !ok) {
        return fail(TransferInError::kInconsistent, ok.error().message);
      }
      parse = Parse::kAxfr;
      [[fallthrough]];
    case Parse::kAxfr:
      if (is_soa) {
        // RFC 5936 §2.2: the last message concludes with the same SOA, and no other SOA.
        if (r.ttl != soa_new.ttl || !wire::rdata_equal(RRType::SOA, r.rdata, soa_new.rdata)) {
          return fail(TransferInError::kMalformed, "a second, different SOA inside the zone");
        }
        return finish_full();
      }
      if (auto ok = builder->add(r); !ok) {
        return fail(TransferInError::kInconsistent, ok.error().message);
      }
      return true;
    case Parse::kIxfrRemoved:
      if (is_soa) {
        pending.soa_to = r;
        parse = Parse::kIxfrAdded;
        return true;
      }
      pending.removed.push_back(r);
      return true;
    case Parse::kIxfrAdded:
      if (!is_soa) {
        pending.added.push_back(r);
        return true;
      }
      if (!finish_sequence()) return false;
      if (zone::soa_serial(r.rdata) == serial_new && running->serial() == serial_new) {
        // RFC 1995 §4: the list "is followed by a copy of the server's current SOA".
        if (!wire::rdata_equal(RRType::SOA, r.rdata, soa_new.rdata)) {
          return fail(TransferInError::kMalformed, "the final SOA differs from the first");
        }
        parse = Parse::kDone;
        return true;
      }
      pending = zone::Changeset{};
      pending.soa_from = r;
      parse = Parse::kIxfrRemoved;
      return true;
    case Parse::kDone:
      break;
  }
  return fail(TransferInError::kMalformed, "records after the final SOA");
}

bool TransferIn::State::finish_sequence() {
  // Each sequence applies to the zone as the previous one left it; zone::Zone::apply
  // checks soa_from against that zone (the chain), that removed records exist, the new
  // serial follows (RFC 1982), CNAME rules and the apex NS.
  const Serial from = pending.serial_from(), to = pending.serial_to();
  auto next = running->apply(pending);
  if (!next) {
    return fail(TransferInError::kInconsistent, "difference " + serial_text(from) + " -> " +
                                                    serial_text(to) +
                                                    " does not apply: " + next.error().message);
  }
  if (serial_new.precedes(to)) {
    return fail(TransferInError::kInconsistent, "difference to serial " + serial_text(to) +
                                                    " goes past the primary's " +
                                                    serial_text(serial_new));
  }
  running = *next;
  steps.push_back(ZoneStep{std::move(pending), running});
  pending = zone::Changeset{};
  return true;
}

bool TransferIn::State::finish_full() {
  auto built = std::move(*builder).finish();
  builder.reset();
  if (!built) return fail(TransferInError::kInconsistent, built.error().message);
  parse = Parse::kDone;
  if (!base) {
    full_zone = std::move(*built);
    return true;
  }
  // A zone we already serve (and others may be subscribed to): only the real difference
  // is committed. zone::diff refuses changed contents under a serial that does not follow.
  auto d = zone::diff(*base, **built);
  if (!d) return fail(TransferInError::kInconsistent, d.error().message);
  if (!d->has_value()) return true;  // the same zone: nothing to commit
  auto after = base->apply(**d);
  if (!after) return fail(TransferInError::kInconsistent, after.error().message);
  steps.push_back(ZoneStep{std::move(**d), std::move(*after)});
  return true;
}

bool TransferIn::State::finish_message() {
  if (parse == Parse::kSecond && messages == 1) {
    // A first message holding the SOA alone: the answer to an IXFR from a serial the
    // primary still has (RFC 1995 §2); otherwise more messages follow.
    if (type == TransferType::kIxfr && serial_new == base->serial()) {
      kind = TransferInKind::kUpToDate;
      parse = Parse::kDone;
    }
  }
  if (parse != Parse::kDone) return true;
  if (verifier && verifier->finish() != Rcode::NOERROR) {
    // RFC 8945 §5.3.1: the last message must be signed.
    return fail(TransferInError::kTsig, "the last message is not signed");
  }
  finished = true;
  return true;
}

void TransferIn::on_closed(TimePoint) {
  if (s_->finished) return;
  s_->fail(TransferInError::kClosed, s_->messages == 0
                                         ? "closed before any answer"
                                         : "closed after " + std::to_string(s_->messages) +
                                               " messages, before the final SOA");
}

void TransferIn::on_io_error(const std::string& reason) {
  if (s_->finished) return;
  s_->io_failed = true;
  s_->fail(TransferInError::kClosed, reason);
}

std::optional<TimePoint> TransferIn::next_timeout() const {
  if (s_->finished) return std::nullopt;
  return std::min(s_->deadline, s_->idle_at);
}

void TransferIn::on_timeout(TimePoint now) {
  State& s = *s_;
  if (s.finished) return;
  if (now >= s.deadline) {
    s.fail(TransferInError::kTimeout, "not complete after max-transfer-time");
  } else if (now >= s.idle_at) {
    s.fail(TransferInError::kTimeout,
           "nothing received for " +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::seconds>(s.opts.limits.idle_timeout)
                       .count()) +
               " s");
  }
}

TransferInResult TransferIn::take_result() {
  State& s = *s_;
  TransferInResult r;
  if (!ok()) return r;
  r.kind = s.kind;
  r.serial = s.kind == TransferInKind::kUpToDate && s.base ? s.base->serial() : s.serial_new;
  r.base = s.base;
  r.steps = std::move(s.steps);
  r.zone = std::move(s.full_zone);
  r.messages = s.messages;
  r.bytes = s.bytes;
  r.records = s.records;
  return r;
}

}  // namespace dnspush::xfr
