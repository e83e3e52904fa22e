// dnspush::client::Client: live DNS answers for an application. Subscribe to a (name,
// type, class) and get the current records, then every change, as add/remove events,
// through a callback or an awaitable stream; read the current answer set at any time;
// unsubscribe. How the answers are kept live is chosen per protocol (Protocol):
//
//   push  DNS Push (RFC 8765): discovery (RFC 8765 §6.1) finds the zone's push server,
//         one DSO session per server carries every subscription to it, reconnects with
//         back-off and reconciles the cache (push_channel.hpp, record_set.hpp).
//   poll  ordinary queries to the resolver, at RFC 8765 §6.1's interval (backoff.hpp).
//   llq   Long-Lived Queries (RFC 8764): discovery of `_dns-llq._udp.<zone>` (or an
//         explicit llq_server), one LLQ per subscription over its own UDP socket, setup
//         with retransmissions, events acknowledged, refresh at 80% of the lease, and the
//         same cache and reconciliation as push (llq_client.hpp, llq_connection.hpp).
//   auto  push where the zone has a push server that answers; else LLQ where it has an
//         LLQ server that answers; polling otherwise.
//
// TLS: the system trust store or a CA file, SNI and the certificate name checked against
// the SRV target, TLS 1.2 or newer, session resumption; DANE (RFC 7673) where the
// resolver authenticates (AD) the SRV and TLSA answers. `insecure` skips certificate
// checks (for tests; the CLI says so on stderr).
//
// Threading: a Client runs on the caller's io_context; every member is called on that
// context's thread, and callbacks run there. ClientThread runs one on its own thread.
// The io_context needs ASIO_SEPARATE_COMPILATION like io/ (the dnspush::io library
// provides Asio's implementation).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/config_files.hpp"
#include "client/llq_client.hpp"
#include "client/push_channel.hpp"
#include "client/question.hpp"
#include "client/record_set.hpp"
#include "client/resolver.hpp"
#include "io/asio.hpp"

namespace dnspush::client {

enum class Protocol : std::uint8_t { kPush, kLlq, kPoll, kAuto };
std::string_view to_text(Protocol p);
std::optional<Protocol> protocol_from_text(std::string_view s);

// Why a subscription failed, for callers that map failures to exit codes.
enum class FailureKind : std::uint8_t {
  kNoServer,     // discovery found no zone, or no push (LLQ) server with protocol push (llq)
  kConnect,      // the push or LLQ server could not be reached
  kTlsVerify,    // its certificate (or DANE) did not verify
  kRefused,      // SUBSCRIBE refused (REFUSED)
  kNotAuth,      // NOTAUTH: the server is not authoritative for the name
  kRcode,        // another error RCODE
  kTimeout,      // the resolver, or the LLQ server, did not answer
  kUnavailable,  // the server does not do the protocol asked for: no DSO (push); STATIC,
                 // BAD-VERS or no LLQ option in the answer (llq)
};

struct Status {
  enum class Kind : std::uint8_t {
    kDiscovering,   // looking for the zone's servers
    kPushing,       // subscribed by DNS Push: changes arrive as they happen
    kLlq,           // live by LLQ (RFC 8764): changes arrive as events
    kPolling,       // polling the resolver (the fallback)
    kReconnecting,  // the push session (or the LLQ) was lost; records age until it is back
    kFailed,        // the subscription ended; `failure` says why
    kInfo,          // something a person may want to know (the server chosen, ...)
  };
  Kind kind = Kind::kInfo;
  std::string text;
  std::optional<FailureKind> failure;
};

struct ClientOptions {
  Protocol protocol = Protocol::kAuto;
  ResolverConfig resolver;
  // Skip discovery: the push server to use for every subscription. `tls_name` is the
  // name its certificate must carry (default: the host given).
  std::optional<ServerAddress> push_server;
  std::string tls_name;
  // Skip discovery for LLQ (protocol llq): the LLQ server to use for every subscription.
  std::optional<ServerAddress> llq_server;
  std::string ca_file;        // empty: the system trust store
  bool insecure = false;      // no certificate checks at all
  bool dane = true;           // use authenticated TLSA records (RFC 7673)
  Duration poll_interval{0};  // lower bound; RFC 8765 §6.1's TTL rule applies on top
  Duration connect_timeout = std::chrono::seconds(5);
  PushChannelConfig push;
  LlqClientConfig llq;
  std::size_t max_records = RecordSet::kDefaultMaxRecords;  // per subscription
};

using EventCallback = std::function<void(const RecordEvent&)>;
using StatusCallback = std::function<void(const Status&)>;

// One item of an EventStream.
struct StreamItem {
  enum class Kind : std::uint8_t {
    kEvent,   // `event`
    kStatus,  // `status`
    kReset,   // the consumer fell behind (the stream's bound): forget what you have; the
              // current records follow as kEvent adds
  };
  Kind kind = Kind::kEvent;
  RecordEvent event;
  Status status;
};

class Client;

// Events of one subscription as an awaitable sequence. Bounded: past `max_queued`
// unread items the queue is replaced by kReset and the current records, so a slow
// consumer costs memory proportional to the answer set, never to the change rate.
class EventStream {
 public:
  // The next item; nullopt once the subscription has ended (unsubscribed, failed or the
  // client stopped) and everything was read.
  asio::awaitable<std::optional<StreamItem>> next();
  SubscriptionId id() const { return id_; }

 private:
  friend class Client;
  EventStream(asio::any_io_executor ex, std::size_t max_queued);
  void push(StreamItem item, const std::function<std::vector<wire::Record>()>& snapshot);
  void close();
  SubscriptionId id_ = 0;
  std::deque<StreamItem> items_;
  std::size_t max_;
  bool closed_ = false;
  asio::steady_timer ready_;
};

class Client {
 public:
  Client(asio::io_context& ctx, ClientOptions options);
  ~Client();  // stop()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts keeping `q` live. `on_event` gets every add/remove (the current records
  // first, as adds); `on_status` how (push, poll) and failures. Never blocks.
  SubscriptionId subscribe(const Question& q, EventCallback on_event,
                           StatusCallback on_status = {});
  // The same as an awaitable stream.
  std::shared_ptr<EventStream> subscribe_stream(const Question& q, std::size_t max_queued = 4096);
  // The current answer set (empty for an unknown id).
  std::vector<wire::Record> answers(SubscriptionId id) const;
  // Stops it (UNSUBSCRIBE, RFC 8765 §6.4); no callback after this returns.
  void unsubscribe(SubscriptionId id);
  // Ends every subscription and connection; the io_context then runs out of work.
  void stop();

  Resolver& resolver();
  asio::any_io_executor executor() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A Client on its own thread, for applications without an io_context. Callbacks run on
// that thread; the calls here may come from any thread.
class ClientThread {
 public:
  explicit ClientThread(ClientOptions options);
  ~ClientThread();  // stops the client and joins the thread

  SubscriptionId subscribe(const Question& q, EventCallback on_event,
                           StatusCallback on_status = {});
  std::vector<wire::Record> answers(SubscriptionId id);
  void unsubscribe(SubscriptionId id);

 private:
  asio::io_context ctx_;
  std::unique_ptr<Client> client_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace dnspush::client
