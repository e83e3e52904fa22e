// Errors are values (DESIGN.md convention 4): every fallible call on the event loop
// returns Result<T>; exceptions are for start-up and config loading only.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace dnspush {

enum class Errc {
  kMalformed,   // bytes from a peer or a file do not parse
  kOutOfRange,  // a value exceeds a protocol limit (name too long, message too big)
  kNotFound,
  kRefused,  // a semantic rule forbids it (e.g. CNAME and other data)
  kIo,       // the operating system said no
  kInvalidConfig,
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace dnspush
