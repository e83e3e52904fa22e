#include "xfr/notify_out.hpp"

#include <algorithm>
#include <utility>

#include "zone/changeset.hpp"

namespace dnspush::xfr {

using wire::Rcode;
using wire::RRType;

NotifyOut::NotifyOut(wire::Name zone, std::size_t target_count, RandomId random, NotifyConfig cfg,
                     Signer signer)
    : zone_(std::move(zone)),
      random_(std::move(random)),
      cfg_(cfg),
      signer_(std::move(signer)),
      targets_(target_count) {}

void NotifyOut::notify(const wire::Record& soa, TimePoint now) {
  const Serial serial = zone::soa_serial(soa.rdata);
  soa_ = soa;
  for (TargetId i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.pending && t.serial == serial) continue;  // already being told about this one
    // A newer change supersedes the pending one: the secondary will fetch the newest
    // version anyway (RFC 1996 §4.2), so only the newest NOTIFY is worth retrying. A new
    // transaction gets a new id, so a late answer to the old one does not complete it.
    const bool queued = t.queued;  // an entry already in transmit_ stays the only one
    t = Target{};
    t.queued = queued;
    t.pending = true;
    t.serial = serial;
    t.id = random_ ? random_() : 0;
    t.sends = 1;
    t.deadline = now + interval_after(t.sends);
    queue(i);
  }
}

void NotifyOut::receive(TargetId target, std::span<const std::uint8_t> bytes, TimePoint) {
  if (target >= targets_.size() || !targets_[target].pending) return;
  const Target& t = targets_[target];
  auto m = wire::Message::parse(bytes);
  if (!m) return;
  const auto& h = m->header;
  // RFC 1996 §3.6: a response with a matching query ID and QNAME (the io layer matched
  // the source address and port).
  if (!h.qr || h.opcode != wire::Opcode::NOTIFY || h.id != t.id) return;
  const Rcode rcode = m->rcode();
  if (m->questions.empty()) {
    // Some servers drop the question from an error answer (NOTIMP, FORMERR); the id
    // still ties it to our request. A NOERROR answer must echo the question (§4.7).
    if (rcode == Rcode::NOERROR) return;
  } else {
    const auto& q = m->questions.front();
    if (m->questions.size() != 1 || !(q.name == zone_) || q.type != RRType::SOA ||
        q.cls != wire::RRClass::IN)
      return;
  }
  if (rcode == Rcode::NOERROR)
    finish(target, NotifyEvent::Outcome::kAcknowledged);  // §4.8
  else if (rcode == Rcode::NOTIMP)
    finish(target, NotifyEvent::Outcome::kNotImplemented, rcode);  // §3.12
  else
    finish(target, NotifyEvent::Outcome::kRejected, rcode);  // answered: retrying won't help
}

std::optional<NotifyTransmit> NotifyOut::poll_transmit() {
  while (!transmit_.empty()) {
    const TargetId i = transmit_.front();
    transmit_.pop_front();
    Target& t = targets_[i];
    if (!t.queued) continue;
    t.queued = false;
    if (!t.pending) continue;  // answered or superseded meanwhile
    auto bytes = build(t);
    if (signer_) {
      if (auto r = signer_(i, bytes); !r) {
        finish(i, NotifyEvent::Outcome::kSignFailed);
        continue;
      }
    }
    return NotifyTransmit{i, std::move(bytes)};
  }
  return std::nullopt;
}

std::optional<NotifyEvent> NotifyOut::poll_event() {
  if (events_.empty()) return std::nullopt;
  NotifyEvent e = events_.front();
  events_.pop_front();
  return e;
}

std::optional<TimePoint> NotifyOut::next_timeout() const {
  std::optional<TimePoint> best;
  for (const Target& t : targets_)
    if (t.pending && (!best || t.deadline < *best)) best = t.deadline;
  return best;
}

void NotifyOut::on_timeout(TimePoint now) {
  for (TargetId i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (!t.pending || now < t.deadline) continue;
    // RFC 1996 §3.6: retransmit until a response or too many copies (a "timeout").
    if (t.sends > cfg_.max_retransmissions) {
      finish(i, NotifyEvent::Outcome::kTimedOut);
      continue;
    }
    ++t.sends;
    t.deadline = now + interval_after(t.sends);
    queue(i);
  }
}

bool NotifyOut::idle() const {
  return std::none_of(targets_.begin(), targets_.end(), [](const Target& t) { return t.pending; });
}

void NotifyOut::queue(TargetId i) {
  if (targets_[i].queued) return;  // the queued copy is built when polled: still current
  targets_[i].queued = true;
  transmit_.push_back(i);
}

void NotifyOut::finish(TargetId i, NotifyEvent::Outcome o, Rcode rcode) {
  Target& t = targets_[i];
  t.pending = false;
  if (events_.size() >= kMaxEvents) events_.pop_front();
  events_.push_back(NotifyEvent{i, t.serial, o, rcode, t.sends});
}

Duration NotifyOut::interval_after(unsigned sends) const {
  // Exponential backoff (§3.6 note): initial, 2×, 4×, ... capped at max_interval.
  Duration d = cfg_.initial_interval;
  for (unsigned i = 1; i < sends && d < cfg_.max_interval; ++i) d *= 2;
  return std::min(d, cfg_.max_interval);
}

std::vector<std::uint8_t> NotifyOut::build(const Target& t) const {
  // RFC 1996 §4.5: new query ID, opcode NOTIFY, AA, one question (zone, IN, SOA); §3.7:
  // the new SOA in the answer section as a hint; §3.9: no authority or additional.
  wire::Header h;
  h.id = t.id;
  h.opcode = wire::Opcode::NOTIFY;
  h.aa = true;
  // RFC 1035 §4.2.1: 512 bytes over UDP without EDNS, the signature included; a hint
  // that does not fit is left out.
  wire::MessageBuilder b(h, 512, cfg_.signer_reserve);
  b.add_question(wire::Question{zone_, RRType::SOA, wire::RRClass::IN});
  if (soa_ && zone::soa_serial(soa_->rdata) == t.serial)
    b.add_record(wire::Section::kAnswer, *soa_);
  return b.finish();
}

NotifyOut::Signer tsig_notify_signer(wire::TsigKey key, std::function<std::uint64_t()> now) {
  return [key = std::move(key), now = std::move(now)](
             TargetId, std::vector<std::uint8_t>& msg) -> Result<void> {
    // The MAC is not kept: the response only stops the retries (RFC 1996 §4.8).
    if (auto r = wire::tsig_sign_request(msg, key, now()); !r) return tl::unexpected(r.error());
    return {};
  };
}

}  // namespace dnspush::xfr
