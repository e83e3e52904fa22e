// SRV records (RFC 2782) and the order in which a client tries their targets: lowest
// priority first; within a priority, weighted random selection (RFC 2782 "Usage rules":
// weight-0 records first in the running sum, so they are chosen rarely but not never).
// Pure: the random source is passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "wire/message.hpp"
#include "wire/name.hpp"

namespace dnspush::client {

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  wire::Name target;
  std::uint32_t ttl = 0;

  static std::optional<SrvRecord> from_record(const wire::Record& r);
};

// Returns a number uniformly in [0, bound].
using UniformRandom = std::function<std::uint32_t(std::uint32_t bound)>;

// The records in the order to try them. RFC 2782: a single record whose target is "."
// means the service is decidedly not available: the result is then empty.
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, const UniformRandom& random);

}  // namespace dnspush::client
