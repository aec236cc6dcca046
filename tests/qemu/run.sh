#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run the kernel test suite on an older kernel: Debian 12's 6.1 cloud
# kernel, booted under qemu with a busybox initramfs that holds the test
# programs built in BUILD_DIR and the libraries they need.  Before Linux
# 6.6 the proc connector cannot filter, ignores the 8-byte subscription,
# needs CAP_NET_ADMIN and keeps one listener count for everyone; the
# library's fallbacks for that are tested here, on a real old kernel.
#
# Usage: tests/qemu/run.sh BUILD_DIR [CACHE_DIR]
#
# Downloads (the kernel and busybox-static packages, with apt-get
# download, so the host's kernels stay as they are) are cached in
# CACHE_DIR, by default BUILD_DIR/qemu-cache.  qemu-system-x86 is
# installed with apt-get when missing and we are root.
#
# Exits 0 when every test passed in the guest, 1 when one failed, did
# not finish or the guest did not boot, and 77 (skip) with the reason
# when qemu or the kernel cannot be had.
#
# Environment:
#   RELAYFORK_QEMU_ACCEL    kvm or tcg (default: kvm when /dev/kvm is usable)
#   RELAYFORK_QEMU_TIMEOUT  seconds for the whole guest run (default 600)
#   RELAYFORK_QEMU_KERNEL   a linux-image package name (default: the newest
#                           linux-image-6.1.0-*-cloud-amd64 apt knows)
#   RELAYFORK_QEMU_TESTS    the tests to run, space-separated names from
#                           the list below (default: all but stress)
#   RELAYFORK_QEMU_REPEAT   run them this many times (default 1), to hunt
#                           for flaky tests
#   RELAYFORK_QEMU_REQUIRED if set, what would be a skip is a failure (CI)
set -u

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [CACHE_DIR]" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
cache=${2:-$build/qemu-cache}
total_timeout=${RELAYFORK_QEMU_TIMEOUT:-600}
# The guest's own limit per test stays below the total.
test_timeout=$((total_timeout / 2))

log() { echo "qemu: $*"; }
skip() {
	if [ -n "${RELAYFORK_QEMU_REQUIRED:-}" ]; then
		echo "qemu: FAIL (RELAYFORK_QEMU_REQUIRED is set): $*"
		exit 1
	fi
	echo "qemu: skipping: $*"
	exit 77
}
fail() { echo "qemu: FAIL: $*"; exit 1; }

mkdir -p "$cache" || fail "cannot create $cache"
cache=$(cd "$cache" && pwd)

is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=
apt_update() {
	[ -z "$apt_updated" ] && is_root || return 1
	apt_updated=1
	log "apt-get update"
	apt-get update -q >"$cache/apt-update.log" 2>&1
}

# A fresh machine may never have fetched the package lists.
apt_lists() {
	ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || apt_update
}

# --- qemu ---------------------------------------------------------------
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	is_root || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
	apt_lists || apt_update
	log "installing qemu-system-x86"
	install_qemu() {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends qemu-system-x86 \
			>"$cache/apt-install.log" 2>&1
	}
	install_qemu || { apt_update && install_qemu; } ||
		skip "qemu-system-x86 could not be installed (see $cache/apt-install.log)"
	qemu=$(command -v qemu-system-x86_64 || true)
	[ -n "$qemu" ] || skip "qemu-system-x86_64 not found after installing qemu-system-x86"
fi

# Unpack one package into $cache/pkg/NAME (once); sets pkgdir.
fetch_package() {
	pkgdir=$cache/pkg/$1
	[ -e "$pkgdir/.done" ] && return 0
	rm -rf "$pkgdir" "$cache/dl"
	mkdir -p "$cache/dl" "$pkgdir" || return 1
	(cd "$cache/dl" && apt-get download -q "$1") \
		>"$cache/apt-download.log" 2>&1 || return 1
	dpkg-deb -x "$cache"/dl/*.deb "$pkgdir" || return 1
	rm -rf "$cache/dl"
	touch "$pkgdir/.done"
}

# --- the kernel ---------------------------------------------------------
# The newest 6.1 cloud kernel apt knows, else (offline) the newest one
# fetched before.
kernel_package() {
	{ apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' \
		2>/dev/null | cut -d' ' -f1
	  ls "$cache/pkg" 2>/dev/null; } |
		grep -E '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' | sort -V | tail -n 1
}

apt_lists
kpkg=${RELAYFORK_QEMU_KERNEL:-$(kernel_package)}
if [ -z "$kpkg" ] || ! fetch_package "$kpkg"; then
	# Old package lists name packages the archive has dropped.
	if [ -z "${RELAYFORK_QEMU_KERNEL:-}" ] && apt_update; then
		kpkg=$(kernel_package)
	fi
	[ -n "$kpkg" ] || skip "apt knows no linux-image-6.1.0-*-cloud-amd64 package (is bookworm in the apt sources?)"
	fetch_package "$kpkg" || skip "cannot download $kpkg (see $cache/apt-download.log)"
fi
kdir=$pkgdir
vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || fail "$kpkg has no /boot/vmlinuz-*"

# --- busybox --------------------------------------------------------------
if [ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic'; then
	busybox=/bin/busybox
else
	fetch_package busybox-static || { apt_update && fetch_package busybox-static; } ||
		skip "cannot download busybox-static (see $cache/apt-download.log)"
	busybox=$pkgdir/bin/busybox
fi

# --- the initramfs --------------------------------------------------------
# The build tree's layout is kept under /relayfork, so that the programs'
# RUNPATH ($ORIGIN/../lib) finds librelayfork as it does in the build.
root=$cache/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/relayfork/tests" "$root/relayfork/examples" \
	"$root/relayfork/lib" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
	"$root/root" "$root/etc" || fail "cannot create $root"

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
ln -s bin "$root/sbin"
mkdir -p "$root/usr"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
install -m 755 "$here/init" "$root/init"
install -m 755 "$here/forkwatch-smoke.sh" "$root/relayfork/forkwatch-smoke.sh"
install -m 755 "$here/jobacct-smoke.sh" "$root/relayfork/jobacct-smoke.sh"

# name, then the command run in /relayfork
all_tests="
kernel tests/test-kernel
monitor tests/test-monitor
exits tests/test-exits
tracker tests/test-tracker
forward tests/test-forward
balance tests/test-balance
api tests/test-api
taskstats-kernel tests/test-taskstats-kernel
forkwatch-smoke sh forkwatch-smoke.sh examples/forkwatch
jobacct-smoke sh jobacct-smoke.sh examples/jobacct
stress tests/test-stress
taskstats-capture tests/taskstats-capture ts_v13
"
programs="tests/test-kernel tests/test-monitor tests/test-exits tests/test-tracker tests/test-forward tests/test-balance tests/test-api examples/forkwatch examples/jobacct tests/test-stress tests/test-taskstats-kernel tests/taskstats-capture"
# Not stress by default: it wants more forks per second than TCG makes;
# not taskstats-capture, which records the kernel's exit messages for
default_tests="kernel monitor exits tracker forward balance api taskstats-kernel forkwatch-smoke jobacct-smoke"
# relayforkd where it was built, with the kernel package's FUSE module.
fuse_ko=$(find "$kdir/lib/modules" -name fuse.ko 2>/dev/null | head -n 1)
if [ -x "$build/examples/relayforkd" ] && [ -x "$build/tests/test-relayforkd" ] &&
   [ -n "$fuse_ko" ]; then
	all_tests="$all_tests
relayforkd tests/test-relayforkd examples/relayforkd"
	programs="$programs tests/test-relayforkd examples/relayforkd"
	default_tests="$default_tests relayforkd"
	mkdir -p "$root/lib/modules"
	cp "$fuse_ko" "$root/lib/modules/fuse.ko"
fi
wanted=${RELAYFORK_QEMU_TESTS:-$default_tests}
repeat=${RELAYFORK_QEMU_REPEAT:-1}
i=1
while [ "$i" -le "$repeat" ]; do
	echo "$all_tests" | while read -r name cmd; do
		[ -n "$name" ] || continue
		[ "$repeat" = 1 ] || suffix=".$i"
		case " $wanted " in *" $name "*) echo "$name${suffix:-} $cmd" ;; esac
	done
	i=$((i + 1))
done >"$root/relayfork/tests.list"
expected=$(cut -d' ' -f1 "$root/relayfork/tests.list")
[ -n "$expected" ] || fail "no test selected (RELAYFORK_QEMU_TESTS=$wanted)"

paths=
for prog in $programs; do
	[ -x "$build/$prog" ] || fail "$build/$prog is not built"
	cp "$build/$prog" "$root/relayfork/$prog"
	paths="$paths $build/$prog"
done
cp -L "$build/lib/librelayfork.so.0" "$root/relayfork/lib/" ||
	fail "$build/lib/librelayfork.so.0 is not built"

# Every shared library the programs load, at the path ldd found it, and
# libgcc_s, which glibc loads itself for pthread_cancel().
# shellcheck disable=SC2086
libs=$(ldd $paths "$build/lib/librelayfork.so.0" 2>/dev/null |
       awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | grep -v librelayfork)
libs="$libs $(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')"
# shellcheck disable=SC2086
for lib in $(printf '%s\n' $libs | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib" || fail "cannot copy $lib"
done

initrd=$cache/initramfs.cpio
(cd "$root" && find . | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) \
	>"$initrd" || fail "cannot build the initramfs"

# --- boot -----------------------------------------------------------------
console=$cache/console.log
started=$(date +%s)

# Boot the guest with accelerator $1 in the background; sets qpid.
boot() {
	case "$1" in
	kvm) accel_args="-enable-kvm -cpu host" ;;
	tcg) accel_args="-accel tcg -cpu max" ;;
	*) fail "RELAYFORK_QEMU_ACCEL must be kvm or tcg, not $1" ;;
	esac
	left=$((total_timeout - ($(date +%s) - started)))
	[ "$left" -gt 0 ] || left=1	# timeout 0 would mean no limit
	log "booting $kpkg with $1, limit ${left}s"
	# shellcheck disable=SC2086
	timeout -k 10 "$left" "$qemu" $accel_args \
		-m 1024 -smp 2 -nographic -monitor none -no-reboot -nic none \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 relayfork.timeout=$test_timeout" \
		</dev/null >"$console" 2>&1 &
	qpid=$!
}

# Wait up to $1 seconds for the guest's first line; false if it did not
# come (qemu failed or hangs).
booted() {
	deadline=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		grep -q 'RELAYFORK-GUEST ' "$console" && return 0
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	grep -q 'RELAYFORK-GUEST ' "$console"
}

accel=${RELAYFORK_QEMU_ACCEL:-}
if [ -z "$accel" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	# KVM can be there and still not work (nested virtualisation):
	# a guest that has not started its tests in 20 s is retried with
	# TCG, which boots in about 5 s.
	boot kvm
	if booted 20; then
		accel=kvm
	else
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
		log "KVM did not boot the guest; using TCG. Its console:"
		tr -d '\r' <"$console" | tail -n 5
	fi
fi
if [ "$accel" != kvm ]; then
	boot "${accel:-tcg}"
	accel=${accel:-tcg}
fi
# Show the guest's console as it goes (meson keeps it in the test log).
tail -n +1 -f "$console" --pid="$qpid" 2>/dev/null | tr -d '\r'
wait "$qpid"
qrc=$?
elapsed=$(($(date +%s) - started))
log "qemu ($accel) exited with $qrc after ${elapsed}s"

# Lines can start after the firmware's escape sequences: no ^ anchors.
results=$(tr -d '\r' <"$console" | grep -o 'RELAYFORK-RESULT .*')
guest=$(tr -d '\r' <"$console" | grep -o 'RELAYFORK-GUEST .*' | head -n 1)
[ -n "$guest" ] || fail "the guest did not start the tests (qemu exit $qrc; console in $console)"
case "$guest" in
*" kernel=6.1."*) ;;
*) [ -n "${RELAYFORK_QEMU_KERNEL:-}" ] || fail "the guest runs the wrong kernel: $guest" ;;
esac

passed=0
failed=0
echo
echo "qemu: results on ${guest#RELAYFORK-GUEST }:"
for name in $expected; do
	line=$(echo "$results" | grep -F " test=$name " | head -n 1)
	rc=$(echo "$line" | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
	secs=$(echo "$line" | sed -n 's/.* seconds=\([0-9]*\).*/\1/p')
	if [ -z "$line" ]; then
		echo "  $name: did not finish"
		failed=$((failed + 1))
	elif [ "$rc" = 0 ]; then
		echo "  $name: passed (${secs}s)"
		passed=$((passed + 1))
	else
		# 77 counts as a failure: on this kernel, as root, every
		# suite must be able to run.
		echo "  $name: FAILED with status $rc (${secs}s)"
		failed=$((failed + 1))
	fi
done
skipped=$(tr -d '\r' <"$console" | grep -o '\[  SKIPPED \] test_.*' | sort -u)
[ -z "$skipped" ] || { echo "  skipped inside the suites:"; echo "$skipped" | sed 's/^/    /'; }
[ "$qrc" = 124 ] || [ "$qrc" = 137 ] && echo "qemu: the guest was killed after ${total_timeout}s"
echo "qemu: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
