/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_body.c - webhook bodies (see alert_body.h).  Strings go through
 * view_json_string (audit_view.c), which escapes controls and bidi
 * controls, so a value from Redis cannot break the JSON or a chat line.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_body.h"
#include "alert_mail.h"
#include "audit_view.h"

#define TEXT_MAX	4000	/* Slack shows about this much of a message */

/* Both counts came from Redis; see mail_total in alert_mail.c. */
static long body_total(const struct alert_mail *m)
{
	long c = m->count > 0 ? m->count : 0, p = m->pending > 0 ? m->pending : 0;
	return c > LONG_MAX - p ? LONG_MAX : c + p;
}

static void body_field(FILE *f, const char *name, const char *value)
{
	if (value == NULL)
		return;
	fputc(',', f);
	view_json_string(f, name);
	fputc(':', f);
	view_json_string(f, value);
}

static void body_time(FILE *f, const char *name, long long ms)
{
	char t[40];
	if (ms <= 0)
		return;
	view_format_time(ms, t, sizeof(t));
	body_field(f, name, t);
}

static void body_json(FILE *f, const struct alert_mail *m, const char *route, const char *subject)
{
	fputs("{\"subject\":", f);
	view_json_string(f, subject);
	body_field(f, "route", route);
	body_field(f, "alert", m->id);
	static const char *const names[] = { "level", "mailbox", "target", "destination", "rule",
	    "action", "mode", "signals", "recipient", "host", "summary", "type", "reason", "owner",
	    "expires", "days_left" };
	const char *const values[] = { m->level, m->mailbox, m->target, m->destination, m->rule,
	    m->action, m->mode, m->signals, m->recipient, m->host, m->summary, m->type, m->reason,
	    m->owner, m->expires, m->days_left };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		body_field(f, names[i], values[i]);
	fprintf(f, ",\"count\":%ld,\"follow_up\":%s", body_total(m), m->count == 0 ? "true" : "false");
	body_time(f, "first", m->first_ms);
	body_time(f, "last", m->last_ms);
	body_time(f, "since", m->since_ms);
	fputs(",\"decision_ids\":[", f);
	for (size_t i = 0; i < m->nids; i++) {
		if (i > 0)
			fputc(',', f);
		view_json_string(f, m->ids[i]);
	}
	fputs("]}", f);
}

/* Appends s to the text with Slack's three escapes; NULL is "-". */
static void slack_put(FILE *f, const char *s)
{
	for (s = s != NULL && *s != '\0' ? s : "-"; *s != '\0'; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

static void slack_line(FILE *f, const char *label, const char *value)
{
	if (value == NULL)
		return;
	fprintf(f, "\n%s: ", label);
	slack_put(f, value);
}

/* The text before JSON quoting; malloc'd or NULL. */
static char *slack_text(const struct alert_mail *m, const char *route, const char *subject)
{
	char *text = NULL, when[40];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return NULL;
	fputs("*[fwdguard] ", f);
	slack_put(f, subject);
	fputc('*', f);
	slack_line(f, "Mailbox", m->mailbox);
	slack_line(f, "Destination", m->target);
	if (alert_mail_is_expiry(m)) {
		slack_line(f, "Reason", m->reason);
		slack_line(f, "Owner", m->owner);
		slack_line(f, "Last day", m->expires);
	} else {
		slack_line(f, "Rule", m->rule);
		slack_line(f, "Action", m->action);
		slack_line(f, "Mode", m->mode);
		fprintf(f, "\nMessages: %ld", body_total(m));
		if (m->first_ms > 0) {
			view_format_time(m->first_ms, when, sizeof(when));
			slack_line(f, "First", when);
		}
	}
	for (size_t i = 0; i < m->nids; i++) {
		fputs(i == 0 ? "\nDecision ids: " : ", ", f);
		slack_put(f, m->ids[i]);
	}
	slack_line(f, "Route", route);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	if (len > TEXT_MAX) {
		/* Cut on a character boundary, never inside a UTF-8 sequence. */
		len = TEXT_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
		text[len] = '\0';
	}
	return text;
}

char *alert_body(enum webhook_format format, const struct alert_mail *m, const char *route,
    size_t *len)
{
	char subject[600], *buf = NULL, *text = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	alert_mail_subject(m, subject, sizeof(subject));
	if (format == WEBHOOK_SLACK) {
		if ((text = slack_text(m, route, subject)) != NULL) {
			fputs("{\"text\":", f);
			view_json_string(f, text);
			fputs("}", f);
		}
	} else {
		body_json(f, m, route, subject);
	}
	if (fclose(f) != 0 || (format == WEBHOOK_SLACK && text == NULL)) {
		free(text);
		free(buf);
		return NULL;
	}
	free(text);
	return buf;
}
