// The TLS 1.3 record layer (src/io/tls13_records.hpp) fed arbitrary record streams: raw
// bytes (headers and lengths of any value) mixed with records a peer layer sealed
// properly around arbitrary inner content (any content type, KeyUpdates, alerts,
// padding), split at arbitrary points. What the layer sends back (its KeyUpdate, alerts)
// is opened by the peer, so both key schedules must stay in step. Invariants: open()
// never consumes more than it was given, never yields more plaintext than it consumed,
// and a failed layer produces nothing more.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "io/tls13_records.hpp"

using dnspush::io::detail::Tls13RecordLayer;

namespace {

constexpr std::uint16_t kSuites[] = {0x1301, 0x1302, 0x1303};
constexpr std::size_t kHashLen[] = {32, 48, 32};

void check(bool ok) {
  if (!ok) std::abort();
}

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  bool empty() const { return n == 0; }
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::vector<std::uint8_t> bytes(std::size_t k) {
    k = k < n ? k : n;
    std::vector<std::uint8_t> v(p, p + k);
    p += k;
    n -= k;
    return v;
  }
};

// Opens what `layer` can of `pending`, keeping the partial record.
void open_some(Tls13RecordLayer& layer, std::vector<std::uint8_t>& pending,
               std::vector<std::uint8_t>& out) {
  const bool failed_before = layer.state() == Tls13RecordLayer::State::kFailed;
  const std::size_t out_before = out.size();
  const auto r = layer.open(pending, out);
  check(r.consumed <= pending.size());
  check(r.plaintext <= r.consumed);
  if (failed_before) check(r.plaintext == 0 && out.size() == out_before);
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(r.consumed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  const std::size_t s = in.byte() % 3;
  std::vector<std::uint8_t> client(kHashLen[s]), server(kHashLen[s]);
  for (std::size_t i = 0; i < client.size(); ++i) {
    client[i] = static_cast<std::uint8_t>(i * 3 + 1);
    server[i] = static_cast<std::uint8_t>(i * 5 + 2);
  }
  auto ours = Tls13RecordLayer::create(kSuites[s], client, server, 0, 0);
  auto peer = Tls13RecordLayer::create(kSuites[s], server, client, 0, 0);
  check(ours != nullptr && peer != nullptr);
  std::vector<std::uint8_t> to_ours, to_peer, scratch;
  for (int ops = 0; ops < 64 && !in.empty(); ++ops) {
    const std::uint8_t op = in.byte();
    switch (op % 5) {
      case 0: {  // raw bytes, as a hostile client would send them
        auto b = in.bytes(in.byte());
        to_ours.insert(to_ours.end(), b.begin(), b.end());
        break;
      }
      case 1: {  // a well-sealed record of any content type
        const std::uint8_t type = in.byte();
        auto b = in.bytes(in.byte());
        peer->seal_message(type, b, to_ours);
        break;
      }
      case 2: {  // application data, possibly several records' worth
        const std::size_t len = static_cast<std::size_t>(in.byte()) << (op >> 5);
        std::vector<std::uint8_t> b(len, op);
        peer->seal(b, to_ours);
        break;
      }
      case 3: {  // the layer reads what has come, in one piece or two
        const std::size_t cut = in.byte();
        if (cut < to_ours.size()) {
          std::vector<std::uint8_t> first(to_ours.begin(),
                                          to_ours.begin() + static_cast<std::ptrdiff_t>(cut));
          std::vector<std::uint8_t> rest(to_ours.begin() + static_cast<std::ptrdiff_t>(cut),
                                         to_ours.end());
          open_some(*ours, first, to_peer);
          first.insert(first.end(), rest.begin(), rest.end());
          to_ours.swap(first);
        }
        open_some(*ours, to_ours, to_peer);
        break;
      }
      case 4: {  // the layer answers; the peer reads its records (KeyUpdates included)
        auto b = in.bytes(in.byte());
        const bool ok = ours->seal(b, to_peer);
        if (ours->state() == Tls13RecordLayer::State::kFailed) check(!ok);
        open_some(*peer, to_peer, scratch);
        break;
      }
    }
  }
  open_some(*ours, to_ours, to_peer);
  return 0;
}
