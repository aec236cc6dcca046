/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The taskstats generic netlink family's wire format
 * (include/uapi/linux/taskstats.h), written out here because the build
 * host's header is Linux 6.1's (TASKSTATS_VERSION 13) and the kernels we
 * run on send later versions.  Never include <linux/taskstats.h>; never
 * expose these in the public header.
 *
 * struct taskstats is versioned, and its version numbers do not all
 * mean "fields appended":
 *
 *  - up to 14: append-only.  13 is Linux 6.1 (416 bytes); 14 added
 *    irq_count and irq_delay_total at the end (432 bytes; "delayacct:
 *    track delays from IRQ/SOFTIRQ", 2023).
 *  - 15 inserted a max and a min after every delay pair, in the middle
 *    of the struct: 658eb5ab916d ("delayacct: add delay max to record
 *    delay peak") and f65c64f311ee ("... delay min ...") added the
 *    fields, b016d0873777 ("taskstats: modify taskstats version")
 *    bumped the version (560 bytes).  Every field after cpu_delay_total
 *    moved: a 6.1 parser reads garbage from it.
 *  - 16 moved those fields to the end ("taskstats: fix struct taskstats
 *    breaks backward compatibility since version 15", May 2025; Fixes:
 *    f65c64f311ee, Cc: stable): versions up to 14 are prefixes of 16
 *    again (560 bytes; Linux 6.18 sends it here).
 *
 * So two layouts: struct kts_taskstats (16, whose prefixes are 1-14 and,
 * by the header's own rule, later versions' too) and struct
 * kts_taskstats_v15.  Between f65c64f311ee and b016d0873777 a kernel sent
 * the version-15 layout under version 14: a "version 14" record of 560
 * bytes can only be that (a true 14 has 432).
 *
 * Offsets are checked with static asserts below, against the recorded
 * payloads in tests/taskstats-records.h (6.1 and 6.18) and the kernel
 * patches named above.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* include/uapi/linux/taskstats.h */
#define KTS_GENL_NAME "TASKSTATS"
#define KTS_GENL_VERSION 1
#define KTS_COMM_LEN 32

/* Commands */
#define KTS_CMD_GET 1 /* user->kernel request */
#define KTS_CMD_NEW 2 /* kernel->user event */

/* Attributes of a kernel->user message */
#define KTS_TYPE_PID 1
#define KTS_TYPE_TGID 2
#define KTS_TYPE_STATS 3
#define KTS_TYPE_AGGR_PID 4  /* nest: PID + STATS */
#define KTS_TYPE_AGGR_TGID 5 /* nest: TGID + STATS */
#define KTS_TYPE_NULL 6	     /* padding (64-bit alignment of STATS) */

/* Attributes of a user->kernel request */
#define KTS_CMD_ATTR_PID 1
#define KTS_CMD_ATTR_TGID 2
#define KTS_CMD_ATTR_REGISTER_CPUMASK 3
#define KTS_CMD_ATTR_DEREGISTER_CPUMASK 4

/* include/uapi/linux/acct.h: ac_flag bits */
#define KTS_AFORK 0x01
#define KTS_ASU 0x02
#define KTS_ACORE 0x08
#define KTS_AXSIG 0x10
#define KTS_AGROUP 0x20 /* the last task of its thread group */

#define KTS_ALIGNED8 __attribute__((aligned(8)))

/*
 * struct taskstats, version 16.  Versions 1 to 14 are its prefixes (13:
 * up to wpcopy_delay_total, 14: up to irq_delay_total).
 */
struct kts_taskstats {
	uint16_t version;
	uint32_t ac_exitcode;
	uint8_t ac_flag;
	uint8_t ac_nice;
	uint64_t cpu_count KTS_ALIGNED8;
	uint64_t cpu_delay_total;
	uint64_t blkio_count;
	uint64_t blkio_delay_total;
	uint64_t swapin_count;
	uint64_t swapin_delay_total;
	uint64_t cpu_run_real_total;	/* utime + stime: tick-sampled */
	uint64_t cpu_run_virtual_total; /* sum_exec_runtime: precise */
	char ac_comm[KTS_COMM_LEN];
	uint8_t ac_sched KTS_ALIGNED8;
	uint8_t ac_pad[3];
	uint32_t ac_uid KTS_ALIGNED8;
	uint32_t ac_gid;
	uint32_t ac_pid;
	uint32_t ac_ppid;
	uint32_t ac_btime;
	uint64_t ac_etime KTS_ALIGNED8;
	uint64_t ac_utime;
	uint64_t ac_stime;
	uint64_t ac_minflt;
	uint64_t ac_majflt;
	uint64_t coremem;
	uint64_t virtmem;
	uint64_t hiwater_rss;
	uint64_t hiwater_vm;
	uint64_t read_char;
	uint64_t write_char;
	uint64_t read_syscalls;
	uint64_t write_syscalls;
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t cancelled_write_bytes;
	uint64_t nvcsw;
	uint64_t nivcsw;
	uint64_t ac_utimescaled;
	uint64_t ac_stimescaled;
	uint64_t cpu_scaled_run_real_total;
	uint64_t freepages_count;
	uint64_t freepages_delay_total;
	uint64_t thrashing_count;
	uint64_t thrashing_delay_total;
	uint64_t ac_btime64; /* v10 */
	uint64_t compact_count; /* v11 */
	uint64_t compact_delay_total;
	uint32_t ac_tgid; /* v12 */
	uint64_t ac_tgetime KTS_ALIGNED8;
	uint64_t ac_exe_dev;
	uint64_t ac_exe_inode;
	uint64_t wpcopy_count; /* v13 */
	uint64_t wpcopy_delay_total;
	uint64_t irq_count; /* v14 */
	uint64_t irq_delay_total;
	/* v16: the delay maxima and minima, moved here from v15's places */
	uint64_t cpu_delay_max;
	uint64_t cpu_delay_min;
	uint64_t blkio_delay_max;
	uint64_t blkio_delay_min;
	uint64_t swapin_delay_max;
	uint64_t swapin_delay_min;
	uint64_t freepages_delay_max;
	uint64_t freepages_delay_min;
	uint64_t thrashing_delay_max;
	uint64_t thrashing_delay_min;
	uint64_t compact_delay_max;
	uint64_t compact_delay_min;
	uint64_t wpcopy_delay_max;
	uint64_t wpcopy_delay_min;
	uint64_t irq_delay_max;
	uint64_t irq_delay_min;
} KTS_ALIGNED8;

/* struct taskstats, version 15: a max and a min after each delay pair. */
struct kts_taskstats_v15 {
	uint16_t version;
	uint32_t ac_exitcode;
	uint8_t ac_flag;
	uint8_t ac_nice;
	uint64_t cpu_count KTS_ALIGNED8;
	uint64_t cpu_delay_total;
	uint64_t cpu_delay_max;
	uint64_t cpu_delay_min;
	uint64_t blkio_count;
	uint64_t blkio_delay_total;
	uint64_t blkio_delay_max;
	uint64_t blkio_delay_min;
	uint64_t swapin_count;
	uint64_t swapin_delay_total;
	uint64_t swapin_delay_max;
	uint64_t swapin_delay_min;
	uint64_t cpu_run_real_total;
	uint64_t cpu_run_virtual_total;
	char ac_comm[KTS_COMM_LEN];
	uint8_t ac_sched KTS_ALIGNED8;
	uint8_t ac_pad[3];
	uint32_t ac_uid KTS_ALIGNED8;
	uint32_t ac_gid;
	uint32_t ac_pid;
	uint32_t ac_ppid;
	uint32_t ac_btime;
	uint64_t ac_etime KTS_ALIGNED8;
	uint64_t ac_utime;
	uint64_t ac_stime;
	uint64_t ac_minflt;
	uint64_t ac_majflt;
	uint64_t coremem;
	uint64_t virtmem;
	uint64_t hiwater_rss;
	uint64_t hiwater_vm;
	uint64_t read_char;
	uint64_t write_char;
	uint64_t read_syscalls;
	uint64_t write_syscalls;
	uint64_t read_bytes;
	uint64_t write_bytes;
	uint64_t cancelled_write_bytes;
	uint64_t nvcsw;
	uint64_t nivcsw;
	uint64_t ac_utimescaled;
	uint64_t ac_stimescaled;
	uint64_t cpu_scaled_run_real_total;
	uint64_t freepages_count;
	uint64_t freepages_delay_total;
	uint64_t freepages_delay_max;
	uint64_t freepages_delay_min;
	uint64_t thrashing_count;
	uint64_t thrashing_delay_total;
	uint64_t thrashing_delay_max;
	uint64_t thrashing_delay_min;
	uint64_t ac_btime64;
	uint64_t compact_count;
	uint64_t compact_delay_total;
	uint64_t compact_delay_max;
	uint64_t compact_delay_min;
	uint32_t ac_tgid;
	uint64_t ac_tgetime KTS_ALIGNED8;
	uint64_t ac_exe_dev;
	uint64_t ac_exe_inode;
	uint64_t wpcopy_count;
	uint64_t wpcopy_delay_total;
	uint64_t wpcopy_delay_max;
	uint64_t wpcopy_delay_min;
	uint64_t irq_count;
	uint64_t irq_delay_total;
	uint64_t irq_delay_max;
	uint64_t irq_delay_min;
} KTS_ALIGNED8;

/* Sizes of the versions that matter here (sizeof in that kernel). */
#define KTS_SIZE_V10 352u /* up to ac_btime64 */
#define KTS_SIZE_V11 368u /* up to compact_delay_total */
#define KTS_SIZE_V12 400u /* up to ac_exe_inode */
#define KTS_SIZE_V13 416u /* Linux 6.1 */
#define KTS_SIZE_V14 432u
#define KTS_SIZE_V15 560u
#define KTS_SIZE_V16 560u /* Linux 6.18 */
/* A record must hold at least the basic accounting fields (through
 * ac_majflt, which the 2006 versions added); versions before 10 are
 * read as prefixes of this size or longer. */
#define KTS_SIZE_BASIC 184u

#define kts_off(type, field) __builtin_offsetof(struct type, field)

_Static_assert(sizeof(struct kts_taskstats) == KTS_SIZE_V16, "v16 size");
_Static_assert(kts_off(kts_taskstats, irq_count) == KTS_SIZE_V13, "v13 end");
_Static_assert(kts_off(kts_taskstats, cpu_delay_max) == KTS_SIZE_V14,
	       "v14 end");
_Static_assert(kts_off(kts_taskstats, wpcopy_count) == KTS_SIZE_V12,
	       "v12 end");
_Static_assert(kts_off(kts_taskstats, ac_tgid) == KTS_SIZE_V11, "v11 end");
_Static_assert(kts_off(kts_taskstats, compact_count) == KTS_SIZE_V10,
	       "v10 end");
_Static_assert(kts_off(kts_taskstats, coremem) == KTS_SIZE_BASIC,
	       "basic accounting end");
_Static_assert(sizeof(struct kts_taskstats_v15) == KTS_SIZE_V15, "v15 size");

/* Offsets read from the recordings (v13 and v16 agree). */
_Static_assert(kts_off(kts_taskstats, ac_exitcode) == 4, "ac_exitcode");
_Static_assert(kts_off(kts_taskstats, ac_flag) == 8, "ac_flag");
_Static_assert(kts_off(kts_taskstats, cpu_count) == 16, "cpu_count");
_Static_assert(kts_off(kts_taskstats, cpu_run_real_total) == 64,
	       "cpu_run_real_total");
_Static_assert(kts_off(kts_taskstats, cpu_run_virtual_total) == 72,
	       "cpu_run_virtual_total");
_Static_assert(kts_off(kts_taskstats, ac_comm) == 80, "ac_comm");
_Static_assert(kts_off(kts_taskstats, ac_uid) == 120, "ac_uid");
_Static_assert(kts_off(kts_taskstats, ac_pid) == 128, "ac_pid");
_Static_assert(kts_off(kts_taskstats, ac_btime) == 136, "ac_btime");
_Static_assert(kts_off(kts_taskstats, ac_etime) == 144, "ac_etime");
_Static_assert(kts_off(kts_taskstats, hiwater_rss) == 200, "hiwater_rss");
_Static_assert(kts_off(kts_taskstats, read_char) == 216, "read_char");
_Static_assert(kts_off(kts_taskstats, read_bytes) == 248, "read_bytes");
_Static_assert(kts_off(kts_taskstats, nvcsw) == 272, "nvcsw");
_Static_assert(kts_off(kts_taskstats, ac_btime64) == 344, "ac_btime64");
_Static_assert(kts_off(kts_taskstats, ac_tgid) == 368, "ac_tgid");
_Static_assert(kts_off(kts_taskstats, irq_delay_min) == 552, "v16 last");

/* Version 15: every field after cpu_delay_total moved. */
_Static_assert(kts_off(kts_taskstats_v15, cpu_run_real_total) == 112,
	       "v15 cpu_run_real_total");
_Static_assert(kts_off(kts_taskstats_v15, ac_comm) == 128, "v15 ac_comm");
_Static_assert(kts_off(kts_taskstats_v15, ac_uid) == 168, "v15 ac_uid");
_Static_assert(kts_off(kts_taskstats_v15, ac_pid) == 176, "v15 ac_pid");
_Static_assert(kts_off(kts_taskstats_v15, ac_etime) == 192, "v15 ac_etime");
_Static_assert(kts_off(kts_taskstats_v15, hiwater_rss) == 248,
	       "v15 hiwater_rss");
_Static_assert(kts_off(kts_taskstats_v15, nvcsw) == 320, "v15 nvcsw");
_Static_assert(kts_off(kts_taskstats_v15, ac_btime64) == 424,
	       "v15 ac_btime64");
_Static_assert(kts_off(kts_taskstats_v15, ac_tgid) == 464, "v15 ac_tgid");
_Static_assert(kts_off(kts_taskstats_v15, irq_delay_min) == 552,
	       "v15 last");

/* Netlink message layout: nlmsghdr (16) + genlmsghdr (4), then
 * attributes (4-byte headers, 4-byte aligned). */
#define KTS_NLMSG_HDRLEN 16u
#define KTS_GENL_HDRLEN 4u
#define KTS_NLA_HDRLEN 4u
#define KTS_NLA_ALIGN(len) (((len) + 3u) & ~3u)
