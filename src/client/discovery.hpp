// Discovery of the servers for a name (RFC 8765 §6.1), without I/O: the zone by SOA
// queries (the SOA in the answer section, or in the authority section of a NODATA or
// NXDOMAIN answer; no SOA: strip the leftmost label and ask again while the name keeps at
// least two labels), then the service SRV records of the zone, their targets in RFC 2782
// order, each target's addresses and, for DANE (RFC 7673), its TLSA records.
//
// The owner asks poll_query() what to ask next, sends it to its resolver (an AnswerCache
// in front keeps repeated discoveries cheap, as §6.1 expects), and hands the answer (or
// the failure) back; when done() the result says what was found, in order, and `log`
// says why, step by step (for `dnspush discover`). One query is outstanding at a time.
// Bounded: at most kMaxQueries queries, then it stops with what it has.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/question.hpp"
#include "client/srv.hpp"
#include "client/stub.hpp"

namespace dnspush::client {

// The SRV services a client may want (RFC 8765 §6.1; RFC 8764 §3.1; the DNS-SD UPDATE
// convention, spec/README.md).
enum class Service : std::uint8_t { kPushTls, kLlqUdp, kLlqTls, kUpdateUdp, kUpdateTls };
std::string_view service_label(Service s);  // "_dns-push-tls._tcp"

struct TlsaRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::vector<std::uint8_t> data;
};

struct ServiceTarget {
  SrvRecord srv;
  std::vector<std::string> addresses;  // numeric, IPv6 first as the resolver gave them
  bool srv_authenticated = false;      // the SRV answer had AD
  // RFC 7673 §3: DANE applies when the SRV and the TLSA answers are both authenticated
  // and TLSA records exist; then these authenticate the server.
  std::vector<TlsaRecord> tlsa;
  bool dane = false;
};

struct ServiceResult {
  Service service = Service::kPushTls;
  bool queried = false;
  std::vector<ServiceTarget> targets;  // in the order to try (RFC 2782)
};

struct DiscoveryResult {
  bool zone_found = false;
  wire::Name zone;
  std::optional<wire::Record> soa;
  std::vector<ServiceResult> services;
  std::vector<std::string> log;  // one line per step, for people
  std::string error;             // why no zone was found

  const ServiceResult* find(Service s) const;
};

struct DiscoveryConfig {
  std::vector<Service> services = {Service::kPushTls};
  bool resolve_addresses = true;  // A and AAAA of the targets of the first service
  bool dane = true;               // TLSA for authenticated targets of kPushTls
};

class Discovery {
 public:
  static constexpr std::size_t kMaxQueries = 64;

  Discovery(wire::Name name, DiscoveryConfig cfg, UniformRandom random);

  std::optional<Question> poll_query();
  void on_answer(const Question& q, const Answer& a);
  // No answer (timeout, network error, malformed): `why` goes to the log.
  void on_failure(const Question& q, const std::string& why);

  bool done() const { return state_ == State::kDone; }
  const DiscoveryResult& result() const { return result_; }

 private:
  enum class State : std::uint8_t { kSoa, kSrv, kAddress, kTlsa, kDone };
  void soa_answer(const Answer& a, bool failed, const std::string& why);
  void srv_answer(const Answer& a, bool failed, const std::string& why);
  void address_answer(const Answer& a);
  void tlsa_answer(const Answer& a);
  void next_after_srv();
  void next_address_step();
  void finish();
  Question current() const;

  wire::Name qname_;
  DiscoveryConfig cfg_;
  UniformRandom random_;
  State state_ = State::kSoa;
  DiscoveryResult result_;
  std::size_t service_i_ = 0;
  std::size_t target_i_ = 0;
  int address_step_ = 0;  // 0: AAAA, 1: A, 2: TLSA
  bool asked_ = false;
  std::size_t queries_ = 0;
};

}  // namespace dnspush::client
