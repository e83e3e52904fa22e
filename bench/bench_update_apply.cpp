// The writer's per-commit CPU cost as a zone grows (1k, 10k, 100k names): what the
// server does for every committed UPDATE that adds one name. Each should stay flat (or
// grow like log n) with the zone size; anything proportional to the zone size caps the
// committed UPDATE rate of a large zone.
//   BM_ZoneApply         Zone::apply of a one-record changeset (a new name), on a fixed zone
//   BM_ZoneApplyChain    the same, each on the previous result (the zone grows, old versions
//                        are freed), as the writer does it
//   BM_UpdateProcess     update::process of a one-add UPDATE (checks + scratch + changeset)
//   BM_CatalogueWith     publishing the new version (Catalogue::with)
//   BM_ZoneRecords       Zone::records() (canonical order): what write-back and AXFR
//                        serialise, and what journal compaction used to; O(n log n)
//   BM_SnapshotEncode    Journal::encode_snapshot(): the O(n) half of journal compaction,
//                        which the server runs off its writer thread
//   BM_SnapshotEncodeCanonical  the same from records() (canonical order), as compaction
//                        did before: for comparison
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "update/update.hpp"
#include "wire/message.hpp"
#include "zone/catalogue.hpp"
#include "zone/changeset.hpp"
#include "zone/journal.hpp"
#include "zone/journal_codec.hpp"
#include "zone/zone.hpp"
#include "zone/zone_file.hpp"

namespace {

using dnspush::wire::Name;
using dnspush::wire::Record;
using dnspush::zone::Changeset;
using dnspush::zone::Zone;

const Name& origin() {
  static const Name n = [] {
    auto r = Name::from_text("example.test.");
    if (!r) std::abort();  // start-up only
    return *r;
  }();
  return n;
}

Record one(const std::string& line) {
  auto rs = dnspush::zone::parse_records(line + "\n", origin());
  if (!rs || rs->size() != 1) std::abort();
  return rs->front();
}

Record soa(std::uint32_t serial) {
  return one("@ 300 SOA ns1 hostmaster " + std::to_string(serial) + " 7200 3600 1209600 60");
}

std::string address(std::uint32_t i) {
  return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
}

// A zone of `names` A records (host0 ... host<names-1>) plus the apex SOA and NS.
std::shared_ptr<const Zone> make_zone(std::size_t names) {
  std::string text = "@ 300 SOA ns1 hostmaster 1 7200 3600 1209600 60\n@ 300 NS ns1\n";
  text.reserve(names * 32);
  for (std::size_t i = 0; i < names; ++i) {
    text += "host" + std::to_string(i) + " 300 A " + address(static_cast<std::uint32_t>(i)) + "\n";
  }
  auto records = dnspush::zone::parse_records(text, origin());
  if (!records) std::abort();
  dnspush::zone::ZoneBuilder b(origin());
  for (const auto& r : *records) {
    if (!b.add(r)) std::abort();
  }
  auto z = std::move(b).finish();
  if (!z) std::abort();
  return *z;
}

// serial -> serial + 1, adding new<i>.
Changeset add_one(std::uint32_t serial, std::uint32_t i) {
  Changeset c;
  c.soa_from = soa(serial);
  c.soa_to = soa(serial + 1);
  c.added.push_back(one("new" + std::to_string(i) + " 300 A " + address(i)));
  return c;
}

void BM_ZoneApply(benchmark::State& state) {
  const auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  const Changeset c = add_one(1, 7);
  for (auto _ : state) {
    auto next = zone->apply(c);
    if (!next) {
      state.SkipWithError(next.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(next);
  }
}

void BM_ZoneApplyChain(benchmark::State& state) {
  auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  std::uint32_t serial = 1;
  // Built ahead: the changesets' own construction is not the writer's cost.
  std::vector<Changeset> steps;
  const std::uint32_t ahead = 20000;
  steps.reserve(ahead);
  for (std::uint32_t i = 0; i < ahead; ++i) steps.push_back(add_one(serial + i, i));
  std::size_t k = 0;
  for (auto _ : state) {
    auto next = zone->apply(steps[k]);
    ++k;
    if (!next) {
      state.SkipWithError(next.error().message.c_str());
      return;
    }
    zone = std::move(*next);
    ++serial;
    if (k == steps.size()) {  // rebuild from the serial reached
      state.PauseTiming();
      for (std::uint32_t i = 0; i < ahead; ++i) steps[i] = add_one(serial + i, serial + i);
      k = 0;
      state.ResumeTiming();
    }
  }
}

dnspush::wire::Message update_message(std::uint32_t i) {
  dnspush::wire::Message m;
  m.header.id = 1;
  m.header.opcode = dnspush::wire::Opcode::UPDATE;
  dnspush::wire::Question q;
  q.name = origin();
  q.type = dnspush::wire::RRType::SOA;
  q.cls = dnspush::wire::RRClass::IN;
  m.questions.push_back(q);
  m.authorities.push_back(one("new" + std::to_string(i) + " 300 A " + address(i)));
  return m;
}

void BM_UpdateProcess(benchmark::State& state) {
  const auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  const auto msg = update_message(7);
  for (auto _ : state) {
    auto out = dnspush::update::process(msg, *zone);
    if (!out.ok() || !out.changeset) {
      state.SkipWithError("process failed");
      return;
    }
    benchmark::DoNotOptimize(out);
  }
}

void BM_CatalogueWith(benchmark::State& state) {
  const auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  auto cat = std::make_shared<const dnspush::zone::Catalogue>()->with(zone);
  for (auto _ : state) {
    auto next = cat->with(zone);
    benchmark::DoNotOptimize(next);
  }
}

void BM_ZoneRecords(benchmark::State& state) {
  const auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto rs = zone->records();
    benchmark::DoNotOptimize(rs);
  }
}

void BM_SnapshotEncode(benchmark::State& state) {
  const auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto snap = dnspush::zone::Journal::encode_snapshot(*zone);
    benchmark::DoNotOptimize(snap);
  }
}

void BM_SnapshotEncodeCanonical(benchmark::State& state) {
  const auto zone = make_zone(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto bytes = dnspush::zone::journal_codec::encode_snapshot(zone->records());
    benchmark::DoNotOptimize(bytes);
  }
}

BENCHMARK(BM_ZoneApply)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ZoneApplyChain)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_UpdateProcess)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CatalogueWith)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ZoneRecords)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotEncode)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SnapshotEncodeCanonical)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
