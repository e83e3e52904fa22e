// Who may transfer a zone (and, later, who may UPDATE it): a list of rules, each a
// network (CIDR, IPv4 or IPv6), a TSIG key name, or both; a request is allowed when any
// rule matches it. A rule with both needs both (the key proves who, the network where
// from). An empty list allows nobody. What a denial answers is the server's choice:
// REFUSED (RFC 5936 §2.2.1 note e leaves policy refusals to REFUSED, as BIND and Knot do);
// a request whose TSIG failed never reaches the ACL, it gets NOTAUTH (RFC 8945 §5.2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "wire/name.hpp"

namespace dnspush::xfr {

// An IPv4 or IPv6 address as 16 bytes; IPv4 is kept as itself (not mapped).
class IpAddress {
 public:
  static Result<IpAddress> parse(std::string_view text);
  // 4 bytes (IPv4) or 16 (IPv6), network order.
  static Result<IpAddress> from_bytes(std::span<const std::uint8_t> bytes);
  static IpAddress v4(std::array<std::uint8_t, 4> b);
  static IpAddress v6(const std::array<std::uint8_t, 16>& b);

  bool is_v4() const { return v4_; }
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), v4_ ? 4u : 16u}; }
  // The IPv4 address inside an IPv4-mapped IPv6 one (::ffff:a.b.c.d, RFC 4291 §2.5.5.2),
  // as a dual-stack socket reports IPv4 peers; otherwise the address itself.
  IpAddress unmapped() const;
  std::string to_text() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  bool v4_ = true;
};

// "192.0.2.0/24", "2001:db8::/32"; a bare address is a host (/32 or /128). Bits past the
// prefix must be zero ("192.0.2.1/24" is refused as a likely typo).
class Network {
 public:
  static Result<Network> parse(std::string_view text);
  bool contains(const IpAddress& a) const;  // v4-mapped peers match v4 networks
  const IpAddress& address() const { return addr_; }
  unsigned prefix() const { return prefix_; }
  std::string to_text() const;

 private:
  IpAddress addr_;
  unsigned prefix_ = 0;
};

struct AclRule {
  std::optional<Network> network;  // absent: any address
  std::optional<wire::Name> key;   // absent: signed or not; present: that TSIG key
  // A rule with neither matches every request ("any").
  bool matches(const IpAddress& from, const wire::Name* key_name) const;
};

class Acl {
 public:
  Acl() = default;
  explicit Acl(std::vector<AclRule> rules) : rules_(std::move(rules)) {}

  // Adds a rule from config text: `network` ("" for any address) and `key` ("" for
  // none), e.g. ("10.0.0.0/8", "xfr-key.").
  Result<void> add(std::string_view network, std::string_view key);
  void add(AclRule rule) { rules_.push_back(std::move(rule)); }

  // `key_name` is the TSIG key the request was verified with, or nullptr when unsigned.
  bool allows(const IpAddress& from, const wire::Name* key_name) const;
  bool empty() const { return rules_.empty(); }
  const std::vector<AclRule>& rules() const { return rules_; }

 private:
  std::vector<AclRule> rules_;
};

}  // namespace dnspush::xfr
