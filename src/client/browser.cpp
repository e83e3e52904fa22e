#include "client/browser.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "wire/reader.hpp"

namespace dnspush::client {
namespace {

std::string address_text(const wire::Record& r) {
  char buf[64] = "";
  if (r.type == wire::RRType::A && r.rdata.size() == 4)
    inet_ntop(AF_INET, r.rdata.data(), buf, sizeof buf);
  if (r.type == wire::RRType::AAAA && r.rdata.size() == 16)
    inet_ntop(AF_INET6, r.rdata.data(), buf, sizeof buf);
  return buf;
}

std::vector<std::string> txt_strings(const std::vector<std::uint8_t>& rdata) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < rdata.size()) {
    const std::size_t len = rdata[p];
    if (p + 1 + len > rdata.size()) break;
    out.emplace_back(rdata.begin() + static_cast<std::ptrdiff_t>(p + 1),
                     rdata.begin() + static_cast<std::ptrdiff_t>(p + 1 + len));
    p += 1 + len;
  }
  // RFC 6763 §6.1: a TXT record with one empty string means no attributes.
  if (out.size() == 1 && out[0].empty()) out.clear();
  return out;
}

Question q(const wire::Name& n, wire::RRType t) {
  return Question{n, t, wire::RRClass::IN};
}

}  // namespace

Browser::Browser(Client& client, const wire::Name& service_domain, Callback on_event,
                 StatusCallback on_status, Duration settle)
    : client_(client),
      on_event_(std::move(on_event)),
      on_status_(std::move(on_status)),
      settle_(settle),
      timer_(client.executor()) {
  ptr_sub_ = client_.subscribe(
      q(service_domain, wire::RRType::PTR), [this](const RecordEvent& e) { on_ptr(e); },
      [this](const Status& s) {
        if (on_status_) on_status_(s);
      });
}

Browser::~Browser() {
  timer_.cancel();
  client_.unsubscribe(ptr_sub_);
  for (auto& [n, in] : instances_) {
    client_.unsubscribe(in.srv_sub);
    client_.unsubscribe(in.txt_sub);
  }
  for (auto& [n, h] : hosts_) {
    client_.unsubscribe(h.a);
    client_.unsubscribe(h.aaaa);
  }
}

std::vector<ServiceInstance> Browser::instances() const {
  std::vector<ServiceInstance> out;
  for (const auto& [n, in] : instances_)
    if (in.announced) out.push_back(in.info);
  return out;
}

void Browser::on_ptr(const RecordEvent& e) {
  wire::Reader r(e.record.rdata);
  const wire::Name instance = r.name();
  if (!r.ok()) return;
  if (e.kind == RecordEvent::Kind::kRemove) {
    drop(instance);
    return;
  }
  if (instances_.count(instance) != 0) return;
  Instance in;
  in.info.name = instance;
  in.info.label = std::string(instance.label(0));
  auto [it, inserted] = instances_.emplace(instance, std::move(in));
  (void)inserted;
  const wire::Name key = instance;
  it->second.srv_sub = client_.subscribe(q(key, wire::RRType::SRV),
                                         [this, key](const RecordEvent&) { on_srv(key); });
  it->second.txt_sub = client_.subscribe(q(key, wire::RRType::TXT),
                                         [this, key](const RecordEvent&) { on_txt(key); });
}

void Browser::on_srv(const wire::Name& instance) {
  auto it = instances_.find(instance);
  if (it == instances_.end()) return;
  Instance& in = it->second;
  // RFC 6763 §5: one SRV per instance is the rule; with several, the first in RFC 2782
  // order (weights aside) is shown.
  std::optional<SrvRecord> best;
  for (const auto& r : client_.answers(in.srv_sub)) {
    auto s = SrvRecord::from_record(r);
    if (s && (!best || s->priority < best->priority)) best = s;
  }
  in.info.srv = best;
  follow_host(in, best ? std::optional<wire::Name>(best->target) : std::nullopt);
  refresh(in);
}

void Browser::on_txt(const wire::Name& instance) {
  auto it = instances_.find(instance);
  if (it == instances_.end()) return;
  auto rs = client_.answers(it->second.txt_sub);
  it->second.info.txt = rs.empty() ? std::vector<std::string>{} : txt_strings(rs.front().rdata);
  refresh(it->second);
}

void Browser::on_address(const wire::Name& host) {
  for (auto& [n, in] : instances_) {
    if (in.host && *in.host == host) refresh(in);
  }
}

void Browser::follow_host(Instance& in, std::optional<wire::Name> host) {
  if (in.host == host) return;
  if (in.host) {
    auto h = hosts_.find(*in.host);
    if (h != hosts_.end() && --h->second.users == 0) {
      client_.unsubscribe(h->second.a);
      client_.unsubscribe(h->second.aaaa);
      hosts_.erase(h);
    }
  }
  in.host = host;
  if (!host) return;
  auto [h, inserted] = hosts_.try_emplace(*host);
  ++h->second.users;
  if (!inserted) return;
  const wire::Name key = *host;
  h->second.a = client_.subscribe(q(key, wire::RRType::A),
                                  [this, key](const RecordEvent&) { on_address(key); });
  h->second.aaaa = client_.subscribe(q(key, wire::RRType::AAAA),
                                     [this, key](const RecordEvent&) { on_address(key); });
}

void Browser::refresh(Instance& in) {
  if (std::find(dirty_.begin(), dirty_.end(), in.info.name) == dirty_.end())
    dirty_.push_back(in.info.name);
  timer_.expires_after(settle_);
  timer_.async_wait([this](const std::error_code& ec) {
    if (!ec) flush();
  });
}

void Browser::flush() {
  for (auto& gone : removed_)
    if (on_event_) on_event_({BrowseEvent::Kind::kRemove, gone});
  removed_.clear();
  auto dirty = std::move(dirty_);
  dirty_.clear();
  for (const auto& name : dirty) {
    auto it = instances_.find(name);
    if (it == instances_.end()) continue;
    Instance& in = it->second;
    std::vector<std::string> addrs;
    if (in.host) {
      auto h = hosts_.find(*in.host);
      if (h != hosts_.end()) {
        for (auto id : {h->second.a, h->second.aaaa})
          for (const auto& r : client_.answers(id)) {
            auto t = address_text(r);
            if (!t.empty()) addrs.push_back(t);
          }
      }
    }
    in.info.addresses = std::move(addrs);
    if (!in.info.srv) continue;  // not resolved yet: nothing to show
    std::string shown = in.info.srv->target.to_text() + ' ' + std::to_string(in.info.srv->port);
    for (const auto& t : in.info.txt) shown += "\x01" + t;
    for (const auto& a : in.info.addresses) shown += "\x02" + a;
    if (in.announced && shown == in.shown) continue;
    in.shown = std::move(shown);
    const bool first = !in.announced;
    in.announced = true;
    if (on_event_)
      on_event_({first ? BrowseEvent::Kind::kAdd : BrowseEvent::Kind::kUpdate, in.info});
  }
}

void Browser::drop(const wire::Name& instance) {
  auto it = instances_.find(instance);
  if (it == instances_.end()) return;
  Instance in = std::move(it->second);
  instances_.erase(it);
  client_.unsubscribe(in.srv_sub);
  client_.unsubscribe(in.txt_sub);
  follow_host(in, std::nullopt);
  std::erase(dirty_, instance);
  if (!in.announced) return;
  removed_.push_back(in.info);
  timer_.expires_after(settle_);
  timer_.async_wait([this](const std::error_code& ec) {
    if (!ec) flush();
  });
}

}  // namespace dnspush::client
