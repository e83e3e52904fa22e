#include "io/loop.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <thread>

#include "io/asio.hpp"

namespace dnspush::io {

using asio::ip::udp;

struct Loop::Impl {
  asio::io_context ctx{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{ctx.get_executor()};
  std::thread thread;
  std::thread::id thread_id;
  std::mutex m;  // guards `running` against post() racing stop()
  bool running = true;
  std::map<TimerId, std::unique_ptr<asio::steady_timer>> timers;
  TimerId next_timer = 1;
  std::unique_ptr<udp::socket> v4, v6;
  DatagramHandler on_datagram;

  asio::awaitable<void> receive(udp::socket& s) {
    std::vector<std::uint8_t> buf(65535);
    udp::endpoint from;
    for (;;) {
      auto [ec, n] = co_await s.async_receive_from(asio::buffer(buf), from, detail::kAsTuple);
      if (ec == asio::error::operation_aborted || !s.is_open()) co_return;
      if (ec) continue;
      Endpoint e;
      auto a = from.address();
      if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
      }
      e.address = a.to_string();
      e.v6 = a.is_v6();
      e.port = from.port();
      if (on_datagram) on_datagram(e, std::span(buf.data(), n));
    }
  }
};

Loop::Loop() : impl_(std::make_unique<Impl>()) {}

Loop::~Loop() {
  stop();
}

void Loop::start() {
  if (impl_->thread.joinable()) return;
  if (impl_->v4) asio::co_spawn(impl_->ctx, impl_->receive(*impl_->v4), asio::detached);
  if (impl_->v6) asio::co_spawn(impl_->ctx, impl_->receive(*impl_->v6), asio::detached);
  impl_->thread = std::thread([this] { impl_->ctx.run(); });
  impl_->thread_id = impl_->thread.get_id();
}

void Loop::stop() {
  {
    std::lock_guard lock(impl_->m);
    if (!impl_->running) return;
    impl_->running = false;
  }
  impl_->work.reset();
  impl_->ctx.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::error_code ignored;
  impl_->timers.clear();
  if (impl_->v4) impl_->v4->close(ignored);
  if (impl_->v6) impl_->v6->close(ignored);
}

bool Loop::on_loop_thread() const {
  return std::this_thread::get_id() == impl_->thread_id;
}

void Loop::post(Task t) {
  std::lock_guard lock(impl_->m);
  if (!impl_->running) return;
  asio::post(impl_->ctx, std::move(t));
}

Loop::TimerId Loop::schedule(std::chrono::steady_clock::time_point at, Task t) {
  const TimerId id = impl_->next_timer++;
  auto timer = std::make_unique<asio::steady_timer>(impl_->ctx, at);
  timer->async_wait([this, id, t = std::move(t)](std::error_code ec) {
    // Cancelled, or cancel() came after it expired but before this ran.
    if (ec || impl_->timers.erase(id) == 0) return;
    t();
  });
  impl_->timers.emplace(id, std::move(timer));
  return id;
}

void Loop::cancel(TimerId id) {
  auto it = impl_->timers.find(id);
  if (it == impl_->timers.end()) return;
  it->second->cancel();
  impl_->timers.erase(it);
}

asio::io_context& Loop::context() {
  return impl_->ctx;
}

Result<void> Loop::open_udp(DatagramHandler h) {
  impl_->on_datagram = std::move(h);
  std::error_code ec;
  auto v4 = std::make_unique<udp::socket>(impl_->ctx);
  v4->open(udp::v4(), ec);
  if (!ec) v4->bind(udp::endpoint(udp::v4(), 0), ec);
  if (!ec) impl_->v4 = std::move(v4);
  std::error_code ec6;
  auto v6 = std::make_unique<udp::socket>(impl_->ctx);
  v6->open(udp::v6(), ec6);
  if (!ec6) v6->set_option(asio::ip::v6_only(true), ec6);
  if (!ec6) v6->bind(udp::endpoint(udp::v6(), 0), ec6);
  if (!ec6) impl_->v6 = std::move(v6);
  if (!impl_->v4 && !impl_->v6) {
    return fail(Errc::kIo, "cannot open a UDP socket: " + ec.message());
  }
  return {};
}

void Loop::send_udp(const Endpoint& to, std::span<const std::uint8_t> bytes) {
  std::error_code ec;
  const auto addr = asio::ip::make_address(to.address, ec);
  if (ec) return;
  udp::socket* s = addr.is_v6() ? impl_->v6.get() : impl_->v4.get();
  if (s == nullptr) {
    spdlog::debug("no UDP socket for {}", to.to_string());
    return;
  }
  s->send_to(asio::buffer(bytes.data(), bytes.size()), udp::endpoint(addr, to.port), 0, ec);
  if (ec) spdlog::debug("sending to {}: {}", to.to_string(), ec.message());
}

}  // namespace dnspush::io
