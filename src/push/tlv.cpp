#include "push/tlv.hpp"

#include "wire/message.hpp"
#include "wire/rdata.hpp"
#include "wire/reader.hpp"

namespace dnspush::push {
namespace {

using wire::RRClass;
using wire::RRType;

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// An uncompressed name at the start of `data`: labels up to the root, no pointers.
// Returns the name and its length in bytes.
Result<std::pair<wire::Name, std::size_t>> plain_name(std::span<const std::uint8_t> data) {
  std::size_t pos = 0;
  while (true) {
    if (pos >= data.size()) return fail(Errc::kMalformed, "name runs past the TLV");
    const std::uint8_t len = data[pos];
    if (len == 0) break;
    // 0xC0 is a compression pointer, 0x40/0x80 retired label types (RFC 6891 §5).
    if (len > wire::Name::kMaxLabelLength) {
      return fail(Errc::kMalformed, "compressed or extended label in a TLV name");
    }
    pos += 1 + len;
  }
  auto n = wire::Name::from_wire(data.first(pos + 1));
  if (!n) return tl::unexpected(n.error());
  return std::pair{std::move(*n), pos + 1};
}

// NAME TYPE CLASS at the start of `data`; returns it and the offset just after CLASS.
Result<std::pair<Subscribe, std::size_t>> name_type_class(std::span<const std::uint8_t> data) {
  auto n = plain_name(data);
  if (!n) return tl::unexpected(n.error());
  const std::size_t at = n->second;
  if (data.size() - at < 4) return fail(Errc::kMalformed, "TLV too short for TYPE and CLASS");
  Subscribe s;
  s.name = std::move(n->first);
  s.type = static_cast<RRType>(get16(data, at));
  s.cls = static_cast<RRClass>(get16(data, at + 2));
  return std::pair{std::move(s), at + 4};
}

void write_name_type_class(wire::Writer& w, const wire::Name& name, RRType type, RRClass cls) {
  w.name(name, /*compress=*/false);
  w.u16(static_cast<std::uint16_t>(type));
  w.u16(static_cast<std::uint16_t>(cls));
}

}  // namespace

Result<Subscribe> decode_subscribe(std::span<const std::uint8_t> data) {
  auto s = name_type_class(data);
  if (!s) return tl::unexpected(s.error());
  // RFC 8765 §6.2.1: "exactly one NAME, TYPE, and CLASS".
  if (s->second != data.size()) return fail(Errc::kMalformed, "bytes after SUBSCRIBE's CLASS");
  return std::move(s->first);
}

void encode_subscribe(wire::Writer& w, const Subscribe& s) {
  write_name_type_class(w, s.name, s.type, s.cls);
}

Result<Unsubscribe> decode_unsubscribe(std::span<const std::uint8_t> data) {
  Unsubscribe u;
  if (data.size() == 2) {  // RFC 8765 §6.4.1: DSO-LENGTH is 2
    u.message_id = get16(data, 0);
    return u;
  }
  // The draft form (Apple's client): the smallest NAME TYPE CLASS is 5 bytes (the root).
  auto s = decode_subscribe(data);
  if (!s) return fail(Errc::kMalformed, "UNSUBSCRIBE is neither a MESSAGE ID nor NAME TYPE CLASS");
  u.legacy = std::move(*s);
  return u;
}

void encode_unsubscribe(wire::Writer& w, std::uint16_t message_id) {
  w.u16(message_id);
}

Result<Reconfirm> decode_reconfirm(std::span<const std::uint8_t> data) {
  auto s = name_type_class(data);
  if (!s) return tl::unexpected(s.error());
  Reconfirm r;
  r.name = std::move(s->first.name);
  r.type = s->first.type;
  r.cls = s->first.cls;
  // RFC 8765 §6.5.1: TYPE and CLASS MUST NOT be ANY.
  if (r.type == RRType::ANY || r.cls == RRClass::ANY) {
    return fail(Errc::kMalformed, "RECONFIRM with TYPE or CLASS ANY");
  }
  const auto rdata = data.subspan(s->second);
  if (rdata.size() > 65535 || !wire::rdata_valid(r.type, rdata)) {
    return fail(Errc::kMalformed, "RECONFIRM RDATA does not match its type");
  }
  r.rdata.assign(rdata.begin(), rdata.end());
  return r;
}

void encode_reconfirm(wire::Writer& w, const Reconfirm& r) {
  write_name_type_class(w, r.name, r.type, r.cls);
  w.bytes(r.rdata);
}

Result<PushData> decode_push_data(std::span<const std::uint8_t> message, std::size_t offset,
                                  std::size_t length) {
  if (offset > message.size() || message.size() - offset < length) {
    return fail(Errc::kMalformed, "PUSH TLV runs past the message");
  }
  wire::Reader r(message);
  r.skip(offset);
  const std::size_t outer = r.push_limit(length);
  PushData out;
  std::size_t seen = 0;
  while (r.ok() && !r.at_end()) {
    Change c;
    c.name = r.name();
    c.type = static_cast<RRType>(r.u16());
    c.cls = static_cast<RRClass>(r.u16());
    c.ttl = r.u32();
    const std::uint16_t rdlen = r.u16();
    if (!r.ok()) return fail(Errc::kMalformed, "truncated change notification");
    ++seen;
    const bool any = c.type == RRType::ANY || c.cls == RRClass::ANY;
    if (c.ttl == kTtlDeleteCollective) {
      // §6.3.1: a collective remove has RDLEN 0, else the client aborts.
      if (rdlen != 0) return fail(Errc::kMalformed, "collective delete with RDLEN != 0");
      if (c.cls == RRClass::ANY) {
        c.kind = ChangeKind::kDeleteName;
        c.type = static_cast<RRType>(0);  // "MUST be silently ignored on reception"
      } else {
        c.kind = c.type == RRType::ANY ? ChangeKind::kDeleteClass : ChangeKind::kDeleteRRset;
      }
      out.changes.push_back(std::move(c));
      continue;
    }
    if (c.ttl == kTtlDeleteRecord || c.ttl <= kMaxAddTtl) {
      // §6.3.1: TYPE and CLASS MUST NOT be ANY in an add or a single delete (fatal).
      if (any) return fail(Errc::kMalformed, "TYPE or CLASS ANY in an add or single delete");
      auto rd = wire::read_rdata(r, c.type, rdlen);
      if (!rd) return fail(Errc::kMalformed, "bad RDATA in a change notification");
      c.rdata = std::move(*rd);
      c.kind = c.ttl == kTtlDeleteRecord ? ChangeKind::kDeleteRecord : ChangeKind::kAdd;
      out.changes.push_back(std::move(c));
      continue;
    }
    // §6.3.1: any other TTL: ignore this one record, keep the session and the rest.
    r.skip(rdlen);
    ++out.ignored;
  }
  if (!r.ok()) return fail(Errc::kMalformed, "truncated change notification");
  r.pop_limit(outer);
  // §6.3.1: "A PUSH Message MUST contain at least one change notification."
  if (seen == 0) return fail(Errc::kMalformed, "PUSH without change notifications");
  return out;
}

Result<PushData> parse_push_message(std::span<const std::uint8_t> message) {
  if (message.size() > kMaxPushMessage) {
    return fail(Errc::kOutOfRange, "PUSH message longer than 16,382 bytes (RFC 8765 §6.3.1)");
  }
  const auto h = wire::Header::peek(message);
  if (!h) return fail(Errc::kMalformed, "short DNS header");
  if (h->opcode != wire::Opcode::DSO) return fail(Errc::kMalformed, "not a DSO message");
  if (h->qr) return fail(Errc::kMalformed, "PUSH with QR set (RFC 8765 §6.3)");
  if (h->id != 0) return fail(Errc::kMalformed, "PUSH with a nonzero MESSAGE ID (RFC 8490 §5.4.1)");
  if (h->qdcount != 0 || h->ancount != 0 || h->nscount != 0 || h->arcount != 0) {
    return fail(Errc::kMalformed, "DSO message with nonzero counts (RFC 8490 §5.4)");
  }
  std::optional<PushData> data;
  std::size_t pos = wire::kHeaderSize;
  while (pos < message.size()) {
    if (message.size() - pos < 4) return fail(Errc::kMalformed, "truncated DSO TLV header");
    const std::uint16_t type = get16(message, pos);
    const std::uint16_t len = get16(message, pos + 2);
    pos += 4;
    if (message.size() - pos < len) return fail(Errc::kMalformed, "DSO TLV runs past the message");
    const bool primary = pos == wire::kHeaderSize + 4;
    if (primary) {
      if (type != kTlvPush) return fail(Errc::kMalformed, "primary TLV is not PUSH");
      auto d = decode_push_data(message, pos, len);
      if (!d) return tl::unexpected(d.error());
      data = std::move(*d);
    } else if (type == kTlvPush) {
      return fail(Errc::kMalformed, "PUSH as an additional TLV (RFC 8765 §6.6)");
    }
    // Encryption Padding (RFC 8490 §7.3: any bytes accepted) and unknown additional TLVs
    // (RFC 8490 §5.4.5) are skipped.
    pos += len;
  }
  if (!data) return fail(Errc::kMalformed, "DSO message without a primary TLV");
  return std::move(*data);
}

void write_change(wire::Writer& w, const wire::Name& owner, RRType type, RRClass cls,
                  std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  // RFC 8765 §6.3.1 / RFC 6762 §18.14: owner names always compressed.
  w.name(owner, /*compress=*/true);
  w.u16(static_cast<std::uint16_t>(type));
  w.u16(static_cast<std::uint16_t>(cls));
  w.u32(ttl);
  const std::size_t rdlen_at = w.size();
  w.u16(0);
  if (rdata.empty()) return;
  const std::size_t start = w.size();
  wire::write_rdata(w, type, rdata, wire::Compression::kPush);
  if (!w.overflowed()) w.patch_u16(rdlen_at, static_cast<std::uint16_t>(w.size() - start));
}

}  // namespace dnspush::push
