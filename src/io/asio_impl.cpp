// The one translation unit that compiles Asio's implementation (ASIO_SEPARATE_COMPILATION).
// Through io/asio.hpp, so that it configures Asio exactly as the other io/ files do.
#include "io/asio.hpp"

#include <asio/impl/src.hpp>
