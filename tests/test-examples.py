#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One event-loop example (examples/loop-*.c) against the real kernel: it
reports the forks this test makes, survives an overflow of its receive
buffer and keeps receiving, counts the loss exactly as the kernel does,
and ends cleanly on SIGINT and SIGTERM.  Usage: test-examples.py EXAMPLE.

Other programs on the machine fork too: every check looks only at this
test's own children, and the loss is compared with the kernel's count at a
moment when nothing was being dropped."""
import os
import re
import select
import signal
import subprocess
import sys
import time
import traceback

EXAMPLE = sys.argv[1]
NAME = os.path.basename(EXAMPLE)
ME = os.getpid()
NETLINK_CONNECTOR = 11
SKIP = 77

# relayfork_strerror() of the start failures that mean "this machine
# cannot deliver process events" (tests/helpers.h skips on the same).
CANNOT = ["has no process events connector",
          "initial user and PID namespaces",
          "initial network namespace",
          "needs CAP_NET_ADMIN"]

BURST = "i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done"


class Skip(Exception):
    pass


class Example:
    """A running example and its output, read without Python's buffering
    hiding data from select()."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([EXAMPLE, *args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.partial = b""
        self.lines = []
        self.stderr = ""

    def read(self, timeout):
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        data = os.read(fd, 65536)
        if not data:
            return False
        *new, self.partial = (self.partial + data).split(b"\n")
        self.lines += [line.decode() for line in new]
        return True

    def wait_fork(self, pid, timeout):
        """Read until the fork of pid is reported; return its parent, or
        None on timeout."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for line in self.lines[checked:]:
                m = re.fullmatch(r"fork (\d+) (\d+)", line)
                if m and int(m.group(1)) == pid:
                    return int(m.group(2))
            checked = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if self.proc.poll() is not None and not self.read(0):
                return None
            self.read(min(left, 0.1))

    def wait_ready(self):
        """The example subscribes a moment after it starts: make forks
        until one shows up."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.wait_fork(spawn_true(), 0.5) is not None:
                return
            if self.proc.poll() is not None:
                self.stop()
                for reason in CANNOT:
                    if reason in self.stderr:
                        raise Skip(self.stderr.strip())
                raise AssertionError("%s exited with %d: %s" %
                                     (NAME, self.proc.returncode,
                                      self.stderr))
        raise AssertionError("%s never reported a fork" % NAME)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.stdout.closed:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=10)
        out = self.partial + out
        self.partial = b""
        self.lines += [l.decode() for l in out.split(b"\n") if l]
        self.stderr = err.decode()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.stop()


def spawn_true():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def lost_counts(lines):
    return [int(l.split()[1]) for l in lines if re.fullmatch(r"lost \d+", l)]


def total_lost(lines):
    totals = [int(l.split()[2]) for l in lines
              if re.fullmatch(r"total lost \d+", l)]
    assert len(totals) == 1, lines[-10:]
    return totals[0]


def netlink_inode(pid):
    """The inode of the example's proc connector socket."""
    sockets = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except FileNotFoundError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", link)
        if m:
            sockets.add(int(m.group(1)))
    found = [inode for inode, eth, _ in netlink_sockets()
             if inode in sockets and eth == NETLINK_CONNECTOR]
    assert len(found) == 1, (sockets, found)
    return found[0]


def netlink_sockets():
    """(inode, protocol, drops) of every netlink socket, the columns
    found by the header's names."""
    with open("/proc/net/netlink") as f:
        header, *rows = f.read().splitlines()
    names = header.split()
    inode, eth, drops = (names.index(n) for n in ("Inode", "Eth", "Drops"))
    for row in rows:
        cols = row.split()
        yield int(cols[inode]), int(cols[eth]), int(cols[drops])


def kernel_drops(inode):
    for ino, _, drops in netlink_sockets():
        if ino == inode:
            return drops
    raise AssertionError("socket %d gone from /proc/net/netlink" % inode)


def wait_stopped(pid):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "T":
            return
        time.sleep(0.01)
    raise AssertionError("%s did not stop" % NAME)


# --- tests ----------------------------------------------------------------

def test_reports_forks():
    ex = Example()
    try:
        ex.wait_ready()
        pids = [spawn_true() for _ in range(5)]
        parents = [ex.wait_fork(pid, 5) for pid in pids]
    finally:
        rc = ex.stop(signal.SIGINT)
    assert parents == [ME] * 5, (pids, parents, ex.lines[-20:])
    assert rc == 0, (rc, ex.stderr)
    assert sum(lost_counts(ex.lines)) == total_lost(ex.lines), ex.lines


def wait_markers(ex, inode, n):
    """Forks after the overflow that the example reports: it still
    receives.  One may be lost to a new overflow (other programs fork
    too), never simply ignored."""
    seen = []
    for _ in range(n + 5):
        before = kernel_drops(inode)
        pid = spawn_true()
        parent = ex.wait_fork(pid, 2)
        if parent is not None:
            assert parent == ME, (pid, parent)
            seen.append(pid)
            if len(seen) == n:
                return seen
        else:
            if ex.proc.poll() is not None:
                ex.stop()
                raise AssertionError("%s died after the overflow (%d): %s"
                                     % (NAME, ex.proc.returncode, ex.stderr))
            assert kernel_drops(inode) > before, \
                "marker %d neither reported nor dropped" % pid
    raise AssertionError("%s stopped receiving after the overflow: %s" %
                         (NAME, ex.lines[-20:]))


def settled_drops(ex, inode):
    """The kernel's drop count at a moment the example has caught up with:
    read it, make a fork and wait for its report, read it again.  Equal
    readings mean nothing was dropped meanwhile, so the loss the example
    reported by then is exactly that count.  Returns the count and how
    many lines the example had printed."""
    for _ in range(20):
        before = kernel_drops(inode)
        if ex.wait_fork(spawn_true(), 2) is None:
            continue
        lines = len(ex.lines)
        if kernel_drops(inode) == before:
            return before, lines
    raise AssertionError("the kernel kept dropping %s's events" % NAME)


def test_overflow():
    ex = Example("--buffer", "1")
    try:
        ex.wait_ready()
        inode = netlink_inode(ex.pid)
        # Stopped, it reads nothing: its few events' worth of buffer
        # fills and the kernel drops the rest of the burst.
        for _ in range(3):
            before = kernel_drops(inode)
            os.kill(ex.pid, signal.SIGSTOP)
            wait_stopped(ex.pid)
            subprocess.run(["sh", "-c", BURST], check=True)
            os.kill(ex.pid, signal.SIGCONT)
            if kernel_drops(inode) > before:
                break
        else:
            raise AssertionError("no overflow after three bursts")
        first_marker = len(ex.lines)
        markers = wait_markers(ex, inode, 3)
        drops, printed = settled_drops(ex, inode)
    except BaseException:
        ex.kill()
        raise
    rc = ex.stop(signal.SIGTERM)
    assert rc == 0, (rc, ex.stderr)

    lost = lost_counts(ex.lines)
    assert lost, "no lost line: %s" % ex.lines[-20:]
    assert all(n > 0 for n in lost), lost
    total = total_lost(ex.lines)
    assert sum(lost) == total, (lost, total)
    assert drops > 0, drops
    assert sum(lost_counts(ex.lines[:printed])) == drops, \
        (lost_counts(ex.lines[:printed]), drops)
    # Whatever other programs' forks made it drop after the reading.
    assert total == drops + sum(lost_counts(ex.lines[printed:])), \
        (total, drops, lost)
    # In stream order: the burst's loss before the forks made after it.
    marker_line = min(i for i, l in enumerate(ex.lines)
                      if l.startswith("fork %d " % markers[0]))
    first_lost = min(i for i, l in enumerate(ex.lines)
                     if l.startswith("lost "))
    assert first_lost < marker_line, ex.lines[first_marker:marker_line + 1]
    print("  %s: %d lost, %d by the kernel's count" % (NAME, total, drops))


def test_bad_argument():
    for args in (["--buffer", "x"], ["--buffer"], ["--buffer", "0"],
                 ["--buffer", "12k"], ["--frobnicate"], ["extra"]):
        r = subprocess.run([EXAMPLE, *args], capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert "Usage:" in r.stderr and r.stdout == "", (args, r.stderr)


def main():
    tests = [test_reports_forks, test_overflow, test_bad_argument]
    failed = 0
    for fn in tests:
        try:
            fn()
            print("ok  ", NAME, fn.__name__)
        except Skip as e:
            print("skipping: %s" % e)
            return SKIP
        except Exception:
            failed += 1
            print("FAIL", NAME, fn.__name__)
            traceback.print_exc()
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
