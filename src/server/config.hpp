// dnspushd's configuration file (TOML; docs/CONFIG.md). Parsing checks everything that
// can be checked without touching the network: types, ranges, addresses, zone origins,
// unknown keys (a typo must not pass silently). Every error names the key. Relative paths
// are resolved against the directory of the configuration file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "io/endpoint.hpp"
#include "push/options.hpp"
#include "wire/tsig.hpp"
#include "xfr/acl.hpp"
#include "zone/file_check.hpp"

namespace dnspush::server {

// A primary of a secondary zone: where its transfers come from (RFC 5936, RFC 1995), whose
// NOTIFYs are accepted (RFC 1996 §3.10) and where UPDATEs are forwarded (RFC 2136 §6).
struct PrimaryConfig {
  io::Endpoint address;
  std::optional<wire::TsigKey> key;  // signs our requests; its answers must verify
};

// A secondary zone's knobs (docs/CONFIG.md). The timers override the SOA's fields.
struct SecondaryConfig {
  std::optional<std::chrono::seconds> refresh, retry, expire;
  bool forward_updates = false;  // UPDATE: forwarded to the primary, else REFUSED
  bool request_ixfr = true;      // false: always AXFR
  std::size_t max_transfer_bytes = std::size_t{256} << 20;
  std::size_t max_transfer_records = 4'000'000;
  std::chrono::seconds max_transfer_time{600};
};

struct ZoneConfig {
  std::string origin;          // as written, validated as a domain name
  std::filesystem::path file;  // absolute; empty for a secondary zone
  // Not empty: a secondary zone, whose data comes from these primaries, in order of
  // preference, instead of a file.
  std::vector<PrimaryConfig> primaries;
  SecondaryConfig secondary;
  bool is_secondary() const { return !primaries.empty(); }
  // Who may UPDATE (RFC 2136 §3.3) and transfer (AXFR/IXFR) the zone; empty: nobody.
  // Every key a rule names is in Config::keys.
  xfr::Acl update;
  xfr::Acl transfer;
  std::vector<io::Endpoint> notify;             // secondaries to NOTIFY after each commit
  std::optional<wire::TsigKey> notify_key;      // signs those NOTIFYs (RFC 8945); one of keys
  std::chrono::seconds write_back_interval{0};  // 0: never write the zone back
  // A start-up with a master file newer than the journal's zone ([journal] journal-content
  // unless set here); docs/CONFIG.md.
  zone::JournalContent journal_content = zone::JournalContent::kChanges;
  // DNS Push (RFC 8765) for this zone: SUBSCRIBE accepted and the discovery SRV
  // (_dns-push-tls._tcp.<zone>) answered; false: SUBSCRIBE is REFUSED.
  bool push = true;
  // LLQ (RFC 8764) for this zone, when [llq] is enabled: setups accepted and the discovery
  // SRV (_dns-llq._udp.<zone>) answered; false: setups are answered STATIC.
  bool llq = true;
};

// [llq]: DNS Long-Lived Queries (RFC 8764) over UDP. docs/CONFIG.md.
struct LlqSettings {
  bool enabled = false;
  std::vector<io::Endpoint> listen;  // UDP listeners for LLQ only (5352 by convention)
  bool on_dns_port = true;           // LLQ also on the [listen] dns UDP sockets
  bool streams = true;               // LLQ also over TCP and TLS connections
  // The SRV target of _dns-llq._udp.<zone>; empty: llq.<zone>, with the listeners'
  // addresses answered when it is inside the zone and has none there.
  std::string server_name;
  std::chrono::seconds lease_min{900};  // Apple's dnsextd: 15 min to 2 h
  std::chrono::seconds lease_max{7200};
  std::size_t max_llqs = 200'000;                // all workers (shared out per worker)
  std::size_t max_llqs_per_address = 256;        // per worker
  std::chrono::seconds serv_full_retry{300};     // the LEASE-LIFE of a SERV-FULL answer
  std::chrono::milliseconds event_resend{2000};  // first resend; then doubling
  unsigned event_transmissions = 3;              // sends of one event before the LLQ goes
  std::size_t max_queued_events = 64;            // per LLQ; past it the LLQ is dropped
};

// [push]: DNS Push Notifications (RFC 8765) over DSO (RFC 8490). docs/CONFIG.md.
struct PushSettings {
  bool enabled = true;      // DSO sessions on the TLS listeners
  bool dso_on_tcp = false;  // also on plain TCP (tests and tools without TLS)
  // The SRV target of _dns-push-tls._tcp.<zone>; empty: push.<zone>. When the target is
  // inside the zone and has no address there, the TLS listeners' addresses are answered.
  std::string server_name;
  std::size_t max_sessions = 15000;  // DSO sessions with subscriptions, all workers
  std::size_t max_sessions_per_address = 1000;
  std::size_t max_subscriptions_per_session = 4096;
  std::size_t max_subscriptions = 2'000'000;
  std::uint32_t subscribe_burst = 512;
  Duration subscribe_interval = std::chrono::milliseconds(10);
  push::DeletePolicy delete_encoding = push::DeletePolicy::kCompact;
  // Apple's client aborts on DSO messages above 8,940 bytes: splitting lower costs nothing.
  std::size_t max_message = 8192;
  std::chrono::milliseconds inactivity_timeout{15000};    // RFC 8490 §6.2 default
  std::chrono::milliseconds keepalive_interval{3600000};  // §6.5.2 recommends 60 minutes
  std::chrono::milliseconds shutdown_retry_delay{5000};   // Retry Delay sent on SIGTERM
};

struct JournalConfig {
  std::size_t max_changesets = 1000;              // per zone; beyond: compaction
  std::size_t max_bytes = std::size_t{64} << 20;  // per zone, encoded changesets
  bool no_meta_sync = false;                      // sync = "nometasync"
  // The default of every zone's journal-content.
  zone::JournalContent content = zone::JournalContent::kChanges;
};

struct Config {
  std::filesystem::path source;  // the configuration file (absolute)

  // [server]
  std::filesystem::path state_dir;  // absolute; created if missing
  std::string log_level = "info";   // trace, debug, info, warn, error
  bool log_json = false;            // log-format = "json": one JSON object per line
  unsigned workers = 0;             // 0: one per core
  // Started as root: the account to run as once the sockets are bound (privileges.hpp);
  // group empty: the user's primary group.
  std::string user, group;

  // [listen]
  std::vector<io::Endpoint> dns;  // UDP and TCP
  std::vector<io::Endpoint> tls;  // DNS over TLS (RFC 7858)

  // [tls]; both empty: a self-signed certificate in state_dir
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_key;
  std::vector<std::string> tls_names;  // extra subjectAltNames for the self-signed certificate
  // More certificates, chosen by the client's SNI (RFC 6066): (certificate, key), absolute.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> tls_alternatives;
  // record-layer: "dnspushd" (true): TLS 1.3 connections continue on our own record layer
  // after OpenSSL's handshake (~11 KiB less per connection); "openssl" (false): OpenSSL
  // keeps every connection.
  bool tls_own_records = true;

  // [limits]
  std::chrono::milliseconds tcp_idle_timeout{10000};
  std::chrono::milliseconds tcp_message_timeout{5000};
  std::chrono::milliseconds tls_handshake_timeout{5000};
  std::size_t max_pipelined = 64;      // unanswered queries per connection
  std::size_t max_transfers_out = 16;  // AXFR/IXFR being sent, all connections
  std::size_t max_connections = 15000;
  std::size_t max_connections_per_address = 1000;
  std::size_t max_pending_bytes = 262144;
  std::uint16_t udp_payload = 1232;
  std::size_t answer_cache = 1024;  // answers kept per worker thread (0: none)
  unsigned send_batch = 64;         // a fan-out's sends per io_uring submission (0: send(2))
  std::size_t tcp_send_buffer = 0;  // SO_SNDBUF of TCP/TLS connections (0: the kernel's)

  // [push]
  PushSettings push;

  // [llq]
  LlqSettings llq;

  // [[key]]: TSIG keys (RFC 8945), unique names
  std::vector<wire::TsigKey> keys;

  // [journal]
  JournalConfig journal;

  // [[zone]]
  std::vector<ZoneConfig> zones;

  // [metrics]: the Prometheus text endpoint (HTTP GET /metrics); unset: off
  std::optional<io::Endpoint> metrics_listen;

  unsigned effective_workers() const;  // resolves workers = 0
};

// `text` is the file's content; `path` names it in errors and anchors relative paths.
Result<Config> parse_config(std::string_view text, const std::filesystem::path& path);
Result<Config> load_config(const std::filesystem::path& path);
// Only [server] state-dir of the file at `path` (resolved as load_config does), for tools
// that must find a running server whose configuration file no longer loads (an edit with
// a mistake, before the reload that would report it). Fails only when the file cannot be
// read, is not TOML, or state-dir is not a non-empty string.
Result<std::filesystem::path> load_state_dir(const std::filesystem::path& path);
Result<std::string> read_config_text(const std::filesystem::path& path);

// A configuration reload (SIGHUP) applies [[zone]] and [[key]]; the other sections set up
// listeners, threads and limits at start. The sections whose contents differ between two
// configuration texts (each already accepted by parse_config), e.g. "[listen]": what a
// reload reports as needing a restart.
std::vector<std::string> restart_only_changes(std::string_view before, std::string_view after);

}  // namespace dnspush::server
