// SPDX-License-Identifier: LGPL-2.1-or-later
/* What storm's exec mode runs: linked statically, so that an exec costs
 * the kernel's work and not the dynamic loader's. */
int
main(void)
{
	return 0;
}
