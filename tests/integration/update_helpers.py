"""Helpers for the DNS UPDATE / zone transfer interop tests: a dnspushd configured with the
example TSIG key, an UPDATE policy, a journal, transfer and NOTIFY targets (built on
harness.Server), BIND's `named` as a secondary or primary on a run-time port, and thin
wrappers around `nsupdate` and `dig`.

Every process started here is stopped by its PID; every wait is bounded.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import harness

import dns.tsigkeyring

KEY_NAME = "example-key"
KEY_ALGORITHM = "hmac-sha256"
# The bundled example key (examples/dnspushd.toml); tests write their own config with it.
KEY_SECRET = "bmc3Vb9CAvHrEG4OH0GWUZRXSt7oDDQ0ZWRpTrzHgL8="
# Same length, different bytes: a wrongly signed UPDATE.
BAD_SECRET = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

NAMED = shutil.which("named") or "/usr/sbin/named"
NAMED_READY_TIMEOUT = 15.0
NSUPDATE_TIMEOUT = 20.0

_named = []  # every Named made in this process, for clean-up


def have_tools(*names):
    """True when every named tool (named, nsupdate, dig...) is installed."""
    for n in names:
        if n == "named":
            if not os.access(NAMED, os.X_OK):
                return False
        elif shutil.which(n) is None:
            return False
    return True


def keyring(secret=KEY_SECRET):
    return dns.tsigkeyring.from_text({KEY_NAME: (KEY_ALGORITHM, secret)})


class UpdateServer(harness.Server):
    """dnspushd with [[key]] example-key, [journal] and a zone that accepts UPDATEs signed
    with the key, allows transfers to 127.0.0.0/8 and sends NOTIFY to `notify` ports."""

    def __init__(self, notify=(), workers=2, sync="full", update_acl=None, log_level="debug",
                 tls=False, extra="", **kw):
        self.workers = workers
        self.log_level = log_level
        super().__init__(tls=tls, workers=workers, **kw)
        self.extra = extra  # more sections ([limits], [push]...), before [[zone]]
        self.notify = list(notify)
        self.update_acl = update_acl or '[ { key = "%s" } ]' % KEY_NAME
        self.sync = sync
        self.write_config()

    def write_config(self):
        notify = ", ".join('"127.0.0.1:%d"' % p for p in self.notify)
        with open(self.config, "w") as f:
            f.write(
                "[server]\n"
                'state-dir = "state"\n'
                'log-level = "%s"\n'
                "workers = %d\n"
                "[listen]\n"
                'dns = ["127.0.0.1:%d"]\n'
                "%s"
                "%s\n"
                "[[key]]\n"
                'name = "%s"\n'
                'algorithm = "%s"\n'
                'secret = "%s"\n'
                "[journal]\n"
                "max-changesets = 1000\n"
                "max-bytes = 67108864\n"
                'sync = "%s"\n'
                "[[zone]]\n"
                'origin = "%s"\n'
                'file = "zone.db"\n'
                "update = %s\n"
                'transfer = [ { network = "127.0.0.0/8" } ]\n'
                "notify = [%s]\n"
                "write-back-interval-s = 0\n"
                % (self.log_level, self.workers, self.port,
                   ('tls = ["127.0.0.1:%d"]\n' % self.tls_port) if self.tls_port else "",
                   self.extra, KEY_NAME, KEY_ALGORITHM,
                   KEY_SECRET, self.sync, self.origin, self.update_acl, notify)
            )

    def start(self):
        # Keep the log of an earlier run (a restart on the same state dir) next to the new one.
        if os.path.exists(self.log_path) and os.path.getsize(self.log_path) > 0:
            n = 1
            while os.path.exists("%s.%d" % (self.log_path, n)):
                n += 1
            os.rename(self.log_path, "%s.%d" % (self.log_path, n))
        return super().start()

    def kill(self):
        """SIGKILL by PID (a crash: no clean shutdown); returns the exit status."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=harness.STOP_TIMEOUT)
        if not self._log.closed:
            self._log.close()
        return self.proc.returncode

    def all_logs(self):
        out = []
        n = 1
        while os.path.exists("%s.%d" % (self.log_path, n)):
            with open("%s.%d" % (self.log_path, n), errors="replace") as f:
                out.append("--- run %d ---\n%s" % (n, f.read()))
            n += 1
        out.append("--- current run ---\n" + self.log())
        return "\n".join(out)


def dig(port, name, rtype="A", *opts):
    """dig against any server on 127.0.0.1:port; returns a harness.Answer."""
    cmd = ["dig", "@127.0.0.1", "-p", str(port), "+norec", "+time=2", "+tries=2", *opts,
           name, rtype]
    r = harness.run(cmd)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                      r.stderr))
    return harness.Answer(r.stdout)


def soa_serial(port, origin=harness.ORIGIN):
    """The SOA serial served on 127.0.0.1:port, or None when there is no SOA answer."""
    a = dig(port, origin, "SOA")
    soa = a.records("ANSWER", "SOA", origin)
    if a.status != "NOERROR" or len(soa) != 1:
        return None
    return int(soa[0][4].split()[2])


def nsupdate(port, commands, secret=KEY_SECRET, tcp=False, signed=True, zone=harness.ORIGIN):
    """Runs nsupdate against 127.0.0.1:port with `commands` (a list of lines, without
    server/zone/send); returns (rcode text, CompletedProcess). rcode is "NOERROR" when
    nsupdate exits 0, else the RCODE from "update failed: X" (or the whole stderr)."""
    script = ["server 127.0.0.1 %d" % port, "zone %s" % zone, *commands, "send", ""]
    cmd = ["nsupdate", "-t", "5"]
    if tcp:
        cmd.append("-v")
    if signed:
        cmd += ["-y", "%s:%s:%s" % (KEY_ALGORITHM, KEY_NAME, secret)]
    r = subprocess.run(cmd, input="\n".join(script), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=NSUPDATE_TIMEOUT)
    if r.returncode == 0:
        return "NOERROR", r
    m = re.search(r"update failed: ([A-Z]+(?:\([A-Z]+\))?)", r.stderr + r.stdout)
    return (m.group(1) if m else (r.stderr + r.stdout).strip()), r


def wait_for(pred, timeout, interval=0.2):
    """Polls pred() until it returns a true value or `timeout` seconds pass; returns the
    last value."""
    deadline = time.monotonic() + timeout
    v = pred()
    while not v and time.monotonic() < deadline:
        time.sleep(interval)
        v = pred()
    return v


class Named(harness.Process):
    """BIND 9 `named -g` on 127.0.0.1:port in a temp dir, as a secondary of a primary at
    127.0.0.1:primary_port, or (primary_port None) as a primary of a copy of zone_file that
    accepts UPDATEs signed with the example key (and, with `transfer_key`, transfers only
    when signed with it). Logs go to named's stderr, kept in a file."""

    def __init__(self, primary_port=None, zone_file=harness.EXAMPLE_ZONE,
                 origin=harness.ORIGIN, notify_ports=(), port=None, debug=0,
                 transfer_key=False):
        self.dir = tempfile.mkdtemp(prefix="dnspush-named-")
        os.chmod(self.dir, 0o755)
        self.port = port or harness.free_port()
        self.debug = debug
        self.origin = origin
        self.primary_port = primary_port
        self.proc = None
        self.conf = os.path.join(self.dir, "named.conf")
        self.log_path = os.path.join(self.dir, "named.log")
        self.zone_path = os.path.join(self.dir, "zone.db")
        key = 'key "%s" { algorithm %s; secret "%s"; };\n' % (KEY_NAME, KEY_ALGORITHM,
                                                               KEY_SECRET)
        options = (
            "options {\n"
            '  directory "%s";\n'
            "  listen-on port %d { 127.0.0.1; };\n"
            "  listen-on-v6 { none; };\n"
            '  pid-file "%s";\n'
            '  session-keyfile "%s";\n'
            '  managed-keys-directory "%s";\n'
            "  recursion no;\n"
            "  max-ixfr-ratio unlimited;\n"
            "  notify %s;\n"
            "  notify-delay 0;\n"
            "  dnssec-validation no;\n"
            "};\n"
            "controls { };\n"
            % (self.dir, self.port, os.path.join(self.dir, "named.pid"),
               os.path.join(self.dir, "session.key"), self.dir,
               "explicit" if notify_ports else "no")
        )
        if primary_port is not None:
            zone = (
                'zone "%s" {\n'
                "  type secondary;\n"
                "  primaries { 127.0.0.1 port %d; };\n"
                '  file "%s";\n'
                "};\n" % (origin, primary_port, self.zone_path)
            )
        else:
            shutil.copyfile(zone_file, self.zone_path)
            also = ""
            if notify_ports:
                also = "  also-notify { %s };\n" % " ".join(
                    "127.0.0.1 port %d;" % p for p in notify_ports)
            zone = (
                'zone "%s" {\n'
                "  type primary;\n"
                '  file "%s";\n'
                "  allow-update { key %s; };\n"
                "  allow-transfer { %s; };\n"
                "%s"
                "};\n" % (origin, self.zone_path, KEY_NAME,
                           ("key " + KEY_NAME) if transfer_key else "127.0.0.0/8", also)
            )
        with open(self.conf, "w") as f:
            f.write(key + options + zone)
        _named.append(self)

    def start(self, wait_zone=True):
        self._log = open(self.log_path, "w")
        # -g: foreground, log to stderr; -u root: no privilege drop (tests may run as root,
        # and the temp dir is owned by the caller).
        cmd = [NAMED, "-g", "-c", self.conf]
        if self.debug:
            cmd += ["-d", str(self.debug)]
        if os.geteuid() == 0:
            cmd += ["-u", "root"]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        try:
            if wait_zone:
                self.wait_zone()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_zone(self, timeout=NAMED_READY_TIMEOUT):
        """Waits (bounded) until named answers the zone's SOA authoritatively."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("named exited with %d:\n%s"
                                   % (self.proc.returncode, self.log()))
            r = harness.run(["dig", "@127.0.0.1", "-p", str(self.port), "+norec", "+time=1",
                             "+tries=1", self.origin, "SOA"], timeout=5)
            if r.returncode == 0 and "status: NOERROR" in r.stdout and " aa" in r.stdout:
                return
            time.sleep(0.2)
        raise RuntimeError("named did not serve %s within %.0f s:\n%s"
                           % (self.origin, timeout, self.log()))

    def dig(self, name, rtype="A", *opts):
        return dig(self.port, name, rtype, *opts)


def cleanup_all():
    for n in _named:
        try:
            n.cleanup()
        except Exception:  # already stopped
            pass


atexit.register(cleanup_all)
