#include "io/tls_context.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>
#include <asio/version.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/transport.hpp"

namespace dnspush::io {
namespace {

std::string ssl_errors(std::string what) {
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    what += ": ";
    what += buf;
  }
  return what;
}

// RFC 7301 §3.2: a server that supports none of the client's protocols answers with a
// fatal no_application_protocol alert. A client offering no ALPN at all is accepted
// (RFC 7858 predates the "dot" identifier and many clients send none).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  const std::size_t n = std::strlen(kAlpnDot);
  for (unsigned i = 0; i < inlen;) {
    const unsigned len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == n && std::memcmp(in + i + 1, kAlpnDot, n) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

SSL_CTX* new_ctx(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle sessions keep no record buffers (DESIGN.md: 16 KB instead of 32 KB each);
  // writes may be retried from a moved buffer after WANT_WRITE.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Many DNS clients close without close_notify: treat that as an ordinary end of stream.
  // No TLS compression (CRIME; the DNS Push seed's §7.3), whatever the library default.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  return ctx;
}

}  // namespace

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

Result<std::shared_ptr<TlsContext>> TlsContext::server(const std::string& cert_file,
                                                       const std::string& key_file) {
  ERR_clear_error();
  SSL_CTX* ctx = new_ctx(TLS_server_method());
  if (ctx == nullptr) return fail(Errc::kIo, ssl_errors("SSL_CTX_new"));
  std::shared_ptr<TlsContext> t(new TlsContext(ctx));
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return fail(Errc::kInvalidConfig, ssl_errors(cert_file + ": cannot load certificate"));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(Errc::kInvalidConfig, ssl_errors(key_file + ": cannot load private key"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(Errc::kInvalidConfig,
                ssl_errors(key_file + ": key does not match certificate " + cert_file));
  }
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  // Resumption by stateless tickets only (RFC 8446 §4.6.1, RFC 5077): no per-session cache
  // on the server; a resumed connection is a new DSO session with no subscriptions.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
  t->set_take_over_records(true);
  return t;
}

void TlsContext::set_take_over_records(bool on) {
  take_over_records_ = on;
  // The traffic secrets reach the connection through the key log callback; with SNI the
  // handshake may finish under an alternative context, so they all get it.
  SSL_CTX_set_keylog_callback(ctx_, on ? detail::on_tls_key_log : nullptr);
  for (auto& alt : alternatives_) alt->set_take_over_records(on);
}

namespace {

// SNI (RFC 6066 §3): the first extra certificate whose names cover the requested host
// name serves the connection; otherwise the default one does.
int select_certificate(SSL* ssl, int*, void* arg) {
  const auto* t = static_cast<const TlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  for (const auto& alt : t->alternatives()) {
    X509* cert = SSL_CTX_get0_certificate(alt->native());
    if (cert != nullptr && X509_check_host(cert, name, 0, 0, nullptr) == 1) {
      SSL_set_SSL_CTX(ssl, alt->native());
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::server(
    const std::string& cert_file, const std::string& key_file,
    const std::vector<std::pair<std::string, std::string>>& alternatives) {
  auto t = server(cert_file, key_file);
  if (!t || alternatives.empty()) return t;
  for (const auto& [c, k] : alternatives) {
    auto alt = server(c, k);
    if (!alt) return alt;
    (*t)->alternatives_.push_back(*alt);
  }
  (*t)->set_take_over_records((*t)->take_over_records());
  SSL_CTX_set_tlsext_servername_callback((*t)->native(), select_certificate);
  SSL_CTX_set_tlsext_servername_arg((*t)->native(), t->get());
  return t;
}

Result<std::shared_ptr<TlsContext>> TlsContext::client(const ClientTlsOptions& o) {
  ERR_clear_error();
  SSL_CTX* ctx = new_ctx(TLS_client_method());
  if (ctx == nullptr) return fail(Errc::kIo, ssl_errors("SSL_CTX_new"));
  std::shared_ptr<TlsContext> t(new TlsContext(ctx));
  t->hostname_ = o.hostname;
  t->verify_ = o.verify;
  static const unsigned char kProtos[] = {3, 'd', 'o', 't'};
  SSL_CTX_set_alpn_protos(ctx, kProtos, sizeof kProtos);
  // DANE (RFC 7673) is enabled per connection when authenticated TLSA records exist;
  // the context only makes it possible (SSL_CTX_dane_enable's digest table).
  if (SSL_CTX_dane_enable(ctx) <= 0) return fail(Errc::kIo, ssl_errors("SSL_CTX_dane_enable"));
  // Sessions are kept by the caller for resumption (TlsStream::session), not in a cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  if (o.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const int ok = o.ca_file.empty()
                       ? SSL_CTX_set_default_verify_paths(ctx)
                       : SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr);
    if (ok != 1) {
      return fail(Errc::kInvalidConfig, ssl_errors("cannot load CA file " + o.ca_file));
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return t;
}

namespace {

struct Freer {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(std::FILE* f) const { std::fclose(f); }
};
template <class T>
using Owned = std::unique_ptr<T, Freer>;

// Writes via a temporary file and rename, so a crash never leaves half a key behind.
Result<void> write_pem(const std::string& path, int mode, bool (*write)(std::FILE*, void*),
                       void* obj) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(Errc::kIo, tmp + ": " + std::strerror(errno));
  Owned<std::FILE> f(::fdopen(fd, "w"));
  if (!f) {
    ::close(fd);
    return fail(Errc::kIo, tmp + ": " + std::strerror(errno));
  }
  if (!write(f.get(), obj) || std::fflush(f.get()) != 0) {
    return fail(Errc::kIo, ssl_errors(tmp + ": write failed"));
  }
  f.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(Errc::kIo, path + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<void> TlsContext::generate_self_signed(const std::string& cert_file,
                                              const std::string& key_file,
                                              const std::vector<std::string>& names) {
  ERR_clear_error();
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return fail(Errc::kIo, ssl_errors("EC key generation failed"));

  std::vector<std::string> all = names;
  for (const char* n : {"localhost", "127.0.0.1", "::1"}) {
    if (std::find(all.begin(), all.end(), n) == all.end()) all.emplace_back(n);
  }
  std::string san;
  for (const auto& n : all) {
    if (n.empty() || n.find_first_of(", \t\n") != std::string::npos) {
      return fail(Errc::kInvalidConfig, "bad certificate name \"" + n + "\"");
    }
    unsigned char ip[16];
    const bool is_ip =
        ::inet_pton(AF_INET, n.c_str(), ip) == 1 || ::inet_pton(AF_INET6, n.c_str(), ip) == 1;
    if (!san.empty()) san += ',';
    san += (is_ip ? "IP:" : "DNS:") + n;
  }

  Owned<X509> cert(X509_new());
  if (!cert) return fail(Errc::kIo, ssl_errors("X509_new"));
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return fail(Errc::kIo, ssl_errors("RAND_bytes"));
  serial[0] &= 0x7F;  // a positive INTEGER (RFC 5280 §4.1.2.2)
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = all.front();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, std::string> exts[] = {
      {NID_subject_alt_name, san},
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : exts) {
    Owned<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &v3, nid, value.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return fail(Errc::kIo, ssl_errors("cannot add certificate extension " + value));
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return fail(Errc::kIo, ssl_errors("certificate signing failed"));
  }

  auto key_ok = write_pem(
      key_file, 0600,
      [](std::FILE* f, void* k) {
        return PEM_write_PrivateKey(f, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                    nullptr) == 1;
      },
      key.get());
  if (!key_ok) return key_ok;
  return write_pem(
      cert_file, 0644,
      [](std::FILE* f, void* c) { return PEM_write_X509(f, static_cast<X509*>(c)) == 1; },
      cert.get());
}

std::string library_versions() {
  return std::string(OpenSSL_version(OPENSSL_VERSION)) + ", Asio " +
         std::to_string(ASIO_VERSION / 100000) + "." + std::to_string(ASIO_VERSION / 100 % 1000) +
         "." + std::to_string(ASIO_VERSION % 100);
}

}  // namespace dnspush::io
