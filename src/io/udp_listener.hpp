// One worker's DNS-over-UDP socket (internal to io/), read and answered in batches:
// recvmmsg takes up to kBatch datagrams per system call and sendmmsg sends their answers in
// one, driven by Asio readiness (async_wait) instead of one receive and one send per
// query (Knot's approach). Buffers are preallocated per listener, and queries go through
// the synchronous fast path when the server gives one, so a query costs no Reply and, with
// the responder writing into the slot's reused buffer, no heap allocation for the answer.
// Queries the fast path defers (UPDATE waiting for the writer) get a Reply and are sent
// later, from this worker's loop.
//
// Replies leave from the address the query was sent to: on a wildcard-bound socket the
// destination address comes with each datagram (IP_PKTINFO / IPV6_RECVPKTINFO) and is
// given back as the source of the answer (RFC 1123 §6.1.3.5's "same address" rule, which
// clients such as Apple's LLQ client enforce).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "io/asio.hpp"
#include "io/server.hpp"

namespace dnspush::io::detail {

class Worker;

class UdpListener {
 public:
  static constexpr unsigned kBatch = 32;
  // Queries longer than this are dropped (RFC 6891 §6.2.5 lets clients ask for up to 64 KB
  // answers, but no DNS query over UDP needs more than a few kilobytes).
  static constexpr std::size_t kMaxQuery = 16384;

  // `index` names the socket in DatagramPeer; a `datagram_only` socket (llq-listen) hands
  // every datagram to the worker's DatagramApp first.
  UdpListener(Worker& w, asio::ip::udp::socket s, std::uint16_t index = 0,
              bool datagram_only = false);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  asio::ip::udp::socket& socket() { return sock_; }
  void start();
  void close();
  // A datagram the app sends on its own (an LLQ event): from `to.local` when set.
  bool send_to(const DatagramPeer& to, std::span<const std::uint8_t> bytes);
  std::uint16_t index() const { return index_; }

  // For tests and benchmarks: datagrams taken per recvmmsg, summed.
  std::uint64_t received() const { return received_; }
  std::uint64_t batches() const { return batches_; }

 private:
  struct Slot {
    sockaddr_storage from{};
    std::array<std::uint8_t, 64> control{};  // IP_PKTINFO / IPV6_PKTINFO
    std::size_t control_len = 0;
    std::vector<std::uint8_t> answer;  // reused: keeps its capacity
  };
  void arm();
  void on_readable();
  // One recvmmsg + answers + sendmmsg; false when the socket had nothing (or failed).
  bool round();

  Worker& w_;
  asio::ip::udp::socket sock_;
  bool wildcard_ = false;
  bool v6_ = false;
  bool closed_ = false;
  std::uint16_t index_ = 0;
  bool datagram_only_ = false;
  std::unique_ptr<std::uint8_t[]> in_;  // kBatch x kMaxQuery, not zero-filled: untouched
                                        // pages stay out of RSS
  std::array<Slot, kBatch> slots_;
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<mmsghdr, kBatch> out_msgs_{};
  std::array<iovec, kBatch> out_iov_{};
  std::uint64_t received_ = 0;
  std::uint64_t batches_ = 0;
};

}  // namespace dnspush::io::detail
