"""Shared helpers for the integration tests: run the real dnspushd on 127.0.0.1 with ports
chosen at run time, and query it with real peers (dig, kdig, dnspython).

Environment:
  DNSPUSH_BIN  directory holding dnspushd (default: <repo>/build/bin)
  DNSPUSH_SRC  repository root (default: two levels above this file)

Every process started here is stopped by its PID (SIGTERM, then SIGKILL), in a finally
block and again at exit. Every wait is bounded.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.path.abspath(
    os.environ.get("DNSPUSH_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
)
BIN = os.path.abspath(os.environ.get("DNSPUSH_BIN", os.path.join(SRC, "build", "bin")))
DNSPUSHD = os.path.join(BIN, "dnspushd")
EXAMPLE_ZONE = os.path.join(SRC, "examples", "example.test.zone")
ORIGIN = "example.test"

READY_TIMEOUT = 10.0  # seconds for the server to answer its first query
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL
TOOL_TIMEOUT = 10.0  # seconds for one dig/kdig run

_servers = []  # every Server made in this process, for log dumps and clean-up


def free_port():
    """A port on 127.0.0.1 free for both UDP and TCP at the moment of the call."""
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
        finally:
            tcp.close()
            udp.close()
    raise RuntimeError("no port free for both UDP and TCP after 50 attempts")


def run(cmd, timeout=TOOL_TIMEOUT, check=False, **kw):
    """Runs a command with a bound on its time; returns the CompletedProcess."""
    return subprocess.run(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
        check=check,
        **kw,
    )


class Answer:
    """A dig or kdig answer parsed from its text output."""

    def __init__(self, text):
        self.text = text
        self.status = None
        self.flags = set()
        self.sections = {"ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        current = None
        for line in text.splitlines():
            m = re.search(r"->>HEADER<<- opcode: \w+[,;] status: (\w+)", line)
            if m:
                self.status = m.group(1)
                continue
            m = re.match(r";; [Ff]lags: ([^;]*);", line)
            if m:
                self.flags = set(m.group(1).split())
                continue
            m = re.match(r";; (\w+) SECTION:", line)
            if m:
                current = m.group(1)
                continue
            if not line.strip():
                current = None  # a blank line ends a section
                continue
            if line.startswith(";"):
                continue
            if current in self.sections:
                parts = line.split(None, 4)
                if len(parts) >= 4:
                    name, ttl, klass, rtype = parts[:4]
                    rdata = parts[4] if len(parts) > 4 else ""
                    self.sections[current].append(
                        (name.lower(), int(ttl), klass, rtype, rdata.strip())
                    )

    def records(self, section, rtype=None, name=None):
        out = []
        for r in self.sections[section]:
            if rtype is not None and r[3] != rtype:
                continue
            if name is not None and r[0] != fqdn(name):
                continue
            out.append(r)
        return out

    def rdatas(self, section, rtype=None, name=None):
        return sorted(r[4] for r in self.records(section, rtype, name))

    @property
    def answer(self):
        return self.sections["ANSWER"]

    @property
    def authority(self):
        return self.sections["AUTHORITY"]

    @property
    def additional(self):
        return self.sections["ADDITIONAL"]

    def __repr__(self):
        return self.text


def fqdn(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


class Process:
    """A child process the tests own: stopped by its PID, its log kept in `log_path`.

    Subclasses set `proc` (Popen), `_log` (the open log file), `log_path` and `dir`.
    """

    proc = None

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT)
            except ProcessLookupError:
                pass
        self._log.close()
        return self.proc.returncode

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Server(Process):
    """One dnspushd with its own config, zone copy, state dir and ports."""

    def __init__(self, zone_text=None, zone_file=EXAMPLE_ZONE, tls=True, workers=2,
                 extra_config="", origin=ORIGIN):
        self.dir = tempfile.mkdtemp(prefix="dnspush-it-")
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.origin = origin
        self.proc = None
        self.zone_path = os.path.join(self.dir, "zone.db")
        if zone_text is not None:
            with open(self.zone_path, "w") as f:
                f.write(zone_text)
        else:
            shutil.copyfile(zone_file, self.zone_path)
        self.state_dir = os.path.join(self.dir, "state")
        self.config = os.path.join(self.dir, "dnspushd.toml")
        self.log_path = os.path.join(self.dir, "dnspushd.log")
        tls_line = 'tls = ["127.0.0.1:%d"]' % self.tls_port if tls else ""
        with open(self.config, "w") as f:
            f.write(
                "[server]\n"
                'state-dir = "state"\n'
                'log-level = "debug"\n'
                "workers = %d\n"
                "[listen]\n"
                'dns = ["127.0.0.1:%d"]\n'
                "%s\n"
                "%s\n"
                "[[zone]]\n"
                'origin = "%s"\n'
                'file = "zone.db"\n' % (workers, self.port, tls_line, extra_config, origin)
            )
        _servers.append(self)

    @property
    def cert_path(self):
        return os.path.join(self.state_dir, "self-signed-cert.pem")

    def start(self):
        if not os.access(DNSPUSHD, os.X_OK):
            raise RuntimeError("%s not found: build first, or set DNSPUSH_BIN" % DNSPUSHD)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [DNSPUSHD, "--config", self.config],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.dir,
        )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    "dnspushd exited with %d before answering:\n%s"
                    % (self.proc.returncode, self.log())
                )
            r = run(["dig", "@127.0.0.1", "-p", str(self.port), "+norec", "+time=1",
                     "+tries=1", self.origin, "SOA"], timeout=5)
            if r.returncode == 0 and "status: NOERROR" in r.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("dnspushd did not answer within %.0f s:\n%s"
                           % (READY_TIMEOUT, self.log()))

    # Queries ----------------------------------------------------------------------------

    def dig(self, name, rtype="A", *opts):
        """dig @127.0.0.1 -p PORT +norec name type [opts]; returns an Answer."""
        cmd = ["dig", "@127.0.0.1", "-p", str(self.port), "+norec", "+time=2", "+tries=2",
               *opts, name, rtype]
        r = run(cmd)
        if r.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (" ".join(cmd), r.returncode,
                                                          r.stdout, r.stderr))
        return Answer(r.stdout)

    def kdig_tls(self, name, rtype="A", *opts):
        """kdig @127.0.0.1 -p TLSPORT +tls name type [opts]; returns (Answer, CompletedProcess)."""
        cmd = ["kdig", "@127.0.0.1", "-p", str(self.tls_port), "+tls", "+norec",
               "+time=3", "+retry=0", *opts, name, rtype]
        r = run(cmd)
        return Answer(r.stdout), r


class Capture:
    """tshark capturing `bpf` on lo into `pcap` for at most `seconds`. start() returns False,
    with the reason in `why`, where capturing on lo is not permitted; stop() flushes the file
    (SIGINT) and always ends the process."""

    def __init__(self, pcap, bpf, seconds):
        self.pcap, self.bpf, self.seconds = pcap, bpf, seconds
        self.proc = None
        self.why = ""

    def start(self):
        self.proc = subprocess.Popen(
            ["tshark", "-n", "-i", "lo", "-f", self.bpf, "-a", "duration:%d" % self.seconds,
             "-w", self.pcap],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            if os.path.exists(self.pcap) and os.path.getsize(self.pcap) > 0:
                time.sleep(0.5)  # the file header is written just before capturing starts
                return True
            time.sleep(0.1)
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        _, err = self.proc.communicate(timeout=10)
        self.why = " ".join(line for line in err.splitlines()
                            if line.strip() and "packets captured" not in line
                            and "Running as user" not in line)[:300]
        return False

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)  # tshark flushes the file and exits
        try:
            self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=5)


def main():
    """unittest.main for one test file: exits non-zero on failure, after printing the log of
    every server started, and removes the temporary directories."""
    prog = unittest.main(exit=False, verbosity=2)
    ok = prog.result.wasSuccessful()
    for s in _servers:
        s.stop()
        if not ok:
            sys.stderr.write("\n===== dnspushd log (%s) =====\n%s\n" % (s.config, s.log()))
    for s in _servers:
        s.cleanup()
    sys.exit(0 if ok else 1)


@atexit.register
def _stop_all():
    for s in _servers:
        try:
            s.cleanup()
        except Exception:  # already stopped, or the interpreter is going down
            pass
