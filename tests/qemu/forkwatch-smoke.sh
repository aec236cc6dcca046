#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# forkwatch shows the fork, exec and exit of `sh -c true` with the right
# pids, and stops cleanly on SIGINT and SIGTERM: a smoke test for the
# qemu guest, which has busybox but no python.  It reads forkwatch's JSON
# lines (or, from a forkwatch without --json, its "fork pid=N ..." lines)
# and matches the event name and the pids only, so that new fields do not
# break it.
# Usage: forkwatch-smoke.sh FORKWATCH
set -u
forkwatch=$1
out=$(mktemp)
err=$(mktemp)
me=$$
fwpid=

fail() {
	echo "forkwatch-smoke: $*"
	[ -n "$fwpid" ] && kill -KILL "$fwpid" 2>/dev/null
	echo "--- forkwatch stdout (last lines):"
	tail -n 20 "$out"
	echo "--- forkwatch stderr:"
	cat "$err"
	rm -f "$out" "$err"
	exit 1
}

if "$forkwatch" --help 2>&1 | grep -q -e '--json'; then
	json=--json
else
	json=
fi

# The first line of event $1 about pid $2, or nothing.
line_for() {
	if [ -n "$json" ]; then
		grep -F "\"event\":\"$1\"" "$out" |
			grep -E "\"pid\":${2}[,}]" | head -n 1
	else
		grep -E "^$1[[:space:]]" "$out" |
			grep -E "(^|[[:space:]])pid=$2([[:space:]]|$)" | head -n 1
	fi
}

# Does fork line $1 name this shell as the parent?
parent_is_me() {
	if [ -n "$json" ]; then
		echo "$1" | grep -qE "\"parent_pid\":${me}[,}]"
	else
		echo "$1" | grep -qE "[=/[:space:]]$me(/|[[:space:]]|$)"
	fi
}

# shellcheck disable=SC2086
"$forkwatch" $json >"$out" 2>"$err" &
fwpid=$!

# forkwatch subscribes a moment after it starts: try until seen.
ok=
i=0
while [ $i -lt 20 ] && [ -z "$ok" ]; do
	sh -c true &
	child=$!
	wait "$child"
	j=0
	while [ $j -lt 10 ]; do
		fork=$(line_for fork "$child")
		if [ -n "$fork" ] && [ -n "$(line_for exec "$child")" ] &&
		   [ -n "$(line_for exit "$child")" ]; then
			ok=1
			break
		fi
		sleep 0.1
		j=$((j + 1))
	done
	kill -0 "$fwpid" 2>/dev/null || fail "forkwatch died"
	i=$((i + 1))
done
[ -n "$ok" ] || fail "no fork/exec/exit lines for pid $child"
parent_is_me "$fork" || fail "fork line does not name parent $me: $fork"
echo "seen: $fork"

kill -INT "$fwpid"
wait "$fwpid"
rc=$?
[ "$rc" = 0 ] || fail "forkwatch exited with $rc on SIGINT"

# shellcheck disable=SC2086
"$forkwatch" $json >"$out" 2>"$err" &
fwpid=$!
sleep 0.5
kill -TERM "$fwpid"
wait "$fwpid"
rc=$?
[ "$rc" = 0 ] || fail "forkwatch exited with $rc on SIGTERM"
rm -f "$out" "$err"
echo "ok"
