#include "dso/message.hpp"

#include <algorithm>
#include <utility>

#include "wire/message.hpp"
#include "wire/reader.hpp"

namespace dnspush::dso {

namespace {

// Reads one TLV from the front of `rest`; the caller knows it is well formed.
Tlv read_tlv(std::span<const std::uint8_t> rest, std::size_t* consumed) {
  wire::Reader r(rest);
  Tlv t;
  t.type = static_cast<TlvType>(r.u16());
  const std::uint16_t len = r.u16();
  t.data = r.bytes(len);
  *consumed = r.offset();
  return t;
}

}  // namespace

Tlv TlvList::iterator::operator*() const {
  std::size_t n = 0;
  return read_tlv(rest_, &n);
}

TlvList::iterator& TlvList::iterator::operator++() {
  std::size_t n = 0;
  (void)read_tlv(rest_, &n);
  rest_ = rest_.subspan(n);
  return *this;
}

TlvList TlvList::drop_first() const {
  if (count_ == 0) return *this;
  std::size_t n = 0;
  (void)read_tlv(area_, &n);
  return TlvList(area_.subspan(n), count_ - 1);
}

std::optional<Tlv> MessageView::primary() const {
  if (tlvs.empty()) return std::nullopt;
  return *tlvs.begin();
}

std::optional<Tlv> MessageView::find(TlvType type) const {
  for (const Tlv& t : tlvs) {
    if (t.type == type) return t;
  }
  return std::nullopt;
}

bool is_dso(std::span<const std::uint8_t> msg) {
  auto h = wire::Header::peek(msg);
  return h && h->opcode == wire::Opcode::DSO;
}

Result<MessageView> parse_message(std::span<const std::uint8_t> msg) {
  auto h = wire::Header::peek(msg);
  if (!h) return fail(Errc::kMalformed, "DSO message shorter than a header");
  if (h->opcode != wire::Opcode::DSO) return fail(Errc::kMalformed, "OPCODE is not DSO");
  // RFC 8490 §5.4: the four counts MUST be zero.
  if (h->qdcount != 0 || h->ancount != 0 || h->nscount != 0 || h->arcount != 0)
    return fail(Errc::kMalformed, "DSO message with a nonzero count field");
  wire::Reader r(msg);
  r.skip(wire::kHeaderSize);
  const std::size_t start = r.offset();
  std::size_t count = 0;
  while (!r.at_end()) {
    // RFC 8490 §5.4.4: DSO-TYPE, DSO-LENGTH, DSO-DATA; the TLVs fill the message.
    (void)r.u16();
    const std::uint16_t len = r.u16();
    r.skip(len);
    if (!r.ok()) return fail(Errc::kMalformed, "DSO TLV runs past the end of the message");
    ++count;
  }
  // RFC 8490 §5.4.2: a request or unidirectional message carries at least one TLV.
  if (!h->qr && count == 0) return fail(Errc::kMalformed, "DSO request without a TLV");
  MessageView v;
  v.id = h->id;
  v.qr = h->qr;
  v.rcode = h->rcode;
  v.tlvs = TlvList(msg.subspan(start), count);
  return v;
}

MessageBuilder::MessageBuilder(std::uint16_t id, bool qr, wire::Rcode rcode) {
  const auto rc = static_cast<std::uint16_t>(rcode);
  bad_rcode_ = rc > 0x0F;  // no OPT in a DSO message, so no extended RCODE (§5.4.6)
  wire::Header h;
  h.id = id;
  h.qr = qr;
  h.opcode = wire::Opcode::DSO;
  h.rcode = static_cast<std::uint8_t>(rc & 0x0F);
  h.write(w_);
}

MessageBuilder MessageBuilder::request(std::uint16_t id, wire::Rcode rcode) {
  return MessageBuilder(id, false, rcode);
}

MessageBuilder MessageBuilder::unidirectional(wire::Rcode rcode) {
  return MessageBuilder(0, false, rcode);
}

MessageBuilder MessageBuilder::response(std::uint16_t id, wire::Rcode rcode) {
  return MessageBuilder(id, true, rcode);
}

MessageBuilder& MessageBuilder::add(TlvType type, std::span<const std::uint8_t> data) {
  w_.u16(static_cast<std::uint16_t>(type));
  // Longer data cannot fit the 65535-byte limit either: the writer overflows and
  // finish() fails.
  w_.u16(static_cast<std::uint16_t>(std::min<std::size_t>(data.size(), 0xFFFF)));
  w_.bytes(data);
  return *this;
}

std::size_t MessageBuilder::begin_tlv(TlvType type) {
  w_.u16(static_cast<std::uint16_t>(type));
  const std::size_t mark = w_.size();
  w_.u16(0);
  return mark;
}

void MessageBuilder::end_tlv(std::size_t mark) {
  if (w_.overflowed() || mark + 2 > w_.size()) return;
  w_.patch_u16(mark, static_cast<std::uint16_t>(w_.size() - mark - 2));
}

Result<std::vector<std::uint8_t>> MessageBuilder::finish() {
  if (bad_rcode_) return fail(Errc::kOutOfRange, "RCODE does not fit a DSO header");
  if (w_.overflowed()) return fail(Errc::kOutOfRange, "DSO message larger than 65535 bytes");
  return w_.take();
}

}  // namespace dnspush::dso
