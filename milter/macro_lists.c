/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * macro_lists.c - the macros fwdguard asks the MTA for (macro_lists.h says
 * why each step's list is what it is).
 */
#include <stddef.h>

#include "macro_lists.h"

static const struct {
	int step;
	const char *names;
} macro_lists[] = {
	{ SMFIM_ENVFROM, "{client_addr} {daemon_name} {auth_authen} i" },
	{ SMFIM_ENVRCPT, "{rcpt_host} {rcpt_mailer}" },
	{ SMFIM_EOM, "i" },
	{ SMFIM_CONNECT, "" },
	{ SMFIM_HELO, "" },
	{ SMFIM_DATA, "" },
	{ SMFIM_EOH, "" },
};

int
macro_lists_ask(SMFICTX *ctx)
{
	for (size_t i = 0; i < sizeof(macro_lists) / sizeof(macro_lists[0]); i++)
		if (smfi_setsymlist(ctx, macro_lists[i].step, (char *)macro_lists[i].names) !=
		    MI_SUCCESS)
			return -1;
	return 0;
}
