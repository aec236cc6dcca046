#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# relayforkd.service's hardening as `systemd-analyze security` scores it
# (offline: no running systemd needed), and none of the settings that
# would give the daemon a mount namespace of its own: the FUSE mount it
# makes there would never reach the rest of the system.
#
# The bound is 3.7, what the unit scores (systemd 252; 9.4 before it was
# hardened), and the least a unit can score that mounts for the whole
# system as root: every item still counted needs a mount namespace of
# the service's own (PrivateMounts=, ProtectSystem=, ProtectHome=,
# PrivateTmp=, PrivateDevices=, ProtectKernelTunables=,
# ProtectKernelModules=, ProtectKernelLogs=, ProtectControlGroups=,
# ProtectProc=, ProcSubset=, RootDirectory=), or a user or network
# namespace of its own (PrivateUsers=, PrivateNetwork=), or takes away
# what the daemon uses (@mount, CAP_SYS_ADMIN, CAP_KILL, CAP_NET_ADMIN,
# AF_NETLINK, AF_UNIX, /dev/fuse), or is running as root (User=, which
# would still leave 3.3).  With the mount namespace settings the unit
# would score 2.1, and its mount would never be seen outside it.
#
# Usage: check-unit.sh UNIT-FILE [MAX-EXPOSURE]; exits 77 without
# systemd-analyze (or one too old for --offline, before systemd 250).
unit=$1
max=${2:-3.7}

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skipping: no systemd-analyze"
	exit 77
fi

status=0
# Settings that need a mount namespace (systemd's
# exec_needs_mount_namespace()), or another network or user namespace,
# where the proc connector refuses to listen.
bad=$(grep -E '^(PrivateTmp|PrivateDevices|PrivateMounts|PrivateIPC|ProtectSystem|ProtectHome|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProcSubset|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|ExecPaths|NoExecPaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|RootDirectory|RootImage|MountImages|ExtensionImages|ExtensionDirectories|LogNamespace|NetworkNamespacePath|IPCNamespacePath|PrivateNetwork|PrivateUsers|DynamicUser)=' "$unit" |
	grep -vE '=(no|false|0|)$')
if [ -n "$bad" ]; then
	echo "$unit: settings that need a namespace of the service's own:"
	echo "$bad"
	status=1
fi
case $(grep -E '^MountFlags=' "$unit") in
''|MountFlags=shared) ;;
*)	echo "$unit: MountFlags= other than shared makes a mount namespace"
	status=1 ;;
esac

out=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1)
# "→ Overall exposure level for relayforkd.service: 2.1 OK 🙂"
score=$(printf '%s\n' "$out" |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	if printf '%s\n' "$out" | grep -qiE 'unrecognized option|unknown option'; then
		echo "skipping: this systemd-analyze has no --offline"
		exit 77
	fi
	printf '%s\n' "$out"
	echo "no exposure level in systemd-analyze's output"
	exit 1
fi
# The settings it still counts against the unit, for the log.
printf '%s\n' "$out" | grep '✗' || true
echo "exposure level: $score (at most $max)"
if ! awk -v s="$score" -v m="$max" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
	echo "$unit: exposure $score is above $max"
	status=1
fi
exit $status
