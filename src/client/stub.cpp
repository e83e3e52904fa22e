#include "client/stub.hpp"

#include <algorithm>

namespace dnspush::client {

std::vector<wire::Record> Answer::matching(const Question& q) const {
  std::vector<wire::Record> out;
  for (const auto& r : answers)
    if (q.matches(r)) out.push_back(r);
  return out;
}

std::uint32_t Answer::cache_ttl() const {
  std::optional<std::uint32_t> ttl;
  for (const auto& r : answers) ttl = std::min(ttl.value_or(r.ttl), r.ttl);
  if (ttl) return *ttl;
  // RFC 2308 §5: a negative answer lives for the SOA's TTL, at most its MINIMUM.
  for (const auto& r : authority) {
    if (r.type != wire::RRType::SOA || r.rdata.size() < 4) continue;
    const auto* p = r.rdata.data() + r.rdata.size() - 4;
    const std::uint32_t minimum = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                  (std::uint32_t{p[2]} << 8) | p[3];
    return std::min(r.ttl, minimum);
  }
  return 0;
}

std::vector<std::uint8_t> build_query(const Question& q, std::uint16_t id, QueryFlags f) {
  wire::Message m;
  m.header.id = id;
  m.header.rd = f.recursion_desired;
  m.header.ad = f.authenticated_data;
  m.header.qdcount = 1;
  m.questions.push_back({q.name, q.type, q.cls});
  m.edns = wire::Edns{};
  return m.to_wire();
}

Result<Answer> parse_answer(std::span<const std::uint8_t> bytes, const Question& q,
                            std::uint16_t id) {
  auto m = wire::Message::parse(bytes);
  if (!m) return fail(Errc::kMalformed, "malformed answer: " + m.error().message);
  if (!m->header.qr || m->header.id != id)
    return fail(Errc::kMalformed, "not the answer to our query");
  // RFC 1035 §7.3: the question must be ours (FORMERR answers may omit it).
  if (!m->questions.empty()) {
    const auto& mq = m->questions.front();
    if (m->questions.size() != 1 || !(mq.name == q.name) || mq.type != q.type || mq.cls != q.cls)
      return fail(Errc::kMalformed, "the answer is for another question");
  }
  Answer a;
  a.rcode = m->rcode();
  a.authenticated = m->header.ad;
  a.authoritative = m->header.aa;
  a.truncated = m->header.tc;
  a.answers = std::move(m->answers);
  a.authority = std::move(m->authorities);
  a.additional = std::move(m->additionals);
  return a;
}

}  // namespace dnspush::client
