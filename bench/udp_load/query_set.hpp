// The queries of a dnsperf data file, encoded once at start-up. Sending then costs no
// encoding and no allocation: the sender writes only the message ID in front of the bytes
// kept here (udp_load's reason to exist is being cheaper per query than dnsperf).
//
// The file format is dnsperf's: one query per line, "name type" ("www.example.test A"),
// the name in presentation format with RFC 1035 §5.1 escapes ("Office\032Printer"), always
// taken as absolute; the type a mnemonic or RFC 3597's TYPEnnn. Blank lines and lines
// starting with ';' are skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace dnspush::bench {

struct QueryOptions {
  // The UDP payload size in an EDNS(0) OPT record (RFC 6891 §6.2.3); 0: no OPT record.
  // dnsperf -e advertises 4096, so that is the default here too.
  std::uint16_t edns_payload = 4096;
  bool recursion_desired = false;  // dnsperf sets RD; an authoritative server ignores it
};

class QuerySet {
 public:
  static Result<QuerySet> load(const std::string& path, const QueryOptions& options);
  static Result<QuerySet> parse(std::string_view text, const QueryOptions& options);

  std::size_t size() const { return entries_.size(); }
  // The whole query; its first two bytes (the ID) are zero.
  std::span<const std::uint8_t> wire(std::size_t i) const {
    const Entry& e = entries_[i];
    return {bytes_.data() + e.offset, e.size};
  }
  // true when `answer` (a whole message, at least the header long) asks query i's question:
  // one question, the same QTYPE and QCLASS, the same QNAME compared without case (RFC 4343:
  // a server may answer with the case it was asked in or another). A question name is
  // never compressed (there is nothing before it to point to), so bytes compare directly.
  bool question_matches(std::size_t i, std::span<const std::uint8_t> answer) const;

 private:
  struct Entry {
    std::uint32_t offset = 0;
    std::uint16_t size = 0;           // the whole query
    std::uint16_t question_size = 0;  // QNAME + QTYPE + QCLASS, right after the header
  };
  std::vector<std::uint8_t> bytes_;
  std::vector<Entry> entries_;
};

}  // namespace dnspush::bench
