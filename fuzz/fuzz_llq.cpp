// libFuzzer target: the LLQ server core (src/llq/llq_server.hpp) and its option codec,
// driven by a byte program. Clients at three addresses set LLQs up (walking the 4-way
// handshake, or stopping half-way), send raw fuzzed messages, refresh and cancel, receive
// events (acknowledging them with QR set or clear, or losing them), while random changesets
// are committed and the clock advances. Invariants, abort() on a violation:
//   - every LLQ option that decodes encodes to the same 18 bytes;
//   - the LLQ table and the shared subscription index are consistent (LlqServer::check);
//   - every answer and every event parses strictly and fits the client's UDP payload;
//     every event carries the LLQ option EVENT with a live LLQ's ID;
//   - at the end, once every event has been acknowledged, each live LLQ's client cache
//     (its ACK answers, then its events applied in order: TTL 0xFFFFFFFF removes a record)
//     equals the zone's records for its question: no event lost, none reordered.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "llq/llq_server.hpp"
#include "push/push_worker.hpp"
#include "zone/catalogue.hpp"
#include "zone/commit.hpp"
#include "zone/zone.hpp"

namespace {

using namespace dnspush;
using wire::RRClass;
using wire::RRType;
using Bytes = std::vector<std::uint8_t>;

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "llq invariant violated: %s\n", what);
  std::abort();
}

wire::Name name(const char* text) {
  return *wire::Name::from_text(text);
}

const wire::Name kOrigin = name("example.");
const std::vector<wire::Name> kNames = {kOrigin, name("a.example."), name("B.example."),
                                        name("c.b.example."), name("other.org.")};
const std::vector<RRType> kTypes = {RRType::A, RRType::TXT, RRType::ANY, RRType::AAAA,
                                    RRType::AXFR};

Bytes name_rdata(const wire::Name& n) {
  return {n.wire().begin(), n.wire().end()};
}

wire::Record soa(std::uint32_t serial) {
  Bytes rd = name_rdata(name("ns.example."));
  const auto mbox = name_rdata(name("host.example."));
  rd.insert(rd.end(), mbox.begin(), mbox.end());
  for (const std::uint32_t v : {serial, 7200u, 3600u, 1209600u, 60u}) {
    for (int s = 24; s >= 0; s -= 8) rd.push_back(static_cast<std::uint8_t>(v >> s));
  }
  return wire::Record{kOrigin, RRType::SOA, RRClass::IN, 300, rd};
}

using Cache = std::set<std::pair<RRType, Bytes>>;

struct Model {
  std::size_t peer = 0;
  wire::Question q;
  Cache cache;
};

constexpr std::uint64_t kStream = 77;

class Harness {
 public:
  Harness() : llq_(push_, config(), [this] { return ++rnd_ * 0x9E3779B97F4A7C15ULL; }) {
    zone::ZoneBuilder b(kOrigin);
    (void)b.add(soa(1));
    (void)b.add(
        wire::Record{kOrigin, RRType::NS, RRClass::IN, 300, name_rdata(name("ns.example."))});
    (void)b.add(wire::Record{name("a.example."), RRType::A, RRClass::IN, 300, {192, 0, 2, 1}});
    zone_ = *std::move(b).finish();
    catalogue_ = zone::Catalogue().with(zone_, 0);
    for (std::uint8_t i = 0; i < 3; ++i) {
      llq::Peer p;
      p.address = {10, 0, 0, static_cast<std::uint8_t>(1 + i / 2)};
      p.port = static_cast<std::uint16_t>(1000 + i);
      peers_.push_back(p);
    }
    // A client on a stream connection (TCP/TLS): no challenge, events without acks.
    llq::Peer s;
    s.address = {10, 0, 0, 3};
    s.port = 1003;
    s.stream = kStream;
    peers_.push_back(s);
  }

  void step(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 9)) {
      case 0:
      case 1:
        setup(in);
        break;
      case 2:
        raw(in);
        break;
      case 3:
      case 4:
        commit(in);
        break;
      case 5:
        receive_one(in.ConsumeBool(), in.ConsumeBool());
        break;
      case 6:
        refresh(in);
        break;
      case 9:
        // The stream connection closes: its LLQs end, nothing more is sent to it.
        llq_.close_stream(kStream);
        if (llq_.for_stream(kStream) != 0) violated("LLQs left on a closed stream");
        while (auto t = llq_.poll_transmit()) {
          if (t->to.stream == kStream) violated("a transmit to a closed stream");
          inbox_.push_back(std::move(*t));
        }
        break;
      default:
        now_ += std::chrono::milliseconds(in.ConsumeIntegralInRange(0, 20000));
        llq_.on_timeout(now_);
        drain();
        break;
    }
    forget_dropped();
    if (!llq_.check()) violated("table or index structure");
  }

  void finish() {
    for (int round = 0; round < 1000; ++round) {
      while (!inbox_.empty()) receive_one(true, round % 2 == 0);
      forget_dropped();
      bool pending = false;
      for (const auto& [id, m] : models_) pending = pending || llq_.info(id)->queued_events > 0;
      if (!pending) break;
      const auto next = llq_.next_timeout();
      if (!next) break;
      now_ = std::max(now_, *next);
      llq_.on_timeout(now_);
      drain();
    }
    forget_dropped();
    for (const auto& [id, m] : models_) {
      if (llq_.info(id)->queued_events > 0) continue;  // dropped at the last try meanwhile
      if (zone_records(m.q) != m.cache) violated("client cache differs from the zone");
    }
  }

 private:
  static llq::LlqConfig config() {
    llq::LlqConfig c;
    c.lease_min = std::chrono::seconds(10);
    c.lease_max = std::chrono::seconds(100);
    c.max_llqs = 12;
    c.max_llqs_per_address = 6;
    c.max_queued_events = 4;
    c.secret = llq::SipKey{7};
    return c;
  }

  Cache zone_records(const wire::Question& q) const {
    Cache want;
    if (const zone::Node* node = zone_->find(q.name)) {
      for (const auto& s : node->rrsets()) {
        if (q.type != RRType::ANY && s.type != q.type) continue;
        for (const auto& rd : s.rdatas) want.emplace(s.type, rd);
      }
    }
    return want;
  }

  llq::Disposition send(const Bytes& msg, std::size_t peer, Bytes& out) {
    const auto d = llq_.receive(msg, peers_[peer], *catalogue_, now_, out);
    if (d == llq::Disposition::kAnswer) {
      if (peers_[peer].stream == 0 && out.size() > 1232) violated("answer above max_udp");
      if (!wire::Message::parse(out)) violated("answer does not parse");
    }
    drain();
    return d;
  }

  static Bytes message(std::uint16_t id, const wire::Question& q, const llq::Option& o,
                       std::uint16_t udp, bool qr = false) {
    wire::Message m;
    m.header.id = id;
    m.header.qr = qr;
    m.questions = {q};
    wire::Edns e;
    e.udp_payload = udp;
    e.options.push_back(llq::to_edns(o));
    m.edns = e;
    return m.to_wire();
  }

  static std::optional<llq::Option> option_of(const wire::Message& m) {
    if (!m.edns) return std::nullopt;
    for (const auto& o : llq::llq_options(*m.edns)) {
      if (o) return *o;
    }
    return std::nullopt;
  }

  void setup(FuzzedDataProvider& in) {
    const std::size_t peer = in.ConsumeIntegralInRange<std::size_t>(0, peers_.size() - 1);
    wire::Question q{kNames[in.ConsumeIntegralInRange<std::size_t>(0, kNames.size() - 1)],
                     kTypes[in.ConsumeIntegralInRange<std::size_t>(0, kTypes.size() - 1)],
                     RRClass::IN};
    const std::uint16_t udp = in.ConsumeBool() ? 512 : 1440;
    Bytes out;
    send(message(1, q,
                 llq::make_option(llq::Opcode::LLQ_SETUP, llq::ErrorCode::NO_ERROR, 0,
                                  in.ConsumeIntegral<std::uint32_t>()),
                 udp),
         peer, out);
    const auto ch = wire::Message::parse(out);
    const auto co = ch ? option_of(*ch) : std::nullopt;
    if (peers_[peer].stream != 0) {
      // Over a stream the first answer is the ACK with the answers.
      if (!co || co->error != 0) return;
      if (co->id == 0 || ch->header.tc) violated("a stream setup without an ID, or truncated");
      if (models_.count(co->id) != 0 || !llq_.info(co->id)) violated("a stream LLQ not fresh");
      Model m{peer, q, {}};
      for (const auto& r : ch->answers) m.cache.emplace(r.type, r.rdata);
      models_[co->id] = std::move(m);
      return;
    }
    if (!co || co->error != 0 || in.ConsumeBool()) return;  // refused, or the client gave up
    if (!ch->answers.empty()) violated("a challenge with answers");
    now_ += std::chrono::milliseconds(in.ConsumeIntegralInRange(0, 40000));
    const bool fresh = models_.count(co->id) == 0;
    send(message(2, q, *co, udp), peer, out);
    const auto ack = wire::Message::parse(out);
    const auto ao = ack ? option_of(*ack) : std::nullopt;
    if (!ao || ao->error != 0 || !fresh || !llq_.info(co->id)) return;
    Model m{peer, q, {}};
    if (ack->header.tc) {
      // Too large for the payload: the client fetches the answer over TCP, from the
      // snapshot the LLQ was set up at (the current one: commits here are synchronous).
      m.cache = zone_records(q);
    } else {
      for (const auto& r : ack->answers) m.cache.emplace(r.type, r.rdata);
    }
    models_[co->id] = std::move(m);
  }

  void raw(FuzzedDataProvider& in) {
    const std::size_t peer = in.ConsumeIntegralInRange<std::size_t>(0, peers_.size() - 1);
    Bytes msg = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange(0, 300));
    // The option codec: what decodes re-encodes to the same bytes.
    if (msg.size() >= llq::kOptionLength) {
      const std::span<const std::uint8_t> data(msg.data(), llq::kOptionLength);
      if (auto o = llq::decode_option(data)) {
        if (llq::encode_option(*o) != Bytes(data.begin(), data.end()))
          violated("option round trip");
      }
    }
    Bytes out;
    send(msg, peer, out);
  }

  void refresh(FuzzedDataProvider& in) {
    if (models_.empty()) return;
    auto it = models_.begin();
    std::advance(it, in.ConsumeIntegralInRange<std::size_t>(0, models_.size() - 1));
    const std::uint32_t lease = in.ConsumeBool() ? 0 : in.ConsumeIntegral<std::uint32_t>();
    Bytes out;
    send(message(
             3, it->second.q,
             llq::make_option(llq::Opcode::LLQ_REFRESH, llq::ErrorCode::NO_ERROR, it->first, lease),
             1440),
         it->second.peer, out);
  }

  void commit(FuzzedDataProvider& in) {
    zone::Changeset cs;
    cs.soa_from = zone_->soa_record();
    cs.soa_to = soa(zone::soa_serial(cs.soa_from.rdata).value() + 1);
    for (int i = in.ConsumeIntegralInRange(0, 2); i > 0; --i) {
      const auto& n = kNames[in.ConsumeIntegralInRange<std::size_t>(1, 3)];
      const zone::Node* node = zone_->find(n);
      if (node == nullptr || node->empty()) continue;
      const auto& set =
          node->rrsets()[in.ConsumeIntegralInRange<std::size_t>(0, node->rrsets().size() - 1)];
      for (const auto& rd : set.rdatas) {
        if (in.ConsumeBool() || set.rdatas.size() == 1)
          cs.removed.push_back(wire::Record{n, set.type, RRClass::IN, set.ttl, rd});
      }
    }
    for (int i = in.ConsumeIntegralInRange(0, 4); i > 0; --i) {
      wire::Record r;
      r.owner = kNames[in.ConsumeIntegralInRange<std::size_t>(1, 3)];
      r.ttl = in.ConsumeBool() ? 300 : 60;
      const auto v = in.ConsumeIntegral<std::uint8_t>();
      switch (in.ConsumeIntegralInRange(0, 2)) {
        case 0:
          r.type = RRType::A;
          r.rdata = {192, 0, 2, v};
          break;
        case 1:
          r.type = RRType::TXT;
          r.rdata.assign(1 + v % 200, 'x');
          r.rdata[0] = static_cast<std::uint8_t>(v % 200);
          break;
        default:
          r.type = RRType::AAAA;
          r.rdata.assign(16, v);
      }
      cs.added.push_back(std::move(r));
    }
    auto after = zone_->apply(cs);
    if (!after) return;
    auto c = std::make_shared<zone::Commit>();
    c->origin = kOrigin;
    c->version = ++version_;
    c->changeset = std::move(cs);
    c->before = zone_;
    c->after = *after;
    zone_ = *after;
    catalogue_ = catalogue_->with(zone_, version_);
    (void)push_.on_commit(*c);
    llq_.on_commit(push_.llq_matches(), now_);
    drain();
  }

  void drain() {
    while (auto t = llq_.poll_transmit()) inbox_.push_back(std::move(*t));
  }

  // The client of the first event in the inbox applies it, and acknowledges it or not.
  void receive_one(bool acknowledge, bool qr) {
    if (inbox_.empty()) return;
    const llq::Transmit t = std::move(inbox_.front());
    inbox_.pop_front();
    const auto m = wire::Message::parse(*t.bytes);
    if (!m) violated("event does not parse");
    const auto o = option_of(*m);
    if (!o || o->opcode != static_cast<std::uint16_t>(llq::Opcode::LLQ_EVENT))
      violated("event without LLQ EVENT option");
    if (m->questions.size() != 1) violated("event without its question");
    const auto it = models_.find(o->id);
    if (it == models_.end()) return;  // set up without the harness seeing it (raw bytes)
    if (t.to.stream == 0 && t.bytes->size() > 1440) violated("event above the client's payload");
    if (t.to.stream != 0 && it->second.peer != peers_.size() - 1)
      violated("event to the wrong peer");
    for (const auto& r : m->answers) {
      if (r.ttl == 0xFFFFFFFF)
        it->second.cache.erase({r.type, r.rdata});
      else
        it->second.cache.emplace(r.type, r.rdata);
    }
    if (!acknowledge) return;
    Bytes ack = message(m->header.id, m->questions[0], *o, 1440, qr);
    Bytes out;
    send(ack, it->second.peer, out);
    if (!out.empty()) violated("an acknowledgement was answered");
  }

  void forget_dropped() {
    for (auto it = models_.begin(); it != models_.end();) {
      if (!llq_.info(it->first))
        it = models_.erase(it);
      else
        ++it;
    }
  }

  push::PushWorker push_;
  std::uint64_t rnd_ = 0;
  llq::LlqServer llq_;
  std::shared_ptr<const zone::Zone> zone_;
  std::shared_ptr<const zone::Catalogue> catalogue_;
  std::uint64_t version_ = 0;
  TimePoint now_ = TimePoint() + std::chrono::hours(1000);
  std::vector<llq::Peer> peers_;
  std::map<std::uint64_t, Model> models_;
  std::deque<llq::Transmit> inbox_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Harness h;
  while (in.remaining_bytes() > 0) h.step(in);
  h.finish();
  return 0;
}
