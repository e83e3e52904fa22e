#!/usr/bin/python3
"""`dnspush watch` against a real dnspushd: discovery through the records dnspushd serves,
the JSON stream of changes made by nsupdate and by `dnspush update` (exactly the expected
lines), the server restarted in the middle of a watch (the watch reconnects and ends in
the correct state), the polling fallback, and the exit codes of the failures."""

import json
import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_helpers as ch  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

from client_helpers import ev  # noqa: E402

KEY = "%s:%s:%s" % (uh.KEY_ALGORITHM, uh.KEY_NAME, uh.KEY_SECRET)


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class WatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = uh.UpdateServer(tls=True).start()

    @classmethod
    def tearDownClass(cls):
        ch.stop_all()
        cls.server.stop()

    def tls_args(self, server=None):
        s = server or self.server
        return ["--resolver", "127.0.0.1:%d" % s.port, "--ca", s.cert_path]

    def watch(self, *args, server=None):
        w = ch.Watch("watch", "--json", *self.tls_args(server), *args)
        self.addCleanup(w.stop)
        return w

    def nsupdate(self, *commands, server=None):
        rc, r = uh.nsupdate((server or self.server).port, list(commands))
        self.assertEqual(rc, "NOERROR", r.stderr)

    def dnspush_update(self, *words, server=None):
        r = ch.run("update", "--server", "127.0.0.1:%d" % (server or self.server).port,
                   "--key", KEY, *words)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "NOERROR"), r.stderr)

    def test_json_lines_for_nsupdate_and_dnspush_update_changes(self):
        w = self.watch("w1.example.test", "A", "w1.example.test", "TXT")
        # Both subscriptions are up before anything changes; the name does not exist yet,
        # so nothing is printed.
        self.assertTrue(w.wait_stderr("TXT IN: subscribed", 10), w.stderr())
        self.assertTrue(w.wait_stderr("A IN: subscribed", 10), w.stderr())
        self.assertEqual(w.quiet(0.3), [])

        self.nsupdate("update add w1.example.test 60 A 192.0.2.1")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "w1.example.test.", "A", 60, "192.0.2.1")])
        self.dnspush_update("add", "w1.example.test", "60", "TXT", "hello world")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "w1.example.test.", "TXT", 60, '"hello world"')])
        self.dnspush_update("delete", "w1.example.test", "A", "192.0.2.1")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("remove", "w1.example.test.", "A", 60, "192.0.2.1")])
        self.nsupdate("update delete w1.example.test TXT")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("remove", "w1.example.test.", "TXT", 60, '"hello world"')])
        self.assertEqual(w.quiet(0.5), [])  # exactly these lines, nothing more
        # The time is RFC 3339 UTC with milliseconds.
        self.dnspush_update("replace", "w1.example.test", "30", "A", "192.0.2.9")
        line = w.take(1)[0]
        self.assertRegex(line, r'^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","event":"add"')

    def test_current_answers_first_then_changes_until_count(self):
        w = ch.Watch("watch", *self.tls_args(), "--count", "3", "www.example.test")
        first = w.take(2)
        self.assertEqual(sorted(re.sub(r"^\S+ ", "", l) for l in first),
                         ["+ www.example.test. 3600 IN A 192.0.2.10",
                          "+ www.example.test. 3600 IN A 192.0.2.11"])
        self.nsupdate("update add www.example.test 3600 A 192.0.2.12")
        self.assertEqual([re.sub(r"^\S+ ", "", l) for l in w.take(1)],
                         ["+ www.example.test. 3600 IN A 192.0.2.12"])
        self.assertEqual(w.wait(), 0)
        self.nsupdate("update delete www.example.test A 192.0.2.12")

    def test_timeout_stops_the_watch_by_itself(self):
        start = time.monotonic()
        r = ch.run("watch", *self.tls_args(), "--timeout", "1", "--json", "www.example.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(sorted(json.loads(l)["rdata"] for l in r.stdout.splitlines()),
                         ["192.0.2.10", "192.0.2.11"])

    def test_discovery_through_the_records_dnspushd_serves(self):
        r = ch.run("discover", "--resolver", "127.0.0.1:%d" % self.server.port,
                   "_ipp._tcp.example.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("zone: example.test.", r.stdout)
        self.assertIn("push.example.test.:%d" % self.server.tls_port, r.stdout)
        self.assertIn("SOA in the authority section", r.stdout)
        self.assertRegex(r.stdout, r"watch: +DNS Push at push\.example\.test\.:%d \(127\.0\.0\.1\)"
                         % self.server.tls_port)
        # --server skips discovery: the TLS name is then given.
        w = ch.Watch("watch", "--server", "127.0.0.1:%d" % self.server.tls_port, "--tls-name",
                     "push.example.test", "--ca", self.server.cert_path, "--count", "1",
                     "--json", "mail.example.test", "AAAA")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "mail.example.test.", "AAAA", 3600, "2001:db8::25")])
        self.assertEqual(w.wait(), 0)

    def test_the_next_srv_target_is_tried_when_the_first_fails(self):
        # Records put in the zone replace the discovery SRV dnspushd answers itself
        # (docs/CONFIG.md): the first target in RFC 2782 order refuses connections.
        s = uh.UpdateServer(tls=True).start()
        self.addCleanup(s.stop)
        dead = harness.free_port()
        self.nsupdate("update add _dns-push-tls._tcp.example.test 300 SRV 0 0 %d dead.example.test"
                      % dead,
                      "update add dead.example.test 300 A 127.0.0.1",
                      "update add _dns-push-tls._tcp.example.test 300 SRV 10 0 %d push.example.test"
                      % s.tls_port, server=s)
        r = ch.run("discover", "--resolver", "127.0.0.1:%d" % s.port, "_ipp._tcp.example.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        first = r.stdout.index("dead.example.test. port %d" % dead)
        second = r.stdout.index("push.example.test. port %d" % s.tls_port)
        self.assertLess(first, second, r.stdout)
        w = self.watch("-v", "www.example.test", "A", server=s)
        self.assertEqual(sorted(e["rdata"] for e in w.events(2)), ["192.0.2.10", "192.0.2.11"],
                         w.stderr())
        self.assertTrue(w.wait_stderr("subscribed at push.example.test", 10), w.stderr())
        self.assertIn(":%d (TLS" % s.tls_port, w.stderr())

    def test_restart_mid_watch_reconnects_and_ends_in_the_correct_state(self):
        s = uh.UpdateServer(tls=True).start()
        self.addCleanup(s.stop)
        w = self.watch("-v", "www.example.test", "A", server=s)
        self.assertEqual(sorted(e["rdata"] for e in w.events(2)), ["192.0.2.10", "192.0.2.11"])
        s.stop()
        self.assertTrue(w.wait_stderr("push session lost", 10), w.stderr())
        # While it is down, 192.0.2.11 goes and 192.0.2.12 comes (a new zone file).
        with open(s.zone_path) as f:
            text = f.read()
        text = text.replace("2024010101 ; serial", "2024010102 ; serial")
        text = text.replace("www             IN A     192.0.2.11",
                            "www             IN A     192.0.2.12")
        with open(s.zone_path, "w") as f:
            f.write(text)
        shutil.rmtree(os.path.join(s.state_dir, "journal"), ignore_errors=True)
        s.start()
        got = ch.strip_time(w.events(2, timeout=20))
        # The new record at once; the removal when the new initial answer is complete.
        self.assertEqual(got, [ev("add", "www.example.test.", "A", 3600, "192.0.2.12"),
                               ev("remove", "www.example.test.", "A", 3600, "192.0.2.11")],
                         w.stderr())
        self.assertEqual(w.quiet(1.5), [])  # 192.0.2.10 stayed: not removed and re-added
        # And it is live again.
        self.nsupdate("update add www.example.test 3600 A 192.0.2.13", server=s)
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "www.example.test.", "A", 3600, "192.0.2.13")])

    def test_exit_codes(self):
        port = "127.0.0.1:%d" % self.server.port
        # REFUSED: unsigned; NOTAUTH: the wrong key (the server's TSIG check).
        r = ch.run("update", "--server", port, "add", "x.example.test", "60", "A", "192.0.2.1")
        self.assertEqual((r.returncode, r.stdout.strip()), (6, "REFUSED"))
        r = ch.run("update", "--server", port, "--key",
                   "hmac-sha256:%s:%s" % (uh.KEY_NAME, uh.BAD_SECRET),
                   "add", "x.example.test", "60", "A", "192.0.2.1")
        self.assertEqual(r.returncode, 7, r.stdout + r.stderr)
        self.assertIn("NOTAUTH", r.stdout)
        # The key from a BIND-format file works like --key.
        r = ch.run("update", "--server", port, "--key-file",
                   os.path.join(harness.SRC, "examples", "example-key.conf"),
                   "delete", "x.example.test")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "NOERROR"), r.stderr)
        # This server does no LLQ: no _dns-llq._udp SRV (test_client_llq.py has the rest).
        r = ch.run("watch", "--protocol", "llq", "--resolver", port, "www.example.test")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("no LLQ server", r.stderr)
        # Nothing answers: a timeout.
        r = ch.run("query", "--server", "127.0.0.1:%d" % harness.free_port(), "--timeout", "1",
                   "www.example.test")
        self.assertEqual(r.returncode, 9, r.stderr)
        # No zone at all.
        r = ch.run("watch", "--protocol", "push", "--resolver", port, "www.nowhere.invalid")
        self.assertEqual(r.returncode, 3, r.stderr)
        # Bad arguments.
        r = ch.run("update", "--server", port, "add", "x.example.test", "sixty", "A", "192.0.2.1")
        self.assertEqual(r.returncode, 2)
        r = ch.run("watch")
        self.assertEqual(r.returncode, 2)

    def test_help_on_every_command(self):
        top = ch.run("--help")
        self.assertEqual(top.returncode, 0, top.stderr)
        for cmd, option in (("watch", "--json"), ("browse", "--json"), ("discover", "--resolver"),
                            ("query", "--tls"), ("update", "--key-file")):
            r = ch.run(cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd + ": " + r.stderr)
            self.assertIn(cmd, r.stdout)  # this command's usage and its own options
            self.assertIn(option, r.stdout, cmd)
            self.assertIn(cmd, top.stdout)  # listed in the overview

    def test_browse_keeps_instances_live(self):
        w = ch.Watch("browse", "--json", *self.tls_args(), "_printer._tcp", "example.test")
        self.addCleanup(w.stop)
        self.assertTrue(w.wait_stderr("subscribed", 10), w.stderr())
        self.assertEqual(w.quiet(0.5), [])
        inst = r"Ink\032Jet._printer._tcp.example.test."
        self.nsupdate("update add %s 60 SRV 0 0 515 printer.example.test." % inst,
                      "update add %s 60 TXT \"rp=lp\"" % inst,
                      "update add _printer._tcp.example.test 60 PTR %s" % inst)
        e = w.events(1)[0]
        self.assertEqual((e["event"], e["instance"], e["host"], e["port"], e["txt"]),
                         ("add", "Ink Jet", "printer.example.test.", 515, ["rp=lp"]))
        self.assertEqual(sorted(e["addresses"]), ["192.0.2.31", "2001:db8::31"])
        self.nsupdate("update delete %s TXT" % inst, "update add %s 60 TXT \"rp=raw\"" % inst)
        e = w.events(1)[0]
        self.assertEqual((e["event"], e["txt"]), ("update", ["rp=raw"]))
        self.nsupdate("update delete _printer._tcp.example.test PTR")
        e = w.events(1)[0]
        self.assertEqual((e["event"], e["instance"]), ("remove", "Ink Jet"))

    def test_the_example_program_browses(self):
        prog = os.path.join(harness.BIN, "dnssd_browse")
        if not os.access(prog, os.X_OK):
            self.skipTest("examples not built")
        w = ch.Watch.program(prog, "_ipp._tcp", "example.test", "127.0.0.1:%d" % self.server.port,
                             self.server.cert_path)
        self.addCleanup(w.stop)
        line = w.take(1)[0]
        self.assertRegex(line, r"^appeared +Office Printer +printer\.example\.test\. port 631 ")
        self.assertIn("txtvers=1", line)

    def test_query_over_udp_tcp_and_tls(self):
        for extra in ([], ["--tcp"]):
            r = ch.run("query", "--server", "127.0.0.1:%d" % self.server.port, *extra,
                       "www.example.test", "AAAA")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("www.example.test.\t3600\tIN\tAAAA\t2001:db8::10", r.stdout)
        r = ch.run("query", "--tls", "--server", "127.0.0.1:%d" % self.server.tls_port,
                   "--tls-name", "push.example.test", "--ca", self.server.cert_path,
                   "mail.example.test", "A")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(TLS)", r.stdout)
        r = ch.run("query", "--server", "127.0.0.1:%d" % self.server.port, "nosuch.example.test")
        self.assertEqual(r.returncode, 0)
        self.assertIn("status: NXDOMAIN", r.stdout)


class FallbackTest(unittest.TestCase):
    """A zone without a push server (no TLS listener, so no _dns-push-tls._tcp SRV)."""

    @classmethod
    def setUpClass(cls):
        cls.server = uh.UpdateServer(tls=False).start()

    @classmethod
    def tearDownClass(cls):
        ch.stop_all()
        cls.server.stop()

    def test_push_only_fails_and_auto_polls_respecting_the_ttl(self):
        res = "127.0.0.1:%d" % self.server.port
        r = ch.run("watch", "--protocol", "push", "--resolver", res, "www.example.test")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("no DNS Push server", r.stderr)

        rc, p = uh.nsupdate(self.server.port, ["update add poll.example.test 1 A 192.0.2.1"])
        self.assertEqual(rc, "NOERROR", p.stderr)
        w = ch.Watch("watch", "--json", "--resolver", res, "poll.example.test")
        self.addCleanup(w.stop)
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "poll.example.test.", "A", 1, "192.0.2.1")])
        self.assertTrue(w.wait_stderr("polling", 5), w.stderr())
        rc, p = uh.nsupdate(self.server.port, ["update delete poll.example.test A",
                                               "update add poll.example.test 1 A 192.0.2.2"])
        self.assertEqual(rc, "NOERROR", p.stderr)
        # RFC 8765 §6.1: the next poll comes TTL + 2 s = 3 s after the last answer.
        got = ch.strip_time(w.events(2, timeout=8))
        self.assertEqual(sorted((e["event"], e["rdata"]) for e in got),
                         [("add", "192.0.2.2"), ("remove", "192.0.2.1")])


if __name__ == "__main__":
    harness.main()
