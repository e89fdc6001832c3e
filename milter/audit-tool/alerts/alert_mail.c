/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_mail.c - the alert mail a security team reads (see alert_mail.h).
 * Values from Redis are cleaned on the way in: one helper per use (header
 * or body), so no caller can forget it.
 */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert_dedupe.h"
#include "alert_mail.h"
#include "ids.h"

#define VAL_MAX	256

void alert_mail_init(struct alert_mail *m)
{
	memset(m, 0, sizeof(*m));
}

void alert_mail_set(struct alert_mail *m, const char *field, const char *value)
{
	static const struct dedupe_slot fields[] = {
#define F(x) DEDUPE_SLOT(struct alert_mail, x)
		F(id), F(mailbox), F(target), F(rule), F(action), F(mode), F(destination),
		F(level), F(recipient), F(signals), F(host), F(summary), F(type), F(reason),
		F(owner), F(expires), F(days_left),
		F(change), F(entry), F(attribute), F(modifiers_name), F(modify_timestamp),
		F(forwards), F(forwards_count),
#undef F
	};
	dedupe_slot_set(m, fields, sizeof(fields) / sizeof(fields[0]), field, value);
}

bool alert_mail_is_expiry(const struct alert_mail *m)
{
	return m->type != NULL && strcmp(m->type, "expiry") == 0;
}

/* A directory change seen by fwdguard-audit watch: no message was involved. */
static bool mail_is_directory(const struct alert_mail *m)
{
	return m->rule != NULL && strcmp(m->rule, "directory-change") == 0;
}

static bool mail_is_baseline(const struct alert_mail *m)
{
	return mail_is_directory(m) && m->change != NULL && strcmp(m->change, "baseline") == 0;
}

static bool mail_is_leak(const struct alert_mail *m)
{
	return (m->rule != NULL && strncmp(m->rule, "leak", 4) == 0) ||
	    (m->signals != NULL && strstr(m->signals, "leak-") != NULL);
}

/* body-unexamined with no mailbox named: nobody knows whose mail it was. */
static bool mail_is_unexamined(const struct alert_mail *m)
{
	return (m->mailbox == NULL || m->mailbox[0] == '\0') && m->signals != NULL &&
	    strstr(m->signals, "body-unexamined") != NULL;
}

static bool mail_is_blocked(const struct alert_mail *m)
{
	static const char *const blocking[] = { "reject", "tempfail", "quarantine", "strip",
	    "reroute" };
	if (m->mode != NULL && strcmp(m->mode, "monitor") == 0)
		return false;
	for (size_t i = 0; m->action != NULL && i < sizeof(blocking) / sizeof(blocking[0]); i++)
		if (strcmp(m->action, blocking[i]) == 0)
			return true;
	return false;
}

/*
 * Both counts come from Redis: a damaged or hostile counter must not
 * overflow the sum (undefined in C), so negative ones count as none and
 * the sum saturates.
 */
static long mail_total(const struct alert_mail *m)
{
	long count = m->count > 0 ? m->count : 0, pending = m->pending > 0 ? m->pending : 0;
	return count > LONG_MAX - pending ? LONG_MAX : count + pending;
}

void alert_mail_subject(const struct alert_mail *m, char *buf, size_t size)
{
	char level[32], mb[VAL_MAX], tg[VAL_MAX], more[48] = "";
	dedupe_clean(level, sizeof(level), m->level != NULL ? m->level : "alert", true);
	for (char *p = level; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	dedupe_clean(mb, sizeof(mb), m->mailbox, true);
	dedupe_clean(tg, sizeof(tg), m->target, true);
	if (alert_mail_is_expiry(m)) {
		alert_mail_expiry_subject(m, level, buf, size);
		return;
	}
	if (m->count == 0)
		snprintf(more, sizeof(more), " (%ld more)", m->pending);
	else if (mail_total(m) > 1)
		snprintf(more, sizeof(more), " (%ld messages)", mail_total(m));
	if (mail_is_baseline(m))
		snprintf(buf, size, "%s: protected mailboxes already have %s in the directory%s",
		    level, tg, more);
	else if (mail_is_directory(m))
		snprintf(buf, size, "%s: %s's directory entry now forwards to %s%s", level, mb, tg,
		    more);
	else if (mail_is_leak(m))
		snprintf(buf, size, "%s: %s mail is reaching %s%s", level, mb, tg, more);
	else if (mail_is_unexamined(m))
		snprintf(buf, size, "%s: mail to %s could not be examined%s", level, tg, more);
	else if (mail_is_blocked(m))
		snprintf(buf, size, "%s: forwarding of %s mail to %s blocked%s", level, mb, tg, more);
	else
		snprintf(buf, size, "%s: %s mail is being forwarded to %s%s", level, mb, tg, more);
}

void alert_mail_syslog_line(const struct alert_mail *m, char *buf, size_t size)
{
	char subj[600], rule[VAL_MAX], action[64], mode[32], id[64];
	alert_mail_subject(m, subj, sizeof(subj));
	snprintf(buf, size, "alert: %s; rule=%s action=%s mode=%s count=%ld decision=%s", subj,
	    dedupe_clean(rule, sizeof(rule), m->rule, true),
	    dedupe_clean(action, sizeof(action), m->action, true),
	    dedupe_clean(mode, sizeof(mode), m->mode, true), mail_total(m),
	    dedupe_clean(id, sizeof(id), m->nids > 0 ? m->ids[0] : NULL, true));
}

static void mail_time(char *buf, size_t size, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, size, "unknown");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void mail_headers(FILE *f, const struct alert_mail *m, const char *from, const char *to,
    time_t now)
{
	char subj[600], id[IDS_LEN + 1], date[64], a[VAL_MAX], b[VAL_MAX];
	const char *dom = strrchr(from, '@');
	struct tm tm;
	alert_mail_subject(m, subj, sizeof(subj));
	ids_new(id);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fprintf(f, "From: fwdguard <%s>\n", dedupe_clean(a, sizeof(a), from, true));
	fprintf(f, "To: %s\n", dedupe_clean(b, sizeof(b), to, true));
	fprintf(f, "Subject: [fwdguard] %s\n", subj);
	fprintf(f, "Date: %s\n", date);
	fprintf(f, "Message-ID: <alert.%s@%s>\n", id,
	    dedupe_clean(a, sizeof(a), dom != NULL ? dom + 1 : "localhost", true));
	fprintf(f, "Auto-Submitted: auto-generated\n");
	fprintf(f, "X-Fwdguard-Alert: %s\n", dedupe_clean(b, sizeof(b), m->id, true));
	fprintf(f, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n");
}

static void mail_what(FILE *f, const struct alert_mail *m, const char *mb, const char *tg)
{
	char action[64], rule[VAL_MAX];
	dedupe_clean(action, sizeof(action), m->action, false);
	dedupe_clean(rule, sizeof(rule), m->rule, false);
	fprintf(f, "What happened\n\n");
	if (mail_is_leak(m))
		fprintf(f, "  Someone at %s answered (reply, auto-reply or bounce) a message that\n"
		    "  only %s received.  Its mail is reaching %s by a route\n"
		    "  fwdguard does not see, e.g. an alias, a .forward or a mailbox rule.\n", tg, mb, tg);
	else if (mail_is_unexamined(m))
		fprintf(f, "  Mail from inside to %s had a body fwdguard could not examine whole\n"
		    "  (a limit, an encoding it does not decode, a multipart it cannot read).\n"
		    "  It may carry a protected mailbox's message (action %s, rule %s).\n",
		    tg, action, rule);
	else if (mail_is_blocked(m))
		fprintf(f, "  Mail of the protected mailbox %s was being forwarded to %s.\n"
		    "  fwdguard stopped it (action %s, rule %s).\n", mb, tg, action, rule);
	else
		fprintf(f, "  Mail of the protected mailbox %s is being forwarded to %s.\n"
		    "  It was NOT stopped (action %s, rule %s%s).\n", mb, tg, action, rule,
		    m->mode != NULL && strcmp(m->mode, "monitor") == 0 ? ", monitor mode" : "");
	if (m->count == 0)
		fprintf(f, "\n  This follows an earlier alert: %ld more message(s) since then.\n",
		    m->pending);
}

static void mail_facts(FILE *f, const struct alert_mail *m, const char *mb, const char *tg)
{
	char v[VAL_MAX], t1[40], t2[40];
	fprintf(f, "\n  Mailbox:       %s\n", mb);
	fprintf(f, "  Destination:   %s", tg);
	fprintf(f, " (%s)\n", dedupe_clean(v, sizeof(v), m->destination, false));
	if (m->count > 0)
		fprintf(f, "  Recipient:     %s\n", dedupe_clean(v, sizeof(v), m->recipient, false));
	fprintf(f, "  Rule:          %s", dedupe_clean(v, sizeof(v), m->rule, false));
	fprintf(f, ", action %s", dedupe_clean(v, sizeof(v), m->action, false));
	fprintf(f, ", mode %s\n", dedupe_clean(v, sizeof(v), m->mode, false));
	if (m->count > 0)
		fprintf(f, "  Signals:       %s\n", dedupe_clean(v, sizeof(v), m->signals, false));
	mail_time(t1, sizeof(t1), m->since_ms > 0 ? m->since_ms : m->first_ms);
	fprintf(f, "  Since:         %s%s\n", t1, m->since_ms > 0 ? " (first decision in its history)" : "");
	mail_time(t1, sizeof(t1), m->first_ms);
	mail_time(t2, sizeof(t2), m->last_ms);
	fprintf(f, "  This alert:    %ld message(s), %s to %s\n", mail_total(m), t1, t2);
	if (m->count > 0)
		fprintf(f, "  Reported by:   %s\n", dedupe_clean(v, sizeof(v), m->host, false));
	if ((long)m->nids < mail_total(m))
		fprintf(f, "  Decision ids (the first %zu of %ld):\n", m->nids, mail_total(m));
	else
		fprintf(f, "  Decision ids:\n");
	for (size_t i = 0; i < m->nids; i++)
		fprintf(f, "    %s\n", dedupe_clean(v, sizeof(v), m->ids[i], false));
}

static void mail_next_unexamined(FILE *f, const struct alert_mail *m)
{
	char rule[VAL_MAX];

	fprintf(f, "\nWhat to do next\n\n"
	    "  1. Find the message by the decision ids (fwdguard-audit search --rule %s)\n"
	    "     and ask its sender what it carried; the sender and queue id are there.\n"
	    "  2. If such mail must wait for a person, give the rule the action quarantine.\n",
	    dedupe_clean(rule, sizeof(rule), m->rule, false));
}

static void mail_next_forward(FILE *f, const struct alert_mail *m, const char *mb,
    const char *tg)
{
	fprintf(f, "\nWhat to do next\n\n"
	    "  1. Find the forward: the mailbox's inbox rules in the mail server, Sieve\n"
	    "     or .forward files, Postfix aliases, and its directory entry\n"
	    "     (mailForwardingAddress, mailRoutingAddress).  Ask who set it up and why.\n"
	    "  2. See every decision and where this mailbox's mail went:\n"
	    "       fwdguard-audit search --mailbox %s\n"
	    "       fwdguard-audit report --mailbox %s\n", mb, mb);
	if (m->action != NULL && strcmp(m->action, "quarantine") == 0)
		fprintf(f, "  3. The messages are held in the Postfix hold queue (postqueue -p).\n"
		    "     Release one with \"postsuper -H QUEUEID\", or delete it with\n"
		    "     \"postsuper -d QUEUEID\"; the queue ids are in the audit records.\n");
	else if (mail_is_leak(m))
		fprintf(f, "  3. Treat it as a data leak to %s: remove the forward, and\n"
		    "     involve your data protection officer.\n", tg);
	else
		fprintf(f, "  3. If %s is an approved processor, add an allow entry\n"
		    "     (reason, owner, expires) to fwdguard.yaml; otherwise remove the forward.\n", tg);
}

static void mail_next(FILE *f, const struct alert_mail *m, const char *mb, const char *tg)
{
	if (mail_is_unexamined(m))
		mail_next_unexamined(f, m);
	else
		mail_next_forward(f, m, mb, tg);
	fprintf(f, "\n-- \nfwdguard alerts relay; repeats of this alert are summed up for the\n"
	    "dedupe window and then reported in one follow-up mail.\n");
}

/* The forwards of a baseline digest, one per line ("a -> b; c -> d" as recorded). */
static void mail_forwards(FILE *f, const char *list)
{
	char v[VAL_MAX];
	const char *p = list != NULL ? list : "";

	while (*p != '\0') {
		size_t n = strcspn(p, ";");
		char one[VAL_MAX];
		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) - 1 ? n : sizeof(one) - 1), p);
		fprintf(f, "    %s\n", dedupe_clean(v, sizeof(v), one[0] == ' ' ? one + 1 : one, false));
		p += n + (p[n] == ';');
	}
}

/* A GeneralizedTime as a person reads it, the directory's own text kept beside it. */
static void mail_generalized(char *buf, size_t size, const char *gt)
{
	char v[VAL_MAX];

	dedupe_clean(v, sizeof(v), gt, false);
	if (strlen(v) >= 15 && strspn(v, "0123456789") == 14 && v[14] == 'Z')
		snprintf(buf, size, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s UTC (%s)", v, v + 4, v + 6, v + 8,
		    v + 10, v + 12, v);
	else
		snprintf(buf, size, "%s", v);
}

static void mail_directory(FILE *f, const struct alert_mail *m, const char *mb, const char *tg)
{
	char v[VAL_MAX], t1[40], when[2 * VAL_MAX];

	fprintf(f, "What happened\n\n");
	if (mail_is_baseline(m)) {
		fprintf(f, "  fwdguard-audit watch looked at the directory for the first time.\n"
		    "  The directory entries of protected mailboxes already forward to\n"
		    "  addresses outside the company (%s):\n\n", tg);
		mail_forwards(f, m->forwards);
		fprintf(f, "\n  From now on each forward set or removed is reported on its own.\n\n");
	} else {
		fprintf(f, "  The directory entry of the protected mailbox %s\n"
		    "  was changed to forward its mail to %s.\n"
		    "  Mail sent to it from now on goes there too, unless fwdguard's rules\n"
		    "  stop it.\n\n", mb, tg);
		fprintf(f, "  Mailbox:       %s\n", mb);
		fprintf(f, "  Forward to:    %s (%s)\n", tg,
		    dedupe_clean(v, sizeof(v), m->destination, false));
		fprintf(f, "  Entry:         %s\n", dedupe_clean(v, sizeof(v), m->entry, false));
		fprintf(f, "  Attribute:     %s\n", dedupe_clean(v, sizeof(v), m->attribute, false));
		fprintf(f, "  Changed by:    %s\n",
		    dedupe_clean(v, sizeof(v), m->modifiers_name, false));
		mail_generalized(when, sizeof(when), m->modify_timestamp);
		fprintf(f, "  Changed at:    %s\n", when);
	}
	mail_time(t1, sizeof(t1), m->first_ms);
	fprintf(f, "  Seen at:       %s\n", t1);
	fprintf(f, "  Reported by:   %s\n", dedupe_clean(v, sizeof(v), m->host, false));
	if (mail_is_baseline(m))
		fprintf(f, "\nWhat to do next\n\n"
		    "  1. For each forward above: is it approved?  An approved processor\n"
		    "     needs an allow entry (reason, owner, expires) in fwdguard.yaml;\n"
		    "     otherwise remove the forward from the entry.\n"
		    "  2. Each one, with who last changed its entry and when:\n"
		    "       fwdguard-audit search --rule directory-change\n");
	else
		fprintf(f, "\nWhat to do next\n\n"
		    "  1. Ask who made the change (see above) and why; an approved processor\n"
		    "     needs an allow entry (reason, owner, expires) in fwdguard.yaml.\n"
		    "  2. Otherwise remove the forward from the entry.\n"
		    "  3. The trail: fwdguard-audit search --rule directory-change\n");
	fprintf(f, "\n-- \nfwdguard-audit watch, through the alerts relay.\n");
}

char *alert_mail_compose(const struct alert_mail *m, const char *from, const char *to,
    time_t now, size_t *len)
{
	char *buf = NULL, mb[VAL_MAX], tg[VAL_MAX];
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	dedupe_clean(mb, sizeof(mb), m->mailbox, false);
	dedupe_clean(tg, sizeof(tg), m->target, false);
	mail_headers(f, m, from, to, now);
	if (alert_mail_is_expiry(m)) {
		alert_mail_expiry_body(f, m, mb, tg);
	} else if (mail_is_directory(m)) {
		mail_directory(f, m, mb, tg);
	} else {
		mail_what(f, m, mb, tg);
		mail_facts(f, m, mb, tg);
		mail_next(f, m, mb, tg);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
