// PushConnection: drives one PushChannel over TCP + TLS on the caller's Asio executor
// (internal to client/). It connects when the channel asks, to the SRV targets in their
// order (RFC 8765 §6.1 step 7: on failure or refusal, the next one), each with SNI and
// the certificate checked against the target name (RFC 8765 §7.2), DANE when the target
// has authenticated TLSA records, and the previous TLS session offered for resumption
// (§7.4). Then it feeds the session bytes, writes its frames (several in one write),
// arms its timer, and hands the channel's events to the sink.
//
// Threading: everything on the executor's thread. Lifetime: shared; the coroutine keeps
// it alive until stop().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/net.hpp"
#include "client/push_channel.hpp"
#include "io/asio.hpp"
#include "io/tls_context.hpp"
#include "io/tls_stream.hpp"

namespace dnspush::client {

struct PushTarget {
  std::string name;  // SNI, certificate name, TLSA base domain
  std::uint16_t port = 853;
  std::vector<std::string> addresses;
  std::vector<io::TlsaRecord> tlsa;  // authenticated (RFC 7673); empty: no DANE
};

struct ConnectFailure {
  net::Failure failure = net::Failure::kUnreachable;
  std::string text;
  bool ever_established = false;
};

class PushConnection : public std::enable_shared_from_this<PushConnection> {
 public:
  using EventSink = std::function<void(const ChannelEvent&)>;
  using FailureSink = std::function<void(const ConnectFailure&)>;

  PushConnection(asio::any_io_executor ex, std::vector<PushTarget> targets,
                 std::shared_ptr<io::TlsContext> tls, PushChannelConfig cfg, EventSink events,
                 FailureSink failures, Duration connect_timeout);

  void start();
  void stop();
  void add(SubscriptionId id, RecordSet* set);
  void remove(SubscriptionId id);
  std::size_t subscriptions() const { return channel_.subscriptions(); }
  bool ever_established() const { return ever_established_; }
  // "push.example.test.:8530", the target in use (or first to try).
  std::string describe() const;
  // After a connection: how it was authenticated ("DANE", "certificate", "no check").
  const std::string& authentication() const { return auth_; }

 private:
  asio::awaitable<void> run();
  asio::awaitable<void> attempt();
  asio::awaitable<void> session(io::detail::TlsStream& s);
  void deliver();
  void wake();

  asio::any_io_executor ex_;
  std::vector<PushTarget> targets_;
  std::shared_ptr<io::TlsContext> tls_;
  PushChannel channel_;
  EventSink events_;
  FailureSink failures_;
  Duration connect_timeout_;
  asio::steady_timer timer_;
  io::TlsSessionPtr resume_;
  std::size_t resume_target_ = 0;
  std::size_t current_ = 0;
  bool stopped_ = false;
  bool running_ = false;
  bool ever_established_ = false;
  std::string auth_;
};

}  // namespace dnspush::client
