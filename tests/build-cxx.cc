// SPDX-License-Identifier: LGPL-2.1-or-later
// The public header compiles and links as C++.
#include <relayfork/relayfork.h>

int
main()
{
	relayfork_event ev = {};
	relayfork_monitor *m = nullptr;

	ev.type = RELAYFORK_EVENT_EXIT;
	if (relayfork_event_type_name(static_cast<int>(ev.type)) == nullptr)
		return 1;
	return relayfork_monitor_unref(m) == nullptr ? 0 : 1;
}
