#include "proc_stats.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dnspush::bench {

std::optional<ProcMemory> read_memory(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  if (!f) return std::nullopt;
  ProcMemory m;
  std::string key;
  std::uint64_t value = 0;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    if (!(in >> key >> value)) continue;
    if (key == "VmRSS:") m.rss_kib = value;
    if (key == "RssAnon:") m.rss_anon_kib = value;
    if (key == "RssFile:") m.rss_file_kib = value;
    if (key == "VmHWM:") m.hwm_kib = value;
  }
  return m;
}

std::optional<double> read_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!f || !std::getline(f, all)) return std::nullopt;
  // proc(5): the command name is in parentheses and may hold spaces; fields 14 and 15
  // (utime, stime, in clock ticks) count from after its closing parenthesis.
  const auto close = all.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(all.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<double> read_sched_cpu_seconds(pid_t pid) {
  std::error_code ec;
  std::uint64_t ns = 0;
  bool any = false;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::ifstream f(it->path() / "schedstat");
    std::uint64_t run = 0;
    if (f >> run) {
      ns += run;
      any = true;
    }
  }
  if (ec || !any) return std::nullopt;
  return static_cast<double>(ns) / 1e9;
}

std::optional<std::size_t> count_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  if (ec) return std::nullopt;
  return n;
}

std::optional<std::uint64_t> tcp_socket_memory_kib() {
  std::ifstream f("/proc/net/sockstat");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("TCP:", 0) != 0) continue;
    std::istringstream in(line);
    std::string word;
    while (in >> word) {
      std::uint64_t pages = 0;
      if (word == "mem" && in >> pages) {
        return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
      }
    }
  }
  return std::nullopt;
}

std::int64_t percentile(std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(std::max(rank, 1.0)) - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

}  // namespace dnspush::bench
