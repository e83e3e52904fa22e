#include "io/reply_sink.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <exception>

namespace dnspush::io::detail {

void call_handler(const AsyncHandler& h, std::span<const std::uint8_t> query,
                  const auth::QueryContext& ctx, Reply reply) {
  try {
    h(query, ctx, std::move(reply));
  } catch (const std::exception& e) {
    spdlog::error("query handler failed: {}", e.what());
  } catch (...) {
    spdlog::error("query handler failed");
  }
}

AsyncHandler make_async(Handler h) {
  return [h = std::move(h)](std::span<const std::uint8_t> q, const auth::QueryContext& ctx,
                            Reply reply) {
    std::vector<std::uint8_t> out;
    if (h(q, ctx, out)) {
      reply.send(std::move(out));
    } else {
      reply.drop();
    }
  };
}

auth::ClientAddress client_address(const asio::ip::address& a, std::uint16_t port) {
  auth::ClientAddress c;
  c.port = port;
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) {
      const auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
      std::memcpy(c.bytes.data(), b.data(), 4);
    } else {
      const auto b = v6.to_bytes();
      std::memcpy(c.bytes.data(), b.data(), 16);
      c.v6 = true;
    }
  } else {
    const auto b = a.to_v4().to_bytes();
    std::memcpy(c.bytes.data(), b.data(), 4);
  }
  return c;
}

}  // namespace dnspush::io::detail
