// Durable journal appends per second (LMDB, every commit fsync'd): one changeset per
// transaction, and group commit of 16 per transaction (one fsync for 16 UPDATEs). Each
// changeset adds one A record, the size of a typical DNS-SD registration step. Runs in a
// temporary directory under $DNSPUSH_BENCH_DIR (default: the system temp directory);
// put it on the disk the server would use: on tmpfs fsync costs nothing.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "zone/changeset.hpp"
#include "zone/journal.hpp"
#include "zone/zone_file.hpp"

namespace {

using dnspush::Serial;
using dnspush::wire::Name;
using dnspush::zone::Changeset;
using dnspush::zone::Journal;
using dnspush::zone::JournalOptions;

Name origin() {
  auto n = Name::from_text("example.com.");
  if (!n) std::abort();  // start-up only
  return *n;
}

dnspush::wire::Record one(const std::string& line) {
  auto rs = dnspush::zone::parse_records(line + "\n", origin());
  if (!rs || rs->size() != 1) std::abort();
  return rs->front();
}

dnspush::wire::Record soa(std::uint32_t serial) {
  return one("@ 300 SOA ns1 hostmaster " + std::to_string(serial) + " 7200 3600 1209600 60");
}

// serial -> serial + 1, adding host<serial>.
Changeset step(std::uint32_t serial) {
  Changeset c;
  c.soa_from = soa(serial);
  c.soa_to = soa(serial + 1);
  c.added.push_back(
      one("host" + std::to_string(serial) + " 300 A 192.0.2." + std::to_string(serial % 250)));
  return c;
}

class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("DNSPUSH_BENCH_DIR");
    std::string tmpl =
        ((base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
         "dnspush-bench-journal-XXXXXX")
            .string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void run(benchmark::State& state, std::size_t batch, bool no_meta_sync) {
  BenchDir dir;
  JournalOptions o;
  o.no_meta_sync = no_meta_sync;
  o.limits.max_changesets = 0;  // measure appends, not compaction
  o.limits.max_bytes = 0;
  auto j = Journal::open(dir.path() + "/journal", o);
  if (!j) {
    state.SkipWithError(j.error().message.c_str());
    return;
  }
  const Name zone = origin();
  std::uint32_t serial = 1;
  std::vector<Changeset> pending;
  for (auto _ : state) {
    state.PauseTiming();
    pending.clear();
    for (std::size_t i = 0; i < batch; ++i) pending.push_back(step(serial++));
    state.ResumeTiming();
    auto ok = j->append_batch(zone, pending);
    if (!ok) {
      state.SkipWithError(ok.error().message.c_str());
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["changesets/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

void BM_JournalAppendDurable(benchmark::State& s) {
  run(s, 1, false);
}
void BM_JournalAppendBatch16Durable(benchmark::State& s) {
  run(s, 16, false);
}
void BM_JournalAppendNoMetaSync(benchmark::State& s) {
  run(s, 1, true);
}
void BM_JournalAppendBatch16NoMetaSync(benchmark::State& s) {
  run(s, 16, true);
}

// Wall-clock time: the cost is waiting for the disk, not CPU.
BENCHMARK(BM_JournalAppendDurable)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_JournalAppendBatch16Durable)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_JournalAppendNoMetaSync)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_JournalAppendBatch16NoMetaSync)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
