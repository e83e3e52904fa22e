#include "commands.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "client/browser.hpp"
#include "client/discovery.hpp"
#include "client/format.hpp"
#include "client/net.hpp"
#include "client/update.hpp"
#include "io/asio.hpp"
#include "wire/reader.hpp"

namespace dnspush::cli {
namespace {

using client::FailureKind;
using client::Status;
using io::detail::kAsTuple;

template <class... A>
void err(fmt::format_string<A...> f, A&&... a) {
  std::fputs(("dnspush: " + fmt::format(f, std::forward<A>(a)...) + "\n").c_str(), stderr);
}

void out(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);  // one line at a time, also into pipes
}

int exit_for(FailureKind f) {
  switch (f) {
    case FailureKind::kNoServer:
      return kNoServer;
    case FailureKind::kConnect:
      return kConnect;
    case FailureKind::kTlsVerify:
      return kTlsVerify;
    case FailureKind::kRefused:
      return kRefused;
    case FailureKind::kNotAuth:
      return kNotAuth;
    case FailureKind::kRcode:
      return kRcode;
    case FailureKind::kTimeout:
      return kTimeout;
    case FailureKind::kUnavailable:
      return kUnavailable;
  }
  return kError;
}

int exit_for(client::net::Failure f) {
  switch (f) {
    case client::net::Failure::kTimeout:
      return kTimeout;
    case client::net::Failure::kUnreachable:
      return kConnect;
    case client::net::Failure::kTlsVerify:
      return kTlsVerify;
    default:
      return kError;
  }
}

int exit_for(wire::Rcode r) {
  switch (r) {
    case wire::Rcode::NOERROR:
    case wire::Rcode::NXDOMAIN:
      return kOk;
    case wire::Rcode::REFUSED:
      return kRefused;
    case wire::Rcode::NOTAUTH:
      return kNotAuth;
    default:
      return kRcode;
  }
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream f(path);
  ok = static_cast<bool>(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Duration seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// --insecure is for tests: say so every time, loudly.
void warn_insecure(const Common& c) {
  if (c.insecure)
    err("WARNING: --insecure: TLS certificates are NOT checked; anyone on the path can read and "
        "change what is shown");
}

std::optional<client::ResolverConfig> resolver_config(const Common& c,
                                                      const std::vector<std::string>& extra = {}) {
  client::ResolverConfig r;
  for (const auto& list : {c.resolvers, extra}) {
    for (const auto& s : list) {
      auto a = client::parse_server(s, 53);
      if (!a) {
        err("--resolver {}: {}", s, a.error().message);
        return std::nullopt;
      }
      r.servers.push_back(*a);
    }
  }
  return r;
}

std::optional<client::ClientOptions> client_options(const Common& c, const std::string& protocol,
                                                    double poll_interval) {
  client::ClientOptions o;
  auto p = client::protocol_from_text(protocol);
  if (!p) {
    err("unknown protocol \"{}\" (push, llq, poll, auto)", protocol);
    return std::nullopt;
  }
  o.protocol = *p;
  auto r = resolver_config(c);
  if (!r) return std::nullopt;
  o.resolver = *r;
  if (!c.server.empty()) {
    // --server names the push server (TLS, port 853 by default), or with --protocol llq
    // the LLQ server (UDP, port 5352 by convention, RFC 8764 §3.1).
    const bool llq = o.protocol == client::Protocol::kLlq;
    auto a = client::parse_server(c.server, llq ? 5352 : 853);
    if (!a) {
      err("--server {}: {}", c.server, a.error().message);
      return std::nullopt;
    }
    (llq ? o.llq_server : o.push_server) = *a;
  }
  o.tls_name = c.tls_name;
  o.ca_file = c.ca_file;
  o.insecure = c.insecure;
  o.dane = !c.no_dane;
  o.poll_interval = seconds(poll_interval);
  return o;
}

// NAME [TYPE] [CLASS] ...: a word that is a type (no final dot) after a name is its type,
// a class after that its class; anything else starts the next name.
std::optional<std::vector<client::Question>> questions(const std::vector<std::string>& args) {
  std::vector<client::Question> qs;
  int state = 0;  // 0: expect a name, 1: name seen, 2: type seen, 3: class seen
  for (const auto& a : args) {
    const bool dotted = !a.empty() && a.back() == '.';
    if (state == 1 && !dotted) {
      if (auto t = wire::rrtype_from_text(a)) {
        qs.back().type = *t;
        state = 2;
        continue;
      }
    }
    if ((state == 1 || state == 2) && !dotted) {
      if (auto c = wire::rrclass_from_text(a)) {
        qs.back().cls = *c;
        state = 3;
        continue;
      }
    }
    auto n = wire::Name::from_text(a);
    if (!n) {
      err("bad name \"{}\": {}", a, n.error().message);
      return std::nullopt;
    }
    qs.push_back(client::Question{*n, wire::RRType::A, wire::RRClass::IN});
    state = 1;
  }
  if (qs.empty()) {
    err("nothing to watch");
    return std::nullopt;
  }
  return qs;
}

// Runs a client until a stop condition: --count, --timeout, a signal or a failure.
struct Runner {
  asio::io_context ctx;
  asio::signal_set signals{ctx, SIGINT, SIGTERM};
  asio::steady_timer deadline{ctx};
  std::optional<client::Client> client;
  int rc = kOk;
  long events = 0;
  long count = 0;
  bool verbose = false;

  void stop(int code) {
    if (rc == kOk) rc = code;
    ctx.stop();
  }
  void counted() {
    if (count > 0 && ++events >= count) stop(kOk);
  }
  void status(const std::string& what, const Status& s) {
    switch (s.kind) {
      case Status::Kind::kFailed:
        err("{}: {}", what, s.text);
        stop(s.failure ? exit_for(*s.failure) : kError);
        return;
      case Status::Kind::kPushing:
      case Status::Kind::kLlq:
      case Status::Kind::kPolling:
      case Status::Kind::kReconnecting:
        std::fprintf(stderr, ";; %s: %s\n", what.c_str(), s.text.c_str());
        return;
      case Status::Kind::kInfo:
      case Status::Kind::kDiscovering:
        if (verbose) std::fprintf(stderr, ";; %s: %s\n", what.c_str(), s.text.c_str());
        return;
    }
  }
  int run(double timeout) {
    signals.async_wait([this](const std::error_code& ec, int) {
      if (!ec) stop(kOk);
    });
    if (timeout > 0) {
      deadline.expires_after(seconds(timeout));
      deadline.async_wait([this](const std::error_code& ec) {
        if (!ec) stop(kOk);
      });
    }
    ctx.run();
    return rc;
  }
};

std::string instance_line(const client::BrowseEvent& e) {
  const auto& i = e.instance;
  const char* sign = e.kind == client::BrowseEvent::Kind::kAdd      ? "+"
                     : e.kind == client::BrowseEvent::Kind::kUpdate ? "~"
                                                                    : "-";
  std::string line = fmt::format("{} {:<24}", sign, i.label);
  if (i.srv) line += fmt::format("  {}:{}", i.srv->target.to_text(), i.srv->port);
  if (!i.addresses.empty()) line += fmt::format("  {}", fmt::join(i.addresses, ","));
  for (const auto& t : i.txt)
    line += "  " + client::json_string(t).substr(1, client::json_string(t).size() - 2);
  return line;
}

std::string instance_json(const client::BrowseEvent& e, client::WallTime t) {
  const auto& i = e.instance;
  std::string addrs, txt;
  for (const auto& a : i.addresses) addrs += (addrs.empty() ? "" : ",") + client::json_string(a);
  for (const auto& s : i.txt) txt += (txt.empty() ? "" : ",") + client::json_string(s);
  return fmt::format(
      R"({{"time":{},"event":"{}","instance":{},"name":{},"host":{},"port":{},"addresses":[{}],"txt":[{}]}})",
      client::json_string(client::rfc3339(t)),
      e.kind == client::BrowseEvent::Kind::kAdd      ? "add"
      : e.kind == client::BrowseEvent::Kind::kUpdate ? "update"
                                                     : "remove",
      client::json_string(i.label), client::json_string(i.name.to_text()),
      i.srv ? client::json_string(i.srv->target.to_text()) : "null",
      i.srv ? std::to_string(i.srv->port) : "null", addrs, txt);
}

}  // namespace

// ---- watch ----------------------------------------------------------------------------------

int watch(const WatchOptions& o) {
  auto qs = questions(o.args);
  if (!qs) return kUsage;
  auto opts = client_options(o.common, o.protocol, o.poll_interval);
  if (!opts) return kUsage;
  warn_insecure(o.common);
  Runner r;
  r.count = o.count;
  r.verbose = o.common.verbose;
  r.client.emplace(r.ctx, *opts);
  for (const auto& q : *qs) {
    const std::string what = q.to_text();
    r.client->subscribe(
        q,
        [&r, json = o.json](const client::RecordEvent& e) {
          const auto now = std::chrono::system_clock::now();
          out(json ? client::event_json(e, now) : client::event_line(e, now));
          r.counted();
        },
        [&r, what](const Status& s) { r.status(what, s); });
  }
  return r.run(o.common.timeout);
}

// ---- browse ---------------------------------------------------------------------------------

int browse(const BrowseOptions& o) {
  std::string domain = o.domain;
  if (domain.empty()) {
    bool ok = false;
    domain = client::resolv_conf_domain(read_file("/etc/resolv.conf", ok));
    if (domain.empty()) {
      err("no DOMAIN given and no search domain in /etc/resolv.conf");
      return kUsage;
    }
  }
  auto type = wire::Name::from_text(o.service);
  auto dom = wire::Name::from_text(domain);
  if (!type || !dom || !type->concat(*dom)) {
    err("bad service type or domain: {} {}", o.service, domain);
    return kUsage;
  }
  const wire::Name browse_name = *type->concat(*dom);
  auto opts = client_options(o.common, o.protocol, o.poll_interval);
  if (!opts) return kUsage;
  warn_insecure(o.common);
  Runner r;
  r.count = o.count;
  r.verbose = o.common.verbose;
  r.client.emplace(r.ctx, *opts);
  const std::string what = browse_name.to_text();
  client::Browser browser(
      *r.client, browse_name,
      [&r, json = o.json](const client::BrowseEvent& e) {
        out(json ? instance_json(e, std::chrono::system_clock::now()) : instance_line(e));
        r.counted();
      },
      [&r, what](const Status& s) { r.status(what, s); });
  const int rc = r.run(o.common.timeout);
  return rc;
}

// ---- query ----------------------------------------------------------------------------------

int query(const QueryOptions& o) {
  auto name = wire::Name::from_text(o.name);
  auto type = wire::rrtype_from_text(o.type);
  auto cls = wire::rrclass_from_text(o.cls);
  if (!name || !type || !cls) {
    err("bad question: {} {} {}", o.name, o.type, o.cls);
    return kUsage;
  }
  const auto t = o.tls   ? client::net::Transport::kTls
                 : o.tcp ? client::net::Transport::kTcp
                         : client::net::Transport::kUdp;
  client::ServerAddress server;
  if (!o.common.server.empty()) {
    auto a = client::parse_server(o.common.server, o.tls ? 853 : 53);
    if (!a) {
      err("--server {}: {}", o.common.server, a.error().message);
      return kUsage;
    }
    server = *a;
  } else {
    auto rc = resolver_config(o.common);
    if (!rc) return kUsage;
    client::Resolver res(*rc);
    server = res.servers().front();
    if (o.tls && o.common.resolvers.empty()) server.port = 853;
  }
  warn_insecure(o.common);
  asio::io_context ctx;
  int rc = kOk;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        client::Resolver res(client::ResolverConfig{});
        auto addrs = co_await res.addresses(server.host);
        if (addrs.empty()) {
          err("cannot resolve {}", server.host);
          rc = kNoServer;
          co_return;
        }
        const client::net::Endpoint ep{*client::net::parse_address(addrs.front()), server.port};
        std::shared_ptr<io::TlsContext> tls;
        io::TlsClientParams params;
        if (o.tls) {
          io::ClientTlsOptions to;
          to.verify = !o.common.insecure;
          to.ca_file = o.common.ca_file;
          auto c = io::TlsContext::client(to);
          if (!c) {
            err("{}", c.error().message);
            rc = kUsage;
            co_return;
          }
          tls = *c;
          params.hostname = o.common.tls_name.empty() ? server.host : o.common.tls_name;
        }
        const Duration timeout = seconds(o.common.timeout > 0 ? o.common.timeout : 5);
        const auto id = static_cast<std::uint16_t>(std::random_device{}());
        client::QueryFlags f;
        f.authenticated_data = true;
        const client::Question q{*name, *type, *cls};
        auto bytes = client::build_query(q, id, f);
        client::net::Outcome<client::net::Bytes> answer;
        if (o.tls) {
          answer = co_await client::net::exchange_tls(ep, bytes, timeout, tls, params);
        } else {
          answer = co_await client::net::exchange(ep, t, bytes, timeout);
        }
        auto used = t;
        if (answer && t == client::net::Transport::kUdp) {
          auto h = wire::Header::peek(*answer.value);
          if (h && h->tc) {  // RFC 7766 §5: a truncated UDP answer is asked again over TCP
            std::fprintf(stderr, ";; truncated, retrying over TCP\n");
            used = client::net::Transport::kTcp;
            answer = co_await client::net::exchange(ep, used, bytes, timeout);
          }
        }
        if (!answer) {
          err("{}: {}", ep.to_text(), answer.error.text);
          rc = exit_for(answer.error.failure);
          co_return;
        }
        auto m = wire::Message::parse(*answer.value);
        if (!m) {
          err("malformed answer ({} bytes): {}", answer.value->size(), m.error().message);
          rc = kError;
          co_return;
        }
        std::fputs(wire::to_text(*m).c_str(), stdout);
        std::printf(";; SERVER: %s (%s)\n;; MSG SIZE  rcvd: %zu\n", ep.to_text().c_str(),
                    used == client::net::Transport::kTls   ? "TLS"
                    : used == client::net::Transport::kTcp ? "TCP"
                                                           : "UDP",
                    answer.value->size());
        rc = exit_for(m->rcode());
      },
      asio::detached);
  ctx.run();
  return rc;
}

// ---- discovery helpers ----------------------------------------------------------------------

namespace {

std::string soa_mname(const wire::Record& soa) {
  wire::Reader r(soa.rdata);  // SOA RDATA is held uncompressed: MNAME comes first
  const auto m = r.name();
  return r.ok() ? m.to_text() : std::string("?");
}

}  // namespace

// ---- discover -------------------------------------------------------------------------------

int discover(const DiscoverOptions& o) {
  auto name = wire::Name::from_text(o.name);
  if (!name) {
    err("bad name \"{}\": {}", o.name, name.error().message);
    return kUsage;
  }
  std::vector<std::string> extra;
  if (!o.common.server.empty()) extra.push_back(o.common.server);
  auto rc = resolver_config(o.common, extra);
  if (!rc) return kUsage;
  if (o.common.timeout > 0) rc->timeout = seconds(o.common.timeout);
  asio::io_context ctx;
  client::Resolver res(*rc);
  client::DiscoveryResult result;
  client::DiscoveryConfig cfg;
  using client::Service;
  cfg.services = {Service::kPushTls, Service::kLlqUdp, Service::kLlqTls, Service::kUpdateTls,
                  Service::kUpdateUdp};
  asio::co_spawn(
      ctx, [&]() -> asio::awaitable<void> { result = co_await res.discover(*name, cfg); },
      asio::detached);
  ctx.run();

  std::printf(";; resolver: %s\n", fmt::format("{}", fmt::join(
                                                         [&] {
                                                           std::vector<std::string> v;
                                                           for (const auto& s : res.servers())
                                                             v.push_back(s.to_text());
                                                           return v;
                                                         }(),
                                                         ", "))
                                       .c_str());
  for (const auto& line : result.log) std::printf(";; %s\n", line.c_str());
  if (!result.zone_found) {
    err("{}", result.error);
    return result.error.find("no answer") != std::string::npos ? kTimeout : kNoServer;
  }
  std::printf("\nzone: %s\n", result.zone.to_text().c_str());
  if (result.soa) std::printf("SOA:  %s\n", wire::to_text(*result.soa).c_str());
  const auto show = [&](Service s, const char* what) -> const client::ServiceTarget* {
    const auto* r = result.find(s);
    const client::ServiceTarget* chosen = nullptr;
    std::printf("\n%s (%s.%s):\n", what, std::string(client::service_label(s)).c_str(),
                result.zone.to_text().c_str());
    if (r == nullptr || r->targets.empty()) {
      std::printf("  none\n");
      return nullptr;
    }
    for (const auto& t : r->targets) {
      std::printf("  %s:%u  priority %u weight %u  %s%s%s\n", t.srv.target.to_text().c_str(),
                  t.srv.port, t.srv.priority, t.srv.weight,
                  t.addresses.empty() ? "(no address)"
                                      : fmt::format("{}", fmt::join(t.addresses, ",")).c_str(),
                  t.srv_authenticated ? "  SRV authenticated (AD)" : "",
                  t.dane ? "  DANE (authenticated TLSA)" : "");
      if (chosen == nullptr && !t.addresses.empty()) chosen = &t;
    }
    return chosen;
  };
  const auto* push = show(Service::kPushTls, "DNS Push servers");
  const auto* llq = show(Service::kLlqUdp, "LLQ servers (UDP)");
  show(Service::kLlqTls, "LLQ servers (TLS)");
  const auto* upd_tls = show(Service::kUpdateTls, "UPDATE servers (TLS)");
  const auto* upd = show(Service::kUpdateUdp, "UPDATE servers (UDP)");

  std::printf("\nwould use:\n");
  if (push != nullptr) {
    std::printf(
        "  watch:  DNS Push at %s:%u (%s), the first in RFC 2782 order with an address; "
        "TLS name %s checked %s\n",
        push->srv.target.to_text().c_str(), push->srv.port, push->addresses.front().c_str(),
        push->srv.target.to_text().c_str(),
        push->dane ? "by DANE (authenticated TLSA records)" : "against the trust store");
  } else if (llq != nullptr) {
    std::printf(
        "  watch:  LLQ at %s:%u (%s), the first in RFC 2782 order with an address "
        "(no DNS Push server)\n",
        llq->srv.target.to_text().c_str(), llq->srv.port, llq->addresses.front().c_str());
  } else {
    std::printf("  watch:  polling through the resolver (no DNS Push or LLQ server)\n");
  }
  if (push != nullptr && llq != nullptr) {
    std::printf("          (LLQ at %s:%u if the push server does not answer)\n",
                llq->srv.target.to_text().c_str(), llq->srv.port);
  }
  if (upd_tls != nullptr) {
    std::printf("  update: %s:%u over TLS (_dns-update-tls._tcp SRV)\n",
                upd_tls->srv.target.to_text().c_str(), upd_tls->srv.port);
  } else if (upd != nullptr) {
    std::printf("  update: %s:%u (_dns-update._udp SRV)\n", upd->srv.target.to_text().c_str(),
                upd->srv.port);
  } else if (result.soa) {
    std::printf("  update: %s port 53, the SOA MNAME (RFC 2136 §4; no _dns-update SRV)\n",
                soa_mname(*result.soa).c_str());
  }
  return kOk;
}

// ---- update ---------------------------------------------------------------------------------

int update(const UpdateOptions& o) {
  // Operations separated by ";".
  std::vector<client::UpdateOp> ops;
  std::vector<std::string> cur;
  auto flush = [&]() -> bool {
    if (cur.empty()) return true;
    auto op = client::parse_update_op(cur);
    if (!op) {
      err("{}", op.error().message);
      return false;
    }
    ops.push_back(std::move(*op));
    cur.clear();
    return true;
  };
  for (const auto& w : o.words) {
    if (w == ";") {
      if (!flush()) return kUsage;
    } else {
      cur.push_back(w);
    }
  }
  if (!flush()) return kUsage;
  if (ops.empty()) {
    err("nothing to update");
    return kUsage;
  }
  std::optional<wire::TsigKey> key;
  if (!o.key.empty()) {
    auto k = wire::TsigKey::from_string(o.key);
    if (!k) {
      err("--key: {}", k.error().message);
      return kUsage;
    }
    key = *k;
  } else if (!o.key_file.empty()) {
    bool ok = false;
    const auto text = read_file(o.key_file, ok);
    if (!ok) {
      err("--key-file {}: cannot read it", o.key_file);
      return kUsage;
    }
    auto k = client::parse_key_file(text);
    if (!k) {
      err("--key-file {}: {}", o.key_file, k.error().message);
      return kUsage;
    }
    key = *k;
  }
  warn_insecure(o.common);
  const auto t = o.tls   ? client::net::Transport::kTls
                 : o.tcp ? client::net::Transport::kTcp
                         : client::net::Transport::kUdp;
  const std::uint16_t default_port = o.tls ? 853 : 53;
  // Discovery asks the given resolvers, else the --server itself (it is authoritative).
  std::vector<std::string> extra;
  if (o.common.resolvers.empty() && !o.common.server.empty()) extra.push_back(o.common.server);
  auto rcfg = resolver_config(o.common, extra);
  if (!rcfg) return kUsage;
  if (o.common.timeout > 0) rcfg->timeout = seconds(o.common.timeout);

  asio::io_context ctx;
  int rc = kOk;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        client::Resolver res(*rcfg);
        wire::Name zone;
        client::DiscoveryResult found;
        if (!o.zone.empty()) {
          auto z = wire::Name::from_text(o.zone);
          if (!z) {
            err("--zone {}: {}", o.zone, z.error().message);
            rc = kUsage;
            co_return;
          }
          zone = *z;
        }
        if (o.zone.empty() || o.common.server.empty()) {
          client::DiscoveryConfig cfg;
          cfg.services = {o.tls ? client::Service::kUpdateTls : client::Service::kUpdateUdp};
          cfg.resolve_addresses = o.common.server.empty();
          cfg.dane = false;
          const wire::Name& start = o.zone.empty() ? ops.front().record.owner : zone;
          found = co_await res.discover(start, cfg);
          if (o.common.verbose)
            for (const auto& l : found.log) std::fprintf(stderr, ";; %s\n", l.c_str());
          if (o.zone.empty()) {
            if (!found.zone_found) {
              err("cannot find the zone of {}: {}", ops.front().record.owner.to_text(),
                  found.error);
              rc = found.error.find("no answer") != std::string::npos ? kTimeout : kNoServer;
              co_return;
            }
            zone = found.zone;
          }
        }
        // The server: --server, else the _dns-update SRV, else the SOA MNAME (RFC 2136 §4).
        client::ServerAddress server;
        if (!o.common.server.empty()) {
          auto a = client::parse_server(o.common.server, default_port);
          if (!a) {
            err("--server {}: {}", o.common.server, a.error().message);
            rc = kUsage;
            co_return;
          }
          server = *a;
        } else {
          const auto* svc = found.services.empty() ? nullptr : &found.services.front();
          if (svc != nullptr && !svc->targets.empty() && !svc->targets.front().addresses.empty()) {
            server = {svc->targets.front().addresses.front(), svc->targets.front().srv.port};
          } else if (found.soa) {
            server = {soa_mname(*found.soa), default_port};
          } else {
            err("no server for zone {}: use --server", zone.to_text());
            rc = kNoServer;
            co_return;
          }
        }
        auto addrs = co_await res.addresses(server.host);
        if (addrs.empty()) {
          err("cannot resolve {}", server.host);
          rc = kNoServer;
          co_return;
        }
        const client::net::Endpoint ep{*client::net::parse_address(addrs.front()), server.port};
        std::shared_ptr<io::TlsContext> tls;
        io::TlsClientParams params;
        if (o.tls) {
          io::ClientTlsOptions to;
          to.verify = !o.common.insecure;
          to.ca_file = o.common.ca_file;
          auto c = io::TlsContext::client(to);
          if (!c) {
            err("{}", c.error().message);
            rc = kUsage;
            co_return;
          }
          tls = *c;
          params.hostname = o.common.tls_name.empty() ? server.host : o.common.tls_name;
        }
        const auto now = static_cast<std::uint64_t>(std::time(nullptr));
        const auto id = static_cast<std::uint16_t>(std::random_device{}());
        auto req = client::build_update(zone, ops, id, key ? &*key : nullptr, now);
        if (!req) {
          err("{}", req.error().message);
          rc = kUsage;
          co_return;
        }
        const Duration timeout = seconds(o.common.timeout > 0 ? o.common.timeout : 5);
        client::net::Outcome<client::net::Bytes> answer;
        if (o.tls) {
          answer = co_await client::net::exchange_tls(ep, req->bytes, timeout, tls, params);
        } else {
          answer = co_await client::net::exchange(ep, t, req->bytes, timeout);
        }
        if (answer && t == client::net::Transport::kUdp) {
          auto h = wire::Header::peek(*answer.value);
          if (h && h->tc)
            answer = co_await client::net::exchange(ep, client::net::Transport::kTcp, req->bytes,
                                                    timeout);
        }
        if (!answer) {
          err("UPDATE of {} at {}: {}", zone.to_text(), ep.to_text(), answer.error.text);
          rc = exit_for(answer.error.failure);
          co_return;
        }
        auto a = client::check_update_answer(*answer.value, *req, key ? &*key : nullptr,
                                             static_cast<std::uint64_t>(std::time(nullptr)));
        if (!a) {
          err("{}", a.error().message);
          rc = kError;
          co_return;
        }
        std::string line = wire::to_text(a->rcode);
        if (a->tsig_error) {
          // RFC 8945 §3: 16 in a TSIG error is BADSIG (BADVERS in the RCODE space).
          line += " (TSIG error " +
                  (*a->tsig_error == wire::kBadSig ? std::string("BADSIG")
                                                   : wire::to_text(*a->tsig_error)) +
                  ")";
        }
        out(line);
        if (o.common.verbose)
          std::fprintf(stderr, ";; UPDATE zone %s at %s: %s\n", zone.to_text().c_str(),
                       ep.to_text().c_str(), line.c_str());
        rc = a->rcode == wire::Rcode::NOERROR ? kOk : exit_for(a->rcode);
        if (a->tsig_error) rc = kNotAuth;
        if (rc == kOk && key && a->tsig && *a->tsig != wire::Rcode::NOERROR) {
          // The server says it worked, but the answer cannot be trusted (RFC 8945 §5.3).
          err("the answer's TSIG did not verify ({}): the change may not have been made",
              wire::to_text(*a->tsig));
          rc = kNotAuth;
        }
      },
      asio::detached);
  ctx.run();
  return rc;
}

}  // namespace dnspush::cli
