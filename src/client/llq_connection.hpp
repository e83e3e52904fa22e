// LlqConnection: drives one LlqClient (one LLQ, one question) over UDP on the caller's Asio
// executor (internal to client/).
//
// One UDP socket per LLQ, connect()ed to the server: the kernel then delivers only
// datagrams from that address and port (what RFC 8764 and Apple's client require of LLQ
// answers and events), and a closed port comes back at once as ECONNREFUSED (ICMP port
// unreachable) instead of three silent retransmissions. One socket per LLQ costs a file
// descriptor each, which is fine for the handful of questions a CLI or an application
// watches; sharing one port for every LLQ to a server (as Apple's client does) would need
// demultiplexing by LLQ-ID and message ID and is left for when many LLQs are wanted.
//
// Endpoints are tried in order (the SRV targets' addresses, RFC 2782 order): a setup that
// gets no answer, or a refused port, before the LLQ was ever established moves on to the
// next; after the last the LLQ's kFailed status goes to the sink.
//
// Threading: everything on the executor's thread. Lifetime: shared; the coroutines keep it
// alive until stop() (which sends the cancel, RFC 8764 §7).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/llq_client.hpp"
#include "client/net.hpp"
#include "io/asio.hpp"

namespace dnspush::client {

struct LlqTarget {
  std::string name;  // for messages ("llq.example.test.")
  std::uint16_t port = 5352;
  std::vector<std::string> addresses;
};

class LlqConnection : public std::enable_shared_from_this<LlqConnection> {
 public:
  using EventSink = std::function<void(const LlqEvent&)>;

  LlqConnection(asio::any_io_executor ex, std::vector<LlqTarget> targets, Question q,
                RecordSet* set, LlqClientConfig cfg, EventSink events);

  void start();
  // Cancels the LLQ (lease 0) and closes; no event after this.
  void stop();
  // The complete answer after a kTruncated status.
  void full_answer(std::span<const wire::Record> records);
  // "127.0.0.1:5352 (llq.example.test.)", the endpoint in use.
  std::string describe() const;

 private:
  struct Endpoint {
    net::Endpoint ep;
    std::string name;
  };
  bool open_next();
  asio::awaitable<void> read_loop(std::shared_ptr<asio::ip::udp::socket> sock);
  asio::awaitable<void> timer_loop();
  void pump();
  void next_endpoint_or_fail(const std::string& why);

  asio::any_io_executor ex_;
  std::vector<Endpoint> endpoints_;
  std::size_t current_ = 0;
  Question q_;
  RecordSet* set_;
  LlqClientConfig cfg_;
  EventSink events_;
  std::unique_ptr<LlqClient> client_;
  std::shared_ptr<asio::ip::udp::socket> sock_;
  asio::steady_timer timer_;
  bool stopped_ = false;
  bool ever_established_ = false;
  std::string tried_;  // why earlier endpoints failed, for the final message
};

}  // namespace dnspush::client
