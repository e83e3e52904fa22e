// DSO messages (RFC 8490 §5.4): a 12-byte DNS header with OPCODE 6 and all four counts
// zero, followed by TLVs that exactly fill the rest of the message (the length comes from
// the stream framing, not from the header). parse_message() checks the syntax only and
// hands out views; which TLVs may appear where is the session's business (§5.4.5, §8.2).
// MessageBuilder writes requests, responses and unidirectional messages; it exposes its
// wire::Writer so the push layer can compress names inside a PUSH TLV against offsets from
// the start of the message (RFC 8765 §6.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "dso/tlv.hpp"
#include "wire/types.hpp"
#include "wire/writer.hpp"

namespace dnspush::dso {

inline constexpr std::size_t kMaxMessageSize = 65535;  // the 2-byte stream length prefix

struct MessageView;

// TLVs already checked by parse_message: iterating cannot fail.
class TlvList {
 public:
  class iterator {
   public:
    using value_type = Tlv;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    Tlv operator*() const;
    iterator& operator++();
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.rest_.size() == b.rest_.size();
    }

   private:
    friend class TlvList;
    explicit iterator(std::span<const std::uint8_t> rest) : rest_(rest) {}
    std::span<const std::uint8_t> rest_;
  };

  TlvList() = default;
  iterator begin() const { return iterator(area_); }
  iterator end() const { return iterator(area_.subspan(area_.size())); }
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  // The same list without its first TLV (empty stays empty).
  TlvList drop_first() const;

 private:
  friend Result<MessageView> parse_message(std::span<const std::uint8_t> msg);
  TlvList(std::span<const std::uint8_t> area, std::size_t count) : area_(area), count_(count) {}
  std::span<const std::uint8_t> area_;
  std::size_t count_ = 0;
};

// A parsed DSO message: views into the caller's bytes.
struct MessageView {
  std::uint16_t id = 0;
  bool qr = false;
  std::uint8_t rcode = 0;  // the header's 4 bits (DSO messages carry no OPT, §5.4.6)
  TlvList tlvs;            // every TLV, in order

  // The Primary TLV of a request or unidirectional message (§5.4.2): the first one.
  std::optional<Tlv> primary() const;
  // The Additional TLVs: everything after the first.
  TlvList additional() const { return tlvs.drop_first(); }
  // The first TLV of `type`, if any.
  std::optional<Tlv> find(TlvType type) const;
  bool has(TlvType type) const { return find(type).has_value(); }
};

// True when `msg` is long enough for a header and its OPCODE is DSO.
bool is_dso(std::span<const std::uint8_t> msg);

// Strict syntax check (RFC 8490 §5.4, §5.4.4): OPCODE DSO, QDCOUNT..ARCOUNT zero, and
// TLVs that end exactly at the end of the message (no overrun, no trailing bytes). A
// request/unidirectional message needs at least one TLV (§5.4.2); that rule, which
// depends on QR, is checked here too. Errc::kMalformed says which rule failed.
Result<MessageView> parse_message(std::span<const std::uint8_t> msg);

class MessageBuilder {
 public:
  // RFC 8490 §5.4.1: a request has a nonzero id, a unidirectional message id 0, both QR=0;
  // a response echoes the request's id with QR=1. RCODE must fit the header's 4 bits.
  static MessageBuilder request(std::uint16_t id, wire::Rcode rcode = wire::Rcode::NOERROR);
  static MessageBuilder unidirectional(wire::Rcode rcode = wire::Rcode::NOERROR);
  static MessageBuilder response(std::uint16_t id, wire::Rcode rcode);

  MessageBuilder& add(TlvType type, std::span<const std::uint8_t> data);
  MessageBuilder& add(const Tlv& tlv) { return add(tlv.type, tlv.data); }
  // For TLVs written in place (e.g. PUSH records with compressed names): begin_tlv writes
  // the type and a placeholder length, the caller writes the data through writer(), and
  // end_tlv patches DSO-LENGTH.
  std::size_t begin_tlv(TlvType type);
  void end_tlv(std::size_t mark);
  wire::Writer& writer() { return w_; }
  std::size_t size() const { return w_.size(); }

  // The message (pad it afterwards with pad_message()). Fails when it would exceed 65535
  // bytes or the RCODE does not fit.
  Result<std::vector<std::uint8_t>> finish();

 private:
  MessageBuilder(std::uint16_t id, bool qr, wire::Rcode rcode);
  wire::Writer w_{kMaxMessageSize};
  bool bad_rcode_ = false;
};

}  // namespace dnspush::dso
