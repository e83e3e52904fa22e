#include "llq/llq_server.hpp"

#include <algorithm>
#include <cstring>

#include "push/changes.hpp"
#include "push/encoder.hpp"

namespace dnspush::llq {
namespace {

using wire::Rcode;
using wire::RRClass;
using wire::RRType;
using SubId = push::SubscriptionIndex::SubId;

constexpr std::uint32_t kTtlRemove = 0xFFFFFFFF;          // RFC 8764 §6.1: a removed record
constexpr std::size_t kOptSize = 11 + 4 + kOptionLength;  // OPT RR with one LLQ option
constexpr std::uint16_t kMinUdp = 512;
constexpr std::uint16_t kMaxStream = 65535;  // RFC 1035 §4.2.2: a stream message's bound
constexpr std::uint64_t kMacBits = 40;
constexpr std::uint64_t kMacMask = (std::uint64_t{1} << kMacBits) - 1;

push::SessionId session_of(std::uint32_t slot) {
  return static_cast<push::SessionId>(push::kLlqSessionBit | slot);
}

bool same_peer(const Peer& a, const Peer& b) {
  return a.v6 == b.v6 && a.port == b.port && a.address == b.address && a.stream == b.stream;
}

// RFC 6895 §3.1: meta TYPEs other than ANY are not data one could watch.
bool watchable(const wire::Question& q) {
  const auto t = static_cast<std::uint16_t>(q.type);
  return t != 0 && (!wire::is_meta_type(q.type) || q.type == RRType::ANY);
}

}  // namespace

struct LlqServer::Llq {
  std::uint64_t id = 0;
  Peer peer;
  SubId sub = push::SubscriptionIndex::kNone;
  TimePoint expires{};
  TimePoint resend_at{};
  std::vector<push::SharedBytes> events;  // events.front() is in flight when sends > 0
  std::uint32_t gen = 0;
  std::uint16_t udp = kMinUdp;
  std::uint16_t event_id = 0;
  std::uint8_t sends = 0;
  bool live = false;
};

// One request being answered.
struct LlqServer::Ctx {
  const wire::Message& m;
  const Peer& from;
  const zone::Catalogue& snapshot;
  TimePoint now;
  std::uint16_t udp;
};

struct LlqServer::Outcome {
  Option option;
  Rcode rcode = Rcode::NOERROR;
  bool answers = false;  // the ACK: the question's current records follow
};

LlqServer::LlqServer(push::PushWorker& index, LlqConfig cfg, Random random)
    : index_(index), cfg_(std::move(cfg)), random_(std::move(random)) {
  cfg_.max_udp = std::max(cfg_.max_udp, kMinUdp);
  cfg_.lease_min = std::max(cfg_.lease_min, std::chrono::seconds(1));
  cfg_.lease_max = std::max(cfg_.lease_max, cfg_.lease_min);
  cfg_.event_transmissions = std::max(cfg_.event_transmissions, 1u);
  cfg_.max_queued_events = std::max<std::size_t>(cfg_.max_queued_events, 1);
  if (cfg_.challenge_bucket <= Duration::zero()) cfg_.challenge_bucket = std::chrono::seconds(30);
}

LlqServer::~LlqServer() {
  for (std::uint32_t s = 0; s < llqs_.size(); ++s) {
    if (!llqs_[s].live) continue;
    index_.close_session(session_of(s));
    if (cfg_.shared) cfg_.shared->remove(addr_key(llqs_[s].peer));
  }
}

bool LlqServer::admit(const Peer& p) {
  return !cfg_.shared || cfg_.shared->try_add(addr_key(p));
}

LlqServer::AddrKey LlqServer::addr_key(const Peer& p) {
  AddrKey k{};
  std::memcpy(&k.hi, p.address.data(), 8);
  std::memcpy(&k.lo, p.address.data() + 8, 8);
  if (p.v6) k.lo ^= 1;  // an IPv4 address has zeros there: v4 and v6 never meet
  if (!p.v6) k.lo = 0;
  return k;
}

std::size_t LlqServer::for_address(const Peer& p) const {
  const auto it = per_address_.find(addr_key(p));
  return it == per_address_.end() ? 0 : it->second;
}

std::uint32_t LlqServer::grant(std::uint32_t asked) const {
  const auto lo = static_cast<std::uint32_t>(cfg_.lease_min.count());
  const auto hi =
      static_cast<std::uint32_t>(std::min<std::int64_t>(cfg_.lease_max.count(), 0xFFFFFFFF));
  return std::clamp(asked, lo, hi);
}

bool LlqServer::full(const Peer& p) const {
  return ids_.size() >= cfg_.max_llqs || for_address(p) >= cfg_.max_llqs_per_address ||
         (cfg_.shared && cfg_.shared->full(addr_key(p)));
}

std::uint32_t LlqServer::remaining(const Llq& l, TimePoint now) const {
  if (l.expires <= now) return 0;
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(l.expires - now).count());
}

std::uint64_t LlqServer::challenge_id(const Peer& p, const wire::Question& q, std::uint64_t bucket,
                                      std::uint32_t r) const {
  // The MAC input: the random bits, the time bucket, the client's address and port, and
  // the question (the name lowercased: a client may change its case between messages).
  std::array<std::uint8_t, 3 + 8 + 16 + 1 + 2 + 255 + 4> buf{};
  std::size_t n = 0;
  for (int i = 2; i >= 0; --i) buf[n++] = static_cast<std::uint8_t>(r >> (8 * i));
  for (int i = 7; i >= 0; --i) buf[n++] = static_cast<std::uint8_t>(bucket >> (8 * i));
  std::memcpy(buf.data() + n, p.address.data(), 16);
  n += 16;
  buf[n++] = p.v6 ? 6 : 4;
  buf[n++] = static_cast<std::uint8_t>(p.port >> 8);
  buf[n++] = static_cast<std::uint8_t>(p.port);
  const wire::Name lower = q.name.to_lower();
  std::memcpy(buf.data() + n, lower.wire().data(), lower.wire_size());
  n += lower.wire_size();
  const auto t = static_cast<std::uint16_t>(q.type);
  const auto c = static_cast<std::uint16_t>(q.cls);
  buf[n++] = static_cast<std::uint8_t>(t >> 8);
  buf[n++] = static_cast<std::uint8_t>(t);
  buf[n++] = static_cast<std::uint8_t>(c >> 8);
  buf[n++] = static_cast<std::uint8_t>(c);
  const std::uint64_t mac = siphash24(cfg_.secret, std::span(buf.data(), n));
  return (std::uint64_t{r} << kMacBits) | (mac & kMacMask);
}

bool LlqServer::verify(const Peer& p, const wire::Question& q, std::uint64_t id,
                       TimePoint now) const {
  const auto bucket = static_cast<std::uint64_t>(now.time_since_epoch() / cfg_.challenge_bucket);
  const auto r = static_cast<std::uint32_t>(id >> kMacBits);
  if (r == 0) return false;  // challenge_id never makes these (see setup)
  return challenge_id(p, q, bucket, r) == id ||
         (bucket > 0 && challenge_id(p, q, bucket - 1, r) == id);
}

std::optional<std::uint32_t> LlqServer::find(std::uint64_t id, const Peer& p) const {
  const auto it = ids_.find(id);
  if (it == ids_.end() || !same_peer(llqs_[it->second].peer, p)) return std::nullopt;
  return it->second;
}

Disposition LlqServer::receive(std::span<const std::uint8_t> msg, const Peer& from,
                               const zone::Catalogue& snapshot, TimePoint now,
                               std::vector<std::uint8_t>& out) {
  out.clear();
  const auto h = wire::Header::peek(msg);
  if (!h) {
    ++counters_.ignored;
    return Disposition::kNoAnswer;
  }
  auto parsed = wire::Message::parse(msg);
  if (!parsed) {
    // Not even a message: a response is dropped; a query gets FORMERR without echoing
    // anything of it but the ID (RFC 1035 §4.1.1).
    if (h->qr) {
      ++counters_.ignored;
      return Disposition::kNoAnswer;
    }
    ++counters_.errors[static_cast<std::size_t>(ErrorCode::FORMAT_ERR)];
    wire::Header rh;
    rh.id = h->id;
    rh.qr = true;
    rh.opcode = h->opcode;
    wire::MessageBuilder b(rh, kMinUdp);
    b.set_rcode(Rcode::FORMERR);
    out = b.finish();
    return Disposition::kAnswer;
  }
  const wire::Message& m = *parsed;
  if (!m.edns) return Disposition::kNotLlq;
  const auto opts = llq_options(*m.edns);
  if (opts.empty()) return Disposition::kNotLlq;

  // An event acknowledgement (§6.2): LLQ-EVENT, QR set (Apple) or clear. Never answered.
  if (opts[0] && opts[0]->opcode == static_cast<std::uint16_t>(Opcode::LLQ_EVENT)) {
    ack(m, *opts[0], from, now);
    return Disposition::kNoAnswer;
  }
  if (m.header.qr || m.header.opcode != wire::Opcode::QUERY) {
    ++counters_.ignored;  // a response that is not an acknowledgement: nothing to answer
    return Disposition::kNoAnswer;
  }

  Ctx c{m, from, snapshot, now,
        from.stream != 0 ? kMaxStream
                         : static_cast<std::uint16_t>(std::clamp<std::uint16_t>(
                               m.edns->udp_payload, kMinUdp, cfg_.max_udp))};
  std::vector<Outcome> outcomes;
  // §3.2: one option per question, in order. Otherwise, or an option that does not
  // decode, or opcodes that differ: FORMAT-ERR for the message.
  bool malformed = m.questions.empty() || opts.size() != m.questions.size();
  bool bad_version = false;
  for (const auto& o : opts) {
    if (!o) {
      malformed = true;
      continue;
    }
    if (o->version != kVersion) bad_version = true;
    if (opts[0] && o->opcode != opts[0]->opcode) malformed = true;
  }
  const Opcode op = opts[0] ? static_cast<Opcode>(opts[0]->opcode) : Opcode::LLQ_SETUP;
  if (!malformed && !bad_version && op != Opcode::LLQ_SETUP && op != Opcode::LLQ_REFRESH)
    malformed = true;

  if (malformed || bad_version) {
    const ErrorCode e = bad_version && !malformed ? ErrorCode::BAD_VERS : ErrorCode::FORMAT_ERR;
    ++counters_.errors[static_cast<std::size_t>(e)];
    Outcome o;
    o.rcode = e == ErrorCode::FORMAT_ERR ? Rcode::FORMERR : Rcode::NOERROR;
    const std::uint64_t id = opts[0] ? opts[0]->id : 0;
    const std::uint16_t opcode = opts[0] ? opts[0]->opcode : 0;
    o.option = Option{kVersion, opcode, static_cast<std::uint16_t>(e), id, 0};
    outcomes.push_back(o);
  } else {
    for (std::size_t i = 0; i < m.questions.size(); ++i) {
      Outcome o =
          op == Opcode::LLQ_SETUP ? setup(c, m.questions[i], *opts[i]) : refresh(c, *opts[i]);
      ++counters_.errors[o.option.error < 7 ? o.option.error : 6];
      outcomes.push_back(o);
    }
  }

  // The answer: the client's message ID, its questions, the current records for each
  // question acknowledged (the ACK, §5.1 step 4), and one LLQ option per outcome.
  wire::Header rh;
  rh.id = m.header.id;
  rh.qr = true;
  rh.aa = true;
  rh.rd = m.header.rd;
  rh.opcode = wire::Opcode::QUERY;
  const std::size_t opt_size = 11 + outcomes.size() * (4 + kOptionLength);
  Rcode rcode = Rcode::NOERROR;
  for (const auto& o : outcomes) {
    if (o.rcode != Rcode::NOERROR) rcode = o.rcode;
  }
  // Returns false when an answer record did not fit the client's payload.
  auto build = [&](bool with_answers) {
    wire::MessageBuilder b(rh, c.udp, opt_size);
    for (const auto& q : m.questions) b.add_question(q);
    bool fits = true;
    for (std::size_t i = 0; with_answers && fits && i < outcomes.size(); ++i) {
      if (!outcomes[i].answers) continue;
      const auto& q = m.questions[i];
      const auto* zp = snapshot.find_enclosing(q.name);
      const zone::Node* node = zp ? (*zp)->find(q.name) : nullptr;
      if (node == nullptr) continue;
      for (const zone::RRset& s : node->rrsets()) {
        if (q.type != RRType::ANY && s.type != q.type) continue;
        for (const auto& rd : s.rdatas) {
          fits = fits && b.add_record(wire::Section::kAnswer, q.name, s.type, RRClass::IN,
                                      push::push_ttl(s.ttl), rd);
        }
      }
    }
    // Too much for the client's payload: no answers and TC (RFC 2181 §9: nothing half
    // cached), so it fetches them over TCP; the LLQ stands and its events follow.
    if (!with_answers) b.set_tc();
    b.set_rcode(rcode);
    wire::Edns e;
    e.udp_payload = cfg_.max_udp;
    for (const auto& o : outcomes) e.options.push_back(to_edns(o.option));
    b.add_edns(e);
    out = b.finish();
    return fits;
  };
  if (!build(true)) build(false);
  return Disposition::kAnswer;
}

LlqServer::Outcome LlqServer::setup(Ctx& c, const wire::Question& q, const Option& o) {
  Outcome r;
  auto reply = [&](ErrorCode e, std::uint64_t id, std::uint32_t lease) {
    r.option = make_option(Opcode::LLQ_SETUP, e, id, lease);
    return r;
  };
  // An expired (or not yet transferred) secondary zone: nothing true can be said about it
  // now, so no LLQ starts there and no answers are given; SERVFAIL as for a query and a
  // push SUBSCRIBE (RFC 1034 §4.3.5), which a client retries later. Checked first: even a
  // repeated ACK would read answers from the stale copy.
  if (c.snapshot.unavailable_for(q.name)) {
    r.rcode = Rcode::SERVFAIL;
    return reply(ErrorCode::UNKNOWN_ERR, o.id, 0);
  }
  // A repeated challenge response for a live LLQ: the ACK and answers again (§5.1).
  if (o.id != 0) {
    if (const auto slot = find(o.id, c.from)) {
      ++counters_.acks_repeated;
      r.answers = true;
      return reply(ErrorCode::NO_ERROR, o.id, remaining(llqs_[*slot], c.now));
    }
  }
  if (q.cls != RRClass::IN || !watchable(q)) return reply(ErrorCode::FORMAT_ERR, o.id, 0);
  const auto* zp = c.snapshot.find_enclosing(q.name);
  if (zp == nullptr) {
    // Not a name of ours: nothing will ever change here (STATIC) and the client should ask
    // elsewhere (REFUSED, as for an ordinary query).
    r.rcode = Rcode::REFUSED;
    return reply(ErrorCode::STATIC, o.id, 0);
  }
  const zone::Zone& z = **zp;
  // §3.2 STATIC: LLQ is off for this zone; the client falls back to the records' TTLs.
  if (cfg_.allow && !cfg_.allow(z.origin())) return reply(ErrorCode::STATIC, o.id, 0);
  auto serv_full = [&] {
    // Which limit (metrics): one address at its share, else the total.
    const bool address =
        for_address(c.from) >= cfg_.max_llqs_per_address ||
        (cfg_.shared && cfg_.shared->for_address(addr_key(c.from)) >= cfg_.max_llqs_per_address);
    ++(address ? counters_.full_address : counters_.full_total);
    return reply(ErrorCode::SERV_FULL, o.id,
                 static_cast<std::uint32_t>(cfg_.serv_full_retry.count()));
  };
  if (full(c.from)) return serv_full();
  const std::uint32_t lease = grant(o.lease);
  if (o.id == 0 && c.from.stream != 0) {
    // Over a stream the connection has proved the address: no challenge (see the header).
    if (c.snapshot.version() < index_.last_commit_version())
      return reply(ErrorCode::UNKNOWN_ERR, 0, 0);
    std::uint64_t id = random_();
    while (id == 0 || ids_.count(id) != 0) id = random_();
    if (!admit(c.from)) return serv_full();
    create(id, c.from, q, lease, c.udp, c.snapshot.version(),
           static_cast<std::uint8_t>(z.origin().label_count()), c.now);
    ++counters_.established;
    r.answers = true;
    return reply(ErrorCode::NO_ERROR, id, lease);
  }
  if (o.id == 0) {
    // (2) the challenge: no state, no answers.
    const auto bucket =
        static_cast<std::uint64_t>(c.now.time_since_epoch() / cfg_.challenge_bucket);
    auto rnd = static_cast<std::uint32_t>(random_() & 0xFFFFFF);
    if (rnd == 0) rnd = 1;
    ++counters_.challenges;
    return reply(ErrorCode::NO_ERROR, challenge_id(c.from, q, bucket, rnd), lease);
  }
  // (3) the challenge response: the ID must be one we made for this address and question.
  if (!verify(c.from, q, o.id, c.now) || ids_.count(o.id) != 0)
    return reply(ErrorCode::NO_SUCH_LLQ, o.id, 0);
  if (c.snapshot.version() < index_.last_commit_version()) {
    // Older than a commit already delivered: the LLQ would miss it (never happens when
    // the caller passes the current catalogue). The client retries.
    return reply(ErrorCode::UNKNOWN_ERR, o.id, 0);
  }
  // (4) the ACK with the current answers, read from the snapshot the LLQ is versioned at.
  // Another worker may have taken the last place since the check above.
  if (!admit(c.from)) return serv_full();
  create(o.id, c.from, q, lease, c.udp, c.snapshot.version(),
         static_cast<std::uint8_t>(z.origin().label_count()), c.now);
  ++counters_.established;
  r.answers = true;
  return reply(ErrorCode::NO_ERROR, o.id, lease);
}

LlqServer::Outcome LlqServer::refresh(Ctx& c, const Option& o) {
  Outcome r;
  const auto slot = find(o.id, c.from);
  if (!slot) {
    r.option = make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_SUCH_LLQ, o.id, 0);
    return r;
  }
  if (o.lease == 0) {
    // §7: a lease of zero cancels the LLQ.
    ++counters_.cancels;
    drop(*slot);
    r.option = make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, o.id, 0);
    return r;
  }
  ++counters_.refreshes;
  const std::uint32_t lease = grant(o.lease);
  Llq& l = llqs_[*slot];
  l.expires = c.now + std::chrono::seconds(lease);
  l.udp = c.udp;
  reschedule(*slot);
  r.option = make_option(Opcode::LLQ_REFRESH, ErrorCode::NO_ERROR, o.id, lease);
  return r;
}

void LlqServer::ack(const wire::Message& m, const Option& o, const Peer& from, TimePoint now) {
  const auto slot = find(o.id, from);
  if (!slot) {
    ++counters_.event_acks_ignored;
    return;
  }
  Llq& l = llqs_[*slot];
  if (l.sends == 0 || l.events.empty() || m.header.id != l.event_id) {
    ++counters_.event_acks_ignored;  // a late duplicate of an acknowledged event
    return;
  }
  ++counters_.event_acks;
  l.events.erase(l.events.begin());
  l.sends = 0;
  if (!l.events.empty())
    send_front(*slot, now);
  else
    reschedule(*slot);
}

std::uint32_t LlqServer::create(std::uint64_t id, const Peer& p, const wire::Question& q,
                                std::uint32_t lease, std::uint16_t udp, std::uint64_t version,
                                std::uint8_t zone_labels, TimePoint now) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(llqs_.size());
    llqs_.emplace_back();
  }
  Llq& l = llqs_[slot];
  const std::uint32_t gen = l.gen + 1;
  l = Llq{};
  l.gen = gen;
  l.id = id;
  l.peer = p;
  l.udp = udp;
  l.expires = now + std::chrono::seconds(lease);
  l.live = true;
  l.sub = index_.add_llq(session_of(slot), push::Subscribe{q.name, q.type, q.cls}, version,
                         zone_labels);
  ids_.emplace(id, slot);
  ++per_address_[addr_key(p)];
  if (p.stream != 0) {
    ++per_stream_[p.stream];
    stream_changes_.push_back(p.stream);
  }
  reschedule(slot);
  return slot;
}

void LlqServer::drop(std::uint32_t slot) {
  Llq& l = llqs_[slot];
  if (!l.live) return;
  index_.close_session(session_of(slot));
  ids_.erase(l.id);
  const auto it = per_address_.find(addr_key(l.peer));
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  if (cfg_.shared) cfg_.shared->remove(addr_key(l.peer));
  if (l.peer.stream != 0) {
    const auto st = per_stream_.find(l.peer.stream);
    if (st != per_stream_.end() && --st->second == 0) per_stream_.erase(st);
    stream_changes_.push_back(l.peer.stream);
  }
  const std::uint32_t gen = l.gen + 1;
  l = Llq{};
  l.gen = gen;  // its timer entries are stale now
  free_.push_back(slot);
}

void LlqServer::on_commit(std::span<const push::PushWorker::LlqMatch> matches, TimePoint now) {
  for (const auto& match : matches) {
    const auto raw = static_cast<std::uint64_t>(match.llq);
    if ((raw & push::kLlqSessionBit) == 0 || match.change == nullptr) continue;
    const auto slot = static_cast<std::uint32_t>(raw & 0xFFFFFFFFu);
    if (slot >= llqs_.size() || !llqs_[slot].live) continue;
    Llq& l = llqs_[slot];
    const auto& sub = index_.index().sub(l.sub);
    const auto& g = index_.index().group(sub.group);
    const wire::Name& qname = g.name->first;
    const push::NameChange& change = *match.change;
    auto covers = [&](RRType t) { return g.type == RRType::ANY || g.type == t; };

    // §6.1: removals as single records with TTL 0xFFFFFFFF, then adds with their TTL.
    struct Rec {
      RRType type;
      std::uint32_t ttl;
      const push::Rdata* rd;
    };
    std::vector<Rec> recs;
    for (const auto& s : change.sets) {
      if (!covers(s.type)) continue;
      for (const auto* rd : s.removed) recs.push_back({s.type, kTtlRemove, rd});
    }
    for (const auto& s : change.sets) {
      if (!covers(s.type) || s.after == nullptr) continue;
      for (const auto* rd : s.added) recs.push_back({s.type, push::push_ttl(s.after->ttl), rd});
    }
    const wire::Question q{qname, g.type, g.cls};
    std::size_t i = 0;
    while (i < recs.size() && l.live) {
      wire::Header h;
      h.id = static_cast<std::uint16_t>(random_());
      h.qr = true;
      h.aa = true;
      h.opcode = wire::Opcode::QUERY;
      wire::MessageBuilder b(h, l.udp, kOptSize);
      b.add_question(q);
      std::size_t in_msg = 0;
      for (; i < recs.size(); ++i) {
        if (b.add_record(wire::Section::kAnswer, qname, recs[i].type, RRClass::IN, recs[i].ttl,
                         *recs[i].rd)) {
          ++in_msg;
          continue;
        }
        if (in_msg > 0) break;          // full: the next message takes it
        ++counters_.records_too_large;  // alone too large for the client's payload
      }
      if (in_msg == 0) break;
      wire::Edns e;
      e.udp_payload = cfg_.max_udp;
      e.options.push_back(
          to_edns(make_option(Opcode::LLQ_EVENT, ErrorCode::NO_ERROR, l.id, remaining(l, now))));
      b.add_edns(e);
      ++counters_.events;
      enqueue(slot, std::make_shared<const std::vector<std::uint8_t>>(b.finish()), now);
    }
  }
}

void LlqServer::enqueue(std::uint32_t slot, push::SharedBytes event, TimePoint now) {
  Llq& l = llqs_[slot];
  if (l.events.size() >= cfg_.max_queued_events) {
    // A client this far behind is not acknowledging: dropping the LLQ bounds the memory;
    // the client's refresh then gets NO-SUCH-LLQ and it sets up again.
    ++counters_.dropped_overflow;
    drop(slot);
    return;
  }
  if (l.peer.stream != 0) {
    // A stream delivers in order or dies: no acknowledgement to wait for.
    transmit_.push_back(Transmit{l.peer, std::move(event)});
    return;
  }
  l.events.push_back(std::move(event));
  if (l.sends == 0) send_front(slot, now);
}

std::size_t LlqServer::for_stream(std::uint64_t stream) const {
  const auto it = per_stream_.find(stream);
  return it == per_stream_.end() ? 0 : it->second;
}

void LlqServer::close_stream(std::uint64_t stream) {
  if (stream == 0 || per_stream_.count(stream) == 0) return;
  for (std::uint32_t s = 0; s < llqs_.size() && per_stream_.count(stream) != 0; ++s) {
    if (llqs_[s].live && llqs_[s].peer.stream == stream) {
      ++counters_.stream_closed;
      drop(s);
    }
  }
  // Nothing more goes to it; the io layer has forgotten the connection already.
  std::erase_if(transmit_, [stream](const Transmit& t) { return t.to.stream == stream; });
  std::erase(stream_changes_, stream);
}

std::optional<std::uint64_t> LlqServer::poll_stream_change() {
  if (stream_changes_.empty()) return std::nullopt;
  const std::uint64_t s = stream_changes_.back();
  stream_changes_.pop_back();
  // One report per stream is enough: the caller reads for_stream().
  std::erase(stream_changes_, s);
  return s;
}

void LlqServer::send_front(std::uint32_t slot, TimePoint now) {
  Llq& l = llqs_[slot];
  const auto& ev = l.events.front();
  l.event_id = static_cast<std::uint16_t>(((*ev)[0] << 8) | (*ev)[1]);
  l.sends = 1;
  l.resend_at = now + cfg_.event_resend;
  transmit_.push_back(Transmit{l.peer, ev});
  reschedule(slot);
}

void LlqServer::reschedule(std::uint32_t slot) {
  Llq& l = llqs_[slot];
  ++l.gen;
  const TimePoint at = l.sends > 0 ? std::min(l.expires, l.resend_at) : l.expires;
  timers_.push_back(Timer{at, slot, l.gen});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
  // Stale entries (moved deadlines) are skipped when they come up; rebuild when they
  // outnumber the live ones, so the heap stays O(LLQs).
  if (timers_.size() > 2 * ids_.size() + 64) {
    std::vector<Timer> live;
    live.reserve(ids_.size());
    for (const auto& t : timers_) {
      if (t.slot < llqs_.size() && llqs_[t.slot].live && llqs_[t.slot].gen == t.gen)
        live.push_back(t);
    }
    timers_ = std::move(live);
    std::make_heap(timers_.begin(), timers_.end(), std::greater<>());
  }
}

std::optional<TimePoint> LlqServer::next_timeout() {
  while (!timers_.empty()) {
    const Timer& t = timers_.front();
    if (t.slot < llqs_.size() && llqs_[t.slot].live && llqs_[t.slot].gen == t.gen) return t.at;
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
  }
  return std::nullopt;
}

void LlqServer::on_timeout(TimePoint now) {
  while (const auto next = next_timeout()) {
    if (*next > now) break;
    const std::uint32_t slot = timers_.front().slot;
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
    Llq& l = llqs_[slot];
    if (l.expires <= now) {
      ++counters_.expired;  // §5.3: the lease ran out without a refresh
      drop(slot);
      continue;
    }
    if (l.sends > 0 && l.resend_at <= now) {
      if (l.sends >= cfg_.event_transmissions) {
        ++counters_.dropped_unacked;  // §6.2: the client is gone
        drop(slot);
        continue;
      }
      // Resent with the same bytes (the same message ID) after 2 s, 4 s, 8 s, ...
      ++counters_.resends;
      transmit_.push_back(Transmit{l.peer, l.events.front()});
      l.resend_at = now + cfg_.event_resend * (1u << std::min<unsigned>(l.sends, 16));
      ++l.sends;
    }
    reschedule(slot);
  }
}

std::optional<Transmit> LlqServer::poll_transmit() {
  if (transmit_.empty()) return std::nullopt;
  Transmit t = std::move(transmit_.front());
  transmit_.pop_front();
  return t;
}

std::optional<LlqServer::Info> LlqServer::info(std::uint64_t id) const {
  const auto it = ids_.find(id);
  if (it == ids_.end()) return std::nullopt;
  const Llq& l = llqs_[it->second];
  return Info{l.id, l.expires, l.events.size(), l.sends, l.event_id};
}

bool LlqServer::check() const {
  std::size_t live = 0;
  std::unordered_map<AddrKey, std::uint32_t, AddrHash> counts;
  std::unordered_map<std::uint64_t, std::uint32_t> streams;
  for (std::uint32_t s = 0; s < llqs_.size(); ++s) {
    const Llq& l = llqs_[s];
    if (!l.live) continue;
    ++live;
    const auto it = ids_.find(l.id);
    if (it == ids_.end() || it->second != s) return false;
    ++counts[addr_key(l.peer)];
    if (l.peer.stream != 0) ++streams[l.peer.stream];
    if (l.peer.stream != 0 && !l.events.empty()) return false;
    if (index_.subscriptions(session_of(s)) != 1) return false;
    if (l.sends > 0 && l.events.empty()) return false;
    if (l.events.size() > cfg_.max_queued_events) return false;
  }
  if (live != ids_.size() || live + free_.size() != llqs_.size()) return false;
  if (counts != per_address_ || streams != per_stream_) return false;
  return index_.index().check();
}

}  // namespace dnspush::llq
