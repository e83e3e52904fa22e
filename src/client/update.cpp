#include "client/update.hpp"

#include <charconv>

#include "wire/rdata.hpp"

namespace dnspush::client {
namespace {

Result<wire::Name> name_arg(const std::string& s) {
  auto n = wire::Name::from_text(s);
  if (!n) return fail(Errc::kMalformed, "bad name \"" + s + "\": " + n.error().message);
  return n;
}

Result<wire::RRType> type_arg(const std::string& s) {
  auto t = wire::rrtype_from_text(s);
  if (!t) return fail(Errc::kMalformed, "unknown type \"" + s + "\"");
  if (wire::is_meta_type(*t)) return fail(Errc::kMalformed, "type " + s + " cannot be updated");
  return *t;
}

// Arguments that the shell split are joined again; one that holds blanks was one quoted
// word and is quoted again for the RDATA parser.
std::string rdata_text(std::span<const std::string> words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    if (w.find_first_of(" \t") != std::string::npos && (w.empty() || w.front() != '"')) {
      out += '"';
      for (char c : w) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += w;
    }
  }
  return out;
}

Result<wire::Record> full_record(std::span<const std::string> w) {
  // NAME TTL TYPE RDATA...
  if (w.size() < 4) return fail(Errc::kMalformed, "expected NAME TTL TYPE RDATA...");
  wire::Record r;
  auto n = name_arg(w[0]);
  if (!n) return tl::unexpected(n.error());
  r.owner = *n;
  std::uint32_t ttl = 0;
  auto [p, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), ttl);
  if (ec != std::errc() || p != w[1].data() + w[1].size() || ttl > 0x7FFFFFFF)
    return fail(Errc::kMalformed, "bad TTL \"" + w[1] + "\"");
  r.ttl = ttl;
  auto t = type_arg(w[2]);
  if (!t) return tl::unexpected(t.error());
  r.type = *t;
  auto d = wire::rdata_from_text(r.type, rdata_text(w.subspan(3)));
  if (!d) return fail(Errc::kMalformed, "bad " + w[2] + " data: " + d.error().message);
  r.rdata = std::move(*d);
  return r;
}

}  // namespace

Result<UpdateOp> parse_update_op(std::span<const std::string> words) {
  if (words.empty()) return fail(Errc::kMalformed, "expected add, delete or replace");
  const std::string& verb = words[0];
  const auto rest = words.subspan(1);
  UpdateOp op;
  if (verb == "add" || verb == "replace") {
    auto r = full_record(rest);
    if (!r) return tl::unexpected(r.error());
    op.kind = verb == "add" ? UpdateOp::Kind::kAdd : UpdateOp::Kind::kReplace;
    op.record = std::move(*r);
    return op;
  }
  if (verb == "delete" || verb == "del") {
    if (rest.empty()) return fail(Errc::kMalformed, "expected delete NAME [TYPE [RDATA...]]");
    auto n = name_arg(rest[0]);
    if (!n) return tl::unexpected(n.error());
    op.record.owner = *n;
    if (rest.size() == 1) {
      op.kind = UpdateOp::Kind::kDeleteName;
      return op;
    }
    auto t = type_arg(rest[1]);
    if (!t) return tl::unexpected(t.error());
    op.record.type = *t;
    if (rest.size() == 2) {
      op.kind = UpdateOp::Kind::kDeleteRRset;
      return op;
    }
    auto d = wire::rdata_from_text(*t, rdata_text(rest.subspan(2)));
    if (!d) return fail(Errc::kMalformed, "bad " + rest[1] + " data: " + d.error().message);
    op.kind = UpdateOp::Kind::kDeleteRecord;
    op.record.rdata = std::move(*d);
    return op;
  }
  return fail(Errc::kMalformed, "unknown operation \"" + verb + "\" (add, delete, replace)");
}

Result<UpdateRequest> build_update(const wire::Name& zone, std::span<const UpdateOp> ops,
                                   std::uint16_t id, const wire::TsigKey* key, std::uint64_t now) {
  wire::Message m;
  m.header.id = id;
  m.header.opcode = wire::Opcode::UPDATE;
  // RFC 2136 §2.3: the zone section is the zone's SOA question.
  m.questions.push_back({zone, wire::RRType::SOA, wire::RRClass::IN});
  for (const auto& op : ops) {
    if (!op.record.owner.is_subdomain_of(zone))
      return fail(Errc::kRefused, op.record.owner.to_text() + " is not in zone " + zone.to_text());
    wire::Record r = op.record;
    switch (op.kind) {
      case UpdateOp::Kind::kAdd:
        r.cls = wire::RRClass::IN;
        m.authorities.push_back(r);
        break;
      case UpdateOp::Kind::kReplace: {
        wire::Record d{r.owner, r.type, wire::RRClass::ANY, 0, {}};  // §2.5.2
        m.authorities.push_back(d);
        r.cls = wire::RRClass::IN;
        m.authorities.push_back(r);
        break;
      }
      case UpdateOp::Kind::kDeleteRRset:
        m.authorities.push_back({r.owner, r.type, wire::RRClass::ANY, 0, {}});
        break;
      case UpdateOp::Kind::kDeleteName:  // §2.5.3
        m.authorities.push_back({r.owner, wire::RRType::ANY, wire::RRClass::ANY, 0, {}});
        break;
      case UpdateOp::Kind::kDeleteRecord:  // §2.5.4
        m.authorities.push_back({r.owner, r.type, wire::RRClass::NONE, 0, r.rdata});
        break;
    }
  }
  m.header.qdcount = 1;
  m.header.nscount = static_cast<std::uint16_t>(m.authorities.size());
  UpdateRequest req;
  req.id = id;
  req.bytes = m.to_wire();
  if (req.bytes.size() > 65535) return fail(Errc::kOutOfRange, "the UPDATE is too large");
  if (key != nullptr) {
    auto mac = wire::tsig_sign_request(req.bytes, *key, now);
    if (!mac) return tl::unexpected(mac.error());
    req.request_mac = std::move(*mac);
  }
  return req;
}

Result<UpdateAnswer> check_update_answer(std::span<const std::uint8_t> bytes,
                                         const UpdateRequest& req, const wire::TsigKey* key,
                                         std::uint64_t now) {
  auto m = wire::Message::parse(bytes);
  if (!m) return fail(Errc::kMalformed, "malformed answer: " + m.error().message);
  if (!m->header.qr || m->header.id != req.id || m->header.opcode != wire::Opcode::UPDATE)
    return fail(Errc::kMalformed, "not the answer to our UPDATE");
  UpdateAnswer a;
  a.rcode = m->rcode();
  if (key != nullptr) {
    if (m->tsig_offset) {
      auto v = wire::tsig_verify_response(bytes, *m, *key, req.request_mac, now);
      a.tsig = v.error;
      if (v.tsig.error != wire::Rcode::NOERROR) a.tsig_error = v.tsig.error;
    } else {
      a.tsig = wire::Rcode::FORMERR;  // unsigned
    }
  }
  return a;
}

}  // namespace dnspush::client
