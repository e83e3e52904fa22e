// libFuzzer target: the LLQ client core (client::LlqClient with its RecordSet) driven by a
// byte program against a scripted server: answers to whatever request is outstanding
// (challenge, ACK, refresh answer) with fuzzed ERROR-CODEs, RCODEs, leases, LLQ-IDs, TC and
// answer records; events (right or wrong LLQ-ID and question, adds, TTL 0xFFFFFFFF removes,
// odd TTLs) and resends of the last one; raw datagrams; time passing; stop; a full answer
// after a truncated ACK. Checks after every step:
//   - the record events are a consistent stream: a removal names a record the consumer has,
//     an add of a record it has only changes its TTL, and replaying the events gives exactly
//     the set's current records;
//   - the set never grows past its bound;
//   - every datagram the client sends is a DNS message of at most 512 bytes with our one
//     question and exactly one LLQ option of version 1 (QR set only on event acks);
//   - no deadline that passed is left after on_timeout; once finished, nothing more is
//     sent and no deadline remains.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "client/llq_client.hpp"
#include "wire/rdata.hpp"

namespace {

using namespace dnspush;
using client::RecordEvent;
using llq::ErrorCode;
using llq::Opcode;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "fuzz_llq_client: %s\n", why.c_str());
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
  std::uint16_t u16() { return static_cast<std::uint16_t>((byte() << 8) | byte()); }
};

const char* const kOwners[] = {"w.example.test.", "W.EXAMPLE.test.", "x.example.test."};
const char* const kAddrs[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"};
constexpr std::size_t kBound = 4;

wire::Name name(const char* s) {
  return *wire::Name::from_text(s);
}

std::string key(const wire::Record& r) {
  const auto c = wire::canonical_rdata(r.type, r.rdata);
  return r.owner.to_lower().to_text() + "/" + std::to_string(static_cast<int>(r.type)) + "/" +
         std::string(c.begin(), c.end());
}

wire::Record record(Input& in) {
  const std::uint8_t b = in.byte();
  wire::Record r;
  r.owner = name(kOwners[b % 3]);
  r.type = (b & 0x80) ? wire::RRType::AAAA : wire::RRType::A;
  if (r.type == wire::RRType::A) {
    r.rdata = *wire::rdata_from_text(r.type, kAddrs[(b >> 2) % 5]);
  } else {
    r.rdata = *wire::rdata_from_text(r.type, "2001:db8::1");
  }
  const std::uint8_t t = in.byte();
  r.ttl = t < 200 ? t % 4 * 100 : t < 240 ? 0xFFFFFFFF : 0x80000000u + t;
  return r;
}

std::vector<std::uint8_t> message(std::uint16_t id, const wire::Question& q, bool with_q,
                                  const std::vector<wire::Record>& answers,
                                  std::optional<llq::Option> o, wire::Rcode rcode, bool tc) {
  wire::Header h;
  h.id = id;
  h.qr = true;
  wire::MessageBuilder b(h, 65535, 64);
  if (with_q) b.add_question(q);
  for (const auto& r : answers) b.add_record(wire::Section::kAnswer, r);
  b.set_rcode(rcode);
  if (tc) b.set_tc();
  wire::Edns e;
  if (o) e.options.push_back(llq::to_edns(*o));
  if (o || rcode != wire::Rcode::NOERROR) b.add_edns(e);
  return b.finish();
}

struct Harness {
  client::Question q{name("w.example.test."), wire::RRType::A, wire::RRClass::IN};
  client::RecordSet set{q, kBound};
  std::uint16_t next_id = 1;
  client::LlqClient c{q, &set, client::LlqClientConfig{}, [this] { return next_id++; },
                      [] { return 0.5; }};
  TimePoint now = TimePoint() + std::chrono::hours(1);
  std::map<std::string, std::uint32_t> model;
  std::optional<wire::Message> last_request;  // the client's last request (not an ack)
  std::uint64_t server_id = 0x0123456789ABCDEFULL;
  std::vector<std::uint8_t> last_event;
  bool finished_seen = false;

  void drain() {
    while (auto e = c.poll_event()) {
      const auto* r = std::get_if<RecordEvent>(&*e);
      if (r == nullptr) continue;
      const std::string k = key(r->record);
      auto it = model.find(k);
      if (r->kind == RecordEvent::Kind::kRemove) {
        if (it == model.end()) fail("removal of a record the consumer does not have");
        model.erase(it);
      } else {
        if (it != model.end() && it->second == r->record.ttl) fail("add repeats a known record");
        if (r->record.ttl > 0x7FFFFFFF) fail("add with a TTL above 2^31-1");
        model[k] = r->record.ttl;
      }
    }
    if (set.size() > kBound) fail("record set past its bound");
    std::map<std::string, int> have;
    for (const auto& r : set.records(now)) ++have[key(r)];
    if (have.size() != set.size()) fail("duplicate records in the set");
    if (have.size() != model.size()) fail("events do not replay to the set");
    for (const auto& [k, n] : have)
      if (model.count(k) == 0) fail("events do not replay to the set");
    while (auto b = c.poll_transmit()) {
      if (finished_seen) fail("sent after finishing");
      if (b->size() > 512) fail("datagram over 512 bytes");
      auto m = wire::Message::parse(*b);
      if (!m) fail("the client sent something that does not parse");
      if (m->questions.size() != 1 || !(m->questions[0].name == q.name) ||
          m->questions[0].type != q.type)
        fail("not our one question");
      if (!m->edns) fail("no OPT");
      auto opts = llq::llq_options(*m->edns);
      if (opts.size() != 1 || !opts[0] || opts[0]->version != llq::kVersion)
        fail("not exactly one LLQ option of version 1");
      const bool ack = opts[0]->opcode == static_cast<std::uint16_t>(Opcode::LLQ_EVENT);
      if (m->header.qr != ack) fail("QR set on a request or clear on an ack");
      if (!ack && !(opts[0]->opcode == static_cast<std::uint16_t>(Opcode::LLQ_REFRESH) &&
                    opts[0]->lease == 0))
        last_request = *m;
    }
    if (c.finished()) {
      finished_seen = true;
      if (c.next_timeout()) fail("a deadline after finishing");
    }
  }

  void answer(Input& in) {
    if (!last_request) return;
    const auto& req = *last_request;
    const auto opts = llq::llq_options(*req.edns);
    llq::Option o = *opts[0];
    const std::uint8_t how = in.byte();
    // Mostly the right answer, sometimes an error code, an RCODE or a wrong ID.
    std::uint16_t id = req.header.id;
    if (how % 11 == 0) id ^= in.byte();
    if (o.opcode == static_cast<std::uint16_t>(Opcode::LLQ_SETUP) && o.id == 0) o.id = server_id;
    if (how % 13 == 1) o.id ^= in.byte();
    o.error = how % 5 == 0 ? in.byte() % 8 : 0;
    o.lease = how % 7 == 0 ? in.byte() : 3600;
    wire::Rcode rcode = wire::Rcode::NOERROR;
    if (how % 17 == 2) rcode = static_cast<wire::Rcode>(in.byte() % 11);
    std::vector<wire::Record> answers;
    for (int i = in.byte() % 6; i > 0; --i) answers.push_back(record(in));
    const bool with_option = how % 19 != 3;
    const bool tc = how % 23 == 4;
    c.receive(message(id, req.questions[0], how % 29 != 5, answers,
                      with_option ? std::optional<llq::Option>(o) : std::nullopt, rcode, tc),
              now);
  }

  void event(Input& in) {
    const std::uint16_t id = in.u16();
    std::uint64_t llq_id = c.llq_id() != 0 ? c.llq_id() : server_id;
    const std::uint8_t how = in.byte();
    if (how % 7 == 0) llq_id ^= 1;
    wire::Question qq{q.name, how % 11 == 0 ? wire::RRType::AAAA : q.type, q.cls};
    std::vector<wire::Record> records;
    for (int i = in.byte() % 6; i > 0; --i) records.push_back(record(in));
    last_event = message(id, qq, true, records,
                         llq::make_option(Opcode::LLQ_EVENT, ErrorCode::NO_ERROR, llq_id, 100),
                         wire::Rcode::NOERROR, false);
    c.receive(last_event, now);
  }

  void timeout(Input& in) {
    const std::uint8_t b = in.byte();
    now += b < 128 ? std::chrono::milliseconds(b * 100) : std::chrono::seconds((b - 127) * 60);
    if (auto t = c.next_timeout(); t && *t <= now) {
      c.on_timeout(now);
      drain();
      if (auto t2 = c.next_timeout(); t2 && *t2 <= now) {
        // A transition may leave a second deadline due (e.g. the lease after a refresh):
        // the io layer loops; at most a few rounds are ever needed.
        for (int i = 0; i < 4 && t2 && *t2 <= now; ++i) {
          c.on_timeout(now);
          drain();
          t2 = c.next_timeout();
        }
        if (t2 && *t2 <= now) fail("a passed deadline survives on_timeout");
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in{data, size};
  Harness h;
  h.c.start(h.now);
  h.drain();
  for (int steps = 0; steps < 200 && !in.empty(); ++steps) {
    switch (in.byte() % 8) {
      case 0: {
        std::vector<std::uint8_t> raw(in.byte());
        for (auto& b : raw) b = in.byte();
        h.c.receive(raw, h.now);
        break;
      }
      case 1:
      case 2:
        h.answer(in);
        break;
      case 3:
        h.event(in);
        break;
      case 4:
        if (!h.last_event.empty()) h.c.receive(h.last_event, h.now);
        break;
      case 5:
        h.timeout(in);
        break;
      case 6: {
        std::vector<wire::Record> full;
        for (int i = in.byte() % 6; i > 0; --i) {
          auto r = record(in);
          if (r.ttl <= 0x7FFFFFFF && h.q.matches(r)) full.push_back(r);
        }
        h.c.full_answer(full);
        break;
      }
      case 7:
        if (in.byte() % 8 == 0) h.c.stop(h.now);
        break;
    }
    h.drain();
  }
  return 0;
}
