#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the tree in build-bench/ and run the benchmark.  Without
# arguments it rewrites the results in bench/README.md; other arguments
# go to bench/run.py (e.g. --smoke).  Run as root.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d build-bench ]; then
	meson setup build-bench -Dbench=true -Dtests=disabled \
		-Dman-pages=disabled -Drelayforkd=disabled >/dev/null
fi
meson compile -C build-bench >/dev/null
if [ $# -eq 0 ]; then
	set -- --write-readme
fi
exec python3 bench/run.py --build build-bench "$@"
