#include "dso/edns_scan.hpp"

#include "wire/message.hpp"
#include "wire/reader.hpp"

namespace dnspush::dso {

namespace {

// Steps over a possibly compressed name (RFC 1035 §4.1.4): a pointer ends it.
void skip_name(wire::Reader& r) {
  while (r.ok()) {
    const std::uint8_t len = r.u8();
    if (len == 0) return;
    if ((len & 0xC0) == 0xC0) {
      (void)r.u8();
      return;
    }
    if ((len & 0xC0) != 0) {  // 01 and 10 label types are retired (RFC 6891 §5)
      r.fail();
      return;
    }
    r.skip(len);
  }
}

}  // namespace

std::optional<EdnsOptionPos> find_edns_option(std::span<const std::uint8_t> msg,
                                              std::uint16_t code) {
  auto h = wire::Header::peek(msg);
  if (!h || h->arcount == 0) return std::nullopt;
  wire::Reader r(msg);
  r.skip(wire::kHeaderSize);
  for (unsigned i = 0; i < h->qdcount && r.ok(); ++i) {
    skip_name(r);
    r.skip(4);
  }
  const unsigned before = unsigned{h->ancount} + h->nscount;
  for (unsigned i = 0; i < before && r.ok(); ++i) {
    skip_name(r);
    r.skip(8);
    r.skip(r.u16());
  }
  for (unsigned i = 0; i < h->arcount && r.ok(); ++i) {
    skip_name(r);
    const auto type = static_cast<wire::RRType>(r.u16());
    r.skip(6);
    const std::size_t rdlen_offset = r.offset();
    const std::uint16_t rdlen = r.u16();
    if (type != wire::RRType::OPT) {
      r.skip(rdlen);
      continue;
    }
    if (!r.ok() || r.remaining() < rdlen) return std::nullopt;
    const std::size_t end = r.offset() + rdlen;
    while (r.ok() && r.offset() + 4 <= end) {
      const std::size_t at = r.offset();
      const std::uint16_t c = r.u16();
      const std::uint16_t len = r.u16();
      if (r.offset() + len > end) return std::nullopt;
      if (c == code) return EdnsOptionPos{rdlen_offset, at, std::size_t{4} + len};
      r.skip(len);
    }
    return std::nullopt;  // RFC 6891 §6.1.1: one OPT only
  }
  return std::nullopt;
}

std::vector<std::uint8_t> remove_edns_option(std::span<const std::uint8_t> msg,
                                             const EdnsOptionPos& pos) {
  std::vector<std::uint8_t> out;
  if (pos.rdlen_offset + 2 > msg.size() || pos.option_offset + pos.option_size > msg.size())
    return {msg.begin(), msg.end()};
  out.reserve(msg.size() - pos.option_size);
  out.insert(out.end(), msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(pos.option_offset));
  out.insert(out.end(),
             msg.begin() + static_cast<std::ptrdiff_t>(pos.option_offset + pos.option_size),
             msg.end());
  const std::size_t rdlen = (std::size_t{msg[pos.rdlen_offset]} << 8) | msg[pos.rdlen_offset + 1];
  const std::size_t fixed = rdlen >= pos.option_size ? rdlen - pos.option_size : 0;
  out[pos.rdlen_offset] = static_cast<std::uint8_t>(fixed >> 8);
  out[pos.rdlen_offset + 1] = static_cast<std::uint8_t>(fixed);
  return out;
}

}  // namespace dnspush::dso
