// The LLQ EDNS(0) option (RFC 8764 §3.2): OPTION-CODE 1, OPTION-LENGTH 18, then VERSION,
// LLQ-OPCODE, ERROR-CODE (16 bits each), LLQ-ID (64) and LEASE-LIFE (32, seconds). One
// option per question of the message, in question order (§3.2: "the OPT RR MAY contain
// multiple LLQ options").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "wire/message.hpp"

namespace dnspush::llq {

inline constexpr std::uint16_t kOptionCode = wire::edns_option::kLlq;
inline constexpr std::uint16_t kOptionLength = 18;
inline constexpr std::uint16_t kVersion = 1;  // RFC 8764 §3.2

enum class Opcode : std::uint16_t {
  LLQ_SETUP = 1,
  LLQ_REFRESH = 2,
  LLQ_EVENT = 3,
};

enum class ErrorCode : std::uint16_t {
  NO_ERROR = 0,
  SERV_FULL = 1,
  STATIC = 2,
  FORMAT_ERR = 3,
  NO_SUCH_LLQ = 4,
  BAD_VERS = 5,
  UNKNOWN_ERR = 6,
};

struct Option {
  std::uint16_t version = kVersion;
  std::uint16_t opcode = 0;  // raw: a peer may send any value (Opcode names the known ones)
  std::uint16_t error = 0;
  std::uint64_t id = 0;
  std::uint32_t lease = 0;  // seconds

  friend bool operator==(const Option&, const Option&) = default;
};

inline Option make_option(Opcode op, ErrorCode e, std::uint64_t id, std::uint32_t lease) {
  return Option{kVersion, static_cast<std::uint16_t>(op), static_cast<std::uint16_t>(e), id, lease};
}

// The option's data (the 18 bytes after OPTION-CODE and OPTION-LENGTH). Any other length is
// kMalformed (the caller answers FORMAT-ERR). Every VERSION is decoded; checking it is the
// caller's (BAD-VERS).
Result<Option> decode_option(std::span<const std::uint8_t> data);
// The 18 data bytes.
std::vector<std::uint8_t> encode_option(const Option& o);
// As an EDNS option for wire::Edns::options.
wire::EdnsOption to_edns(const Option& o);
// Every LLQ option of `edns`, in order; each one's decode result.
std::vector<Result<Option>> llq_options(const wire::Edns& edns);

const char* to_text(ErrorCode e);

}  // namespace dnspush::llq
