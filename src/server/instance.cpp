#include "server/instance.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <mutex>

#include "io/control_socket.hpp"
#include "server/control.hpp"
#include "server/discovery.hpp"
#include "server/dispatcher.hpp"
#include "server/metrics_service.hpp"
#include "server/notify_sender.hpp"
#include "server/push_service.hpp"
#include "server/secondary.hpp"

namespace dnspush::server {

namespace fs = std::filesystem;

namespace {

Result<std::shared_ptr<io::TlsContext>> tls_credentials(const Config& c) {
  if (!c.tls_certificate.empty()) {
    std::vector<std::pair<std::string, std::string>> alternatives;
    for (const auto& [cert, key] : c.tls_alternatives) {
      alternatives.emplace_back(cert.string(), key.string());
    }
    return io::TlsContext::server(c.tls_certificate.string(), c.tls_key.string(), alternatives);
  }
  // No configured credentials: a self-signed certificate, made once and reused.
  const fs::path cert = c.state_dir / "self-signed-cert.pem";
  const fs::path key = c.state_dir / "self-signed-key.pem";
  std::error_code ec;
  if (!fs::exists(cert, ec) || !fs::exists(key, ec)) {
    std::vector<std::string> names = c.tls_names;
    // The DNS Push SRV targets: clients check the certificate against them (RFC 8765 §6.1).
    if (c.push.enabled) {
      for (const auto& z : c.zones) {
        if (!z.push) continue;
        std::string t = push_target(c, z);
        if (!t.empty() && t.back() == '.') t.pop_back();
        if (!t.empty()) names.push_back(t);
      }
    }
    for (const auto& e : c.tls) {
      unsigned char any[16] = {};
      unsigned char buf[16];
      inet_pton(e.v6 ? AF_INET6 : AF_INET, e.address.c_str(), buf);
      if (std::memcmp(buf, any, e.v6 ? 16 : 4) != 0) names.push_back(e.address);
    }
    if (auto r = io::TlsContext::generate_self_signed(cert.string(), key.string(), names); !r) {
      return tl::unexpected(r.error());
    }
    spdlog::info("generated a self-signed TLS certificate: {} (key {})", cert.string(),
                 key.string());
  } else {
    spdlog::info("using the self-signed TLS certificate {}", cert.string());
  }
  return io::TlsContext::server(cert.string(), key.string());
}

}  // namespace

Result<std::shared_ptr<io::TlsContext>> tls_context(const Config& c) {
  auto t = tls_credentials(c);
  if (t) (*t)->set_take_over_records(c.tls_own_records);
  return t;
}

struct Instance::Impl {
  Metrics metrics;  // first: everything below counts into it until destroyed
  Config config;
  auth::Responder responder;
  std::unique_ptr<ZoneManager> zones;
  std::shared_ptr<NotifySender> notify;
  std::unique_ptr<SecondaryService> secondary;
  std::unique_ptr<Dispatcher> dispatcher;
  std::shared_ptr<PushService> push;
  std::unique_ptr<io::Server> io;
  std::unique_ptr<MetricsService> metrics_http;
  std::unique_ptr<io::ControlSocket> control;
  bool started = false;
  bool stopped = false;
  std::mutex reconfigure_m;
  std::string config_text;  // of the configuration in effect (under reconfigure_m)

  explicit Impl(Config c, const auth::ResponderOptions& ro) : config(std::move(c)), responder(ro) {}
};

Result<std::unique_ptr<Instance>> Instance::create(Config config, InstanceOptions o) {
  auth::ResponderOptions ro;
  ro.default_udp_payload = config.udp_payload;
  ro.max_udp_payload = config.udp_payload;
  ro.answer_cache = config.answer_cache;
  ro.synthetic = discovery_records(config);
  auto impl = std::make_unique<Impl>(std::move(config), ro);
  const Config& c = impl->config;
  if (auto text = read_config_text(c.source)) impl->config_text = std::move(*text);

  ZoneManagerOptions zo;
  zo.now = o.now;
  zo.metrics = &impl->metrics;
  auto zones = ZoneManager::create(c, impl->responder, zo);
  if (!zones) return tl::unexpected(zones.error());
  impl->zones = std::move(*zones);
  impl->notify = NotifySender::create(c, o.now);
  impl->notify->set_metrics(&impl->metrics);
  impl->zones->add_listener(impl->notify);
  // Secondary zones follow their primaries (NOTIFY in, IXFR/AXFR in, timers).
  impl->secondary = SecondaryService::create(c, *impl->zones, impl->responder, o.now);
  impl->secondary->set_metrics(&impl->metrics);
  impl->dispatcher = std::make_unique<Dispatcher>(
      impl->responder, *impl->zones, c.max_transfers_out, o.now, impl->secondary.get());
  impl->dispatcher->set_metrics(&impl->metrics);

  io::ServerOptions so;
  so.dns = c.dns;
  so.tls = c.tls;
  so.workers = c.effective_workers();
  so.tcp_idle_timeout = c.tcp_idle_timeout;
  so.message_timeout = c.tcp_message_timeout;
  so.max_outstanding = c.max_pipelined;
  so.tls_handshake_timeout = c.tls_handshake_timeout;
  so.max_connections = c.max_connections;
  so.max_connections_per_address = c.max_connections_per_address;
  so.max_pending_bytes = c.max_pending_bytes;
  so.send_batch = c.send_batch;
  so.tcp_send_buffer = c.tcp_send_buffer;
  so.metrics = &impl->metrics;
  if (!c.tls.empty()) {
    so.tls_context = o.tls;
    if (!so.tls_context) {
      auto t = tls_context(c);
      if (!t) return tl::unexpected(t.error());
      so.tls_context = *t;
    }
  }
  // DNS Push on the TLS listeners (and plain TCP when asked): DSO sessions whose
  // application TLVs go to one PushApp per worker; commits reach them via the PushService.
  // LLQ (RFC 8764) runs in the same per-worker app, as its datagram side: on the llq
  // listeners and, for queries carrying the LLQ option, on the DNS port.
  const bool dso_push = c.push.enabled && (!c.tls.empty() || c.push.dso_on_tcp);
  if (dso_push || c.llq.enabled) {
    impl->push = std::make_shared<PushService>(
        impl->config, impl->responder, [zones = impl->zones.get()](const wire::Name& origin) {
          return zones->zone_config(origin);
        });
    impl->push->set_metrics(&impl->metrics);
    so.session_app = impl->push->app_factory();
    so.dso = dso_push;
    if (dso_push) {
      so.dso_tlvs = impl->push->tlvs();
      so.dso_on_tcp = c.push.dso_on_tcp;
      so.dso_timeouts = dso::Timeouts{c.push.inactivity_timeout, c.push.keepalive_interval};
    }
    if (c.llq.enabled) {
      so.llq = c.llq.listen;
      if (c.llq.on_dns_port) so.datagram_option = wire::edns_option::kLlq;
      if (c.llq.streams) so.stream_option = wire::edns_option::kLlq;
    }
    impl->zones->add_listener(impl->push);
  }
  so.fast_path = impl->dispatcher->fast_path();
  auto server = io::Server::create(so, impl->dispatcher->handler());
  if (!server) return tl::unexpected(server.error());
  impl->io = std::move(*server);
  if (impl->push) impl->push->attach(*impl->io);
  if (c.metrics_listen) {
    Impl* raw = impl.get();
    auto m = MetricsService::create(*c.metrics_listen, impl->metrics, [raw] {
      ScrapeState st;
      if (auto cat = raw->responder.catalogue()) {
        for (const auto& zc : raw->zones->current_config().zones) {
          auto origin = wire::Name::from_text(zc.origin);
          const auto* z = origin ? cat->find_exact(*origin) : nullptr;
          if (z == nullptr) continue;
          st.zones.push_back(
              {(*z)->origin().to_text(), (*z)->serial().value(), (*z)->record_count()});
        }
      }
      st.connections = raw->io->connection_count();
      st.transfers_out = raw->dispatcher->transfers_in_progress();
      st.workers = raw->io->workers();
      return st;
    });
    if (!m) return tl::unexpected(m.error());
    impl->metrics_http = std::move(*m);
  }
  std::unique_ptr<Instance> instance(new Instance(std::move(impl)));
  if (o.control) {
    Instance* raw = instance.get();
    auto ctl = io::ControlSocket::create(
        c.state_dir / "dnspushd.sock",
        [raw, stop = o.stop](std::string_view line) { return control_command(*raw, line, stop); });
    if (!ctl) return tl::unexpected(ctl.error());
    instance->impl_->control = std::move(*ctl);
  }
  return instance;
}

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Instance::~Instance() {
  stop();
}

void Instance::add_listener(std::shared_ptr<ChangesetListener> l) {
  impl_->zones->add_listener(std::move(l));
}

void Instance::start() {
  if (impl_->started) return;
  impl_->started = true;
  impl_->notify->start();
  impl_->secondary->start();  // before the writer: copies expired while down stay unserved
  impl_->zones->start();
  impl_->io->start();
  if (impl_->metrics_http) impl_->metrics_http->start();
  if (impl_->control) impl_->control->start();
}

void Instance::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->metrics_http) impl_->metrics_http->stop();
  if (impl_->control) impl_->control->stop();
  // Transfers first (nothing more is submitted), then the writer (its callbacks to the
  // secondary loop are dropped by then).
  impl_->secondary->stop();
  impl_->zones->stop();
  impl_->notify->stop();
  if (impl_->push && impl_->started) {
    // RFC 8490 §6.6.1: push clients are told when to come back instead of finding the
    // connection gone; the others get their pending answers. Bounded.
    impl_->io->drain(impl_->config.push.shutdown_retry_delay, std::chrono::seconds(2));
  }
  impl_->io->stop();
}

PushService* Instance::push() {
  return impl_->push.get();
}

Metrics& Instance::metrics() {
  return impl_->metrics;
}

const io::Endpoint* Instance::metrics_bound() const {
  return impl_->metrics_http ? &impl_->metrics_http->bound() : nullptr;
}

void Instance::reload() {
  impl_->zones->reload();
  impl_->secondary->refresh_all();
}

Result<std::string> Instance::reconfigure() {
  std::lock_guard lock(impl_->reconfigure_m);
  const fs::path& path = impl_->config.source;
  auto refused = [&](const std::string& why) {
    spdlog::error("configuration reload refused, the running configuration stays: {}", why);
    return fail(Errc::kInvalidConfig, "configuration not reloaded: " + why);
  };
  auto text = read_config_text(path);
  if (!text) return refused(text.error().message);
  auto next = parse_config(*text, path);
  if (!next) return refused(next.error().message);
  const auto restart = restart_only_changes(impl_->config_text, *text);
  auto r = impl_->zones->reconfigure(std::move(*next));
  if (!r) return refused(r.error().message);
  impl_->config_text = std::move(*text);
  // The discovery SRV records of the zones now served (added ones, and push/llq switched):
  // the listeners and [push]/[llq] they point at stay those of the start.
  Config served = impl_->config;
  served.zones = impl_->zones->current_config().zones;
  impl_->responder.set_synthetic(discovery_records(served));
  impl_->notify->reconfigure(impl_->zones->current_config());
  impl_->secondary->refresh_all();
  std::string summary = *r;
  if (!restart.empty()) {
    std::string names;
    for (const auto& s : restart) names += (names.empty() ? "" : ", ") + s;
    summary += "; changed " + names + ": needs a restart, not applied";
  }
  if (restart.empty()) {
    spdlog::info("{}", summary);
  } else {
    spdlog::warn("{}", summary);
  }
  return summary;
}

const Config& Instance::config() const {
  return impl_->config;
}
const std::vector<io::BoundAddress>& Instance::bound() const {
  return impl_->io->bound();
}
ZoneManager& Instance::zones() {
  return *impl_->zones;
}
const auth::Responder& Instance::responder() const {
  return impl_->responder;
}
io::Server& Instance::io() {
  return *impl_->io;
}

}  // namespace dnspush::server
