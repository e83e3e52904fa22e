#include "io/udp_listener.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "io/reply_sink.hpp"
#include "io/worker.hpp"

namespace dnspush::io::detail {
namespace {

constexpr std::size_t kMaxUdpMessage = 65535;
constexpr int kRoundsPerWakeup = 8;  // then let the worker's other work run

auth::ClientAddress client_of(const sockaddr_storage& ss) {
  auth::ClientAddress c;
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a->sin6_addr.s6_addr, kMapped, 12) == 0) {
      std::memcpy(c.bytes.data(), a->sin6_addr.s6_addr + 12, 4);
    } else {
      std::memcpy(c.bytes.data(), a->sin6_addr.s6_addr, 16);
      c.v6 = true;
    }
    c.port = ntohs(a->sin6_port);
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(c.bytes.data(), &a->sin_addr, 4);
    c.port = ntohs(a->sin_port);
  }
  return c;
}

socklen_t sockaddr_len(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// The control message that makes an answer leave from the address the query came to: the
// received IP_PKTINFO / IPV6_PKTINFO, turned into the form sendmsg takes.
std::size_t reply_control(const msghdr& received, std::uint8_t* out, std::size_t room) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&received); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      if (room < CMSG_SPACE(sizeof(in_pktinfo))) return 0;
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      in_pktinfo reply{};
      reply.ipi_spec_dst = info.ipi_addr;  // the destination of the query
      auto* h = reinterpret_cast<cmsghdr*>(out);
      h->cmsg_level = IPPROTO_IP;
      h->cmsg_type = IP_PKTINFO;
      h->cmsg_len = CMSG_LEN(sizeof reply);
      std::memcpy(CMSG_DATA(h), &reply, sizeof reply);
      return CMSG_SPACE(sizeof reply);
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      if (room < CMSG_SPACE(sizeof(in6_pktinfo))) return 0;
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      info.ipi6_ifindex = 0;  // the routing decides the interface; only the source is set
      auto* h = reinterpret_cast<cmsghdr*>(out);
      h->cmsg_level = IPPROTO_IPV6;
      h->cmsg_type = IPV6_PKTINFO;
      h->cmsg_len = CMSG_LEN(sizeof info);
      std::memcpy(CMSG_DATA(h), &info, sizeof info);
      return CMSG_SPACE(sizeof info);
    }
  }
  return 0;
}

std::optional<std::vector<std::uint8_t>> first_message(Completion c) {
  if (auto* a = std::get_if<std::vector<std::uint8_t>>(&c)) return std::move(*a);
  if (auto* st = std::get_if<MessageStream>(&c)) {
    if (*st) return (*st)();  // over UDP only the first message of a stream (RFC 1995 §2)
  }
  return std::nullopt;
}

// A reply completed after the handler returned (an UPDATE waiting for the journal): sent
// from the worker's loop, from the address the query came to.
class UdpSink : public SinkBase {
 public:
  UdpSink(asio::ip::udp::socket& s, const sockaddr_storage& to, std::span<const std::uint8_t> ctl,
          std::shared_ptr<Gate> gate)
      : sock_(s), to_(to), gate_(std::move(gate)) {
    ctl_.assign(ctl.begin(), ctl.end());
  }

 protected:
  void deliver(Completion c) override {
    auto bytes = first_message(std::move(c));
    if (!bytes || bytes->size() > kMaxUdpMessage) return;
    gate_->post([&s = sock_, to = to_, ctl = std::move(ctl_), b = std::move(*bytes)]() mutable {
      if (!s.is_open()) return;
      iovec iov{b.data(), b.size()};
      msghdr m{};
      m.msg_name = &to;
      m.msg_namelen = sockaddr_len(to);
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      if (!ctl.empty()) {
        m.msg_control = ctl.data();
        m.msg_controllen = ctl.size();
      }
      ::sendmsg(s.native_handle(), &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    });
  }

 private:
  asio::ip::udp::socket& sock_;  // lives as long as the worker, which outlives its open gate
  sockaddr_storage to_;
  std::vector<std::uint8_t> ctl_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace

UdpListener::UdpListener(Worker& w, asio::ip::udp::socket s)
    : w_(w), sock_(std::move(s)), in_(new std::uint8_t[kBatch * kMaxQuery]) {
  std::error_code ec;
  sock_.non_blocking(true, ec);
  const auto local = sock_.local_endpoint(ec);
  if (!ec) {
    v6_ = local.address().is_v6();
    wildcard_ = local.address().is_unspecified();
  }
  if (wildcard_) {
    const int on = 1;
    if (v6_) {
      ::setsockopt(sock_.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    } else {
      ::setsockopt(sock_.native_handle(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    }
  }
}

void UdpListener::start() {
  arm();
}

void UdpListener::close() {
  closed_ = true;
  std::error_code ignored;
  sock_.close(ignored);
}

void UdpListener::arm() {
  if (closed_) return;
  sock_.async_wait(asio::socket_base::wait_read, [this](std::error_code ec) {
    if (ec || closed_) return;
    on_readable();
  });
}

void UdpListener::on_readable() {
  // Asio's epoll is edge-triggered: read until the socket says EAGAIN before waiting
  // again, or come back through the queue when this wakeup had its share.
  for (int i = 0; i < kRoundsPerWakeup; ++i) {
    if (!round()) {
      arm();
      return;
    }
  }
  asio::post(w_.ctx, [this] {
    if (!closed_) on_readable();
  });
}

bool UdpListener::round() {
  const int fd = sock_.native_handle();
  for (unsigned i = 0; i < kBatch; ++i) {
    in_iov_[i] = iovec{in_.get() + i * kMaxQuery, kMaxQuery};
    msghdr& h = in_msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &slots_[i].from;
    h.msg_namelen = sizeof slots_[i].from;
    h.msg_iov = &in_iov_[i];
    h.msg_iovlen = 1;
    if (wildcard_) {
      h.msg_control = slots_[i].control.data();
      h.msg_controllen = slots_[i].control.size();
    }
    in_msgs_[i].msg_len = 0;
  }
  const int n = ::recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) {
    // EAGAIN: drained. Anything else (an ICMP error reported on this socket) is not
    // about a query: carry on reading.
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }
  received_ += static_cast<std::uint64_t>(n);
  ++batches_;

  const ServerOptions& o = *w_.opts.server;
  auth::QueryContext ctx;
  ctx.transport = auth::Transport::kUdp;
  unsigned out = 0;
  for (int i = 0; i < n; ++i) {
    Slot& slot = slots_[static_cast<unsigned>(i)];
    const msghdr& h = in_msgs_[static_cast<unsigned>(i)].msg_hdr;
    if ((h.msg_flags & MSG_TRUNC) != 0) {  // longer than kMaxQuery: dropped
      if (auto* m = w_.opts.server->metrics) {
        m->add(Counter::kLimitHits, static_cast<std::size_t>(Limit::kUdpOversized));
      }
      continue;
    }
    const std::span<const std::uint8_t> query(in_.get() + static_cast<std::size_t>(i) * kMaxQuery,
                                              in_msgs_[static_cast<unsigned>(i)].msg_len);
    ctx.client = client_of(slot.from);
    slot.control_len = 0;
    std::array<std::uint8_t, 64> reply_ctl{};
    std::size_t reply_ctl_len =
        wildcard_ ? reply_control(h, reply_ctl.data(), reply_ctl.size()) : 0;

    bool answered = false;
    FastPath fp = FastPath::kDeferred;
    if (o.fast_path) fp = o.fast_path(query, ctx, slot.answer);
    if (fp == FastPath::kAnswered) {
      answered = true;
    } else if (fp == FastPath::kDeferred) {
      auto sink = std::make_shared<UdpSink>(
          sock_, slot.from, std::span<const std::uint8_t>(reply_ctl.data(), reply_ctl_len),
          w_.gate);
      call_handler(*w_.opts.handler, query, ctx, Reply(sink));
      if (auto c = sink->end_call()) {
        if (auto m = first_message(std::move(*c))) {
          slot.answer = std::move(*m);
          answered = true;
        }
      }
    }
    if (!answered || slot.answer.empty() || slot.answer.size() > kMaxUdpMessage) continue;
    std::memcpy(slot.control.data(), reply_ctl.data(), reply_ctl_len);
    slot.control_len = reply_ctl_len;
    out_iov_[out] = iovec{slot.answer.data(), slot.answer.size()};
    msghdr& m = out_msgs_[out].msg_hdr;
    m = msghdr{};
    m.msg_name = &slot.from;
    m.msg_namelen = sockaddr_len(slot.from);
    m.msg_iov = &out_iov_[out];
    m.msg_iovlen = 1;
    if (slot.control_len > 0) {
      m.msg_control = slot.control.data();
      m.msg_controllen = slot.control_len;
    }
    ++out;
  }
  // One system call for every answer of the batch. A full send buffer drops the rest, as
  // a full receive buffer would have dropped the queries (UDP; the clients retry).
  unsigned sent = 0;
  while (sent < out) {
    const int k = ::sendmmsg(fd, out_msgs_.data() + sent, out - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (k > 0) {
      sent += static_cast<unsigned>(k);
    } else if (k < 0 && errno == EINTR) {
      continue;
    } else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      ++sent;  // this one answer cannot go (e.g. an unreachable source): the next may
    } else {
      break;
    }
  }
  return true;
}

}  // namespace dnspush::io::detail
