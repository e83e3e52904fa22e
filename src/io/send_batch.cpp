#include "io/send_batch.hpp"

#include <liburing.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

namespace dnspush::io::detail {

struct SendBatch::Ring {
  io_uring ring{};
  ~Ring() { io_uring_queue_exit(&ring); }
};

namespace {

// flush() waits for every send's completion, so a send must never wait for room: with
// MSG_DONTWAIT the kernel (5.12 and later) completes it at once with -EAGAIN; an older
// one may instead wait for the socket to become writable, which would stall the worker.
// One send to a full socket at start tells which. Also false where IORING_OP_SEND is
// unknown (before 5.6).
bool sends_never_wait(io_uring& ring) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return false;
  std::uint8_t junk[4096] = {};
  for (int i = 0; i < 100000 && ::send(sv[0], junk, sizeof junk, MSG_DONTWAIT) > 0; ++i) {
  }
  bool ok = false;
  if (io_uring_sqe* sqe = io_uring_get_sqe(&ring)) {
    io_uring_prep_send(sqe, sv[0], junk, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (io_uring_submit(&ring) == 1) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_peek_cqe(&ring, &cqe) == 0) {
        ok = cqe->res == -EAGAIN;
        io_uring_cqe_seen(&ring, cqe);
      }
    }
  }
  ::close(sv[0]);
  ::close(sv[1]);
  return ok;
}

}  // namespace

SendBatch::SendBatch(unsigned entries, Wake wake) : wake_(std::move(wake)) {
  if (entries == 0) return;
  io_uring ring{};
  int rc = io_uring_queue_init(entries, &ring, 0);
  if (rc == 0 && !sends_never_wait(ring)) {
    io_uring_queue_exit(&ring);  // cancels the probe's send if it still waits
    rc = -EOPNOTSUPP;
  }
  if (rc < 0) {
    // Not an error: the kernel or its sandbox (a seccomp filter, kernel.io_uring_disabled)
    // does not offer io_uring; every send is a plain send(2). Said once per process.
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) {
      spdlog::info("io_uring unavailable ({}): a fan-out's sends are made one by one",
                   std::strerror(-rc));
    }
    return;
  }
  ring_ = std::make_unique<Ring>();
  ring_->ring = ring;
  capacity_ = ring.sq.ring_entries;
  entries_.reserve(capacity_);
  results_.reserve(capacity_);
}

SendBatch::~SendBatch() = default;

void SendBatch::begin() {
  ++depth_;
}

void SendBatch::end() {
  if (depth_ == 0) return;
  if (--depth_ == 0) flush();
}

std::size_t SendBatch::prepare() {
  if (entries_.size() >= capacity_) flush();
  return arena_.size();
}

std::uint64_t SendBatch::add(int fd, std::size_t from, Owner& owner, std::uint64_t tag) {
  entries_.push_back(Entry{fd, from, arena_.size() - from, &owner, tag});
  return generation_;
}

void SendBatch::flush() {
  if (flushing_ || entries_.empty()) return;
  flushing_ = true;
  io_uring& ring = ring_->ring;
  const auto n = static_cast<unsigned>(entries_.size());
  for (unsigned i = 0; i < n; ++i) {
    // Never null: at most capacity_ entries, and every completion is reaped below.
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    const Entry& e = entries_[i];
    io_uring_prep_send(sqe, e.fd, arena_.data() + e.from, e.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, i);
  }
  int rc;
  do {
    rc = broken_for_test_ ? -EBADF : io_uring_submit_and_wait(&ring, n);
  } while (rc == -EINTR);
  // Every submitted send was issued without waiting (MSG_DONTWAIT): each completes now.
  const unsigned submitted = rc > 0 ? std::min(static_cast<unsigned>(rc), n) : 0;
  results_.assign(n, INT_MIN);
  unsigned seen = 0;
  while (seen < submitted) {
    io_uring_cqe* cqe = nullptr;
    const int w = io_uring_wait_cqe(&ring, &cqe);
    if (w == -EINTR) continue;
    if (w < 0) break;  // never spin on a failed ring
    const auto i = io_uring_cqe_get_data64(cqe);
    if (i < n) results_[i] = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    ++seen;
  }
  if (submitted < n || seen < submitted) {
    // The ring failed (never seen). Entries it never took are sent here, in order; those
    // it took without a result fail (sending them again could repeat bytes). The ring
    // goes: a later flush must not meet this one's stray completions or queued entries.
    spdlog::error(
        "io_uring: {} of {} sends not submitted, {} without a result; sends are "
        "made one by one from now on",
        n - submitted, n, submitted - seen);
    for (unsigned i = submitted; i < n; ++i) {
      const Entry& e = entries_[i];
      const ssize_t k = ::send(e.fd, arena_.data() + e.from, e.len, MSG_DONTWAIT | MSG_NOSIGNAL);
      results_[i] = k >= 0 ? static_cast<int>(k) : -errno;
    }
    ring_.reset();
  }
  ++generation_;
  // In entry order, so that each owner's unsent bytes are back before anyone is woken.
  std::vector<std::uint64_t> wake;  // rare (a full socket, an error): may allocate
  for (unsigned i = 0; i < n; ++i) {
    const Entry& e = entries_[i];
    const int res = results_[i];
    if (res >= 0 && static_cast<std::size_t>(res) == e.len) {
      ++sent_;
      continue;
    }
    ++incomplete_;
    wake.push_back(e.tag);
    if (res >= 0) {
      const auto k = static_cast<std::size_t>(res);
      e.owner->batch_incomplete(std::span(arena_.data() + e.from + k, e.len - k), {});
    } else if (res == -EAGAIN || res == -EINTR) {
      e.owner->batch_incomplete(std::span(arena_.data() + e.from, e.len), {});
    } else {
      // INT_MIN: no result (the ring failed): the stream's order is lost, so it fails.
      const int err = res == INT_MIN ? EIO : -res;
      e.owner->batch_incomplete({}, std::error_code(err, std::system_category()));
    }
  }
  entries_.clear();
  arena_.clear();
  if (arena_.capacity() > kKeepArena) std::vector<std::uint8_t>().swap(arena_);
  flushing_ = false;
  for (const auto tag : wake) wake_(tag);
}

}  // namespace dnspush::io::detail
