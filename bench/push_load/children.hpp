// The generator's subscriber processes: the parent forks them (the open-files limit is
// 20,000 per process and cannot be raised, so 18k sessions need several), each runs one
// SubscriberPool, and they talk over two pipes per child in a line protocol:
//   child -> parent  "ready <ready> <failed> <subscribed> <refused> <first error>"
//   parent -> child  'b'  -> "bytes <wire read> <wire written> <push messages> <lost>"
//   parent -> child  'q'  -> "result <samples> <ready> <failed> <lost> <push messages>
//                             <bad push> <wire read> <wire written>", then the samples
//                             as raw Sample structs, then the child exits.
// A child whose control pipe reaches end of file (the parent died) exits at once.
// Every wait of the parent is bounded by a deadline.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "subscriber.hpp"

namespace dnspush::bench {

struct Child {
  pid_t pid = -1;
  int control = -1;  // parent writes
  int status = -1;   // parent reads
  std::string inbuf;
  std::size_t sessions = 0;
};

struct ChildReady {
  std::size_t ready = 0, failed = 0, subscribed = 0, refused = 0;
  std::string first_error;
};

struct ChildResult {
  PoolCounters counters;
  std::vector<Sample> samples;
};

// Forks `procs` children sharing `base.sessions` sessions; base.first_session is the
// global index of the first. Returns in the parent only.
Result<std::vector<Child>> spawn_subscribers(const SubscriberConfig& base, std::size_t procs);

Result<ChildReady> wait_ready(Child& c, TimePoint deadline);
// Asks every child for its byte counters: {wire read, wire written} summed, push messages.
Result<PoolCounters> query_counters(std::vector<Child>& children, TimePoint deadline);
// Tells every child to stop and collects results (children are reaped).
Result<std::vector<ChildResult>> collect(std::vector<Child>& children, TimePoint deadline);
// Kills (SIGKILL) and reaps children still running: the error path.
void kill_children(std::vector<Child>& children);

}  // namespace dnspush::bench
