#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the tree in build-bench/ and run the benchmark, which rewrites
# the results in bench/README.md (not with --smoke).  Arguments go to
# bench/run.py (e.g. --smoke, --json FILE).  Run as root.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d build-bench ]; then
	meson setup build-bench -Dbench=true -Dtests=disabled \
		-Dman-pages=disabled -Drelayforkd=disabled >/dev/null
fi
meson compile -C build-bench >/dev/null
case " $* " in
*" --smoke "*) ;;
*) set -- --write-readme "$@" ;;
esac
exec python3 bench/run.py --build build-bench "$@"
