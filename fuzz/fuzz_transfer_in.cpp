// libFuzzer target: xfr::TransferIn (IXFR/AXFR in) fed by a hostile primary.
//
// The input is a script. Its first bytes choose our copy (none, or a small zone at serial
// 10), IXFR or AXFR, and the bounds; the rest is a sequence of steps: an answer message
// built from a vocabulary that gets past the syntax checks often (SOAs with serials around
// ours, in-zone and out-of-zone records, CNAMEs, NS, header fields right or wrong), raw
// bytes, time passing, or the end of the stream. Checked after every step: no crash or
// sanitizer report; once done() it stays done with the same outcome; no deadline left at
// or before now after on_timeout(now); bytes and records within the bounds (plus the last
// message). When the transfer succeeds the result must be consistent: an incremental
// result's steps chain from our copy's serial and each `after` is the previous zone with
// the changeset applied; a full result against our copy is one difference that turns our
// copy into the zone it claims; the final serial is the result's serial.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "wire/message.hpp"
#include "xfr/transfer_in.hpp"
#include "zone/zone.hpp"

namespace {

using namespace dnspush;
using namespace std::chrono_literals;
using wire::Record;
using wire::RRType;
using Bytes = std::vector<std::uint8_t>;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "transfer-in invariant broken: %s\n", what);
  std::abort();
}

const wire::Name& origin() {
  static const wire::Name n = *wire::Name::from_text("example.com.");
  return n;
}

Bytes name_wire(const char* text) {
  auto n = wire::Name::from_text(text);
  return Bytes(n->wire().begin(), n->wire().end());
}

Record soa(std::uint32_t serial) {
  Record r;
  r.owner = origin();
  r.type = RRType::SOA;
  r.ttl = 300;
  r.rdata = name_wire("ns1.example.com.");
  const Bytes rname = name_wire("hostmaster.example.com.");
  r.rdata.insert(r.rdata.end(), rname.begin(), rname.end());
  for (std::uint32_t v : {serial, 7200u, 3600u, 1209600u, 60u}) {
    for (int s = 24; s >= 0; s -= 8) r.rdata.push_back(static_cast<std::uint8_t>(v >> s));
  }
  return r;
}

Record record(FuzzedDataProvider& in) {
  static const char* kOwners[] = {"example.com.",     "www.example.com.", "a.example.com.",
                                  "b.a.example.com.", "ns1.example.com.", "example.net.",
                                  "x.example.net.",   "WWW.Example.COM."};
  Record r;
  r.owner = *wire::Name::from_text(kOwners[in.ConsumeIntegralInRange<int>(0, 7)]);
  r.ttl = in.ConsumeIntegralInRange<std::uint32_t>(0, 400);
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0:
      r.type = RRType::A;
      r.rdata = {192, 0, 2, in.ConsumeIntegralInRange<std::uint8_t>(1, 4)};
      break;
    case 1:
      r.type = RRType::NS;
      r.rdata = name_wire("ns1.example.com.");
      break;
    case 2:
      r.type = RRType::CNAME;
      r.rdata = name_wire("www.example.com.");
      break;
    case 3:
      r.type = RRType::TXT;
      r.rdata = {3, 'a', 'b', 'c'};
      break;
    case 4: {
      r = soa(in.ConsumeIntegralInRange<std::uint32_t>(8, 14));
      if (in.ConsumeBool()) r.owner = *wire::Name::from_text("www.example.com.");
      break;
    }
    default:
      r.type = static_cast<RRType>(in.ConsumeIntegral<std::uint16_t>());
      r.rdata = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<int>(0, 6));
      break;
  }
  r.cls = in.ConsumeIntegralInRange<int>(0, 15) == 0 ? wire::RRClass::CH : wire::RRClass::IN;
  return r;
}

std::shared_ptr<const zone::Zone> base_zone() {
  zone::ZoneBuilder b(origin());
  (void)b.add(soa(10));
  Record ns;
  ns.owner = origin();
  ns.type = RRType::NS;
  ns.ttl = 300;
  ns.rdata = name_wire("ns1.example.com.");
  (void)b.add(ns);
  Record a;
  a.owner = *wire::Name::from_text("www.example.com.");
  a.type = RRType::A;
  a.ttl = 300;
  a.rdata = {192, 0, 2, 1};
  (void)b.add(a);
  return *std::move(b).finish();
}

std::set<std::string> lines(const zone::Zone& z) {
  std::set<std::string> s;
  for (const auto& r : z.records()) s.insert(wire::to_text(r));
  return s;
}

void check_result(xfr::TransferInResult& r) {
  if (r.kind == xfr::TransferInKind::kUpToDate) {
    if (!r.steps.empty() || r.zone) fail("up to date with something to commit");
    return;
  }
  if (r.zone) {
    if (r.base) fail("a first copy although we had one");
    if (!(r.zone->serial() == r.serial)) fail("first copy serial");
    return;
  }
  auto at = r.base;
  if (!at && !r.steps.empty()) fail("steps without a base");
  for (const auto& s : r.steps) {
    if (!(s.changeset.serial_from() == at->serial())) fail("steps do not chain");
    auto next = at->apply(s.changeset);
    if (!next) fail("a step does not apply to the previous version");
    if (lines(**next) != lines(*s.after)) fail("a step's zone is not its changeset applied");
    at = s.after;
  }
  if (!r.steps.empty() && !(at->serial() == r.serial)) fail("final serial");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool have_copy = in.ConsumeBool();
  xfr::TransferInOptions o;
  o.type = in.ConsumeBool() ? xfr::TransferType::kIxfr : xfr::TransferType::kAxfr;
  o.limits.max_records = in.ConsumeIntegralInRange<std::size_t>(2, 64);
  o.limits.max_bytes = in.ConsumeIntegralInRange<std::size_t>(64, 8192);
  o.limits.max_time = 60s;
  o.limits.idle_timeout = 10s;
  const TimePoint t0 = TimePoint() + 1000s;
  auto started = xfr::TransferIn::start(origin(), have_copy ? base_zone() : nullptr, 0x4242, o, t0,
                                        1700000000);
  if (!started) fail("start failed without a key");
  xfr::TransferIn t = std::move(*started);
  TimePoint now = t0;
  bool was_done = false;
  bool was_ok = false;
  const std::uint16_t id = 0x4242;
  const RRType qtype = t.type() == xfr::TransferType::kIxfr ? RRType::IXFR : RRType::AXFR;
  std::size_t largest = 0;

  for (int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {  // raw bytes
        const Bytes raw = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<int>(0, 64));
        largest = std::max(largest, raw.size());
        t.receive(raw, now, 1700000000);
        break;
      }
      case 1:
        now += std::chrono::seconds(in.ConsumeIntegralInRange<int>(0, 30));
        if (auto d = t.next_timeout(); d && now >= *d) t.on_timeout(now);
        if (auto d = t.next_timeout(); d && *d <= now) fail("a due deadline left after on_timeout");
        break;
      case 2:
        t.on_closed(now);
        if (!t.done()) fail("not done after the stream ended");
        break;
      default: {  // a message from the vocabulary
        wire::Message m;
        m.header.id = in.ConsumeIntegralInRange<int>(0, 20) == 0 ? id + 1 : id;
        m.header.qr = in.ConsumeIntegralInRange<int>(0, 20) != 0;
        m.header.aa = true;
        m.header.tc = in.ConsumeIntegralInRange<int>(0, 30) == 0;
        if (in.ConsumeBool()) {
          m.questions.push_back({origin(),
                                 in.ConsumeIntegralInRange<int>(0, 10) == 0 ? RRType::A : qtype,
                                 wire::RRClass::IN});
        }
        const int n = in.ConsumeIntegralInRange<int>(0, 8);
        for (int i = 0; i < n; ++i) {
          if (in.ConsumeIntegralInRange<int>(0, 3) == 0) {
            m.answers.push_back(soa(in.ConsumeIntegralInRange<std::uint32_t>(8, 14)));
          } else {
            m.answers.push_back(record(in));
          }
        }
        if (in.ConsumeIntegralInRange<int>(0, 20) == 0) m.set_rcode(wire::Rcode::NOTIMP);
        if (in.ConsumeIntegralInRange<int>(0, 30) == 0) m.authorities.push_back(soa(10));
        const Bytes wire = m.to_wire();
        largest = std::max(largest, wire.size());
        t.receive(wire, now, 1700000000);
        break;
      }
    }
    if (was_done) {
      if (!t.done() || t.ok() != was_ok) fail("the outcome changed after the end");
    }
    if (t.done()) {
      was_done = true;
      was_ok = t.ok();
      if (t.next_timeout()) fail("a deadline after the end");
    }
    if (t.records() > o.limits.max_records + 8) fail("records past the bound");
    if (t.bytes() > o.limits.max_bytes + largest) fail("bytes past the bound");
  }
  if (t.ok()) {
    auto r = t.take_result();
    check_result(r);
  } else if (t.done() && t.error() == xfr::TransferInError::kNone) {
    fail("failed without an error");
  }
  return 0;
}
