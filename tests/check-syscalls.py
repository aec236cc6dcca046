#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every system call relayforkd makes is one its unit's SystemCallFilter=
allows: a call outside it would fail with EPERM under systemd, or kill
the daemon, and nothing else would tell.

The daemon runs under strace(1) through what it does in service, with
-u: mount, a registration by root, one by another user (its
credentials read at open, its target held by a pidfd), one past that
user's limit, a last line applied at close, a forwarded fork, a signal
change, the stats, a uid change that revokes a registration, a crash
(SIGKILL), then a start that detaches the dead mount and restores the
registrations from the state file (the user's checked again), and a
clean stop.  The unit's
filter is expanded with `systemd-analyze syscall-filter`.

Usage: check-syscalls.py RELAYFORKD UNIT-FILE.  Exits 77 without
strace, systemd-analyze, root or /dev/fuse.
"""
import errno
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


def groups():
    """Each group of `systemd-analyze syscall-filter`: name -> members."""
    out = subprocess.run(['systemd-analyze', 'syscall-filter', '--no-pager'],
                         check=True, capture_output=True, text=True).stdout
    result, current = {}, None
    for line in out.splitlines():
        if line.startswith('@'):
            current = result.setdefault(line.split()[0], [])
        elif current is not None and line.strip() and \
                not line.strip().startswith('#'):
            current.append(line.split()[0])
    return result


def expand(name, table):
    if not name.startswith('@'):
        return {name}
    names = set()
    for member in table[name]:
        names |= expand(member, table)
    return names


def allowed(unit):
    """The system calls the unit's SystemCallFilter= lines allow (the
    first line's list, with later ones added or, after ~, taken away)."""
    table = groups()
    allow = None
    for line in open(unit):
        if not line.startswith('SystemCallFilter='):
            continue
        value = line.split('=', 1)[1].strip()
        deny = value.startswith('~')
        names = set()
        for word in value.lstrip('~').split():
            names |= expand(word, table)
        if allow is None:
            if deny:
                sys.exit('%s: a deny list only; this test reads allow '
                         'lists' % unit)
            allow = names
        elif deny:
            allow -= names
        else:
            allow |= names
    if allow is None:
        sys.exit('%s: no SystemCallFilter=' % unit)
    return allow


def wait_for(check, what, seconds=10):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError('timed out waiting for ' + what)
        time.sleep(0.02)


def served(mnt):
    try:
        with open(os.path.join(mnt, 'processes')):
            return True
    except OSError:
        return False


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def traced_daemon(daemon, mnt, log, tracelog):
    """relayforkd -u under strace; (strace's process, the daemon's
    pid)."""
    with open(log, 'a') as err:
        tracer = subprocess.Popen(
            ['strace', '-f', '-qq', '-o', tracelog, '--', daemon, '-v',
             '-u', '--max-per-user', '2', '-m', mnt],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err)

    def pid():
        # The daemon's pid starts the trace's first line, its execve.
        try:
            m = re.match(r'(\d+) ', open(tracelog).readline())
        except OSError:
            return None
        return int(m.group(1)) if m else None
    wait_for(pid, 'strace to start relayforkd')
    wait_for(lambda: served(mnt), 'the mount')
    return tracer, pid()


def receiver():
    """A child that blocks SIGRTMIN and reports each one's sival_int (a
    forked child's pid) on a pipe; (pid, read end)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN])
        os.write(w, b'ready\n')
        # Every fork in the system, until killed (running still, to be
        # restored after the crash).
        while True:
            info = signal.sigwaitinfo([signal.SIGRTMIN])
            # sival_int, where the kernel's siginfo keeps a child's
            # status.
            os.write(w, b'%d\n' % info.si_status)
    os.close(w)
    assert os.read(r, 6) == b'ready\n'
    return pid, r


# A user other than root, for the permission model's calls.
USER = 4284


def user_process(root_later):
    """A process of USER that waits; with root_later it keeps root as its
    saved uid and becomes wholly root when its pipe is written to.
    (pid, write end or None)."""
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w)
        os.close(ready_r)
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN])
        os.setgroups([])
        os.setresgid(USER, USER, USER)
        os.setresuid(USER, USER, 0 if root_later else USER)
        os.write(ready_w, b'r')
        os.read(r, 1)
        if root_later:
            os.setresuid(0, 0, 0)
        while True:
            signal.pause()
    os.close(r)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b'r'
    os.close(ready_r)
    if not root_later:
        os.close(w)
        w = None
    return pid, w


def write_as_user(path, text):
    """Write text as USER, the file closed after: 0 or the errno."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setresgid(USER, USER, USER)
            os.setresuid(USER, USER, USER)
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
        except OSError as e:
            code = e.errno
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def fork_and_reap():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def used(tracelog):
    names = set()
    for line in open(tracelog):
        m = re.match(r'\d+\s+([a-z0-9_]+)\(', line)
        if m:
            names.add(m.group(1))
    return names


def session(daemon, mnt, work, rx, rfd, users):
    calls = set()
    log = os.path.join(work, 'log')
    processes = os.path.join(mnt, 'processes')

    tracer, pid = traced_daemon(daemon, mnt, log,
                                os.path.join(work, 'trace1'))
    write(processes, '%d\n' % rx)
    switching, go = user_process(True)
    kept, _ = user_process(False)
    other, _ = user_process(False)
    users += [switching, kept, other]
    for text, expect in (('%d\n' % switching, 0),
                         ('%d %d\n' % (kept, other), errno.EDQUOT),
                         # No newline: applied at close.
                         ('%d' % kept, 0)):
        r = write_as_user(processes, text)
        if r != expect:
            sys.exit('writing %r as uid %d: %s, not %s' % (
                text, USER, os.strerror(r), os.strerror(expect)))
    child = fork_and_reap()
    open(os.path.join(mnt, 'stats')).read()
    write(os.path.join(mnt, 'signal'), '%d\n' % signal.SIGRTMIN)
    # Wholly root now: its registrant may no longer signal it.
    os.write(go, b'g')
    os.close(go)
    wait_for(lambda: 'revoked %d' % switching in open(log).read(),
             'the revocation')
    # A crash: the mount stays, dead, and the registration in the file.
    os.kill(pid, signal.SIGKILL)
    tracer.wait()
    calls |= used(os.path.join(work, 'trace1'))

    tracer, pid = traced_daemon(daemon, mnt, log,
                                os.path.join(work, 'trace2'))
    listed = open(processes).read()
    os.kill(pid, signal.SIGTERM)
    tracer.wait()
    calls |= used(os.path.join(work, 'trace2'))
    if listed != '%d %d \n' % (rx, kept):
        sys.exit('not restored after the crash: %r' % listed)

    got = b''
    while b'\n%d\n' % child not in b'\n' + got and \
            select.select([rfd], [], [], 10)[0]:
        got += os.read(rfd, 4096)
    if b'\n%d\n' % child not in b'\n' + got:
        sys.exit('the receiver was not told of the fork %d' % child)
    if not calls:
        sys.exit('strace recorded no system call')
    return calls


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: check-syscalls.py RELAYFORKD UNIT-FILE')
    daemon, unit = sys.argv[1], sys.argv[2]
    for tool in ('strace', 'systemd-analyze'):
        if not shutil.which(tool):
            print('skipping: no ' + tool)
            return SKIP
    if os.geteuid() != 0 or not os.access('/dev/fuse', os.R_OK | os.W_OK):
        print('skipping: relayforkd mounts need root and /dev/fuse')
        return SKIP
    allow = allowed(unit)

    work = tempfile.mkdtemp(prefix='relayforkd-test-')
    # The other user reaches the mount through it.
    os.chmod(work, 0o755)
    mnt = os.path.join(work, 'mnt')
    rx, rfd = receiver()
    users = []
    try:
        calls = session(daemon, mnt, work, rx, rfd, users)
    finally:
        for p in [rx] + users:
            os.kill(p, signal.SIGKILL)
            os.waitpid(p, 0)
        os.close(rfd)
        for _ in range(4):
            if subprocess.run(['umount', '-l', mnt],
                              stderr=subprocess.DEVNULL).returncode != 0:
                break
        try:
            os.unlink(mnt + '.state')
        except FileNotFoundError:
            pass
        shutil.rmtree(work)

    print('system calls made: ' + ' '.join(sorted(calls)))
    refused = sorted(calls - allow)
    if refused:
        print('%s refuses: %s' % (unit, ' '.join(refused)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
