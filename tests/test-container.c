// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relayfork_cgroup_parse() on the cgroup paths runtimes and systemd make,
 * as /proc/PID/cgroup shows them on the host.  Where each layout comes
 * from is said beside it; ids and uids are made up in the right shape.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <relayfork/relayfork.h>

#define ID "3b1e5c9a0d7f4e2b8c6a1d0e9f8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "6e7520b1-f6e3-45bd-8673-1d64d102fedf"
/* The kubelet's systemd driver: '-' is a step in systemd's slice
 * hierarchy, so the uid's dashes become underscores (kubernetes,
 * pkg/kubelet/cm/cgroup_manager_linux.go, ConvertCgroupNameToSystemd:
 * "systemd treats - as a step in the hierarchy, we convert all - to _"). */
#define UID_ "6e7520b1_f6e3_45bd_8673_1d64d102fedf"

static void
check(const char *path, int runtime, unsigned int flags, const char *id,
      const char *pod_uid, const char *unit)
{
	struct relayfork_container c;
	int r;

	memset(&c, 0x55, sizeof(c));
	r = relayfork_cgroup_parse(path, &c);
	if (c.runtime != (uint32_t)runtime || strcmp(c.id, id) != 0 ||
	    strcmp(c.pod_uid, pod_uid) != 0 || strcmp(c.unit, unit) != 0 ||
	    c.flags != flags)
		fail_msg("%s: runtime %u id '%s' pod '%s' unit '%s' flags %u",
			 path, c.runtime, c.id, c.pod_uid, c.unit, c.flags);
	assert_int_equal(r, runtime || pod_uid[0] || unit[0] ? 1 : 0);
}

/*
 * Docker.  With the systemd cgroup driver dockerd asks runc for
 * "system.slice:docker:ID" (moby, daemon/oci_linux.go), which runc's
 * systemd driver makes the unit docker-ID.scope in system.slice; with
 * cgroupfs, the default cgroup parent is /docker (moby,
 * daemon/daemon_unix.go, cgroupParent "/docker").
 */
static void
test_docker(void **state)
{
	check("/system.slice/docker-" ID ".scope", RELAYFORK_RUNTIME_DOCKER, 0,
	      ID, "", "docker-" ID ".scope");
	check("/docker/" ID, RELAYFORK_RUNTIME_DOCKER, 0, ID, "", "");
	/* Docker in Docker: the innermost container. */
	check("/docker/" ID "/docker/" ID2, RELAYFORK_RUNTIME_DOCKER, 0, ID2,
	      "", "");
	/* A container that runs systemd: its own units inside the scope. */
	check("/system.slice/docker-" ID ".scope/system.slice/nginx.service",
	      RELAYFORK_RUNTIME_DOCKER, 0, ID, "", "nginx.service");
	/* The daemon itself is a service, not a container. */
	check("/system.slice/docker.service", 0, 0, "", "", "docker.service");
}

/*
 * Podman.  systemd driver: the container in machine.slice (rootful) or
 * the user's user.slice (rootless) as libpod-ID.scope, its conmon in
 * libpod-conmon-ID.scope (containers/podman, libpod: the unit names
 * "libpod-" + id + ".scope" and conmonScopeUnit()'s
 * "libpod-conmon-" + id + ".scope"); cgroupfs driver: /libpod_parent,
 * libpod-ID for the container and "conmon" for the monitors
 * (TestConmonCgroupfsPath: "/libpod_parent/conmon").  With --cgroups=split
 * or systemd in the container, the payload sits in a "container" child.
 */
static void
test_podman(void **state)
{
	check("/machine.slice/libpod-" ID ".scope", RELAYFORK_RUNTIME_PODMAN, 0,
	      ID, "", "libpod-" ID ".scope");
	check("/machine.slice/libpod-conmon-" ID ".scope",
	      RELAYFORK_RUNTIME_PODMAN, RELAYFORK_CONTAINER_F_MONITOR, ID, "",
	      "libpod-conmon-" ID ".scope");
	check("/machine.slice/libpod-" ID ".scope/container",
	      RELAYFORK_RUNTIME_PODMAN, 0, ID, "", "libpod-" ID ".scope");
	check("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID
	      ".scope",
	      RELAYFORK_RUNTIME_PODMAN, 0, ID, "", "libpod-" ID ".scope");
	check("/libpod_parent/libpod-" ID, RELAYFORK_RUNTIME_PODMAN, 0, ID, "",
	      "");
	check("/libpod_parent/conmon", 0, 0, "", "", "");
}

/*
 * Kubernetes, systemd driver: kubepods.slice, a QoS slice for burstable
 * and best-effort pods (guaranteed pods sit right under kubepods.slice),
 * the pod's slice, then the runtime's scope: "cri-containerd" for
 * containerd's CRI plugin, "crio" for CRI-O (cri-o, internal/config/cgmgr:
 * crioPrefix = "crio"), whose conmon gets crio-conmon-ID.scope
 * (kubernetes, test/e2e_node: "kubepods.slice/kubepods-burstable.slice/
 * kubepods-burstable-pod0b76..._.slice/crio-conmon-0bc5....scope").
 */
static void
test_kubernetes_systemd(void **state)
{
	check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	      ".slice/cri-containerd-" ID ".scope",
	      RELAYFORK_RUNTIME_CONTAINERD, 0, ID, UID,
	      "cri-containerd-" ID ".scope");
	check("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID
	      ".scope",
	      RELAYFORK_RUNTIME_CONTAINERD, 0, ID, UID,
	      "cri-containerd-" ID ".scope");
	check("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	      ".slice/crio-" ID ".scope",
	      RELAYFORK_RUNTIME_CRIO, 0, ID, UID, "crio-" ID ".scope");
	check("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	      ".slice/crio-conmon-" ID ".scope",
	      RELAYFORK_RUNTIME_CRIO, RELAYFORK_CONTAINER_F_MONITOR, ID, UID,
	      "crio-conmon-" ID ".scope");
	/* The pod's own cgroup: a pod, no container. */
	check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	      ".slice",
	      0, 0, "", UID, "");
	/* cri-dockerd keeps Docker's names. */
	check("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope",
	      RELAYFORK_RUNTIME_DOCKER, 0, ID, UID, "docker-" ID ".scope");
	/* kind: a node is a Docker container whose kubelet uses the cgroup
	 * root /kubelet, so its slices are kubelet-kubepods-...; the pod's
	 * container is the innermost. */
	check("/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice"
	      "/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	      ".slice/cri-containerd-" ID ".scope",
	      RELAYFORK_RUNTIME_CONTAINERD, 0, ID, UID,
	      "cri-containerd-" ID ".scope");
}

/*
 * Kubernetes, cgroupfs driver: /kubepods[/QOS]/podUID/ID, the uid with
 * its dashes; containerd and Docker name the container's cgroup by its
 * bare id (the runtime is not written), CRI-O by crio-ID.
 */
static void
test_kubernetes_cgroupfs(void **state)
{
	check("/kubepods/burstable/pod" UID "/" ID, RELAYFORK_RUNTIME_KUBERNETES,
	      0, ID, UID, "");
	check("/kubepods/pod" UID "/" ID, RELAYFORK_RUNTIME_KUBERNETES, 0, ID,
	      UID, "");
	check("/kubepods/besteffort/pod" UID "/crio-" ID, RELAYFORK_RUNTIME_CRIO,
	      0, ID, UID, "");
	check("/kubepods/besteffort/pod" UID "/crio-conmon-" ID,
	      RELAYFORK_RUNTIME_CRIO, RELAYFORK_CONTAINER_F_MONITOR, ID, UID, "");
	check("/kubepods/burstable/pod" UID, 0, 0, "", UID, "");
}

/*
 * containerd without Kubernetes: nerdctl's systemd driver asks for
 * "system.slice:nerdctl:ID", the unit nerdctl-ID.scope.
 */
static void
test_containerd(void **state)
{
	check("/system.slice/nerdctl-" ID ".scope", RELAYFORK_RUNTIME_CONTAINERD,
	      0, ID, "", "nerdctl-" ID ".scope");
}

/*
 * systemd: services in system.slice, logind's sessions as session-N.scope
 * in the user's slice, the user's manager as user@UID.service with the
 * user's own services below it, PID 1 in init.scope.
 */
static void
test_systemd(void **state)
{
	check("/system.slice/sshd.service", 0, 0, "", "", "sshd.service");
	check("/system.slice/system-getty.slice/getty@tty1.service", 0, 0, "",
	      "", "getty@tty1.service");
	check("/user.slice/user-1000.slice/session-3.scope", 0, 0, "", "",
	      "session-3.scope");
	check("/user.slice/user-1000.slice/user@1000.service", 0, 0, "", "",
	      "user@1000.service");
	check("/user.slice/user-1000.slice/user@1000.service/app.slice/"
	      "app-gnome-firefox-2345.scope",
	      0, 0, "", "", "app-gnome-firefox-2345.scope");
	check("/user.slice/user-1000.slice/user@1000.service/init.scope", 0, 0,
	      "", "", "init.scope");
	check("/init.scope", 0, 0, "", "", "init.scope");
	/* systemd's escapes are kept as the path has them. */
	check("/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", 0, 0, "", "",
	      "machine-qemu\\x2d1\\x2dvm.scope");
}

/* Names that only look like the runtimes' are not containers. */
static void
test_lookalikes(void **state)
{
	char path[512];

	check("/", 0, 0, "", "", "");
	check("", 0, 0, "", "", "");
	check("//", 0, 0, "", "", "");
	check("/system.slice/docker-compose@web.service", 0, 0, "", "",
	      "docker-compose@web.service");
	/* 63 hex digits, upper case, no .scope where it is needed. */
	check("/docker-3b1e5c9a0d7f4e2b8c6a1d0e9f8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0.scope",
	      0, 0, "", "",
	      "docker-3b1e5c9a0d7f4e2b8c6a1d0e9f8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0.scope");
	check("/docker/3B1E5C9A0D7F4E2B8C6A1D0E9F8B7A6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A",
	      0, 0, "", "", "");
	check("/system.slice/docker-" ID, 0, 0, "", "", "");
	check("/system.slice/cri-containerd-" ID, 0, 0, "", "", "");
	/* A bare id under something that is neither docker nor a pod. */
	check("/foo/" ID, 0, 0, "", "", "");
	check("/mydocker/" ID, 0, 0, "", "", "");
	/* pod-like names outside kubepods, and bad uids inside. */
	check("/pod" UID "/" ID, 0, 0, "", "", "");
	check("/kubepods/burstable/pod6e7520b1-f6e3-45bd-8673-1d64d102fedX/" ID,
	      0, 0, "", "", "");
	check("/kubepods/burstable/pod6e7520b1f6e3-45bd-8673-1d64d102fedf0/" ID,
	      0, 0, "", "", "");
	/* A unit name longer than the buffer is cut, and says so. */
	memset(path, 'u', sizeof(path));
	path[0] = '/';
	strcpy(path + 300, ".service");
	{
		struct relayfork_container c;

		assert_int_equal(relayfork_cgroup_parse(path, &c), 1);
		assert_int_equal(strlen(c.unit), sizeof(c.unit) - 1);
		assert_int_equal(c.flags, RELAYFORK_CONTAINER_F_TRUNCATED);
		/* An inner unit that fits clears it. */
		strcpy(path + 308, "/a.scope");
		assert_int_equal(relayfork_cgroup_parse(path, &c), 1);
		assert_string_equal(c.unit, "a.scope");
		assert_int_equal(c.flags, 0);
	}
}

static void
test_arguments(void **state)
{
	struct relayfork_container c;

	assert_int_equal(relayfork_cgroup_parse(NULL, &c), -EINVAL);
	assert_int_equal(relayfork_cgroup_parse("/", NULL), -EINVAL);
	assert_string_equal(relayfork_runtime_name(RELAYFORK_RUNTIME_NONE), "");
	assert_string_equal(relayfork_runtime_name(RELAYFORK_RUNTIME_DOCKER),
			    "docker");
	assert_string_equal(relayfork_runtime_name(RELAYFORK_RUNTIME_PODMAN),
			    "podman");
	assert_string_equal(relayfork_runtime_name(RELAYFORK_RUNTIME_CONTAINERD),
			    "containerd");
	assert_string_equal(relayfork_runtime_name(RELAYFORK_RUNTIME_CRIO),
			    "cri-o");
	assert_string_equal(relayfork_runtime_name(RELAYFORK_RUNTIME_KUBERNETES),
			    "kubernetes");
	assert_null(relayfork_runtime_name(6));
	assert_null(relayfork_runtime_name(-1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_kubernetes_systemd),
		cmocka_unit_test(test_kubernetes_cgroupfs),
		cmocka_unit_test(test_containerd),
		cmocka_unit_test(test_systemd),
		cmocka_unit_test(test_lookalikes),
		cmocka_unit_test(test_arguments),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
