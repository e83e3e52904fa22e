// UPDATE forwarding (RFC 2136 §6): an UPDATE for a secondary zone is sent on to the zone's
// primary and the primary's answer relayed to the client. The message goes as it came but
// for a new ID (§6: the forwarder allocates one and puts the requestor's back into the
// answer); a TSIG stays valid both ways because a MAC is computed over the Original ID
// field, not the header's (RFC 8945 §4.2, §4.3.3). The forwarder never verifies or signs
// anything itself: the primary's policy decides, and its answer goes back unchanged.
//
// Runs on the io::Loop it is given (TCP to the primary, io::TcpExchange); forward() may be
// called from any thread. Bounds: at most `max_in_flight` forwarded UPDATEs at once and
// `timeout` for each (every primary in turn, first to last, while time remains); past
// either the client gets the SERVFAIL answer it was handed with the request.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/metrics.hpp"
#include "io/endpoint.hpp"
#include "io/loop.hpp"
#include "io/server.hpp"

namespace dnspush::server {

class UpdateForwarder {
 public:
  UpdateForwarder(io::Loop& loop, std::size_t max_in_flight = 64,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~UpdateForwarder();

  // Forwards `update` (the client's bytes) to the first of `primaries` that answers;
  // `servfail` is the client's answer when none does in time.
  void forward(std::vector<io::Endpoint> primaries, std::vector<std::uint8_t> update,
               std::vector<std::uint8_t> servfail, io::Reply reply);
  // Answers every forward in flight with its SERVFAIL and refuses new ones; loop thread
  // or after the loop stopped.
  void stop();

  std::size_t in_flight() const;
  // Before the first forward(): the max-in-flight refusals are counted there.
  void set_metrics(Metrics* m);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace dnspush::server
