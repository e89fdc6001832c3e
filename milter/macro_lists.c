/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * macro_lists.c - the macros fwdguard asks the MTA for (see macro_lists.h).
 */
#include <stddef.h>

#include "macro_lists.h"

static const struct {
	int step;
	const char *names;
} macro_lists[] = {
	{ SMFIM_CONNECT, "" },
	{ SMFIM_HELO, "" },
	{ SMFIM_ENVFROM, "{client_addr} {daemon_name} {auth_authen} i" },
	{ SMFIM_ENVRCPT, "{rcpt_addr} {rcpt_host} {rcpt_mailer}" },
	{ SMFIM_DATA, "" },
	{ SMFIM_EOH, "" },
	{ SMFIM_EOM, "i" },
};

bool
macro_lists_ask(SMFICTX *ctx)
{
	for (size_t i = 0; i < sizeof(macro_lists) / sizeof(macro_lists[0]); i++)
		if (smfi_setsymlist(ctx, macro_lists[i].step, (char *)macro_lists[i].names) !=
		    MI_SUCCESS)
			return false;
	return true;
}
