/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * signals.c - names of the evidence signals (README.md "Configuration", signals).
 *
 * The table is indexed by enum fg_signal; its strings are a stable contract
 * shared with YAML rules, audit records and X-Fwdguard headers.
 */
#include <string.h>

#include "signals.h"

static const char *const signal_names[SIGNAL_COUNT] = {
	[SIGNAL_DELIVERED_TO] = "delivered-to",
	[SIGNAL_ORIGINAL_TO] = "original-to",
	[SIGNAL_ORCPT] = "orcpt",
	[SIGNAL_RECEIVED_FOR] = "received-for",
	[SIGNAL_SIEVE_REDIRECT] = "sieve-redirect",
	[SIGNAL_EXCHANGE_RULE] = "exchange-rule",
	[SIGNAL_EXCHANGE_AUTOFORWARD] = "exchange-autoforward",
	[SIGNAL_GMAIL_FORWARD] = "gmail-forward",
	[SIGNAL_RESENT] = "resent",
	[SIGNAL_HEADER_RECIPIENT] = "header-recipient",
	[SIGNAL_KNOWN_MESSAGE_ID] = "known-message-id",
	[SIGNAL_ATTACHED_MESSAGE] = "attached-message",
	[SIGNAL_REFERENCED_MESSAGE] = "referenced-message",
	[SIGNAL_DIRECTORY_FORWARD] = "directory-forward",
	[SIGNAL_LEAK_PROBE] = "leak-probe",
	[SIGNAL_LEAK_BACKSCATTER] = "leak-backscatter",
	[SIGNAL_BODY_UNEXAMINED] = "body-unexamined",
};

const char *
signal_name(enum fg_signal sig)
{
	if ((unsigned)sig >= SIGNAL_COUNT)
		return NULL;
	return signal_names[sig];
}

int
signal_lookup(const char *name, enum fg_signal *out)
{
	if (name == NULL)
		return -1;
	for (unsigned i = 0; i < SIGNAL_COUNT; i++) {
		if (strcmp(signal_names[i], name) == 0) {
			if (out != NULL)
				*out = (enum fg_signal)i;
			return 0;
		}
	}
	return -1;
}

size_t
signal_set_format(signal_set set, char *buf, size_t size)
{
	size_t need = 0;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	for (unsigned i = 0; i < SIGNAL_COUNT; i++) {
		if ((set & SIGNAL_BIT(i)) == 0)
			continue;
		const char *name = signal_names[i];
		size_t n = strlen(name);
		if (need > 0) {
			if (buf != NULL && need + 1 < size)
				buf[need] = ',', buf[need + 1] = '\0';
			need++;
		}
		/* Copy what fits, keeping room for the terminator. */
		if (buf != NULL && need < size) {
			size_t room = size - need - 1;
			size_t k = n < room ? n : room;
			memcpy(buf + need, name, k);
			buf[need + k] = '\0';
		}
		need += n;
	}
	return need;
}
