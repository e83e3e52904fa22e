#!/usr/bin/python3
"""The restart paths operators hit (issue 11): a zone file edited while dnspushd was down
(journal present, file serial newer) is merged onto the journal's zone as one changeset, so
an IXFR from the pre-restart serial is exactly the edit and the UPDATEs made before the
crash are still served; a file edited without a newer serial is reported and not applied;
dnspushctl freeze writes the zone's current contents (UPDATEs included) over the file, so
thaw pushes exactly the operator's edit; a secondary zone cannot be frozen."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.query  # noqa: E402
import dns.rdatatype  # noqa: E402

DNSPUSHCTL = os.path.join(harness.BIN, "dnspushctl")


def ixfr(port, serial):
    """The IXFR answer from `serial` as dnspython parses it: (removed, added) record texts of
    each difference sequence, in order, SOAs aside (RFC 1995 §4)."""
    msgs = list(dns.query.xfr("127.0.0.1", harness.ORIGIN, rdtype=dns.rdatatype.IXFR,
                              serial=serial, port=port, timeout=5, lifetime=15,
                              relativize=False))
    rrs = []
    for m in msgs:
        for rrset in m.answer:
            for rd in rrset:
                rrs.append((rrset.name.to_text(omit_final_dot=False), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                            rd.to_text()))
    # SOA new, then (SOA old, removed..., SOA new, added...)*, then SOA new.
    assert rrs[0][2] == "SOA" and rrs[-1][2] == "SOA", rrs
    seqs, cur, side = [], None, None
    for r in rrs[1:-1]:
        if r[2] == "SOA":
            if side in (None, "added"):
                cur = ([], [])
                seqs.append(cur)
                side = "removed"
            else:
                side = "added"
            continue
        cur[0 if side == "removed" else 1].append(r)
    return seqs


def bump_serial(text, old, new):
    """The zone file text with the SOA's serial `old` (the first one after "SOA", possibly on
    a later line of a parenthesised SOA) replaced by `new`."""
    out = re.sub(r"(\bSOA\b[^;]*?(?:;[^\n]*\n[^;]*?)*?)\b%d\b" % old, r"\g<1>%d" % new, text,
                 count=1)
    assert out != text
    return out


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.server = uh.UpdateServer(tls=True, workers=2)

    def tearDown(self):
        self.server.stop()

    def ctl(self, *args):
        return subprocess.run([DNSPUSHCTL, "-c", self.server.config, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=15)

    def read_zone(self):
        with open(self.server.zone_path) as f:
            return f.read()

    def write_zone(self, text):
        with open(self.server.zone_path, "w") as f:
            f.write(text)

    def test_file_edited_while_down_is_merged_as_one_changeset(self):
        s = self.server.start()
        rc, r = uh.nsupdate(s.port, ["update add upd.example.test 60 A 192.0.2.61"])
        self.assertEqual(rc, "NOERROR", r.stderr)
        before = uh.soa_serial(s.port)
        s.kill()  # a crash: nothing written back
        # The operator edits the file as it was (without the UPDATE) and raises the serial.
        self.write_zone(bump_serial(self.read_zone(), before - 1, before + 10) +
                        "\nedit.example.test. 300 IN TXT \"by hand\"\n")
        s.start()
        self.assertEqual(uh.soa_serial(s.port), before + 10)
        self.assertEqual(s.dig("upd.example.test").rdatas("ANSWER", "A"), ["192.0.2.61"])
        self.assertEqual(s.dig("edit.example.test", "TXT").rdatas("ANSWER", "TXT"),
                         ['"by hand"'])
        # IXFR from the serial before the restart: exactly the edit.
        seqs = ixfr(s.port, before)
        self.assertEqual(len(seqs), 1, seqs)
        self.assertEqual(seqs[0][0], [])
        self.assertEqual(seqs[0][1], [("edit.example.test.", 300, "TXT", '"by hand"')])
        self.assertIn("edit since it was last read", s.log())
        # And a second restart finds nothing new to apply.
        s.stop()
        s.start()
        self.assertEqual(uh.soa_serial(s.port), before + 10)
        self.assertEqual(len(ixfr(s.port, before)), 1)

    def test_file_edited_without_a_new_serial_is_reported_not_applied(self):
        s = self.server.start()
        serial = uh.soa_serial(s.port)
        s.stop()
        self.write_zone(self.read_zone() + "\nsneaky.example.test. 300 IN A 192.0.2.66\n")
        s.start()
        self.assertEqual(uh.soa_serial(s.port), serial)
        self.assertEqual(s.dig("sneaky.example.test").status, "NXDOMAIN")
        self.assertRegex(s.log(), r"zone example\.test\.: the zone file was edited without a "
                         r"newer serial \(file serial %d, zone serial %d\): 1 record only in "
                         r"the file, 0 only in the zone; not applied" % (serial, serial))
        # The same rule on reload.
        self.assertEqual(self.ctl("reload", "example.test").returncode, 0)
        self.assertTrue(uh.wait_for(lambda: s.log().count("edited without a newer serial") >= 2,
                                    5.0), s.log())
        self.assertEqual(s.dig("sneaky.example.test").status, "NXDOMAIN")

    def test_freeze_writes_the_zone_back_and_thaw_pushes_only_the_edit(self):
        s = self.server.start()
        rc, r = uh.nsupdate(s.port, ["update add upd.example.test 60 A 192.0.2.62"])
        self.assertEqual(rc, "NOERROR", r.stderr)
        serial = uh.soa_serial(s.port)
        c = dc.DsoClient(s.tls_port)
        try:
            for name in ("frozen.example.test", "upd.example.test"):
                _, resp = c.subscribe(name, "A")
                self.assertEqual(resp["rcode"], 0)
            c.pushes(1.0)  # the initial answers
            out = self.ctl("freeze", "example.test")
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("serial %d written to %s" % (serial, s.zone_path), out.stdout)
            text = self.read_zone()
            lines = [l for l in text.splitlines() if l and not l.startswith(";")]
            self.assertTrue(lines[0].startswith("$ORIGIN example.test."), lines[:2])
            self.assertEqual(lines[1].split()[3], "SOA", lines[1])
            self.assertTrue(any(l.startswith("upd") and "192.0.2.62" in l for l in lines), text)
            # A second freeze does not overwrite what the operator is editing.
            self.write_zone(bump_serial(text, serial, serial + 1) +
                            "frozen.example.test. 300 IN A 198.51.100.9\n")
            again = self.ctl("freeze", "example.test")
            self.assertIn("already frozen", again.stdout)
            self.assertIn("198.51.100.9", self.read_zone())
            self.assertEqual(self.ctl("thaw", "example.test").returncode, 0)
            got = [p.text() for p in c.pushes(5.0, until=lambda rs: rs)]
            self.assertEqual(got, ["frozen.example.test. A IN +300 198.51.100.9"])
            self.assertEqual(c.pushes(1.0), [])  # nothing else: not the UPDATE's record
            self.assertEqual(uh.soa_serial(s.port), serial + 1)
            self.assertEqual(s.dig("upd.example.test").rdatas("ANSWER", "A"), ["192.0.2.62"])
        finally:
            c.close()

    def test_secondary_zone_cannot_be_frozen(self):
        with open(self.server.config, "a") as f:
            f.write('[[zone]]\norigin = "sec.test"\nprimaries = ["127.0.0.1:9"]\n')
        self.server.start()
        for cmd in ("freeze", "thaw"):
            r = self.ctl(cmd, "sec.test")
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("sec.test. is a secondary zone: it has no zone file to edit", r.stdout)


if __name__ == "__main__":
    harness.main()
