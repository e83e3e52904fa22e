// libFuzzer target: DSO message parsing, then decode -> encode -> decode. Whatever
// parse_message accepts is rebuilt with MessageBuilder from its header and TLVs; the
// bytes must equal the input (except the header flag bits a DSO message ignores, which
// the builder writes as zero) and parse to the same message. The base TLV codecs must
// round-trip, padding must keep a message parseable and within 65535 bytes, and the
// EDNS option scan must agree with its own removal.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "dso/edns_scan.hpp"
#include "dso/message.hpp"
#include "dso/tlv.hpp"
#include "wire/message.hpp"

namespace {

using namespace dnspush::dso;
using Bytes = std::vector<std::uint8_t>;

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "dso round-trip mismatch: %s\n", what);
  std::abort();
}

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void check_same(const MessageView& a, const MessageView& b) {
  if (a.id != b.id || a.qr != b.qr || a.rcode != b.rcode) mismatch("header");
  if (a.tlvs.size() != b.tlvs.size()) mismatch("TLV count");
  auto i = a.tlvs.begin(), j = b.tlvs.begin();
  for (; i != a.tlvs.end() && j != b.tlvs.end(); ++i, ++j) {
    const Tlv x = *i, y = *j;
    if (x.type != y.type || !same(x.data, y.data)) mismatch("TLV");
  }
  if (i != a.tlvs.end() || j != b.tlvs.end()) mismatch("TLV iteration");
}

void check_base_tlvs(const MessageView& m) {
  for (const Tlv& t : m.tlvs) {
    if (t.type == TlvType::KeepAlive) {
      if (auto k = decode_keepalive(t.data)) {
        const auto e = encode_keepalive(*k);
        if (!same(e, t.data)) mismatch("Keepalive codec");
        (void)from_wire_ms(k->keepalive_interval_ms);
      }
    } else if (t.type == TlvType::RetryDelay) {
      if (auto d = decode_retry_delay(t.data)) {
        if (!same(encode_retry_delay(*d), t.data)) mismatch("Retry Delay codec");
      }
    }
  }
}

void check_padding(const Bytes& msg) {
  for (std::size_t block : {std::size_t{0}, kClientPaddingBlock, kServerPaddingBlock}) {
    Bytes p = msg;
    const bool added = pad_message(p, block);
    if (p.size() > kMaxMessageSize) mismatch("padding past 65535");
    if (!added) {
      if (p != msg) mismatch("padding changed a message it did not pad");
      continue;
    }
    auto v = parse_message(p);
    if (!v) mismatch("padded message does not parse");
    if (v->tlvs.size() != parse_message(msg)->tlvs.size() + 1) mismatch("padding TLV count");
    if (block > 1 && p.size() % block != 0 && p.size() != kMaxMessageSize)
      mismatch("padding block");
  }
}

void check_edns_scan(std::span<const std::uint8_t> in) {
  for (std::uint16_t code :
       {dnspush::wire::edns_option::kTcpKeepalive, dnspush::wire::edns_option::kPadding}) {
    auto pos = find_edns_option(in, code);
    if (!pos) continue;
    if (pos->option_offset + pos->option_size > in.size() || pos->rdlen_offset + 2 > in.size())
      mismatch("EDNS option position out of bounds");
    const Bytes out = remove_edns_option(in, *pos);
    if (out.size() + pos->option_size != in.size()) mismatch("EDNS option removal size");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  check_edns_scan(in);
  auto m = parse_message(in);
  if (!m || size > kMaxMessageSize) return 0;
  check_base_tlvs(*m);

  const auto rcode = static_cast<dnspush::wire::Rcode>(m->rcode);
  MessageBuilder b = m->qr ? MessageBuilder::response(m->id, rcode)
                           : (m->id != 0 ? MessageBuilder::request(m->id, rcode)
                                         : MessageBuilder::unidirectional(rcode));
  for (const Tlv& t : m->tlvs) b.add(t);
  auto out = b.finish();
  if (!out) mismatch("a parsed message does not rebuild");
  if (out->size() != size) mismatch("rebuilt size");
  for (std::size_t i = 0; i < size; ++i) {
    // Byte 2: AA, TC, RD; byte 3: RA, Z, AD, CD. DSO ignores them (RFC 8490 §5.4.1).
    const std::uint8_t ignored = i == 2 ? 0x07 : i == 3 ? 0xF0 : 0;
    if (((*out)[i] & ~ignored) != (in[i] & ~ignored)) mismatch("rebuilt bytes");
  }
  auto again = parse_message(*out);
  if (!again) mismatch("rebuilt message does not parse");
  check_same(*m, *again);
  check_padding(*out);
  return 0;
}
