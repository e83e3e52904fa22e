#include "io/udp_listener.hpp"

#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "dso/edns_scan.hpp"
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

// The destination address of a received datagram (IP_PKTINFO / IPV6_PKTINFO), for the
// DatagramApp: its later datagrams must leave from it too.
void local_of(const msghdr& received, DatagramPeer& p) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&received); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      std::memcpy(p.local.data(), &info.ipi_addr, 4);
      p.has_local = true;
      p.local_v6 = false;
      return;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      std::memcpy(p.local.data(), &info.ipi6_addr, 16);
      p.has_local = true;
      p.local_v6 = true;
      return;
    }
  }
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

UdpListener::UdpListener(Worker& w, asio::ip::udp::socket s, std::uint16_t index,
                         bool datagram_only)
    : w_(w),
      sock_(std::move(s)),
      index_(index),
      datagram_only_(datagram_only),
      in_(new std::uint8_t[kBatch * kMaxQuery]) {
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
    bool handled = false;
    // LLQ (RFC 8764): the app's datagrams first, on the main port only those with its
    // EDNS option (a cheap scan that skips names and RDATA), so that such a query is
    // never answered as a plain one.
    if (DatagramApp* app = w_.app ? w_.app->datagram_app() : nullptr;
        app != nullptr && (datagram_only_ || (o.datagram_option != 0 && query.size() > 12 &&
                                              (query[10] | query[11]) != 0 &&
                                              dso::find_edns_option(query, o.datagram_option)))) {
      DatagramPeer peer;
      peer.client = ctx.client;
      peer.socket = index_;
      if (wildcard_) local_of(h, peer);
      switch (app->on_datagram(query, peer, Clock::now(), slot.answer)) {
        case DatagramDisposition::kAnswer:
          answered = handled = true;
          break;
        case DatagramDisposition::kNoAnswer:
          handled = true;
          break;
        case DatagramDisposition::kNotMine:
          break;
      }
    }
    FastPath fp = handled ? FastPath::kNoAnswer : FastPath::kDeferred;
    if (!handled && o.fast_path) fp = o.fast_path(query, ctx, slot.answer);
    if (fp == FastPath::kAnswered) {
      answered = true;
    } else if (!handled && fp == FastPath::kDeferred) {
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

bool UdpListener::send_to(const DatagramPeer& to, std::span<const std::uint8_t> bytes) {
  if (closed_ || !sock_.is_open()) return false;
  sockaddr_storage ss{};
  if (to.client.v6 || v6_) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(to.client.port);
    if (to.client.v6) {
      std::memcpy(a->sin6_addr.s6_addr, to.client.bytes.data(), 16);
    } else {  // an IPv4 client of a dual-stack socket: the mapped form
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(a->sin6_addr.s6_addr + 12, to.client.bytes.data(), 4);
    }
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(to.client.port);
    std::memcpy(&a->sin_addr, to.client.bytes.data(), 4);
  }
  std::array<std::uint8_t, 64> ctl{};
  std::size_t ctl_len = 0;
  if (to.has_local && wildcard_) {
    auto* h = reinterpret_cast<cmsghdr*>(ctl.data());
    if (to.local_v6) {
      in6_pktinfo info{};
      std::memcpy(&info.ipi6_addr, to.local.data(), 16);
      h->cmsg_level = IPPROTO_IPV6;
      h->cmsg_type = IPV6_PKTINFO;
      h->cmsg_len = CMSG_LEN(sizeof info);
      std::memcpy(CMSG_DATA(h), &info, sizeof info);
      ctl_len = CMSG_SPACE(sizeof info);
    } else {
      in_pktinfo info{};
      std::memcpy(&info.ipi_spec_dst, to.local.data(), 4);
      h->cmsg_level = IPPROTO_IP;
      h->cmsg_type = IP_PKTINFO;
      h->cmsg_len = CMSG_LEN(sizeof info);
      std::memcpy(CMSG_DATA(h), &info, sizeof info);
      ctl_len = CMSG_SPACE(sizeof info);
    }
  }
  iovec iov{const_cast<std::uint8_t*>(bytes.data()), bytes.size()};
  msghdr m{};
  m.msg_name = &ss;
  m.msg_namelen = sockaddr_len(ss);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (ctl_len > 0) {
    m.msg_control = ctl.data();
    m.msg_controllen = ctl_len;
  }
  return ::sendmsg(sock_.native_handle(), &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
}

}  // namespace dnspush::io::detail
