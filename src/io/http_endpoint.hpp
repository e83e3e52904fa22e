// A minimal HTTP/1.1 endpoint for the metrics scrape (Prometheus text format): GET only,
// one request per connection (answered with "Connection: close"), on its own thread and
// Asio loop, apart from the DNS workers so a scrape never delays a query. Bounds (a
// scraper is trusted less than the operator): request head at most kMaxRequest bytes,
// complete within `timeout` or the connection is dropped; at most kMaxConnections at
// once, further ones closed at accept. No Asio in this header: server/ uses it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "io/endpoint.hpp"

namespace dnspush::io {

struct HttpResponse {
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpEndpoint {
 public:
  static constexpr std::size_t kMaxRequest = 8192;
  static constexpr std::size_t kMaxConnections = 16;

  // Called on the endpoint's thread with the request path (query string removed);
  // nullopt answers 404.
  using Handler = std::function<std::optional<HttpResponse>(std::string_view path)>;

  // Binds (port 0: the system chooses; see bound()); serves nothing until start().
  static Result<std::unique_ptr<HttpEndpoint>> create(
      const Endpoint& listen, Handler handler,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~HttpEndpoint();  // stops

  const Endpoint& bound() const;
  void start();
  void stop();  // idempotent; joins the thread

  struct Impl;

 private:
  explicit HttpEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The request line's method and path, from a request head ("GET /metrics?x HTTP/1.1\r\n...").
// nullopt when the line is malformed.
struct HttpRequestLine {
  std::string_view method;
  std::string_view path;  // without the query string
};
std::optional<HttpRequestLine> parse_request_line(std::string_view head);

}  // namespace dnspush::io
