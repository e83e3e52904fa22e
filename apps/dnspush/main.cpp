// dnspush: the command-line client. Argument parsing, one query, the answer printed as
// dig does. Links wire/ and io/ only (never zone/: libzscanner is GPL-3).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "io/client.hpp"
#include "io/tls_context.hpp"
#include "wire/message.hpp"

namespace {

using namespace dnspush;

int query(const std::string& name, const std::string& type, const std::string& server, int port,
          bool tcp, bool tls, bool insecure, const std::string& ca, const std::string& tls_name,
          double timeout_s) {
  auto qname = wire::Name::from_text(name);
  if (!qname) {
    std::fprintf(stderr, "bad name \"%s\": %s\n", name.c_str(), qname.error().message.c_str());
    return 2;
  }
  const auto qtype = wire::rrtype_from_text(type);
  if (!qtype) {
    std::fprintf(stderr, "unknown type \"%s\"\n", type.c_str());
    return 2;
  }
  wire::Message q;
  q.header.id = static_cast<std::uint16_t>(std::random_device{}());
  q.header.qdcount = 1;
  q.questions.push_back({*qname, *qtype, wire::RRClass::IN});
  q.edns = wire::Edns{};  // udp_payload 1232 (DNS Flag Day 2020)
  const auto bytes = q.to_wire();

  io::ExchangeOptions o;
  o.server = server;
  o.transport = tls ? auth::Transport::kTls : tcp ? auth::Transport::kTcp : auth::Transport::kUdp;
  o.port = static_cast<std::uint16_t>(port > 0 ? port : (tls ? 853 : 53));
  o.timeout = std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  if (tls) {
    io::ClientTlsOptions t;
    t.verify = !insecure;
    t.ca_file = ca;
    t.hostname = tls_name.empty() ? server : tls_name;
    auto ctx = io::TlsContext::client(t);
    if (!ctx) {
      std::fprintf(stderr, "%s\n", ctx.error().message.c_str());
      return 2;
    }
    o.tls = *ctx;
  }
  auto answer = io::send_query(o, bytes);
  if (answer && o.transport == auth::Transport::kUdp) {
    auto h = wire::Header::peek(*answer);
    if (h && h->tc) {  // RFC 7766 §5: a truncated UDP answer is retried over TCP
      std::fprintf(stderr, ";; truncated, retrying over TCP\n");
      o.transport = auth::Transport::kTcp;
      answer = io::send_query(o, bytes);
    }
  }
  if (!answer) {
    std::fprintf(stderr, ";; %s:%u: %s\n", server.c_str(), o.port, answer.error().message.c_str());
    return 1;
  }
  auto m = wire::Message::parse(*answer);
  if (!m) {
    std::fprintf(stderr, ";; malformed answer (%zu bytes): %s\n", answer->size(),
                 m.error().message.c_str());
    return 1;
  }
  std::printf("%s", wire::to_text(*m).c_str());
  std::printf(";; SERVER: %s#%u (%s)\n;; MSG SIZE  rcvd: %zu\n", server.c_str(), o.port,
              tls   ? "TLS"
              : tcp ? "TCP"
                    : "UDP",
              answer->size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dnspush: DNS client (queries now; DNS Push subscriptions to come)"};
  app.require_subcommand(1);
  auto* q = app.add_subcommand("query", "send one query and print the answer as dig does");
  std::string name, type = "A", server = "127.0.0.1", ca, tls_name;
  int port = 0;
  bool tcp = false, tls = false, insecure = false;
  double timeout = 5.0;
  q->add_option("name", name, "domain name")->required();
  q->add_option("type", type, "record type (default A)");
  q->add_option("-s,--server", server, "server address or host name")->capture_default_str();
  q->add_option("-p,--port", port, "server port (default 53, 853 with --tls)");
  auto* o_tcp = q->add_flag("--tcp", tcp, "use TCP");
  auto* o_tls = q->add_flag("--tls", tls, "use DNS over TLS (RFC 7858)");
  o_tcp->excludes(o_tls);
  auto* o_insecure = q->add_flag("--insecure", insecure, "TLS: do not verify the certificate");
  auto* o_ca = q->add_option("--ca", ca, "TLS: trust this CA or self-signed certificate file");
  o_insecure->excludes(o_ca);
  q->add_option("--tls-name", tls_name, "TLS: name to verify (default: --server)");
  q->add_option("--timeout", timeout, "seconds (default 5)");
  app.set_version_flag("--version", "dnspush " DNSPUSH_VERSION);
  CLI11_PARSE(app, argc, argv);
  return query(name, type, server, port, tcp, tls, insecure, ca, tls_name, timeout);
}
