// The polling baseline: N clients that each ask the server once per `interval` over UDP
// for the watched name, the freshness DNS Push gives without asking. The N clients are
// spread evenly over the interval and over `sockets` UDP sockets (the server's cost of
// a datagram does not depend on which port it came from). Counts the DNS payload bytes
// each way; IPv4 + UDP headers are 28 bytes more per datagram.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "base/time.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"

namespace dnspush::bench {

struct PollConfig {
  sockaddr_in server{};
  wire::Name qname;
  wire::RRType qtype = wire::RRType::TXT;
  std::size_t clients = 1000;
  Duration interval = std::chrono::seconds(1);
  Duration duration = std::chrono::seconds(10);
  std::size_t sockets = 64;
};

struct PollCounters {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t bytes_sent = 0;      // DNS payload
  std::uint64_t bytes_received = 0;  // DNS payload
  double seconds = 0;                // wall time of the run
  std::string first_error;
};

// Runs the whole poll (blocking) and returns what it counted.
Result<PollCounters> run_poll(const PollConfig& cfg);

}  // namespace dnspush::bench
