#include "xfr/acl.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace dnspush::xfr {

namespace {
constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> b) {
  IpAddress a;
  std::copy(b.begin(), b.end(), a.bytes_.begin());
  a.v4_ = true;
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& b) {
  IpAddress a;
  a.bytes_ = b;
  a.v4_ = false;
  return a;
}

Result<IpAddress> IpAddress::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() == 4) return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  if (bytes.size() == 16) {
    std::array<std::uint8_t, 16> b{};
    std::copy(bytes.begin(), bytes.end(), b.begin());
    return v6(b);
  }
  return fail(Errc::kMalformed, "an address is 4 or 16 bytes");
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; addresses are short, anything longer is wrong.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN)
    return fail(Errc::kMalformed, "bad address '" + std::string(text) + "'");
  const std::string s(text);
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET, s.c_str(), b.data()) == 1) return v4({b[0], b[1], b[2], b[3]});
  if (inet_pton(AF_INET6, s.c_str(), b.data()) == 1) return v6(b);
  return fail(Errc::kMalformed, "bad address '" + s + "'");
}

IpAddress IpAddress::unmapped() const {
  if (v4_ || !std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes_.begin())) return *this;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

std::string IpAddress::to_text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

Result<Network> Network::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return tl::unexpected(addr.error());
  const unsigned max = addr->is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    const auto p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > max)
      return fail(Errc::kMalformed, "bad prefix length in '" + std::string(text) + "'");
  }
  // Host bits must be zero: "10.1.2.3/8" is more likely a typo than a wish for 10/8.
  const auto b = addr->bytes();
  for (unsigned bit = prefix; bit < max; ++bit) {
    if (b[bit / 8] & (0x80u >> (bit % 8)))
      return fail(Errc::kMalformed, fmt::format("'{}' has bits set past the prefix", text));
  }
  Network n;
  n.addr_ = *addr;
  n.prefix_ = prefix;
  return n;
}

bool Network::contains(const IpAddress& peer) const {
  const IpAddress a = addr_.is_v4() ? peer.unmapped() : peer;
  if (a.is_v4() != addr_.is_v4()) return false;
  const auto x = a.bytes(), y = addr_.bytes();
  const unsigned full = prefix_ / 8, rest = prefix_ % 8;
  if (!std::equal(x.begin(), x.begin() + full, y.begin())) return false;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xFF00u >> rest);
  return (x[full] & mask) == (y[full] & mask);
}

std::string Network::to_text() const {
  return addr_.to_text() + "/" + std::to_string(prefix_);
}

bool AclRule::matches(const IpAddress& from, const wire::Name* key_name) const {
  if (network && !network->contains(from)) return false;
  if (key && (key_name == nullptr || !(*key_name == *key))) return false;
  return true;
}

Result<void> Acl::add(std::string_view network, std::string_view key) {
  AclRule r;
  if (!network.empty()) {
    auto n = Network::parse(network);
    if (!n) return tl::unexpected(n.error());
    r.network = *n;
  }
  if (!key.empty()) {
    auto k = wire::Name::from_text(key);
    if (!k) return tl::unexpected(k.error());
    r.key = std::move(*k);
  }
  rules_.push_back(std::move(r));
  return {};
}

bool Acl::allows(const IpAddress& from, const wire::Name* key_name) const {
  for (const auto& r : rules_)
    if (r.matches(from, key_name)) return true;
  return false;
}

}  // namespace dnspush::xfr
