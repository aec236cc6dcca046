#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nothing is installed outside the prefix: every destination that
# `meson install` would write for this build directory (as `meson
# introspect --installed` lists them) lies under the configured prefix,
# or under a directory option the builder set to an absolute path (meson's
# own, such as sysconfdir=/etc for the prefix /usr, or ours, such as
# -Dsystemdunitdir=/lib/systemd/system for a distribution package).  A
# directory taken from another package's .pc file, as systemd.pc's
# systemdsystemunitdir (/lib/systemd/system on Debian, whatever the
# prefix), is not allowed.
# Usage: check-install.sh PYTHON3 BUILD_ROOT
set -eu
python3=$1 build=$2
info=$build/meson-info
for f in intro-installed.json intro-buildoptions.json; do
	[ -r "$info/$f" ] || { echo "check-install: no $info/$f" >&2; exit 1; }
done

# One "kind<TAB>path" line each: the prefix, the absolute directory
# options, and every installed file, normalised so that a ".." cannot
# climb out of the prefix unseen.
list=$("$python3" - "$info" <<'EOF'
import json, os, sys
info = sys.argv[1]
with open(os.path.join(info, "intro-buildoptions.json")) as f:
    options = json.load(f)
with open(os.path.join(info, "intro-installed.json")) as f:
    installed = json.load(f)
ours = {"systemdunitdir"}
for o in options:
    if o["name"] == "prefix":
        print("prefix\t" + os.path.normpath(o["value"]))
    elif ((o["section"] == "directory" or o["name"] in ours)
          and isinstance(o["value"], str) and o["value"].startswith("/")):
        print("allowed\t" + os.path.normpath(o["value"]))
for dest in sorted(installed.values()):
    print("installed\t" + os.path.normpath(dest))
EOF
)

tab=$(printf '\t')
prefix=$(printf '%s\n' "$list" | sed -n "s/^prefix$tab//p")
[ -n "$prefix" ] || { echo "check-install: no prefix in $info" >&2; exit 1; }
allowed=$(printf '%s\n' "$list" | sed -n "s/^allowed$tab//p")

# DIR is / or a path without a trailing slash: is PATH DIR or under it?
under() {
	case $2 in
	"${1%/}"/*) return 0 ;;
	esac
	[ "$2" = "$1" ]
}

count=0
status=0
while IFS= read -r dest; do
	[ -n "$dest" ] || continue
	count=$((count + 1))
	under "$prefix" "$dest" && continue
	ok=
	while IFS= read -r dir; do
		[ -n "$dir" ] && under "$dir" "$dest" && { ok=1; break; }
	done <<-DIRS
	$allowed
	DIRS
	[ -n "$ok" ] && continue
	echo "installed outside the prefix $prefix: $dest"
	status=1
done <<EOF
$(printf '%s\n' "$list" | sed -n "s/^installed$tab//p")
EOF

# An empty list would pass every check above: the library and its
# header are always installed.
if [ "$count" -lt 2 ]; then
	echo "check-install: only $count installed files listed in $info"
	status=1
fi
[ "$status" = 0 ] &&
	echo "all $count installed files are under $prefix or an absolute directory option"
exit "$status"
