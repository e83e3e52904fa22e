// The checks of an UPDATE that come before any change (RFC 2136 §3.1, §3.2, §3.4.1).
// Each returns the first failure as an RCODE and a reason, or nullopt when it passes.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"
#include "zone/zone.hpp"

namespace dnspush::update {

struct Failure {
  wire::Rcode rcode;
  std::string reason;
};

// RFC 2136 §3.1.1: header and zone section (ZOCOUNT 1, ZTYPE SOA, ZCLASS IN). Does not
// look the zone up.
std::optional<Failure> check_zone_section(const wire::Message& update);

// RFC 2136 §3.2: every prerequisite, in order, against the zone before the update.
std::optional<Failure> check_prerequisites(std::span<const wire::Record> prerequisites,
                                           const zone::Zone& zone);

// RFC 2136 §3.4.1: the whole update section is checked before anything is applied.
std::optional<Failure> prescan(std::span<const wire::Record> updates, const wire::Name& origin);

}  // namespace dnspush::update
