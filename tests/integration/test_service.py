#!/usr/bin/python3
"""dnspushd as a service: the sd_notify protocol on a UNIX datagram socket the test owns
($NOTIFY_SOCKET): READY=1 only once queries are answered, WATCHDOG=1 at half of
$WATCHDOG_USEC, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM; none of it
without $NOTIFY_SOCKET. Started as root with `user = "nobody"` on a port below 1024:
the process runs as nobody (/proc/<pid>/status), answers queries and UPDATEs, and its state
files belong to nobody; a state directory nobody cannot write is refused by name."""

import os
import pwd
import random
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402


class NotifySocket:
    """systemd's side of sd_notify: a datagram socket; next() returns one message."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)  # as /run/systemd/notify: writable after a user switch

    def next(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(4096).decode()
        except socket.timeout:
            return None

    def until(self, needle, timeout):
        """Messages up to and including the first containing `needle` (None if it never
        comes within `timeout` s)."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.next(max(0.01, deadline - time.monotonic()))
            if m is None:
                break
            seen.append(m)
            if needle in m:
                return seen
        return None

    def close(self):
        self.sock.close()


def answers_now(port):
    """One UDP query, one try, 1 s: does the server answer right now?"""
    r = harness.run(["dig", "@127.0.0.1", "-p", str(port), "+norec", "+time=1", "+tries=1",
                     harness.ORIGIN, "SOA"], timeout=5)
    return r.returncode == 0 and "status: NOERROR" in r.stdout


class SdNotifyTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(tls=False, workers=2)
        self.notify = NotifySocket(self.server.dir)

    def tearDown(self):
        self.server.stop()
        self.notify.close()

    def spawn(self, **env):
        full = dict(os.environ)
        full.pop("NOTIFY_SOCKET", None)
        full.pop("WATCHDOG_USEC", None)
        full.update(env)
        self.server._log = open(self.server.log_path, "w")
        self.server.proc = subprocess.Popen(
            [harness.DNSPUSHD, "--config", self.server.config], stdout=self.server._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.server.dir, env=full)

    def test_ready_watchdog_reload_stopping(self):
        self.spawn(NOTIFY_SOCKET=self.notify.path, WATCHDOG_USEC="400000")
        msgs = self.notify.until("READY=1", harness.READY_TIMEOUT)
        self.assertIsNotNone(msgs, self.server.log())
        # READY=1 is the first thing said, and by then the server answers at once.
        self.assertEqual(len(msgs), 1, msgs)
        self.assertIn("STATUS=serving 1 zone with 2 workers", msgs[0])
        self.assertTrue(answers_now(self.server.port), self.server.log())

        # Watchdog: WATCHDOG_USEC/2 = 200 ms apart; over 1.5 s at least 4 of them.
        start = time.monotonic()
        pings = 0
        while time.monotonic() - start < 1.5:
            m = self.notify.next(1.0)
            if m == "WATCHDOG=1":
                pings += 1
        self.assertGreaterEqual(pings, 4)
        self.assertLessEqual(pings, 9)

        os.kill(self.server.proc.pid, signal.SIGHUP)
        msgs = self.notify.until("RELOADING=1", 5)
        self.assertIsNotNone(msgs)
        self.assertIsNotNone(self.notify.until("READY=1", 5))

        os.kill(self.server.proc.pid, signal.SIGTERM)
        msgs = self.notify.until("STOPPING=1", 5)
        self.assertIsNotNone(msgs, self.server.log())
        self.assertEqual(self.server.proc.wait(timeout=10), 0)

    def test_no_watchdog_when_it_names_another_process(self):
        self.spawn(NOTIFY_SOCKET=self.notify.path, WATCHDOG_USEC="100000", WATCHDOG_PID="1")
        self.assertIsNotNone(self.notify.until("READY=1", harness.READY_TIMEOUT))
        self.assertIsNone(self.notify.next(0.5))  # no WATCHDOG=1 at 50 ms intervals

    def test_silent_without_notify_socket(self):
        self.spawn()
        deadline = time.monotonic() + harness.READY_TIMEOUT
        while not answers_now(self.server.port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(answers_now(self.server.port), self.server.log())
        self.assertIsNone(self.notify.next(0.3))
        self.assertEqual(self.server.stop(), 0)


def low_port():
    """A port below 1024 free on 127.0.0.1 for UDP and TCP (root binds it)."""
    for _ in range(100):
        port = random.randint(600, 1000)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind(("127.0.0.1", port))
            udp.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            tcp.close()
            udp.close()
    raise RuntimeError("no free port below 1024")


def status_ids(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return [int(x) for x in line.split()[1:]]
    return None


@unittest.skipUnless(os.geteuid() == 0, "needs root (CI runs as root)")
@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class PrivilegeDropTest(unittest.TestCase):
    def setUp(self):
        self.nobody = pwd.getpwnam("nobody")
        self.server = uh.UpdateServer(workers=2)
        self.server.port = low_port()
        self.server.write_config()
        with open(self.server.config) as f:
            text = f.read()
        with open(self.server.config, "w") as f:
            f.write(text.replace("[server]\n", '[server]\nuser = "nobody"\n', 1))
        # Everything the server reads after the switch must be readable for nobody (as the
        # zone file is on every SIGHUP).
        os.chmod(self.server.dir, 0o755)
        os.chmod(self.server.zone_path, 0o644)

    def tearDown(self):
        self.server.stop()

    def test_runs_as_nobody_after_binding_a_low_port(self):
        self.server.start()
        pid = self.server.proc.pid
        uid, gid = self.nobody.pw_uid, self.nobody.pw_gid
        self.assertEqual(status_ids(pid, "Uid"), [uid] * 4)
        self.assertEqual(status_ids(pid, "Gid"), [gid] * 4)
        self.assertEqual(status_ids(pid, "CapEff"), [0])  # hex, but 0 is 0
        self.assertIn("running as user nobody", self.server.log())

        rcode, r = uh.nsupdate(self.server.port, ["update add new.example.test 300 A 192.0.2.77"])
        self.assertEqual(rcode, "NOERROR", r.stderr + self.server.log())
        a = self.server.dig("new.example.test", "A")
        self.assertEqual(a.rdatas("ANSWER", "A"), ["192.0.2.77"])

        # The state directory and what was created in it as root belong to nobody.
        st = self.server.state_dir
        for p in (st, os.path.join(st, "journal"), os.path.join(st, "dnspushd.lock"),
                  os.path.join(st, "dnspushd.sock")):
            self.assertEqual(os.stat(p).st_uid, uid, p)
        self.assertEqual(self.server.stop(), 0, self.server.log())

    def test_state_dir_not_writable_for_the_user_is_refused(self):
        os.mkdir(self.server.state_dir, 0o755)  # root's
        with self.assertRaises(RuntimeError):
            self.server.start()
        self.assertEqual(self.server.proc.returncode, 1)
        log = self.server.log()
        self.assertIn("server.state-dir %s is not writable for user nobody" % self.server.state_dir,
                      log)
        self.assertIn("chown", log)

    def test_state_left_by_a_root_run_is_named(self):
        os.mkdir(self.server.state_dir, 0o755)
        os.chown(self.server.state_dir, self.nobody.pw_uid, self.nobody.pw_gid)
        journal = os.path.join(self.server.state_dir, "journal")
        os.mkdir(journal, 0o755)  # as an earlier start as root without `user` leaves it
        with self.assertRaises(RuntimeError):
            self.server.start()
        self.assertEqual(self.server.proc.returncode, 1)
        self.assertIn("%s is owned by uid 0, not by user nobody" % journal, self.server.log())
        self.assertIn("chown -R nobody: %s" % self.server.state_dir, self.server.log())

    def test_root_without_user_warns(self):
        with open(self.server.config) as f:
            text = f.read()
        with open(self.server.config, "w") as f:
            f.write(text.replace('user = "nobody"\n', ""))
        self.server.start()
        self.assertIn("running as root: set server.user", self.server.log())
        self.assertEqual(status_ids(self.server.proc.pid, "Uid"), [0] * 4)


if __name__ == "__main__":
    harness.main()
