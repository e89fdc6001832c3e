/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_notice.c - the mailbox owner's notice (see alert_notice.h).  The
 * alert mail (alert_mail.c) is for the security team; this one is for
 * the person whose mailbox rule or forward sent the mail out, so it
 * speaks of "your mailbox" and names no rule internals beyond the
 * reference a helpdesk needs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_dedupe.h"
#include "alert_notice.h"
#include "ids.h"

#define VAL_MAX	256

void alert_notice_init(struct alert_notice *n)
{
	memset(n, 0, sizeof(*n));
}

void alert_notice_set(struct alert_notice *n, const char *field, const char *value)
{
	static const struct dedupe_slot fields[] = {
#define F(x) DEDUPE_SLOT(struct alert_notice, x)
		F(decision_id), F(mailbox), F(recipient), F(target), F(signals), F(rule),
		F(outcome), F(rerouted_to),
#undef F
	};
	dedupe_slot_set(n, fields, sizeof(fields) / sizeof(fields[0]), field, value);
}

/* signal as a whole item of the comma list. */
static bool notice_has(const char *signals, const char *signal)
{
	size_t len = strlen(signal);

	for (const char *p = signals; p != NULL && *p != '\0'; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, signal, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

/* Most telling first: a signal that names the mechanism beats one that only shows a copy. */
const char *alert_notice_route(const char *signals)
{
	static const struct { const char *signal, *words; } routes[] = {
		{ "directory-forward", "a forward set on the mailbox in the company directory" },
		{ "sieve-redirect", "a redirect rule (Sieve filter) of the mailbox" },
		{ "exchange-rule", "an inbox rule of the mailbox" },
		{ "exchange-autoforward", "an inbox rule of the mailbox" },
		{ "gmail-forward", "an automatic forward set in the mailbox" },
		{ "header-recipient", "a redirect: the message was passed on unchanged" },
		{ "resent", "a re-send of a message the mailbox received" },
		{ "delivered-to", "an automatic forward of mail delivered to the mailbox" },
		{ "original-to", "an automatic forward of mail delivered to the mailbox" },
		{ "orcpt", "an automatic forward of mail delivered to the mailbox" },
		{ "received-for", "an automatic forward of mail delivered to the mailbox" },
		{ "attached-message", "a forward of a message the mailbox received" },
		{ "known-message-id", "a forward of a message the mailbox received" },
		{ "referenced-message", "a forward of a message the mailbox received" },
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (notice_has(signals, routes[i].signal))
			return routes[i].words;
	return "a route fwdguard could not name";
}

/* What became of the copy, said to its owner. */
static void notice_fate(FILE *f, const struct alert_notice *n, const char *rcpt)
{
	char to[VAL_MAX];
	const char *o = n->outcome != NULL ? n->outcome : "";

	if (strcmp(o, "rerouted") == 0)
		fprintf(f, "  What happened: it was delivered to %s instead;\n"
		    "                 nothing reached %s and its sender got no error.\n",
		    dedupe_clean(to, sizeof(to), n->rerouted_to, false), rcpt);
	else if (strcmp(o, "removed") == 0)
		fprintf(f, "  What happened: %s was taken off the message;\n"
		    "                 its other recipients got it.\n", rcpt);
	else if (strcmp(o, "held") == 0)
		fprintf(f, "  What happened: it is held by the mail administrators; nothing\n"
		    "                 reached %s.\n", rcpt);
	else
		fprintf(f, "  What happened: it was refused; nothing reached %s.\n", rcpt);
}

static void notice_headers(FILE *f, const struct alert_notice *n, const char *from,
    const char *rcpt, time_t now)
{
	char id[IDS_LEN + 1], date[64], a[VAL_MAX], b[VAL_MAX];
	const char *dom = strrchr(from, '@');
	struct tm tm;

	ids_new(id);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(f, "From: fwdguard <%s>\n", dedupe_clean(a, sizeof(a), from, true));
	fprintf(f, "To: %s\n", dedupe_clean(b, sizeof(b), n->mailbox, true));
	fprintf(f, "Subject: Mail of %s to %s was stopped by mail policy\n", b, rcpt);
	fprintf(f, "Date: %s\n", date);
	fprintf(f, "Message-ID: <notice.%s@%s>\n", id,
	    dedupe_clean(a, sizeof(a), dom != NULL ? dom + 1 : "localhost", true));
	fprintf(f, "Auto-Submitted: auto-generated\n");
	fprintf(f, "X-Fwdguard-Notice: %s\n", dedupe_clean(a, sizeof(a), n->decision_id, true));
	fprintf(f, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n");
}

static void notice_when(char *buf, size_t size, long long ms, time_t now)
{
	time_t t = ms > 0 ? (time_t)(ms / 1000) : now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void notice_body(FILE *f, const struct alert_notice *n, const char *rcpt,
    const char *contact, long window, time_t now)
{
	char mb[VAL_MAX], v[VAL_MAX], when[40];

	dedupe_clean(mb, sizeof(mb), n->mailbox, false);
	notice_when(when, sizeof(when), n->ts_ms, now);
	fprintf(f, "Hello,\n\n"
	    "mail that reached %s was on its way to %s,\n"
	    "outside the company.  The company's mail policy does not allow mail of\n"
	    "this mailbox to leave for outside addresses, so it was stopped.\n\n", mb, rcpt);
	fprintf(f, "  Going to:      %s\n", rcpt);
	fprintf(f, "  Route:         %s\n", alert_notice_route(n->signals));
	notice_fate(f, n, rcpt);
	fprintf(f, "  When:          %s\n", when);
	fprintf(f, "  Reference:     %s\n\n", dedupe_clean(v, sizeof(v), n->decision_id, false));
	fprintf(f, "What to do\n\n"
	    "  If you set up this forward or redirect, please remove it: mail of\n"
	    "  this mailbox must not be passed on outside the company.  If you did\n"
	    "  not set it up, or mail must reach %s for a\n"
	    "  good reason, write to %s and give the\n"
	    "  reference above.\n\n", rcpt, dedupe_clean(v, sizeof(v), contact, false));
	if (window > 0)
		fprintf(f, "You get this notice once per destination every %ld minute(s):\n"
		    "further mail taking the same route meanwhile is stopped the same way.\n",
		    (window + 59) / 60);
	fprintf(f, "\n-- \nfwdguard, the company's mail forwarding guard\n");
}

char *alert_notice_compose(const struct alert_notice *n, const char *from, const char *contact,
    long window, time_t now, size_t *len)
{
	char *buf = NULL, rcpt[VAL_MAX];
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	dedupe_clean(rcpt, sizeof(rcpt), n->recipient != NULL && n->recipient[0] != '\0' ?
	    n->recipient : n->target, true);
	notice_headers(f, n, from, rcpt, now);
	notice_body(f, n, rcpt, contact, window, now);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
