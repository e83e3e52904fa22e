// One event loop on its own thread, for work that is not a listener: dnspushd's zone
// writer (UPDATE batches, journal, compaction, write-back timers) and its NOTIFY-out UDP
// socket (RFC 1996). No Asio in this header: server/ uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "io/endpoint.hpp"

namespace asio {
class io_context;
}  // namespace asio

namespace dnspush::io {

class Loop {
 public:
  using Task = std::function<void()>;
  using DatagramHandler = std::function<void(const Endpoint& from, std::span<const std::uint8_t>)>;
  using TimerId = std::uint64_t;

  Loop();
  ~Loop();  // stops
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void start();  // runs the loop on its own thread
  // Closes the sockets, drops every task not run yet and joins the thread; idempotent.
  void stop();
  // Whether the caller is the loop's thread.
  bool on_loop_thread() const;

  // Runs `t` on the loop's thread (dropped after stop()). Any thread may call it.
  void post(Task t);
  // Runs `t` on the loop's thread at `at` unless cancelled first. Loop thread only.
  TimerId schedule(std::chrono::steady_clock::time_point at, Task t);
  void cancel(TimerId id);

  // Opens a UDP socket on an ephemeral port for each address family that works
  // (0.0.0.0:0 and [::]:0); datagrams arrive at `h` on the loop's thread. Call before
  // start().
  Result<void> open_udp(DatagramHandler h);
  // Sends a datagram from the matching family's socket (loop thread only). Errors are
  // dropped: UDP senders retry by design (RFC 1996 §3.6).
  void send_udp(const Endpoint& to, std::span<const std::uint8_t> bytes);

  // The loop's Asio context, for io/'s own clients on this thread (tcp_exchange.hpp).
  asio::io_context& context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::io
