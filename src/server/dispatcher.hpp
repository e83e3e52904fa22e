// Routes each request by opcode (io threads): UPDATE to the zone writer (or, for a
// secondary zone, forwarded to its primary, RFC 2136 §6, or REFUSED), AXFR/IXFR over
// TCP/TLS to a transfer-out stream (RFC 5936, RFC 1995) behind TSIG and the zone's ACL,
// NOTIFY for a secondary zone to its refresh (RFC 1996; from anyone but its primaries
// REFUSED; for other zones NOTIMP, §3.12) and every other query to the auth::Responder;
// TSIG-signed queries are verified and their answers signed (RFC 8945).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "auth/query_context.hpp"
#include "auth/responder.hpp"
#include "base/metrics.hpp"
#include "io/server.hpp"
#include "server/secondary.hpp"
#include "server/zone_manager.hpp"
#include "wire/message.hpp"

namespace dnspush::server {

class Dispatcher {
 public:
  // Both must outlive the dispatcher. At most `max_transfers` AXFR/IXFR answers are being
  // sent at once; more requests are answered REFUSED until one ends.
  // `secondary` (may be null: no secondary zones) must outlive the dispatcher too.
  Dispatcher(const auth::Responder& responder, ZoneManager& zones, std::size_t max_transfers = 16,
             WallClock now = system_seconds, SecondaryService* secondary = nullptr)
      : responder_(responder),
        zones_(zones),
        now_(std::move(now)),
        transfers_(std::make_shared<TransferCount>(max_transfers)),
        secondary_(secondary) {}

  std::size_t transfers_in_progress() const { return transfers_->active.load(); }
  // Counts queries (by transport and RCODE), transfers and refusals; before serving.
  void set_metrics(Metrics* m) { metrics_ = m; }

  void handle(std::span<const std::uint8_t> query, const auth::QueryContext& ctx,
              io::Reply reply) const;
  // The synchronous fast path (io::SyncHandler): plain queries are answered here, at once
  // and into the caller's buffer; UPDATE, NOTIFY, transfers and signed queries are deferred
  // to handle().
  io::FastPath fast(std::span<const std::uint8_t> query, const auth::QueryContext& ctx,
                    std::vector<std::uint8_t>& out) const;
  io::SyncHandler fast_path() const {
    return [this](std::span<const std::uint8_t> q, const auth::QueryContext& ctx,
                  std::vector<std::uint8_t>& out) { return fast(q, ctx, out); };
  }
  io::AsyncHandler handler() const {
    return [this](std::span<const std::uint8_t> q, const auth::QueryContext& ctx, io::Reply r) {
      handle(q, ctx, std::move(r));
    };
  }

 private:
  void transfer(std::span<const std::uint8_t> bytes, const wire::Message& m,
                const auth::QueryContext& ctx, io::Reply reply) const;
  void update(std::span<const std::uint8_t> bytes, wire::Message m, const auth::QueryContext& ctx,
              io::Reply reply) const;
  void notify(std::span<const std::uint8_t> bytes, const wire::Message& m,
              const auth::QueryContext& ctx, io::Reply reply) const;
  void log_bad_tsig(const char* what, const wire::Message& m, const auth::QueryContext& ctx,
                    const wire::TsigVerifyResult& v) const;
  void signed_query(std::span<const std::uint8_t> bytes, const wire::Message& m,
                    const auth::QueryContext& ctx, io::Reply reply) const;

  // Shared with every running transfer, which gives its slot back when it ends or its
  // connection goes (whichever comes first), even after the dispatcher is gone.
  struct TransferCount {
    explicit TransferCount(std::size_t m) : max(m) {}
    const std::size_t max;
    std::atomic<std::size_t> active{0};
  };

  const auth::Responder& responder_;
  ZoneManager& zones_;
  WallClock now_;
  std::shared_ptr<TransferCount> transfers_;
  SecondaryService* secondary_;
  Metrics* metrics_ = nullptr;
};

}  // namespace dnspush::server
