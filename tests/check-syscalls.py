#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every system call relayforkd makes is one its unit's SystemCallFilter=
allows: a call outside it would fail with EPERM under systemd, or kill
the daemon, and nothing else would tell.

The daemon runs under strace(1) through what it does in service:
mount, a registration, a forwarded fork, a signal change, the stats, a
crash (SIGKILL), then a start that detaches the dead mount and restores
the registration from the state file, and a clean stop.  The unit's
filter is expanded with `systemd-analyze syscall-filter`.

Usage: check-syscalls.py RELAYFORKD UNIT-FILE.  Exits 77 without
strace, systemd-analyze, root or /dev/fuse.
"""
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
    """relayforkd under strace; (strace's process, the daemon's pid)."""
    with open(log, 'a') as err:
        tracer = subprocess.Popen(
            ['strace', '-f', '-qq', '-o', tracelog, '--', daemon, '-v',
             '-m', mnt], stdin=subprocess.DEVNULL, stdout=err, stderr=err)

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


def session(daemon, mnt, work, rx, rfd):
    calls = set()
    log = os.path.join(work, 'log')

    tracer, pid = traced_daemon(daemon, mnt, log,
                                os.path.join(work, 'trace1'))
    write(os.path.join(mnt, 'processes'), '%d\n' % rx)
    child = fork_and_reap()
    open(os.path.join(mnt, 'stats')).read()
    write(os.path.join(mnt, 'signal'), '%d\n' % signal.SIGRTMIN)
    # A crash: the mount stays, dead, and the registration in the file.
    os.kill(pid, signal.SIGKILL)
    tracer.wait()
    calls |= used(os.path.join(work, 'trace1'))

    tracer, pid = traced_daemon(daemon, mnt, log,
                                os.path.join(work, 'trace2'))
    processes = open(os.path.join(mnt, 'processes')).read()
    os.kill(pid, signal.SIGTERM)
    tracer.wait()
    calls |= used(os.path.join(work, 'trace2'))
    if processes != '%d \n' % rx:
        sys.exit('not restored after the crash: %r' % processes)

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
    mnt = os.path.join(work, 'mnt')
    rx, rfd = receiver()
    try:
        calls = session(daemon, mnt, work, rx, rfd)
    finally:
        os.kill(rx, signal.SIGKILL)
        os.waitpid(rx, 0)
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
