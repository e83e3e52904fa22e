// The Prometheus text endpoint of dnspushd ([metrics] listen, docs/OPERATIONS.md): the
// counters every layer keeps in one dnspush::Metrics (base/metrics.hpp), plus what is only
// known at scrape time (zone serials, open connections), serialised with prometheus-cpp's
// core types (Registry, Family, Counter/Gauge/Histogram, TextSerializer) and served by
// io::HttpEndpoint on its own thread: a scrape reads relaxed per-thread counters and
// never stops a worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/metrics.hpp"
#include "base/result.hpp"
#include "io/endpoint.hpp"
#include "io/http_endpoint.hpp"

namespace dnspush::server {

// Values computed when scraped.
struct ScrapeState {
  struct ZoneSerial {
    std::string zone;
    std::uint32_t serial = 0;
    std::uint64_t records = 0;
  };
  std::vector<ZoneSerial> zones;
  std::uint64_t connections = 0;  // TCP/TLS connections open
  std::uint64_t transfers_out = 0;
  unsigned workers = 0;
};

// The exposition text (text/plain; version=0.0.4) of `totals` and `state`.
std::string render_prometheus(const Metrics::Totals& totals, const ScrapeState& state);

class MetricsService {
 public:
  using StateFn = std::function<ScrapeState()>;
  // Binds `listen`; `metrics` and what `state` reads must outlive the service.
  static Result<std::unique_ptr<MetricsService>> create(const io::Endpoint& listen,
                                                        const Metrics& metrics, StateFn state);
  void start();
  void stop();
  const io::Endpoint& bound() const;

 private:
  MetricsService() = default;
  std::unique_ptr<io::HttpEndpoint> http_;
};

}  // namespace dnspush::server
