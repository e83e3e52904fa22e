// Answers per second of the authoritative responder against an in-memory zone of about
// 1,000 names: a positive A query, an NXDOMAIN, and a DNS-SD browse (PTR with SRV, TXT
// and addresses in the additional section). Single thread, no I/O: bytes in, bytes out.
#include <arpa/inet.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "auth/responder.hpp"
#include "wire/message.hpp"
#include "zone/catalogue.hpp"
#include "zone/zone.hpp"

namespace {

using dnspush::wire::Name;
using dnspush::wire::RRType;
using Bytes = std::vector<std::uint8_t>;

Name name(const std::string& text) {
  auto n = Name::from_text(text);
  if (!n) std::abort();  // start-up only: a typo in this file
  return *n;
}

Bytes name_rdata(const std::string& text) {
  const Name n = name(text);  // wire() is a view into n
  const auto w = n.wire();
  return Bytes(w.begin(), w.end());
}

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void add(dnspush::zone::ZoneBuilder& b, const std::string& owner, RRType type, Bytes rdata) {
  dnspush::wire::Record r{name(owner), type, dnspush::wire::RRClass::IN, 300, std::move(rdata)};
  if (!b.add(r)) std::abort();
}

// example. with 600 hosts (A + AAAA), 200 CNAMEs, a DNS-SD service with 20 instances
// (PTR, SRV, TXT) and their hosts, and ~180 TXT names: about 1,000 names in all.
std::shared_ptr<const dnspush::zone::Catalogue> make_catalogue() {
  dnspush::zone::ZoneBuilder b(name("example."));
  Bytes soa = name_rdata("ns1.example.");
  const Bytes rname = name_rdata("hostmaster.example.");
  soa.insert(soa.end(), rname.begin(), rname.end());
  for (std::uint32_t v : {1u, 7200u, 3600u, 1209600u, 300u}) {
    put16(soa, static_cast<std::uint16_t>(v >> 16));
    put16(soa, static_cast<std::uint16_t>(v));
  }
  add(b, "example.", RRType::SOA, soa);
  add(b, "example.", RRType::NS, name_rdata("ns1.example."));
  add(b, "ns1.example.", RRType::A, {192, 0, 2, 1});
  for (int i = 0; i < 600; ++i) {
    const std::string host = "host" + std::to_string(i) + ".example.";
    add(b, host, RRType::A,
        {10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)});
    Bytes v6(16, 0);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[14] = static_cast<std::uint8_t>(i >> 8);
    v6[15] = static_cast<std::uint8_t>(i);
    add(b, host, RRType::AAAA, v6);
  }
  for (int i = 0; i < 200; ++i) {
    add(b, "alias" + std::to_string(i) + ".example.", RRType::CNAME,
        name_rdata("host" + std::to_string(i) + ".example."));
  }
  for (int i = 0; i < 20; ++i) {
    const std::string inst = "Printer-" + std::to_string(i) + "._ipp._tcp.example.";
    const std::string host = "printer" + std::to_string(i) + ".example.";
    add(b, "_ipp._tcp.example.", RRType::PTR, name_rdata(inst));
    Bytes srv;
    put16(srv, 0);
    put16(srv, 0);
    put16(srv, 631);
    const Bytes target = name_rdata(host);
    srv.insert(srv.end(), target.begin(), target.end());
    add(b, inst, RRType::SRV, srv);
    const std::string txt = "txtvers=1";
    Bytes t{static_cast<std::uint8_t>(txt.size())};
    t.insert(t.end(), txt.begin(), txt.end());
    add(b, inst, RRType::TXT, t);
    add(b, host, RRType::A, {192, 0, 2, static_cast<std::uint8_t>(100 + i)});
  }
  for (int i = 0; i < 160; ++i) {
    const std::string txt = "v=spf1 -all";
    Bytes t{static_cast<std::uint8_t>(txt.size())};
    t.insert(t.end(), txt.begin(), txt.end());
    add(b, "t" + std::to_string(i) + ".svc.example.", RRType::TXT, t);
  }
  auto z = std::move(b).finish();
  if (!z) std::abort();
  return std::make_shared<const dnspush::zone::Catalogue>()->with(*z);
}

Bytes query(const std::string& qname, RRType qtype) {
  dnspush::wire::Message m;
  m.header.id = 0x4242;
  m.header.rd = true;
  m.questions.push_back(dnspush::wire::Question{name(qname), qtype, dnspush::wire::RRClass::IN});
  dnspush::wire::Edns e;
  e.udp_payload = 1232;
  m.edns = e;  // dnsperf -e style
  return m.to_wire();
}

void run(benchmark::State& state, const Bytes& q) {
  dnspush::auth::Responder responder;
  responder.set_catalogue(make_catalogue());
  const dnspush::auth::QueryContext ctx;
  Bytes out;
  out.reserve(1232);
  for (auto _ : state) {
    const bool ok = responder.respond(q, ctx, out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes_out"] = static_cast<double>(out.size());
}

void BM_PositiveA(benchmark::State& state) {
  run(state, query("host300.example.", RRType::A));
}
void BM_NxDomain(benchmark::State& state) {
  run(state, query("nothere.example.", RRType::A));
}
void BM_DnsSdBrowse(benchmark::State& state) {
  run(state, query("_ipp._tcp.example.", RRType::PTR));
}

BENCHMARK(BM_PositiveA);
BENCHMARK(BM_NxDomain);
BENCHMARK(BM_DnsSdBrowse);

}  // namespace

BENCHMARK_MAIN();
