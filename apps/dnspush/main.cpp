// dnspush: the command-line client. Argument parsing only; the commands are in
// commands.cpp over the client library (src/client/, which never links zone/).
#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace {

using namespace dnspush::cli;

void add_common(CLI::App* c, Common& o, bool tls_options) {
  c->add_option("--resolver", o.resolvers,
                "recursive resolver HOST[:PORT] for discovery and queries (repeatable; "
                "default: /etc/resolv.conf)");
  c->add_option("-s,--server", o.server,
                "HOST[:PORT]: use this server, skip discovery (watch: the push server, port 853, "
                "or with --protocol llq the LLQ server, port 5352)");
  c->add_option("--timeout", o.timeout, "seconds");
  c->add_flag("-v,--verbose", o.verbose, "say what is done and why, on stderr");
  if (!tls_options) return;
  c->add_option("--tls-name", o.tls_name, "TLS: the name the certificate must carry");
  auto* ca =
      c->add_option("--ca", o.ca_file, "TLS: trust this CA (or self-signed) certificate file");
  auto* insecure =
      c->add_flag("--insecure", o.insecure, "TLS: do NOT check the certificate (tests only)");
  insecure->excludes(ca);
  c->add_flag("--no-dane", o.no_dane, "TLS: ignore TLSA records (RFC 7673)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "dnspush: watch DNS names change live (DNS Push, RFC 8765), browse DNS-SD services, "
      "discover servers, query and update"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dnspush " DNSPUSH_VERSION);

  WatchOptions w;
  auto* cw = app.add_subcommand("watch", "print the answers for names, then every change live");
  cw->add_option("what", w.args, "NAME [TYPE] [CLASS], several names at once (default type A)")
      ->required();
  cw->add_option("--protocol", w.protocol, "push, llq, poll or auto (push, else LLQ, else polling)")
      ->check(CLI::IsMember({"push", "llq", "poll", "auto"}))
      ->capture_default_str();
  cw->add_option("--poll-interval", w.poll_interval,
                 "polling: at least this many seconds (RFC 8765 §6.1: TTL + 2 s, at most 15 min)");
  cw->add_option("-n,--count", w.count, "stop after this many events");
  cw->add_flag("--json", w.json, "one JSON object per line");
  add_common(cw, w.common, true);
  cw->get_option("--timeout")->description("stop after this many seconds");

  BrowseOptions b;
  auto* cb = app.add_subcommand("browse", "browse DNS-SD service instances live (RFC 6763)");
  cb->add_option("service", b.service, "service type, e.g. _ipp._tcp")->required();
  cb->add_option("domain", b.domain, "domain (default: the resolv.conf search domain)");
  cb->add_option("--protocol", b.protocol, "push, llq, poll or auto (push, else LLQ, else polling)")
      ->check(CLI::IsMember({"push", "llq", "poll", "auto"}))
      ->capture_default_str();
  cb->add_option("--poll-interval", b.poll_interval, "polling: at least this many seconds");
  cb->add_option("-n,--count", b.count, "stop after this many events");
  cb->add_flag("--json", b.json, "one JSON object per line");
  add_common(cb, b.common, true);
  cb->get_option("--timeout")->description("stop after this many seconds");

  DiscoverOptions d;
  auto* cd = app.add_subcommand(
      "discover",
      "find the zone of a name and its push, LLQ and update servers, and say which "
      "would be used and why");
  cd->add_option("name", d.name, "domain name")->required();
  add_common(cd, d.common, false);

  QueryOptions q;
  auto* cq = app.add_subcommand("query", "send one query and print the answer as dig does");
  cq->add_option("name", q.name, "domain name")->required();
  cq->add_option("type", q.type, "record type (default A)");
  cq->add_option("class", q.cls, "class (default IN)");
  auto* tcp = cq->add_flag("--tcp", q.tcp, "over TCP");
  auto* tls = cq->add_flag("--tls", q.tls, "over TLS (RFC 7858; port 853 by default)");
  tcp->excludes(tls);
  add_common(cq, q.common, true);

  UpdateOptions u;
  auto* cu = app.add_subcommand(
      "update",
      "change records by DNS UPDATE (RFC 2136), signed with TSIG, and print the RCODE.\n"
      "  add NAME TTL TYPE RDATA...      add a record\n"
      "  delete NAME [TYPE [RDATA...]]   delete a name, an RRset or one record\n"
      "  replace NAME TTL TYPE RDATA...  replace the RRset with this record\n"
      "several operations in one UPDATE are separated by ';' (quoted for the shell)");
  cu->add_option("operation", u.words, "add|delete|replace ...")->required();
  auto* key = cu->add_option("-k,--key", u.key, "TSIG key ALG:NAME:SECRET (or NAME:SECRET)");
  auto* key_file =
      cu->add_option("--key-file", u.key_file, "TSIG key in BIND format (nsupdate -k)");
  key->excludes(key_file);
  cu->add_option("-z,--zone", u.zone, "the zone (default: found by SOA queries)");
  auto* utcp = cu->add_flag("--tcp", u.tcp, "over TCP");
  auto* utls = cu->add_flag("--tls", u.tls, "over TLS");
  utcp->excludes(utls);
  add_common(cu, u.common, true);
  cu->positionals_at_end(false);
  cu->allow_extras(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kUsage;
  }
  if (cw->parsed()) return watch(w);
  if (cb->parsed()) return browse(b);
  if (cd->parsed()) return discover(d);
  if (cq->parsed()) return query(q);
  if (cu->parsed()) return update(u);
  return kUsage;
}
