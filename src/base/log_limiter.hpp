// Keeps what a peer can trigger from flooding the log (DESIGN.md "bounded everything"): one
// LogLimiter per reason lets at most `per_second` lines through each second and counts the
// rest, which the next line that passes reports. UDP sources can be spoofed, so every
// per-request log line (a bad TSIG, a refused UPDATE or transfer) goes through one.
// Thread-safe (a small mutex: only the logging path takes it); time is passed in.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "base/time.hpp"

namespace dnspush {

class LogLimiter {
 public:
  explicit LogLimiter(std::uint32_t per_second = 5) : per_second_(per_second) {}

  // True when this event may be logged now; `suppressed` is then the number of events of
  // this reason that were not logged since the last line that was.
  bool allow(TimePoint now, std::uint64_t& suppressed) {
    std::lock_guard lock(m_);
    ++total_;
    if (now - window_ >= std::chrono::seconds(1) || now < window_) {
      window_ = now;
      in_window_ = 0;
    }
    if (in_window_ >= per_second_) {
      ++suppressed_;
      return false;
    }
    ++in_window_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

  // Every event seen, logged or not (for metrics).
  std::uint64_t total() const {
    std::lock_guard lock(m_);
    return total_;
  }

 private:
  const std::uint32_t per_second_;
  mutable std::mutex m_;
  TimePoint window_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_ = 0;
  std::uint64_t total_ = 0;
};

// A suffix for a line that passed: "" or " (N similar suppressed)".
inline std::string suppressed_note(std::uint64_t n) {
  return n == 0 ? std::string() : " (" + std::to_string(n) + " similar suppressed)";
}

}  // namespace dnspush
