// The subscribing side of the DNS Push load generator: one process's share of the N TLS
// sessions, each a client-role dso::Session (Keepalive, then its SUBSCRIBEs pipelined,
// keepalive kept by the session) on OpenSSL driven on the socket's fd, all on one Asio
// io_context (one thread). Every PUSH is decoded with push::parse_push_message; an added
// TXT record at the watched name carries the steady-clock nanoseconds at which the
// updater sent its UPDATE, so each receipt is one latency sample (steady_clock is
// CLOCK_MONOTONIC, one clock for every process on the machine).
//
// Bounds: sessions and subscriptions are what the command line asks for; connection
// attempts in flight are at most `connect_window`; samples grow by one per watched change
// per session (the run decides how many changes there are).
#pragma once

#include <cstdlib>  // before Asio: it picks aligned_alloc from libstdc++ macros (io/asio.hpp)

#include <asio.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "push/tlv.hpp"
#include "wire/name.hpp"

struct ssl_ctx_st;

namespace dnspush::bench {

struct SubscriberConfig {
  asio::ip::tcp::endpoint server;
  // Local addresses to bind before connect (127.0.0.x): session i of this process uses
  // sources[i / per_source], so no address holds more than the server's per-address limit.
  std::vector<asio::ip::address> sources;
  std::size_t per_source = 900;
  std::size_t sessions = 0;
  std::size_t first_session = 0;  // global index of this process's first session
  // Subscriptions per session: the first is (watched, TXT); the others are TXT at
  // extra-name(j) for distinct j < extra_names (names that need not exist: RFC 8765 §6.2
  // lets one subscribe to a name before it has records).
  std::size_t subscriptions = 1;
  wire::Name watched;
  wire::Name extra_parent;
  std::size_t extra_names = 100;
  std::size_t connect_window = 64;
  ssl_ctx_st* tls = nullptr;
};

// One receipt of a watched change.
struct Sample {
  std::int64_t stamp_ns = 0;     // the TXT: steady clock when the updater built the UPDATE
  std::int64_t received_ns = 0;  // steady clock after the TLS read that completed it
  // steady clock at which the kernel received the last segment of that read: when the
  // server's write reached this socket (0: no kernel timestamp)
  std::int64_t arrived_ns = 0;
};

struct PoolCounters {
  std::size_t ready = 0;       // sessions with every SUBSCRIBE answered NOERROR
  std::size_t failed = 0;      // connect/TLS/refused/closed before ready
  std::size_t lost = 0;        // closed by the server after ready
  std::size_t subscribed = 0;  // SUBSCRIBEs answered NOERROR
  std::size_t refused = 0;     // SUBSCRIBEs answered otherwise
  std::uint64_t push_messages = 0;
  std::uint64_t bad_push = 0;   // PUSH messages that did not parse
  std::uint64_t wire_read = 0;  // TLS ciphertext bytes, all sessions, so far
  std::uint64_t wire_written = 0;
  std::string first_error;
};

class Connection;

class SubscriberPool {
 public:
  SubscriberPool(asio::io_context& ctx, SubscriberConfig cfg);
  ~SubscriberPool();

  // Starts connecting; `settled` runs once every session is ready or has failed.
  void start(std::function<void()> settled);
  PoolCounters counters() const;
  const std::vector<Sample>& samples() const { return samples_; }

  // ---- for Connection --------------------------------------------------------------------
  asio::io_context& ctx() { return ctx_; }
  const SubscriberConfig& config() const { return cfg_; }
  std::span<std::uint8_t> read_buffer() { return buf_; }
  std::vector<push::Subscribe> subscriptions_of(std::size_t local_index) const;
  void on_push(std::span<const std::uint8_t> message, TimePoint received, std::int64_t arrived_ns);
  void on_ready(Connection& c);
  void on_failed(Connection& c, const std::string& why, bool after_ready);
  void note_subscribe(bool ok) { ++(ok ? counters_.subscribed : counters_.refused); }

 private:
  void launch_more();
  void tick();
  void check_settled();

  asio::io_context& ctx_;
  SubscriberConfig cfg_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::uint8_t> buf_;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::function<void()> settled_;
  bool settled_called_ = false;
  asio::steady_timer timer_;
  PoolCounters counters_;
  std::vector<Sample> samples_;
};

}  // namespace dnspush::bench
