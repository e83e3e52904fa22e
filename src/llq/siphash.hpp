// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit PRF, used for the stateless
// LLQ challenge (llq_server.hpp): an LLQ-ID carries a MAC of the client's address and
// question under a secret key, so the challenge response proves the client received the
// challenge at that address without the server keeping anything per challenge.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace dnspush::llq {

using SipKey = std::array<std::uint8_t, 16>;

std::uint64_t siphash24(const SipKey& key, std::span<const std::uint8_t> data);

}  // namespace dnspush::llq
