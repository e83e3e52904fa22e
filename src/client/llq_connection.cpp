#include "client/llq_connection.hpp"

#include <random>

namespace dnspush::client {

using asio::ip::udp;
using io::detail::kAsTuple;

LlqConnection::LlqConnection(asio::any_io_executor ex, std::vector<LlqTarget> targets, Question q,
                             RecordSet* set, LlqClientConfig cfg, EventSink events)
    : ex_(ex), q_(std::move(q)), set_(set), cfg_(cfg), events_(std::move(events)), timer_(ex) {
  for (const auto& t : targets) {
    for (const auto& a : t.addresses) {
      if (auto addr = net::parse_address(a)) endpoints_.push_back({{*addr, t.port}, t.name});
    }
  }
}

std::string LlqConnection::describe() const {
  if (endpoints_.empty()) return "(no address)";
  const auto& e = endpoints_[std::min(current_, endpoints_.size() - 1)];
  return e.ep.to_text() + (e.name.empty() ? std::string() : " (" + e.name + ")");
}

void LlqConnection::start() {
  if (!open_next()) {
    next_endpoint_or_fail("no address");
    return;
  }
  asio::co_spawn(
      ex_, [self = shared_from_this()]() { return self->timer_loop(); }, asio::detached);
}

void LlqConnection::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (client_ && sock_) {
    client_->stop(Clock::now());  // RFC 8764 §7: the cancel (lease 0), sent once
    while (auto b = client_->poll_transmit()) {
      std::error_code ec;
      sock_->send(asio::buffer(*b), 0, ec);
    }
  }
  if (sock_) {
    std::error_code ec;
    sock_->close(ec);
  }
  timer_.cancel();
}

void LlqConnection::full_answer(std::span<const wire::Record> records) {
  if (stopped_ || !client_) return;
  client_->full_answer(records);
  pump();
}

bool LlqConnection::open_next() {
  const auto rng = std::make_shared<std::mt19937>(std::random_device{}());
  while (current_ < endpoints_.size()) {
    const auto& e = endpoints_[current_];
    auto sock = std::make_shared<udp::socket>(ex_);
    std::error_code ec;
    const udp::endpoint to(e.ep.address, e.ep.port);
    sock->open(to.protocol(), ec);
    if (!ec) sock->connect(to, ec);  // only this address and port's datagrams come in
    if (!ec) sock->non_blocking(true, ec);
    if (ec) {
      tried_ += describe() + ": " + ec.message() + "; ";
      ++current_;
      continue;
    }
    sock_ = sock;
    client_ = std::make_unique<LlqClient>(
        q_, set_, cfg_,
        [rng] {
          return static_cast<std::uint16_t>(std::uniform_int_distribution<int>(0, 65535)(*rng));
        },
        [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); });
    client_->start(Clock::now());
    asio::co_spawn(
        ex_, [self = shared_from_this(), sock]() { return self->read_loop(sock); }, asio::detached);
    pump();
    return true;
  }
  return false;
}

void LlqConnection::next_endpoint_or_fail(const std::string& why) {
  if (current_ < endpoints_.size()) tried_ += describe() + ": " + why + "; ";
  if (sock_) {
    std::error_code ec;
    sock_->close(ec);
    sock_.reset();
  }
  client_.reset();
  ++current_;
  if (open_next()) return;
  LlqStatus s;
  s.state = LlqStatus::State::kFailed;
  s.reason = why.find("refused") != std::string::npos ? LlqStatus::Reason::kUnreachable
                                                      : LlqStatus::Reason::kNoAnswer;
  s.text = "LLQ server unreachable: " +
           (tried_.size() > 2 ? tried_.substr(0, tried_.size() - 2) : std::string("no address"));
  stopped_ = true;
  timer_.cancel();
  if (events_) events_(s);
}

asio::awaitable<void> LlqConnection::read_loop(std::shared_ptr<udp::socket> sock) {
  auto self = shared_from_this();
  std::vector<std::uint8_t> buf(65535);
  for (;;) {
    auto [ec, n] = co_await sock->async_receive(asio::buffer(buf), kAsTuple);
    if (stopped_ || sock != sock_) co_return;
    if (ec == asio::error::connection_refused) {
      // ICMP port unreachable for something we sent. Before the LLQ ever worked this
      // endpoint is no LLQ server: the next one. Afterwards the retransmissions decide.
      if (!ever_established_) {
        next_endpoint_or_fail(ec.message());
        co_return;
      }
      continue;
    }
    if (ec) {
      next_endpoint_or_fail(ec.message());
      co_return;
    }
    client_->receive(std::span<const std::uint8_t>(buf.data(), n), Clock::now());
    pump();
  }
}

asio::awaitable<void> LlqConnection::timer_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    const TimePoint now = Clock::now();
    const auto next = client_ ? client_->next_timeout() : std::nullopt;
    if (next && *next <= now) {
      client_->on_timeout(now);
      pump();
      continue;
    }
    timer_.expires_at(next.value_or(TimePoint::max()));
    co_await timer_.async_wait(kAsTuple);
  }
}

void LlqConnection::pump() {
  if (stopped_ || !client_) return;
  while (auto b = client_->poll_transmit()) {
    std::error_code ec;  // a lost datagram is a lost datagram: retransmission covers it
    sock_->send(asio::buffer(*b), 0, ec);
  }
  while (auto e = client_->poll_event()) {
    if (auto* st = std::get_if<LlqStatus>(&*e)) {
      if (st->state == LlqStatus::State::kEstablished) ever_established_ = true;
      // A setup nobody answered, before it ever worked: the next address first.
      if (st->state == LlqStatus::State::kFailed && st->reason == LlqStatus::Reason::kNoAnswer &&
          !ever_established_ && current_ + 1 < endpoints_.size()) {
        next_endpoint_or_fail(st->text);
        return;
      }
    }
    if (events_) events_(*e);
    if (stopped_) return;  // the sink stopped us
  }
  timer_.cancel();  // the timer loop re-arms at the new next_timeout()
}

}  // namespace dnspush::client
