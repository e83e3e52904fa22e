#include "client/discovery.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace dnspush::client {
namespace {

std::string address_text(const wire::Record& r) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (r.type == wire::RRType::A && r.rdata.size() == 4)
    inet_ntop(AF_INET, r.rdata.data(), buf, sizeof buf);
  if (r.type == wire::RRType::AAAA && r.rdata.size() == 16)
    inet_ntop(AF_INET6, r.rdata.data(), buf, sizeof buf);
  return buf;
}

bool tls_service(Service s) {
  return s == Service::kPushTls || s == Service::kLlqTls || s == Service::kUpdateTls;
}

}  // namespace

std::string_view service_label(Service s) {
  switch (s) {
    case Service::kPushTls:
      return "_dns-push-tls._tcp";  // RFC 8765 §6.1
    case Service::kLlqUdp:
      return "_dns-llq._udp";  // RFC 8764 §3.1
    case Service::kLlqTls:
      return "_dns-llq-tls._tcp";
    case Service::kUpdateUdp:
      return "_dns-update._udp";
    case Service::kUpdateTls:
      return "_dns-update-tls._tcp";
  }
  return "";
}

const ServiceResult* DiscoveryResult::find(Service s) const {
  for (const auto& r : services)
    if (r.service == s) return &r;
  return nullptr;
}

Discovery::Discovery(wire::Name name, DiscoveryConfig cfg, UniformRandom random)
    : qname_(std::move(name)), cfg_(std::move(cfg)), random_(std::move(random)) {
  for (Service s : cfg_.services) result_.services.push_back(ServiceResult{s, false, {}});
}

Question Discovery::current() const {
  switch (state_) {
    case State::kSoa:
      return {qname_, wire::RRType::SOA, wire::RRClass::IN};
    case State::kSrv: {
      auto n = wire::Name::from_text(std::string(service_label(cfg_.services[service_i_])))
                   ->concat(result_.zone);
      return {n ? *n : result_.zone, wire::RRType::SRV, wire::RRClass::IN};
    }
    case State::kAddress:
    case State::kTlsa: {
      const auto& t = result_.services[service_i_].targets[target_i_];
      if (state_ == State::kTlsa) {
        auto n = t.srv.target.prepend("_tcp");
        if (n) n = n->prepend("_" + std::to_string(t.srv.port));
        return {n ? *n : t.srv.target, wire::RRType::TLSA, wire::RRClass::IN};
      }
      return {t.srv.target, address_step_ == 0 ? wire::RRType::A : wire::RRType::AAAA,
              wire::RRClass::IN};
    }
    case State::kDone:
      break;
  }
  return {};
}

std::optional<Question> Discovery::poll_query() {
  if (state_ == State::kDone || asked_) return std::nullopt;
  if (++queries_ > kMaxQueries) {
    result_.log.push_back(fmt::format("stopped after {} queries", kMaxQueries));
    finish();
    return std::nullopt;
  }
  asked_ = true;
  return current();
}

void Discovery::on_answer(const Question& q, const Answer& a) {
  if (!asked_ || !(q == current())) return;
  asked_ = false;
  switch (state_) {
    case State::kSoa:
      return soa_answer(a, false, {});
    case State::kSrv:
      return srv_answer(a, false, {});
    case State::kAddress:
      return address_answer(a);
    case State::kTlsa:
      return tlsa_answer(a);
    case State::kDone:
      return;
  }
}

void Discovery::on_failure(const Question& q, const std::string& why) {
  if (!asked_ || !(q == current())) return;
  asked_ = false;
  switch (state_) {
    case State::kSoa:
      return soa_answer({}, true, why);
    case State::kSrv:
      return srv_answer({}, true, why);
    case State::kAddress:
    case State::kTlsa:
      result_.log.push_back(fmt::format("{}: {}", q.to_text(), why));
      return state_ == State::kTlsa ? tlsa_answer({}) : address_answer({});
    case State::kDone:
      return;
  }
}

void Discovery::soa_answer(const Answer& a, bool failed, const std::string& why) {
  const std::string q = qname_.to_text() + " SOA";
  if (failed) {
    result_.error = fmt::format("no answer to {}: {}", q, why);
    result_.log.push_back(result_.error);
    return finish();
  }
  if (a.rcode != wire::Rcode::NOERROR && a.rcode != wire::Rcode::NXDOMAIN) {
    result_.error = fmt::format("the resolver answered {} to {}", wire::to_text(a.rcode), q);
    result_.log.push_back(result_.error);
    return finish();
  }
  // RFC 8765 §6.1 step 2: the SOA in the answer section; step 3: in the authority
  // section of a NODATA or NXDOMAIN answer. Either way it must enclose the name.
  const auto found = [&](const std::vector<wire::Record>& rs) -> const wire::Record* {
    for (const auto& r : rs)
      if (r.type == wire::RRType::SOA && qname_.is_subdomain_of(r.owner)) return &r;
    return nullptr;
  };
  const wire::Record* soa = found(a.answers);
  const char* where = "answer";
  if (soa == nullptr) {
    soa = found(a.authority);
    where = "authority";
  }
  if (soa != nullptr) {
    result_.zone_found = true;
    result_.zone = soa->owner;
    result_.soa = *soa;
    result_.log.push_back(fmt::format("zone {}: the SOA in the {} section of the answer to {} ({})",
                                      soa->owner.to_text(), where, q, wire::to_text(a.rcode)));
    state_ = State::kSrv;
    service_i_ = 0;
    if (cfg_.services.empty()) next_after_srv();
    return;
  }
  // Step 4: no SOA at all; strip the leftmost label while two or more remain.
  const wire::Name parent = qname_.parent();
  if (parent.label_count() < 2) {
    result_.error = fmt::format(
        "no zone found: no SOA in the answer to {} ({}) and {} is a "
        "top-level domain",
        q, wire::to_text(a.rcode), parent.to_text());
    result_.log.push_back(result_.error);
    return finish();
  }
  result_.log.push_back(fmt::format("no SOA in the answer to {} ({}): trying {}", q,
                                    wire::to_text(a.rcode), parent.to_text()));
  qname_ = parent;
}

void Discovery::srv_answer(const Answer& a, bool failed, const std::string& why) {
  const Question q = current();
  auto& svc = result_.services[service_i_];
  svc.queried = true;
  if (failed) {
    result_.log.push_back(fmt::format("{}: no answer: {}", q.to_text(), why));
  } else if (a.rcode != wire::Rcode::NOERROR) {
    result_.log.push_back(fmt::format("{}: {}", q.name.to_text(), wire::to_text(a.rcode)));
  } else {
    std::vector<SrvRecord> srvs;
    for (const auto& r : a.matching(q))
      if (auto s = SrvRecord::from_record(r)) srvs.push_back(*s);
    const std::size_t found = srvs.size();
    for (auto& s : order_srv(std::move(srvs), random_)) {
      ServiceTarget t;
      t.srv = std::move(s);
      t.srv_authenticated = a.authenticated;
      svc.targets.push_back(std::move(t));
    }
    if (found == 0) {
      result_.log.push_back(fmt::format("{}: no SRV record", q.name.to_text()));
    } else if (svc.targets.empty()) {
      result_.log.push_back(
          fmt::format("{}: target \".\": the service is not offered (RFC 2782)", q.name.to_text()));
    } else {
      for (std::size_t i = 0; i < svc.targets.size(); ++i) {
        const auto& s = svc.targets[i].srv;
        result_.log.push_back(fmt::format("{}: #{} {} port {} (priority {}, weight {}){}",
                                          q.name.to_text(), i + 1, s.target.to_text(), s.port,
                                          s.priority, s.weight,
                                          a.authenticated ? ", authenticated (AD)" : ""));
      }
    }
  }
  if (++service_i_ < cfg_.services.size()) return;
  next_after_srv();
}

void Discovery::next_after_srv() {
  service_i_ = 0;
  target_i_ = 0;
  address_step_ = 0;
  if (!cfg_.resolve_addresses) return finish();
  next_address_step();
}

// Walks (service, target, step) to the next query: A, AAAA, then TLSA where DANE may apply.
void Discovery::next_address_step() {
  while (service_i_ < result_.services.size()) {
    auto& svc = result_.services[service_i_];
    if (target_i_ < svc.targets.size()) {
      const auto& t = svc.targets[target_i_];
      if (address_step_ < 2) {
        state_ = State::kAddress;
        return;
      }
      if (address_step_ == 2 && cfg_.dane && tls_service(svc.service) && t.srv_authenticated &&
          !t.addresses.empty()) {
        state_ = State::kTlsa;
        return;
      }
      ++target_i_;
      address_step_ = 0;
      continue;
    }
    ++service_i_;
    target_i_ = 0;
    address_step_ = 0;
  }
  finish();
}

void Discovery::address_answer(const Answer& a) {
  auto& t = result_.services[service_i_].targets[target_i_];
  const Question q = current();
  if (a.rcode == wire::Rcode::NOERROR) {
    for (const auto& r : a.matching(q)) {
      auto text = address_text(r);
      if (!text.empty()) t.addresses.push_back(text);
    }
  }
  ++address_step_;
  if (address_step_ == 2) {
    result_.log.push_back(fmt::format("{}: {}", t.srv.target.to_text(),
                                      t.addresses.empty()
                                          ? std::string("no address")
                                          : fmt::format("{}", fmt::join(t.addresses, ", "))));
  }
  next_address_step();
}

void Discovery::tlsa_answer(const Answer& a) {
  auto& t = result_.services[service_i_].targets[target_i_];
  const Question q = current();
  std::vector<TlsaRecord> tlsa;
  if (a.rcode == wire::Rcode::NOERROR) {
    for (const auto& r : a.matching(q)) {
      if (r.rdata.size() < 3) continue;
      tlsa.push_back(TlsaRecord{r.rdata[0], r.rdata[1], r.rdata[2],
                                std::vector<std::uint8_t>(r.rdata.begin() + 3, r.rdata.end())});
    }
  }
  // RFC 7673 §3: only authenticated TLSA records (and an authenticated SRV) count.
  if (!tlsa.empty() && a.authenticated) {
    t.tlsa = std::move(tlsa);
    t.dane = true;
    result_.log.push_back(fmt::format("{}: {} authenticated TLSA record(s): DANE (RFC 7673)",
                                      q.name.to_text(), t.tlsa.size()));
  } else if (!tlsa.empty()) {
    result_.log.push_back(fmt::format("{}: TLSA records without AD: not used", q.name.to_text()));
  } else {
    result_.log.push_back(
        fmt::format("{}: no TLSA record: the certificate is checked against "
                    "the trust store",
                    q.name.to_text()));
  }
  ++target_i_;
  address_step_ = 0;
  next_address_step();
}

void Discovery::finish() {
  state_ = State::kDone;
  asked_ = false;
}

}  // namespace dnspush::client
