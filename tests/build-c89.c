/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public header compiles as strict C89 (-std=c89 -pedantic -Werror). */
#include <relayfork/relayfork.h>

int
main(void)
{
	struct relayfork_event ev;
	struct relayfork_monitor *m = 0;

	ev.type = RELAYFORK_EVENT_FORK;
	ev.u.exit.code = 0;
	(void)m;
	return sizeof(ev) == 128 && ev.type == 1 ? 0 : 1;
}
