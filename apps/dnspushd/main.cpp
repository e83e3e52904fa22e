// dnspushd: argument parsing only; the server lives in src/server/.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "server/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dnspushd: authoritative DNS server with DNS Push Notifications"};
  std::string config;
  bool check = false;
  app.add_option("-c,--config", config, "configuration file (TOML)");
  app.add_flag("--check-config", check, "validate the configuration and load the zones, then exit");
  app.set_version_flag("--version", dnspush::server::version_text());
  CLI11_PARSE(app, argc, argv);
  if (config.empty()) {
    std::fprintf(stderr, "--config is required\n%s", app.help().c_str());
    return 2;
  }
  return check ? dnspush::server::check_config(config) : dnspush::server::run(config);
}
