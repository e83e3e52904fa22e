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

std::shared_ptr<const auth::SyntheticRecords> discovery_records(const Config& c) {
  if (!c.push.enabled || c.tls.empty()) return nullptr;
  auto out = std::make_shared<auth::SyntheticRecords>();
  const std::uint16_t port = c.tls.front().port;
  for (const auto& z : c.zones) {
    if (!z.push) continue;
    auto origin = wire::Name::from_text(z.origin);
    auto target = wire::Name::from_text(push_target(c, z));
    if (!origin || !target) continue;
    auto owner = wire::Name::from_text(std::string(kPushSrvLabel) + "." + origin->to_text());
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
    out->add(*origin, srv);
    if (!target->is_subdomain_of(*origin)) continue;
    for (const auto& e : c.tls) {
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
      out->add(*origin, a);
    }
  }
  if (out->empty()) return nullptr;
  return out;
}

}  // namespace dnspush::server
