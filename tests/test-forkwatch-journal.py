#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""forkwatch --journal against a real systemd-journald: one started for
the test in a mount namespace of its own (tmpfs on /run/systemd and
/run/log, propagation private, so that neither the machine's journal nor
its mounts see anything), forkwatch --journal beside real processes, and
the entries read back with journalctl -o json.

Usage: test-forkwatch-journal.py FORKWATCH.  Exits 77 where forkwatch was
built without libsystemd, or systemd-journald, journalctl or unshare is
missing, or not as root (mounts)."""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

FORKWATCH = os.path.abspath(sys.argv[1])
SKIP = 77
JOURNALD_PATHS = ["/lib/systemd/systemd-journald",
                  "/usr/lib/systemd/systemd-journald"]
JOURNAL_DIR = "/run/log/journal"
PR_SET_PDEATHSIG = 1


def die_with_parent():
    """journald and forkwatch go when the test goes, even killed on a
    timeout: nothing of it outlives it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def journald_path():
    for p in JOURNALD_PATHS:
        if os.access(p, os.X_OK):
            return p
    return None


def mountinfo():
    """The mounts on the directories the test mounts over, or under
    them (other programs' tests may mount elsewhere meanwhile)."""
    with open("/proc/self/mountinfo") as f:
        return sorted(l for l in f.read().splitlines()
                      if l.split()[4].startswith(("/run/systemd",
                                                  "/run/log")))


def journal_entries(**match):
    r = subprocess.run(["journalctl", "-D", JOURNAL_DIR, "-o", "json",
                        "--no-pager"] +
                       ["%s=%s" % kv for kv in match.items()],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode in (0, 1), r.stderr
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def wait_for_entry(pred, timeout=15, **match):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in journal_entries(**match) if pred(e)]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("no such entry for %r" % (match,))


def journal_usage():
    """Bytes used and entries in the journal files, from their headers
    (systemd's journal-def.h: n_entries at 152, tail_object_offset at
    136, and the last object's size 8 bytes into it): the files
    themselves are allocated in 8M steps."""
    used = entries = 0
    for d, _, names in os.walk(JOURNAL_DIR):
        for n in names:
            if not n.endswith(".journal"):
                continue
            with open(os.path.join(d, n), "rb") as f:
                head = f.read(160)
                assert head[:8] == b"LPKSHHRH", n
                tail = int.from_bytes(head[136:144], "little")
                f.seek(tail + 8)
                used += tail + int.from_bytes(f.read(8), "little")
                entries += int.from_bytes(head[152:160], "little")
    return used, entries


def spawn(argv):
    p = subprocess.Popen(argv)
    p.wait()
    return p.pid, p.returncode


def spawn_held(argv):
    """Run argv, a shell that first reads a line, and let it go on only
    once forkwatch has journalled its exec with its command line: that
    is read from /proc while the process lives, and a process that ends
    at once may be gone first (under ASan forkwatch is that slow)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE)
    wait_for_entry(lambda e: "RELAYFORK_COMMAND" in e,
                   RELAYFORK_PID=str(p.pid), RELAYFORK_EVENT="exec")
    p.stdin.close()
    p.wait()
    return p.pid, p.returncode


def entry_of(entries, pid, event):
    found = [e for e in entries if e.get("RELAYFORK_PID") == str(pid) and
             e.get("RELAYFORK_EVENT") == event]
    assert len(found) == 1, (pid, event, found)
    return found[0]


def check_refused_without_journald():
    """No journal socket: said at start, exit 1, not at the first event."""
    r = subprocess.run([FORKWATCH, "--journal", "-d", "5"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "journal's socket" in r.stderr, r.stderr


def check_entries():
    me = os.getpid()
    watch = subprocess.Popen([FORKWATCH, "--journal"],
                             preexec_fn=die_with_parent)
    try:
        # Subscribed once a probe's exit is in the journal.
        deadline = time.monotonic() + 20
        while True:
            probe, _ = spawn(["true"])
            try:
                wait_for_entry(lambda e: True, timeout=1,
                               RELAYFORK_PID=str(probe),
                               RELAYFORK_EVENT="exit")
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
        fail, status = spawn_held(["sh", "-c", "read x; exit 3"])
        assert status == 3
        ok, _ = spawn(["sh", "-c", "exit 0"])
        killed, status = spawn(["sh", "-c", "kill -9 $$"])
        assert status == -9
        # A command line with an escape and a newline in it.
        odd, _ = spawn_held(["sh", "-c", "read x; exit 5", "x\x1b[2Jy\nz"])
        wait_for_entry(lambda e: True, RELAYFORK_PID=str(odd),
                       RELAYFORK_EVENT="exit")
        # Many more, for the size of an entry.
        used_before, entries_before = journal_usage()
        many = [spawn(["sh", "-c", "exit 0"])[0] for _ in range(200)]
        wait_for_entry(lambda e: True, RELAYFORK_PID=str(many[-1]),
                       RELAYFORK_EVENT="exit")
        used_after, entries_after = journal_usage()
    finally:
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=30) == 0, "forkwatch --journal failed"

    entries = journal_entries(SYSLOG_IDENTIFIER="forkwatch")
    for e in entries:
        assert e["_PID"] == str(watch.pid), e
        assert e["RELAYFORK_EVENT"] in ("fork", "exec", "exit", "uid",
                                        "gid", "sid", "ptrace", "comm",
                                        "coredump", "lost"), e

    e = entry_of(entries, fail, "exit")
    assert e["RELAYFORK_EXIT_CODE"] == "3", e
    assert e["PRIORITY"] == "4", e
    assert e["RELAYFORK_TGID"] == str(fail), e
    assert e["RELAYFORK_PPID"] == str(me), e
    assert e["RELAYFORK_UID"] == str(os.getuid()), e
    assert e["RELAYFORK_STATUS"] == str(3 << 8), e
    assert e["RELAYFORK_PROCESS_END"] == "1", e
    assert e["RELAYFORK_COMMAND"] == "sh -c read x; exit 3", e
    assert "RELAYFORK_SIGNAL" not in e, e
    # MESSAGE is the human line without its time.
    fields = e["MESSAGE"].split()
    assert fields[:3] == ["exit", str(fail), str(me)], e["MESSAGE"]
    assert "exit 3" in e["MESSAGE"] and \
        e["MESSAGE"].endswith("sh -c read x; exit 3"), e["MESSAGE"]
    # Without attribution, none of its fields.
    for name in ("RELAYFORK_CGROUP", "RELAYFORK_CONTAINER_ID",
                 "RELAYFORK_CONTAINER_RUNTIME", "RELAYFORK_UNIT"):
        assert name not in e, (name, e)

    f = entry_of(entries, fail, "fork")
    assert f["PRIORITY"] == "6", f
    assert f["RELAYFORK_PPID"] == str(me), f
    assert "RELAYFORK_EXIT_CODE" not in f, f
    x = entry_of(entries, fail, "exec")
    assert x["PRIORITY"] == "6" and \
        x["RELAYFORK_COMMAND"] == "sh -c read x; exit 3", x

    e = entry_of(entries, ok, "exit")
    assert e["RELAYFORK_EXIT_CODE"] == "0" and e["PRIORITY"] == "6", e

    e = entry_of(entries, killed, "exit")
    assert e["PRIORITY"] == "4", e
    assert e["RELAYFORK_SIGNAL"] == "9", e
    assert e["RELAYFORK_SIGNAL_NAME"] == "SIGKILL", e
    assert "RELAYFORK_EXIT_CODE" not in e, e
    assert "killed by SIGKILL" in e["MESSAGE"], e

    # Escaped as the human output is: no escape or newline reaches a
    # terminal through journalctl, and the field stays text.
    e = entry_of(entries, odd, "exit")
    assert e["RELAYFORK_COMMAND"] == \
        "sh -c read x; exit 5 x\\x1b[2Jy\\x0az", e
    assert "\x1b" not in e["MESSAGE"] and "\n" not in e["MESSAGE"], e
    assert e["MESSAGE"].endswith("x\\x1b[2Jy\\x0az"), e

    for pid in many:
        assert entry_of(entries, pid, "exit")["RELAYFORK_EXIT_CODE"] == "0"

    # What one entry costs: as systemd-journal-upload sends it (the
    # export format), and in the journal file.
    export = subprocess.run(["journalctl", "-D", JOURNAL_DIR, "-o", "export",
                             "--no-pager", "SYSLOG_IDENTIFIER=forkwatch"],
                            capture_output=True, timeout=60).stdout
    added = entries_after - entries_before
    assert added >= 3 * len(many), (added, len(many))
    print("entries: %d; export format (systemd-journal-upload) %.0f bytes "
          "per entry, JSON %.0f; journal file %.0f bytes per entry "
          "(%d bytes for the %d entries of %d processes)" %
          (len(entries), len(export) / len(entries),
           sum(len(json.dumps(e)) for e in entries) / len(entries),
           (used_after - used_before) / added, used_after - used_before,
           added, len(many)))


def check_container_fields():
    """With attribution (-C), an event of a process in a container's
    cgroup carries its cgroup, runtime, id and unit; the cgroups are the
    ones test-forkwatch.py makes and removes."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "fwtest", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "test-forkwatch.py"))
    fwtest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fwtest)
    if not fwtest.cgroup2_mount():
        print("no cgroup v2 hierarchy: container fields not checked")
        return
    cid = "c0ffee" + "0123456789abcdef" * 3 + "0123456789"
    with fwtest.Cgroups() as cg:
        cgdir, cgpath = cg.make("docker-%s.scope" % cid)
        watch = subprocess.Popen([FORKWATCH, "--journal", "--container",
                                  cid[:12]], preexec_fn=die_with_parent)
        try:
            deadline = time.monotonic() + 20
            while True:
                probe = fwtest.run_in(cgdir, "exit 4")
                probe.wait()
                try:
                    e = wait_for_entry(lambda e: True, timeout=1,
                                       RELAYFORK_PID=str(probe.pid),
                                       RELAYFORK_EVENT="exit")[0]
                    break
                except AssertionError:
                    if time.monotonic() > deadline:
                        raise
        finally:
            watch.terminate()
            watch.wait()
    assert e["RELAYFORK_CGROUP"] == cgpath, e
    assert e["RELAYFORK_CONTAINER_ID"] == cid, e
    assert e["RELAYFORK_CONTAINER_RUNTIME"] == "docker", e
    assert e["RELAYFORK_UNIT"] == "docker-%s.scope" % cid, e
    assert e["RELAYFORK_EXIT_CODE"] == "4" and e["PRIORITY"] == "4", e


def inside():
    """In the mount namespace unshare made: the journal's directories are
    this namespace's tmpfs, and go with it."""
    # unshare --propagation private did it; said again so that no mount
    # made here can reach the machine whatever unshare's defaults.
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    mounted = []
    journald = None
    try:
        for d in ("/run/systemd", "/run/log"):
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", d], check=True)
            mounted.append(d)
        check_refused_without_journald()
        journald = subprocess.Popen([journald_path()],
                                    preexec_fn=die_with_parent,
                                    stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists("/run/systemd/journal/socket"):
            assert journald.poll() is None, "systemd-journald exited"
            assert time.monotonic() < deadline, "no journal socket"
            time.sleep(0.05)
        check_entries()
        check_container_fields()
    finally:
        if journald:
            journald.kill()
            journald.wait()
        for d in reversed(mounted):
            subprocess.run(["umount", d])
    print("journald %d stopped" % journald.pid)
    return 0


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--inside":
        try:
            return inside()
        except Exception:
            traceback.print_exc()
            return 1
    # Refused while the options are read, before --help: nothing is
    # sent to the machine's own journal.
    r = subprocess.run([FORKWATCH, "--journal", "--help"],
                       capture_output=True, text=True, timeout=30)
    if "without libsystemd" in r.stderr:
        print("skipping: forkwatch was built without libsystemd")
        return SKIP
    r = subprocess.run([FORKWATCH, "--journal", "-q"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "exclude each other" in r.stderr, r.stderr
    if os.geteuid() != 0:
        print("skipping: mounts need root")
        return SKIP
    for need, found in (("systemd-journald", journald_path()),
                        ("journalctl", shutil.which("journalctl")),
                        ("unshare", shutil.which("unshare"))):
        if not found:
            print("skipping: no %s" % need)
            return SKIP
    before = mountinfo()
    r = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        sys.executable, os.path.abspath(__file__), FORKWATCH,
                        "--inside"], timeout=170)
    after = mountinfo()
    # Nothing of the namespace's mounts is left on the machine.
    assert before == after, set(before) ^ set(after)
    if r.returncode == 0:
        print("ok")
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
