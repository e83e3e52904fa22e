#include "wire/message.hpp"

#include <fmt/format.h>

#include "wire/reader.hpp"

namespace dnspush::wire {

// ---- Header ----------------------------------------------------------------------------

std::optional<Header> Header::peek(std::span<const std::uint8_t> msg) {
  if (msg.size() < kHeaderSize) return std::nullopt;
  Header h;
  h.id = static_cast<std::uint16_t>((msg[0] << 8) | msg[1]);
  const std::uint8_t f1 = msg[2], f2 = msg[3];
  h.qr = f1 & 0x80;
  h.opcode = static_cast<Opcode>((f1 >> 3) & 0x0F);
  h.aa = f1 & 0x04;
  h.tc = f1 & 0x02;
  h.rd = f1 & 0x01;
  h.ra = f2 & 0x80;
  h.z = f2 & 0x40;
  h.ad = f2 & 0x20;
  h.cd = f2 & 0x10;
  h.rcode = f2 & 0x0F;
  h.qdcount = static_cast<std::uint16_t>((msg[4] << 8) | msg[5]);
  h.ancount = static_cast<std::uint16_t>((msg[6] << 8) | msg[7]);
  h.nscount = static_cast<std::uint16_t>((msg[8] << 8) | msg[9]);
  h.arcount = static_cast<std::uint16_t>((msg[10] << 8) | msg[11]);
  return h;
}

void Header::write(Writer& w) const {
  w.u16(id);
  w.u8(static_cast<std::uint8_t>((qr ? 0x80 : 0) |
                                 ((static_cast<std::uint8_t>(opcode) & 0x0F) << 3) |
                                 (aa ? 0x04 : 0) | (tc ? 0x02 : 0) | (rd ? 0x01 : 0)));
  w.u8(static_cast<std::uint8_t>((ra ? 0x80 : 0) | (z ? 0x40 : 0) | (ad ? 0x20 : 0) |
                                 (cd ? 0x10 : 0) | (rcode & 0x0F)));
  w.u16(qdcount);
  w.u16(ancount);
  w.u16(nscount);
  w.u16(arcount);
}

// ---- Record / EDNS ---------------------------------------------------------------------

bool operator==(const Record& a, const Record& b) {
  return a.type == b.type && a.cls == b.cls && a.owner == b.owner &&
         rdata_equal(a.type, a.rdata, b.rdata);
}

const EdnsOption* Edns::find(std::uint16_t code) const {
  for (const auto& o : options) {
    if (o.code == code) return &o;
  }
  return nullptr;
}

std::size_t Edns::wire_size() const {
  std::size_t n = 1 + 2 + 2 + 4 + 2;  // root owner, type, class, ttl, rdlength
  for (const auto& o : options) n += 4 + o.data.size();
  return n;
}

namespace {

void write_edns(Writer& w, const Edns& e, std::uint8_t extended_rcode) {
  w.u8(0);  // root owner (RFC 6891 §6.1.2)
  w.u16(static_cast<std::uint16_t>(RRType::OPT));
  w.u16(e.udp_payload);
  w.u8(extended_rcode);
  w.u8(e.version);
  w.u16(static_cast<std::uint16_t>((e.dnssec_ok ? 0x8000 : 0) | (e.flags & 0x7FFF)));
  std::size_t rdlen = 0;
  for (const auto& o : e.options) rdlen += 4 + o.data.size();
  w.u16(static_cast<std::uint16_t>(rdlen));
  for (const auto& o : e.options) {
    w.u16(o.code);
    w.u16(static_cast<std::uint16_t>(o.data.size()));
    w.bytes(o.data);
  }
}

void write_edns(Writer& w, const Edns& e) {
  write_edns(w, e, e.extended_rcode);
}

// RFC 6891 §6.1.2: OPT's CLASS is the payload size, its TTL carries the extended RCODE,
// version and flags, its RDATA a sequence of {code, length, data} options.
Result<Edns> parse_edns(std::uint16_t cls, std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  Edns e;
  e.udp_payload = cls;
  e.extended_rcode = static_cast<std::uint8_t>(ttl >> 24);
  e.version = static_cast<std::uint8_t>(ttl >> 16);
  e.dnssec_ok = ttl & 0x8000;
  e.flags = static_cast<std::uint16_t>(ttl & 0x7FFF);
  Reader r(rdata);
  while (r.ok() && !r.at_end()) {
    EdnsOption o;
    o.code = r.u16();
    const std::uint16_t len = r.u16();
    const auto data = r.bytes(len);
    if (!r.ok()) break;
    o.data.assign(data.begin(), data.end());
    e.options.push_back(std::move(o));
  }
  if (!r.ok()) return fail(Errc::kMalformed, "malformed EDNS option");
  return e;
}

void write_record(Writer& w, const Name& owner, RRType type, RRClass cls, std::uint32_t ttl,
                  std::span<const std::uint8_t> rdata, Compression c) {
  // Owner names are always compressible, except in canonical form.
  w.name(owner, c != Compression::kNone);
  w.u16(static_cast<std::uint16_t>(type));
  w.u16(static_cast<std::uint16_t>(cls));
  w.u32(ttl);
  const std::size_t len_at = w.size();
  w.u16(0);
  const std::size_t start = w.size();
  write_rdata(w, type, rdata, c);
  if (!w.overflowed()) w.patch_u16(len_at, static_cast<std::uint16_t>(w.size() - start));
}

}  // namespace

// ---- Message ---------------------------------------------------------------------------

Rcode Message::rcode() const {
  const std::uint16_t hi = edns ? edns->extended_rcode : 0;
  return static_cast<Rcode>((hi << 4) | header.rcode);
}

void Message::set_rcode(Rcode r) {
  const auto v = static_cast<std::uint16_t>(r);
  header.rcode = v & 0x0F;
  if (edns) edns->extended_rcode = static_cast<std::uint8_t>(v >> 4);
}

Result<Message> Message::parse(std::span<const std::uint8_t> bytes) {
  Message m;
  if (auto ok = parse_into(bytes, m); !ok) return tl::unexpected(ok.error());
  return m;
}

Result<void> Message::parse_into(std::span<const std::uint8_t> bytes, Message& m) {
  auto h = Header::peek(bytes);
  if (!h) return fail(Errc::kMalformed, "message shorter than a header");
  m.header = *h;
  m.questions.clear();
  m.answers.clear();
  m.authorities.clear();
  m.additionals.clear();
  m.edns.reset();
  m.tsig_offset.reset();
  Reader r(bytes);
  r.skip(kHeaderSize);

  // A question takes at least 5 bytes: a forged QDCOUNT reserves no more than the
  // message could hold.
  m.questions.reserve(std::min<std::size_t>(h->qdcount, bytes.size() / 5));
  for (unsigned i = 0; i < h->qdcount && r.ok(); ++i) {
    Question q;
    q.name = r.name();
    q.type = static_cast<RRType>(r.u16());
    q.cls = static_cast<RRClass>(r.u16());
    if (!r.ok()) return fail(Errc::kMalformed, "truncated question");
    m.questions.push_back(std::move(q));
  }

  const unsigned total = unsigned{h->ancount} + h->nscount + h->arcount;
  for (unsigned i = 0; i < total; ++i) {
    const std::size_t record_start = r.offset();
    Record rec;
    rec.owner = r.name();
    rec.type = static_cast<RRType>(r.u16());
    const std::uint16_t cls = r.u16();
    rec.ttl = r.u32();
    const std::uint16_t rdlen = r.u16();
    if (!r.ok()) return fail(Errc::kMalformed, "truncated resource record");
    const bool additional = i >= unsigned{h->ancount} + h->nscount;

    if (m.tsig_offset) return fail(Errc::kMalformed, "TSIG is not the last record");
    if (rec.type == RRType::OPT) {
      // RFC 6891 §6.1.1: one OPT at most, in the additional section, owned by the root.
      if (!additional || m.edns || !rec.owner.is_root()) {
        return fail(Errc::kMalformed, "misplaced or duplicate OPT record");
      }
      auto e = parse_edns(cls, rec.ttl, r.bytes(rdlen));
      if (!r.ok()) return fail(Errc::kMalformed, "truncated OPT record");
      if (!e) return tl::unexpected(e.error());
      m.edns = std::move(*e);
      continue;
    }
    rec.cls = static_cast<RRClass>(cls);
    auto rd = read_rdata(r, rec.type, rdlen);
    if (!rd) {
      return fail(Errc::kMalformed, fmt::format("bad {} record at offset {}: {}", to_text(rec.type),
                                                record_start, rd.error().message));
    }
    rec.rdata = std::move(*rd);
    if (rec.type == RRType::TSIG) {
      // RFC 8945 §5.1: TSIG must be the last record of the additional section.
      if (!additional) return fail(Errc::kMalformed, "TSIG outside the additional section");
      m.tsig_offset = record_start;
    }
    if (i < h->ancount) {
      m.answers.push_back(std::move(rec));
    } else if (!additional) {
      m.authorities.push_back(std::move(rec));
    } else {
      m.additionals.push_back(std::move(rec));
    }
  }
  if (!r.ok()) return fail(Errc::kMalformed, "truncated message");
  if (!r.at_end()) return fail(Errc::kMalformed, "trailing bytes after the last record");
  return {};
}

std::vector<std::uint8_t> Message::to_wire(Compression c) const {
  Writer w(65535);
  Header h = header;
  h.qdcount = static_cast<std::uint16_t>(questions.size());
  h.ancount = static_cast<std::uint16_t>(answers.size());
  h.nscount = static_cast<std::uint16_t>(authorities.size());
  h.arcount = static_cast<std::uint16_t>(additionals.size() + (edns ? 1 : 0));
  h.write(w);
  for (const auto& q : questions) {
    w.name(q.name, c != Compression::kNone);
    w.u16(static_cast<std::uint16_t>(q.type));
    w.u16(static_cast<std::uint16_t>(q.cls));
  }
  auto put = [&](const Record& rr) {
    write_record(w, rr.owner, rr.type, rr.cls, rr.ttl, rr.rdata, c);
  };
  for (const auto& rr : answers) put(rr);
  for (const auto& rr : authorities) put(rr);
  // OPT goes before a TSIG record, which must stay last (RFC 8945 §5.1).
  const Record* tsig = nullptr;
  for (const auto& rr : additionals) {
    if (rr.type == RRType::TSIG) {
      tsig = &rr;
      continue;
    }
    put(rr);
  }
  if (edns) write_edns(w, *edns);
  if (tsig) put(*tsig);
  return w.take();
}

// ---- MessageBuilder --------------------------------------------------------------------

MessageBuilder::MessageBuilder(const Header& h, std::size_t limit, std::size_t reserve)
    : MessageBuilder(h, limit, reserve, {}) {}

MessageBuilder::MessageBuilder(const Header& h, std::size_t limit, std::size_t reserve,
                               std::vector<std::uint8_t> storage)
    : w_(std::move(storage), limit > reserve ? limit - reserve : 0), h_(h), limit_(limit) {
  Header blank = h;
  blank.qdcount = blank.ancount = blank.nscount = blank.arcount = 0;
  blank.write(w_);
}

bool MessageBuilder::add_question(const Question& q) {
  if (section_ != 0) return false;
  const auto m = w_.mark();
  w_.name(q.name, true);
  w_.u16(static_cast<std::uint16_t>(q.type));
  w_.u16(static_cast<std::uint16_t>(q.cls));
  if (w_.overflowed()) {
    w_.rollback(m);
    return false;
  }
  ++counts_[0];
  return true;
}

bool MessageBuilder::add_record(Section s, const Record& r, Compression c) {
  return add_record(s, r.owner, r.type, r.cls, r.ttl, r.rdata, c);
}

bool MessageBuilder::add_record(Section s, const Name& owner, RRType type, RRClass cls,
                                std::uint32_t ttl, std::span<const std::uint8_t> rdata,
                                Compression c) {
  const int idx = 1 + static_cast<int>(s);
  if (idx < section_) return false;  // sections are written in order
  const auto m = w_.mark();
  write_record(w_, owner, type, cls, ttl, rdata, c);
  if (w_.overflowed()) {
    w_.rollback(m);
    return false;
  }
  section_ = idx;
  ++counts_[idx];
  return true;
}

bool MessageBuilder::add_edns(const Edns& e) {
  w_.set_limit(limit_);
  const auto m = w_.mark();
  write_edns(w_, e,
             rcode_ ? static_cast<std::uint8_t>(static_cast<std::uint16_t>(*rcode_) >> 4)
                    : e.extended_rcode);
  if (w_.overflowed()) {
    w_.rollback(m);
    return false;
  }
  section_ = 3;
  ++counts_[3];
  return true;
}

std::vector<std::uint8_t> MessageBuilder::finish() {
  auto out = w_.take();
  Header h = h_;
  h.tc = h.tc || tc_;
  if (rcode_) h.rcode = static_cast<std::uint8_t>(static_cast<std::uint16_t>(*rcode_) & 0x0F);
  h.qdcount = counts_[0];
  h.ancount = counts_[1];
  h.nscount = counts_[2];
  h.arcount = counts_[3];
  if (out.size() < kHeaderSize) return out;  // a limit below 12 bytes: nothing was written
  // The blank header written first has the id; flags and counts go in place.
  out[2] = static_cast<std::uint8_t>((h.qr ? 0x80 : 0) |
                                     ((static_cast<std::uint8_t>(h.opcode) & 0x0F) << 3) |
                                     (h.aa ? 0x04 : 0) | (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0));
  out[3] = static_cast<std::uint8_t>((h.ra ? 0x80 : 0) | (h.z ? 0x40 : 0) | (h.ad ? 0x20 : 0) |
                                     (h.cd ? 0x10 : 0) | (h.rcode & 0x0F));
  const std::uint16_t counts[4] = {h.qdcount, h.ancount, h.nscount, h.arcount};
  for (int i = 0; i < 4; ++i) {
    out[4 + 2 * i] = static_cast<std::uint8_t>(counts[i] >> 8);
    out[5 + 2 * i] = static_cast<std::uint8_t>(counts[i]);
  }
  return out;
}

// ---- Text ------------------------------------------------------------------------------

std::string to_text(const Record& r) {
  return fmt::format("{}\t{}\t{}\t{}\t{}", r.owner.to_text(), r.ttl, to_text(r.cls),
                     to_text(r.type), rdata_to_text(r.type, r.rdata));
}

std::string to_text(const Message& m) {
  std::string out;
  const auto& h = m.header;
  out += fmt::format(";; ->>HEADER<<- opcode: {}, status: {}, id: {}\n", to_text(h.opcode),
                     to_text(m.rcode()), h.id);
  std::string flags;
  if (h.qr) flags += " qr";
  if (h.aa) flags += " aa";
  if (h.tc) flags += " tc";
  if (h.rd) flags += " rd";
  if (h.ra) flags += " ra";
  if (h.ad) flags += " ad";
  if (h.cd) flags += " cd";
  out += fmt::format(";; flags:{}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}\n", flags,
                     m.questions.size(), m.answers.size(), m.authorities.size(),
                     m.additionals.size() + (m.edns ? 1 : 0));
  if (m.edns) {
    out += fmt::format("\n;; OPT PSEUDOSECTION:\n; EDNS: version: {}, flags:{}; udp: {}\n",
                       m.edns->version, m.edns->dnssec_ok ? " do" : "", m.edns->udp_payload);
    for (const auto& o : m.edns->options) {
      std::string hex;
      for (auto b : o.data) hex += fmt::format("{:02X}", b);
      out += fmt::format("; OPTION {}: {}\n", o.code, hex);
    }
  }
  if (!m.questions.empty()) {
    out += "\n;; QUESTION SECTION:\n";
    for (const auto& q : m.questions) {
      out += fmt::format(";{}\t\t{}\t{}\n", q.name.to_text(), to_text(q.cls), to_text(q.type));
    }
  }
  auto section = [&](const char* title, const std::vector<Record>& rrs) {
    if (rrs.empty()) return;
    out += fmt::format("\n;; {} SECTION:\n", title);
    for (const auto& r : rrs) out += to_text(r) + "\n";
  };
  section("ANSWER", m.answers);
  section("AUTHORITY", m.authorities);
  section("ADDITIONAL", m.additionals);
  return out;
}

}  // namespace dnspush::wire
