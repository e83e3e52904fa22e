// dnspushd's life: load the configuration and zones, open the listeners, serve until
// SIGTERM/SIGINT (exit 0), reload zone files on SIGHUP. apps/dnspushd only parses
// arguments and calls these.
#pragma once

#include <filesystem>
#include <memory>

#include "base/result.hpp"
#include "server/config.hpp"
#include "zone/catalogue.hpp"

namespace dnspush::server {

inline constexpr char kVersion[] = DNSPUSH_VERSION;

// "dnspushd 0.1.0" and the versions of OpenSSL, Asio and LMDB it runs on.
std::string version_text();

// Loads every configured zone; the first failure is returned as "file:line: reason".
Result<std::shared_ptr<const zone::Catalogue>> load_zones(const Config& c);

// Takes the exclusive lock <state-dir>/dnspushd.lock (flock); fails when another process
// holds it. Returns the descriptor, which holds the lock until closed.
Result<int> lock_state_dir(const std::filesystem::path& state_dir);

// --check-config: prints "OK" (exit 0) or the errors (exit 1).
int check_config(const std::filesystem::path& config_file);

// Runs the server; returns the process exit code.
int run(const std::filesystem::path& config_file);

}  // namespace dnspush::server
