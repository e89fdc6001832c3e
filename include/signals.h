/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * signals.h - the stable identifiers of forwarding and leak evidence
 * (README.md "Configuration", signals).  A signal_set is a bit set of enum fg_signal.
 * The names returned by signal_name() are the contract used in YAML rules,
 * audit records and X-Fwdguard headers: never rename them.
 */
#ifndef FWDGUARD_SIGNALS_H
#define FWDGUARD_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

enum fg_signal {
	SIGNAL_DELIVERED_TO,		/* "delivered-to" */
	SIGNAL_ORIGINAL_TO,		/* "original-to" */
	SIGNAL_ORCPT,			/* "orcpt" */
	SIGNAL_RECEIVED_FOR,		/* "received-for" */
	SIGNAL_SIEVE_REDIRECT,		/* "sieve-redirect" */
	SIGNAL_EXCHANGE_RULE,		/* "exchange-rule" */
	SIGNAL_EXCHANGE_AUTOFORWARD,	/* "exchange-autoforward" */
	SIGNAL_GMAIL_FORWARD,		/* "gmail-forward" */
	SIGNAL_RESENT,			/* "resent" */
	SIGNAL_HEADER_RECIPIENT,	/* "header-recipient" */
	SIGNAL_KNOWN_MESSAGE_ID,	/* "known-message-id" */
	SIGNAL_ATTACHED_MESSAGE,	/* "attached-message" */
	SIGNAL_REFERENCED_MESSAGE,	/* "referenced-message" */
	SIGNAL_DIRECTORY_FORWARD,	/* "directory-forward" */
	SIGNAL_LEAK_PROBE,		/* "leak-probe" */
	SIGNAL_LEAK_BACKSCATTER,	/* "leak-backscatter" */
	SIGNAL_BODY_UNEXAMINED,		/* "body-unexamined" */
	SIGNAL_COUNT
};

typedef uint32_t signal_set;

#define SIGNAL_BIT(s)	((signal_set)1u << (s))

/* The stable name of a signal; NULL when out of range.  Static storage. */
const char *signal_name(enum fg_signal sig);

/* Look a name up; returns 0 and sets *out, or -1 when the name is unknown. */
int signal_lookup(const char *name, enum fg_signal *out);

/*
 * Writes the set as a comma list in enum order ("delivered-to,orcpt"), or
 * "" for the empty set, NUL-terminated and truncated to size.  Returns the
 * length the full list needs (like snprintf).
 */
size_t signal_set_format(signal_set set, char *buf, size_t size);

#endif
