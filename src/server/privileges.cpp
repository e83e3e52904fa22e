#include "server/privileges.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace dnspush::server {

namespace fs = std::filesystem;

namespace {

std::string who(const RunAs& r) {
  return "user " + r.user + " (uid " + std::to_string(r.uid) + ", gid " + std::to_string(r.gid) +
         ")";
}

}  // namespace

Result<RunAs> resolve_run_as(const std::string& user, const std::string& group) {
  RunAs r;
  r.user = user;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* pwp = nullptr;
  const int e = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pwp);
  if (pwp == nullptr) {
    return fail(Errc::kInvalidConfig, "server.user: no user \"" + user + "\"" +
                                          (e != 0 ? std::string(": ") + std::strerror(e) : ""));
  }
  r.uid = pw.pw_uid;
  r.gid = pw.pw_gid;
  if (!group.empty()) {
    struct group g {};
    struct group* gp = nullptr;
    const int ge = ::getgrnam_r(group.c_str(), &g, buf.data(), buf.size(), &gp);
    if (gp == nullptr) {
      return fail(Errc::kInvalidConfig, "server.group: no group \"" + group + "\"" +
                                            (ge != 0 ? std::string(": ") + std::strerror(ge) : ""));
    }
    r.gid = g.gr_gid;
  }
  return r;
}

Result<std::optional<RunAs>> prepare_run_as(const std::string& user, const std::string& group,
                                            const fs::path& state_dir) {
  if (user.empty()) return std::optional<RunAs>{};
  auto r = resolve_run_as(user, group);
  if (!r) return tl::unexpected(r.error());
  if (::geteuid() != 0) {
    if (::geteuid() == r->uid) return std::optional<RunAs>{};  // already that user
    return fail(Errc::kInvalidConfig, "server.user = \"" + user +
                                          "\": cannot switch to that user without being "
                                          "started as root (running as uid " +
                                          std::to_string(::geteuid()) + ")");
  }
  // Created here, as root, because its parent (/var/lib) is root's; handed to the user.
  std::error_code ec;
  if (!fs::exists(state_dir, ec)) {
    fs::create_directories(state_dir, ec);
    if (ec) return fail(Errc::kIo, "server.state-dir " + state_dir.string() + ": " + ec.message());
    if (::chown(state_dir.c_str(), r->uid, r->gid) != 0 || ::chmod(state_dir.c_str(), 0750) != 0) {
      return fail(Errc::kIo, "server.state-dir " + state_dir.string() + ": cannot hand it to " +
                                 who(*r) + ": " + std::strerror(errno));
    }
  }
  ::setfsgid(r->gid);
  ::setfsuid(r->uid);
  // setfsuid() reports the previous value, not failure: read the current one back.
  if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != r->uid ||
      static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != r->gid) {
    return fail(Errc::kIo, "cannot take the file identity of " + who(*r));
  }
  // AT_EACCESS: checked with the filesystem identity just set, not the real (root) one.
  if (::faccessat(AT_FDCWD, state_dir.c_str(), R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
    return fail(Errc::kIo, "server.state-dir " + state_dir.string() + " is not writable for " +
                               who(*r) + ": " + std::strerror(errno) +
                               "; it must be owned by (or writable for) that user, e.g. chown -R " +
                               user + ": " + state_dir.string());
  }
  // What an earlier run as root left (journal, lock, certificate) would fail later with a
  // bare EACCES: name it now. The state directory holds few files; the walk is bounded.
  const std::string fix = "; the state directory must belong to that user: chown -R " + user +
                          ": " + state_dir.string();
  std::size_t seen = 0;
  for (fs::recursive_directory_iterator it(state_dir, ec), end; !ec && it != end && seen < 100000;
       it.increment(ec), ++seen) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && st.st_uid != r->uid && !S_ISLNK(st.st_mode)) {
      return fail(Errc::kIo, it->path().string() + " is owned by uid " + std::to_string(st.st_uid) +
                                 ", not by " + who(*r) + fix);
    }
  }
  if (ec)
    return fail(Errc::kIo, state_dir.string() + ": " + ec.message() + " for " + who(*r) + fix);
  return std::optional<RunAs>{*r};
}

Result<void> drop_privileges(const RunAs& to) {
  auto failed = [&](const char* what) {
    return fail(Errc::kIo,
                std::string(what) + " failed for " + who(to) + ": " + std::strerror(errno));
  };
  // Supplementary groups first, while we may still set them (e.g. ssl-cert for a key).
  if (::initgroups(to.user.c_str(), to.gid) != 0) return failed("initgroups");
  if (::setgid(to.gid) != 0) return failed("setgid");
  if (::setuid(to.uid) != 0) return failed("setuid");
  uid_t ru = 0, eu = 0, su = 0;
  gid_t rg = 0, eg = 0, sg = 0;
  if (::getresuid(&ru, &eu, &su) != 0 || ::getresgid(&rg, &eg, &sg) != 0) {
    return failed("getresuid");
  }
  if (ru != to.uid || eu != to.uid || su != to.uid || rg != to.gid || eg != to.gid ||
      sg != to.gid) {
    return fail(Errc::kIo, "after setuid the process is not " + who(to));
  }
  if (to.uid != 0 && ::setuid(0) == 0) {
    return fail(Errc::kIo, "root could be regained after dropping to " + who(to));
  }
  return {};
}

}  // namespace dnspush::server
