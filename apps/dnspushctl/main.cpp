// dnspushctl: sends one command to a running dnspushd over its control socket
// (<state-dir>/dnspushd.sock) and prints the answer. Argument parsing and a socket only:
// the commands are src/server/control.cpp's.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "server/config.hpp"
#include "server/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "dnspushctl: control a running dnspushd\n"
      "commands: status | sessions | close <id> | reload [zone] | freeze <zone> | thaw <zone> "
      "| stop"};
  std::string config = "/etc/dnspushd/dnspushd.toml";
  std::string socket_path;
  std::vector<std::string> command;
  app.add_option("-c,--config", config, "dnspushd's configuration (to find the state directory)");
  app.add_option("-s,--socket", socket_path,
                 "the control socket (default: <state-dir>/dnspushd.sock)");
  app.add_option("command", command, "the command and its arguments")->required();
  app.set_version_flag("--version", std::string("dnspushctl ") + dnspush::server::kVersion);
  CLI11_PARSE(app, argc, argv);
  if (socket_path.empty()) {
    auto c = dnspush::server::load_config(config);
    if (c) {
      socket_path = (c->state_dir / "dnspushd.sock").string();
    } else {
      // A file edited with a mistake still names the running server's state directory:
      // `dnspushctl reload` then gets the server's own report of the mistake.
      auto dir = dnspush::server::load_state_dir(config);
      if (!dir) {
        std::fprintf(stderr, "dnspushctl: %s (give the control socket with -s)\n",
                     c.error().message.c_str());
        return 2;
      }
      std::fprintf(stderr, "dnspushctl: warning: %s; using its state-dir\n",
                   c.error().message.c_str());
      socket_path = (*dir / "dnspushd.sock").string();
    }
  }
  std::string line;
  for (const auto& w : command) line += (line.empty() ? "" : " ") + w;
  line += "\n";

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "dnspushctl: socket path too long: %s\n", socket_path.c_str());
    return 2;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "dnspushctl: cannot connect to %s: %s (is dnspushd running?)\n",
                 socket_path.c_str(), std::strerror(errno));
    return 1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "dnspushctl: write: %s\n", std::strerror(errno));
    return 1;
  }
  std::string answer;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::fputs(answer.c_str(), stdout);
  if (answer.empty()) {
    std::fprintf(stderr, "dnspushctl: no answer\n");
    return 1;
  }
  return answer.rfind("error:", 0) == 0 ? 1 : 0;
}
