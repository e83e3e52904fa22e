// Asio as io/ uses it (internal: nothing outside io/ includes this).
#pragma once

// A libstdc++ header first: Asio decides between aligned_alloc and operator new from
// _GLIBCXX_HAVE_ALIGNED_ALLOC, which only exists once one is included. Every translation
// unit (and asio_impl.cpp) must decide alike, or memory is freed the wrong way.
#include <cstdlib>

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

namespace dnspush::io::detail {

// Completion token: co_await returns (error_code, results...) instead of throwing
// (DESIGN.md: no exceptions on the event loop).
inline constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace dnspush::io::detail
