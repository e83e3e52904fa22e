#include "server/notify_sender.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <random>
#include <string>
#include <unordered_map>

#include "io/loop.hpp"
#include "xfr/acl.hpp"

namespace dnspush::server {

struct NotifySender::Impl {
  struct Zone {
    const ZoneConfig* config = nullptr;
    std::unique_ptr<xfr::NotifyOut> notify;
    std::vector<xfr::IpAddress> addrs;  // parsed config->notify, same order
  };

  io::Loop loop;
  std::unordered_map<wire::Name, Zone, wire::NameHash> zones;
  std::mt19937 rng{std::random_device{}()};
  std::optional<io::Loop::TimerId> timer;
  std::optional<TimePoint> timer_at;
  bool started = false;
  bool udp = false;       // the sockets opened
  std::string udp_error;  // why not
  // Whether any zone has targets: a commit of a server without any posts nothing.
  std::atomic<bool> any{false};
  Metrics* metrics = nullptr;
  WallClock now;
  xfr::NotifyConfig cfg;

  Impl(WallClock n, xfr::NotifyConfig c) : now(std::move(n)), cfg(c) {}
  Zone make_zone(const wire::Name& origin, const ZoneConfig& zc);
  // The zones with targets in `config` (whose zone configurations must outlive this): kept
  // where their targets and key are unchanged (retransmissions go on), made anew where
  // they changed, dropped where they are gone.
  void apply(const Config& config);
  void on_datagram(const io::Endpoint& from, std::span<const std::uint8_t> bytes);
  void pump();
};

NotifySender::Impl::Zone NotifySender::Impl::make_zone(const wire::Name& origin,
                                                       const ZoneConfig& zc) {
  Zone z;
  z.config = &zc;
  for (const auto& e : zc.notify) {
    auto ip = xfr::IpAddress::parse(e.address);
    z.addrs.push_back(ip ? *ip : xfr::IpAddress::v4({0, 0, 0, 0}));
  }
  // RFC 8945: NOTIFYs signed with the zone's notify-key, room kept for the TSIG.
  xfr::NotifyConfig ncfg = cfg;
  xfr::NotifyOut::Signer signer;
  if (zc.notify_key) {
    ncfg.signer_reserve = wire::tsig_wire_size(*zc.notify_key);
    signer = xfr::tsig_notify_signer(*zc.notify_key, now);
  }
  z.notify = std::make_unique<xfr::NotifyOut>(
      origin, zc.notify.size(), [this] { return static_cast<std::uint16_t>(rng()); }, ncfg,
      std::move(signer));
  return z;
}

namespace {
bool same_targets(const ZoneConfig& a, const ZoneConfig& b) {
  if (a.notify != b.notify || a.notify_key.has_value() != b.notify_key.has_value()) return false;
  return !a.notify_key ||
         (a.notify_key->name == b.notify_key->name && a.notify_key->alg == b.notify_key->alg &&
          a.notify_key->secret == b.notify_key->secret);
}
}  // namespace

void NotifySender::Impl::apply(const Config& config) {
  std::unordered_map<wire::Name, Zone, wire::NameHash> next;
  for (const auto& zc : config.zones) {
    if (zc.notify.empty()) continue;
    auto origin = wire::Name::from_text(zc.origin);
    if (!origin) continue;  // the configuration checked it
    if (!udp) {
      spdlog::warn("NOTIFY out disabled ({}): zone {} is not announced", udp_error,
                   origin->to_text());
      continue;
    }
    auto it = zones.find(*origin);
    if (it != zones.end() && same_targets(*it->second.config, zc)) {
      it->second.config = &zc;
      next.emplace(*origin, std::move(it->second));
    } else {
      next.emplace(*origin, make_zone(*origin, zc));
    }
  }
  zones = std::move(next);
  any.store(!zones.empty(), std::memory_order_relaxed);
}

std::shared_ptr<NotifySender> NotifySender::create(const Config& config, WallClock now,
                                                   xfr::NotifyConfig cfg) {
  auto impl = std::make_unique<Impl>(std::move(now), cfg);
  Impl* raw = impl.get();
  // Opened even when no zone has targets yet: a configuration reload may add some.
  if (auto r = impl->loop.open_udp(
          [raw](const io::Endpoint& from, auto bytes) { raw->on_datagram(from, bytes); });
      r) {
    impl->udp = true;
  } else {
    impl->udp_error = r.error().message;  // told per zone with targets (apply)
  }
  impl->apply(config);
  return std::shared_ptr<NotifySender>(new NotifySender(std::move(impl)));
}

void NotifySender::reconfigure(const Config& next) {
  // Before the post: a commit that follows this call posts behind the new targets.
  for (const auto& zc : next.zones) {
    if (!zc.notify.empty()) impl_->any.store(true, std::memory_order_relaxed);
  }
  Impl* raw = impl_.get();
  const Config* c = &next;
  impl_->loop.post([raw, c] {
    raw->apply(*c);
    raw->pump();
  });
}

NotifySender::NotifySender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NotifySender::~NotifySender() {
  stop();
}

void NotifySender::set_metrics(Metrics* m) {
  impl_->metrics = m;
}

void NotifySender::start() {
  if (impl_->started) return;
  impl_->started = true;
  impl_->loop.start();
}

void NotifySender::stop() {
  impl_->loop.stop();
}

void NotifySender::on_commit(const zone::CommitPtr& commit) {
  if (!impl_->any.load(std::memory_order_relaxed)) return;
  Impl* raw = impl_.get();
  impl_->loop.post([raw, commit] {
    auto it = raw->zones.find(commit->origin);
    if (it == raw->zones.end()) return;
    it->second.notify->notify(commit->after->soa_record(), Clock::now());
    raw->pump();
  });
}

void NotifySender::Impl::on_datagram(const io::Endpoint& from,
                                     std::span<const std::uint8_t> bytes) {
  auto ip = xfr::IpAddress::parse(from.address);
  if (!ip) return;
  for (auto& [origin, z] : zones) {
    for (std::size_t t = 0; t < z.addrs.size(); ++t) {
      // RFC 1996 §3.6: a response is matched by source address and port (and id).
      if (z.config->notify[t].port == from.port && z.addrs[t].unmapped() == ip->unmapped()) {
        z.notify->receive(t, bytes, Clock::now());
      }
    }
  }
  pump();
}

namespace {
std::size_t notify_result_label(xfr::NotifyEvent::Outcome o) {
  using metric_labels::kNotifyResult;
  switch (o) {
    case xfr::NotifyEvent::Outcome::kAcknowledged:
      return label_index(kNotifyResult, "acknowledged");
    case xfr::NotifyEvent::Outcome::kRejected:
      return label_index(kNotifyResult, "rejected");
    case xfr::NotifyEvent::Outcome::kNotImplemented:
      return label_index(kNotifyResult, "not_implemented");
    case xfr::NotifyEvent::Outcome::kTimedOut:
      return label_index(kNotifyResult, "timed_out");
    case xfr::NotifyEvent::Outcome::kSignFailed:
      return label_index(kNotifyResult, "sign_failed");
  }
  return label_index(kNotifyResult, "sign_failed");
}
}  // namespace

void NotifySender::Impl::pump() {
  std::optional<TimePoint> next;
  for (auto& [origin, z] : zones) {
    while (auto tx = z.notify->poll_transmit()) {
      loop.send_udp(z.config->notify[tx->target], tx->bytes);
      if (metrics) metrics->add(Counter::kNotifiesOut);
    }
    while (auto ev = z.notify->poll_event()) {
      const auto& target = z.config->notify[ev->target];
      if (metrics) metrics->add(Counter::kNotifyResults, notify_result_label(ev->outcome));
      switch (ev->outcome) {
        case xfr::NotifyEvent::Outcome::kAcknowledged:
          spdlog::info("NOTIFY {} serial {} acknowledged by {}", origin.to_text(),
                       ev->serial.value(), target.to_string());
          break;
        case xfr::NotifyEvent::Outcome::kNotImplemented:
        case xfr::NotifyEvent::Outcome::kRejected:
          spdlog::warn("NOTIFY {} serial {} answered {} by {}", origin.to_text(),
                       ev->serial.value(), wire::to_text(ev->rcode), target.to_string());
          break;
        case xfr::NotifyEvent::Outcome::kTimedOut:
          spdlog::warn("NOTIFY {} serial {}: no answer from {} after {} tries", origin.to_text(),
                       ev->serial.value(), target.to_string(), ev->sends);
          break;
        case xfr::NotifyEvent::Outcome::kSignFailed:
          spdlog::error("NOTIFY {} to {}: signing failed", origin.to_text(), target.to_string());
          break;
      }
    }
    if (auto t = z.notify->next_timeout(); t && (!next || *t < *next)) next = t;
  }
  if (!next) {
    if (timer) loop.cancel(*timer);
    timer.reset();
    timer_at.reset();
    return;
  }
  if (timer && timer_at == next) return;
  if (timer) loop.cancel(*timer);
  timer_at = next;
  timer = loop.schedule(*next, [this] {
    timer.reset();
    timer_at.reset();
    const auto now = Clock::now();
    for (auto& [origin, z] : zones) z.notify->on_timeout(now);
    pump();
  });
}

}  // namespace dnspush::server
