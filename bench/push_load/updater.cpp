#include "updater.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "wire/message.hpp"

namespace dnspush::bench {
namespace {

std::int64_t ns_of(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::uint64_t unix_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

Updater::Updater(UpdaterConfig cfg) : cfg_(std::move(cfg)) {}

Updater::~Updater() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Updater::open() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(Errc::kIo, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&cfg_.server), sizeof cfg_.server) != 0) {
    return fail(Errc::kIo, std::string("connect: ") + std::strerror(errno));
  }
  return {};
}

Result<SentChange> Updater::send_change() {
  const std::uint16_t id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  const TimePoint t0 = Clock::now();
  const std::int64_t stamp = ns_of(t0);
  const std::string text = std::to_string(stamp);
  std::vector<std::uint8_t> rdata(text.size() + 1);
  rdata[0] = static_cast<std::uint8_t>(text.size());  // one character-string (RFC 1035 §3.3.14)
  std::copy(text.begin(), text.end(), rdata.begin() + 1);

  // RFC 2136 §2.5.2 then §2.5.1: delete the TXT RRset (CLASS ANY, TTL 0, no RDATA), then
  // add the new record, in one UPDATE: one commit, one PUSH per subscriber.
  wire::Header h;
  h.id = id;
  h.opcode = wire::Opcode::UPDATE;
  wire::MessageBuilder b(h, 512, wire::tsig_wire_size(cfg_.key));
  const bool ok = b.add_question({cfg_.zone, wire::RRType::SOA, wire::RRClass::IN}) &&
                  b.add_record(wire::Section::kAuthority, cfg_.watched, wire::RRType::TXT,
                               wire::RRClass::ANY, 0, {}) &&
                  b.add_record(wire::Section::kAuthority, cfg_.watched, wire::RRType::TXT,
                               wire::RRClass::IN, cfg_.ttl, rdata);
  if (!ok) return fail(Errc::kOutOfRange, "UPDATE does not fit");
  auto msg = b.finish();
  const std::int64_t built = ns_of(Clock::now());
  if (auto mac = wire::tsig_sign_request(msg, cfg_.key, unix_seconds()); !mac) {
    return fail(Errc::kInvalidConfig, "TSIG: " + mac.error().message);
  }
  const std::int64_t signed_at = ns_of(Clock::now());
  c_.sign_ns.push_back(signed_at - built);
  if (::send(fd_, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) {
    return fail(Errc::kIo, std::string("send: ") + std::strerror(errno));
  }
  const std::int64_t sent = ns_of(Clock::now());
  c_.build_ns.push_back(sent - stamp);
  c_.send_ns.push_back(sent - signed_at);
  ++c_.sent;
  pending_[id] = sent;
  return SentChange{stamp, sent};
}

void Updater::read_answers() {
  std::uint8_t buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return;  // EAGAIN (or an ICMP error: nothing more to read now)
    const std::int64_t now = ns_of(Clock::now());
    auto h = wire::Header::peek(std::span(buf, static_cast<std::size_t>(n)));
    if (!h || !h->qr) continue;
    auto it = pending_.find(h->id);
    if (it == pending_.end()) continue;
    c_.answer_ns.push_back(now - it->second);
    pending_.erase(it);
    // The header's 4 bits suffice: a TSIG error comes as NOTAUTH (RFC 8945 §5.2).
    if (h->rcode == 0) {
      ++c_.noerror;
    } else {
      ++c_.other_rcode;
      if (c_.first_error.empty())
        c_.first_error = wire::to_text(static_cast<wire::Rcode>(h->rcode));
    }
  }
}

void Updater::pump(TimePoint until, bool until_done) {
  for (;;) {
    read_answers();
    if (until_done && pending_.empty()) return;
    const auto now = Clock::now();
    if (now >= until) return;
    pollfd p{fd_, POLLIN, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(ms, 1)));
  }
}

std::vector<SentChange> Updater::run(std::size_t count, double rate) {
  std::vector<SentChange> stamps;
  const TimePoint start = Clock::now();
  const auto interval =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / rate));
  for (std::size_t i = 0; i < count; ++i) {
    const TimePoint due = start + interval * static_cast<long>(i);
    // Answers are read while waiting; the last millisecond is slept through so the send
    // happens on time (poll's granularity is a millisecond).
    pump(due - std::chrono::milliseconds(1));
    std::this_thread::sleep_until(due);
    auto s = send_change();
    if (!s) {
      if (c_.first_error.empty()) c_.first_error = s.error().message;
      continue;
    }
    stamps.push_back(*s);
  }
  return stamps;
}

}  // namespace dnspush::bench
