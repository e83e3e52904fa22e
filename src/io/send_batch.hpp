// The sends of many connections handed to the kernel together (internal to io/).
//
// Why: a fan-out writes one small TLS record to each of thousands of sockets, and on a
// machine where a system call is expensive (virtualised: ~1 us each here) the call itself
// is much of a delivery's cost. io_uring takes up to `entries` sends in one
// io_uring_enter: measured ~10 us per send(2) against ~5-7 us per batched send of the
// same 100 bytes to 9,000 loopback sockets (bench/send_floor, BENCHMARKS.md).
//
// How: between begin() and end(), a Transport that has nothing else unsent appends its
// bytes to the batch instead of sending them, and reports them written. flush() (at end(),
// when the ring is full, or when such a Transport must send or close before the end)
// submits every entry and waits for all of them, so an entry never outlives the slice.
// Sends carry MSG_DONTWAIT, so a full socket answers -EAGAIN at once instead of waiting.
// Each result goes back to the entry's owner: what was not sent (a short send, EAGAIN)
// becomes its unsent output, ahead of anything it queued since; an error fails it. Then
// `wake` is called with the entry's tag (the connection, which must now wait until its
// socket is writable, or close), after every result was applied.
//
// Ordering: one entry per owner per batch (an owner with an entry flushes the batch
// before it sends again), so a connection's bytes leave in the order they were made.
//
// Threading: one per worker, used by that worker's thread only. Bounds: `entries`
// sends per submission; the byte arena is kept up to kKeepArena between batches.
// Failure: where io_uring cannot be set up (old kernel, seccomp, sysctl
// kernel.io_uring_disabled), or where a MSG_DONTWAIT send to a full socket would wait
// instead of failing at once (kernels before 5.12: probed at construction, since flush()
// waits for every completion), available() is false and begin() is a no-op: every send
// is a plain send(2), as without the batch. A ring that fails later (a submission error)
// is dropped: the flush sends what it had not taken with send(2), fails what it took
// without a result, and batching stops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

namespace dnspush::io::detail {

class SendBatch {
 public:
  // What an owner gets back for an entry that was not wholly sent.
  class Owner {
   public:
    virtual ~Owner() = default;
    // `rest`: the bytes not sent, in order (empty when `error` is set).
    virtual void batch_incomplete(std::span<const std::uint8_t> rest, std::error_code error) = 0;
  };

  using Wake = std::function<void(std::uint64_t tag)>;
  // `entries` 0 or io_uring unavailable: never batches.
  SendBatch(unsigned entries, Wake wake);
  ~SendBatch();
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  bool available() const { return ring_ != nullptr; }
  // Sends made from now on may be batched; end() flushes. Nested pairs are one batch.
  void begin();
  void end();
  bool active() const { return depth_ > 0 && ring_ != nullptr; }

  // One send: prepare() makes room for an entry (flushing a full batch) and returns where
  // the caller's bytes start; the caller appends them to arena(); add() queues them for
  // `fd`, owned by `owner` until the batch is flushed. add() returns the generation the
  // owner gives holds() to know whether its entry still waits.
  std::size_t prepare();
  std::vector<std::uint8_t>& arena() { return arena_; }
  std::uint64_t add(int fd, std::size_t from, Owner& owner, std::uint64_t tag);
  // `generation` (from add) still waits to be sent.
  bool holds(std::uint64_t generation) const {
    return generation != 0 && generation == generation_ && !entries_.empty();
  }
  // Sends everything pending and applies the results; re-entrant calls do nothing.
  void flush();
  // After flush: entries whose owner was called (short, EAGAIN or error), and sends made.
  std::uint64_t incomplete() const { return incomplete_; }
  std::uint64_t sent() const { return sent_; }

  static constexpr std::size_t kKeepArena = 256 * 1024;

  // Tests: the next flush finds the ring failed (as a submission error would), and must
  // send its entries one by one and stop batching.
  void fail_ring_for_test() { broken_for_test_ = true; }

 private:
  struct Ring;
  struct Entry {
    int fd;
    std::size_t from;
    std::size_t len;
    Owner* owner;
    std::uint64_t tag;
  };
  Wake wake_;
  std::unique_ptr<Ring> ring_;
  unsigned capacity_ = 0;
  unsigned depth_ = 0;
  bool flushing_ = false;
  std::uint64_t generation_ = 1;
  std::vector<Entry> entries_;
  std::vector<std::uint8_t> arena_;
  std::vector<int> results_;  // flush()'s, by entry
  std::uint64_t incomplete_ = 0;
  std::uint64_t sent_ = 0;
  bool broken_for_test_ = false;
};

}  // namespace dnspush::io::detail
