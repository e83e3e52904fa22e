// Small types shared by the push core: session identity, per-session encoding options and
// the shared encoded bytes a delivery carries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace dnspush::push {

// A DSO session as the io layer names it. Opaque here: the push core never sees a socket.
enum class SessionId : std::uint64_t {};

// An encoded PUSH message (DSO header + TLVs, without the TCP length prefix). Immutable and
// shared: every session that needs the same bytes holds the same buffer (DESIGN.md "encode
// once, encrypt per session").
using SharedBytes = std::shared_ptr<const std::vector<std::uint8_t>>;

// How deletions are written in PUSH messages (RFC 8765 §6.3.1).
enum class DeletePolicy : std::uint8_t {
  // The RFC's SHOULD ("the most efficient manner possible"): a whole RRset that goes is one
  // collective delete (TTL 0xFFFFFFFE), a whole name one CLASS ANY delete.
  kCompact,
  // Only single-record deletes (TTL 0xFFFFFFFF with full RDATA). Apple's POSIX client of
  // release 2600 ignores collective deletes (spec/README.md); the RFC allows both forms.
  kPerRecord,
};

// Who reads a session's changes. The index is shared by DNS Push sessions and LLQs
// (RFC 8764; issue 9: one index answers "who cares about this change" for both). An LLQ is
// a session of its own with one subscription; on_commit lists its matches for the LLQ core
// (PushWorker::llq_matches) instead of encoding PUSH messages for it.
enum class Consumer : std::uint8_t { kPush, kLlq };

// LLQ sessions take SessionIds with this bit set; io connection ids never have it.
inline constexpr std::uint64_t kLlqSessionBit = std::uint64_t{1} << 63;

struct SessionOptions {
  // The client pads its messages, so ours are padded too: an Encryption Padding TLV
  // (RFC 8490 §7.3) to RFC 8467's block policy (the message a multiple of 468 bytes).
  bool pad = false;
  DeletePolicy deletes = DeletePolicy::kCompact;
  // Largest PUSH message for this session; 0 takes the worker's PushConfig value. Either is
  // clamped to [kMinPushMessage, 16,382]. Apple's client aborts above 8,940 (spec/README.md).
  std::uint16_t max_message = 0;
  Consumer consumer = Consumer::kPush;
};

// Below this a message could not hold one ordinary record with padding (468-byte blocks).
inline constexpr std::size_t kMinPushMessage = 1024;

// One PUSH message for one session. A session may get several per commit (a change that
// needs splitting); they are delivered in order.
struct Delivery {
  SessionId session{};
  SharedBytes message;
};

}  // namespace dnspush::push
