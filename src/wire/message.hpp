// A parsed DNS message (RFC 1035 §4.1) with EDNS(0) pulled out of the additional
// section (RFC 6891), and a builder that writes sections in order with compression and
// a size limit (TC handling is the caller's decision, made on what did not fit).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "wire/name.hpp"
#include "wire/rdata.hpp"
#include "wire/types.hpp"
#include "wire/writer.hpp"

namespace dnspush::wire {

inline constexpr std::size_t kHeaderSize = 12;

struct Header {
  std::uint16_t id = 0;
  bool qr = false;
  Opcode opcode = Opcode::QUERY;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool z = false;
  bool ad = false;
  bool cd = false;
  std::uint8_t rcode = 0;  // low 4 bits only; see Message::rcode()
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  // Parses just the 12 header bytes: cheap enough to decide how to answer a message
  // that fails to parse further (FORMERR needs the id and opcode).
  static std::optional<Header> peek(std::span<const std::uint8_t> msg);
  void write(Writer& w) const;
};

struct Question {
  Name name;
  RRType type = RRType::A;
  RRClass cls = RRClass::IN;
};

struct Record {
  Name owner;
  RRType type = RRType::A;
  RRClass cls = RRClass::IN;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;  // uncompressed

  friend bool operator==(const Record& a, const Record& b);  // canonical RDATA equality
};

struct EdnsOption {
  std::uint16_t code = 0;
  std::vector<std::uint8_t> data;
};

namespace edns_option {
inline constexpr std::uint16_t kLlq = 1;            // RFC 8764
inline constexpr std::uint16_t kNsid = 3;           // RFC 5001
inline constexpr std::uint16_t kCookie = 10;        // RFC 7873
inline constexpr std::uint16_t kTcpKeepalive = 11;  // RFC 7828
inline constexpr std::uint16_t kPadding = 12;       // RFC 7830
}  // namespace edns_option

struct Edns {
  std::uint16_t udp_payload = 1232;
  std::uint8_t extended_rcode = 0;  // upper 8 bits of the 12-bit RCODE
  std::uint8_t version = 0;
  bool dnssec_ok = false;
  std::uint16_t flags = 0;  // the other 15 Z bits, kept as received
  std::vector<EdnsOption> options;

  const EdnsOption* find(std::uint16_t code) const;
  std::size_t wire_size() const;  // as an OPT RR with a root owner
};

enum class Section { kAnswer, kAuthority, kAdditional };

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authorities;
  std::vector<Record> additionals;  // without the OPT record
  std::optional<Edns> edns;
  // Offset of the TSIG record (RFC 8945 §5.1: it must be last) in the input, for
  // verification; nullopt when absent.
  std::optional<std::size_t> tsig_offset;

  Rcode rcode() const;
  void set_rcode(Rcode r);  // splits into header and OPT

  // Strict parse of a whole message: counts must match, no trailing bytes, at most one
  // OPT (in the additional section, root owner), TSIG only as the last record.
  static Result<Message> parse(std::span<const std::uint8_t> bytes);
  // The same into `m`, reusing the capacity of its vectors (a per-thread scratch message
  // on the query path). On failure `m` holds whatever was read.
  static Result<void> parse_into(std::span<const std::uint8_t> bytes, Message& m);
  // Writes the whole message uncompromisingly (no truncation), compressing as `c` says.
  std::vector<std::uint8_t> to_wire(Compression c = Compression::kUnicast) const;
};

// Incremental writer for answers: sections must be filled in order. add_* returns false
// (and writes nothing) when the record does not fit in the limit, so the caller can set
// TC or stop.
class MessageBuilder {
 public:
  // `limit` is the largest message the transport allows; `reserve` is kept free for
  // records written at the end (OPT, TSIG).
  MessageBuilder(const Header& h, std::size_t limit, std::size_t reserve = 0);
  // The same, writing into `storage` (cleared, capacity reused): finish() hands it back,
  // so a caller that passes the same buffer each time allocates nothing.
  MessageBuilder(const Header& h, std::size_t limit, std::size_t reserve,
                 std::vector<std::uint8_t> storage);

  bool add_question(const Question& q);
  bool add_record(Section s, const Record& r, Compression c = Compression::kUnicast);
  bool add_record(Section s, const Name& owner, RRType type, RRClass cls, std::uint32_t ttl,
                  std::span<const std::uint8_t> rdata, Compression c = Compression::kUnicast);
  // Writes OPT into the reserved room (counts in ARCOUNT).
  bool add_edns(const Edns& e);
  void set_tc() { tc_ = true; }
  void set_rcode(Rcode r) { rcode_ = r; }
  std::size_t size() const { return w_.size(); }
  Writer& writer() { return w_; }
  std::vector<std::uint8_t> finish();

 private:
  Writer w_;
  Header h_;
  std::size_t limit_;
  std::uint16_t counts_[4] = {0, 0, 0, 0};
  int section_ = 0;  // 0 question, 1 answer, 2 authority, 3 additional
  bool tc_ = false;
  std::optional<Rcode> rcode_;
};

// Text as dig prints it (for logs, tests and the CLI).
std::string to_text(const Record& r);
std::string to_text(const Message& m);

}  // namespace dnspush::wire
