// dnssd_browse: the client library embedded in a program, a DNS-SD browser (RFC 6763) in a
// few lines. It follows the PTR records of a service type, each instance's SRV and TXT, and
// each host's addresses, all kept live by DNS Push (or polling where the zone has no push
// server), and prints instances as they appear, change and go.
//
//   dnssd_browse _ipp._tcp example.test [RESOLVER [CA-FILE]]
//   dnssd_browse _ipp._tcp example.test 127.0.0.1:5300 var/dnspushd/self-signed-cert.pem
//
// Build: it links dnspush::client only (Apache-2.0; see docs/CLIENT.md).
#include <csignal>
#include <cstdio>
#include <string>

#include "client/browser.hpp"
#include "client/client.hpp"

using namespace dnspush;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SERVICE-TYPE DOMAIN [RESOLVER [CA-FILE]]\n", argv[0]);
    return 2;
  }
  auto browse = wire::Name::from_text(std::string(argv[1]) + "." + argv[2]);
  if (!browse) {
    std::fprintf(stderr, "bad name: %s\n", browse.error().message.c_str());
    return 2;
  }

  // 1. Options: where to ask (default /etc/resolv.conf) and whom to trust (default the
  //    system's CA store). The protocol is auto: DNS Push, else polling.
  client::ClientOptions options;
  if (argc > 3) {
    auto resolver = client::parse_server(argv[3], 53);
    if (!resolver) return 2;
    options.resolver.servers.push_back(*resolver);
  }
  if (argc > 4) options.ca_file = argv[4];

  // 2. A Client on our io_context, and a Browser on the client.
  asio::io_context io;
  client::Client dns(io, options);
  client::Browser browser(
      dns, *browse,
      [](const client::BrowseEvent& e) {
        const auto& i = e.instance;
        const char* what = e.kind == client::BrowseEvent::Kind::kAdd      ? "appeared"
                           : e.kind == client::BrowseEvent::Kind::kUpdate ? "changed "
                                                                          : "gone    ";
        std::printf("%s  %-24s", what, i.label.c_str());
        if (i.srv) std::printf("  %s port %u", i.srv->target.to_text().c_str(), i.srv->port);
        for (const auto& a : i.addresses) std::printf("  %s", a.c_str());
        for (const auto& t : i.txt) std::printf("  %s", t.c_str());
        std::printf("\n");
        std::fflush(stdout);
      },
      [](const client::Status& s) {
        if (s.kind != client::Status::Kind::kInfo) std::fprintf(stderr, ";; %s\n", s.text.c_str());
      });

  // 3. Run until Ctrl-C.
  asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const std::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}
