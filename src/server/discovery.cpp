#include "server/discovery.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "wire/writer.hpp"

namespace dnspush::server {

std::string push_target(const Config& c, const ZoneConfig& z) {
  if (!c.push.server_name.empty()) return c.push.server_name;
  std::string origin = z.origin;
  if (!origin.empty() && origin.back() != '.') origin += '.';
  return "push." + (origin == "." ? std::string() : origin);
}

std::string llq_target(const Config& c, const ZoneConfig& z) {
  if (!c.llq.server_name.empty()) return c.llq.server_name;
  std::string origin = z.origin;
  if (!origin.empty() && origin.back() != '.') origin += '.';
  return "llq." + (origin == "." ? std::string() : origin);
}

namespace {

// `label`.<zone> SRV 0 0 <port> <target> for every zone `wanted` says, and the target's
// addresses from `listeners` when the target is inside the zone.
void add_srv(auth::SyntheticRecords& out, const Config& c, const char* label,
             const std::vector<io::Endpoint>& listeners, bool (*wanted)(const ZoneConfig&),
             std::string (*target_of)(const Config&, const ZoneConfig&)) {
  const std::uint16_t port = listeners.front().port;
  for (const auto& z : c.zones) {
    if (!wanted(z)) continue;
    auto origin = wire::Name::from_text(z.origin);
    auto target = wire::Name::from_text(target_of(c, z));
    if (!origin || !target) continue;
    auto owner = wire::Name::from_text(std::string(label) + "." + origin->to_text());
    if (!owner) continue;  // a name too long for the label: nothing to advertise
    wire::Record srv;
    srv.owner = *owner;
    srv.type = wire::RRType::SRV;
    srv.ttl = kDiscoveryTtl;
    wire::Writer w;
    w.u16(0);  // priority
    w.u16(0);  // weight
    w.u16(port);
    w.name(*target, false);
    srv.rdata = w.take();
    out.add(*origin, srv);
    if (!target->is_subdomain_of(*origin)) continue;
    for (const auto& e : listeners) {
      unsigned char buf[16] = {};
      unsigned char any[16] = {};
      if (inet_pton(e.v6 ? AF_INET6 : AF_INET, e.address.c_str(), buf) != 1) continue;
      const std::size_t len = e.v6 ? 16 : 4;
      if (std::memcmp(buf, any, len) == 0) continue;  // 0.0.0.0 / :: say nothing
      wire::Record a;
      a.owner = *target;
      a.type = e.v6 ? wire::RRType::AAAA : wire::RRType::A;
      a.ttl = kDiscoveryTtl;
      a.rdata.assign(buf, buf + len);
      out.add(*origin, a);
    }
  }
}

}  // namespace

std::shared_ptr<const auth::SyntheticRecords> discovery_records(const Config& c) {
  auto out = std::make_shared<auth::SyntheticRecords>();
  if (c.push.enabled && !c.tls.empty()) {
    add_srv(
        *out, c, kPushSrvLabel, c.tls, [](const ZoneConfig& z) { return z.push; }, push_target);
  }
  // RFC 8764 §5.1 (discovery): _dns-llq._udp.<zone>, on the llq listener, else the DNS port.
  const auto& llq_listeners = c.llq.listen.empty() ? c.dns : c.llq.listen;
  if (c.llq.enabled && !llq_listeners.empty() && (c.llq.on_dns_port || !c.llq.listen.empty())) {
    add_srv(
        *out, c, kLlqSrvLabel, llq_listeners, [](const ZoneConfig& z) { return z.llq; },
        llq_target);
  }
  // LLQ over TLS: Apple's clients looked for _dns-llq-tls._tcp.<zone>; it is the TLS
  // listener, the same server as DNS Push, so the push target (the certificate's name).
  if (c.llq.enabled && c.llq.streams && !c.tls.empty()) {
    add_srv(
        *out, c, kLlqTlsSrvLabel, c.tls, [](const ZoneConfig& z) { return z.llq; }, push_target);
  }
  if (out->empty()) return nullptr;
  return out;
}

}  // namespace dnspush::server
