// Internal to rdata_parse*.cpp: the tokens of RDATA presentation text and the helpers the
// generic and the type-specific field parsers share (the parse side of rdata_fields.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "wire/rdata.hpp"

namespace dnspush::wire::detail {

using Bytes = std::vector<std::uint8_t>;

struct TextToken {
  std::string text;  // raw, escapes kept (names decode their own)
  bool quoted = false;
};

Result<std::uint64_t> parse_number(std::string_view s, std::uint64_t max);
void put_uint(Bytes& b, std::uint64_t v, int bytes);  // big-endian
Result<Bytes> parse_hex(std::string_view s);
Result<Bytes> parse_ip(std::string_view s, bool v6);

// The fields that serve one type only (kSecAlg .. kLocator64, as rdata_text_types.cpp
// prints them), reading toks[pos...] and advancing pos; `out` holds the RDATA so far (a
// field may depend on an earlier one, like the gateway on its type).
Result<void> parse_type_field(Field f, std::span<const TextToken> toks, std::size_t& pos,
                              const Name* origin, Bytes& out);

}  // namespace dnspush::wire::detail
