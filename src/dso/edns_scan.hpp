// Finding one EDNS(0) option in an ordinary DNS message without parsing all of it. The
// session needs this for RFC 8490 §5.4.6 and §7.1.2: once a DSO session exists, a message
// carrying edns-tcp-keepalive (RFC 7828) is a fatal error, and an answer to a query that
// arrived before the session existed must lose the option it would have echoed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dnspush::dso {

struct EdnsOptionPos {
  std::size_t rdlen_offset = 0;   // the OPT record's RDLENGTH field
  std::size_t option_offset = 0;  // the option's OPTION-CODE
  std::size_t option_size = 0;    // 4 + OPTION-LENGTH
};

// The first option `code` in the OPT record of `msg` (skipping names and RDATA without
// decompressing anything); nullopt when absent or when the message does not parse that
// far (the handler answers such messages FORMERR).
std::optional<EdnsOptionPos> find_edns_option(std::span<const std::uint8_t> msg,
                                              std::uint16_t code);

// `msg` without the option at `pos` (the OPT RDLENGTH adjusted).
std::vector<std::uint8_t> remove_edns_option(std::span<const std::uint8_t> msg,
                                             const EdnsOptionPos& pos);

}  // namespace dnspush::dso
