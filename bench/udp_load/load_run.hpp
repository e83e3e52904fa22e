// The load itself: a window of queries kept in flight over a few connected, non-blocking
// UDP sockets, refilled with sendmmsg and read with recvmmsg in batches of up to 64, from
// one thread (the benchmark pins it to one core). Each answer is matched to its query by
// socket and message ID and checked to ask the same question.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "latency_histogram.hpp"
#include "query_set.hpp"

namespace dnspush::bench {

struct LoadConfig {
  sockaddr_storage server{};
  socklen_t server_len = 0;
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  std::uint32_t window = 100;  // queries in flight over all sockets
  std::uint32_t sockets = 4;   // distinct source ports: SO_REUSEPORT spreads them over workers
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);
};

struct LoadCounters {
  std::uint64_t sent = 0;
  std::uint64_t completed = 0;
  std::uint64_t lost = 0;        // no answer within the timeout
  std::uint64_t mismatched = 0;  // an answer to an ID in flight that is not its answer
  std::uint64_t unexpected = 0;  // an answer to no ID in flight: late, duplicate or runt
  std::uint64_t truncated = 0;   // completed with TC set
  std::array<std::uint64_t, 16> rcodes{};
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::uint64_t refused = 0;  // ICMP port unreachable, reported on a socket
  // The generator's own costs: if its CPU is near 100% of the run, it, not the server,
  // may be what limits the rate.
  std::uint64_t send_calls = 0;
  std::uint64_t receive_calls = 0;  // those that returned datagrams
  std::uint64_t poll_calls = 0;
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  std::uint64_t send_errors = 0;
  std::string first_error;
  LatencyHistogram latency;
  // From the first send to the last answer, or to the end of sending when that is later:
  // the time the completed queries took, without the wait for lost ones at the end.
  double run_seconds = 0;
};

Result<LoadCounters> run_load(const LoadConfig& config, const QuerySet& queries);

}  // namespace dnspush::bench
