// OpenSSL 3 contexts for DNS over TLS (RFC 7858): the server's (certificate + key, TLS 1.2
// minimum, ALPN "dot") and a client's (CA file, system store or no verification), plus a
// self-signed certificate generator for first start without configured credentials.
// The header names no OpenSSL type beyond a forward declaration.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"

struct ssl_ctx_st;
struct ssl_session_st;

namespace dnspush::io {

inline constexpr char kAlpnDot[] = "dot";  // RFC 7858 §3.2 / IANA ALPN registry

struct ClientTlsOptions {
  bool verify = true;    // false: --insecure
  std::string ca_file;   // empty: the system's default trust store
  std::string hostname;  // checked against the certificate (name or IP literal); sent as SNI
};

// A client's TLS session, kept to resume on the next connection to the same server
// (RFC 8446 §2.2; RFC 8765 §7.4: it saves a round trip, never the subscriptions).
using TlsSessionPtr = std::shared_ptr<ssl_session_st>;

// A DANE TLSA record (RFC 6698 §2.1) for one connection (RFC 7673).
struct TlsaRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::vector<std::uint8_t> data;
};

// Per-connection settings of a client stream, beyond its TlsContext.
struct TlsClientParams {
  std::string hostname;  // SNI and the name checked; empty: the context's hostname
  TlsSessionPtr resume;  // offered for resumption when set
  // Authenticated TLSA records: the server is then authenticated by OpenSSL's DANE
  // (SSL_dane_enable / SSL_dane_tlsa_add), whatever the context's trust store says;
  // DANE-EE(3) records are matched without a name check (RFC 7671 §5.1). When none is
  // usable, the ordinary checks apply.
  std::vector<TlsaRecord> tlsa;
};

// "OpenSSL 3.0.x ..., Asio 1.22.1": the libraries io/ runs on (dnspushd --version).
std::string library_versions();

class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  static Result<std::shared_ptr<TlsContext>> server(const std::string& cert_file,
                                                    const std::string& key_file);
  // With more certificates (certificate, key) chosen by the client's SNI (RFC 6066 §3):
  // the first whose subjectAltNames match the requested name, else the default one.
  static Result<std::shared_ptr<TlsContext>> server(
      const std::string& cert_file, const std::string& key_file,
      const std::vector<std::pair<std::string, std::string>>& alternatives);
  static Result<std::shared_ptr<TlsContext>> client(const ClientTlsOptions& o);

  // Writes a new EC P-256 key and a self-signed certificate (valid 10 years) whose
  // subjectAltName lists `names` plus localhost, 127.0.0.1 and ::1. The key file is 0600.
  static Result<void> generate_self_signed(const std::string& cert_file,
                                           const std::string& key_file,
                                           const std::vector<std::string>& names);

  ssl_ctx_st* native() const { return ctx_; }
  const std::vector<std::shared_ptr<TlsContext>>& alternatives() const { return alternatives_; }
  const std::string& hostname() const { return hostname_; }  // client only
  bool verify() const { return verify_; }                    // client only
  // Server: TLS 1.3 connections continue on our own record layer after the handshake
  // (io/transport.hpp), freeing OpenSSL's per-connection state. On by default; off
  // keeps every connection on OpenSSL (the [tls] record-layer = "openssl" setting).
  bool take_over_records() const { return take_over_records_; }
  void set_take_over_records(bool on);

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
  std::string hostname_;
  bool verify_ = false;
  bool take_over_records_ = false;
  std::vector<std::shared_ptr<TlsContext>> alternatives_;  // SNI choices (server)
};

}  // namespace dnspush::io
