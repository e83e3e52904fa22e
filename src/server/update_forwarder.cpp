#include "server/update_forwarder.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>

#include "base/log_limiter.hpp"
#include "io/tcp_exchange.hpp"
#include "wire/message.hpp"

namespace dnspush::server {

namespace {
LogLimiter forward_log;
}  // namespace

struct UpdateForwarder::Impl : std::enable_shared_from_this<UpdateForwarder::Impl> {
  struct Forward {
    std::vector<io::Endpoint> primaries;
    std::size_t next = 0;  // the primary to try next
    std::vector<std::uint8_t> update;
    std::vector<std::uint8_t> servfail;
    io::Reply reply;
    std::uint16_t client_id = 0, our_id = 0;
    std::shared_ptr<io::TcpExchange> exchange;
    std::optional<io::Loop::TimerId> timer;
  };

  Impl(io::Loop& l, std::size_t m, std::chrono::milliseconds t)
      : loop(l), max_in_flight(m), timeout(t) {}

  io::Loop& loop;
  const std::size_t max_in_flight;
  Metrics* metrics = nullptr;
  const std::chrono::milliseconds timeout;
  std::mt19937 rng{std::random_device{}()};
  std::map<std::uint64_t, Forward> active;  // loop thread only
  std::uint64_t next_key = 1;
  std::atomic<std::size_t> count{0};
  std::atomic<bool> stopped{false};

  void begin(Forward f);
  void try_next(std::uint64_t key);
  void finish(std::uint64_t key, std::vector<std::uint8_t> answer, bool cancel_timer = true);
};

UpdateForwarder::UpdateForwarder(io::Loop& loop, std::size_t max_in_flight,
                                 std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>(loop, max_in_flight, timeout)) {}

UpdateForwarder::~UpdateForwarder() {
  stop();
}

std::size_t UpdateForwarder::in_flight() const {
  return impl_->count.load();
}

void UpdateForwarder::set_metrics(Metrics* m) {
  impl_->metrics = m;
}

void UpdateForwarder::forward(std::vector<io::Endpoint> primaries, std::vector<std::uint8_t> update,
                              std::vector<std::uint8_t> servfail, io::Reply reply) {
  if (update.size() < wire::kHeaderSize || primaries.empty() || impl_->stopped) {
    reply.send(std::move(servfail));
    return;
  }
  // DESIGN.md "bounded everything": past the bound the client hears SERVFAIL at once.
  if (impl_->count.fetch_add(1) >= impl_->max_in_flight) {
    impl_->count.fetch_sub(1);
    if (impl_->metrics) {
      impl_->metrics->add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kForwardedUpdates));
    }
    std::uint64_t suppressed = 0;
    if (forward_log.allow(Clock::now(), suppressed)) {
      spdlog::warn("UPDATE forwarding: {} in flight, answering SERVFAIL{}", impl_->max_in_flight,
                   suppressed_note(suppressed));
    }
    reply.send(std::move(servfail));
    return;
  }
  Impl::Forward f;
  f.primaries = std::move(primaries);
  f.update = std::move(update);
  f.servfail = std::move(servfail);
  f.reply = std::move(reply);
  auto impl = impl_;
  auto shared = std::make_shared<Impl::Forward>(std::move(f));
  impl_->loop.post([impl, shared] { impl->begin(std::move(*shared)); });
  // A post after the loop stopped is dropped: the Reply then drops too (no answer), as
  // for any request in flight at shutdown.
}

void UpdateForwarder::Impl::begin(Forward f) {
  if (stopped) {
    f.reply.send(std::move(f.servfail));
    count.fetch_sub(1);
    return;
  }
  const std::uint64_t key = next_key++;
  // RFC 2136 §6: "allocate a new ID"; the requestor's goes back into the answer.
  f.client_id = static_cast<std::uint16_t>((f.update[0] << 8) | f.update[1]);
  f.our_id = static_cast<std::uint16_t>(rng());
  f.update[0] = static_cast<std::uint8_t>(f.our_id >> 8);
  f.update[1] = static_cast<std::uint8_t>(f.our_id);
  auto self = shared_from_this();
  f.timer = loop.schedule(Clock::now() + timeout, [self, key] {
    auto it = self->active.find(key);
    if (it == self->active.end()) return;
    it->second.timer.reset();
    std::uint64_t suppressed = 0;
    if (forward_log.allow(Clock::now(), suppressed)) {
      spdlog::warn(
          "UPDATE forwarding: no answer from the primary within {} ms, answering "
          "SERVFAIL{}",
          self->timeout.count(), suppressed_note(suppressed));
    }
    auto servfail = it->second.servfail;
    self->finish(key, std::move(servfail), false);
  });
  active.emplace(key, std::move(f));
  try_next(key);
}

void UpdateForwarder::Impl::try_next(std::uint64_t key) {
  auto it = active.find(key);
  if (it == active.end()) return;
  Forward& f = it->second;
  if (f.next >= f.primaries.size()) {
    auto servfail = f.servfail;
    finish(key, std::move(servfail));
    return;
  }
  const io::Endpoint to = f.primaries[f.next++];
  auto self = shared_from_this();
  f.exchange = io::TcpExchange::start(
      loop, to, f.update,
      [self, key](std::span<const std::uint8_t> msg) {
        auto it = self->active.find(key);
        if (it == self->active.end()) return false;
        const auto h = wire::Header::peek(msg);
        // Only the answer to what we sent: our id, a response, opcode UPDATE.
        if (!h || h->id != it->second.our_id || !h->qr || h->opcode != wire::Opcode::UPDATE) {
          return true;
        }
        std::vector<std::uint8_t> answer(msg.begin(), msg.end());
        answer[0] = static_cast<std::uint8_t>(it->second.client_id >> 8);
        answer[1] = static_cast<std::uint8_t>(it->second.client_id);
        self->finish(key, std::move(answer));
        return false;
      },
      [self, key, to](Result<void> r) {
        if (r) return;  // answered (finish ran) or cancelled
        std::uint64_t suppressed = 0;
        if (forward_log.allow(Clock::now(), suppressed)) {
          spdlog::warn("UPDATE forwarding to {}: {}{}", to.to_string(), r.error().message,
                       suppressed_note(suppressed));
        }
        self->try_next(key);
      });
}

void UpdateForwarder::Impl::finish(std::uint64_t key, std::vector<std::uint8_t> answer,
                                   bool cancel_timer) {
  auto it = active.find(key);
  if (it == active.end()) return;
  Forward f = std::move(it->second);
  active.erase(it);
  if (cancel_timer && f.timer) loop.cancel(*f.timer);
  if (f.exchange) f.exchange->cancel();
  f.reply.send(std::move(answer));
  count.fetch_sub(1);
}

void UpdateForwarder::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  // The loop has stopped (or this is its thread): nothing else touches `active`.
  while (!impl_->active.empty()) {
    auto& f = impl_->active.begin()->second;
    auto servfail = f.servfail;
    f.timer.reset();  // the loop's timers are gone with it
    impl_->finish(impl_->active.begin()->first, std::move(servfail), false);
  }
}

}  // namespace dnspush::server
