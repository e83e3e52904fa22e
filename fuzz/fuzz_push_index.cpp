// libFuzzer target: the push worker (src/push/push_worker.hpp) driven by a byte program.
// Sessions subscribe, unsubscribe (both forms), reconfirm, change options and close;
// random changesets are committed to a zone and reach the worker late (a queue), so
// SUBSCRIBEs read catalogues newer than the worker's last commit. Invariants checked after
// every step, abort() on a violation:
//   - the index is consistent (SubscriptionIndex::check);
//   - every PUSH message parses strictly, within the session's size limit, padded to
//     468-byte blocks when the session pads;
//   - whenever every commit has been delivered, each session's client cache (its initial
//     PUSHes and deliveries applied in order) equals what its subscriptions see in the
//     zone: nothing missed, nothing stale, nothing extra.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client_model.hpp"
#include "push/push_worker.hpp"
#include "zone/catalogue.hpp"
#include "zone/commit.hpp"
#include "zone/zone.hpp"

namespace {

using namespace dnspush;
using push::SessionId;
using push::Subscribe;
using wire::RRClass;
using wire::RRType;

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "push index invariant violated: %s\n", what);
  std::abort();
}

wire::Name name(const char* text) {
  return *wire::Name::from_text(text);
}

const wire::Name kOrigin = name("example.");
const std::vector<wire::Name> kNames = {kOrigin,
                                        name("a.example."),
                                        name("B.example."),
                                        name("c.b.example."),
                                        name("*.w.example."),
                                        name("sub.example."),
                                        name("x.sub.example.")};
const std::vector<RRType> kTypes = {RRType::A,   RRType::TXT,           RRType::PTR, RRType::ANY,
                                    RRType::NS,  RRType::SOA,           RRType::SRV, RRType::AAAA,
                                    RRType::OPT, static_cast<RRType>(0)};

std::vector<std::uint8_t> name_rdata(const wire::Name& n) {
  return {n.wire().begin(), n.wire().end()};
}

wire::Record soa(std::uint32_t serial) {
  std::vector<std::uint8_t> rd = name_rdata(name("ns.example."));
  const auto mbox = name_rdata(name("host.example."));
  rd.insert(rd.end(), mbox.begin(), mbox.end());
  for (const std::uint32_t v : {serial, 7200u, 3600u, 1209600u, 60u}) {
    for (int s = 24; s >= 0; s -= 8) rd.push_back(static_cast<std::uint8_t>(v >> s));
  }
  return wire::Record{kOrigin, RRType::SOA, RRClass::IN, 300, rd};
}

// A record of one of a few shapes at one of the pool's names.
wire::Record make_record(FuzzedDataProvider& in) {
  wire::Record r;
  r.owner = kNames[in.ConsumeIntegralInRange<std::size_t>(1, kNames.size() - 1)];
  r.ttl = in.ConsumeBool() ? 300 : in.ConsumeIntegral<std::uint32_t>();
  const std::uint8_t v = in.ConsumeIntegral<std::uint8_t>() % 4;
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0:
      r.type = RRType::A;
      r.rdata = {192, 0, 2, v};
      break;
    case 1:
      r.type = RRType::TXT;
      r.rdata = {1, static_cast<std::uint8_t>('a' + v)};
      break;
    case 2:
      r.type = RRType::PTR;
      r.rdata = name_rdata(kNames[1 + v]);
      break;
    case 3:
      r.type = RRType::AAAA;
      r.rdata.assign(16, v);
      break;
    case 4:
      r.type = RRType::NS;
      r.rdata = name_rdata(name("ns.example."));
      break;
    default: {
      r.type = RRType::SRV;
      r.rdata = {0, v, 0, 0, 0x02, 0x77};
      const auto t = name_rdata(kNames[1 + v]);
      r.rdata.insert(r.rdata.end(), t.begin(), t.end());
    }
  }
  return r;
}

struct Client {
  push::test::ClientModel model;
  std::vector<std::pair<std::uint16_t, Subscribe>> subs;
  push::SessionOptions options;
};

class Harness {
 public:
  Harness() : worker_(config()) {
    zone::ZoneBuilder b(kOrigin);
    (void)b.add(soa(1));
    (void)b.add(
        wire::Record{kOrigin, RRType::NS, RRClass::IN, 300, name_rdata(name("ns.example."))});
    (void)b.add(wire::Record{name("a.example."), RRType::A, RRClass::IN, 300, {192, 0, 2, 1}});
    (void)b.add(wire::Record{name("sub.example."), RRType::NS, RRClass::IN, 300,
                             name_rdata(name("ns.sub.example."))});
    zone_ = *std::move(b).finish();
    catalogue_ = zone::Catalogue().with(zone_, 0);
  }

  void step(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 9)) {
      case 0:
      case 1:
        subscribe(in);
        break;
      case 2:
        unsubscribe(in);
        break;
      case 3:
      case 4:
        commit(in);
        break;
      case 5:
      case 6:
        deliver();
        break;
      case 7:
        close(session(in));
        break;
      case 8:
        options(in);
        break;
      default:
        reconfirm(in);
        break;
    }
    if (!worker_.index().check()) violated("index structure");
    if (in_flight_.empty()) compare();
  }

  void finish() {
    while (!in_flight_.empty()) deliver();
    compare();
  }

 private:
  static push::PushConfig config() {
    push::PushConfig cfg;
    cfg.max_subscriptions_per_session = 8;
    cfg.max_subscriptions = 24;
    cfg.subscribe_interval = std::chrono::milliseconds(10);
    cfg.subscribe_burst = 6;
    return cfg;
  }

  SessionId session(FuzzedDataProvider& in) {
    return SessionId{in.ConsumeIntegralInRange<std::uint64_t>(0, 4)};
  }

  void subscribe(FuzzedDataProvider& in) {
    const SessionId s = session(in);
    Subscribe key;
    key.name = kNames[in.ConsumeIntegralInRange<std::size_t>(0, kNames.size() - 1)];
    key.type = kTypes[in.ConsumeIntegralInRange<std::size_t>(0, kTypes.size() - 1)];
    const int cls = in.ConsumeIntegralInRange(0, 5);
    key.cls = cls == 4 ? RRClass::ANY : cls == 5 ? RRClass::CH : RRClass::IN;
    const auto id = in.ConsumeIntegral<std::uint16_t>();
    now_ += std::chrono::milliseconds(in.ConsumeIntegralInRange(0, 50));
    wire::Writer w;
    push::encode_subscribe(w, key);
    const auto r = worker_.subscribe(s, id, w.data(), *catalogue_, now_);
    if (r.action == push::SubscribeResult::Action::kAbort) {
      close(s);  // what the caller does: the session is gone
      return;
    }
    // RFC 8765 §6.2.2: NXDOMAIN is never a SUBSCRIBE answer.
    if (r.rcode == wire::Rcode::NXDOMAIN) violated("NXDOMAIN");
    if (r.rcode != wire::Rcode::NOERROR) {
      if (!r.retry_delay || !r.initial_push.empty()) violated("refusal without Retry Delay");
      return;
    }
    Client& c = clients_[static_cast<std::uint64_t>(s)];
    check_messages(c, r.initial_push);
    for (const auto& m : r.initial_push)
      if (!c.model.apply(m, false)) violated(c.model.error().c_str());
    c.subs.emplace_back(id, key);
  }

  void unsubscribe(FuzzedDataProvider& in) {
    const SessionId s = session(in);
    Client& c = clients_[static_cast<std::uint64_t>(s)];
    if (c.subs.empty() || in.ConsumeBool()) {
      // Unknown ids are ignored (RFC 8765 §6.4.1) unless they happen to match.
      const auto id = in.ConsumeIntegral<std::uint16_t>();
      const std::uint8_t b[2] = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
      if (worker_.unsubscribe(s, b) == push::UnsubscribeResult::kRemoved) forget(c, id);
      return;
    }
    const std::size_t k = in.ConsumeIntegralInRange<std::size_t>(0, c.subs.size() - 1);
    wire::Writer w;
    if (in.ConsumeBool()) {
      push::encode_unsubscribe(w, c.subs[k].first);
    } else {
      push::encode_subscribe(w, c.subs[k].second);  // Apple's draft form
    }
    if (worker_.unsubscribe(s, w.data()) != push::UnsubscribeResult::kRemoved)
      violated("UNSUBSCRIBE of an active subscription did not remove it");
    forget(c, c.subs[k].first);
  }

  // The subscription `id` is gone: records no remaining subscription covers leave the
  // client's cache (RFC 8765 §6.3.1: nothing keeps them up to date any more).
  void forget(Client& c, std::uint16_t id) {
    std::erase_if(c.subs, [&](const auto& p) { return p.first == id; });
    std::vector<Subscribe> keys;
    for (const auto& p : c.subs) keys.push_back(p.second);
    c.model.prune(keys);
  }

  void commit(FuzzedDataProvider& in) {
    zone::Changeset cs;
    cs.soa_from = zone_->soa_record();
    cs.soa_to = soa(zone::soa_serial(cs.soa_from.rdata).value() + 1);
    const int removals = in.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < removals; ++i) {
      const auto& n = kNames[in.ConsumeIntegralInRange<std::size_t>(1, kNames.size() - 1)];
      const zone::Node* node = zone_->find(n);
      if (node == nullptr || node->empty()) continue;
      const auto& set =
          node->rrsets()[in.ConsumeIntegralInRange<std::size_t>(0, node->rrsets().size() - 1)];
      if (n == kOrigin && (set.type == RRType::SOA || set.type == RRType::NS)) continue;
      for (const auto& rd : set.rdatas) {
        if (in.ConsumeBool() || set.rdatas.size() == 1) {
          cs.removed.push_back(wire::Record{n, set.type, RRClass::IN, set.ttl, rd});
        }
      }
    }
    const int adds = in.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < adds; ++i) cs.added.push_back(make_record(in));
    auto after = zone_->apply(cs);
    if (!after) return;  // a removal twice, CNAME rules...: the writer would refuse it too
    auto c = std::make_shared<zone::Commit>();
    c->origin = kOrigin;
    c->version = ++version_;
    c->changeset = std::move(cs);
    c->before = zone_;
    c->after = *after;
    zone_ = *after;
    catalogue_ = catalogue_->with(zone_, version_);
    in_flight_.push_back(std::move(c));
  }

  void deliver() {
    if (in_flight_.empty()) return;
    const auto c = in_flight_.front();
    in_flight_.pop_front();
    const auto ds = worker_.on_commit(*c);
    std::map<std::uint64_t, std::vector<push::SharedBytes>> per_session;
    for (const auto& d : ds)
      per_session[static_cast<std::uint64_t>(d.session)].push_back(d.message);
    for (auto& [s, msgs] : per_session) {
      Client& cl = clients_[s];
      if (cl.subs.empty()) violated("delivery to a session without subscriptions");
      check_messages(cl, msgs);
      for (const auto& m : msgs)
        if (!cl.model.apply(m, false)) violated(cl.model.error().c_str());
    }
  }

  void close(SessionId s) {
    worker_.close_session(s);
    clients_.erase(static_cast<std::uint64_t>(s));
    if (worker_.subscriptions(s) != 0) violated("closed session keeps subscriptions");
  }

  void options(FuzzedDataProvider& in) {
    const SessionId s = session(in);
    push::SessionOptions o;
    o.pad = in.ConsumeBool();
    o.deletes = in.ConsumeBool() ? push::DeletePolicy::kCompact : push::DeletePolicy::kPerRecord;
    o.max_message = in.ConsumeIntegralInRange<std::uint16_t>(0, 17000);
    worker_.set_session_options(s, o);
    clients_[static_cast<std::uint64_t>(s)].options = o;
  }

  void reconfirm(FuzzedDataProvider& in) {
    const auto r = make_record(in);
    wire::Writer w;
    push::encode_reconfirm(w, push::Reconfirm{r.owner, r.type, r.cls, r.rdata});
    const auto res = worker_.reconfirm(SessionId{0}, w.data(), *catalogue_);
    if (res.abort) violated("valid RECONFIRM refused");
  }

  void check_messages(const Client& c, const std::vector<push::SharedBytes>& msgs) {
    const std::size_t max = push::effective_max_message(c.options, push::kMaxPushMessage);
    for (const auto& m : msgs) {
      if (m->size() > max) violated("message over the session's limit");
      if (c.options.pad && m->size() % push::kPaddingBlock != 0) violated("padding");
      if (!push::parse_push_message(*m)) violated("undecodable PUSH");
    }
  }

  void compare() {
    for (auto& [s, c] : clients_) {
      std::vector<Subscribe> keys;
      for (const auto& p : c.subs) keys.push_back(p.second);
      if (c.model.records() != push::test::ClientModel::expected(*zone_, keys))
        violated("client cache differs from the zone");
    }
  }

  push::PushWorker worker_;
  std::shared_ptr<const zone::Zone> zone_;
  std::shared_ptr<const zone::Catalogue> catalogue_;
  std::deque<zone::CommitPtr> in_flight_;
  std::map<std::uint64_t, Client> clients_;
  std::uint64_t version_ = 0;
  TimePoint now_ = TimePoint() + std::chrono::hours(1);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Harness h;
  for (int steps = 0; steps < 200 && in.remaining_bytes() > 0; ++steps) h.step(in);
  h.finish();
  return 0;
}
