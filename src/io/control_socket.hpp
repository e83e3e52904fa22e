// The control channel of dnspushd (dnspushctl): a UNIX stream socket, owner-only (mode
// 0600, created under a 0077 umask so it is never reachable by others, even briefly),
// on its own thread and Asio loop. One command line per connection, answered with text,
// then closed. Bounds: a command line of at most kMaxLine bytes within `timeout`; at most
// kMaxConnections at once, more are closed at accept. No Asio in this header.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace dnspush::io {

class ControlSocket {
 public:
  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxConnections = 4;
  // Called on the socket's thread with the command line (without its newline); returns
  // the answer text. It may block (it waits for the workers), never for long.
  using Handler = std::function<std::string(std::string_view line)>;

  // Replaces a stale socket file at `path` (the state directory's lock says no other
  // dnspushd uses it).
  static Result<std::unique_ptr<ControlSocket>> create(
      const std::filesystem::path& path, Handler handler,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~ControlSocket();  // stops and removes the socket file
  void start();
  void stop();

  struct Impl;

 private:
  explicit ControlSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::io
