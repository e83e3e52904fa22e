// dnspushctl's commands, executed inside dnspushd (docs/OPERATIONS.md "Control"). The
// transport is io::ControlSocket (<state-dir>/dnspushd.sock, owner-only); this is the
// command language: one line in, text out, "error: ..." on failure.
//
//   status                zones (serial, records, frozen), connections, DSO sessions,
//                         subscriptions
//   sessions              one line per TCP/TLS connection: id, client, transport, dso,
//                         subscriptions, queued bytes
//   close <id>            closes one connection
//   reload [<zone>]       re-reads one zone file, or every one
//   freeze <zone>         UPDATEs to the zone are REFUSED until thaw
//   thaw <zone>           accepts UPDATEs again and reloads the zone file
//   stop                  graceful stop (DSO sessions get a Retry Delay)
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace dnspush::server {

class Instance;

// `stop` is what "stop" does (the daemon raises SIGTERM at itself); null: refused.
std::string control_command(Instance& instance, std::string_view line,
                            const std::function<void()>& stop);

}  // namespace dnspush::server
