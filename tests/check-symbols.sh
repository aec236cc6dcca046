#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library exports exactly what the version script lists, all with
# the relayfork_ prefix, each defined with RELAYFORK_EXPORT and declared
# in the public header; and the soname is the one we promise.
# and every symbol has a man page (its own or an alias in man/meson.build).
# Usage: check-symbols.sh LIBRARY SYMFILE SRCDIR HEADER MANDIR
set -eu
lib=$1 sym=$2 srcdir=$3 header=$4 mandir=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ { print $3 }' |
	sed 's/@.*//' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(relayfork_[a-z0-9_]*\);.*/\1/p' "$sym" | sort -u >"$tmp/script"
cat "$srcdir"/*.c | grep -A1 '^RELAYFORK_EXPORT' |
	sed -n 's/^\(relayfork_[a-z0-9_]*\)(.*/\1/p' | sort -u >"$tmp/defined"
grep -o 'relayfork_[a-z0-9_]*(' "$header" | tr -d '(' |
	grep -v '_t$' | sort -u >"$tmp/declared"

status=0
check() {
	if ! diff -u "$tmp/$1" "$tmp/$2" >"$tmp/diff"; then
		echo "$1 and $2 differ:"
		cat "$tmp/diff"
		status=1
	fi
}
check exported script
check script defined
check defined declared

if grep -v '^relayfork_' "$tmp/exported"; then
	echo "exported symbols without the relayfork_ prefix (above)"
	status=1
fi
if [ ! -s "$tmp/exported" ]; then
	echo "no symbols exported at all"
	status=1
fi

for name in $(cat "$tmp/exported"); do
	if [ ! -f "$mandir/$name.3.scd" ] &&
		! grep -q "'$name'" "$mandir/meson.build"; then
		echo "no man page for $name"
		status=1
	fi
done

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != "librelayfork.so.0" ]; then
	echo "soname is '$soname', expected librelayfork.so.0"
	status=1
fi
# Every symbol carries a version from the script.
if nm -D --defined-only --with-symbol-versions "$lib" 2>/dev/null |
	awk '$3 ~ /^relayfork_/' | grep -v '@@LIBRELAYFORK_'; then
	echo "unversioned symbols (above)"
	status=1
fi
exit $status
