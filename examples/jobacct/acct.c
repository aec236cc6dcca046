// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * BSD process accounting records, version 3 (struct acct_v3 of
 * <sys/acct.h>), as the kernel writes them (kernel/acct.c), so that
 * dump-acct, lastcomm and sa read them: times in ticks of 1/100 s
 * (AHZ) as comp_t, the elapsed time as an IEEE float of ticks.
 */
#include <string.h>
#include <sys/wait.h>

#include "jobacct.h"

/* The record's version byte: <sys/acct.h> has no name for version 3.
 * AHZ is its ticks per second (100). */
#define ACCT_V3 3
#define NS_PER_TICK (1000000000u / AHZ)
#define US_PER_TICK (1000000u / AHZ)

/* comp_t: a 13-bit mantissa and a base-8 exponent in 3 bits. */
#define MANTSIZE 13
#define EXPSIZE 3
#define MAXFRACT ((1u << MANTSIZE) - 1)

/* kernel/acct.c: encode_comp_t(), with its rounding and its overflow
 * to the largest value. */
uint16_t
acct_encode_comp(uint64_t value)
{
	unsigned int exp = 0, rnd = 0;

	while (value > MAXFRACT) {
		rnd = value & (1u << (EXPSIZE - 1)); /* round up? */
		value >>= EXPSIZE;
		exp++;
	}
	if (rnd && ++value > MAXFRACT) {
		value >>= EXPSIZE;
		exp++;
	}
	if (exp > (0xffffu >> MANTSIZE))
		return 0xffff;
	return (uint16_t)((exp << MANTSIZE) + value);
}

/* kernel/acct.c: encode_float(): the value's 24 leading bits, the rest
 * dropped (not rounded). */
uint32_t
acct_encode_float(uint64_t value)
{
	unsigned int exp = 190;

	if (value == 0)
		return 0;
	while ((int64_t)value > 0) {
		value <<= 1;
		exp--;
	}
	return ((uint32_t)(value >> 40) & 0x7fffffu) | (exp << 23);
}

void
acct_fill(struct acct_v3 *ac, const struct relayfork_member *m,
	  const struct extra *x, int64_t real_offset_ns)
{
	bool known = !(m->flags & RELAYFORK_MEMBER_F_STATUS_UNKNOWN);
	const struct relayfork_member_usage *u = &m->usage;
	uint64_t elapsed = m->end_ns > m->start_ns ? m->end_ns - m->start_ns : 0;
	int64_t start_s = ((int64_t)m->start_ns + real_offset_ns) / 1000000000;
	uint32_t etime = acct_encode_float(elapsed / NS_PER_TICK);

	memset(ac, 0, sizeof(*ac));
	ac->ac_version = ACCT_V3 | ACCT_BYTEORDER;
	if (!x->execd)
		ac->ac_flag |= AFORK;
	if (known && WIFSIGNALED(m->status)) {
		ac->ac_flag |= AXSIG;
		if (WCOREDUMP(m->status))
			ac->ac_flag |= ACORE;
	}
	/* The raw wait status, as the kernel's: 768 for exit(3). */
	ac->ac_exitcode = known ? (uint32_t)m->status : 0;
	ac->ac_uid = m->uid;
	ac->ac_gid = x->gid;
	ac->ac_pid = (uint32_t)m->pid;
	/* The kernel's is the parent at exit (init, or the subreaper, for
	 * a daemon). */
	ac->ac_ppid = (uint32_t)(x->exit_ppid ? x->exit_ppid : m->ppid);
	ac->ac_btime = start_s < 0 ? 0 : start_s > UINT32_MAX ? UINT32_MAX
							    : (uint32_t)start_s;
	memcpy(&ac->ac_etime, &etime, sizeof(etime));
	if (m->flags & RELAYFORK_MEMBER_F_USAGE) {
		ac->ac_utime = acct_encode_comp(u->utime_us / US_PER_TICK);
		ac->ac_stime = acct_encode_comp(u->stime_us / US_PER_TICK);
		/* The kernel writes the virtual size at exit; the peak
		 * resident size is what is known here. */
		ac->ac_mem = acct_encode_comp(u->hiwater_rss_kb);
		ac->ac_io = acct_encode_comp(u->read_chars + u->write_chars);
		ac->ac_minflt = acct_encode_comp(u->minflt);
		ac->ac_majflt = acct_encode_comp(u->majflt);
	}
	memcpy(ac->ac_comm, m->comm, sizeof(ac->ac_comm));
	ac->ac_comm[sizeof(ac->ac_comm) - 1] = '\0';
}
