#include "server/control.hpp"

#include <charconv>
#include <sstream>
#include <vector>

#include "server/daemon.hpp"
#include "server/instance.hpp"

namespace dnspush::server {
namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

const char* transport_name(auth::Transport t) {
  return t == auth::Transport::kUdp ? "udp" : t == auth::Transport::kTcp ? "tcp" : "tls";
}

std::string status(Instance& in) {
  std::ostringstream o;
  const auto t = in.metrics().totals();
  o << "version " << kVersion << "\n";
  o << "connections " << in.io().connection_count() << "\n";
  o << "dso-sessions " << t.gauge(Counter::kDsoSessions) << "\n";
  o << "subscriptions " << t.gauge(Counter::kSubscriptions) << "\n";
  auto cat = in.responder().catalogue();
  for (const auto& zc : in.zones().current_config().zones) {
    auto origin = wire::Name::from_text(zc.origin);
    const auto* z = origin && cat ? cat->find_exact(*origin) : nullptr;
    if (z == nullptr) continue;
    o << "zone " << (*z)->origin().to_text() << " serial " << (*z)->serial().value() << " records "
      << (*z)->record_count() << (in.zones().frozen(*origin) ? " frozen" : "") << "\n";
  }
  return o.str();
}

std::string sessions(Instance& in) {
  std::ostringstream o;
  o << "id\tclient\ttransport\tdso\tsubscriptions\tqueued-bytes\n";
  for (const auto& c : in.io().connections()) {
    o << c.id << "\t" << auth::to_text(c.peer) << "#" << c.peer.port << "\t"
      << transport_name(c.transport) << "\t" << (c.dso ? "yes" : "no") << "\t" << c.long_lived
      << "\t" << c.queued_bytes << "\n";
  }
  return o.str();
}

}  // namespace

std::string control_command(Instance& in, std::string_view line,
                            const std::function<void()>& stop) {
  const auto w = words(line);
  if (w.empty()) return "error: empty command (try: status)\n";
  const std::string_view cmd = w[0];
  auto zone_arg = [&](wire::Name& out) -> std::string {
    if (w.size() != 2) return "error: usage: " + std::string(cmd) + " <zone>\n";
    auto n = wire::Name::from_text(w[1]);
    if (!n) return "error: " + std::string(w[1]) + ": " + n.error().message + "\n";
    out = *n;
    return {};
  };
  if (cmd == "status" && w.size() == 1) return status(in);
  if (cmd == "sessions" && w.size() == 1) return sessions(in);
  if (cmd == "close") {
    std::uint64_t id = 0;
    if (w.size() != 2 ||
        std::from_chars(w[1].data(), w[1].data() + w[1].size(), id).ec != std::errc()) {
      return "error: usage: close <id> (ids: sessions)\n";
    }
    return in.io().close_connection(id) ? "ok\n"
                                        : "error: no connection " + std::string(w[1]) + "\n";
  }
  if (cmd == "reload") {
    if (w.size() == 1) {
      // The configuration file too, as SIGHUP: zones added and removed, keys.
      auto r = in.reconfigure();
      return r ? "ok: " + *r + "\n" : "error: " + r.error().message + "\n";
    }
    wire::Name z;
    if (auto e = zone_arg(z); !e.empty()) return e;
    return in.zones().reload(z) ? "ok: reloading " + z.to_text() + "\n"
                                : "error: not a zone of this server: " + z.to_text() + "\n";
  }
  if (cmd == "freeze" || cmd == "thaw") {
    wire::Name z;
    if (auto e = zone_arg(z); !e.empty()) return e;
    auto r = cmd == "freeze" ? in.zones().freeze(z) : in.zones().thaw(z);
    return r ? "ok: " + *r + "\n" : "error: " + r.error().message + "\n";
  }
  if (cmd == "stop" && w.size() == 1) {
    if (!stop) return "error: stop is not available here\n";
    stop();
    return "ok: stopping\n";
  }
  return "error: unknown command: " + std::string(line) +
         " (status, sessions, close <id>, reload [zone], freeze <zone>, thaw <zone>, stop)\n";
}

}  // namespace dnspush::server
