#include "server/config.hpp"

#include <toml++/toml.h>

#include <array>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <thread>

#include "wire/name.hpp"

namespace dnspush::server {
namespace {

namespace fs = std::filesystem;

// Reads one table, remembering which keys were looked at so that the rest can be
// reported as unknown.
class Section {
 public:
  Section(const toml::table* t, std::string prefix) : t_(t), prefix_(std::move(prefix)) {}

  std::string key(std::string_view k) const {
    return prefix_.empty() ? std::string(k) : prefix_ + "." + std::string(k);
  }
  const toml::node* get(std::string_view k) {
    known_.emplace_back(k);
    return t_ == nullptr ? nullptr : t_->get(k);
  }

  Result<void> string(std::string_view k, std::string& out) {
    const auto* n = get(k);
    if (n == nullptr) return {};
    const auto v = n->value<std::string>();
    if (!n->is_string() || !v) return fail(Errc::kInvalidConfig, key(k) + ": expected a string");
    out = *v;
    return {};
  }

  template <class T>
  Result<void> integer(std::string_view k, T& out, std::int64_t min, std::int64_t max) {
    const auto* n = get(k);
    if (n == nullptr) return {};
    if (!n->is_integer()) return fail(Errc::kInvalidConfig, key(k) + ": expected an integer");
    const std::int64_t v = *n->value<std::int64_t>();
    if (v < min || v > max) {
      return fail(Errc::kInvalidConfig, key(k) + ": " + std::to_string(v) + " is out of range [" +
                                            std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    out = static_cast<T>(v);
    return {};
  }

  Result<void> boolean(std::string_view k, bool& out) {
    const auto* n = get(k);
    if (n == nullptr) return {};
    if (!n->is_boolean()) return fail(Errc::kInvalidConfig, key(k) + ": expected true or false");
    out = *n->value<bool>();
    return {};
  }

  Result<void> strings(std::string_view k, std::vector<std::string>& out) {
    const auto* n = get(k);
    if (n == nullptr) return {};
    const auto* arr = n->as_array();
    if (arr == nullptr)
      return fail(Errc::kInvalidConfig, key(k) + ": expected an array of strings");
    out.clear();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto v = (*arr)[i].value<std::string>();
      if (!(*arr)[i].is_string() || !v) {
        return fail(Errc::kInvalidConfig,
                    key(k) + "[" + std::to_string(i) + "]: expected a string");
      }
      out.push_back(*v);
    }
    return {};
  }

  Result<void> no_unknown_keys() const {
    if (t_ == nullptr) return {};
    for (const auto& [k, v] : *t_) {
      bool found = false;
      for (const auto& known : known_) found = found || known == k.str();
      if (!found) return fail(Errc::kInvalidConfig, key(k.str()) + ": unknown key");
    }
    return {};
  }

 private:
  const toml::table* t_;
  std::string prefix_;
  std::vector<std::string> known_;
};

Result<const toml::table*> subtable(const toml::table& root, std::string_view k) {
  const auto* n = root.get(k);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) return fail(Errc::kInvalidConfig, std::string(k) + ": expected a table");
  return n->as_table();
}

fs::path resolve(const fs::path& base, const std::string& p) {
  const fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

Result<std::vector<io::Endpoint>> endpoints(const std::vector<std::string>& texts,
                                            const std::string& key) {
  std::vector<io::Endpoint> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto e = io::Endpoint::parse(texts[i]);
    if (!e) {
      return fail(Errc::kInvalidConfig, key + "[" + std::to_string(i) + "]: " + e.error().message);
    }
    out.push_back(*e);
  }
  return out;
}

// `update = [ { key = "k" }, { network = "10.0.0.0/8" } ]`: a rule has a key, a network
// or both (both must then match); a key must be one of [[key]].
Result<void> acl(Section& s, std::string_view k, const std::vector<wire::TsigKey>& keys,
                 xfr::Acl& out) {
  const auto* n = s.get(k);
  if (n == nullptr) return {};
  const auto* arr = n->as_array();
  if (arr == nullptr) {
    return fail(Errc::kInvalidConfig,
                s.key(k) + ": expected an array of rules like { key = \"name\" }");
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string prefix = s.key(k) + "[" + std::to_string(i) + "]";
    const auto* t = (*arr)[i].as_table();
    if (t == nullptr) {
      return fail(Errc::kInvalidConfig, prefix + ": expected a table like { key = \"name\" }");
    }
    Section r(t, prefix);
    std::string network, key;
    if (auto e = r.string("network", network); !e) return e;
    if (auto e = r.string("key", key); !e) return e;
    if (auto e = r.no_unknown_keys(); !e) return e;
    if (network.empty() && key.empty()) {
      return fail(Errc::kInvalidConfig, prefix + ": a rule needs a key, a network or both");
    }
    if (!network.empty()) {
      if (auto net = xfr::Network::parse(network); !net) {
        return fail(Errc::kInvalidConfig,
                    prefix + ".network: \"" + network + "\": " + net.error().message);
      }
    }
    if (!key.empty()) {
      auto name = wire::Name::from_text(key);
      bool known = false;
      if (name) {
        for (const auto& kk : keys) known = known || kk.name == *name;
      }
      if (!known) {
        return fail(Errc::kInvalidConfig,
                    prefix + ".key: \"" + key + "\" is not a configured [[key]]");
      }
    }
    if (auto e = out.add(network, key); !e) {
      return fail(Errc::kInvalidConfig, prefix + ": " + e.error().message);
    }
  }
  return {};
}

// The [[key]] named `name`, or an error naming `where`.
Result<wire::TsigKey> find_key(const std::vector<wire::TsigKey>& keys, const std::string& name,
                               const std::string& where) {
  auto n = wire::Name::from_text(name);
  for (const auto& k : keys) {
    if (n && k.name == *n) return k;
  }
  return fail(Errc::kInvalidConfig, where + ": \"" + name + "\" is not a configured [[key]]");
}

// `primaries = [ "192.0.2.1:53", { address = "192.0.2.2:53", key = "xfr-key" } ]`.
Result<std::vector<PrimaryConfig>> primaries(Section& s, std::string_view k,
                                             const std::vector<wire::TsigKey>& keys) {
  std::vector<PrimaryConfig> out;
  const auto* n = s.get(k);
  if (n == nullptr) return out;
  const auto* arr = n->as_array();
  if (arr == nullptr) {
    return fail(Errc::kInvalidConfig,
                s.key(k) +
                    ": expected an array of addresses like \"192.0.2.1:53\" or tables "
                    "like { address = \"192.0.2.1:53\", key = \"name\" }");
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string prefix = s.key(k) + "[" + std::to_string(i) + "]";
    PrimaryConfig p;
    std::string address, key;
    if (const auto v = (*arr)[i].value<std::string>(); (*arr)[i].is_string() && v) {
      address = *v;
    } else if (const auto* t = (*arr)[i].as_table()) {
      Section r(t, prefix);
      if (auto e = r.string("address", address); !e) return tl::unexpected(e.error());
      if (auto e = r.string("key", key); !e) return tl::unexpected(e.error());
      if (auto e = r.no_unknown_keys(); !e) return tl::unexpected(e.error());
      if (address.empty()) return fail(Errc::kInvalidConfig, prefix + ".address: missing");
    } else {
      return fail(Errc::kInvalidConfig,
                  prefix + ": expected \"address:port\" or { address = ..., key = ... }");
    }
    auto e = io::Endpoint::parse(address);
    if (!e) return fail(Errc::kInvalidConfig, prefix + ": " + e.error().message);
    if (e->port == 0) return fail(Errc::kInvalidConfig, prefix + ": port 0 is not a port");
    p.address = *e;
    if (!key.empty()) {
      auto kk = find_key(keys, key, prefix + ".key");
      if (!kk) return tl::unexpected(kk.error());
      p.key = *kk;
    }
    out.push_back(std::move(p));
  }
  return out;
}

#define DNSPUSH_TRY(expr)                                         \
  do {                                                            \
    if (auto _r = (expr); !_r) return tl::unexpected(_r.error()); \
  } while (0)

// journal-content ([journal] default, per [[zone]]): what a start-up does with a master
// file newer than the journal's zone (docs/CONFIG.md).
Result<zone::JournalContent> journal_content(Section& s, zone::JournalContent dflt) {
  std::string v;
  DNSPUSH_TRY(s.string("journal-content", v));
  if (v.empty()) return dflt;
  if (v == "changes") return zone::JournalContent::kChanges;
  if (v == "journal") return zone::JournalContent::kJournal;
  if (v == "file") return zone::JournalContent::kFile;
  return fail(Errc::kInvalidConfig,
              s.key("journal-content") + ": \"" + v + "\" is not one of changes, journal, file");
}

Result<Config> parse_root(const toml::table& root, const fs::path& path) {
  Config c;
  c.source = path;
  const fs::path base = path.parent_path();
  Section top(&root, "");
  for (const char* k :
       {"server", "listen", "tls", "limits", "push", "llq", "key", "journal", "zone", "metrics"}) {
    top.get(k);
  }
  DNSPUSH_TRY(top.no_unknown_keys());

  {
    auto t = subtable(root, "server");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "server");
    std::string state_dir = "var/dnspushd";
    DNSPUSH_TRY(s.string("state-dir", state_dir));
    if (state_dir.empty()) return fail(Errc::kInvalidConfig, "server.state-dir: must not be empty");
    c.state_dir = resolve(base, state_dir);
    DNSPUSH_TRY(s.string("log-level", c.log_level));
    const std::string l = c.log_level;
    if (l != "trace" && l != "debug" && l != "info" && l != "warn" && l != "error") {
      return fail(Errc::kInvalidConfig,
                  "server.log-level: \"" + l + "\" is not one of trace, debug, info, warn, error");
    }
    std::string format = "text";
    DNSPUSH_TRY(s.string("log-format", format));
    if (format != "text" && format != "json") {
      return fail(Errc::kInvalidConfig,
                  "server.log-format: \"" + format + "\" is not one of text, json");
    }
    c.log_json = format == "json";
    DNSPUSH_TRY(s.integer("workers", c.workers, 0, 1024));
    // Resolved (getpwnam) and applied at start-up: privileges.hpp.
    DNSPUSH_TRY(s.string("user", c.user));
    DNSPUSH_TRY(s.string("group", c.group));
    if (!c.group.empty() && c.user.empty()) {
      return fail(Errc::kInvalidConfig, "server.group: needs server.user");
    }
    DNSPUSH_TRY(s.no_unknown_keys());
  }
  {
    auto t = subtable(root, "listen");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "listen");
    std::vector<std::string> dns, tls;
    DNSPUSH_TRY(s.strings("dns", dns));
    DNSPUSH_TRY(s.strings("tls", tls));
    DNSPUSH_TRY(s.no_unknown_keys());
    auto d = endpoints(dns, "listen.dns");
    if (!d) return tl::unexpected(d.error());
    auto e = endpoints(tls, "listen.tls");
    if (!e) return tl::unexpected(e.error());
    c.dns = std::move(*d);
    c.tls = std::move(*e);
    if (c.dns.empty() && c.tls.empty()) {
      return fail(Errc::kInvalidConfig, "listen: no address in listen.dns or listen.tls");
    }
  }
  {
    auto t = subtable(root, "tls");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "tls");
    std::string cert, key;
    DNSPUSH_TRY(s.string("certificate", cert));
    DNSPUSH_TRY(s.string("key", key));
    DNSPUSH_TRY(s.strings("names", c.tls_names));
    std::string layer = "dnspushd";
    DNSPUSH_TRY(s.string("record-layer", layer));
    if (layer != "dnspushd" && layer != "openssl") {
      return fail(Errc::kInvalidConfig,
                  "tls.record-layer: \"" + layer + "\" is neither \"dnspushd\" nor \"openssl\"");
    }
    c.tls_own_records = layer == "dnspushd";
    // sni = [ { certificate = "...", key = "..." }, ... ]: chosen by the client's SNI.
    if (const auto* n = s.get("sni")) {
      const auto* arr = n->as_array();
      if (arr == nullptr) return fail(Errc::kInvalidConfig, "tls.sni: expected an array of tables");
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string prefix = "tls.sni[" + std::to_string(i) + "]";
        const auto* e = (*arr)[i].as_table();
        if (e == nullptr) return fail(Errc::kInvalidConfig, prefix + ": expected a table");
        Section es(e, prefix);
        std::string ec, ek;
        DNSPUSH_TRY(es.string("certificate", ec));
        DNSPUSH_TRY(es.string("key", ek));
        DNSPUSH_TRY(es.no_unknown_keys());
        if (ec.empty() || ek.empty()) {
          return fail(Errc::kInvalidConfig, prefix + ": needs both certificate and key");
        }
        c.tls_alternatives.emplace_back(resolve(base, ec), resolve(base, ek));
      }
    }
    DNSPUSH_TRY(s.no_unknown_keys());
    if (!c.tls_alternatives.empty() && cert.empty()) {
      return fail(Errc::kInvalidConfig, "tls.sni: needs tls.certificate and tls.key (the default)");
    }
    if (cert.empty() != key.empty()) {
      return fail(Errc::kInvalidConfig, cert.empty() ? "tls.certificate: missing (tls.key is set)"
                                                     : "tls.key: missing (tls.certificate is set)");
    }
    for (std::size_t i = 0; i < c.tls_names.size(); ++i) {
      const auto& n = c.tls_names[i];
      if (n.empty() || n.find_first_of(", \t\r\n\"") != std::string::npos) {
        return fail(Errc::kInvalidConfig,
                    "tls.names[" + std::to_string(i) + "]: \"" + n + "\" is not a host name");
      }
    }
    if (!cert.empty()) {
      c.tls_certificate = resolve(base, cert);
      c.tls_key = resolve(base, key);
    }
  }
  {
    auto t = subtable(root, "limits");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "limits");
    std::int64_t idle = c.tcp_idle_timeout.count(), hs = c.tls_handshake_timeout.count();
    std::int64_t msg = c.tcp_message_timeout.count();
    DNSPUSH_TRY(s.integer("tcp-idle-timeout-ms", idle, 1, 86'400'000));
    DNSPUSH_TRY(s.integer("tcp-message-timeout-ms", msg, 1, 600'000));
    DNSPUSH_TRY(s.integer("tls-handshake-timeout-ms", hs, 1, 600'000));
    c.tcp_idle_timeout = std::chrono::milliseconds(idle);
    c.tcp_message_timeout = std::chrono::milliseconds(msg);
    c.tls_handshake_timeout = std::chrono::milliseconds(hs);
    DNSPUSH_TRY(s.integer("max-pipelined", c.max_pipelined, 1, 65535));
    DNSPUSH_TRY(s.integer("max-transfers-out", c.max_transfers_out, 1, 1'000'000));
    DNSPUSH_TRY(s.integer("max-connections", c.max_connections, 1, 10'000'000));
    DNSPUSH_TRY(
        s.integer("max-connections-per-address", c.max_connections_per_address, 1, 10'000'000));
    // At least one maximal DNS message with its length prefix must fit.
    DNSPUSH_TRY(s.integer("max-pending-bytes", c.max_pending_bytes, 65537, 1LL << 32));
    // RFC 6891 §6.2.5: values below 512 are treated as 512.
    DNSPUSH_TRY(s.integer("udp-payload", c.udp_payload, 512, 65535));
    DNSPUSH_TRY(s.integer("answer-cache", c.answer_cache, 0, 1 << 20));
    DNSPUSH_TRY(s.integer("send-batch", c.send_batch, 0, 4096));
    DNSPUSH_TRY(s.integer("tcp-send-buffer", c.tcp_send_buffer, 0, 64 << 20));
    if (c.tcp_send_buffer != 0 && c.tcp_send_buffer < 4096) {
      return fail(Errc::kInvalidConfig,
                  "limits.tcp-send-buffer: 0 (the kernel's) or at least 4096");
    }
    DNSPUSH_TRY(s.no_unknown_keys());
  }
  {
    auto t = subtable(root, "push");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "push");
    PushSettings& p = c.push;
    DNSPUSH_TRY(s.boolean("enabled", p.enabled));
    DNSPUSH_TRY(s.boolean("dso-on-tcp", p.dso_on_tcp));
    DNSPUSH_TRY(s.string("server-name", p.server_name));
    DNSPUSH_TRY(s.integer("max-sessions", p.max_sessions, 1, 10'000'000));
    DNSPUSH_TRY(s.integer("max-sessions-per-address", p.max_sessions_per_address, 1, 10'000'000));
    DNSPUSH_TRY(
        s.integer("max-subscriptions-per-session", p.max_subscriptions_per_session, 1, 1'000'000));
    DNSPUSH_TRY(s.integer("max-subscriptions", p.max_subscriptions, 1, 1'000'000'000));
    DNSPUSH_TRY(s.integer("subscribe-burst", p.subscribe_burst, 1, 1'000'000));
    std::int64_t rate = 100;
    DNSPUSH_TRY(s.integer("subscribe-rate", rate, 0, 1'000'000));
    // 0: no rate limit; otherwise one SUBSCRIBE per 1/rate s after the burst.
    p.subscribe_interval =
        rate == 0 ? Duration::zero()
                  : std::chrono::duration_cast<Duration>(std::chrono::seconds(1)) / rate;
    std::string deletes = "compact";
    DNSPUSH_TRY(s.string("delete-encoding", deletes));
    if (deletes == "compact") {
      p.delete_encoding = push::DeletePolicy::kCompact;
    } else if (deletes == "per-record") {
      p.delete_encoding = push::DeletePolicy::kPerRecord;
    } else {
      return fail(Errc::kInvalidConfig,
                  "push.delete-encoding: \"" + deletes + "\" is not one of compact, per-record");
    }
    // RFC 8765 §6.3.1: 16,382 at most; below 1024 a message cannot hold a padded record.
    DNSPUSH_TRY(s.integer("max-message", p.max_message, 1024, 16382));
    std::int64_t inactivity = p.inactivity_timeout.count(),
                 keepalive = p.keepalive_interval.count();
    std::int64_t retry = p.shutdown_retry_delay.count();
    DNSPUSH_TRY(s.integer("inactivity-timeout-ms", inactivity, 0, 0xFFFFFFFFLL));
    // RFC 8490 §6.5.2: a keepalive interval below 10 s is not allowed.
    DNSPUSH_TRY(s.integer("keepalive-interval-ms", keepalive, 10'000, 0xFFFFFFFFLL));
    DNSPUSH_TRY(s.integer("shutdown-retry-delay-ms", retry, 0, 0xFFFFFFFELL));
    p.inactivity_timeout = std::chrono::milliseconds(inactivity);
    p.keepalive_interval = std::chrono::milliseconds(keepalive);
    p.shutdown_retry_delay = std::chrono::milliseconds(retry);
    DNSPUSH_TRY(s.no_unknown_keys());
    if (!p.server_name.empty() && !wire::Name::from_text(p.server_name)) {
      return fail(Errc::kInvalidConfig,
                  "push.server-name: \"" + p.server_name + "\" is not a domain name");
    }
  }
  {
    auto t = subtable(root, "llq");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "llq");
    LlqSettings& l = c.llq;
    std::vector<std::string> listen;
    DNSPUSH_TRY(s.boolean("enabled", l.enabled));
    DNSPUSH_TRY(s.strings("listen", listen));
    DNSPUSH_TRY(s.boolean("on-dns-port", l.on_dns_port));
    DNSPUSH_TRY(s.boolean("streams", l.streams));
    DNSPUSH_TRY(s.string("server-name", l.server_name));
    std::int64_t lmin = l.lease_min.count(), lmax = l.lease_max.count();
    std::int64_t retry = l.serv_full_retry.count(), resend = l.event_resend.count();
    DNSPUSH_TRY(s.integer("lease-min-s", lmin, 1, 0xFFFFFFFFLL));
    DNSPUSH_TRY(s.integer("lease-max-s", lmax, 1, 0xFFFFFFFFLL));
    DNSPUSH_TRY(s.integer("max-llqs", l.max_llqs, 1, 100'000'000));
    DNSPUSH_TRY(s.integer("max-llqs-per-address", l.max_llqs_per_address, 1, 100'000'000));
    DNSPUSH_TRY(s.integer("serv-full-retry-s", retry, 1, 0xFFFFFFFFLL));
    DNSPUSH_TRY(s.integer("event-resend-ms", resend, 10, 3'600'000));
    DNSPUSH_TRY(s.integer("event-transmissions", l.event_transmissions, 1, 16));
    DNSPUSH_TRY(s.integer("max-queued-events", l.max_queued_events, 1, 65536));
    DNSPUSH_TRY(s.no_unknown_keys());
    if (lmin > lmax) {
      return fail(Errc::kInvalidConfig, "llq.lease-min-s: above llq.lease-max-s");
    }
    l.lease_min = std::chrono::seconds(lmin);
    l.lease_max = std::chrono::seconds(lmax);
    l.serv_full_retry = std::chrono::seconds(retry);
    l.event_resend = std::chrono::milliseconds(resend);
    auto e = endpoints(listen, "llq.listen");
    if (!e) return tl::unexpected(e.error());
    l.listen = std::move(*e);
    if (!l.server_name.empty() && !wire::Name::from_text(l.server_name)) {
      return fail(Errc::kInvalidConfig,
                  "llq.server-name: \"" + l.server_name + "\" is not a domain name");
    }
  }
  if (const auto* k = root.get("key")) {
    const auto* arr = k->as_array();
    if (arr == nullptr) {
      return fail(Errc::kInvalidConfig, "key: expected an array of tables ([[key]])");
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string prefix = "key[" + std::to_string(i) + "]";
      const auto* t = (*arr)[i].as_table();
      if (t == nullptr) return fail(Errc::kInvalidConfig, prefix + ": expected a table");
      Section s(t, prefix);
      std::string name, algorithm = "hmac-sha256", secret;
      DNSPUSH_TRY(s.string("name", name));
      DNSPUSH_TRY(s.string("algorithm", algorithm));
      DNSPUSH_TRY(s.string("secret", secret));
      DNSPUSH_TRY(s.no_unknown_keys());
      if (name.empty()) return fail(Errc::kInvalidConfig, prefix + ".name: missing");
      if (secret.empty()) return fail(Errc::kInvalidConfig, prefix + ".secret: missing");
      auto n = wire::Name::from_text(name);
      if (!n) {
        return fail(Errc::kInvalidConfig, prefix + ".name: \"" + name + "\": " + n.error().message);
      }
      auto alg = wire::algorithm_from_text(algorithm);
      if (!alg) {
        return fail(Errc::kInvalidConfig,
                    prefix + ".algorithm: \"" + algorithm +
                        "\" is not one of hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512");
      }
      auto bytes = wire::base64_decode(secret);
      if (!bytes) {
        return fail(Errc::kInvalidConfig, prefix + ".secret: not base64: " + bytes.error().message);
      }
      if (bytes->empty()) return fail(Errc::kInvalidConfig, prefix + ".secret: empty");
      for (std::size_t j = 0; j < c.keys.size(); ++j) {
        if (c.keys[j].name == *n) {
          return fail(Errc::kInvalidConfig, prefix + ".name: \"" + name +
                                                "\" is already configured in key[" +
                                                std::to_string(j) + "]");
        }
      }
      c.keys.push_back(wire::TsigKey{std::move(*n), *alg, std::move(*bytes)});
    }
  }
  {
    auto t = subtable(root, "journal");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "journal");
    DNSPUSH_TRY(s.integer("max-changesets", c.journal.max_changesets, 2, 100'000'000));
    DNSPUSH_TRY(s.integer("max-bytes", c.journal.max_bytes, 4096, 1LL << 40));
    std::string sync = "full";
    DNSPUSH_TRY(s.string("sync", sync));
    auto content = journal_content(s, c.journal.content);
    if (!content) return tl::unexpected(content.error());
    c.journal.content = *content;
    DNSPUSH_TRY(s.no_unknown_keys());
    if (sync != "full" && sync != "nometasync") {
      return fail(Errc::kInvalidConfig,
                  "journal.sync: \"" + sync + "\" is not one of full, nometasync");
    }
    c.journal.no_meta_sync = sync == "nometasync";
  }
  {
    auto t = subtable(root, "metrics");
    if (!t) return tl::unexpected(t.error());
    Section s(*t, "metrics");
    std::string listen;
    DNSPUSH_TRY(s.string("listen", listen));
    DNSPUSH_TRY(s.no_unknown_keys());
    if (!listen.empty()) {
      auto e = io::Endpoint::parse(listen);
      if (!e) return fail(Errc::kInvalidConfig, "metrics.listen: " + e.error().message);
      c.metrics_listen = *e;
    }
  }
  if (const auto* z = root.get("zone")) {
    const auto* arr = z->as_array();
    if (arr == nullptr) {
      return fail(Errc::kInvalidConfig, "zone: expected an array of tables ([[zone]])");
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string prefix = "zone[" + std::to_string(i) + "]";
      const auto* t = (*arr)[i].as_table();
      if (t == nullptr) return fail(Errc::kInvalidConfig, prefix + ": expected a table");
      Section s(t, prefix);
      ZoneConfig zc;
      std::string file;
      DNSPUSH_TRY(s.string("origin", zc.origin));
      DNSPUSH_TRY(s.string("file", file));
      DNSPUSH_TRY(acl(s, "update", c.keys, zc.update));
      DNSPUSH_TRY(acl(s, "transfer", c.keys, zc.transfer));
      std::vector<std::string> notify;
      DNSPUSH_TRY(s.strings("notify", notify));
      auto targets = endpoints(notify, prefix + ".notify");
      if (!targets) return tl::unexpected(targets.error());
      for (std::size_t j = 0; j < targets->size(); ++j) {
        if ((*targets)[j].port == 0) {
          return fail(Errc::kInvalidConfig,
                      prefix + ".notify[" + std::to_string(j) + "]: port 0 is not a port");
        }
      }
      zc.notify = std::move(*targets);
      std::string notify_key;
      DNSPUSH_TRY(s.string("notify-key", notify_key));
      if (!notify_key.empty()) {
        auto key_name = wire::Name::from_text(notify_key);
        for (const auto& k : c.keys) {
          if (key_name && k.name == *key_name) zc.notify_key = k;
        }
        if (!zc.notify_key) {
          return fail(Errc::kInvalidConfig,
                      prefix + ".notify-key: \"" + notify_key + "\" is not a configured [[key]]");
        }
      }
      DNSPUSH_TRY(s.boolean("push", zc.push));
      DNSPUSH_TRY(s.boolean("llq", zc.llq));
      std::int64_t wb = 0;
      DNSPUSH_TRY(s.integer("write-back-interval-s", wb, 0, 365LL * 86400));
      zc.write_back_interval = std::chrono::seconds(wb);
      auto content = journal_content(s, c.journal.content);
      if (!content) return tl::unexpected(content.error());
      zc.journal_content = *content;
      // Secondary zones (RFC 1034 §4.3.5): primaries instead of a file.
      auto prim = primaries(s, "primaries", c.keys);
      if (!prim) return tl::unexpected(prim.error());
      zc.primaries = std::move(*prim);
      SecondaryConfig& sc = zc.secondary;
      const std::array<std::pair<const char*, std::optional<std::chrono::seconds>*>, 3> timers{
          {{"refresh-s", &sc.refresh}, {"retry-s", &sc.retry}, {"expire-s", &sc.expire}}};
      std::vector<std::string> secondary_keys;
      for (const auto& [name, slot] : timers) {
        std::int64_t v = -1;
        DNSPUSH_TRY(s.integer(name, v, 1, 0x7FFFFFFF));
        if (v >= 0) {
          *slot = std::chrono::seconds(v);
          secondary_keys.push_back(name);
        }
      }
      const auto note = [&](std::string_view k) {
        if (t->get(k) != nullptr) secondary_keys.emplace_back(k);
      };
      DNSPUSH_TRY(s.boolean("forward-updates", sc.forward_updates));
      note("forward-updates");
      DNSPUSH_TRY(s.boolean("request-ixfr", sc.request_ixfr));
      note("request-ixfr");
      DNSPUSH_TRY(s.integer("max-transfer-bytes", sc.max_transfer_bytes, 65536, 1LL << 40));
      note("max-transfer-bytes");
      DNSPUSH_TRY(s.integer("max-transfer-records", sc.max_transfer_records, 2, 1'000'000'000));
      note("max-transfer-records");
      std::int64_t xfr_time = sc.max_transfer_time.count();
      DNSPUSH_TRY(s.integer("max-transfer-time-s", xfr_time, 1, 86400));
      sc.max_transfer_time = std::chrono::seconds(xfr_time);
      note("max-transfer-time-s");
      DNSPUSH_TRY(s.no_unknown_keys());
      if (zc.origin.empty()) return fail(Errc::kInvalidConfig, prefix + ".origin: missing");
      if (zc.is_secondary()) {
        if (!file.empty()) {
          return fail(Errc::kInvalidConfig,
                      prefix +
                          ".file: a secondary zone (primaries) has no file: its data "
                          "comes by zone transfer");
        }
        if (t->get("journal-content") != nullptr) {
          return fail(Errc::kInvalidConfig,
                      prefix + ".journal-content: a secondary zone has no file to compare");
        }
        // A secondary never changes its copy itself (RFC 2136 §6: it forwards).
        if (!zc.update.empty()) {
          return fail(Errc::kInvalidConfig,
                      prefix +
                          ".update: a secondary zone takes no UPDATE itself; see "
                          "forward-updates");
        }
      } else {
        if (file.empty()) {
          return fail(Errc::kInvalidConfig, prefix +
                                                ".file: missing (or primaries, for a "
                                                "secondary zone)");
        }
        if (!secondary_keys.empty()) {
          return fail(Errc::kInvalidConfig, prefix + "." + secondary_keys.front() +
                                                ": only for a secondary zone (primaries)");
        }
      }
      auto name = wire::Name::from_text(zc.origin);
      if (!name) {
        return fail(Errc::kInvalidConfig,
                    prefix + ".origin: \"" + zc.origin + "\": " + name.error().message);
      }
      for (std::size_t j = 0; j < c.zones.size(); ++j) {
        if (*wire::Name::from_text(c.zones[j].origin) == *name) {
          return fail(Errc::kInvalidConfig, prefix + ".origin: \"" + zc.origin +
                                                "\" is already configured in zone[" +
                                                std::to_string(j) + "]");
        }
      }
      if (!file.empty()) zc.file = resolve(base, file);
      c.zones.push_back(std::move(zc));
    }
  }
  return c;
}

}  // namespace

unsigned Config::effective_workers() const {
  if (workers != 0) return workers;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Result<Config> parse_config(std::string_view text, const std::filesystem::path& path) {
  const fs::path abs = fs::absolute(path).lexically_normal();
  try {
    const toml::table root = toml::parse(text, abs.string());
    auto c = parse_root(root, abs);
    if (!c) return fail(Errc::kInvalidConfig, path.string() + ": " + c.error().message);
    return c;
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path.string() << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return fail(Errc::kInvalidConfig, msg.str());
  }
}

Result<std::string> read_config_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, path.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<Config> load_config(const std::filesystem::path& path) {
  auto text = read_config_text(path);
  if (!text) return tl::unexpected(text.error());
  return parse_config(*text, path);
}

Result<fs::path> load_state_dir(const fs::path& path) {
  auto text = read_config_text(path);
  if (!text) return tl::unexpected(text.error());
  const fs::path abs = fs::absolute(path).lexically_normal();
  toml::table root;
  try {
    root = toml::parse(*text, abs.string());
  } catch (const toml::parse_error& e) {
    return fail(Errc::kInvalidConfig, path.string() + ": " + std::string(e.description()));
  }
  std::string state_dir = "var/dnspushd";  // parse_root's default
  if (const auto* v = root["server"]["state-dir"].node()) {
    const auto* str = v->as_string();
    if (str == nullptr || str->get().empty()) {
      return fail(Errc::kInvalidConfig, path.string() + ": server.state-dir: not a path");
    }
    state_dir = str->get();
  }
  return resolve(abs.parent_path(), state_dir);
}

std::vector<std::string> restart_only_changes(std::string_view before, std::string_view after) {
  toml::table a, b;
  try {
    a = toml::parse(before);
    b = toml::parse(after);
  } catch (const toml::parse_error&) {
    return {};  // both were parsed by parse_config first: cannot happen
  }
  // journal-content only decides how zones start, and zones added by a reload use it.
  for (auto* t : {&a, &b}) {
    if (auto* j = t->get_as<toml::table>("journal")) j->erase("journal-content");
  }
  std::vector<std::string> out;
  for (const char* k : {"server", "listen", "tls", "limits", "push", "llq", "journal", "metrics"}) {
    const auto* x = a.get_as<toml::table>(k);
    const auto* y = b.get_as<toml::table>(k);
    const bool same = (x == nullptr && y == nullptr) ||
                      (x != nullptr && y != nullptr && *x == *y) ||
                      (x == nullptr && y != nullptr && y->empty()) ||
                      (y == nullptr && x != nullptr && x->empty());
    if (!same) out.push_back(std::string("[") + k + "]");
  }
  return out;
}

}  // namespace dnspush::server
