// The DNS Push worker's costs (src/push/push_worker.hpp), single-threaded as one io worker
// runs it.
//   BM_FanOutShared/N     one commit (a PTR added or removed) to N sessions that all
//                         subscribe the same PTR name, as DNS-SD browsers do: one
//                         encoding, N deliveries. Counters: allocations and bytes
//                         allocated per commit, messages per commit.
//   BM_FanOutDistinct/N   the same N sessions spread over 100 names, one commit touching
//                         all 100: 100 encodings, N deliveries.
//   BM_Subscribe          one accepted SUBSCRIBE with its initial PUSH (shared encoding).
//   BM_SubscribeRefused   one SUBSCRIBE refused by the rate limit: the cost of a flood.
//   BM_MemoryPerSubscription/<shape>  heap in use (glibc mallinfo2: arena chunks with
//                         their overhead plus mmap'ed blocks) per subscription, sessions
//                         included, after building a worker's index:
//                         0 = 18k sessions x 1 subscription to one shared name,
//                         1 = 100 sessions x 100 distinct names (10k names),
//                         2 = 18k sessions x 10 subscriptions over 200 names.
// The machine is shared and noisy (DESIGN.md): compare runs side by side.
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "push/push_worker.hpp"
#include "push/tlv.hpp"
#include "wire/writer.hpp"
#include "zone/catalogue.hpp"
#include "zone/commit.hpp"
#include "zone/zone.hpp"
#include "zone/zone_file.hpp"

// Counting allocations: every operator new in the process goes through here. g++ 12
// cannot see that the replaced operator delete pairs with the replaced operator new (both
// on malloc), and warns at every inlined deallocation in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::uint64_t> g_allocs{0};
std::atomic<std::uint64_t> g_alloc_bytes{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_alloc_bytes.fetch_add(n, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using namespace dnspush;
using push::PushWorker;
using push::SessionId;
using wire::RRClass;
using wire::RRType;

const wire::Name& origin() {
  static const wire::Name n = *wire::Name::from_text("example.test.");
  return n;
}

std::vector<wire::Record> recs(const std::string& text) {
  auto rs = zone::parse_records(text, origin());
  if (!rs) std::abort();  // start-up only
  return *rs;
}

// A zone with 100 service types (_s<i>._tcp PTR, 5 instances each).
std::shared_ptr<const zone::Zone> base_zone() {
  std::string text =
      "@ 300 SOA ns1 hostmaster 1 7200 3600 1209600 60\n@ 300 NS ns1\nns1 300 A 192.0.2.1\n";
  for (int s = 0; s < 100; ++s) {
    for (int i = 0; i < 5; ++i) {
      text += "_s" + std::to_string(s) + "._tcp 120 PTR Instance\\032" + std::to_string(i) + "._s" +
              std::to_string(s) + "._tcp\n";
    }
  }
  zone::ZoneBuilder b(origin());
  for (const auto& r : recs(text))
    if (!b.add(r)) std::abort();
  auto z = std::move(b).finish();
  if (!z) std::abort();
  return *z;
}

std::vector<std::uint8_t> subscribe_data(const std::string& name, RRType t) {
  wire::Writer w;
  push::encode_subscribe(w,
                         push::Subscribe{*wire::Name::from_text(name, &origin()), t, RRClass::IN});
  return w.take();
}

struct Setup {
  std::shared_ptr<const zone::Zone> z0 = base_zone();
  std::shared_ptr<const zone::Catalogue> cat = zone::Catalogue().with(z0, 0);
  // Two commits that undo each other, so the zone does not grow while the benchmark
  // loops: `add` takes z0 to z1, `remove` takes z1 back to z0.
  std::shared_ptr<zone::Commit> add, remove;

  explicit Setup(int touched_services) {
    zone::Changeset cs;
    cs.soa_from = z0->soa_record();
    cs.soa_to = recs("@ 300 SOA ns1 hostmaster 2 7200 3600 1209600 60").front();
    for (int s = 0; s < touched_services; ++s) {
      cs.added.push_back(recs("_s" + std::to_string(s) + "._tcp 120 PTR New\\032one._s" +
                              std::to_string(s) + "._tcp")
                             .front());
    }
    auto z1 = z0->apply(cs);
    if (!z1) std::abort();
    add = std::make_shared<zone::Commit>();
    add->origin = origin();
    add->changeset = cs;
    add->before = z0;
    add->after = *z1;
    zone::Changeset back;
    back.soa_from = cs.soa_to;
    back.soa_to = cs.soa_from;  // serials need not grow here: the worker does not check
    back.removed = cs.added;
    remove = std::make_shared<zone::Commit>();
    remove->origin = origin();
    remove->changeset = back;
    remove->before = *z1;
    remove->after = z0;
  }
};

void subscribe_all(PushWorker& w, const Setup& s, int sessions, int names) {
  const TimePoint now{};
  for (int i = 0; i < sessions; ++i) {
    const auto data = subscribe_data("_s" + std::to_string(i % names) + "._tcp", RRType::PTR);
    const auto r = w.subscribe(SessionId{static_cast<std::uint64_t>(i)}, 1, data, *s.cat, now);
    if (r.rcode != wire::Rcode::NOERROR) std::abort();
  }
}

void fan_out(benchmark::State& state, int names) {
  const int sessions = static_cast<int>(state.range(0));
  Setup s(names);
  push::PushConfig cfg;
  cfg.max_subscriptions = 1'000'000;
  PushWorker w(cfg);
  subscribe_all(w, s, sessions, names);
  std::uint64_t version = 0, allocs = 0, bytes = 0, messages = 0;
  for (auto _ : state) {
    zone::Commit& c = (version % 2 == 0) ? *s.add : *s.remove;
    c.version = ++version;
    const auto a0 = g_allocs.load(), b0 = g_alloc_bytes.load();
    auto ds = w.on_commit(c);
    benchmark::DoNotOptimize(ds.data());
    allocs += g_allocs.load() - a0;
    bytes += g_alloc_bytes.load() - b0;
    messages += ds.size();
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["allocs/commit"] = static_cast<double>(allocs) / n;
  state.counters["alloc_bytes/commit"] = static_cast<double>(bytes) / n;
  state.counters["messages/commit"] = static_cast<double>(messages) / n;
  state.counters["encodings/commit"] = static_cast<double>(w.counters().encodings) / n;
  state.counters["ns/delivery"] = benchmark::Counter(
      static_cast<double>(messages), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_FanOutShared(benchmark::State& state) {
  fan_out(state, 1);
}
BENCHMARK(BM_FanOutShared)->Arg(1000)->Arg(5000)->Arg(18000)->Unit(benchmark::kMicrosecond);

void BM_FanOutDistinct(benchmark::State& state) {
  fan_out(state, 100);
}
BENCHMARK(BM_FanOutDistinct)->Arg(1000)->Arg(5000)->Arg(18000)->Unit(benchmark::kMicrosecond);

void BM_Subscribe(benchmark::State& state) {
  Setup s(1);
  push::PushConfig cfg;
  cfg.max_subscriptions = 100'000'000;
  cfg.subscribe_interval = Duration::zero();
  PushWorker w(cfg);
  const auto data = subscribe_data("_s7._tcp", RRType::PTR);
  std::uint64_t session = 0;
  for (auto _ : state) {
    auto r = w.subscribe(SessionId{++session}, 1, data, *s.cat, TimePoint{});
    benchmark::DoNotOptimize(r.initial_push.data());
  }
  state.counters["initial_shared"] = static_cast<double>(w.counters().initial_pushes_shared);
}
BENCHMARK(BM_Subscribe);

void BM_SubscribeRefused(benchmark::State& state) {
  Setup s(1);
  push::PushConfig cfg;
  cfg.subscribe_interval = std::chrono::hours(1);
  cfg.subscribe_burst = 1;
  PushWorker w(cfg);
  const auto first = subscribe_data("_s1._tcp", RRType::PTR);
  (void)w.subscribe(SessionId{1}, 1, first, *s.cat, TimePoint{});
  const auto data = subscribe_data("_s7._tcp", RRType::PTR);
  for (auto _ : state) {
    auto r = w.subscribe(SessionId{1}, 2, data, *s.cat, TimePoint{});
    if (r.rcode != wire::Rcode::REFUSED) std::abort();
    benchmark::DoNotOptimize(r.retry_delay);
  }
}
BENCHMARK(BM_SubscribeRefused);

// Heap in use: the arenas' allocated chunks plus mmap'ed blocks (glibc serves requests
// above 128 KiB, e.g. a large vector, with mmap, and counts them apart).
std::size_t heap_in_use() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

void BM_MemoryPerSubscription(benchmark::State& state) {
  const int shape = static_cast<int>(state.range(0));
  Setup s(1);
  double per_sub = 0, subs = 0;
  for (auto _ : state) {
    const std::size_t before = heap_in_use();
    {
      push::PushConfig cfg;
      cfg.max_subscriptions = 10'000'000;
      cfg.max_subscriptions_per_session = 1'000'000;
      cfg.subscribe_interval = Duration::zero();
      auto w = std::make_unique<PushWorker>(cfg);
      const int sessions = shape == 1 ? 100 : 18000;
      const int per_session = shape == 0 ? 1 : shape == 1 ? 100 : 10;
      for (int i = 0; i < sessions; ++i) {
        for (int k = 0; k < per_session; ++k) {
          // shape 0: one name; 1: every subscription its own name; 2: 200 names.
          const int n = shape == 0 ? 0 : shape == 1 ? i * per_session + k : (i * 7 + k * 13) % 200;
          const auto data = subscribe_data("host" + std::to_string(n) + "._s1._tcp", RRType::ANY);
          const auto r = w->subscribe(SessionId{static_cast<std::uint64_t>(i)},
                                      static_cast<std::uint16_t>(k + 1), data, *s.cat, TimePoint{});
          if (r.rcode != wire::Rcode::NOERROR) std::abort();
        }
      }
      const std::size_t after = heap_in_use();
      subs = static_cast<double>(w->subscriptions());
      per_sub = static_cast<double>(after - before) / subs;
    }
  }
  state.counters["subscriptions"] = subs;
  state.counters["bytes/subscription"] = per_sub;
}
BENCHMARK(BM_MemoryPerSubscription)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
