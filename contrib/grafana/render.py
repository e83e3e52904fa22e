#!/usr/bin/python3
"""Renders the panels of contrib/grafana/dnspushd.json from scrapes of running dnspushd
servers, without Grafana: a picture of the dashboard on real data (docs/img/dashboard.png).

It scrapes each --url every --interval seconds for --seconds, then evaluates every panel's
PromQL expressions itself and draws them with matplotlib in the dashboard's layout. The
evaluator knows just the PromQL the dashboard uses (and a test keeps it that way):
  sum|max [by (labels)] (expr), rate(selector[$__rate_interval]),
  histogram_quantile(q, expr), name{label="v", label!="v", label=~"$variable"}.
Matchers on a dashboard variable ($instance) match everything; each --url is one
`instance`. rate() is taken over --window seconds of scrapes.

  render.py --url http://127.0.0.1:9153/metrics --seconds 60      # a server you run
  render.py --demo --seconds 60                                    # starts its own, with load

--demo (run from the source tree, after `make build`) starts a primary and a secondary
dnspushd on 127.0.0.1 with the integration tests' helpers and, while scraping both, runs
dnsperf over UDP and TCP, signed UPDATEs, DNS Push subscribers over TLS that come and go,
LLQ clients that acknowledge their events, refused transfers and oversized datagrams (so
the limit and refusal panels are not empty). Needs python3-matplotlib, dnsperf, dnspython.
"""

import argparse
import json
import math
import os
import re
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "dnspushd.json")

# ---- Prometheus text -----------------------------------------------------------------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_text(text, instance=None):
    """{(name, frozenset(labels)): value} from Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("unparseable sample line: %r" % line)
        labels = dict(LABEL.findall(m.group(3) or ""))
        if instance is not None:
            labels["instance"] = instance
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def scrape(url, instance=None):
    with urllib.request.urlopen(url, timeout=5) as r:
        return parse_text(r.read().decode(), instance)


# ---- the PromQL the dashboard uses ---------------------------------------------------------

TOKEN = re.compile(r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<id>[a-zA-Z_][a-zA-Z0-9_:]*)'
                   r'|(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>=~|!=|[(){}\[\],=])|(?P<var>\$[a-z_]+))')


def tokens(expr):
    pos, out = 0, []
    expr = expr.rstrip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError("cannot read %r at %d" % (expr, pos))
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class Parser:
    """expr -> tree: ("agg", op, by|None, expr), ("rate", sel), ("quantile", q, expr),
    ("sel", name, [(label, op, value)])."""

    def __init__(self, expr):
        self.t = tokens(expr)
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, value=None, kind=None):
        k, v = self.peek()
        if (value is not None and v != value) or (kind is not None and k != kind):
            raise ValueError("expected %s, got %r" % (value or kind, v))
        self.i += 1
        return v

    def parse(self):
        e = self.expr()
        if self.i != len(self.t):
            raise ValueError("trailing %r" % (self.peek(),))
        return e

    def expr(self):
        name = self.take(kind="id")
        if name in ("sum", "max"):
            by = None
            if self.peek()[1] == "by":
                self.take("by")
                self.take("(")
                by = [self.take(kind="id")]
                while self.peek()[1] == ",":
                    self.take(",")
                    by.append(self.take(kind="id"))
                self.take(")")
            self.take("(")
            inner = self.expr()
            self.take(")")
            return ("agg", name, by, inner)
        if name == "rate":
            self.take("(")
            sel = self.selector(self.take(kind="id"))
            self.take("[")
            self.take(kind="var")
            self.take("]")
            self.take(")")
            return ("rate", sel)
        if name == "histogram_quantile":
            self.take("(")
            q = float(self.take(kind="num"))
            self.take(",")
            inner = self.expr()
            self.take(")")
            return ("quantile", q, inner)
        return self.selector(name)

    def selector(self, name):
        matchers = []
        if self.peek()[1] == "{":
            self.take("{")
            while self.peek()[1] != "}":
                label = self.take(kind="id")
                op = self.take()
                if op not in ("=", "!=", "=~"):
                    raise ValueError("matcher %r" % op)
                value = self.take(kind="str")[1:-1]
                matchers.append((label, op, value))
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("}")
        return ("sel", name, matchers)


def parse_expr(expr):
    return Parser(expr).parse()


def selectors(tree):
    """[(metric name, labels the expression groups or filters it by)]."""
    kind = tree[0]
    if kind == "sel":
        return [(tree[1], {m[0] for m in tree[2] if "$" not in m[2]})]
    if kind == "rate":
        return selectors(tree[1])
    if kind == "quantile":
        return selectors(tree[2])
    inner = selectors(tree[3])
    if tree[2]:
        return [(n, ls | (set(tree[2]) - {"le", "instance"})) for n, ls in inner]
    return inner


def evaluate(tree, times, scrapes, window):
    """{labels: [value or None per scrape]}."""
    kind = tree[0]
    n = len(times)
    if kind == "sel":
        _, name, matchers = tree
        out = {}
        for i, s in enumerate(scrapes):
            for (sname, labels), v in s.items():
                if sname != name:
                    continue
                d = dict(labels)
                ok = True
                for label, op, value in matchers:
                    if "$" in value:
                        continue  # a dashboard variable: all
                    if op == "=" and d.get(label, "") != value:
                        ok = False
                    if op == "!=" and d.get(label, "") == value:
                        ok = False
                    if op == "=~" and not re.fullmatch(value, d.get(label, "")):
                        ok = False
                if ok:
                    out.setdefault(labels, [None] * n)[i] = v
        return out
    if kind == "rate":
        raw = evaluate(tree[1], times, scrapes, window)
        out = {}
        for labels, vs in raw.items():
            r = [None] * n
            for i in range(n):
                j = i
                while j > 0 and times[i] - times[j - 1] <= window:
                    j -= 1
                if j < i and vs[i] is not None and vs[j] is not None:
                    r[i] = max(0.0, vs[i] - vs[j]) / (times[i] - times[j])
            out[labels] = r
        return out
    if kind == "agg":
        _, op, by, inner = tree
        raw = evaluate(inner, times, scrapes, window)
        out = {}
        for labels, vs in raw.items():
            key = frozenset((k, v) for k, v in labels if by and k in by)
            acc = out.setdefault(key, [None] * n)
            for i, v in enumerate(vs):
                if v is None:
                    continue
                acc[i] = v if acc[i] is None else (acc[i] + v if op == "sum" else max(acc[i], v))
        return out
    if kind == "quantile":
        _, q, inner = tree
        raw = evaluate(inner, times, scrapes, window)
        groups = {}
        for labels, vs in raw.items():
            d = dict(labels)
            le = d.pop("le")
            groups.setdefault(frozenset(d.items()), []).append(
                (math.inf if le == "+Inf" else float(le), vs))
        out = {}
        for key, buckets in groups.items():
            buckets.sort()
            out[key] = [quantile(q, [(le, vs[i]) for le, vs in buckets]) for i in range(n)]
        return out
    raise ValueError(kind)


def quantile(q, buckets):
    """Prometheus' histogram_quantile over cumulative (upper bound, rate) pairs."""
    if any(v is None for _, v in buckets) or not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    prev_le, prev_v = 0.0, 0.0
    for le, v in buckets:
        if v >= rank:
            if math.isinf(le):
                return prev_le
            if v == prev_v:
                return le
            return prev_le + (le - prev_le) * (rank - prev_v) / (v - prev_v)
        prev_le, prev_v = le, v
    return prev_le


def legend(fmt, labels):
    d = dict(labels)
    return re.sub(r"\{\{\s*([a-zA-Z_]+)\s*\}\}", lambda m: d.get(m.group(1), ""), fmt) or "value"


# ---- drawing -------------------------------------------------------------------------------

UNITS = {  # Grafana unit -> (scale, axis label)
    "s": (1000.0, "ms"),
    "reqps": (1.0, "per second"),
    "Bps": (1.0 / 1024, "KiB/s"),
    "short": (1.0, ""),
    "none": (1.0, ""),
}


def render(dashboard, times, scrapes, out, window, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    plt.style.use("dark_background")
    height = rows / 8 * 3.1 + 0.8
    fig = plt.figure(figsize=(16, height), dpi=72)
    fig.patch.set_facecolor("#111217")
    grid = fig.add_gridspec(rows, 24, hspace=1.2, wspace=0.6,
                            left=0.04, right=0.99, top=1 - 0.9 / height, bottom=0.02)
    fig.suptitle(title, color="#d8d9da", fontsize=15, x=0.04, y=1 - 0.25 / height, ha="left")
    t0 = times[0]
    xs = [t - t0 for t in times]
    for p in panels:
        g = p["gridPos"]
        ax = fig.add_subplot(grid[g["y"]:g["y"] + g["h"] - 1, g["x"]:g["x"] + g["w"]])
        ax.set_facecolor("#181b1f")
        ax.set_title(p["title"], loc="left", fontsize=11, color="#d8d9da")
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        scale, axis = UNITS.get(unit, (1.0, unit))
        series = []
        for t in p["targets"]:
            result = evaluate(parse_expr(t["expr"]), times, scrapes, window)
            for labels, vs in sorted(result.items(), key=lambda kv: sorted(kv[0])):
                series.append((legend(t.get("legendFormat", ""), labels), vs))
        if p["type"] == "stat":
            ax.axis("off")
            for k, (name, vs) in enumerate(series):
                last = next((v for v in reversed(vs) if v is not None), None)
                ax.text(0.02, 0.8 - 0.3 * k, "%s  %s" % (name, "-" if last is None else "%d" % last),
                        fontsize=18, color="#73bf69", transform=ax.transAxes)
            continue
        drawn, top = 0, 0.0
        for name, vs in series:
            # A series that stayed at zero is noise in a picture (Grafana would draw it flat).
            if all(v is None or v == 0 for v in vs):
                continue
            ys = [None if v is None else v * scale for v in vs]
            ax.plot(xs, ys, label=name, linewidth=1.2)
            top = max([top] + [y for y in ys if y is not None])
            drawn += 1
        if drawn == 0:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", color="#8e8e8e",
                    transform=ax.transAxes)
        ax.set_xlim(0, xs[-1] if xs[-1] > 0 else 1)
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)  # room for the legend
        ax.set_ylabel(axis, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(color="#2c3235", linewidth=0.5)
        if drawn:
            ax.legend(fontsize=7, loc="upper left", ncol=3, framealpha=0.4)
    fig.text(0.99, 0.005, "seconds since the first scrape; rate() over %g s" % window,
             ha="right", fontsize=8, color="#8e8e8e")
    fig.savefig(out, facecolor=fig.get_facecolor())
    plt.close(fig)


# ---- collection ----------------------------------------------------------------------------

def collect(urls, seconds, interval, tick=None):
    times, scrapes = [], []
    end = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        merged = {}
        for k, url in enumerate(urls):
            merged.update(scrape(url, instance=str(k)))
        times.append(now)
        scrapes.append(merged)
        if tick:
            tick(len(times))
        if now >= end:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - now)))
    return times, scrapes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", action="append", default=[], help="a /metrics URL (repeatable)")
    ap.add_argument("--demo", action="store_true", help="start servers and a load (see above)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--window", type=float, default=5.0, help="rate() window, seconds")
    ap.add_argument("--dashboard", default=DASHBOARD)
    ap.add_argument("--out", default="dashboard.png")
    ap.add_argument("--dump", help="also write the scrapes as JSON here")
    args = ap.parse_args()
    with open(args.dashboard) as f:
        dashboard = json.load(f)
    if args.demo:
        sys.path.insert(0, HERE)
        import demo_load
        with demo_load.Demo(args.seconds) as demo:
            times, scrapes = collect(demo.urls, args.seconds, args.interval, demo.tick)
        title = "dnspushd: a primary and a secondary on 127.0.0.1 under load (demo_load.py)"
    elif args.url:
        times, scrapes = collect(args.url, args.seconds, args.interval)
        title = "dnspushd"
    else:
        ap.error("--url or --demo")
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump([{"t": t, "samples": [[n, sorted(ls), v] for (n, ls), v in s.items()]}
                       for t, s in zip(times, scrapes)], f)
    render(dashboard, times, scrapes, args.out, args.window, title)
    print("wrote %s (%d scrapes)" % (args.out, len(times)))


if __name__ == "__main__":
    main()
