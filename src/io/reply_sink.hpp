// How a query's Reply reaches the io layer (internal to io/): the completion kinds, a sink
// base that keeps a completion made during the handler call (the common, synchronous case:
// no post, answers stay in order) and hands later ones to `deliver`, and the guarded call
// of the handler.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "auth/query_context.hpp"
#include "io/asio.hpp"
#include "io/server.hpp"

namespace dnspush::io::detail {

// What a Reply was completed with.
using Completion = std::variant<std::monostate, std::vector<std::uint8_t>, MessageStream>;

class SinkBase : public Reply::Sink {
 public:
  void complete(std::vector<std::uint8_t> answer) override { finish(std::move(answer)); }
  void complete_stream(MessageStream s) override { finish(std::move(s)); }
  void complete_none() override { finish(std::monostate{}); }
  // Called by the io layer right after the handler returned: the completion made
  // during the call, or nullopt when the reply is still pending.
  std::optional<Completion> end_call() {
    std::lock_guard lock(m_);
    in_call_ = false;
    return std::exchange(immediate_, std::nullopt);
  }

 protected:
  virtual void deliver(Completion c) = 0;  // asynchronous completion

 private:
  void finish(Completion c) {
    {
      std::lock_guard lock(m_);
      if (in_call_) {
        immediate_ = std::move(c);
        return;
      }
    }
    deliver(std::move(c));
  }
  std::mutex m_;
  bool in_call_ = true;
  std::optional<Completion> immediate_;
};

// Calls the handler, turning an exception into "no answer" so that one bad query never
// takes a worker down.
void call_handler(const AsyncHandler& h, std::span<const std::uint8_t> query,
                  const auth::QueryContext& ctx, Reply reply);
// Wraps a synchronous handler.
AsyncHandler make_async(Handler h);

auth::ClientAddress client_address(const asio::ip::address& a, std::uint16_t port);

}  // namespace dnspush::io::detail
