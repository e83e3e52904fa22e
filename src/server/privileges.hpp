// Running as root only as long as needed ([server] user / group, docs/CONFIG.md).
//
// Started as root with `user` set, dnspushd:
//   1. prepare_run_as(): creates the state directory if missing (owned by the user, mode
//      0750), then switches the *filesystem* identity (setfsuid/setfsgid) to the user, so
//      that every file it opens or creates from then on (zone files, journal, lock,
//      control socket, certificates) is checked and owned as the user's, while binding
//      low ports still works (setfsuid keeps CAP_NET_BIND_SERVICE). A state directory the
//      user cannot write is refused here, naming the user and the directory;
//   2. binds every socket and opens the state directory (Instance::create);
//   3. drop_privileges(): supplementary groups, gid, uid (all threads, glibc's setxid),
//      then checks that root cannot be regained; any failure stops the start-up.
// Not root: nothing to drop; `user` naming another account is an error (cannot switch).
// Root without `user`: a warning, and nothing changes.
//
// Threading: call both from the main thread before any worker thread is started (the
// filesystem identity is per thread and inherited by the threads created after it).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace dnspush::server {

struct RunAs {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Resolves `user` (and `group`; empty: the user's primary group) in the passwd and group
// databases. Fails naming the one that does not exist.
Result<RunAs> resolve_run_as(const std::string& user, const std::string& group);

// Step 1 above. Returns the identity to drop to, or nullopt when there is nothing to drop
// (not root, or root without `user`: the caller logs the warning).
Result<std::optional<RunAs>> prepare_run_as(const std::string& user, const std::string& group,
                                            const std::filesystem::path& state_dir);

// Step 3 above.
Result<void> drop_privileges(const RunAs& to);

}  // namespace dnspush::server
