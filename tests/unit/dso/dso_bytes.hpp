// Raw DSO and DNS messages for the DSO tests, byte by byte (so malformed ones can be
// made), and the stream framing.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "base/time.hpp"
#include "dso/tlv.hpp"
#include "wire/message.hpp"

namespace dnspush::dso::test {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

inline const TimePoint t0 = TimePoint() + std::chrono::hours(1000);

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

// One TLV's bytes; `length` overrides DSO-LENGTH (to make it lie).
inline Bytes tlv(TlvType type, const Bytes& data = {}, std::optional<std::uint16_t> length = {}) {
  Bytes b;
  put16(b, static_cast<std::uint16_t>(type));
  put16(b, length ? *length : static_cast<std::uint16_t>(data.size()));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline Bytes keepalive_data(std::uint32_t inactivity_ms, std::uint32_t interval_ms) {
  auto a = encode_keepalive(Keepalive{inactivity_ms, interval_ms});
  return {a.begin(), a.end()};
}

inline Bytes retry_data(std::uint32_t ms) {
  auto a = encode_retry_delay(ms);
  return {a.begin(), a.end()};
}

// A DSO message: header (QR, RCODE, optional nonzero QDCOUNT) followed by `tlvs`.
inline Bytes dso(std::uint16_t id, bool qr, std::initializer_list<Bytes> tlvs,
                 std::uint8_t rcode = 0, std::uint16_t qdcount = 0) {
  Bytes b;
  put16(b, id);
  b.push_back(static_cast<std::uint8_t>((qr ? 0x80 : 0) | (6 << 3)));
  b.push_back(rcode & 0x0F);
  put16(b, qdcount);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  for (const Bytes& t : tlvs) b.insert(b.end(), t.begin(), t.end());
  return b;
}

inline Bytes request(std::uint16_t id, std::initializer_list<Bytes> tlvs) {
  return dso(id, false, tlvs);
}
inline Bytes unidirectional(std::initializer_list<Bytes> tlvs, std::uint8_t rcode = 0) {
  return dso(0, false, tlvs, rcode);
}
inline Bytes response(std::uint16_t id, std::initializer_list<Bytes> tlvs = {},
                      std::uint8_t rcode = 0) {
  return dso(id, true, tlvs, rcode);
}

// An ordinary query, optionally with EDNS options (e.g. edns-tcp-keepalive).
inline Bytes query(std::uint16_t id, std::vector<wire::EdnsOption> options = {},
                   bool with_edns = false) {
  wire::Message m;
  m.header.id = id;
  m.header.rd = true;
  m.questions.push_back(wire::Question{*wire::Name::from_text("www.example.com."), wire::RRType::A,
                                       wire::RRClass::IN});
  if (with_edns || !options.empty()) {
    wire::Edns e;
    e.options = std::move(options);
    m.edns = e;
  }
  return m.to_wire();
}

// The answer to a query: the query with QR set (echoing EDNS options as a responder would).
inline Bytes answer_to(const Bytes& q) {
  auto m = wire::Message::parse(q);
  EXPECT_TRUE(m.has_value());
  m->header.qr = true;
  return m->to_wire();
}

inline wire::EdnsOption tcp_keepalive_option() {
  return wire::EdnsOption{wire::edns_option::kTcpKeepalive, {}};
}

// The stream form: 2-byte length prefix (RFC 7766 §8).
inline Bytes framed(const Bytes& msg) {
  Bytes b;
  put16(b, static_cast<std::uint16_t>(msg.size()));
  b.insert(b.end(), msg.begin(), msg.end());
  return b;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

}  // namespace dnspush::dso::test
