// What the server plugs into the stream connections of one io worker besides the query
// handler: the application side of DSO (RFC 8490), i.e. DNS Push (RFC 8765). io/ drives
// every connection's dso::Session; the session hands application TLVs (SUBSCRIBE,
// UNSUBSCRIBE, RECONFIRM) to the worker's SessionApp, and the app reaches its sessions
// back through the worker's WorkerLink. Everything here runs on that worker's thread
// only, so an app owns its state (a subscription index) outright, without locks. No Asio
// in this header: server/ never sees it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "auth/query_context.hpp"
#include "base/time.hpp"
#include "dso/event.hpp"
#include "dso/session.hpp"

namespace dnspush::io {

// Unique per server (never reused) for the lifetime of the process.
using ConnectionId = std::uint64_t;

struct ConnectionInfo {
  ConnectionId id = 0;
  unsigned worker = 0;
  auth::Transport transport = auth::Transport::kTcp;
  auth::ClientAddress peer;
  bool tls_resumed = false;      // a resumed TLS session (it starts with no subscriptions)
  bool tls_own_records = false;  // TLS 1.3 records handled by io/tls13_records, not OpenSSL
};

// A UDP datagram's return path (LLQ, RFC 8764): who sent it, to which of our addresses
// (answers and later datagrams leave from it: Apple's client drops anything else) and on
// which of the worker's UDP sockets.
struct DatagramPeer {
  auth::ClientAddress client;
  bool has_local = false;  // the socket is bound to a wildcard address: `local` says which
  bool local_v6 = false;
  std::array<std::uint8_t, 16> local{};
  std::uint16_t socket = 0;  // the worker's UDP socket index
  // Nonzero: not a datagram but a message on this stream connection of the worker
  // (ServerOptions::stream_option); answers go back on it, as do later sends.
  ConnectionId stream = 0;
};

enum class DatagramDisposition : std::uint8_t {
  kAnswer,    // `out` holds the answer
  kNoAnswer,  // consumed, nothing to send
  kNotMine,   // an ordinary query: the fast path and the handler answer it
};

// The datagram side of a worker's app: every datagram on a datagram-only socket
// (ServerOptions::llq) and those on the DNS sockets that carry the EDNS option
// ServerOptions::datagram_option. Runs on the worker's thread.
class DatagramApp {
 public:
  virtual ~DatagramApp() = default;
  virtual DatagramDisposition on_datagram(std::span<const std::uint8_t> bytes,
                                          const DatagramPeer& from, TimePoint now,
                                          std::vector<std::uint8_t>& out) = 0;
  // The time given to WorkerLink::schedule_datagram_timer has come.
  virtual void on_datagram_timer(TimePoint now) = 0;
};

// A worker's side of its connections, for its SessionApp.
class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  virtual unsigned index() const = 0;
  // Queues a unidirectional DSO message (a PUSH) on connection `id` of this worker and
  // starts writing it. False when the connection is gone, has no DSO session, or was
  // closed for it (a slow reader past its queue bound: dso::CloseReason::kSlowReader).
  virtual bool send_unidirectional(ConnectionId id, const dso::Frame& frame) = 0;
  // Between these two, sends to many connections may go to the kernel together (one
  // system call for a slice of a fan-out: io/send_batch.hpp); end_send_batch() has them
  // all sent. Nothing changes for the caller: order and backpressure stay per connection.
  virtual void begin_send_batch() {}
  virtual void end_send_batch() {}
  // The number of long-lived operations (subscriptions) a connection serves: it keeps
  // the session active (RFC 8490 §6.3) and shields it from eviction at the connection
  // limit. False when the connection is gone.
  virtual bool set_long_lived(ConnectionId id, std::size_t active) = 0;
  // Runs `task` on this worker after what is already queued there (queries, replies): a
  // long job (a fan-out to thousands of sessions) done in slices lets them through.
  virtual void defer(std::function<void()> task) = 0;
  // Sends one datagram to `to` from the address and socket it names. False when it
  // cannot go now (the socket is gone or its buffer is full: UDP, the sender retries).
  // With to.stream set: one unsolicited DNS response on that stream connection, under
  // its write queue's bound (false: the connection is gone or was closed for it).
  virtual bool send_datagram(const DatagramPeer& to, std::span<const std::uint8_t> bytes) = 0;
  // One timer for the DatagramApp: on_datagram_timer() is called at `at` (or soon after);
  // a later call replaces the time.
  virtual void schedule_datagram_timer(TimePoint at) = 0;
};

class SessionApp {
 public:
  virtual ~SessionApp() = default;
  // A DSO request with one of the app's Primary TLVs: answer it with session.respond()
  // (possibly after queueing nothing else), or abort the session.
  virtual void on_request(const ConnectionInfo& c, dso::Session& session,
                          const dso::RequestEvent& ev, TimePoint now) = 0;
  virtual void on_unidirectional(const ConnectionInfo& c, dso::Session& session,
                                 const dso::UnidirectionalEvent& ev, TimePoint now) = 0;
  // The connection ended (after its ClosedEvent); forget everything about it.
  virtual void on_closed(const ConnectionInfo& c) = 0;
  // The app's datagram side, if it has one (LLQ).
  virtual DatagramApp* datagram_app() { return nullptr; }
};

// Called once per worker when the server is created; the link outlives the app.
using SessionAppFactory = std::function<std::unique_ptr<SessionApp>(WorkerLink& link)>;

}  // namespace dnspush::io
