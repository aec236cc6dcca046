#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""forkwatch --metrics: the file parsed with prometheus_client's text
parser at every rewrite while real processes succeed, fail and are
killed; counters never go backwards and count at least what happened.
Usage: test-forkwatch-metrics.py FORKWATCH.  Exits 77 without
prometheus_client (Debian: python3-prometheus-client)."""
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("skipping: no prometheus_client (python3-prometheus-client)")
    sys.exit(77)

FORKWATCH = sys.argv[1]
FAMILIES = {
    "relayfork_events": ("counter", "type"),
    "relayfork_exits": ("counter", "outcome"),
    "relayfork_lost_events": ("counter", "reason"),
    "relayfork_losses": ("counter", "reason"),
    "relayfork_resyncs": ("counter", None),
}


def parse(text):
    """{(name, label value): value}, with the families' types checked."""
    samples = {}
    seen = set()
    for fam in text_string_to_metric_families(text):
        assert fam.name in FAMILIES, fam.name
        kind, label = FAMILIES[fam.name]
        assert fam.type == kind, (fam.name, fam.type)
        assert fam.documentation, fam.name
        seen.add(fam.name)
        for s in fam.samples:
            # The parser gives counters their _total name back.
            assert s.name == fam.name + "_total", s
            key = s.labels.get(label) if label else None
            samples[(fam.name, key)] = s.value
    assert seen == set(FAMILIES), seen
    for t in ("fork", "exec", "exit", "uid", "gid", "sid", "ptrace",
              "comm", "coredump"):
        assert ("relayfork_events", t) in samples, t
    for o in ("success", "failure", "signal"):
        assert ("relayfork_exits", o) in samples, o
    for r in ("overflow", "sequence", "unknown"):
        assert ("relayfork_lost_events", r) in samples, r
    return samples


def not_backwards(old, new):
    assert old.keys() == new.keys(), (old.keys(), new.keys())
    for k, v in old.items():
        assert new[k] >= v, (k, v, new[k])


def spawn(cmd):
    p = subprocess.Popen(["sh", "-c", cmd])
    p.wait()
    return p.returncode


def test_rewrites_count_what_happened(d):
    path = os.path.join(d, "forkwatch.prom")
    watch = subprocess.Popen([FORKWATCH, "-q", "--metrics", path,
                              "--stats-interval", "0.2"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    files = []      # the distinct contents seen, parsed
    last = None
    # The file is rewritten every interval, with the same text when
    # nothing happened: a rewrite is a new file (inode and mtime).
    versions = set()

    def look():
        nonlocal last
        try:
            with open(path) as f:
                st = os.fstat(f.fileno())
                text = f.read()
        except FileNotFoundError:
            return
        versions.add((st.st_ino, st.st_mtime_ns))
        # Written whole and renamed: never half a file.
        samples = parse(text)
        if text != last:
            if files:
                not_backwards(files[-1], samples)
            files.append(samples)
            last = text

    try:
        deadline = time.monotonic() + 10
        while not files:
            assert time.monotonic() < deadline, "no metrics file"
            assert watch.poll() is None, watch.stderr.read()
            look()
            time.sleep(0.02)
        # Written at start: 0644 for a collector of another user.
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
        # Subscribed once a probe shows in the counters.
        deadline = time.monotonic() + 10
        start = None
        while True:
            spawn("exit 0")
            time.sleep(0.3)
            look()
            if files[-1][("relayfork_exits", "success")] > 0:
                start = files[-1]
                break
            assert time.monotonic() < deadline, "no event counted"
        for _ in range(5):
            assert spawn("exit 3") == 3
        for _ in range(2):
            assert spawn("kill -9 $$") == -9
        for _ in range(3):
            assert spawn("exit 0") == 0
        # Read while it is rewritten, for a few rewrites.
        n = len(versions)
        deadline = time.monotonic() + 10
        while len(versions) < n + 3:
            assert time.monotonic() < deadline, "no rewrites"
            look()
            time.sleep(0.01)
    finally:
        watch.send_signal(signal.SIGTERM)
        _, err = watch.communicate(timeout=30)
    assert watch.returncode == 0, err
    look()  # the file written at exit
    assert len(files) >= 3, len(files)
    end = files[-1]

    def grew(key):
        return end[key] - start[key]
    assert grew(("relayfork_exits", "failure")) >= 5, (start, end)
    assert grew(("relayfork_exits", "signal")) >= 2, (start, end)
    assert grew(("relayfork_exits", "success")) >= 3, (start, end)
    assert grew(("relayfork_events", "exit")) >= 10, (start, end)
    assert grew(("relayfork_events", "fork")) >= 10, (start, end)
    assert grew(("relayfork_events", "exec")) >= 10, (start, end)
    # Every process end is one of the three outcomes.
    assert end[("relayfork_events", "exit")] == sum(
        end[("relayfork_exits", o)] for o in ("success", "failure",
                                              "signal")), end
    # No temporary file left behind.
    assert os.listdir(d) == ["forkwatch.prom"], os.listdir(d)


def test_unwritable_file_is_said_at_start(d):
    path = os.path.join(d, "no-such-dir", "x.prom")
    r = subprocess.run([FORKWATCH, "-q", "--metrics", path, "-d", "5"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "writing " + path in r.stderr, r.stderr


def test_interval_without_stats(d):
    """With --metrics, --stats-interval is the file's period: no
    summaries unless -S asks for them."""
    path = os.path.join(d, "m.prom")
    r = subprocess.run([FORKWATCH, "-e", "exit", "--metrics", path,
                        "--stats-interval", "0.2", "-d", "0.7", "-c",
                        "no-such-program-here"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "Interval" not in r.stdout and "Summary" not in r.stdout, r.stdout
    parse(open(path).read())


def main():
    failed = 0
    tests = [(k, v) for k, v in globals().items() if k.startswith("test_")]
    for name, fn in tests:
        with tempfile.TemporaryDirectory() as d:
            try:
                fn(d)
                print("ok", name)
            except Exception:
                failed += 1
                print("FAIL", name)
                traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
