// One DNS-over-TCP or DNS-over-TLS connection (RFC 7766, RFC 7858), internal to io/: the
// socket and its TLS state, driven without coroutines by readiness callbacks, around one
// dso::Session that holds every protocol rule (framing, pipelining, RFC 7766 idle and
// per-message timeouts, DSO once established, transmit queue bound). The connection reads
// while the session wants input, hands each event on (queries to the handler, DSO
// application TLVs to the worker's SessionApp), writes what the session queues, and arms
// the worker's TimerQueue at the session's next deadline: one object, one timer entry and
// at most two pending readiness waits per connection, nothing when idle but the wait for
// input. An idle connection holds no buffer: reads go into the worker's shared buffer.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "auth/query_context.hpp"
#include "dso/session.hpp"
#include "io/reply_sink.hpp"
#include "io/server.hpp"
#include "io/transport.hpp"
#include "io/worker.hpp"

namespace dnspush::io::detail {

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  StreamConnection(Worker& w, ConnectionId id, asio::ip::tcp::socket s, bool tls,
                   auth::ClientAddress peer, ConnectionLimiter::Ticket ticket);
  ~StreamConnection();

  void start();
  ConnectionId id() const { return info_.id; }
  const ConnectionInfo& info() const { return info_; }

  void on_timer(TimePoint now);
  // A Reply completed after the handler returned (posted to this worker).
  void deliver(dso::QueryToken token, Completion c);
  bool send_unidirectional(const dso::Frame& f);
  bool send_unsolicited(std::span<const std::uint8_t> msg);
  void set_long_lived(std::size_t active);
  // Closed for room at the connection limit.
  void evict();
  // Graceful server shutdown: Retry Delay for a DSO session, else close after answers.
  void drain(std::chrono::milliseconds retry_delay);
  // Whether closing it to make room is fair: not a DSO session serving subscriptions.
  bool evictable() const { return long_lived_ == 0; }
  ConnectionSummary summary() const;
  // The operator closed it (control tool): abortive for a DSO session, after its answers.
  void close_by_operator();

 private:
  friend class Worker;  // keeps lru_/in_lru_: no map lookup per message
  class Sink;
  void service();
  void run_once(TimePoint now);
  bool do_handshake(TimePoint now);
  void do_read(TimePoint now);
  void do_write(TimePoint now);
  void fill_stream(TimePoint now);
  void handle(dso::Event& ev, TimePoint now);
  void handle_query(const dso::QueryEvent& q, TimePoint now);
  void complete(dso::QueryToken token, Completion c, TimePoint now);
  void answer(dso::QueryToken token, dso::Frame f, TimePoint now);
  void finish_close(bool abortive);
  void arm();
  void count(Counter c, std::size_t label = 0);
  dso::SessionConfig session_config() const;

  Worker& w_;
  ConnectionInfo info_;
  Transport t_;
  std::optional<dso::Session> session_;
  std::optional<ConnectionLimiter::Ticket> ticket_;
  auth::QueryContext qctx_;

  // Output being written: length-prefixed frames, from woff_. With TLS a write that would
  // block is retried with the same length (wretry_).
  std::vector<std::uint8_t> wbuf_;
  std::size_t woff_ = 0;
  std::size_t wretry_ = 0;

  // The multi-message answer being sent (AXFR/IXFR); while it lasts the session reads
  // nothing more, so pipelined transfers wait in the socket, not in memory.
  struct Stream {
    dso::QueryToken token;
    MessageStream next;
  };
  std::optional<Stream> stream_;

  TimePoint handshake_deadline_{};
  std::optional<TimePoint> timer_at_;  // the deadline queued in the worker's TimerQueue
  std::size_t long_lived_ = 0;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool need_read_ = false;   // the last transport call wants the socket readable
  bool need_write_ = false;  // ... or writable
  bool readable_ = true;     // false from a read that would block until the socket says so
  bool eof_ = false;
  bool in_service_ = false;
  bool again_ = false;
  bool closed_ = false;
  bool progress_ = false;  // a message moved in this service round (eviction LRU)
  bool in_lru_ = false;
  bool dso_open_ = false;                  // counted in Counter::kDsoSessions
  std::optional<CloseCause> close_cause_;  // the first reason seen, counted at close
  std::list<StreamConnection*>::iterator lru_;
};

}  // namespace dnspush::io::detail
