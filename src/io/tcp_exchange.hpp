// One outgoing DNS-over-TCP exchange (RFC 7766) on an io::Loop: connect, send one request,
// hand every DNS message of the answer stream to the caller until it says it has had
// enough. For the clients that run inside dnspushd: zone transfers in (RFC 5936 §4.1.1,
// one connection per transfer) and UPDATEs forwarded to a primary (RFC 2136 §6). The
// protocol rules (ids, framing of the transfer, its time bounds) belong to the caller's
// core; this only moves bytes. No Asio in this header: server/ uses it.
//
// Threading: start() and cancel() on the loop's thread; the callbacks run there too.
// Bounds: one request; a read buffer of at most one length-prefixed message (65,537
// bytes); connecting takes at most `connect_timeout`. Other time bounds are the caller's
// (it cancels).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "io/endpoint.hpp"
#include "io/loop.hpp"

namespace dnspush::io {

class TcpExchange {
 public:
  // A complete DNS message (without its length prefix). Return false once no more is
  // wanted: the connection is closed and on_end gets success.
  using OnMessage = std::function<bool(std::span<const std::uint8_t>)>;
  // Called once, unless cancel() came first: success after OnMessage returned false;
  // otherwise why the exchange ended (cannot connect, connection closed by the peer,
  // reset...).
  using OnEnd = std::function<void(Result<void>)>;

  static std::shared_ptr<TcpExchange> start(
      Loop& loop, const Endpoint& to, std::vector<std::uint8_t> request, OnMessage on_message,
      OnEnd on_end, std::chrono::milliseconds connect_timeout = std::chrono::seconds(10));
  ~TcpExchange();

  // Closes the connection; no callback runs afterwards. Idempotent.
  void cancel();
  // Whether the request was written: an error after that came from the peer's side of an
  // established connection (closed or reset), not from reaching it.
  bool sent() const;

  struct Impl;

 private:
  explicit TcpExchange(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace dnspush::io
