#include "auth/responder.hpp"

#include <optional>

#include "auth/additional.hpp"
#include "auth/answer_cache.hpp"
#include "auth/lookup.hpp"
#include "auth/response.hpp"
#include "wire/reader.hpp"

namespace dnspush::auth {
namespace {

using wire::Rcode;
using wire::RRType;

// For a message that does not parse: the question, when the header says there is exactly
// one and it reads cleanly, so that the FORMERR can echo it.
std::optional<wire::Question> salvage_question(std::span<const std::uint8_t> bytes,
                                               const wire::Header& h) {
  if (h.qdcount != 1) return std::nullopt;
  wire::Reader r(bytes);
  r.skip(wire::kHeaderSize);
  wire::Question q;
  q.name = r.name();
  q.type = static_cast<RRType>(r.u16());
  q.cls = static_cast<wire::RRClass>(r.u16());
  if (!r.ok()) return std::nullopt;
  return q;
}

Rcode rcode_of(Outcome o) {
  switch (o) {
    case Outcome::kNxDomain:
      return Rcode::NXDOMAIN;
    case Outcome::kRefused:
      return Rcode::REFUSED;
    case Outcome::kYxDomain:
      return Rcode::YXDOMAIN;
    default:
      return Rcode::NOERROR;
  }
}

// An upper bound of the bytes an RRset takes (no compression), to add additional RRsets
// whole or not at all (RFC 2181 §9: no partial RRsets).
std::size_t uncompressed_size(const RRsetRef& rr) {
  if (rr.rrset == nullptr) return rr.owner.wire_size() + 10 + rr.synthesized.size();
  std::size_t n = 0;
  for (const auto& rd : rr.rrset->rdatas) n += rr.owner.wire_size() + 10 + rd.size();
  return n;
}

bool add_rrset(wire::MessageBuilder& b, wire::Section s, const RRsetRef& rr) {
  if (rr.rrset == nullptr) {
    return b.add_record(s, rr.owner, rr.type, wire::RRClass::IN, rr.ttl, rr.synthesized);
  }
  for (const auto& rd : rr.rrset->rdatas) {
    if (!b.add_record(s, rr.owner, rr.type, wire::RRClass::IN, rr.ttl, rd)) return false;
  }
  return true;
}

// Everything needed to write one answer, gathered before writing so that a truncated
// answer can be rewritten from scratch.
struct Plan {
  Rcode rcode = Rcode::NOERROR;
  bool aa = false;
  std::vector<RRsetRef> answer;
  std::vector<RRsetRef> authority;
  std::vector<AdditionalRRset> additional;
};

class Answerer {
 public:
  Answerer(const wire::Message& q, const QueryContext& ctx, const ResponderOptions& opts)
      : query_(q), limit_(response_limit(q.edns ? &*q.edns : nullptr, ctx, opts)) {
    if (q.edns) edns_ = response_edns(*q.edns, ctx, opts);
  }

  // Writes the answer into `out`, whose capacity is reused.
  void write(const Plan& p, std::vector<std::uint8_t>& out) const {
    if (try_write(p, out)) return;
    // RFC 2181 §9: required data did not fit. Like BIND, send the header, the question
    // and the OPT with TC=1 so the client retries over TCP with nothing half-cached.
    wire::MessageBuilder b(header(p), limit_, reserve(), std::move(out));
    b.set_rcode(p.rcode);
    b.set_tc();
    b.add_question(query_.questions.front());
    if (edns_) finish_edns(b, *edns_, limit_);
    out = b.finish();
  }

 private:
  wire::Header header(const Plan& p) const {
    wire::Header h = response_header(query_.header);
    h.aa = p.aa;
    return h;
  }
  std::size_t reserve() const { return edns_ ? edns_reserve(*edns_) : 0; }

  // False when required data did not fit; `out` holds the storage either way.
  bool try_write(const Plan& p, std::vector<std::uint8_t>& out) const {
    wire::MessageBuilder b(header(p), limit_, reserve(), std::move(out));
    const bool ok = write_sections(b, p);
    if (ok && edns_) finish_edns(b, *edns_, limit_);
    out = b.finish();
    return ok;
  }

  bool write_sections(wire::MessageBuilder& b, const Plan& p) const {
    b.set_rcode(p.rcode);
    if (!b.add_question(query_.questions.front())) return false;
    for (const auto& rr : p.answer) {
      if (!add_rrset(b, wire::Section::kAnswer, rr)) return false;
    }
    for (const auto& rr : p.authority) {
      if (!add_rrset(b, wire::Section::kAuthority, rr)) return false;
    }
    for (const auto& a : p.additional) {
      const std::size_t room = b.writer().limit() - b.size();
      if (uncompressed_size(a.rr) <= room) {
        add_rrset(b, wire::Section::kAdditional, a.rr);  // fits even uncompressed
        continue;
      }
      // Dropped whole rather than risk half an RRset; but in-domain glue is required
      // (RFC 9471 §3.1: TC rather than a referral without it).
      if (a.required) return false;
    }
    return true;
  }

  const wire::Message& query_;
  std::size_t limit_;
  std::optional<ResponseEdns> edns_;
};

bool is_stream(const QueryContext& ctx) {
  return ctx.transport != Transport::kUdp;
}

}  // namespace

namespace {

std::atomic<std::uint64_t> next_responder_id{1};

// What one thread keeps between queries: the last snapshot it used (for which responder,
// at which version) and the vectors a query fills, whose capacity is reused.
struct ThreadScratch {
  std::uint64_t responder = 0;
  std::uint64_t version = 0;
  std::shared_ptr<const zone::Catalogue> catalogue;
  std::shared_ptr<const SyntheticRecords> synthetic;
  LookupResult lookup;
  Plan plan;
  AnswerCache answers;  // tagged with (responder, version): other responders' entries miss
};

ThreadScratch& scratch() {
  thread_local ThreadScratch s;
  return s;
}

}  // namespace

Responder::Responder(ResponderOptions o)
    : opts_(o),
      catalogue_(std::make_shared<const zone::Catalogue>()),
      synthetic_(o.synthetic),
      id_(next_responder_id.fetch_add(1, std::memory_order_relaxed)) {}

void Responder::set_catalogue(std::shared_ptr<const zone::Catalogue> c) {
  catalogue_.store(std::move(c));
  // After the store: a reader that sees the new version loads at least this snapshot.
  version_.fetch_add(1, std::memory_order_release);
}

void Responder::set_synthetic(std::shared_ptr<const SyntheticRecords> s) {
  synthetic_.store(std::move(s));
  version_.fetch_add(1, std::memory_order_release);
}

const std::shared_ptr<const zone::Catalogue>& Responder::current() const {
  ThreadScratch& s = scratch();
  const std::uint64_t v = version_.load(std::memory_order_acquire);
  if (s.responder != id_ || s.version != v || !s.catalogue) {
    s.catalogue = catalogue_.load();
    s.synthetic = synthetic_.load();
    s.version = v;
    s.responder = id_;
  }
  return s.catalogue;
}

namespace {

// What of the context an answer depends on besides the query's bytes: the transport (size
// limit, padding over TLS) and the idle timeout an edns-tcp-keepalive answer states.
std::uint64_t answer_context(const QueryContext& ctx) {
  const auto idle =
      static_cast<std::uint64_t>(std::max<long long>(ctx.tcp_idle_timeout.count(), 0));
  return (idle << 2) | static_cast<std::uint64_t>(ctx.transport);
}

}  // namespace

bool Responder::respond_from_cache(std::span<const std::uint8_t> query, const QueryContext& ctx,
                                   std::vector<std::uint8_t>& out) const {
  if (ctx.trailer_reserve != 0) return false;
  ThreadScratch& s = scratch();
  if (s.answers.size() == 0) return false;
  return s.answers.find(id_, version_.load(std::memory_order_acquire), answer_context(ctx), query,
                        out);
}

void Responder::remember(std::span<const std::uint8_t> query, const QueryContext& ctx,
                         std::span<const std::uint8_t> answer) const {
  if (ctx.trailer_reserve != 0) return;
  ThreadScratch& s = scratch();
  // The entry is tagged with the version of the snapshot respond() used (current() loads
  // the snapshot after reading the version, so the data is at least that new): a commit
  // meanwhile only makes the entry miss. An answer that needed no snapshot (an error) is
  // the same under any version.
  if (s.responder != id_) return;
  s.answers.resize(opts_.answer_cache);
  s.answers.store(id_, s.version, answer_context(ctx), query, answer);
}

const SyntheticRecords* Responder::current_synthetic() const {
  return scratch().synthetic.get();
}

std::shared_ptr<const zone::Catalogue> Responder::catalogue() const {
  return catalogue_.load();
}

bool Responder::respond(std::span<const std::uint8_t> query, const QueryContext& ctx,
                        std::vector<std::uint8_t>& out) const {
  const auto header = wire::Header::peek(query);
  // Too short to answer, or a response: answering responses invites loops (RFC 1035
  // §7.3 says discard them).
  if (!header || header->qr) return false;
  auto msg = wire::Message::parse(query);
  if (!msg) {
    // RFC 1035 §4.1.1 FORMERR, echoing the id and opcode and the question if it read.
    const auto q = salvage_question(query, *header);
    out = error_response(*header, q ? &*q : nullptr, nullptr, Rcode::FORMERR, ctx, opts_);
    return true;
  }
  return respond(*msg, ctx, out);
}

// The zone has nothing at `qname` for `qtype` (a negative answer that did not come out of
// a chain): a synthetic record of ours answers instead (synthetic.hpp). Returns true when
// it did.
bool Responder::answer_synthetic(const wire::Name& qname, RRType qtype, LookupResult& r) const {
  const SyntheticRecords* synthetic = current_synthetic();
  if (synthetic == nullptr || !r.answer.empty() || r.zone == nullptr) return false;
  if (r.outcome != Outcome::kNxDomain && r.outcome != Outcome::kNoData) return false;
  const auto* n = synthetic->find(qname);
  if (n == nullptr || !(n->origin == r.zone->origin())) return false;
  std::vector<RRsetRef> answer;
  for (const auto& set : n->rrsets) {
    if (qtype == RRType::ANY || set.type == qtype) {
      answer.push_back(RRsetRef{qname, set.type, set.ttl, &set, {}});
    }
  }
  if (answer.empty()) {
    r.outcome = Outcome::kNoData;  // the name exists, with other types
    return false;
  }
  r.outcome = Outcome::kAnswer;
  r.authoritative = true;
  r.answer = std::move(answer);
  r.authority.clear();
  return true;
}

// A synthetic SRV's target may itself be synthetic: its addresses go in the additional
// section like the zone's own (RFC 2782), if additional_for did not find them in the zone.
void Responder::add_synthetic_additional(const LookupResult& r,
                                         std::vector<AdditionalRRset>& add) const {
  for (const auto& a : r.answer) {
    if (a.type != RRType::SRV || a.rrset == nullptr) continue;
    for (const auto& rd : a.rrset->rdatas) {
      if (rd.size() < 7) continue;
      auto target = wire::Name::from_wire(std::span(rd).subspan(6));
      if (!target) continue;
      const auto* n = current_synthetic()->find(*target);
      if (n == nullptr) continue;
      for (RRType t : {RRType::A, RRType::AAAA}) {
        const auto* set = n->find(t);
        if (set == nullptr) continue;
        bool have = false;
        for (const auto& x : add) have = have || (x.rr.type == t && x.rr.owner == *target);
        if (!have) add.push_back(AdditionalRRset{RRsetRef{*target, t, set->ttl, set, {}}, false});
      }
    }
  }
}

bool Responder::respond(const wire::Message& query, const QueryContext& ctx,
                        std::vector<std::uint8_t>& out) const {
  const wire::Header& h = query.header;
  if (h.qr) return false;
  const wire::Edns* edns = query.edns ? &*query.edns : nullptr;
  const wire::Question* question = query.questions.size() == 1 ? &query.questions.front() : nullptr;
  auto error = [&](Rcode rc) {
    error_response(h, question, edns, rc, ctx, opts_, out);
    return true;
  };

  // RFC 6891 §6.1.3: a version we do not speak gets BADVERS (with our version in OPT)
  // before anything else is looked at.
  if (edns != nullptr && edns->version > kEdnsVersion) return error(Rcode::BADVERS);
  // Opcodes other than QUERY (NOTIFY, UPDATE, DSO) are routed by the server before they
  // get here; whatever still arrives is not implemented by this responder.
  if (h.opcode != wire::Opcode::QUERY) return error(Rcode::NOTIMP);
  // RFC 9619: a QUERY carries exactly one question.
  if (question == nullptr) return error(Rcode::FORMERR);
  if (edns != nullptr && is_stream(ctx)) {
    // RFC 7828 §3.2.1: the client's keepalive option is empty; anything else is a
    // badly formatted option, FORMERR with OPT (RFC 6891 §7). Over UDP the option is
    // ignored whatever it holds (RFC 7828 §3.3.1).
    const auto* ka = edns->find(wire::edns_option::kTcpKeepalive);
    if (ka != nullptr && !ka->data.empty()) return error(Rcode::FORMERR);
  }

  const RRType qtype = question->type;
  // One snapshot for the whole query; held by this thread's cache, which nothing else
  // changes until this query returns.
  const zone::Catalogue* catalogue = current().get();
  Plan& plan = scratch().plan;
  plan.rcode = Rcode::NOERROR;
  plan.aa = false;
  plan.answer.clear();
  plan.authority.clear();
  plan.additional.clear();

  if (qtype == RRType::AXFR || qtype == RRType::IXFR) {
    if (!is_stream(ctx)) {
      // RFC 5936 §4.2: AXFR over UDP is not defined; FORMERR, as BIND answers, tells
      // the client the request itself is wrong (NOTIMP would suggest trying elsewhere).
      if (qtype == RRType::AXFR) return error(Rcode::FORMERR);
      // RFC 1995 §2: IXFR over UDP that we cannot answer in one datagram is answered
      // with the current SOA alone, telling the client to use TCP.
      if (question->cls != wire::RRClass::IN) return error(Rcode::REFUSED);
      // RFC 1034 §4.3.5: an expired (or not yet loaded) secondary copy is not served.
      if (catalogue && catalogue->unavailable_for(question->name)) return error(Rcode::SERVFAIL);
      const auto* z = catalogue ? catalogue->find_exact(question->name) : nullptr;
      if (z == nullptr || !*z) {
        const bool ours = catalogue && catalogue->find_enclosing(question->name) != nullptr;
        return error(ours ? Rcode::NOTAUTH : Rcode::REFUSED);
      }
      plan.aa = true;
      const zone::RRset& soa = (*z)->soa();
      plan.answer.push_back(RRsetRef{question->name, RRType::SOA, soa.ttl, &soa, {}});
      Answerer(query, ctx, opts_).write(plan, out);
      return true;
    }
    // Zone transfers over TCP/TLS belong to the transfer layer, which the server routes
    // to before this point; when it is not wired in, they are not implemented.
    return error(Rcode::NOTIMP);
  }
  // RFC 6895 §3.1: OPT, TSIG, TKEY, MAILA/MAILB and the rest of the meta range are not
  // questions one can ask a zone.
  if (qtype != RRType::ANY && wire::is_meta_type(qtype)) return error(Rcode::FORMERR);
  // We serve class IN only: CH (version.bind and friends) and HS are refused.
  if (question->cls != wire::RRClass::IN) return error(Rcode::REFUSED);
  if (!catalogue) return error(Rcode::REFUSED);
  // RFC 1034 §4.3.5: a secondary zone past its expire time (or never loaded) is answered
  // SERVFAIL rather than from a copy that may be obsolete.
  if (catalogue->unavailable_for(question->name)) return error(Rcode::SERVFAIL);

  LookupResult& r = scratch().lookup;
  lookup(*catalogue, question->name, qtype, r);
  if (r.outcome == Outcome::kRefused) return error(Rcode::REFUSED);
  const bool synthetic = answer_synthetic(question->name, qtype, r);
  plan.rcode = rcode_of(r.outcome);
  plan.aa = r.authoritative;
  additional_for(r, plan.additional);
  if (synthetic) add_synthetic_additional(r, plan.additional);
  // Swapped, not moved: both vectors keep their capacity for the next query.
  plan.answer.swap(r.answer);
  plan.authority.swap(r.authority);
  Answerer(query, ctx, opts_).write(plan, out);
  return true;
}

}  // namespace dnspush::auth
