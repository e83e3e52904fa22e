// A first-in first-out queue on one ring buffer. libstdc++'s std::deque allocates a map
// and a 512-byte node even when empty; a session holds two queues and there are tens of
// thousands of sessions per worker. A Fifo starts with no memory, and when it empties
// after having grown past kKeep slots it gives its buffer back (a burst of PUSH messages
// does not pin memory), while a small buffer is kept to avoid an allocation per message.
//
// `Spare` (optional): a type whose static slots() gives this thread's spare buffer. clear() then
// hands its buffer (up to kMaxSpare slots) to the spare instead of freeing it, and a Fifo that must
// grow takes the spare when it is larger: queues that empty after each message or burst
// (a session's events, its answers) cost no allocation per message in steady state, and
// an idle one no more memory than without.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace dnspush::dso {

struct NoSpare {};

template <class T, class Spare = NoSpare>
class Fifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }

  void push_back(T v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) % buf_.size()] = std::move(v);
    ++size_;
  }
  T pop_front() {
    T v = std::move(buf_[head_]);
    buf_[head_] = T{};
    head_ = (head_ + 1) % buf_.size();
    if (--size_ == 0 && buf_.size() > kKeep) clear();
    return v;
  }
  void clear() {
    if constexpr (kSpared) {
      // The larger buffer becomes the spare (a burst's size is likely to come again).
      std::vector<T>& spare = Spare::slots();
      if (buf_.size() > spare.size() && buf_.size() <= kMaxSpare) {
        for (T& slot : buf_) slot = T{};
        spare.swap(buf_);  // the smaller one is freed below
      }
    }
    std::vector<T>().swap(buf_);  // (buf_ = {} would keep the capacity)
    head_ = size_ = 0;
  }

 private:
  static constexpr std::size_t kKeep = 8;
  static constexpr std::size_t kMaxSpare = 64;
  static constexpr bool kSpared = !std::is_same_v<Spare, NoSpare>;
  void grow() {
    std::vector<T> next;
    if constexpr (kSpared) {
      if (Spare::slots().size() > buf_.size())
        next.swap(Spare::slots());  // all its slots are empty
    }
    if (next.empty()) next.resize(buf_.empty() ? 4 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) next[i] = std::move(buf_[(head_ + i) % buf_.size()]);
    if constexpr (kSpared) {
      if (Spare::slots().empty() && !buf_.empty()) {
        for (T& slot : buf_) slot = T{};
        Spare::slots().swap(buf_);
      }
    }
    buf_ = std::move(next);
    head_ = 0;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace dnspush::dso
