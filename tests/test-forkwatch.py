#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""forkwatch against the real kernel: children this test spawns, and what
forkwatch says about them, in human and JSON output (JSON parsed with the
json module), with every option.  Usage: test-forkwatch.py FORKWATCH."""
import codecs
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

FORKWATCH = sys.argv[1]
MANPAGE = sys.argv[2] if len(sys.argv) > 2 else None
ME = os.getpid()


class Watch:
    """A running forkwatch and its output, read without Python's buffering
    hiding data from select()."""

    def __init__(self, *args, ready=True, errors="strict"):
        self.proc = subprocess.Popen([FORKWATCH, *args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.partial = b""
        self.lines = []
        # The bytes as written, for the tests of what reaches a terminal
        # or a JSON decoder; lines are decoded with `errors`.
        self.raw_lines = []
        self.errors = errors
        if ready:
            self.wait_ready()

    def read(self, timeout):
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        data = os.read(fd, 65536)
        if not data:
            return False
        *new, self.partial = (self.partial + data).split(b"\n")
        self.raw_lines += new
        self.lines += [line.decode("utf-8", self.errors) for line in new]
        return True

    def wait_for(self, predicate, timeout=5.0):
        """Read until a line satisfies predicate; return it."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for line in self.lines[checked:]:
                if predicate(line):
                    return line
            checked = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching line in:\n" +
                                     "\n".join(self.lines[-30:]))
            self.read(min(left, 0.1))

    def wait_ready(self):
        """forkwatch subscribes a moment after it starts: spawn probes
        until one shows up."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.Popen(["true"])
            probe.wait()
            try:
                self.wait_for(lambda l: str(probe.pid) in l, timeout=0.5)
                return
            except AssertionError:
                pass
        raise AssertionError("forkwatch never showed an event")

    def settle(self, seconds=0.3):
        """Read whatever comes in the next moments."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.read(0.05)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=10)
        if self.partial:
            out = self.partial + out
        new = [l for l in out.split(b"\n") if l]
        self.raw_lines += new
        self.lines += [l.decode("utf-8", self.errors) for l in new]
        self.stderr = err.decode()
        return self.proc.returncode

    def json_lines(self):
        return [json.loads(l) for l in self.lines if l.startswith("{")]


def run_forkwatch(*args, timeout=10):
    return subprocess.run([FORKWATCH, *args], capture_output=True,
                          text=True, timeout=timeout)


def events_of(objs, pid, event=None):
    return [o for o in objs if o.get("pid") == pid and
            (event is None or o["event"] == event)]


def first_event(objs, pid, event):
    """The first EVENT of PID; a failure that says so when there is none."""
    found = events_of(objs, pid, event)
    assert found, "no %s event of pid %d among %d JSON objects: %s" % (
        event, pid, len(objs), objs[-20:])
    return found[0]


def spawn(cmd, **kw):
    """Run a shell command to completion; return its pid and status."""
    p = subprocess.Popen(["sh", "-c", cmd], **kw)
    p.wait()
    return p.pid, p.returncode


def no_core():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- options ----------------------------------------------------------------

def test_help_and_version():
    r = run_forkwatch("--help")
    assert r.returncode == 0 and "Usage: forkwatch" in r.stdout
    for opt in ["--events", "--pid", "--tree", "--uid", "--comm", "--json",
                "--no-color", "--stats", "--stats-interval", "--quiet",
                "--duration", "--count", "--buffer", "--check", "--help",
                "--journal", "--metrics",
                "--version", "--attribution", "--cgroup", "--container",
                "--unit"]:
        assert opt in r.stdout, opt
    r = run_forkwatch("--version")
    assert r.returncode == 0 and r.stdout.startswith("forkwatch ")


def test_man_page_agrees_with_help():
    if not MANPAGE:
        return
    with open(MANPAGE) as f:
        page = f.read()
    helptext = run_forkwatch("--help").stdout
    longs = sorted(set(re.findall(r"--[a-z][a-z-]+", helptext)))
    assert len(longs) >= 10, ("long options found in --help", longs, helptext)
    for opt in longs:
        assert "*%s*" % opt in page, opt
    shorts = re.findall(r"^  (-[a-zA-Z]),", helptext, re.M)
    assert len(shorts) >= 10, ("short options found in --help", shorts,
                               helptext)
    for short in shorts:
        assert "*%s*" % short in page, short
    for name in ["fork", "exec", "exit", "failure", "uid", "gid", "sid",
                 "ptrace", "comm", "coredump", "thread", "all"]:
        assert "*%s*" % name in page, name


def test_bad_options_exit_2():
    bad = [
        ["-e", "bogus"], ["-e", ""], ["-e", "fork,"], ["-e", ",fork"],
        ["-e", "fork,,exit"], ["--pid", "0"], ["--pid", "abc"],
        ["--pid", "-3"], ["--tree", "x"], ["--uid", "no-such-user-here"],
        ["--uid", ""], ["--comm", ""], ["--duration", "0"],
        ["--duration", "abc"], ["--duration", "-1"], ["--duration", "nan"],
        ["--count", "0"], ["--count", "x"], ["--count", "-1"],
        ["--buffer", "0"], ["--buffer", "1X"], ["--buffer", "99G"],
        ["--buffer", "8MB"], ["--stats-interval", "0"],
        ["--pid", "1", "--tree", "1"], ["--frobnicate"], ["-Z"],
        ["extra-argument"], ["-e"], ["--duration"], ["--metrics", ""],
        ["--metrics"],
        ["--container", "abc"], ["--container", "xyz0"],
        ["--container", "0" * 65], ["--container", ""], ["--cgroup", ""],
        ["--cgroup", "system.slice"], ["--unit", ""], ["--unit", "a/b"],
        ["--container"], ["--cgroup"], ["--unit"], ["-C", "x"],
    ]
    # A cgroup v1 hierarchy's path on a hybrid host is not a v2 cgroup.
    mount = cgroup2_mount()
    if mount and mount != "/sys/fs/cgroup":
        bad.append(["--cgroup", "/sys/fs/cgroup/systemd/x"])
    for args in bad:
        r = run_forkwatch(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert "forkwatch --help" in r.stderr, (args, r.stderr)
        assert r.stdout == "", args


def test_good_options_parse():
    for args in [["-e", "fork,exec,exit,failure,uid,gid,sid,ptrace,comm,"
                        "coredump,thread"], ["-e", "all"], ["-j"],
                 ["--no-color"], ["-S"], ["--stats-interval", "0.1"],
                 ["-q"], ["-n", "1000000"], ["-b", "64K"], ["-b", "16M"],
                 ["-u", "root"], ["-u", "0"], ["-c", "x*"], ["-p", "1"],
                 ["-t", "1"], ["-C"], ["--attribution", "-j"],
                 ["--container", "0123abcd"], ["--container", "ABCD"],
                 ["--unit", "ssh"], ["--unit", "session-1.scope"],
                 ["--cgroup", "/"], ["--cgroup", "/system.slice/"]]:
        r = run_forkwatch("-d", "0.05", *args)
        assert r.returncode == 0, (args, r.stderr)


def test_check():
    r = run_forkwatch("--check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Process events work here." in r.stdout
    assert "event filter:" in r.stdout


# --- human output -------------------------------------------------------------

def test_human_fork_exec_exit():
    w = Watch()
    pid, status = spawn("sleep 0.2; exit 3")
    line = w.wait_for(lambda l: re.search(r"\bexit\s+%d\b" % pid, l))
    w.stop()
    fork = [l for l in w.lines if re.search(r"\bfork\s+%d\s+%d\s+proc\b"
                                            % (pid, ME), l)]
    execl = [l for l in w.lines if re.search(r"\bexec\s+%d\s+%d\s+proc\b"
                                             % (pid, ME), l)]
    assert fork and execl, "\n".join(w.lines[-20:])
    assert "sh -c sleep 0.2; exit 3" in execl[0], execl[0]
    assert re.search(r"\d+\.\d{3}s\s+exit 3\s", line), line
    assert "sh -c sleep 0.2; exit 3" in line
    assert w.lines[0].split()[:3] == ["TIME", "EVENT", "PID"]
    # No colour when not a terminal.
    assert not any("\033[" in l for l in w.lines)


def test_human_killed_and_core():
    w = Watch()
    pid, _ = spawn("kill -SEGV $$", preexec_fn=no_core)
    line = w.wait_for(lambda l: re.search(r"\bexit\s+%d\b" % pid, l))
    assert "killed by SIGSEGV" in line and "core dumped" not in line, line
    w.wait_for(lambda l: re.search(r"\bcoredump\s+%d\b" % pid, l))

    with tempfile.TemporaryDirectory() as tmp:
        def with_core():
            import resource
            resource.setrlimit(resource.RLIMIT_CORE,
                               (resource.RLIM_INFINITY,
                                resource.RLIM_INFINITY))
        p = subprocess.Popen(["sh", "-c", "kill -ABRT $$"], cwd=tmp,
                             preexec_fn=with_core)
        p.wait()
        status = os.WCOREDUMP(p.returncode) if p.returncode > 0 else None
        line = w.wait_for(lambda l: re.search(r"\bexit\s+%d\b" % p.pid, l))
    w.stop()
    assert "killed by SIGABRT" in line, line
    # Whether a core was written depends on the system; say what it did.
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern == "core":
        assert "(core dumped)" in line, line


def test_human_thread_tag():
    w = Watch("-e", "all")
    p = subprocess.Popen([sys.executable, "-c",
                          "import threading\n"
                          "t = threading.Thread(target=lambda: None)\n"
                          "t.start(); t.join()\n"])
    p.wait()
    line = w.wait_for(lambda l: re.search(r"\bfork\s+\d+\s+%d\s+thread\b"
                                          % p.pid, l))
    w.stop()
    assert line


def test_threads_hidden_by_default():
    w = Watch()
    p = subprocess.Popen([sys.executable, "-c",
                          "import threading\n"
                          "t = threading.Thread(target=lambda: None)\n"
                          "t.start(); t.join()\n"])
    p.wait()
    w.wait_for(lambda l: re.search(r"\bexit\s+%d\b" % p.pid, l))
    w.stop()
    assert not [l for l in w.lines if " thread " in l], w.lines


def test_color_on_a_terminal():
    for args, want in [([], True), (["--no-color"], False)]:
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(FORKWATCH, [FORKWATCH, "-d", "1", *args])
        out = b""
        subprocess.run(["sh", "-c", "sleep 0.3; true"])
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        os.waitpid(pid, 0)
        lines = out.splitlines()
        assert lines and lines[0].startswith(b"TIME"), (args, out[:300])
        assert [l for l in lines[1:]
                if re.search(rb"\b(fork|exec|exit)\b", l)], \
            ("no event lines", args, out[:300])
        assert (b"\033[" in out) == want, (args, out[:300])


# --- JSON ---------------------------------------------------------------------

def test_json_fields():
    w = Watch("--json")
    pid, _ = spawn("sleep 0.2; exit 3")
    kpid, _ = spawn("kill -TERM $$")
    w.wait_for(lambda l: '"event":"exit"' in l and '"pid":%d,' % kpid in l)
    w.stop()
    objs = w.json_lines()
    assert len(objs) == len([l for l in w.lines if l.strip()])
    assert objs, ("no JSON lines", w.lines)
    for o in objs:
        assert o["schema"] == 1
        assert isinstance(o["timestamp_ns"], int)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", o["time"])
    fork = first_event(objs, pid, "fork")
    assert fork["ppid"] == ME and fork["parent_tgid"] == ME
    assert fork["thread"] is False and fork["tgid"] == pid
    exe = first_event(objs, pid, "exec")
    assert exe["cmdline"] == "sh -c sleep 0.2; exit 3", exe
    assert exe["comm"] == "sh" and exe["user"] == "root" and exe["uid"] == 0
    ex = first_event(objs, pid, "exit")
    assert ex["exit_code"] == 3 and ex["status"] == 768 and ex["exited"]
    assert ex["signal"] is None and ex["core_dumped"] is False
    assert ex["exit_signal"] == signal.SIGCHLD
    assert ex["parent_tgid"] == ME
    assert 0.15 < ex["lifetime_s"] < 5, ex
    killed = first_event(objs, kpid, "exit")
    assert killed["exited"] is False and killed["exit_code"] is None
    assert killed["signal"] == signal.SIGTERM
    assert killed["signal_name"] == "SIGTERM"


def test_json_uid_gid_sid_comm_ptrace():
    w = Watch("--json")
    code = ("import os, ctypes\n"
            "libc = ctypes.CDLL(None)\n"
            "libc.prctl(15, b'rf-json-name', 0, 0, 0)\n"
            "os.setsid()\n"
            "os.setresgid(4280, 4281, 4281)\n"
            "os.setresuid(4282, 4283, 4283)\n")
    p = subprocess.Popen([sys.executable, "-c", code])
    p.wait()
    w.wait_for(lambda l: '"event":"exit"' in l and '"pid":%d,' % p.pid in l)
    w.stop()
    objs = w.json_lines()
    comm = first_event(objs, p.pid, "comm")
    assert comm["new_comm"] == "rf-json-name"
    assert events_of(objs, p.pid, "sid"), ("no sid event", objs)
    gid = first_event(objs, p.pid, "gid")
    assert (gid["rgid"], gid["egid"]) == (4280, 4281)
    uid = first_event(objs, p.pid, "uid")
    assert (uid["ruid"], uid["euid"]) == (4282, 4283)
    # The exit line knows the new user.
    ex = first_event(objs, p.pid, "exit")
    assert ex["uid"] == 4282, ex


def test_json_names_of_gone_processes():
    """Everything is over before forkwatch looks: processes are marked
    gone, never given another process's name."""
    w = Watch("--json")
    os.kill(w.proc.pid, signal.SIGSTOP)
    pids = [spawn("exec true")[0] for _ in range(5)]
    os.kill(w.proc.pid, signal.SIGCONT)
    w.wait_for(lambda l: '"event":"exit"' in l and
               '"pid":%d,' % pids[-1] in l)
    w.stop()
    objs = w.json_lines()
    for pid in pids:
        execs = events_of(objs, pid, "exec")
        assert execs, ("no exec event of pid %d" % pid, objs)
        for o in execs:
            assert o["process_gone"] or o["comm"] == "true", o
            assert o["cmdline"] in (None, "true"), o


def test_json_lost():
    w = Watch("--json", "--buffer", "4K")
    os.kill(w.proc.pid, signal.SIGSTOP)
    for _ in range(100):
        spawn("exit 0")
    os.kill(w.proc.pid, signal.SIGCONT)
    line = w.wait_for(lambda l: '"event":"lost"' in l)
    w.stop()
    lost = json.loads(line)
    assert lost["count"] > 0 and lost["reason"] == "overflow", lost


def test_human_lost():
    w = Watch("--buffer", "4K")
    os.kill(w.proc.pid, signal.SIGSTOP)
    for _ in range(100):
        spawn("exit 0")
    os.kill(w.proc.pid, signal.SIGCONT)
    line = w.wait_for(lambda l: l.startswith("LOST "))
    w.stop()
    assert re.match(r"LOST \d+ events \(", line), line


# --- what processes name themselves -------------------------------------------

# Arguments a process may give itself to fool a terminal: a title change,
# a carriage return, a newline that starts a fake event line, a screen
# clear, C1 controls (a lone byte, and encoded in UTF-8), a backslash,
# a byte of invalid UTF-8; and text that must stay as it is.
EVIL_ARGS = [b"rf-esc\x1b]0;pwned\x07", b"a\rb", b"c\nfake line", b"\x1b[2J",
             b"\x9b31m", b"\xc2\x9b32m", b"back\\slash", b"\xffend",
             b"bidi\xe2\x80\xaeevil", "h\u00e9llo \u2713".encode()]
# How forkwatch's human output shows them.
EVIL_SHOWN = [rb"rf-esc\x1b]0;pwned\x07", rb"a\x0db", rb"c\x0afake line",
              rb"\x1b[2J", rb"\x9b31m", rb"\xc2\x9b32m", rb"back\\slash",
              rb"\xffend", rb"bidi\xe2\x80\xaeevil",
              "h\u00e9llo \u2713".encode()]

# Renames itself (PR_SET_NAME), forks a few children, and waits.
RENAMER = ("import ctypes, os, sys\n"
           "ctypes.CDLL(None).prctl(15, b'rf\\x1b]0;pw\\x07\\r\\nX', 0, 0, 0)\n"
           "for _ in range(5):\n"
           "    pid = os.fork()\n"
           "    if pid == 0:\n"
           "        os._exit(0)\n"
           "    os.waitpid(pid, 0)\n"
           "sys.stdout.write('ready\\n')\n"
           "sys.stdout.flush()\n"
           "sys.stdin.read()\n")
RENAMER_SHOWN = rb"rf\x1b]0;pw\x07\x0d\x0aX"

# Runs the program at the path in RF_LINK (hex) with an empty argument
# list, so that its /proc/PID/cmdline is empty and forkwatch shows its
# name (the link's name): a shell that reads its commands from stdin.
EMPTY_ARGV = ("import ctypes, os\n"
              "argv = (ctypes.c_char_p * 2)(b'', None)\n"
              "ctypes.CDLL(None).execv(bytes.fromhex(os.environ['RF_LINK']),"
              " argv)\n"
              "os._exit(99)\n")
LINK_NAME = b"rf\x1b[2J\x07\tz"
LINK_SHOWN = rb"rf\x1b[2J\x07\x09z"


def assert_terminal_safe(raw_lines):
    """Nothing a terminal would act on: valid UTF-8 without C0, DEL or C1
    controls (the line ends were split off)."""
    for raw in raw_lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AssertionError("not UTF-8: %r (%s)" % (raw, e))
        bad = [c for c in text if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f]
        assert not bad, ("control characters reach the terminal", bad, raw)


def test_human_escapes_control_bytes():
    """Command lines, names and the summary's names are shown with every
    byte a terminal would act on escaped as \\xHH, and a backslash as
    \\\\; valid printable UTF-8 as it is."""
    w = Watch("-S", "--tree", str(ME), errors="backslashreplace")
    p = subprocess.Popen([b"sh", b"-c", b"sleep 0.3; exit 0", *EVIL_ARGS])
    p.wait()
    renamer = subprocess.Popen([sys.executable, "-c", RENAMER],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert renamer.stdout.readline() == b"ready\n"
    with tempfile.TemporaryDirectory() as tmp:
        link = os.path.join(os.fsencode(tmp), LINK_NAME)
        os.symlink(b"/bin/sh", link)
        empty = subprocess.Popen([sys.executable, "-c", EMPTY_ARGV],
                                 stdin=subprocess.PIPE,
                                 env=dict(os.environ, RF_LINK=link.hex()))
        empty.communicate(b"sleep 0.3; exit 4\n")
        assert empty.returncode == 4, empty.returncode
    for pid in (p.pid, empty.pid):
        w.wait_for(lambda l: re.search(r"\bexit\s+%d\b" % pid, l))
    w.stop()
    renamer.communicate(b"")

    assert_terminal_safe(w.raw_lines)
    assert not [l for l in w.raw_lines if l.startswith(b"fake line")], \
        w.raw_lines
    mine = [l for l in w.raw_lines
            if re.search(rb"\bexec\s+%d\s" % p.pid, l)]
    want = b"sh -c sleep 0.3; exit 0 " + b" ".join(EVIL_SHOWN)
    assert mine and mine[0].endswith(b" " + want), (mine, want)
    # A program run without arguments is shown by its name (the exec of
    # Python before it shows Python's command line).
    mine = [l for l in w.raw_lines
            if re.search(rb"\bexec\s+%d\s" % empty.pid, l)]
    assert len(mine) == 2 and mine[1].endswith(b" " + LINK_SHOWN), mine
    # The summary's busiest processes, by name.
    top = [l for l in w.raw_lines
           if re.match(rb"\s+5\s+%d\s" % renamer.pid, l)]
    assert top and top[0].endswith(b"  " + RENAMER_SHOWN), \
        (top, w.raw_lines[-15:])


# Byte sequences that look like UTF-8 and are not (RFC 3629): a
# surrogate, overlong forms, a code point above U+10FFFF, leads that can
# begin nothing, a sequence cut short; and valid ones beside them.
NOT_UTF8 = [b"\xed\xa0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80",
            b"\xc0\x80", b"\xc1\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
            b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80",
            b"ok\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80"]


def latin1_bytes(err):
    """forkwatch's JSON rule: a byte that is not part of valid UTF-8 is
    the character of the same number."""
    return ("".join(chr(b) for b in err.object[err.start:err.end]), err.end)


codecs.register_error("forkwatch-latin1", latin1_bytes)


def test_json_is_valid_utf8():
    """Every JSON line is valid UTF-8, whatever bytes processes put in
    their arguments and names."""
    w = Watch("--json", "--tree", str(ME), errors="backslashreplace")
    args = [b"sh", b"-c", b"sleep 0.3; exit 0", *NOT_UTF8]
    p = subprocess.Popen(args)
    p.wait()
    name = b"rf\xed\xa0\x80\xf4\x90\x80\x80\xe0\x80"
    renamer = subprocess.Popen([sys.executable, "-c",
                                "import ctypes, time\n"
                                "ctypes.CDLL(None).prctl(15, %r, 0, 0, 0)\n"
                                "time.sleep(0.3)\n" % name])
    renamer.wait()
    for pid in (p.pid, renamer.pid):
        w.wait_for(lambda l: '"event":"exit"' in l and '"pid":%d,' % pid in l)
    w.stop()

    objs = []
    for raw in w.raw_lines:
        try:
            objs.append(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("not a valid JSON line: %r (%s)" % (raw, e))
    want = b" ".join(args).decode("utf-8", "forkwatch-latin1")
    exe = first_event(objs, p.pid, "exec")
    assert exe["cmdline"] == want, (exe["cmdline"], want)
    comm = first_event(objs, renamer.pid, "comm")
    assert comm["new_comm"] == name.decode("utf-8", "forkwatch-latin1"), comm


# --- filters ------------------------------------------------------------------

def test_events_selection():
    w = Watch("--json", "-e", "exec,failure")
    ok, _ = spawn("sleep 0.1; exit 0")
    bad, _ = spawn("sleep 0.1; exit 4")
    w.wait_for(lambda l: '"event":"exit"' in l and '"pid":%d,' % bad in l)
    w.stop()
    objs = w.json_lines()
    assert objs, ("no JSON lines", w.lines)
    assert {o["event"] for o in objs} <= {"exec", "exit", "lost"}, objs
    assert not events_of(objs, ok, "exit")
    assert events_of(objs, ok, "exec"), ("no exec event of pid %d" % ok, objs)
    exits = [o for o in objs if o["event"] == "exit"]
    assert events_of(exits, bad), ("no exit event of pid %d" % bad, objs)
    assert all(o["status"] != 0 for o in exits)

    w = Watch("--json", "-e", "fork")
    pid, _ = spawn("exit 0")
    w.wait_for(lambda l: '"pid":%d,' % pid in l)
    w.settle()
    w.stop()
    objs = w.json_lines()
    assert events_of(objs, pid, "fork"), ("no fork event of pid %d" % pid,
                                          w.lines)
    assert {o["event"] for o in objs} <= {"fork", "lost"}, objs


def test_thread_events_only():
    w = Watch("--json", "-e", "thread,exec", ready=False)
    w.wait_ready()
    p = subprocess.Popen([sys.executable, "-c",
                          "import threading\n"
                          "t = threading.Thread(target=lambda: None)\n"
                          "t.start(); t.join()\n"])
    p.wait()
    w.wait_for(lambda l: '"thread":true' in l and '"tgid":%d,' % p.pid in l
               and '"event":"exit"' in l)
    w.stop()
    forks_exits = [o for o in w.json_lines() if o["event"] in ("fork", "exit")]
    assert [o for o in forks_exits if o.get("tgid") == p.pid], \
        ("no fork or exit of a thread of pid %d" % p.pid, w.lines)
    for o in forks_exits:
        # A thread's, or a main thread's that leaves while its threads
        # live on (any process on the machine may do that).
        assert o["thread"] is True or (o["event"] == "exit" and
                                       not o["process_end"]), o


LEADER_FIRST = (
    "import os, sys, threading, time\n"
    "def end():\n"
    "    time.sleep(0.3)\n"
    "    os._exit(7)\n"
    "threading.Thread(target=end).start()\n"
    "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
    # The main thread leaves; the process lives on in its threads.
    "import ctypes\n"
    "ctypes.CDLL(None).pthread_exit(None)\n")


def test_process_end_when_main_thread_leaves_first():
    """The main thread exits first: the process's end is its last
    thread's exit, with the real status, for every selection."""
    # (exec: so that forkwatch's readiness probe shows)
    for args in [("--json",), ("--json", "-e", "failure,exec"),
                 ("--json", "-e", "all")]:
        w = Watch(*args)
        p = subprocess.Popen([sys.executable, "-c", LEADER_FIRST])
        assert p.wait() == 7
        w.wait_for(lambda l: '"process_end":true' in l and
                   '"tgid":%d,' % p.pid in l)
        w.settle(0.2)
        w.stop()
        exits = [o for o in w.json_lines()
                 if o["event"] == "exit" and o["tgid"] == p.pid]
        ends = [o for o in exits if o["process_end"]]
        assert len(ends) == 1, (args, exits)
        assert ends[0]["exit_code"] == 7, ends[0]
        assert ends[0]["thread"] is True and ends[0]["pid"] != p.pid, ends[0]
        assert ends[0]["cmdline"] and "python" in ends[0]["cmdline"], ends[0]
        if "all" in args:
            # The main thread's own exit, shown as a thread's.
            main = [o for o in exits if o["pid"] == p.pid]
            assert len(main) == 1 and main[0]["exit_code"] == 0, exits
            assert not main[0]["process_end"], main
        else:
            assert exits == ends, (args, exits)

    # Human output: the process, by its pid, with its status.
    w = Watch()
    p = subprocess.Popen([sys.executable, "-c", LEADER_FIRST])
    assert p.wait() == 7
    line = w.wait_for(lambda l: re.search(r"\bexit\s+%d\b" % p.pid, l))
    w.stop()
    assert re.search(r"\sproc\s.*exit 7 \(last thread \d+\)", line), line
    assert not [l for l in w.lines
                if re.search(r"\bexit\s+%d\b.*exit 0" % p.pid, l)], w.lines


def test_resync_after_loss():
    """Events lost: the table and the tree are read again from /proc.
    A child forked while forkwatch could not keep up (its fork lost)
    still counts as part of the tree, and its name is known."""
    w = Watch("--json", "--tree", str(ME), "-b", "64K")
    os.kill(w.proc.pid, signal.SIGSTOP)
    try:
        # Fill the buffer (about 150 events) while forkwatch is stopped,
        # then start the child: its fork cannot be queued.
        spawn("i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done")
        child = subprocess.Popen(["sh", "-c", "read x; exit 5"],
                                 stdin=subprocess.PIPE)
        time.sleep(0.1)
    finally:
        os.kill(w.proc.pid, signal.SIGCONT)
    w.wait_for(lambda l: '"event":"lost"' in l)
    child.communicate(b"go\n")
    assert child.returncode == 5
    line = w.wait_for(lambda l: '"event":"exit"' in l and
                      '"pid":%d,' % child.pid in l)
    w.stop()
    o = json.loads(line)
    assert o["exit_code"] == 5, o
    assert o["cmdline"] == "sh -c read x; exit 5", o
    forks = events_of(w.json_lines(), child.pid, "fork")
    assert not forks, ("the child's fork was not lost; the test proves "
                       "nothing", forks)


def test_pid_filter():
    target = subprocess.Popen(["sh", "-c", "read x; /bin/true; exit 2"],
                              stdin=subprocess.PIPE)
    w = Watch("--json", "--pid", str(target.pid), ready=False)
    time.sleep(0.5)
    other, _ = spawn("exit 0")
    target.communicate(b"go\n")
    w.wait_for(lambda l: '"event":"exit"' in l and
               '"pid":%d,' % target.pid in l)
    w.settle()
    w.stop()
    objs = w.json_lines()
    assert events_of(objs, target.pid, "exit"), \
        ("no exit event of pid %d" % target.pid, w.lines)
    assert not events_of(objs, other)
    for o in objs:
        assert o["tgid"] == target.pid or o.get("parent_tgid") == target.pid, o
    # Its fork of `true` is shown, as a fork it made.
    assert [o for o in objs if o["event"] == "fork"], objs


def test_tree_follows_descendants():
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "go")
        os.mkfifo(fifo)
        # An outsider: started by us, but reparented away before
        # forkwatch starts, so not a descendant.
        subprocess.run(["sh", "-c", "(read x < %s; sh -c 'exit 7') & exit 0"
                        % fifo])
        time.sleep(0.1)
        # A descendant that exists already when forkwatch starts.
        early = subprocess.Popen(["sh", "-c", "read x; sh -c 'exit 9'"],
                                 stdin=subprocess.PIPE)
        w = Watch("--json", "--tree", str(ME))
        # Grandchildren made after the start.
        pid, _ = spawn("sh -c 'sh -c \"exit 6\"'")
        w.wait_for(lambda l: '"exit_code":6' in l)
        early.communicate(b"go\n")
        w.wait_for(lambda l: '"exit_code":9' in l)
        with open(fifo, "w") as f:
            f.write("go\n")
        time.sleep(0.3)
        w.settle()
        w.stop()
    objs = w.json_lines()
    codes = {o.get("exit_code") for o in objs if o["event"] == "exit"}
    assert 6 in codes and 9 in codes, codes
    assert 7 not in codes, objs
    # Every event is about our tree: a forkwatch of our own pid sees the
    # probes, the workload and its children.
    assert events_of(objs, pid, "fork"), ("no fork event of pid %d" % pid,
                                          objs)


def test_uid_filter():
    def become():
        os.setgroups([])
        os.setresgid(4290, 4290, 4290)
        os.setresuid(4290, 4290, 4290)
    w = Watch("--json", "--uid", "4290", ready=False)
    time.sleep(0.5)
    mine, _ = spawn("exit 0")
    p = subprocess.Popen(["sh", "-c", "sleep 0.1; exit 0"], preexec_fn=become)
    p.wait()
    w.wait_for(lambda l: '"event":"exit"' in l and '"pid":%d,' % p.pid in l)
    w.stop()
    objs = w.json_lines()
    assert events_of(objs, p.pid, "exit"), \
        ("no exit event of pid %d" % p.pid, w.lines)
    assert objs and all(o["uid"] == 4290 or o.get("ruid") == 4290
                        or o.get("euid") == 4290 for o in objs), objs
    assert not events_of(objs, mine)


def test_comm_filter():
    with tempfile.TemporaryDirectory() as tmp:
        # Long enough to be read: a name comes from /proc at exec.
        prog = os.path.join(tmp, "rfkwatch-sleep")
        os.symlink("/bin/sleep", prog)
        w = Watch("--json", "--comm", "rfkwatch-*", ready=False)
        time.sleep(0.5)
        other, _ = spawn("exit 0")
        p = subprocess.Popen([prog, "0.3"])
        p.wait()
        w.wait_for(lambda l: '"event":"exit"' in l and
                   '"pid":%d,' % p.pid in l)
        w.stop()
    objs = w.json_lines()
    assert events_of(objs, p.pid, "exec"), ("no exec event of pid %d" % p.pid,
                                            objs)
    assert not events_of(objs, other)
    assert objs and all(o["comm"] and o["comm"].startswith("rfkwatch-")
                        for o in objs), objs


# --- stopping and statistics ----------------------------------------------------

def test_count_stops():
    w = Watch("--json", "--count", "3", ready=False)
    for _ in range(20):
        spawn("exit 0")
        if w.proc.poll() is not None:
            break
        time.sleep(0.05)
    rc = w.proc.wait(timeout=10)
    w.stop()
    assert rc == 0
    assert len(w.json_lines()) == 3, w.lines


def test_duration_stops():
    start = time.monotonic()
    r = run_forkwatch("--duration", "0.5", "-q")
    took = time.monotonic() - start
    assert r.returncode == 0 and 0.4 < took < 3, (r.returncode, took)
    assert "Summary:" in r.stdout


def test_signals_stop_cleanly_with_summary():
    for sig in (signal.SIGINT, signal.SIGTERM):
        w = Watch("-S")
        assert w.stop(sig) == 0
        assert any(l.startswith("Summary:") for l in w.lines), w.lines


def test_quiet_summary_counts():
    w = Watch("-q", "--json", "--tree", str(ME), ready=False)
    time.sleep(0.5)
    n = 20
    for _ in range(n):
        subprocess.run(["true"])
    time.sleep(0.2)
    w.stop()
    objs = w.json_lines()
    assert len(objs) == 1 and objs[0]["event"] == "summary", w.lines
    s = objs[0]
    assert s["final"] is True and s["lost"] == 0
    assert s["counts"]["fork"] == n and s["counts"]["exec"] == n, s
    assert s["counts"]["exit"] == n, s
    assert s["events"] == 3 * n
    assert s["top_forkers"], ("no top forkers", s)
    top = s["top_forkers"][0]
    assert top["pid"] == ME and top["forks"] == n, s


def test_stats_interval():
    w = Watch("--stats-interval", "0.2", "-q", ready=False)
    time.sleep(0.7)
    w.stop()
    assert len([l for l in w.lines if l.startswith("Interval:")]) >= 2
    assert len([l for l in w.lines if l.startswith("Summary:")]) == 1


# --- where the output goes ------------------------------------------------------

def run_with_events(cmd, stdout, timeout=10):
    """Run forkwatch (cmd: its arguments, or a shell command line) while
    processes come and go, until it exits; return its status and its
    standard error."""
    if isinstance(cmd, str):
        argv = ["sh", "-c", cmd, FORKWATCH]
    else:
        argv = [FORKWATCH, *cmd]
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        subprocess.run(["true"])
        time.sleep(0.02)
    if p.poll() is None:
        p.kill()
        p.wait()
        raise AssertionError("forkwatch still runs after %ds" % timeout)
    return p.returncode, p.stderr.read().decode()


def test_write_error_is_reported():
    """A full disk is an error, said on standard error, in every mode."""
    for args in (["-d", "5"], ["--json", "-d", "5"], ["-q", "-d", "0.3"],
                 ["-S", "-d", "5"]):
        with open("/dev/full", "wb") as full:
            rc, err = run_with_events(args, full)
        assert rc == 1, (args, rc, err)
        assert err == "forkwatch: writing the output: No space left on " \
                      "device\n", (args, err)
    for args in (["--help"], ["--version"]):
        with open("/dev/full", "wb") as full:
            r = subprocess.run([FORKWATCH, *args], stdout=full,
                               stderr=subprocess.PIPE, text=True)
        assert r.returncode == 1 and "No space left" in r.stderr, (args, r)


def test_closed_stdout_is_an_error():
    """With standard output closed, forkwatch says so and fails: it
    never writes events into a descriptor of its own that took number 1."""
    for cmd in ('exec "$0" -d 2 >&-', 'exec "$0" -q -d 0.2 >&-',
                'exec "$0" --json -d 2 >&- 0<&-'):
        rc, err = run_with_events(cmd, subprocess.DEVNULL)
        assert rc == 1, (cmd, rc, err)
        assert err == "forkwatch: standard output is closed\n", (cmd, err)
    r = subprocess.run(["sh", "-c", 'exec "$0" --version >&-', FORKWATCH],
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1 and "Bad file descriptor" in r.stderr, r


def test_reader_going_away_is_quiet():
    """forkwatch | head -n1: the end of the reader ends forkwatch, with
    success and nothing said."""
    for args in ([], ["--json"], ["-S"]):
        head = subprocess.Popen(["head", "-n1"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
        rc, err = run_with_events([*args, "-d", "5"], head.stdin)
        head.stdin.close()
        first = head.stdout.read()
        head.wait()
        assert rc == 0 and err == "", (args, rc, err)
        assert first.count(b"\n") == 1, (args, first)
        if args == ["--json"]:
            json.loads(first)
        else:
            assert first.startswith(b"TIME "), first


def test_stats_interval_floor():
    """Summaries are for people: no more than ten a second."""
    for value in ["0.01", "0.099", "1e-9"]:
        r = run_forkwatch("--stats-interval", value, "-d", "0.3")
        assert r.returncode == 2, (value, r.returncode, r.stderr)
        assert "at least 0.1" in r.stderr, (value, r.stderr)
        assert r.stdout == "", (value, r.stdout)
    r = run_forkwatch("--stats-interval", "0.1", "-q", "-d", "0.35")
    assert r.returncode == 0, r.stderr
    assert len([l for l in r.stdout.splitlines()
                if l.startswith("Interval:")]) >= 2, r.stdout
    # Said in --help and in the manual page alike.
    helptext = run_forkwatch("--help").stdout
    assert re.search(r"--stats-interval SECONDS\n.*\(at least 0\.1\)",
                     helptext), helptext
    if MANPAGE:
        with open(MANPAGE) as f:
            page = f.read()
        assert re.search(r"\*--stats-interval\* _SECONDS_\n(\t.*\n)*"
                         r"\t.*at least 0\.1\b", page), "forkwatch.1.scd"



# --- attribution: cgroups, containers, units, PID namespaces ---------------

def cgroup2_mount():
    """Where the cgroup v2 hierarchy is mounted (on a hybrid host, beside
    the v1 ones), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                return left.split()[4]
    return None


HOST_PIDNS = os.stat("/proc/self/ns/pid").st_ino


class Cgroups:
    """cgroups this test makes under its own directory relayfork-fwtest-PID
    of the v2 hierarchy; on leaving (also on a failure) whatever runs in
    them is killed and every one is removed."""

    def __enter__(self):
        self.mount = cgroup2_mount()
        assert self.mount, "no cgroup v2 hierarchy is mounted"
        self.base = os.path.join(self.mount, "relayfork-fwtest-%d" % ME)
        self.made = []
        self.make("")
        return self

    def make(self, rel):
        """Make BASE/REL; return its directory and its path as
        /proc/PID/cgroup shows it."""
        path = os.path.normpath(os.path.join(self.base, rel))
        os.mkdir(path)
        self.made.append(path)
        return path, "/" + os.path.relpath(path, self.mount)

    def __exit__(self, *exc):
        for path in reversed(self.made):
            deadline = time.monotonic() + 5
            while True:
                try:
                    with open(os.path.join(path, "cgroup.procs")) as f:
                        for pid in f.read().split():
                            try:
                                os.kill(int(pid), signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    # Killed processes leave a populated cgroup until
                    # they are reaped.
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        return False


def run_in(cgdir, cmd, stdin=None):
    """Start sh -c CMD in the cgroup CGDIR: the child moves itself there
    before it executes anything."""
    def enter():
        with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    return subprocess.Popen(["sh", "-c", cmd], preexec_fn=enter, stdin=stdin)


def run_shown_in(w, cgdir, cmd, shown):
    """Run sh -c 'read x; CMD' in the cgroup CGDIR and let it go on only
    once forkwatch W has printed a line that shown(line, pid) accepts: a
    filter by cgroup needs the process's cgroup, read from /proc while
    it lives, and under ASan forkwatch can come too late for a process
    that ends at once."""
    p = run_in(cgdir, "read x; " + cmd, stdin=subprocess.PIPE)
    w.wait_for(lambda l: shown(l, p.pid))
    p.stdin.close()
    p.wait()
    return p


def human_event(line, event, pid):
    """A human line of this event of this pid."""
    return line.split()[1:3] == [event, str(pid)]


def wait_ready_in(w, cgdir):
    """A filtered forkwatch shows nothing of the test's own probes:
    probe from inside the cgroup it selects until one shows up."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = run_in(cgdir, "true")
        probe.wait()
        try:
            w.wait_for(lambda l: str(probe.pid) in l, timeout=0.5)
            return
        except AssertionError:
            pass
    raise AssertionError("forkwatch never showed an event")


def container_id(first):
    """A random docker-like id (64 hex digits) starting with FIRST."""
    return first + os.urandom(32).hex()[len(first):]


def test_container_filter_and_fields():
    cid, other = container_id("a"), container_id("b")
    with Cgroups() as cg:
        cdir, shown = cg.make("docker-%s.scope" % cid)
        odir, _ = cg.make("docker-%s.scope" % other)
        w = Watch("--json", "--container", cid[:12], ready=False)
        try:
            wait_ready_in(w, cdir)
            inside = run_in(cdir, "sleep 0.1; exit 4")
            beside = run_in(odir, "sleep 0.1; exit 5")
            outside, _ = spawn("sleep 0.1; exit 6")
            inside.wait()
            beside.wait()
            w.wait_for(lambda l: '"event":"exit"' in l and
                       '"pid":%d,' % inside.pid in l)
            w.settle()
        finally:
            w.stop()
    objs = w.json_lines()
    for o in objs:
        assert o["container"] and o["container"]["id"] == cid, o
    pids = {o["tgid"] for o in objs}
    assert beside.pid not in pids and outside not in pids, pids
    ex = first_event(objs, inside.pid, "exit")
    assert ex["exit_code"] == 4
    assert ex["container"] == {"runtime": "docker", "id": cid, "pod": None,
                               "monitor": False}, ex
    assert ex["cgroup"] == shown and ex["unit"] == "docker-%s.scope" % cid
    assert ex["ns_pid"] == inside.pid and ex["pidns"] == HOST_PIDNS, ex
    assert ex["cgroup_inherited"] is False
    # The shell's child, sleep, was forked inside: its fork, exec and
    # exit are the container's too.
    sleeps = [o for o in objs if o["event"] == "fork" and
              o["parent_tgid"] == inside.pid]
    assert sleeps, objs
    assert first_event(objs, sleeps[0]["pid"], "exec")["comm"] == "sleep"


def test_container_column():
    cid = container_id("c")
    with Cgroups() as cg:
        cdir, _ = cg.make("docker-%s.scope" % cid)
        w = Watch("--container", cid[:4], ready=False)
        try:
            wait_ready_in(w, cdir)
            p = run_shown_in(w, cdir, "exit 3",
                             lambda l, pid: human_event(l, "exec", pid))
            line = w.wait_for(lambda l: human_event(l, "exit", p.pid))
            assert "exit 3" in line, line
        finally:
            w.stop()
    assert "docker:%s " % cid[:12] in line, line
    assert cid[12:] not in line, line
    assert "CONTAINER/UNIT" in w.lines[0], w.lines[0]


def test_cgroup_subtree_filter():
    with Cgroups() as cg:
        adir, ashown = cg.make("a")
        xdir, xshown = cg.make("a/x")
        # A sibling whose name starts with the filter's: not below it.
        abdir, _ = cg.make("ab")
        # As /proc/PID/cgroup shows it, with a trailing slash; and as a
        # file system path under the mount point.
        for spelling in (ashown + "/", adir):
            w = Watch("--json", "--cgroup", spelling, ready=False)
            try:
                wait_ready_in(w, xdir)
                sibling = run_in(abdir, "exit 8")
                below = run_shown_in(
                    w, xdir, "exit 7",
                    lambda l, pid: '"event":"exec"' in l and
                    '"pid":%d,' % pid in l)
                sibling.wait()
                w.wait_for(lambda l: '"event":"exit"' in l and
                           '"pid":%d,' % below.pid in l)
                w.settle()
            finally:
                w.stop()
            objs = w.json_lines()
            assert sibling.pid not in {o["tgid"] for o in objs}, objs
            ex = first_event(objs, below.pid, "exit")
            assert ex["cgroup"] == xshown and ex["container"] is None, ex
            for o in objs:
                assert o["cgroup"].startswith(ashown + "/"), o


def test_unit_filter():
    unit = "relayfork-fwtest-%d.service" % ME
    with Cgroups() as cg:
        udir, shown = cg.make(unit)
        odir, _ = cg.make("other-%d.service" % ME)
        # Without its suffix, the name is a service's.
        w = Watch("-C", "--unit", unit[:-len(".service")], ready=False)
        try:
            wait_ready_in(w, udir)
            q = run_in(odir, "exit 10")
            p = run_shown_in(w, udir, "exit 9",
                             lambda l, pid: human_event(l, "exec", pid))
            q.wait()
            line = w.wait_for(lambda l: human_event(l, "exit", p.pid))
            assert "exit 9" in line, line
            w.settle()
        finally:
            w.stop()
    assert " %s " % unit in line, line
    assert not [l for l in w.lines if "exit 10" in l], w.lines


def test_pid_namespace():
    if not shutil.which("unshare"):
        return
    w = Watch("--json", "-C")
    try:
        p = subprocess.Popen(["unshare", "--pid", "--fork", "sh", "-c",
                              "sleep 0.2; exit 0"])
        p.wait()
        assert p.returncode == 0, "unshare --pid failed"
        w.wait_for(lambda l: '"event":"exit"' in l and
                   '"pid":%d,' % p.pid in l)
        w.settle()
    finally:
        w.stop()
    objs = w.json_lines()
    child = [o for o in objs if o["event"] == "exec" and
             o["ppid"] == p.pid and o["comm"] == "sh"]
    assert child, objs
    assert child[0]["ns_pid"] == 1, child[0]
    assert child[0]["pidns"] not in (None, HOST_PIDNS), child[0]
    # unshare itself stays in the test's namespace.
    own = first_event(objs, p.pid, "exit")
    assert own["ns_pid"] == p.pid and own["pidns"] == HOST_PIDNS, own


def test_attribution_summary():
    r = run_forkwatch("-q", "-C", "-j", "-d", "0.3")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert set(summary["attribution"]) == {"reads", "inherited", "evicted",
                                           "processes", "cgroups"}
    r = run_forkwatch("-q", "-j", "-d", "0.05")
    assert "attribution" not in json.loads(r.stdout.splitlines()[-1])


def main():
    tests = [(n, f) for n, f in globals().items()
             if n.startswith("test_") and callable(f)]
    only = os.environ.get("FORKWATCH_TEST")
    failed = 0
    ran = 0
    for name, fn in tests:
        if only and only not in name:
            continue
        ran += 1
        try:
            fn()
            print("ok  ", name)
        except Exception:
            failed += 1
            print("FAIL", name)
            traceback.print_exc()
    if not ran:
        print("FAIL no test matches FORKWATCH_TEST=%s" % only)
        return 1
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
