// libFuzzer target: the DNS Push client core (client::PushChannel with its RecordSets)
// driven by a byte program against a scripted server: PUSH messages made of fuzzed change
// notifications (valid and not), raw stream bytes, time passing, lost and failed
// connections, reconnects, subscriptions added and removed. Checks after every step:
//   - the events of each subscription are a consistent stream: a removal names a record
//     the consumer has, an add of a record it has only changes its TTL, and replaying the
//     events gives exactly the subscription's current records;
//   - no record set grows past its bound;
//   - every frame the client sends is a DSO message (or, never, something else: abort);
//   - a deadline that passed is gone after on_timeout.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "client/push_channel.hpp"
#include "dso/message.hpp"
#include "push/tlv.hpp"
#include "wire/rdata.hpp"

namespace {

using namespace dnspush;
using client::RecordEvent;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "fuzz_client_push: %s\n", why.c_str());
  std::abort();
}

struct Input {
  const std::uint8_t* p;
  std::size_t n;
  bool empty() const { return n == 0; }
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
};

const char* const kNames[] = {"p.example.test.", "P.EXAMPLE.test.", "q.example.test."};
const wire::RRType kTypes[] = {wire::RRType::A, wire::RRType::TXT, wire::RRType::AAAA,
                               wire::RRType::ANY, static_cast<wire::RRType>(0)};

std::string key(const wire::Record& r) {
  const auto c = wire::canonical_rdata(r.type, r.rdata);
  return r.owner.to_lower().to_text() + "/" + std::to_string(static_cast<int>(r.type)) + "/" +
         std::to_string(static_cast<int>(r.cls)) + "/" + std::string(c.begin(), c.end());
}

struct Sub {
  client::SubscriptionId id;
  client::RecordSet set;
  std::map<std::string, std::uint32_t> model;  // what the consumer was told: key -> TTL
  bool attached = true;
};

struct Harness {
  client::PushChannel ch;
  std::vector<Sub> subs;
  TimePoint now = TimePoint() + std::chrono::hours(1);
  wire::Rcode subscribe_rcode = wire::Rcode::NOERROR;
  bool connected = false;

  Harness() : ch(config(), [] { return 0.5; }) {
    subs.push_back({1, client::RecordSet({*wire::Name::from_text("p.example.test."),
                                          wire::RRType::A, wire::RRClass::IN},
                                         8)});
    subs.push_back({2, client::RecordSet({*wire::Name::from_text("p.example.test."),
                                          wire::RRType::ANY, wire::RRClass::ANY},
                                         8)});
    for (auto& s : subs) ch.add(s.id, &s.set, now);
  }
  static client::PushChannelConfig config() {
    client::PushChannelConfig c;
    c.pad = false;
    return c;
  }

  Sub* find(client::SubscriptionId id) {
    for (auto& s : subs)
      if (s.id == id) return &s;
    return nullptr;
  }

  void events() {
    while (auto e = ch.poll_event()) {
      const auto* se = std::get_if<client::SubscriptionEvent>(&*e);
      if (se == nullptr) continue;
      Sub* s = find(se->id);
      if (s == nullptr) fail("event for an unknown subscription");
      const std::string k = key(se->event.record);
      if (se->event.kind == RecordEvent::Kind::kRemove) {
        if (s->model.erase(k) != 1) fail("removal of a record the consumer does not have");
      } else {
        auto it = s->model.find(k);
        if (it != s->model.end() && it->second == se->event.record.ttl)
          fail("an add of a record the consumer has, with the same TTL");
        s->model[k] = se->event.record.ttl;
      }
    }
    for (auto& s : subs) {
      if (s.set.size() > 8) fail("record set past its bound");
      std::map<std::string, bool> now_has;
      for (const auto& r : s.set.records(now)) now_has[key(r)] = true;
      if (now_has.size() != s.model.size()) fail("events do not replay to the record set");
      for (const auto& [k, ttl] : s.model)
        if (!now_has.count(k)) fail("events do not replay to the record set");
    }
  }

  // The server's side of what the client sent: Keepalive and SUBSCRIBE answered.
  void serve() {
    std::vector<std::vector<std::uint8_t>> replies;
    while (auto f = ch.poll_transmit()) {
      auto m = dso::parse_message(**f);
      if (!m) fail("the client sent something that is not a DSO message");
      if (m->qr || m->id == 0 || !m->primary()) continue;
      if (m->primary()->type == dso::TlvType::KeepAlive) {
        const auto k = dso::encode_keepalive({15000, 3600000});
        auto r = dso::MessageBuilder::response(m->id, wire::Rcode::NOERROR)
                     .add(dso::TlvType::KeepAlive, k)
                     .finish();
        replies.push_back(*r);
      } else if (m->primary()->type == dso::TlvType::SUBSCRIBE) {
        replies.push_back(*dso::MessageBuilder::response(m->id, subscribe_rcode).finish());
      }
    }
    for (const auto& r : replies) feed(r);
  }

  void feed(const std::vector<std::uint8_t>& msg) {
    std::vector<std::uint8_t> framed{static_cast<std::uint8_t>(msg.size() >> 8),
                                     static_cast<std::uint8_t>(msg.size())};
    framed.insert(framed.end(), msg.begin(), msg.end());
    ch.receive(framed, now);
  }

  void push(Input& in) {
    auto b = dso::MessageBuilder::unidirectional();
    const auto mark = b.begin_tlv(dso::TlvType::PUSH);
    const int count = 1 + in.byte() % 4;
    for (int i = 0; i < count; ++i) {
      const std::uint8_t k = in.byte();
      const auto owner = *wire::Name::from_text(kNames[k % 3]);
      const wire::RRType type = kTypes[(k >> 2) % 5];
      const wire::RRClass cls = (k & 0x20) ? wire::RRClass::ANY : wire::RRClass::IN;
      std::uint32_t ttl = in.byte() % 4;
      std::vector<std::uint8_t> rdata;
      switch ((k >> 6) & 3) {
        case 0:  // an add with a small TTL (or a huge one, ignored by §6.3.1)
          ttl = (in.byte() & 0x80) ? 0x80000000u : ttl;
          break;
        case 1:
          ttl = push::kTtlDeleteRecord;
          break;
        case 2:
          ttl = push::kTtlDeleteCollective;
          break;
        default:
          break;
      }
      if (ttl != push::kTtlDeleteCollective || (in.byte() & 1)) {
        if (type == wire::RRType::TXT) {
          rdata = {1, static_cast<std::uint8_t>('a' + in.byte() % 3)};
        } else if (type == wire::RRType::AAAA) {
          rdata.assign(16, 0);
          rdata[15] = in.byte() % 3;
        } else {
          rdata = {192, 0, 2, static_cast<std::uint8_t>(in.byte() % 4)};
        }
      }
      push::write_change(b.writer(), owner, type, cls, ttl, rdata);
    }
    b.end_tlv(mark);
    if (auto m = b.finish()) feed(*m);
  }

  // The session ended on its own (a fatal error, a timeout): the io layer closes the
  // connection, and the channel waits for the next one.
  void close_if_asked() {
    if (ch.should_close()) {
      while (ch.poll_transmit()) {
      }
      if (connected) ch.connection_lost("closed", now);
      connected = false;
    }
    if (ch.wants_connection()) connected = false;
  }

  void step(Input& in) {
    const std::uint8_t op = in.byte();
    switch (op % 8) {
      case 0:
      case 1:
        if (connected) push(in);
        break;
      case 2: {  // raw bytes on the stream
        if (!connected) break;
        std::vector<std::uint8_t> raw(in.byte() % 32);
        for (auto& x : raw) x = in.byte();
        ch.receive(raw, now);
        break;
      }
      case 3:  // time passes
        now += std::chrono::milliseconds(100 * (1 + in.byte()));
        break;
      case 4:
        ch.connection_lost("reset", now);
        connected = false;
        break;
      case 5:
        if (ch.wants_connection()) {
          if (in.byte() & 1) {
            ch.connect_failed("refused", now);
          } else {
            ch.connected(now);
            connected = true;
          }
        }
        break;
      case 6: {  // the second subscription goes or comes back
        Sub& s = subs[1];
        if (s.attached) {
          ch.remove(s.id, now);
        } else {
          ch.add(s.id, &s.set, now);
        }
        s.attached = !s.attached;
        break;
      }
      case 7:
        subscribe_rcode = (op & 0x80) ? wire::Rcode::REFUSED : wire::Rcode::NOERROR;
        break;
    }
    close_if_asked();
    if (connected) serve();
    if (auto t = ch.next_timeout(); t && *t <= now) {
      ch.on_timeout(now);
      // The connect time is the owner's deadline (it connects then), not on_timeout's.
      if (auto again = ch.next_timeout();
          again && *again <= now && !(ch.wants_connection() && ch.connect_at() == again))
        fail("a passed deadline survived on_timeout");
    }
    close_if_asked();
    if (connected) serve();
    events();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness h;
  Input in{data, size};
  for (int i = 0; i < 400 && !in.empty(); ++i) h.step(in);
  return 0;
}
