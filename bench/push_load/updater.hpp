// The change source of the DNS Push load generator: TSIG-signed DNS UPDATEs (RFC 2136,
// RFC 8945) over UDP that replace the TXT RRset of the watched name with one record
// whose text is the steady-clock nanoseconds at sending, so every subscriber computes
// UPDATE->PUSH latency without coordination. Answers are read as they come, their RCODE
// counted and their UPDATE->answer time kept. Blocking POSIX socket with poll(): it runs
// in the generator's parent process, which has nothing else to do meanwhile.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "wire/name.hpp"
#include "wire/tsig.hpp"

namespace dnspush::bench {

struct UpdaterConfig {
  sockaddr_in server{};
  wire::Name zone;
  wire::Name watched;
  wire::TsigKey key;
  std::uint32_t ttl = 60;
};

// One change: the stamp it carries (taken before the UPDATE is built and signed) and when
// its datagram left (after send returned). Latency is measured from `sent_ns`.
struct SentChange {
  std::int64_t stamp_ns = 0;
  std::int64_t sent_ns = 0;
};

struct UpdateCounters {
  std::size_t sent = 0;
  std::size_t noerror = 0;
  std::size_t other_rcode = 0;          // answered, but not NOERROR
  std::string first_error;              // e.g. "NOTAUTH"
  std::vector<std::int64_t> answer_ns;  // UPDATE sent -> answer received, per answer
  std::vector<std::int64_t> build_ns;   // stamp taken -> datagram sent (build, sign, send)
  std::vector<std::int64_t> sign_ns;    // of which tsig_sign_request
  std::vector<std::int64_t> send_ns;    // of which send(2)
};

class Updater {
 public:
  explicit Updater(UpdaterConfig cfg);
  ~Updater();
  Updater(const Updater&) = delete;
  Updater& operator=(const Updater&) = delete;

  Result<void> open();
  // Sends one change now.
  Result<SentChange> send_change();
  // Reads answers until `until` (or until none is outstanding when `until_done`).
  void pump(TimePoint until, bool until_done = false);
  // Sends `count` changes at `rate` per second (the first at once), reading answers
  // between them; returns what was sent.
  std::vector<SentChange> run(std::size_t count, double rate);
  std::size_t outstanding() const { return pending_.size(); }
  const UpdateCounters& counters() const { return c_; }

 private:
  void read_answers();

  UpdaterConfig cfg_;
  int fd_ = -1;
  std::uint16_t next_id_ = 1;
  std::unordered_map<std::uint16_t, std::int64_t> pending_;  // id -> sent ns
  UpdateCounters c_;
};

}  // namespace dnspush::bench
