// Domain names (RFC 1035 §3.1). Stored in uncompressed wire form, case preserved;
// equality, hashing and ordering are case-insensitive (RFC 4343). Canonical order is
// RFC 4034 §6.1 (used by zone transfers and anything that must be deterministic).
//
// Storage is a small buffer: a name of up to kInline wire bytes (nearly every name in
// practice) lives inside the object, longer ones on the heap. Answering a query copies and
// shortens names (parents, owners of the RRsets in an answer); with the name inline that
// costs no allocation (the query path's "zero allocations per query" target).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace dnspush::wire {

class Name {
 public:
  static constexpr std::size_t kMaxWireLength = 255;  // RFC 1035 §3.1, incl. root byte
  static constexpr std::size_t kMaxLabelLength = 63;

  Name();  // the root name "."
  Name(const Name& o);
  Name(Name&& o) noexcept;
  Name& operator=(const Name& o);
  Name& operator=(Name&& o) noexcept;
  ~Name();

  // Presentation format with RFC 1035 §5.1 escapes (\. \\ \DDD). A name without a final
  // dot is relative and is appended to `origin`; "@" is the origin itself. With no
  // origin a relative name is taken as absolute (as dig does).
  static Result<Name> from_text(std::string_view text, const Name* origin = nullptr);
  // Uncompressed wire form; validates label lengths and the total.
  static Result<Name> from_wire(std::span<const std::uint8_t> wire);

  std::string to_text() const;  // always absolute (final dot), escapes as needed
  std::span<const std::uint8_t> wire() const {
    return {reinterpret_cast<const std::uint8_t*>(data()), size_};
  }
  std::size_t wire_size() const { return size_; }

  bool is_root() const { return size_ == 1; }
  std::size_t label_count() const;              // the root label is not counted
  std::string_view label(std::size_t i) const;  // i = 0 is the leftmost label
  bool is_wildcard() const;                     // leftmost label is "*" (RFC 4592)

  Name parent() const;                    // strips the leftmost label; root stays root
  Name suffix(std::size_t labels) const;  // the rightmost `labels` labels
  Result<Name> prepend(std::string_view label) const;
  Result<Name> concat(const Name& origin) const;     // this (treated as relative) + origin
  bool is_subdomain_of(const Name& ancestor) const;  // true when equal too
  Name to_lower() const;

  // Case-insensitive.
  friend bool operator==(const Name& a, const Name& b);
  std::size_t hash() const;
  // RFC 4034 §6.1: <0, 0, >0.
  int canonical_compare(const Name& other) const;

 private:
  static constexpr std::size_t kInline = 46;  // 56-byte objects
  // `n` bytes of valid, uncompressed wire form (the callers checked it).
  Name(const char* wire, std::size_t n);
  friend class Reader;
  const char* data() const { return heap_ != nullptr ? heap_ : inline_; }
  std::string_view view() const { return {data(), size_}; }
  void assign(const char* wire, std::size_t n);

  char* heap_ = nullptr;  // owned, when size_ > kInline
  std::uint8_t size_ = 1;
  char inline_[kInline + 1] = {};
};

// A name with its hash computed once, for a lookup that needs the hash twice (a zone's
// shard, then that shard's map): a heterogeneous key of NameHash and NameEq.
struct HashedName {
  explicit HashedName(const Name& n) : name(n), hash(n.hash()) {}
  const Name& name;
  std::size_t hash;
};
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(const Name& n) const { return n.hash(); }
  std::size_t operator()(const HashedName& n) const { return n.hash; }
};
struct NameEq {
  using is_transparent = void;
  bool operator()(const Name& a, const Name& b) const { return a == b; }
  bool operator()(const HashedName& a, const Name& b) const { return a.name == b; }
  bool operator()(const Name& a, const HashedName& b) const { return a == b.name; }
};
struct NameCanonicalLess {
  bool operator()(const Name& a, const Name& b) const { return a.canonical_compare(b) < 0; }
};

}  // namespace dnspush::wire

template <>
struct std::hash<dnspush::wire::Name> {
  std::size_t operator()(const dnspush::wire::Name& n) const { return n.hash(); }
};
