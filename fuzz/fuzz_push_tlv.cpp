// libFuzzer target: the DNS Push TLV codecs (src/push/tlv.hpp), decode -> encode -> decode.
// The first byte picks the codec, the rest is its input:
//   0 SUBSCRIBE data, 1 UNSUBSCRIBE data, 2 RECONFIRM data: whatever decodes must encode
//     to exactly the input bytes (these forms are uncompressed, so canonical) and decode
//     to the same value again;
//   3 and up, a whole PUSH message: whatever parses is re-encoded with PushWriter (names
//     compressed our way, split at 16,382) and every message must parse to the same
//     changes (names and RDATA compared case-insensitively: compression may point at a
//     differently-cased copy), each message within the size limit.
// Any mismatch calls abort().
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "push/encoder.hpp"
#include "push/tlv.hpp"
#include "wire/rdata.hpp"
#include "wire/writer.hpp"

namespace {

using namespace dnspush;
using push::Change;

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "push TLV round-trip mismatch: %s\n", what);
  std::abort();
}

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void subscribe(std::span<const std::uint8_t> in) {
  auto s = push::decode_subscribe(in);
  if (!s) return;
  wire::Writer w;
  push::encode_subscribe(w, *s);
  if (!same_bytes(w.data(), in)) mismatch("SUBSCRIBE bytes");
  auto again = push::decode_subscribe(w.data());
  if (!again || !same_bytes(again->name.wire(), s->name.wire()) || !(*again == *s))
    mismatch("SUBSCRIBE value");
}

void unsubscribe(std::span<const std::uint8_t> in) {
  auto u = push::decode_unsubscribe(in);
  if (!u) return;
  if (u->message_id.has_value() == u->legacy.has_value()) mismatch("UNSUBSCRIBE form");
  wire::Writer w;
  if (u->message_id)
    push::encode_unsubscribe(w, *u->message_id);
  else
    push::encode_subscribe(w, *u->legacy);
  if (!same_bytes(w.data(), in)) mismatch("UNSUBSCRIBE bytes");
  auto again = push::decode_unsubscribe(w.data());
  if (!again || again->message_id != u->message_id || again->legacy != u->legacy)
    mismatch("UNSUBSCRIBE value");
}

void reconfirm(std::span<const std::uint8_t> in) {
  auto r = push::decode_reconfirm(in);
  if (!r) return;
  if (r->type == wire::RRType::ANY || r->cls == wire::RRClass::ANY) mismatch("RECONFIRM ANY");
  if (!wire::rdata_valid(r->type, r->rdata)) mismatch("RECONFIRM RDATA");
  wire::Writer w;
  push::encode_reconfirm(w, *r);
  if (!same_bytes(w.data(), in)) mismatch("RECONFIRM bytes");
  auto again = push::decode_reconfirm(w.data());
  if (!again || !same_bytes(again->rdata, r->rdata)) mismatch("RECONFIRM value");
}

bool same_change(const Change& a, const Change& b) {
  if (a.kind != b.kind || !(a.name == b.name) || a.type != b.type || a.cls != b.cls) return false;
  switch (a.kind) {
    case push::ChangeKind::kAdd:
      return a.ttl == b.ttl && wire::rdata_equal(a.type, a.rdata, b.rdata);
    case push::ChangeKind::kDeleteRecord:
      return wire::rdata_equal(a.type, a.rdata, b.rdata);
    default:
      return a.rdata.empty() && b.rdata.empty();
  }
}

void push_message(std::span<const std::uint8_t> in) {
  auto p = push::parse_push_message(in);
  if (!p) return;
  // The receive rules held for everything kept.
  for (const Change& c : p->changes) {
    const bool any = c.type == wire::RRType::ANY || c.cls == wire::RRClass::ANY;
    if ((c.kind == push::ChangeKind::kAdd || c.kind == push::ChangeKind::kDeleteRecord) && any)
      mismatch("ANY in an add or single delete");
    if (c.kind == push::ChangeKind::kAdd && c.ttl > push::kMaxAddTtl) mismatch("add TTL");
  }
  push::PushWriter w(push::kMaxPushMessage, in.size() % 2 == 1);
  std::vector<const Change*> written;
  for (const Change& c : p->changes) {
    // Our encoding may be larger than the peer's (it may compress names we do not): a record
    // that no longer fits in a message alone is refused, and then is not expected back.
    if (w.add(c.name, c.type, c.cls, c.ttl, c.rdata)) written.push_back(&c);
  }
  const auto msgs = w.finish();
  if (written.empty() != msgs.empty()) mismatch("message count");
  std::size_t i = 0;
  for (const auto& m : msgs) {
    if (m->size() > push::kMaxPushMessage) mismatch("message too long");
    auto again = push::parse_push_message(*m);
    if (!again) mismatch("re-encoded message does not parse");
    if (again->ignored != 0) mismatch("ignored records appeared");
    for (const Change& c : again->changes) {
      if (i >= written.size() || !same_change(c, *written[i])) mismatch("change");
      ++i;
    }
  }
  if (i != written.size()) mismatch("change count");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> in(data + 1, size - 1);
  switch (data[0]) {
    case 0:
      subscribe(in);
      break;
    case 1:
      unsubscribe(in);
      break;
    case 2:
      reconfirm(in);
      break;
    default:
      push_message(in);
      break;
  }
  return 0;
}
