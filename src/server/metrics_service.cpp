#include "server/metrics_service.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace dnspush::server {

std::string render_prometheus(const Metrics::Totals& t, const ScrapeState& state) {
  prometheus::Registry reg;
  for (std::size_t i = 0; i < kCounterInfo.size(); ++i) {
    const CounterInfo& info = kCounterInfo[i];
    const auto c = static_cast<Counter>(i);
    const std::size_t n1 = info.values1.empty() ? 1 : info.values1.size();
    const std::size_t n2 = info.values2.empty() ? 1 : info.values2.size();
    auto labels = [&](std::size_t k) {
      prometheus::Labels l;
      if (!info.values1.empty()) l.emplace(info.label1, info.values1[k / n2]);
      if (!info.values2.empty()) l.emplace(info.label2, info.values2[k % n2]);
      return l;
    };
    if (info.gauge) {
      auto& f = prometheus::BuildGauge()
                    .Name(std::string(info.name))
                    .Help(std::string(info.help))
                    .Register(reg);
      for (std::size_t k = 0; k < n1 * n2; ++k)
        f.Add(labels(k)).Set(static_cast<double>(t.gauge(c, k)));
      continue;
    }
    auto& f = prometheus::BuildCounter()
                  .Name(std::string(info.name) + "_total")
                  .Help(std::string(info.help))
                  .Register(reg);
    for (std::size_t k = 0; k < n1 * n2; ++k) {
      const std::uint64_t v = t.value(c, k);
      // Two label dimensions (transport x rcode) are mostly zero: only what happened.
      if (v == 0 && !info.values2.empty()) continue;
      f.Add(labels(k)).Increment(static_cast<double>(v));
    }
  }
  const prometheus::Histogram::BucketBoundaries bounds(kHistogramBounds.begin(),
                                                       kHistogramBounds.end());
  for (std::size_t h = 0; h < kHistogramInfo.size(); ++h) {
    auto& f = prometheus::BuildHistogram()
                  .Name(std::string(kHistogramInfo[h].name))
                  .Help(std::string(kHistogramInfo[h].help))
                  .Register(reg);
    std::vector<double> increments(t.buckets[h].begin(), t.buckets[h].end());
    f.Add({}, bounds).ObserveMultiple(increments, static_cast<double>(t.sum_ns[h]) / 1e9);
  }
  auto& serial = prometheus::BuildGauge()
                     .Name("dnspush_zone_serial")
                     .Help("SOA serial of each zone served")
                     .Register(reg);
  auto& records = prometheus::BuildGauge()
                      .Name("dnspush_zone_records")
                      .Help("Records in each zone served")
                      .Register(reg);
  for (const auto& z : state.zones) {
    serial.Add({{"zone", z.zone}}).Set(z.serial);
    records.Add({{"zone", z.zone}}).Set(static_cast<double>(z.records));
  }
  prometheus::BuildGauge()
      .Name("dnspush_connections")
      .Help("TCP and TLS connections open")
      .Register(reg)
      .Add({})
      .Set(static_cast<double>(state.connections));
  prometheus::BuildGauge()
      .Name("dnspush_transfers_out_active")
      .Help("Zone transfers being sent")
      .Register(reg)
      .Add({})
      .Set(static_cast<double>(state.transfers_out));
  prometheus::BuildGauge()
      .Name("dnspush_workers")
      .Help("io worker threads")
      .Register(reg)
      .Add({})
      .Set(state.workers);
  return prometheus::TextSerializer().Serialize(reg.Collect());
}

Result<std::unique_ptr<MetricsService>> MetricsService::create(const io::Endpoint& listen,
                                                               const Metrics& metrics,
                                                               StateFn state) {
  std::unique_ptr<MetricsService> s(new MetricsService());
  auto handler = [&metrics, state = std::move(state)](
                     std::string_view path) -> std::optional<io::HttpResponse> {
    if (path != "/metrics" && path != "/") return std::nullopt;
    io::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = render_prometheus(metrics.totals(), state());
    return r;
  };
  auto http = io::HttpEndpoint::create(listen, std::move(handler));
  if (!http) return tl::unexpected(http.error());
  s->http_ = std::move(*http);
  return s;
}

void MetricsService::start() {
  http_->start();
}
void MetricsService::stop() {
  http_->stop();
}
const io::Endpoint& MetricsService::bound() const {
  return http_->bound();
}

}  // namespace dnspush::server
