#include "wire/writer.hpp"

namespace dnspush::wire {
namespace {

constexpr std::uint8_t lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

}  // namespace

bool Writer::room(std::size_t n) {
  if (overflow_ || buf_.size() + n > limit_) {
    overflow_ = true;
    return false;
  }
  return true;
}

void Writer::u8(std::uint8_t v) {
  if (room(1)) buf_.push_back(v);
}

void Writer::u16(std::uint16_t v) {
  if (!room(2)) return;
  buf_.push_back(static_cast<std::uint8_t>(v >> 8));
  buf_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v) {
  if (!room(4)) return;
  for (int s = 24; s >= 0; s -= 8) buf_.push_back(static_cast<std::uint8_t>(v >> s));
}

void Writer::u48(std::uint64_t v) {
  if (!room(6)) return;
  for (int s = 40; s >= 0; s -= 8) buf_.push_back(static_cast<std::uint8_t>(v >> s));
}

void Writer::bytes(std::span<const std::uint8_t> b) {
  if (room(b.size())) buf_.insert(buf_.end(), b.begin(), b.end());
}

void Writer::patch_u16(std::size_t offset, std::uint16_t v) {
  if (offset + 2 > buf_.size()) return;
  buf_[offset] = static_cast<std::uint8_t>(v >> 8);
  buf_[offset + 1] = static_cast<std::uint8_t>(v);
}

void Writer::rollback(Mark m) {
  if (m.size <= buf_.size()) buf_.resize(m.size);
  // Entries leave in the reverse of the order they came, so each is its bucket's head.
  while (ntargets_ > m.targets) {
    const Target& t = target(--ntargets_);
    heads_[t.bucket] = t.next;
  }
  if (ntargets_ < kInlineTargets) {
    spill_.clear();
  } else {
    spill_.resize(ntargets_ - kInlineTargets);
  }
  overflow_ = false;
}

std::size_t Writer::bucket_of(std::uint16_t parent, std::span<const std::uint8_t> label) {
  std::uint32_t h = 2166136261u ^ parent;  // FNV-1a over the parent and the folded label
  for (const std::uint8_t c : label) h = (h ^ lower(c)) * 16777619u;
  return (h ^ (h >> 16)) & (kBuckets - 1);
}

std::uint16_t Writer::find(std::uint16_t parent, std::span<const std::uint8_t> label) const {
  for (std::uint16_t i = heads_[bucket_of(parent, label)]; i != kNone; i = target(i).next) {
    const Target& t = target(i);
    if (t.parent != parent || buf_[t.offset] != label[0]) continue;
    bool same = true;
    for (std::size_t k = 1; k < label.size() && same; ++k) {
      same = lower(buf_[t.offset + k]) == lower(label[k]);
    }
    if (same) return i;
  }
  return kNone;
}

std::uint16_t Writer::add(std::uint16_t parent, std::span<const std::uint8_t> label,
                          std::size_t offset) {
  const auto b = static_cast<std::uint16_t>(bucket_of(parent, label));
  const Target t{static_cast<std::uint16_t>(offset), parent, heads_[b], b};
  if (ntargets_ < kInlineTargets) {
    inline_[ntargets_] = t;
  } else {
    spill_.push_back(t);
  }
  heads_[b] = static_cast<std::uint16_t>(ntargets_);
  return static_cast<std::uint16_t>(ntargets_++);
}

void Writer::name(const Name& n, bool compress) {
  const auto w = n.wire();
  std::uint8_t starts[128];  // a name has at most 127 labels (255 bytes)
  std::size_t k = 0;
  for (std::size_t pos = 0; w[pos] != 0; pos += 1 + w[pos]) {
    starts[k++] = static_cast<std::uint8_t>(pos);
  }
  auto label = [&](std::size_t j) { return w.subspan(starts[j], 1 + w[starts[j]]); };
  // The longest suffix already known, matched from the root label up: labels [matched, k)
  // are the entry `suffix`. Looked up even when not compressing, so that the labels
  // written below chain to the known suffix rather than to a second copy of it.
  std::uint16_t suffix = kNone;
  std::size_t matched = k;
  while (matched > 0) {
    const std::uint16_t t = find(suffix, label(matched - 1));
    if (t == kNone) break;
    suffix = t;
    --matched;
  }
  const std::size_t here = buf_.size();
  if (compress) {
    bytes(w.first(matched == k ? w.size() - 1 : starts[matched]));
    if (matched < k) {
      u16(static_cast<std::uint16_t>(0xC000 | target(suffix).offset));
    } else {
      u8(0);
    }
  } else {
    bytes(w);
  }
  if (overflow_) return;
  // The new labels become targets only now that the name is whole, each chained to the
  // suffix after it (RFC 1035 §4.1.4: pointers reach offsets up to 0x3FFF).
  std::uint16_t parent = suffix;
  for (std::size_t j = matched; j-- > 0;) {
    const std::size_t offset = here + starts[j];
    if (offset > kMaxPointerOffset) break;
    parent = add(parent, label(j), offset);
  }
}

}  // namespace dnspush::wire
