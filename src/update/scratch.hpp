// A scratch copy of the parts of a zone an UPDATE touches (RFC 2136 §3.4.2), and the net
// difference it makes as a zone::Changeset. The zone itself is never modified: only the
// names an update RR names are copied, on first touch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::update {

class Scratch {
 public:
  explicit Scratch(const zone::Zone& zone);

  // One update RR (already prescanned) with RFC 2136 §3.4.2.2–§3.4.2.4 semantics.
  void apply(const wire::Record& rr);

  // The difference from the zone, with soa_to's serial the next one (or the UPDATE's own
  // newer serial); nullopt when nothing differs.
  std::optional<zone::Changeset> changeset() const;

 private:
  using Rdata = std::vector<std::uint8_t>;
  struct Set {
    wire::RRType type;
    std::uint32_t ttl = 0;
    std::vector<Rdata> rdatas;
    // canonical_key(rdata) -> position in rdatas: one lookup per update RR.
    std::unordered_map<std::string, std::size_t> index;

    Set(wire::RRType t, std::uint32_t ttl, std::vector<Rdata> rds);
    void push(Rdata rd);
    void replace(std::size_t i, Rdata rd);
    void erase(std::size_t i);  // moves the last RDATA into its place
  };
  using Sets = std::vector<Set>;

  Sets& node(const wire::Name& owner);  // copied from the zone on first touch
  void add(const wire::Record& rr);
  void delete_rrset(const wire::Name& owner, wire::RRType type);
  void delete_all(const wire::Name& owner);
  void delete_rr(const wire::Record& rr);

  const zone::Zone& zone_;
  // Canonical order, so a changeset lists its records deterministically.
  std::map<wire::Name, Sets, wire::NameCanonicalLess> nodes_;
};

}  // namespace dnspush::update
