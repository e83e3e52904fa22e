#include "xfr/transfer_out.hpp"

#include <utility>

#include "wire/rdata.hpp"

namespace dnspush::xfr {

using wire::Rcode;
using wire::Record;
using wire::RRType;

struct TransferOut::Plan {
  wire::Header header;  // the template for every message of the answer
  wire::Question question;
  bool edns = false;
  TransferOptions opts;
  MessageSigner signer;
  TransferKind kind = TransferKind::kAxfr;
  Serial serial;

  // AXFR(-style) reads the snapshot in place, never a copy of its records, so a queued
  // or slow transfer costs a reference to the zone plus one message (the issue of
  // pipelined AXFRs that each copied the zone). IXFR sends `seq`, pointers into `soa`
  // and `chain` (all on the heap: moving the TransferOut never invalidates them).
  std::shared_ptr<const zone::Zone> zone;
  std::optional<zone::Zone::Walk> walk;  // AXFR(-style): SOA, the rest, then SOA again
  bool walk_closed = false;              // the closing SOA was sent
  Record soa;                            // our current SOA
  std::vector<zone::Changeset> chain;    // IXFR: oldest first
  std::vector<const Record*> seq;        // IXFR: every answer record, in sending order
  std::size_t total = 0;                 // answer records in the whole transfer

  // The next answer record, or nullopt at the end.
  std::optional<zone::Zone::RecordView> peek(std::size_t next) const {
    if (walk) {
      if (auto r = walk->current()) return r;
      if (walk_closed) return std::nullopt;
      const auto& s = zone->soa();  // RFC 5936 §2.2: the last message ends with the SOA
      return zone::Zone::RecordView{&zone->origin(), RRType::SOA, s.ttl, s.rdatas.front()};
    }
    if (next >= seq.size()) return std::nullopt;
    const Record& r = *seq[next];
    return zone::Zone::RecordView{&r.owner, r.type, r.ttl, r.rdata};
  }
  void advance() {
    if (!walk) return;
    if (walk->current()) {
      walk->next();
    } else {
      walk_closed = true;
    }
  }
};

namespace {

wire::Header answer_header(const wire::Header& req) {
  // RFC 5936 §2.2.1: ID copied, QR 1, OPCODE 0, AA 1 (NOERROR), TC 0, RD copied, RA 0,
  // Z/AD/CD zero.
  wire::Header h;
  h.id = req.id;
  h.qr = true;
  h.opcode = wire::Opcode::QUERY;
  h.aa = true;
  h.rd = req.rd;
  return h;
}

// The changesets from `client` to `current`, consecutive, or nullopt when `history` does
// not chain from one to the other.
std::optional<std::vector<zone::Changeset>> chain_from(std::vector<zone::Changeset> history,
                                                       Serial client, Serial current) {
  std::size_t i = 0;
  while (i < history.size() && history[i].serial_from() != client) ++i;
  if (i == history.size()) return std::nullopt;
  std::vector<zone::Changeset> out;
  Serial at = client;
  for (; i < history.size(); ++i) {
    if (history[i].serial_from() != at) return std::nullopt;  // a gap in the history
    at = history[i].serial_to();
    out.push_back(std::move(history[i]));
    // The journal may already hold versions newer than our snapshot: stop at ours.
    if (at == current) return out;
  }
  return std::nullopt;
}

}  // namespace

JournalLookup journal_lookup(const zone::Journal& journal, wire::Name origin) {
  return [&journal, origin = std::move(origin)](Serial from) {
    auto r = journal.changesets_since(origin, from);
    return r ? std::move(*r) : std::nullopt;
  };
}

Result<TransferOut> TransferOut::start(const wire::Message& request,
                                       std::shared_ptr<const zone::Zone> zone,
                                       const JournalLookup& journal, TransferOptions opts,
                                       MessageSigner signer) {
  if (request.header.qr || request.header.opcode != wire::Opcode::QUERY ||
      request.questions.size() != 1)
    return fail(Errc::kMalformed, "not a single-question query");
  const wire::Question& q = request.questions.front();
  if (q.type != RRType::AXFR && q.type != RRType::IXFR)
    return fail(Errc::kMalformed, "not an AXFR or IXFR request");
  if (q.cls != wire::RRClass::IN) return fail(Errc::kRefused, "only class IN is served");
  if (!zone || !(q.name == zone->origin()))
    return fail(Errc::kNotFound, "not authoritative for " + q.name.to_text());

  auto plan = std::make_unique<Plan>();
  plan->header = answer_header(request.header);
  plan->question = q;
  plan->edns = request.edns.has_value();
  plan->opts = std::move(opts);
  plan->signer = std::move(signer);
  plan->soa = zone->soa_record();
  plan->serial = zone->serial();
  plan->zone = std::move(zone);
  const zone::Zone& z = *plan->zone;

  std::optional<Serial> client;
  if (q.type == RRType::IXFR) {
    // RFC 1995 §3: the authority section carries the SOA of the client's version.
    for (const Record& r : request.authorities) {
      if (r.type != RRType::SOA || !(r.owner == q.name)) continue;
      const auto f = zone::parse_soa(r.rdata);
      if (!f) return fail(Errc::kMalformed, "IXFR request with malformed SOA");
      client = f->serial;
      break;
    }
    if (!client) return fail(Errc::kMalformed, "IXFR request without the client's SOA");
  }

  auto plan_axfr = [&](TransferKind kind) {
    plan->kind = kind;
    plan->walk.emplace(z);
    plan->total = z.record_count() + 1;  // RFC 5936 §2.2: the SOA again at the end
  };

  if (!client) {
    plan_axfr(TransferKind::kAxfr);
    return TransferOut(std::move(plan));
  }

  // RFC 1995 §2: a client as new as we are (or newer) gets our SOA alone.
  if (*client == plan->serial || client->follows(plan->serial)) {
    plan->kind = TransferKind::kIxfrUpToDate;
    plan->seq.push_back(&plan->soa);
    plan->total = plan->seq.size();
    return TransferOut(std::move(plan));
  }

  // Older than ours (or the undefined half-way case of RFC 1982 §3.2, which no history
  // can bridge): difference sequences when the history reaches back, else the zone
  // (RFC 1995 §4 first paragraph, §6 last paragraph).
  std::optional<std::vector<zone::Changeset>> chain;
  if (client->precedes(plan->serial) && journal) {
    if (auto history = journal(*client))
      chain = chain_from(std::move(*history), *client, plan->serial);
  }
  if (chain) {
    std::size_t diff = 2;  // the bracketing SOAs
    for (const auto& c : *chain) diff += 2 + c.removed.size() + c.added.size();
    const double ratio = plan->opts.max_ixfr_ratio;
    const double whole = static_cast<double>(z.record_count() + 1);
    if (ratio > 0 && static_cast<double>(diff) > ratio * whole) chain.reset();  // RFC 1995 §5
  }
  if (!chain) {
    plan_axfr(TransferKind::kIxfrAxfrStyle);
    return TransferOut(std::move(plan));
  }

  // RFC 1995 §4: our SOA, then per version the old SOA and what it lost, the new SOA and
  // what it gained (oldest first), then our SOA again. Versions are not condensed (§6),
  // so every intermediate serial stays known to secondaries that chain through us.
  plan->kind = TransferKind::kIxfr;
  plan->chain = std::move(*chain);
  plan->seq.push_back(&plan->soa);
  for (const auto& c : plan->chain) {
    plan->seq.push_back(&c.soa_from);
    for (const Record& r : c.removed) plan->seq.push_back(&r);
    plan->seq.push_back(&c.soa_to);
    for (const Record& r : c.added) plan->seq.push_back(&r);
  }
  plan->seq.push_back(&plan->soa);
  plan->total = plan->seq.size();
  return TransferOut(std::move(plan));
}

TransferOut::TransferOut(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
TransferOut::TransferOut(TransferOut&&) noexcept = default;
TransferOut& TransferOut::operator=(TransferOut&&) noexcept = default;
TransferOut::~TransferOut() = default;

bool TransferOut::done() const {
  return finished_;
}
TransferKind TransferOut::kind() const {
  return plan_->kind;
}
Serial TransferOut::serial() const {
  return plan_->serial;
}
std::size_t TransferOut::records_total() const {
  return plan_->total;
}

std::optional<std::vector<std::uint8_t>> TransferOut::next_message() {
  if (finished_ || !plan_) return std::nullopt;
  Plan& p = *plan_;
  const bool first = messages_ == 0;
  const bool with_opt = first && p.edns;
  const std::size_t reserve = p.opts.signer_reserve + (with_opt ? p.opts.edns.wire_size() : 0);

  wire::MessageBuilder b(p.header, p.opts.max_message_size, reserve);
  bool ok = true;
  // RFC 5936 §2.2.2: the first message copies the question; later ones may.
  if (first || p.opts.question_in_every_message) ok = b.add_question(p.question);
  // RFC 5936 §2.2: as many records as fit, to amortize the per-message overhead.
  std::size_t added = 0;
  std::optional<zone::Zone::RecordView> r;
  while (ok && (r = p.peek(next_)) &&
         b.add_record(wire::Section::kAnswer, *r->owner, r->type, wire::RRClass::IN, r->ttl,
                      r->rdata, wire::Compression::kUnicast)) {
    p.advance();
    ++next_;
    ++added;
  }
  std::vector<std::uint8_t> out;
  if (added == 0 && r) {
    // A record that does not fit even an empty message: RFC 5936 §2.2 ends the transfer
    // with one error message carrying the question.
    error_ = Error{Errc::kOutOfRange, "record too large for a transfer message"};
    wire::MessageBuilder e(p.header, p.opts.max_message_size, p.opts.signer_reserve);
    e.add_question(p.question);
    e.set_rcode(Rcode::SERVFAIL);
    out = e.finish();
    finished_ = true;
  } else {
    if (with_opt) b.add_edns(p.opts.edns);  // room was reserved
    out = b.finish();
    if (!p.peek(next_)) finished_ = true;
  }
  if (p.signer) {
    if (auto r = p.signer(out); !r) {
      error_ = r.error();
      finished_ = true;
      return std::nullopt;
    }
  }
  ++messages_;
  return out;
}

std::vector<std::uint8_t> error_response(const wire::Message& request, Rcode rcode) {
  wire::Header h;
  h.id = request.header.id;
  h.qr = true;
  h.opcode = request.header.opcode;
  h.rd = request.header.rd;
  wire::MessageBuilder b(h, 65535);
  if (!request.questions.empty()) b.add_question(request.questions.front());
  b.set_rcode(rcode);
  if (request.edns) b.add_edns(wire::Edns{});  // RFC 6891 §7: answer OPT with OPT
  return b.finish();
}

Rcode rcode_for(const Error& e) {
  switch (e.code) {
    case Errc::kMalformed:
      return Rcode::FORMERR;
    case Errc::kNotFound:
      return Rcode::NOTAUTH;
    case Errc::kRefused:
      return Rcode::REFUSED;
    default:
      return Rcode::SERVFAIL;
  }
}

}  // namespace dnspush::xfr
