// What the generator reads about the server process from /proc (Linux): resident memory
// (/proc/<pid>/status), CPU time (utime + stime of /proc/<pid>/stat), open descriptors,
// and the kernel's TCP socket memory (/proc/net/sockstat, outside any process's RSS).
// Plus the latency arithmetic the report needs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace dnspush::bench {

struct ProcMemory {
  std::uint64_t rss_kib = 0;       // VmRSS
  std::uint64_t rss_anon_kib = 0;  // RssAnon: heap and stacks
  std::uint64_t rss_file_kib = 0;  // RssFile: mapped files (binary, libraries, LMDB)
  std::uint64_t hwm_kib = 0;       // VmHWM: peak RSS
};

std::optional<ProcMemory> read_memory(pid_t pid);
// utime + stime in seconds (clock ticks: 10 ms resolution).
std::optional<double> read_cpu_seconds(pid_t pid);
// The same from the scheduler's own accounting in nanoseconds: the first field of
// /proc/<pid>/task/<tid>/schedstat summed over the threads alive now.
std::optional<double> read_sched_cpu_seconds(pid_t pid);
std::optional<std::size_t> count_fds(pid_t pid);
// The "TCP: ... mem N" of /proc/net/sockstat, in KiB (the kernel counts pages).
std::optional<std::uint64_t> tcp_socket_memory_kib();

// Nearest-rank percentile (p in [0, 100]) of an unsorted sample; 0 when empty.
std::int64_t percentile(std::vector<std::int64_t>& v, double p);

}  // namespace dnspush::bench
