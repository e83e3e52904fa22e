// The DNS Push discovery records dnspushd answers for its zones (RFC 8765 §6.1): for each
// zone with push enabled, `_dns-push-tls._tcp.<zone>` SRV 0 0 <TLS port> <target>, where the
// target is [push] server-name or push.<zone>, and A/AAAA for the target from the TLS
// listen addresses (wildcard addresses cannot be advertised and are skipped). They are
// answered only where the zone has nothing of its own (auth/synthetic.hpp), and only when
// a TLS listener exists, because a client that finds a push server it cannot reach shows
// nothing for a long while instead of falling back (spec/README.md, Apple's client).
// With [llq] enabled, the same for LLQ: `_dns-llq._udp.<zone>` SRV to the llq listener (or
// the DNS port) and the target's addresses, for zones with llq enabled; and with a TLS
// listener and [llq] streams, `_dns-llq-tls._tcp.<zone>` SRV to it, target as for push.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/synthetic.hpp"
#include "server/config.hpp"

namespace dnspush::server {

inline constexpr char kPushSrvLabel[] = "_dns-push-tls._tcp";   // RFC 8765 §6.1
inline constexpr char kLlqSrvLabel[] = "_dns-llq._udp";         // RFC 8764
inline constexpr char kLlqTlsSrvLabel[] = "_dns-llq-tls._tcp";  // Apple's LLQ over TLS
inline constexpr std::uint32_t kDiscoveryTtl = 300;

// nullptr when there is nothing to answer (push off, no TLS listener, no zone with push).
std::shared_ptr<const auth::SyntheticRecords> discovery_records(const Config& c);

// The SRV target name for a zone (for the self-signed certificate's names too).
std::string push_target(const Config& c, const ZoneConfig& z);
// The same for _dns-llq._udp.<zone>: [llq] server-name or llq.<zone>.
std::string llq_target(const Config& c, const ZoneConfig& z);

}  // namespace dnspush::server
