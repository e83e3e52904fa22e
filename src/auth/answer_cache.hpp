// Whole answers kept by the thread that built them, keyed by the query's bytes after
// its ID (an authoritative server's packet cache, as PowerDNS has): a query asked again
// from the same zone snapshot is answered by copying the stored answer and its ID, without
// parsing, lookup or encoding. Authoritative data changes only by a new snapshot, so an
// entry is valid exactly while the responder's snapshot version is the one it was built
// from (Responder::respond_from_cache / remember).
//
// Why the key is the bytes: the answer is a function of the query's bytes (flags, the
// question with its exact case, EDNS with its payload size and options), the transport
// with what it tells the answer (its size limit, the idle timeout an edns-tcp-keepalive
// answer states, padding over TLS), and the snapshot. The transport and that timeout are
// the entry's `context`: UDP, TCP and TLS answers are kept apart. Answers that get a
// trailer (TSIG) are never kept; the client's address plays no part in an answer.
//
// Threading: one per thread (thread-local in responder.cpp), nothing shared. Bounds: a
// fixed number of entries (direct-mapped: a new key evicts the one in its slot), keys up to
// kMaxKey bytes and answers up to kMaxAnswer; each entry's buffers keep their capacity, so
// a warm cache allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace dnspush::auth {

class AnswerCache {
 public:
  static constexpr std::size_t kMaxKey = 512;
  static constexpr std::size_t kMaxAnswer = 4096;

  // `entries` rounded up to a power of two; 0: nothing is kept.
  void resize(std::size_t entries);
  std::size_t size() const { return slots_.size(); }

  // The answer kept for `query` from (owner, version) in `context`, with the query's ID,
  // into `out`.
  bool find(std::uint64_t owner, std::uint64_t version, std::uint64_t context,
            std::span<const std::uint8_t> query, std::vector<std::uint8_t>& out) const;
  void store(std::uint64_t owner, std::uint64_t version, std::uint64_t context,
             std::span<const std::uint8_t> query, std::span<const std::uint8_t> answer);

 private:
  struct Slot {
    std::uint64_t owner = 0;  // 0: empty
    std::uint64_t version = 0;
    std::uint64_t context = 0;
    std::uint64_t hash = 0;
    std::vector<std::uint8_t> key;  // the query after its 2-byte ID
    std::vector<std::uint8_t> answer;
  };
  static std::uint64_t hash_of(std::span<const std::uint8_t> key);
  std::vector<Slot> slots_;
};

}  // namespace dnspush::auth
