#include "server/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include "auth/response.hpp"
#include "base/log_limiter.hpp"
#include "server/answers.hpp"
#include "wire/tsig.hpp"
#include "xfr/acl.hpp"
#include "xfr/transfer_out.hpp"
#include "zone/changeset.hpp"

namespace dnspush::server {
namespace {

using wire::Rcode;
using wire::RRType;

xfr::IpAddress ip_of(const auth::ClientAddress& a) {
  auto ip = xfr::IpAddress::from_bytes(std::span(a.bytes.data(), a.v6 ? 16u : 4u));
  return ip ? *ip : xfr::IpAddress::v4({0, 0, 0, 0});
}

LogLimiter bad_tsig_log;
LogLimiter forward_log;
LogLimiter notify_log;
LogLimiter refused_notify_log;
LogLimiter refused_transfer_log;
LogLimiter transfer_log;

// The answer's RCODE (header bits; an extended RCODE is counted by its low bits).
std::size_t query_label(const auth::QueryContext& ctx, std::span<const std::uint8_t> answer) {
  const std::size_t rcode = answer.size() >= 4 ? (answer[3] & 0x0F) : 2;
  return static_cast<std::size_t>(ctx.transport) * metric_labels::kRcode.size() + rcode;
}

}  // namespace

io::FastPath Dispatcher::fast(std::span<const std::uint8_t> query, const auth::QueryContext& ctx,
                              std::vector<std::uint8_t>& out) const {
  const auto h = wire::Header::peek(query);
  if (!h || h->qr) return io::FastPath::kNoAnswer;  // no header, or a response
  if (h->opcode != wire::Opcode::QUERY) return io::FastPath::kDeferred;
  // The same question asked again on this transport, nothing changed since: the answer
  // kept. (Never a transfer or a signed query: their answers are not kept below.)
  if (responder_.respond_from_cache(query, ctx, out)) {
    if (metrics_) metrics_->add(Counter::kQueries, query_label(ctx, out));
    return io::FastPath::kAnswered;
  }
  // Parsed into a per-thread message whose vectors keep their capacity: no allocation.
  thread_local wire::Message m;
  const bool parsed = wire::Message::parse_into(query, m).has_value();
  if (parsed) {
    if (m.tsig_offset) return io::FastPath::kDeferred;
    if (ctx.transport != auth::Transport::kUdp && m.questions.size() == 1 &&
        (m.questions[0].type == RRType::AXFR || m.questions[0].type == RRType::IXFR)) {
      return io::FastPath::kDeferred;
    }
  }
  const bool answered =
      parsed ? responder_.respond(m, ctx, out) : responder_.respond(query, ctx, out);
  if (answered && parsed) responder_.remember(query, ctx, out);
  if (answered && metrics_) metrics_->add(Counter::kQueries, query_label(ctx, out));
  return answered ? io::FastPath::kAnswered : io::FastPath::kNoAnswer;
}

void Dispatcher::handle(std::span<const std::uint8_t> query, const auth::QueryContext& ctx,
                        io::Reply reply) const {
  const auto h = wire::Header::peek(query);
  if (!h || h->qr) return;  // no header, or a response: never answered
  if (h->opcode == wire::Opcode::DSO) {
    // DSO reaches the handler only where no DSO session is offered: over UDP (RFC 8490
    // §5.1: no session semantics), or on plain TCP without [push] dso-on-tcp. NOTIMP tells
    // the client not to try again on this connection (§5.1.1). DSO messages carry no
    // question and no OPT (§5.4), so neither does the answer.
    reply.send(
        auth::error_response(*h, nullptr, nullptr, wire::Rcode::NOTIMP, ctx, responder_.options()));
    return;
  }
  auto m = wire::Message::parse(query);
  if (m && h->opcode == wire::Opcode::NOTIFY) {
    notify(query, *m, ctx, std::move(reply));
    return;
  }
  if (m && h->opcode == wire::Opcode::UPDATE) {
    update(query, std::move(*m), ctx, std::move(reply));
    return;
  }
  if (m && h->opcode == wire::Opcode::QUERY && ctx.transport != auth::Transport::kUdp &&
      m->questions.size() == 1 &&
      (m->questions[0].type == RRType::AXFR || m->questions[0].type == RRType::IXFR)) {
    transfer(query, *m, ctx, std::move(reply));
    return;
  }
  if (m && m->tsig_offset && h->opcode == wire::Opcode::QUERY) {
    signed_query(query, *m, ctx, std::move(reply));
    return;
  }
  // Everything else, malformed messages included (FORMERR).
  std::vector<std::uint8_t> out;
  if (m ? responder_.respond(*m, ctx, out) : responder_.respond(query, ctx, out)) {
    if (metrics_) metrics_->add(Counter::kQueries, query_label(ctx, out));
    reply.send(std::move(out));
  }
}

// RFC 8945 §5.2: the TSIG is checked before anything else, here on the io thread, so the
// writer gets only verified UPDATEs and a flood of bad signatures never reaches its queue.
void Dispatcher::update(std::span<const std::uint8_t> bytes, wire::Message m,
                        const auth::QueryContext& ctx, io::Reply reply) const {
  const ZoneConfig* secondary_zone =
      secondary_ && m.questions.size() == 1 ? secondary_->zone(m.questions[0].name) : nullptr;
  if (secondary_zone && secondary_zone->secondary.forward_updates) {
    // RFC 2136 §6: the primary decides (its TSIG keys, its policy); the message goes on
    // unverified and its answer comes back unchanged. SERVFAIL when no primary answers.
    std::uint64_t suppressed = 0;
    if (forward_log.allow(Clock::now(), suppressed)) {
      spdlog::info("UPDATE of {} from {}: forwarded to the primary{}",
                   m.questions[0].name.to_text(), ip_of(ctx.client).to_text(),
                   suppressed_note(suppressed));
    }
    auto servfail =
        rcode_answer(m, Rcode::SERVFAIL, WithQuestion::kNo, ctx, responder_.options(), {}, now_());
    secondary_->forward_update(*secondary_zone,
                               std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                               std::move(servfail), std::move(reply));
    return;
  }
  std::optional<wire::TsigVerifyResult> v;
  if (m.tsig_offset) {
    const std::uint64_t now = now_();
    v = wire::tsig_verify_request(bytes, m, zones_.keyring(), now);
    if (!v->ok()) {
      log_bad_tsig("UPDATE", m, ctx, *v);
      if (metrics_) {
        metrics_->add(Counter::kUpdates, static_cast<std::size_t>(v->response_rcode()) & 0x0F);
      }
      reply.send(rcode_answer(m, v->response_rcode(), WithQuestion::kNo, ctx, responder_.options(),
                              v, now));
      return;
    }
  }
  if (secondary_zone) {
    // A secondary changes only by transfer from its primary; forwarding is off.
    reply.send(
        rcode_answer(m, Rcode::REFUSED, WithQuestion::kNo, ctx, responder_.options(), v, now_()));
    return;
  }
  zones_.submit_update(UpdateRequest{std::move(m), std::move(v), ctx, std::move(reply)});
}

// RFC 1996: a NOTIFY is a hint to check now. Only for our secondary zones and only from
// their primaries (§3.10; BIND likewise answers others REFUSED); the check itself goes to
// the primary, signed when its key says so, so a forged NOTIFY costs at most one check,
// and NOTIFYs arriving during a check coalesce into one more (§4.4).
void Dispatcher::notify(std::span<const std::uint8_t> bytes, const wire::Message& m,
                        const auth::QueryContext& ctx, io::Reply reply) const {
  const std::uint64_t now = now_();
  std::optional<wire::TsigVerifyResult> v;
  auto answer = [&](Rcode rcode) {
    auto out = rcode_answer(m, rcode, WithQuestion::kYes, ctx, responder_.options(), v, now,
                            rcode == Rcode::NOERROR);
    reply.send(std::move(out));
  };
  if (m.tsig_offset) {
    v = wire::tsig_verify_request(bytes, m, zones_.keyring(), now);
    if (!v->ok()) {
      log_bad_tsig("NOTIFY", m, ctx, *v);
      return answer(v->response_rcode());
    }
  }
  // RFC 1996 §3.7: one question, the zone's SOA.
  if (m.questions.size() != 1 || m.questions[0].type != RRType::SOA ||
      m.questions[0].cls != wire::RRClass::IN) {
    return answer(Rcode::FORMERR);
  }
  const auto& origin = m.questions[0].name;
  const ZoneConfig* zc = secondary_ ? secondary_->zone(origin) : nullptr;
  // §3.12: for zones we do not follow we implement no NOTIFY: the sender stops retrying.
  if (zc == nullptr) return answer(Rcode::NOTIMP);
  const auto from = ip_of(ctx.client);
  const auto primary = SecondaryService::primary_at(*zc, from);
  if (!primary) {
    std::uint64_t suppressed = 0;
    if (refused_notify_log.allow(Clock::now(), suppressed)) {
      spdlog::warn("NOTIFY for {} from {}: not a primary of the zone, refused (RFC 1996 §3.10){}",
                   origin.to_text(), from.to_text(), suppressed_note(suppressed));
    }
    return answer(Rcode::REFUSED);
  }
  std::uint64_t suppressed = 0;
  if (notify_log.allow(Clock::now(), suppressed)) {
    std::string hint;
    for (const auto& r : m.answers) {
      if (r.type == RRType::SOA && r.owner == origin) {
        hint = " (serial " + std::to_string(zone::soa_serial(r.rdata).value()) + ")";
      }
    }
    spdlog::info("NOTIFY for {} from {}{}: checking{}", origin.to_text(), from.to_text(), hint,
                 suppressed_note(suppressed));
  }
  secondary_->notify(origin, *primary);
  // §4.7: the request echoed with QR (and AA) set.
  answer(Rcode::NOERROR);
}

void Dispatcher::log_bad_tsig(const char* what, const wire::Message& m,
                              const auth::QueryContext& ctx,
                              const wire::TsigVerifyResult& v) const {
  std::uint64_t suppressed = 0;
  if (!bad_tsig_log.allow(Clock::now(), suppressed)) return;
  spdlog::info("{} {} from {}: TSIG {} (key {}){}", what,
               m.questions.empty() ? std::string("?") : m.questions[0].name.to_text(),
               ip_of(ctx.client).to_text(), tsig_error_text(v.error), v.tsig.key_name.to_text(),
               suppressed_note(suppressed));
}

void Dispatcher::signed_query(std::span<const std::uint8_t> bytes, const wire::Message& m,
                              const auth::QueryContext& ctx, io::Reply reply) const {
  const std::uint64_t now = now_();
  auto v = wire::tsig_verify_request(bytes, m, zones_.keyring(), now);
  if (!v.ok()) {
    // RFC 8945 §5.2: FORMERR unsigned, or NOTAUTH with the TSIG error.
    log_bad_tsig("query", m, ctx, v);
    reply.send(
        rcode_answer(m, v.response_rcode(), WithQuestion::kYes, ctx, responder_.options(), v, now));
    return;
  }
  // RFC 8945 §5.3: the answer is sized with its TSIG, so a signed answer that would not
  // fit the client's payload is truncated (and signed) instead of overrunning it.
  auth::QueryContext signed_ctx = ctx;
  signed_ctx.trailer_reserve += wire::tsig_wire_size(*v.key);
  std::vector<std::uint8_t> out;
  if (!responder_.respond(m, signed_ctx, out)) return;
  if (metrics_) metrics_->add(Counter::kQueries, query_label(ctx, out));
  if (auto r = wire::tsig_sign_answer(out, v, now); !r) {
    spdlog::warn("cannot sign an answer: {}", r.error().message);
  }
  reply.send(std::move(out));
}

void Dispatcher::transfer(std::span<const std::uint8_t> bytes, const wire::Message& m,
                          const auth::QueryContext& ctx, io::Reply reply) const {
  const std::uint64_t now = now_();
  std::optional<wire::TsigVerifyResult> v;
  const auto& q = m.questions[0];
  const auto from = ip_of(ctx.client);
  // RFC 5936 §2.2.1: an error answer carries the question.
  auto refuse = [&](Rcode rcode) {
    reply.send(rcode_answer(m, rcode, WithQuestion::kYes, ctx, responder_.options(), v, now));
  };
  auto count_refusal = [this](std::size_t reason) {
    if (metrics_) metrics_->add(Counter::kTransfersRefused, reason);
  };
  if (m.tsig_offset) {
    v = wire::tsig_verify_request(bytes, m, zones_.keyring(), now);
    if (!v->ok()) {
      log_bad_tsig(q.type == RRType::AXFR ? "AXFR" : "IXFR", m, ctx, *v);
      count_refusal(label_index(metric_labels::kTransferRefusal, "tsig"));
      return refuse(v->response_rcode());
    }
  }
  auto cat = responder_.catalogue();
  const auto* z = cat ? cat->find_exact(q.name) : nullptr;
  const ZoneConfig* zc = zones_.zone_config(q.name);
  // RFC 1034 §4.3.5: an expired secondary copy (or none yet) is not handed on.
  if (cat && cat->unavailable(q.name)) {
    count_refusal(label_index(metric_labels::kTransferRefusal, "unavailable"));
    return refuse(Rcode::SERVFAIL);
  }
  // RFC 5936 §2.2.1 note e: not a zone of ours.
  if (z == nullptr || zc == nullptr) {
    count_refusal(label_index(metric_labels::kTransferRefusal, "not_authoritative"));
    return refuse(Rcode::NOTAUTH);
  }
  const wire::Name* key = v && v->key ? &v->key->name : nullptr;
  if (!zc->transfer.allows(from, key)) {
    std::uint64_t suppressed = 0;
    if (refused_transfer_log.allow(Clock::now(), suppressed)) {
      spdlog::info("{} {} from {} {}: refused by policy{}", wire::to_text(q.type), q.name.to_text(),
                   from.to_text(), key ? "with key " + key->to_text() : "unsigned",
                   suppressed_note(suppressed));
    }
    count_refusal(label_index(metric_labels::kTransferRefusal, "policy"));
    return refuse(Rcode::REFUSED);
  }
  xfr::TransferOptions opts;
  if (m.edns) opts.edns = wire::Edns{};
  xfr::MessageSigner signer;
  if (v) {
    opts.signer_reserve = wire::tsig_wire_size(*v->key);
    auto s = std::make_shared<wire::TsigStreamSigner>(*v->key, v->request_mac);
    signer = [s, clock = now_](std::vector<std::uint8_t>& msg) -> Result<void> {
      if (auto r = s->sign(msg, clock()); !r) return tl::unexpected(r.error());
      return {};
    };
  }
  // DESIGN.md "bounded everything": a transfer holds a zone snapshot and its history;
  // past the bound the request is refused (the secondary retries later, RFC 5936 §4.2).
  std::size_t active = transfers_->active.load();
  do {
    if (active >= transfers_->max) {
      if (metrics_) {
        metrics_->add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxTransfersOut));
      }
      count_refusal(label_index(metric_labels::kTransferRefusal, "limit"));
      std::uint64_t suppressed = 0;
      if (refused_transfer_log.allow(Clock::now(), suppressed)) {
        spdlog::info("{} {} from {}: refused, {} transfers in progress (max-transfers-out){}",
                     wire::to_text(q.type), q.name.to_text(), from.to_text(), active,
                     suppressed_note(suppressed));
      }
      return refuse(Rcode::REFUSED);
    }
  } while (!transfers_->active.compare_exchange_weak(active, active + 1));
  // The slot is held by the stream and given back when it is destroyed.
  std::shared_ptr<TransferCount> slot(
      transfers_.get(), [count = transfers_](TransferCount*) { count->active.fetch_sub(1); });
  auto t = xfr::TransferOut::start(m, *z, xfr::journal_lookup(zones_.journal(), q.name), opts,
                                   std::move(signer));
  if (!t) {
    count_refusal(label_index(metric_labels::kTransferRefusal, "error"));
    return refuse(xfr::rcode_for(t.error()));
  }
  static constexpr const char* kKinds[] = {"AXFR", "IXFR", "IXFR (AXFR-style)",
                                           "IXFR (up to date)"};
  std::uint64_t suppressed = 0;
  if (transfer_log.allow(Clock::now(), suppressed)) {
    spdlog::info("{} of {} serial {} to {} ({} records){}", kKinds[static_cast<int>(t->kind())],
                 q.name.to_text(), t->serial().value(), from.to_text(), t->records_total(),
                 suppressed_note(suppressed));
  }
  if (metrics_) metrics_->add(Counter::kTransfersOut, static_cast<std::size_t>(t->kind()));
  auto stream = std::make_shared<xfr::TransferOut>(std::move(*t));
  reply.send_stream([stream, slot] { return stream->next_message(); });
}

}  // namespace dnspush::server
