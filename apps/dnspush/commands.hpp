// The dnspush commands, each a thin shell over the client library (src/client/): they
// take parsed options, run, print, and return the process exit code (exit_codes below).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/client.hpp"

namespace dnspush::cli {

// Exit codes (docs/CLIENT.md): distinct for each kind of failure.
enum Exit : int {
  kOk = 0,
  kError = 1,         // anything else (malformed answers, local errors)
  kUsage = 2,         // bad arguments
  kNoServer = 3,      // discovery found no zone / no server
  kConnect = 4,       // the server could not be reached
  kTlsVerify = 5,     // certificate or DANE verification failed
  kRefused = 6,       // REFUSED
  kNotAuth = 7,       // NOTAUTH (also a TSIG failure)
  kRcode = 8,         // another error RCODE
  kTimeout = 9,       // no answer in time
  kUnavailable = 10,  // the server does not do the protocol asked for (DSO, LLQ)
};

// Options shared by the commands that talk to servers.
struct Common {
  std::vector<std::string> resolvers;  // --resolver HOST:PORT
  std::string server;                  // --server HOST:PORT
  std::string tls_name;
  std::string ca_file;
  bool insecure = false;
  bool no_dane = false;
  double timeout = 0;  // seconds; 0: the command's default
  bool verbose = false;
};

struct WatchOptions {
  Common common;
  std::vector<std::string> args;  // NAME [TYPE] [CLASS] ...
  std::string protocol = "auto";
  double poll_interval = 0;
  long count = 0;
  bool json = false;
};

struct BrowseOptions {
  Common common;
  std::string service;
  std::string domain;
  std::string protocol = "auto";
  double poll_interval = 0;
  long count = 0;
  bool json = false;
};

struct QueryOptions {
  Common common;
  std::string name;
  std::string type = "A";
  std::string cls = "IN";
  bool tcp = false;
  bool tls = false;
  bool dnssec = false;
};

struct UpdateOptions {
  Common common;
  std::string key;       // alg:name:secret
  std::string key_file;  // BIND format
  std::string zone;
  bool tcp = false;
  bool tls = false;
  std::vector<std::string> words;  // add|delete|replace ... [; ...]
};

struct DiscoverOptions {
  Common common;
  std::string name;
};

int watch(const WatchOptions& o);
int browse(const BrowseOptions& o);
int query(const QueryOptions& o);
int update(const UpdateOptions& o);
int discover(const DiscoverOptions& o);

}  // namespace dnspush::cli
