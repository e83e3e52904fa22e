#!/usr/bin/python3
"""contrib/grafana/dnspushd.json cannot drift from the code: it parses as a Grafana
dashboard with a Prometheus data source variable, and every metric its expressions use
exists in a real scrape of dnspushd, with the labels the expressions group or filter by.
Every expression is also one that contrib/grafana/render.py (the picture in the docs) can
evaluate, so the picture shows the same panels."""

import json
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

SRC = os.environ.get("DNSPUSH_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
GRAFANA = os.path.join(SRC, "contrib", "grafana")
sys.path.insert(0, GRAFANA)
import render  # noqa: E402  (matplotlib is imported only to draw)

DS_UID = "${datasource}"


def load():
    with open(os.path.join(GRAFANA, "dnspushd.json")) as f:
        return json.load(f)


def expressions(dash):
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]


class DashboardShapeTest(unittest.TestCase):
    def test_is_a_grafana_dashboard_on_a_prometheus_variable(self):
        d = load()
        for key in ("title", "uid", "panels", "templating", "schemaVersion", "time"):
            self.assertIn(key, d)
        variables = {v["name"]: v for v in d["templating"]["list"]}
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        cells = set()
        for p in d["panels"]:
            self.assertEqual(p["datasource"], {"type": "prometheus", "uid": DS_UID}, p["title"])
            self.assertTrue(p["targets"], p["title"])
            refs = [t["refId"] for t in p["targets"]]
            self.assertEqual(len(refs), len(set(refs)), p["title"])
            for t in p["targets"]:
                self.assertEqual(t["datasource"]["uid"], DS_UID)
                self.assertIn('instance=~"$instance"', t["expr"], t["expr"])
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24)
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, "panels overlap at %s" % p["title"])
                    cells.add((x, y))

    def test_covers_what_the_issue_asks_for(self):
        used = {n for _, e in expressions(load()) for n, _ in render.selectors(render.parse_expr(e))}
        for name in ("dnspush_queries_total", "dnspush_updates_total",
                     "dnspush_commit_seconds_bucket", "dnspush_journal_fsync_seconds_bucket",
                     "dnspush_update_to_push_seconds_bucket", "dnspush_dso_sessions",
                     "dnspush_subscriptions", "dnspush_push_messages_total",
                     "dnspush_push_bytes_total", "dnspush_sessions_closed_total", "dnspush_llqs",
                     "dnspush_transfers_out_total", "dnspush_transfers_in_total",
                     "dnspush_limit_hits_total", "dnspush_zone_serial"):
            self.assertIn(name, used)

    def test_render_evaluates_every_expression(self):
        # Two synthetic scrapes one second apart: rates, sums and quantiles come out.
        s0 = {("dnspush_queries_total", frozenset({("transport", "udp"), ("rcode", "NOERROR"),
                                                   ("instance", "0")})): 10.0}
        s1 = {("dnspush_queries_total", frozenset({("transport", "udp"), ("rcode", "NOERROR"),
                                                   ("instance", "0")})): 30.0}
        for le, a, b in (("0.001", 0, 5), ("0.01", 0, 10), ("+Inf", 0, 10)):
            s0[("dnspush_commit_seconds_bucket", frozenset({("le", le), ("instance", "0")}))] = a
            s1[("dnspush_commit_seconds_bucket", frozenset({("le", le), ("instance", "0")}))] = b
        for title, e in expressions(load()):
            render.evaluate(render.parse_expr(e), [0.0, 1.0], [s0, s1], 5.0)
        q = render.evaluate(render.parse_expr(
            "sum by (transport) (rate(dnspush_queries_total[$__rate_interval]))"),
            [0.0, 1.0], [s0, s1], 5.0)
        self.assertEqual(q[frozenset({("transport", "udp")})], [None, 20.0])
        p50 = render.evaluate(render.parse_expr(
            "histogram_quantile(0.5, sum by (le) (rate(dnspush_commit_seconds_bucket"
            "[$__rate_interval])))"), [0.0, 1.0], [s0, s1], 5.0)
        self.assertAlmostEqual(p50[frozenset()][1], 0.001)  # 5 of 10 at or below 1 ms


@unittest.skipUnless(uh.have_tools("dig"), "needs dig (bind9-dnsutils)")
class DashboardAgainstScrapeTest(unittest.TestCase):
    def test_every_metric_and_label_exists_in_a_scrape(self):
        port = harness.free_port()
        llq = harness.free_port()
        server = uh.UpdateServer(tls=True, workers=1, extra=(
            '[metrics]\nlisten = "127.0.0.1:%d"\n[llq]\nenabled = true\nlisten = ["127.0.0.1:%d"]\n'
            % (port, llq))).start()
        try:
            # Two-dimensional counters list only the label pairs that happened.
            server.dig("www.example.test", "A")
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                samples = render.parse_text(r.read().decode())
        finally:
            self.assertEqual(server.stop(), 0)
        labels_of = {}
        for (name, labels) in samples:
            labels_of.setdefault(name, set()).update(k for k, _ in labels)
        for title, e in expressions(load()):
            for name, labels in render.selectors(render.parse_expr(e)):
                self.assertIn(name, labels_of, "%s: %s is not in a scrape" % (title, name))
                self.assertLessEqual(labels - {"instance"}, labels_of[name],
                                     "%s: %s has no label %s" % (title, name, labels))


if __name__ == "__main__":
    harness.main()
