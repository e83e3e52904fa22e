// The stub-resolver side of a query, without I/O: the query a client sends and what it
// keeps of the answer. Used by discovery, polling and `dnspush query`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "client/question.hpp"
#include "wire/message.hpp"

namespace dnspush::client {

struct Answer {
  wire::Rcode rcode = wire::Rcode::NOERROR;
  bool authenticated = false;  // AD: the resolver validated it (RFC 4035 §3.2.3)
  bool authoritative = false;  // AA
  bool truncated = false;      // TC
  std::vector<wire::Record> answers;
  std::vector<wire::Record> authority;
  std::vector<wire::Record> additional;

  // The answer-section records that answer `q` (CNAMEs and others left out).
  std::vector<wire::Record> matching(const Question& q) const;
  // How long the answer may be cached (RFC 2308 §5 for negative answers: the SOA's TTL
  // capped by its MINIMUM field); zero when nothing says.
  std::uint32_t cache_ttl() const;
};

struct QueryFlags {
  bool recursion_desired = true;
  // RFC 6840 §5.7: AD in a query asks a validating resolver to say whether the answer
  // is authenticated, without the RRSIGs that DO would bring.
  bool authenticated_data = true;
};

// A query with one question and EDNS(0) (1232-byte payload).
std::vector<std::uint8_t> build_query(const Question& q, std::uint16_t id, QueryFlags f = {});
// Parses the answer to a query built by build_query with `id`: the id and the question
// must be echoed (RFC 5452 §9.1), and it must be a response.
Result<Answer> parse_answer(std::span<const std::uint8_t> bytes, const Question& q,
                            std::uint16_t id);

}  // namespace dnspush::client
