#include "server/secondary.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_map>

#include "io/loop.hpp"
#include "io/tcp_exchange.hpp"
#include "server/update_forwarder.hpp"
#include "xfr/refresh.hpp"
#include "xfr/transfer_in.hpp"

namespace dnspush::server {

namespace fs = std::filesystem;
using xfr::TransferType;

struct SecondaryService::Impl {
  struct Zone {
    const ZoneConfig* config = nullptr;
    wire::Name origin;
    xfr::Refresh refresh;
    std::optional<xfr::TransferIn> transfer;
    std::shared_ptr<io::TcpExchange> exchange;
    std::size_t primary = 0;
    bool fell_back = false;        // this check already fell back from IXFR to AXFR
    bool unreachable = false;      // the attempt's connection failed before the request left
    std::size_t kind = 0;          // metric_labels::kTransferInKind of the transfer committing
    std::uint64_t generation = 0;  // of the attempt; stale callbacks compare it
    TimePoint attempt_started{};
    // Read at start(), for the Refresh on the loop thread.
    std::optional<zone::SoaFields> start_soa;
    std::optional<TimePoint> start_refreshed;

    xfr::RefreshConfig refresh_config;

    explicit Zone(xfr::RefreshConfig rc) : refresh(rc), refresh_config(rc) {}
  };

  Impl(const Config& c, ZoneManager& z, const auth::Responder& r, WallClock w)
      : config(c), zones(z), responder(r), wall(std::move(w)), forwarder(loop) {}

  const Config& config;
  ZoneManager& zones;
  const auth::Responder& responder;
  WallClock wall;
  io::Loop loop;
  UpdateForwarder forwarder;
  std::unordered_map<wire::Name, std::unique_ptr<Zone>, wire::NameHash> by_origin;
  std::mt19937 rng{std::random_device{}()};
  std::optional<io::Loop::TimerId> timer;
  std::optional<TimePoint> timer_at;
  bool started = false;
  bool stopped = false;
  Metrics* metrics = nullptr;
  void count(Counter c, std::size_t label = 0) {
    if (metrics) metrics->add(c, label);
  }

  void handle_events(Zone& z);
  void begin_attempt(Zone& z, std::size_t primary, TransferType type, bool fallback);
  void finish_attempt(Zone& z);
  void committed(Zone& z, const Result<Serial>& r);
  void on_timer();
  void schedule();
  std::shared_ptr<const zone::Zone> copy(const wire::Name& origin) const {
    auto cat = responder.catalogue();
    const auto* z = cat ? cat->find_exact(origin) : nullptr;
    return z ? *z : nullptr;
  }
  fs::path refreshed_path(const wire::Name& origin) const {
    std::string name = origin.to_text();
    if (name == ".") name = "root.";
    return config.state_dir / "secondary" / (name + "refreshed");
  }
  std::optional<std::uint64_t> read_refreshed(const wire::Name& origin) const;
  void write_refreshed(const wire::Name& origin) const;
};

std::unique_ptr<SecondaryService> SecondaryService::create(const Config& config, ZoneManager& zones,
                                                           const auth::Responder& responder,
                                                           WallClock now) {
  auto impl = std::make_unique<Impl>(config, zones, responder, std::move(now));
  for (const auto& zc : config.zones) {
    if (!zc.is_secondary()) continue;
    auto origin = wire::Name::from_text(zc.origin);
    if (!origin) continue;  // the configuration checked it
    xfr::RefreshConfig rc;
    rc.primaries = zc.primaries.size();
    rc.refresh = zc.secondary.refresh;
    rc.retry = zc.secondary.retry;
    rc.expire = zc.secondary.expire;
    auto z = std::make_unique<Impl::Zone>(rc);
    z->config = &zc;
    z->origin = *origin;
    impl->by_origin.emplace(*origin, std::move(z));
  }
  return std::unique_ptr<SecondaryService>(new SecondaryService(std::move(impl)));
}

SecondaryService::SecondaryService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SecondaryService::~SecondaryService() {
  stop();
}

std::optional<std::uint64_t> SecondaryService::Impl::read_refreshed(
    const wire::Name& origin) const {
  std::ifstream in(refreshed_path(origin));
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
  return v;
}

void SecondaryService::Impl::write_refreshed(const wire::Name& origin) const {
  // Not synced: losing the newest write only makes a restarted copy expire sooner.
  const fs::path path = refreshed_path(origin);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << wall() << "\n";
    if (!out) return;
  }
  fs::rename(tmp, path, ec);
}

void SecondaryService::start() {
  Impl& s = *impl_;
  if (s.started || s.by_origin.empty()) return;
  s.started = true;
  const auto now = Clock::now();
  const std::uint64_t wall_now = s.wall();
  for (auto& [origin, z] : s.by_origin) {
    auto copy = s.copy(origin);
    if (!copy) continue;
    z->start_soa = zone::parse_soa(copy->soa_record().rdata);
    if (auto at = s.read_refreshed(origin); at && *at <= wall_now) {
      z->start_refreshed = now - std::chrono::seconds(wall_now - *at);
    }
    if (z->start_soa && z->start_refreshed) {
      // Expired while we were down: never served, not even until the first check fails.
      const auto t = xfr::effective_timers(*z->start_soa, z->refresh_config);
      if (*z->start_refreshed + t.expire <= now) {
        s.zones.expire_before_start(origin);
        s.count(Counter::kZoneExpiries);
      }
    }
  }
  Impl* raw = impl_.get();
  s.loop.post([raw] {
    const auto t = Clock::now();
    for (auto& [origin, z] : raw->by_origin) {
      z->refresh.start(z->start_soa, z->start_refreshed, t);
      raw->handle_events(*z);
    }
    raw->schedule();
  });
  s.loop.start();
}

void SecondaryService::set_metrics(Metrics* m) {
  impl_->metrics = m;
  impl_->forwarder.set_metrics(m);
}

void SecondaryService::stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.loop.stop();
  s.forwarder.stop();
  for (auto& [origin, z] : s.by_origin) {
    if (z->exchange) z->exchange->cancel();
    z->exchange.reset();
    z->transfer.reset();
  }
}

const ZoneConfig* SecondaryService::zone(const wire::Name& origin) const {
  auto it = impl_->by_origin.find(origin);
  return it == impl_->by_origin.end() ? nullptr : it->second->config;
}

std::optional<std::size_t> SecondaryService::primary_at(const ZoneConfig& zc,
                                                        const xfr::IpAddress& from) {
  for (std::size_t i = 0; i < zc.primaries.size(); ++i) {
    auto ip = xfr::IpAddress::parse(zc.primaries[i].address.address);
    if (ip && ip->unmapped() == from.unmapped()) return i;
  }
  return std::nullopt;
}

void SecondaryService::notify(const wire::Name& origin, std::size_t primary) {
  Impl* raw = impl_.get();
  impl_->loop.post([raw, origin, primary] {
    auto it = raw->by_origin.find(origin);
    if (it == raw->by_origin.end()) return;
    it->second->refresh.notify(primary, Clock::now());
    raw->handle_events(*it->second);
    raw->schedule();
  });
}

void SecondaryService::refresh_all() {
  Impl* raw = impl_.get();
  impl_->loop.post([raw] {
    for (auto& [origin, z] : raw->by_origin) {
      z->refresh.notify(0, Clock::now());
      raw->handle_events(*z);
    }
    raw->schedule();
  });
}

void SecondaryService::forward_update(const ZoneConfig& zc, std::vector<std::uint8_t> update,
                                      std::vector<std::uint8_t> servfail, io::Reply reply) {
  std::vector<io::Endpoint> to;
  for (const auto& p : zc.primaries) to.push_back(p.address);
  impl_->forwarder.forward(std::move(to), std::move(update), std::move(servfail), std::move(reply));
}

void SecondaryService::Impl::handle_events(Zone& z) {
  while (auto e = z.refresh.poll_event()) {
    if (e->kind == xfr::RefreshEvent::Kind::kExpired) {
      zones.set_expired(z.origin, true);
      count(Counter::kZoneExpiries);
      continue;
    }
    count(Counter::kXfrChecks);
    begin_attempt(z, e->primary,
                  z.config->secondary.request_ixfr ? TransferType::kIxfr : TransferType::kAxfr,
                  false);
  }
}

void SecondaryService::Impl::begin_attempt(Zone& z, std::size_t primary, TransferType type,
                                           bool fallback) {
  const auto now = Clock::now();
  const PrimaryConfig& p = z.config->primaries[primary];
  const SecondaryConfig& sc = z.config->secondary;
  z.primary = primary;
  z.fell_back = fallback;
  z.unreachable = false;
  z.attempt_started = now;
  xfr::TransferInOptions o;
  o.type = type;
  o.key = p.key;
  o.limits.max_bytes = sc.max_transfer_bytes;
  o.limits.max_records = sc.max_transfer_records;
  o.limits.max_time = sc.max_transfer_time;
  o.limits.idle_timeout = std::min<Duration>(std::chrono::seconds(30), sc.max_transfer_time);
  auto t = xfr::TransferIn::start(z.origin, copy(z.origin), static_cast<std::uint16_t>(rng()),
                                  std::move(o), now, wall());
  if (!t) {
    spdlog::error("zone {}: cannot build the transfer request for {}: {}", z.origin.to_text(),
                  p.address.to_string(), t.error().message);
    z.refresh.failed(now);
    return;  // handle_events' loop picks up what failed() asked for
  }
  z.transfer.emplace(std::move(*t));
  const std::uint64_t gen = ++z.generation;
  Zone* zp = &z;
  spdlog::debug("zone {}: {} to {}", z.origin.to_text(),
                z.transfer->type() == TransferType::kIxfr ? "IXFR" : "AXFR", p.address.to_string());
  z.exchange = io::TcpExchange::start(
      loop, p.address, z.transfer->request(),
      [this, zp, gen](std::span<const std::uint8_t> msg) {
        if (gen != zp->generation || !zp->transfer) return false;
        zp->transfer->receive(msg, Clock::now(), wall());
        if (!zp->transfer->done()) return true;
        finish_attempt(*zp);
        schedule();
        return false;
      },
      [this, zp, gen](Result<void> r) {
        if (gen != zp->generation || !zp->transfer) return;
        // Once the request is out, the primary ended the stream (closed or reset it):
        // RFC 5936 §2.3. Before, it could not be reached at all.
        if (r || (zp->exchange && zp->exchange->sent())) {
          zp->transfer->on_closed(Clock::now());
        } else {
          zp->unreachable = true;
          zp->transfer->on_io_error(r.error().message);
        }
        finish_attempt(*zp);
        schedule();
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min<Duration>(std::chrono::seconds(10), sc.max_transfer_time)));
}

namespace {

std::string_view kind_text(const xfr::TransferInResult& r, TransferType asked) {
  switch (r.kind) {
    case xfr::TransferInKind::kUpToDate:
      return "up to date";
    case xfr::TransferInKind::kIncremental:
      return "IXFR";
    case xfr::TransferInKind::kFull:
      return asked == TransferType::kIxfr ? "IXFR (full zone)" : "AXFR";
  }
  return "?";
}

std::size_t kind_label(const xfr::TransferInResult& r, TransferType asked) {
  using metric_labels::kTransferInKind;
  switch (r.kind) {
    case xfr::TransferInKind::kUpToDate:
      return label_index(kTransferInKind, "up_to_date");
    case xfr::TransferInKind::kIncremental:
      return label_index(kTransferInKind, "ixfr");
    case xfr::TransferInKind::kFull:
      break;
  }
  return asked == TransferType::kIxfr ? label_index(kTransferInKind, "ixfr_axfr")
                                      : label_index(kTransferInKind, "axfr");
}

std::size_t failure_label(const xfr::TransferIn& t, bool unreachable) {
  using metric_labels::kXfrFailure;
  using E = xfr::TransferInError;
  switch (t.error()) {
    case E::kRcode:
      return t.rcode() == wire::Rcode::REFUSED ? label_index(kXfrFailure, "refused")
                                               : label_index(kXfrFailure, "rcode");
    case E::kMalformed:
      return label_index(kXfrFailure, "malformed");
    case E::kTsig:
      return label_index(kXfrFailure, "tsig");
    case E::kBadRecord:
      return label_index(kXfrFailure, "bad_record");
    case E::kSerialBackwards:
      return label_index(kXfrFailure, "serial_backwards");
    case E::kInconsistent:
      return label_index(kXfrFailure, "inconsistent");
    case E::kLimit:
      return label_index(kXfrFailure, "limit");
    case E::kTimeout:
      return label_index(kXfrFailure, "timeout");
    case E::kNone:
    case E::kClosed:
      break;
  }
  return unreachable ? label_index(kXfrFailure, "unreachable") : label_index(kXfrFailure, "closed");
}

}  // namespace

void SecondaryService::Impl::finish_attempt(Zone& z) {
  xfr::TransferIn t = std::move(*z.transfer);
  z.transfer.reset();
  if (z.exchange) z.exchange->cancel();  // may be inside its callback: it allows that
  z.exchange.reset();
  const auto now = Clock::now();
  const PrimaryConfig& p = z.config->primaries[z.primary];
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - z.attempt_started).count();
  const char* asked = t.type() == TransferType::kIxfr ? "IXFR" : "AXFR";
  if (!t.ok()) {
    auto base = copy(z.origin);
    spdlog::error("zone {}: {} from {} rejected ({}): {}; {}", z.origin.to_text(), asked,
                  p.address.to_string(), xfr::to_text(t.error()), t.reason(),
                  base ? "keeping serial " + std::to_string(base->serial().value())
                       : std::string("still no copy"));
    count(Counter::kXfrFailures, failure_label(t, z.unreachable));
    if (t.error() == xfr::TransferInError::kLimit) {
      count(Counter::kLimitHits, static_cast<std::size_t>(Limit::kMaxTransferSize));
    }
    if (t.fallback_to_axfr() && !z.fell_back) {
      count(Counter::kXfrFallbacks);
      spdlog::info("zone {}: trying AXFR from {}", z.origin.to_text(), p.address.to_string());
      begin_attempt(z, z.primary, TransferType::kAxfr, true);
      handle_events(z);
      return;
    }
    z.refresh.failed(now);
    handle_events(z);
    return;
  }
  auto r = t.take_result();
  z.kind = kind_label(r, t.type());
  std::size_t changesets = r.steps.size();
  const Serial from = r.base ? r.base->serial() : Serial();
  // A refresh that finds nothing new is a debug line; a transfer is an info line.
  spdlog::log(r.kind == xfr::TransferInKind::kUpToDate ? spdlog::level::debug : spdlog::level::info,
              "zone {}: {} from {}: serial {} -> {} ({} changeset{}, {} records, {} message{}, "
              "{} bytes, {} ms)",
              z.origin.to_text(), kind_text(r, t.type()), p.address.to_string(),
              r.base ? std::to_string(from.value()) : std::string("none"), r.serial.value(),
              changesets, changesets == 1 ? "" : "s", r.records, r.messages,
              r.messages == 1 ? "" : "s", r.bytes, ms);
  Impl* raw = this;
  Zone* zp = &z;
  const std::uint64_t gen = z.generation;
  // The refresh stays "checking" until the writer has it durable and published.
  zones.submit_transfer(TransferCommit{z.origin, std::move(r), [raw, zp, gen](Result<Serial> s) {
                                         raw->loop.post([raw, zp, gen, s] {
                                           if (gen != zp->generation) return;
                                           raw->committed(*zp, s);
                                           raw->schedule();
                                         });
                                       }});
}

void SecondaryService::Impl::committed(Zone& z, const Result<Serial>& r) {
  const auto now = Clock::now();
  auto c = copy(z.origin);
  const auto soa = c ? zone::parse_soa(c->soa_record().rdata) : std::nullopt;
  if (!r || !soa) {
    spdlog::error("zone {}: transfer not committed: {}", z.origin.to_text(),
                  r ? std::string("no copy after the commit") : r.error().message);
    count(Counter::kXfrFailures, label_index(metric_labels::kXfrFailure, "not_committed"));
    z.refresh.failed(now);
  } else {
    count(Counter::kTransfersIn, z.kind);
    z.refresh.succeeded(*soa, now);
    write_refreshed(z.origin);
  }
  handle_events(z);
}

void SecondaryService::Impl::on_timer() {
  const auto now = Clock::now();
  for (auto& [origin, z] : by_origin) {
    if (z->transfer) {
      z->transfer->on_timeout(now);
      if (z->transfer->done()) finish_attempt(*z);
    }
    z->refresh.on_timeout(now);
    handle_events(*z);
  }
  schedule();
}

void SecondaryService::Impl::schedule() {
  std::optional<TimePoint> next;
  for (auto& [origin, z] : by_origin) {
    for (auto t :
         {z->transfer ? z->transfer->next_timeout() : std::nullopt, z->refresh.next_timeout()}) {
      if (t && (!next || *t < *next)) next = t;
    }
  }
  if (timer && timer_at == next) return;
  if (timer) loop.cancel(*timer);
  timer.reset();
  timer_at = next;
  if (!next) return;
  timer = loop.schedule(*next, [this] {
    timer.reset();
    timer_at.reset();
    on_timer();
  });
}

}  // namespace dnspush::server
