#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""forkwatch shows the fork, exec and exit of `sh -c true` with the right
parent and child pids, and stops cleanly on SIGINT and SIGTERM."""
import os
import re
import select
import signal
import subprocess
import sys
import time

forkwatch = sys.argv[1]


def start():
    return subprocess.Popen([forkwatch], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


class Lines:
    """Lines of a pipe, read without Python's buffering hiding data from
    select()."""

    def __init__(self, fd):
        self.fd = fd
        self.partial = b""

    def read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        data = os.read(self.fd, 65536)
        if not data:
            return None
        *lines, self.partial = (self.partial + data).split(b"\n")
        return [line.decode() for line in lines]


def lines_for(reader, pid, want, timeout):
    """Read forkwatch's output until lines about pid matching every regex
    in want are seen; return them."""
    found = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(want) and time.monotonic() < deadline:
        lines = reader.read(0.1)
        if lines is None:
            break
        for line in lines:
            for key, rx in want.items():
                if re.match(rx.format(pid=pid), line):
                    found[key] = line
    return found


def main():
    proc = start()
    reader = Lines(proc.stdout.fileno())
    me = os.getpid()
    want = {
        "fork": r"fork\s+pid={pid} tgid={pid} parent=%d/%d$" % (me, me),
        "exec": r"exec\s+pid={pid} tgid={pid}$",
        "exit": r"exit\s+pid={pid} tgid={pid} exit 0$",
    }
    # forkwatch subscribes a moment after it starts: try until seen.
    found = {}
    deadline = time.monotonic() + 10
    while len(found) < 3 and time.monotonic() < deadline:
        child = subprocess.Popen(["sh", "-c", "true"])
        child.wait()
        found = lines_for(reader, child.pid, want, 1.0)
    if len(found) < 3:
        print("missing lines:", sorted(set(want) - set(found)))
        proc.kill()
        print(proc.stderr.read().decode())
        return 1

    proc.send_signal(signal.SIGINT)
    if proc.wait(timeout=5) != 0:
        print("forkwatch exited with", proc.returncode, "on SIGINT")
        return 1

    proc = start()
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=5) != 0:
        print("forkwatch exited with", proc.returncode, "on SIGTERM")
        return 1
    print("ok")
    return 0


sys.exit(main())
