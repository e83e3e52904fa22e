// Base64 (RFC 4648 §4): TSIG secrets in configuration, and the presentation form of
// DNSKEY, RRSIG and TSIG data. One implementation for both directions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace dnspush::wire {

// Strict: padding optional, no whitespace, no stray characters, zero trailing bits
// (RFC 4648 §3.5 canonical encoding).
Result<std::vector<std::uint8_t>> base64_decode(std::string_view s);
// With padding.
std::string base64_encode(std::span<const std::uint8_t> b);

}  // namespace dnspush::wire
