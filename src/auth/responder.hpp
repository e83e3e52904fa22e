// Authoritative query processing (RFC 1034 §4.3.2) over a catalogue snapshot. Pure:
// bytes in, bytes out; no sockets, no clocks. The server swaps in a new catalogue when a
// zone changes; in-flight queries keep the snapshot they started with.
//
// Threading: respond() may run on any number of threads at once; set_catalogue() from
// any one thread. Each thread keeps the last snapshot it used (and the scratch vectors of
// a query) in thread-local storage, so a steady-state query allocates nothing; a thread
// that stops answering keeps its last snapshot alive until it answers again or exits.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "auth/additional.hpp"
#include "auth/lookup.hpp"
#include "auth/query_context.hpp"
#include "auth/synthetic.hpp"
#include "wire/message.hpp"
#include "zone/catalogue.hpp"

namespace dnspush::auth {

struct ResponderOptions {
  std::uint16_t default_udp_payload = 1232;  // answer size without EDNS is 512 regardless
  std::uint16_t max_udp_payload = 1232;      // cap on what a client's EDNS may ask for
  // Answered where the zone has nothing of its own (DNS Push discovery, synthetic.hpp).
  std::shared_ptr<const SyntheticRecords> synthetic;
  // Answers kept per thread for respond_from_cache (answer_cache.hpp); 0: none.
  std::size_t answer_cache = 1024;
};

class Responder {
 public:
  explicit Responder(ResponderOptions o = {});
  void set_catalogue(std::shared_ptr<const zone::Catalogue> c);
  // Replaces the synthetic records (a configuration reload added or changed zones); like
  // set_catalogue, queries in flight keep what they started with.
  void set_synthetic(std::shared_ptr<const SyntheticRecords> s);
  std::shared_ptr<const zone::Catalogue> catalogue() const;
  const ResponderOptions& options() const { return opts_; }

  // Answers one DNS message. Returns false when nothing must be sent (the input is too
  // short to have a header, or is itself a response); otherwise `out` holds the answer:
  // FORMERR for malformed queries, NOTIMP for unknown opcodes, REFUSED outside our zones.
  bool respond(std::span<const std::uint8_t> query, const QueryContext& ctx,
               std::vector<std::uint8_t>& out) const;
  // The same for a message the caller has already parsed, e.g. a server that routes
  // NOTIFY and UPDATE to their own handlers by opcode first and hands the rest here.
  // Returns false for a response (QR=1).
  bool respond(const wire::Message& query, const QueryContext& ctx,
               std::vector<std::uint8_t>& out) const;

  // The answer this thread gave to the same query bytes (after the ID) over the same
  // transport from the snapshot still current, with this query's ID (answer_cache.hpp).
  // False when there is none: answer with respond(), then remember() the answer.
  bool respond_from_cache(std::span<const std::uint8_t> query, const QueryContext& ctx,
                          std::vector<std::uint8_t>& out) const;
  // Keeps `answer`, which respond() just gave `query` on this thread, for
  // respond_from_cache. Only for what respond() answered; a caller that adds to the
  // answer (a TSIG record) must not remember it.
  void remember(std::span<const std::uint8_t> query, const QueryContext& ctx,
                std::span<const std::uint8_t> answer) const;

 private:
  bool answer_synthetic(const wire::Name& qname, wire::RRType qtype, LookupResult& r) const;
  void add_synthetic_additional(const LookupResult& r, std::vector<AdditionalRRset>& add) const;

  // The snapshot a query uses: the calling thread's cached copy, reloaded from catalogue_
  // (and synthetic_) only when version_ moved, so that the common query reads one counter
  // and touches no cache line a writer writes (libstdc++'s atomic<shared_ptr> load takes a
  // lock).
  const std::shared_ptr<const zone::Catalogue>& current() const;
  // The synthetic records of that snapshot (current() first), or null.
  const SyntheticRecords* current_synthetic() const;

  ResponderOptions opts_;
  std::atomic<std::shared_ptr<const zone::Catalogue>> catalogue_;
  std::atomic<std::shared_ptr<const SyntheticRecords>> synthetic_;
  std::atomic<std::uint64_t> version_{0};  // bumped after each store into catalogue_
  const std::uint64_t id_;                 // tells responders apart in the thread caches
};

}  // namespace dnspush::auth
