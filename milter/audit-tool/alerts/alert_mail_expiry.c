/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_mail_expiry.c - the text of an exception's expiry reminder and of
 * its expiry notice (alert records of type "expiry", alert_expiry.h): which
 * allow entry, its reason and owner, its last day, and what to do.  Values
 * come from Redis: cleaned as in alert_mail.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alert_dedupe.h"
#include "alert_mail.h"

#define VAL_MAX	256

static bool expiry_is_over(const struct alert_mail *m)
{
	return m->level != NULL && strcmp(m->level, "info") == 0;
}

void alert_mail_expiry_subject(const struct alert_mail *m, const char *level, char *buf,
    size_t size)
{
	char mb[VAL_MAX], tg[VAL_MAX], day[32], left[32];
	const char *who = m->mailbox != NULL && *m->mailbox != '\0' ?
	    dedupe_clean(mb, sizeof(mb), m->mailbox, true) : "every protected mailbox";

	dedupe_clean(tg, sizeof(tg), m->target, true);
	dedupe_clean(day, sizeof(day), m->expires, true);
	dedupe_clean(left, sizeof(left), m->days_left, true);
	if (expiry_is_over(m))
		snprintf(buf, size, "%s: the exception for %s to %s has expired (last day %s)", level,
		    who, tg, day);
	else
		snprintf(buf, size, "%s: the exception for %s to %s expires after %s (%s day(s) left)",
		    level, who, tg, day, left);
}

void alert_mail_expiry_body(FILE *f, const struct alert_mail *m, const char *mb, const char *tg)
{
	char v[VAL_MAX];
	bool all = m->mailbox == NULL || *m->mailbox == '\0';

	fprintf(f, "What happened\n\n");
	if (expiry_is_over(m))
		fprintf(f, "  The exception that let mail of %s go to %s\n"
		    "  has expired.  Such mail is now decided by the rules like any external\n"
		    "  destination (a forwarded copy is blocked).\n", all ? "every protected mailbox" : mb, tg);
	else
		fprintf(f, "  The exception that lets mail of %s go to %s\n"
		    "  expires soon: %s day(s) left.\n", all ? "every protected mailbox" : mb, tg,
		    dedupe_clean(v, sizeof(v), m->days_left, false));
	fprintf(f, "\n  Mailbox:       %s\n", all ? "(every protected mailbox)" : mb);
	fprintf(f, "  Destination:   %s\n", tg);
	fprintf(f, "  Reason:        %s\n", dedupe_clean(v, sizeof(v), m->reason, false));
	fprintf(f, "  Owner:         %s\n", dedupe_clean(v, sizeof(v), m->owner, false));
	fprintf(f, "  Last day:      %s (allow[].expires, UTC)\n",
	    dedupe_clean(v, sizeof(v), m->expires, false));
	fprintf(f, "\nWhat to do next\n\n");
	if (expiry_is_over(m))
		fprintf(f, "  1. If the exception is still needed, renew it: a new allow[].expires in\n"
		    "     fwdguard.yaml, then reload fwdguard (SIGUSR1).\n"
		    "  2. Otherwise remove the entry, and the forward that used it.\n");
	else
		fprintf(f, "  1. If the exception is still needed (the agreement runs on), set a new\n"
		    "     allow[].expires in fwdguard.yaml and reload fwdguard (SIGUSR1).\n"
		    "  2. If not, let it lapse and remove the forward that uses it: from the\n"
		    "     day after its last day, that mail is decided by the rules.\n");
	fprintf(f, "\n-- \nfwdguard alerts relay; this reminder is sent once per exception and\n"
	    "date (alerts.expiry_notice_days before it expires), and once when it has expired.\n");
}
