#include "auth/response.hpp"

#include <algorithm>

namespace dnspush::auth {

wire::Header response_header(const wire::Header& query) {
  wire::Header h;
  h.id = query.id;
  h.qr = true;
  h.opcode = query.opcode;
  h.rd = query.rd;  // RFC 1035 §4.1.1: copied into the response
  h.cd = query.cd;  // RFC 6840 §5.9
  return h;
}

namespace {

std::size_t transport_limit(const wire::Edns* query_edns, const QueryContext& ctx,
                            const ResponderOptions& opts) {
  if (ctx.transport != Transport::kUdp) return kStreamLimit;
  if (query_edns == nullptr) return kUdpPlainLimit;
  // RFC 6891 §6.2.5: values below 512 are treated as 512.
  const std::size_t asked = std::max<std::size_t>(query_edns->udp_payload, kUdpPlainLimit);
  const std::size_t cap = std::max<std::size_t>(opts.max_udp_payload, kUdpPlainLimit);
  return std::min(asked, cap);
}

}  // namespace

std::size_t response_limit(const wire::Edns* query_edns, const QueryContext& ctx,
                           const ResponderOptions& opts) {
  const std::size_t limit = transport_limit(query_edns, ctx, opts);
  // RFC 8945 §5.3: the TSIG goes on whatever we send, so it must fit as well. Never
  // below a bare header, which every answer has (keys are far smaller than 500 bytes).
  const std::size_t floor = wire::kHeaderSize + ctx.trailer_reserve;
  return limit > floor ? limit - ctx.trailer_reserve : wire::kHeaderSize;
}

ResponseEdns response_edns(const wire::Edns& query_edns, const QueryContext& ctx,
                           const ResponderOptions& opts) {
  ResponseEdns r;
  // We advertise the payload size we prefer to receive (RFC 6891 §6.2.3); the flag
  // field's other bits are reserved and sent as zero (§6.1.4).
  r.edns.udp_payload = std::max<std::uint16_t>(opts.default_udp_payload, 512);
  r.edns.version = kEdnsVersion;
  r.edns.dnssec_ok = query_edns.dnssec_ok;  // RFC 3225 §3: DO is copied
  const bool stream = ctx.transport != Transport::kUdp;
  // RFC 7828 §3.3.1/§3.3.2: over UDP the option is ignored and never sent; over TCP/TLS
  // a query that carries it learns our idle timeout, in units of 100 ms.
  if (stream && query_edns.find(wire::edns_option::kTcpKeepalive) != nullptr) {
    const auto units = std::clamp<long long>(ctx.tcp_idle_timeout.count() / 100, 0, 0xFFFF);
    const auto v = static_cast<std::uint16_t>(units);
    r.edns.options.push_back(
        wire::EdnsOption{wire::edns_option::kTcpKeepalive,
                         {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}});
  }
  // RFC 7830 §3: only pad when the query was padded; RFC 8467 §4.1 pads answers to
  // 468-byte blocks. Padding only makes sense on an encrypted transport (RFC 7830 §4).
  r.pad =
      ctx.transport == Transport::kTls && query_edns.find(wire::edns_option::kPadding) != nullptr;
  return r;
}

std::size_t edns_reserve(const ResponseEdns& e) {
  return e.edns.wire_size() + (e.pad ? 4 + kPaddingBlock - 1 : 0);
}

void finish_edns(wire::MessageBuilder& b, const ResponseEdns& e, std::size_t limit) {
  if (!e.pad) {
    b.add_edns(e.edns);
    return;
  }
  wire::Edns padded = e.edns;
  const std::size_t unpadded = b.size() + padded.wire_size() + 4;
  const std::size_t target = (unpadded + kPaddingBlock - 1) / kPaddingBlock * kPaddingBlock;
  if (target <= limit) {
    padded.options.push_back(wire::EdnsOption{wire::edns_option::kPadding,
                                              std::vector<std::uint8_t>(target - unpadded, 0)});
  }
  b.add_edns(padded);
}

std::vector<std::uint8_t> error_response(const wire::Header& query_header,
                                         const wire::Question* question,
                                         const wire::Edns* query_edns, wire::Rcode rcode,
                                         const QueryContext& ctx, const ResponderOptions& opts) {
  std::vector<std::uint8_t> out;
  error_response(query_header, question, query_edns, rcode, ctx, opts, out);
  return out;
}

void error_response(const wire::Header& query_header, const wire::Question* question,
                    const wire::Edns* query_edns, wire::Rcode rcode, const QueryContext& ctx,
                    const ResponderOptions& opts, std::vector<std::uint8_t>& out) {
  const std::size_t limit = response_limit(query_edns, ctx, opts);
  std::optional<ResponseEdns> edns;
  if (query_edns != nullptr) edns = response_edns(*query_edns, ctx, opts);
  wire::MessageBuilder b(response_header(query_header), limit, edns ? edns_reserve(*edns) : 0,
                         std::move(out));
  b.set_rcode(rcode);
  if (question != nullptr) b.add_question(*question);
  if (edns) finish_edns(b, *edns, limit);
  out = b.finish();
}

}  // namespace dnspush::auth
