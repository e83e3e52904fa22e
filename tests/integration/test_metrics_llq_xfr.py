#!/usr/bin/python3
"""The metrics of LLQ, NOTIFY out and zone transfers, scraped from two real dnspushd: a
primary (UPDATEs, LLQ, NOTIFY to the secondary, transfers out) and a dnspushd secondary
following it. Every value checked is one the test caused: LLQs set up (challenge and ACK
answers), refreshed, cancelled, dropped unacknowledged after their resends, refused
SERV-FULL at the per-address limit; events sent and acknowledged; NOTIFYs sent and
acknowledged; the secondary's checks and its AXFR then IXFR; the primary's AXFR and IXFR
out and the requests it refused (bad TSIG, not a zone of ours); the commit histogram."""

import os
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import secondary_helpers as sh  # noqa: E402
import update_helpers as uh  # noqa: E402
from test_llq import Client, option, llq_options, SETUP, REFRESH, NO_ERROR, SERV_FULL  # noqa: E402
from test_metrics import parse, value  # noqa: E402

PER_ADDRESS = 2


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return parse(r.read().decode())


def scrape_when_up(port):
    """A scrape, or {} while the server is still starting."""
    try:
        return scrape(port)
    except OSError:
        return {}


@unittest.skipUnless(uh.have_tools("nsupdate", "dig"), "needs nsupdate and dig (bind9-dnsutils)")
class LlqTransferMetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.primary_metrics = harness.free_port()
        cls.secondary_metrics = harness.free_port()
        cls.llq_port = harness.free_port()
        cls.secondary = sh.SecondaryServer(
            0, extra='[metrics]\nlisten = "127.0.0.1:%d"\n' % cls.secondary_metrics,
            zone_extra="refresh-s = 3600\n")
        # One worker: the per-address LLQ limit is per worker.
        extra = ('[metrics]\nlisten = "127.0.0.1:%d"\n'
                 '[llq]\nenabled = true\nlisten = ["127.0.0.1:%d"]\n'
                 "max-llqs-per-address = %d\nevent-resend-ms = 300\nevent-transmissions = 2\n"
                 % (cls.primary_metrics, cls.llq_port, PER_ADDRESS))
        cls.primary = uh.UpdateServer(workers=1, tls=True, extra=extra,
                                     notify=[cls.secondary.port])
        cls.primary.start()
        cls.secondary.primary_port = cls.primary.port
        cls.secondary.write_config()
        cls.secondary.start()

    @classmethod
    def tearDownClass(cls):
        rcs = [s.stop() for s in (cls.secondary, cls.primary)]
        if rcs != [0, 0]:
            raise AssertionError("exit statuses %s:\n%s\n%s" % (
                rcs, cls.primary.log()[-3000:], cls.secondary.log()[-3000:]))

    def client(self, source):
        c = Client(self.llq_port, source)
        self.addCleanup(c.close)
        return c

    def test_llq_notify_and_transfers_are_counted(self):
        # The secondary's first copy came by AXFR when it started.
        uh.wait_for(lambda: uh.soa_serial(self.secondary.port) == uh.soa_serial(self.primary.port),
                    15)
        p0, s0 = scrape(self.primary_metrics), scrape(self.secondary_metrics)
        self.assertGreaterEqual(value(s0, "dnspush_xfr_checks_total"), 1)
        self.assertEqual(value(s0, "dnspush_transfers_in_total", kind="axfr"), 1)
        self.assertEqual(value(p0, "dnspush_transfers_out_total", kind="axfr"), 1)

        # Two LLQs from 127.0.0.2 (the per-address limit): A acknowledges its events, B
        # never does; a third from that address is SERV-FULL. C, from 127.0.0.3, is
        # refreshed and then cancelled.
        a, b, full, c = (self.client("127.0.0.2"), self.client("127.0.0.2"),
                         self.client("127.0.0.2"), self.client("127.0.0.3"))
        a_id, _, _ = a.setup("ev.example.test")
        b.setup("ev.example.test")
        ch, _ = full.ask("ev.example.test", [option(SETUP, 0, 7200)])
        self.assertEqual(llq_options(ch)[0][2], SERV_FULL)
        c_id, lease, _ = c.setup("other.example.test")
        r, _ = c.ask("other.example.test", [option(REFRESH, c_id, lease)])
        self.assertEqual(llq_options(r)[0][2], NO_ERROR)
        # LLQs share the worker's subscription index with DNS Push but are not push
        # subscriptions: one push subscriber makes dnspush_subscriptions 1, not 4.
        push = dc.DsoClient(self.primary.tls_port)
        self.addCleanup(push.close)
        _, r = push.subscribe("ev.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        mid = scrape(self.primary_metrics)
        self.assertEqual(value(mid, "dnspush_llqs"), 3)
        self.assertEqual(value(mid, "dnspush_subscriptions"), 1)

        rc, r = uh.nsupdate(self.primary.port, ["update add ev.example.test 60 A 192.0.2.1"])
        self.assertEqual(rc, "NOERROR", r.stderr)
        ev, _ = a.event()
        self.assertIsNotNone(ev)
        a.ack(ev)
        r, _ = c.ask("other.example.test", [option(REFRESH, c_id, 0)])  # lease 0: cancel
        self.assertEqual(llq_options(r)[0][2], NO_ERROR)
        # B's event: sent, resent once after 300 ms, and the LLQ dropped 600 ms later.
        uh.wait_for(lambda: value(scrape(self.primary_metrics), "dnspush_llqs") == 1, 10)
        # The NOTIFY made the secondary check and take the change by IXFR.
        uh.wait_for(lambda: uh.soa_serial(self.secondary.port) == uh.soa_serial(self.primary.port),
                    15)
        uh.wait_for(lambda: value(scrape(self.primary_metrics), "dnspush_notify_results_total",
                                  result="acknowledged") >= 1, 10)
        # Transfers refused by the primary: a bad TSIG, and a zone that is not ours.
        harness.run(["dig", "@127.0.0.1", "-p", str(self.primary.port), "+time=3", "+tries=1",
                     "-y", "%s:%s:%s" % (uh.KEY_ALGORITHM, uh.KEY_NAME, uh.BAD_SECRET),
                     "example.test", "AXFR"])
        harness.run(["dig", "@127.0.0.1", "-p", str(self.primary.port), "+time=3", "+tries=1",
                     "nothere.test", "AXFR"])
        p1, s1 = scrape(self.primary_metrics), scrape(self.secondary_metrics)

        def dp(name, **labels):
            return value(p1, name, **labels) - value(p0, name, **labels)

        def ds(name, **labels):
            return value(s1, name, **labels) - value(s0, name, **labels)

        # LLQ: 3 setups of 2 answers each (challenge, ACK), 1 refresh and 1 cancel answered
        # NO-ERROR; 1 SERV-FULL, counted as the per-address limit.
        self.assertEqual(dp("dnspush_llq_answers_total", error="NO-ERROR"), 8)
        self.assertEqual(dp("dnspush_llq_answers_total", error="SERV-FULL"), 1)
        self.assertEqual(dp("dnspush_limit_hits_total", limit="max_llqs_per_address"), 1)
        self.assertEqual(dp("dnspush_limit_hits_total", limit="max_llqs"), 0)
        self.assertEqual(dp("dnspush_llq_established_total"), 3)
        self.assertEqual(dp("dnspush_llq_refreshes_total"), 1)
        self.assertEqual(dp("dnspush_llqs_ended_total", reason="cancelled"), 1)
        self.assertEqual(dp("dnspush_llqs_ended_total", reason="unacknowledged"), 1)
        self.assertEqual(dp("dnspush_llqs_ended_total", reason="expired"), 0)
        self.assertEqual(dp("dnspush_llq_events_total"), 2)  # one to A, one to B
        self.assertEqual(dp("dnspush_llq_event_resends_total"), 1)  # B's, once
        self.assertEqual(dp("dnspush_llq_event_acks_total"), 1)  # A's
        self.assertEqual(value(p1, "dnspush_llqs"), 1)  # A
        # The UPDATE: one commit, timed.
        self.assertEqual(dp("dnspush_commit_seconds_count"), 1)
        self.assertGreater(dp("dnspush_commit_seconds_sum"), 0)
        # NOTIFY out: sent to the secondary and acknowledged.
        self.assertGreaterEqual(dp("dnspush_notifies_out_total"), 1)
        self.assertGreaterEqual(dp("dnspush_notify_results_total", result="acknowledged"), 1)
        self.assertEqual(dp("dnspush_notify_results_total", result="timed_out"), 0)
        # Transfers out: the secondary's IXFR; refusals by reason.
        self.assertEqual(dp("dnspush_transfers_out_total", kind="ixfr"), 1)
        self.assertEqual(dp("dnspush_transfers_refused_total", reason="tsig"), 1)
        self.assertEqual(dp("dnspush_transfers_refused_total", reason="not_authoritative"), 1)
        # Transfers in: the NOTIFY's check, an IXFR, nothing failed or fell back.
        self.assertGreaterEqual(ds("dnspush_xfr_checks_total"), 1)
        self.assertEqual(ds("dnspush_transfers_in_total", kind="ixfr"), 1)
        self.assertEqual(ds("dnspush_xfr_fallbacks_total"), 0)
        self.assertEqual(sum(v for (n, _), v in s1.items() if n == "dnspush_xfr_failures_total"), 0)
        self.assertEqual(value(s1, "dnspush_zone_expiries_total"), 0)
        self.assertEqual(value(s1, "dnspush_zone_serial", zone="example.test."),
                         uh.soa_serial(self.primary.port))
        # The secondary commits the IXFR like an UPDATE (no UPDATE batch: no commit timing).
        self.assertEqual(ds("dnspush_commits_total"), 1)


class TransferConnectionTest(unittest.TestCase):
    """Found through dnspush_connections: a connection that served a transfer must notice
    its client closing at once, not hold the socket in CLOSE-WAIT until the idle timeout
    (10 s; a secondary following a busy primary opened one per NOTIFY)."""

    def test_closed_after_the_transfer_when_the_client_closes(self):
        port = harness.free_port()
        server = uh.UpdateServer(workers=1,
                                 extra='[metrics]\nlisten = "127.0.0.1:%d"\n' % port).start()
        try:
            for rtype in ("AXFR", "SOA"):  # a transfer, then an ordinary TCP query
                r = harness.run(["dig", "@127.0.0.1", "-p", str(server.port), "+tcp",
                                 "+time=3", "+tries=1", "example.test", rtype])
                self.assertIn("status: NOERROR" if rtype == "SOA" else "SOA", r.stdout)
                t0 = time.monotonic()
                uh.wait_for(lambda: value(scrape(port), "dnspush_connections") == 0, 8)
                self.assertLess(time.monotonic() - t0, 3, rtype)
            s = scrape(port)
            self.assertEqual(value(s, "dnspush_sessions_closed_total", reason="idle_timeout"), 0)
            self.assertEqual(value(s, "dnspush_sessions_closed_total", reason="peer_closed"), 2)
        finally:
            self.assertEqual(server.stop(), 0)


class TransferFailureMetricsTest(unittest.TestCase):
    """A primary whose transfer policy refuses the secondary: the primary counts a policy
    refusal, the secondary a failure by REFUSED and no transfer in."""

    def test_refused_transfer_is_counted(self):
        pm, sm = harness.free_port(), harness.free_port()
        primary = uh.UpdateServer(workers=1, extra='[metrics]\nlisten = "127.0.0.1:%d"\n' % pm)
        with open(primary.config) as f:
            text = f.read()
        with open(primary.config, "w") as f:
            f.write(text.replace('network = "127.0.0.0/8"', 'network = "192.0.2.0/24"'))
        primary.start()
        secondary = sh.SecondaryServer(primary.port, zone_extra="retry-s = 1\n",
                                       extra='[metrics]\nlisten = "127.0.0.1:%d"\n' % sm)
        try:
            secondary.start(wait=False)
            uh.wait_for(lambda: value(scrape_when_up(sm), "dnspush_xfr_failures_total",
                                      reason="refused") >= 1, 15)
            s, p = scrape(sm), scrape(pm)
            self.assertGreaterEqual(value(s, "dnspush_xfr_checks_total"),
                                    value(s, "dnspush_xfr_failures_total", reason="refused"))
            self.assertEqual(sum(v for (n, _), v in s.items() if n == "dnspush_transfers_in_total"),
                             0)
            self.assertGreaterEqual(value(p, "dnspush_transfers_refused_total", reason="policy"), 1)
            self.assertEqual(sum(v for (n, _), v in p.items()
                                 if n == "dnspush_transfers_out_total"), 0)
        finally:
            rcs = [secondary.stop(), primary.stop()]
        self.assertEqual(rcs, [0, 0])


if __name__ == "__main__":
    harness.main()
