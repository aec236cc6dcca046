#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# jobacct on the guest's kernel: the job's exit status comes back, a
# double-forked sleep is a member and is waited for, and the accounting
# file holds one record per member.  busybox only, no python: the JSON
# is matched field by field.
# Usage: jobacct-smoke.sh JOBACCT
set -u
jobacct=$1
out=$(mktemp)
acct=$(mktemp)

fail() {
	echo "jobacct-smoke: $*"
	echo "--- jobacct output:"
	cat "$out"
	rm -f "$out" "$acct"
	exit 1
}

start=$(cut -d' ' -f1 /proc/uptime)
"$jobacct" --json -o "$acct" -- sh -c '(sleep 0.3 &); exit 7' >"$out" 2>&1
rc=$?
end=$(cut -d' ' -f1 /proc/uptime)
[ "$rc" = 7 ] || fail "exit status $rc, not 7"
summary=$(grep -F '"event":"summary"' "$out") || fail "no summary"
for field in '"processes":3,' '"daemonised":1,' '"failures":1,' \
	'"running":0,' '"complete":true,'; do
	echo "$summary" | grep -qF "$field" || fail "summary lacks $field"
done
grep -F '"event":"process"' "$out" | grep -F '"comm":"sleep"' |
	grep -qF '"daemonised":true' || fail "the sleep is not a daemonised member"
# The tree is waited for, not just the command.
awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 0.3) }' ||
	fail "returned after $start..$end s, before the sleep ended"
# struct acct_v3 is 64 bytes: one per member.
size=$(wc -c <"$acct")
[ "$size" = 192 ] || fail "accounting file of $size bytes, not 3 records"

# Killed by a signal: the shell's 128 + n.
"$jobacct" -- sh -c 'kill -TERM $$' >"$out" 2>&1
rc=$?
[ "$rc" = 143 ] || fail "exit status $rc after SIGTERM, not 143"
rm -f "$out" "$acct"
echo "jobacct-smoke: ok"
