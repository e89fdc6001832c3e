/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_breach_print.c - what "fwdguard-audit breach" prints: a page for
 * a person (lists cut at BREACH_TEXT_MAX, every value made safe for a
 * terminal by view_cell) or one JSON object with the full lists (values
 * escaped by view_json_string).  The keys are a contract, listed in
 * fwdguard-audit(1), BREACH.
 */
#include <stdlib.h>
#include <string.h>

#include "audit_breach.h"
#include "audit_breach_int.h"

#define BREACH_TEXT_MAX	20	/* items of a list shown in text */
#define BREACH_INDENT	"                 "

static int breach_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The set's strings, sorted when asked (owned array of borrowed strings); NULL when empty or ENOMEM. */
static char **breach_view(const struct bset *s, bool sorted)
{
	char **v = s->n > 0 ? malloc(s->n * sizeof(*v)) : NULL;
	if (v == NULL)
		return NULL;
	memcpy(v, s->s, s->n * sizeof(*v));
	if (sorted)
		qsort(v, s->n, sizeof(*v), breach_strcmp);
	return v;
}

static int breach_leak_cmp(const void *a, const void *b)
{
	const struct breach_leak *x = a, *y = b;
	return x->ms < y->ms ? -1 : x->ms > y->ms;
}

/* Oldest first: the first evidence is the one a notification dates from. */
static void breach_sort_leak(struct breach *b)
{
	if (b->nleak > 1)
		qsort(b->leak, b->nleak, sizeof(*b->leak), breach_leak_cmp);
}

static void breach_cell(FILE *out, const char *v)
{
	char *c = view_cell(v);
	fputs(c != NULL ? c : "?", out);
	free(c);
}

static void breach_time(FILE *out, long long ms, const char *none)
{
	char t[32];
	view_format_time(ms, t, sizeof(t));
	fputs(ms >= 0 ? t : none, out);
}

/* ---- text ---------------------------------------------------------------------- */

/* One item per line, the first BREACH_TEXT_MAX, then how many more. */
static void breach_text_items(FILE *out, const struct bset *s, bool sorted)
{
	char **v = breach_view(s, sorted);
	size_t shown = s->n < BREACH_TEXT_MAX ? s->n : BREACH_TEXT_MAX;
	for (size_t i = 0; v != NULL && i < shown; i++) {
		fputs(BREACH_INDENT, out);
		breach_cell(out, v[i]);
		fputc('\n', out);
	}
	if (s->n > shown)
		fprintf(out, BREACH_INDENT "... and %zu more (--json lists them all)\n", s->n - shown);
	free(v);
}

/* Short names on one line, comma-separated. */
static void breach_text_inline(FILE *out, const struct bset *s)
{
	char **v = breach_view(s, true);
	for (size_t i = 0; v != NULL && i < s->n; i++) {
		fputs(i > 0 ? ", " : "", out);
		breach_cell(out, v[i]);
	}
	fputs(s->n > 0 ? "\n" : "-\n", out);
	free(v);
}

static void breach_text_head(FILE *out, const struct breach *b)
{
	fputs("breach:        ", out);
	breach_cell(out, b->mailbox);
	fprintf(out, " -> %s and its subdomains\nwindow:        ", b->domain);
	breach_time(out, b->since_ms, "the start of the trail");
	fputs(" to ", out);
	breach_time(out, b->until_ms, "now");
	fputc('\n', out);
}

static void breach_text_leak(FILE *out, const struct breach *b)
{
	if (b->nleak == 0) {
		fputs("leak evidence: none\n", out);
		return;
	}
	fprintf(out, "leak evidence: mail was reaching %s by a route fwdguard does not see, "
	    "first evidence at ", b->domain);
	breach_time(out, b->leak[0].ms, "-");
	fprintf(out, " (%zu record%s)\n", b->nleak, b->nleak == 1 ? "" : "s");
	for (size_t i = 0; i < b->nleak && i < BREACH_TEXT_MAX; i++) {
		const struct breach_leak *l = &b->leak[i];
		fputs(BREACH_INDENT, out);
		breach_time(out, l->ms, "-");
		fputs("  ", out);
		breach_cell(out, l->signals);
		fputs(" from ", out);
		breach_cell(out, *l->from != '\0' ? l->from : l->target);
		fputs(", answering ", out);
		breach_cell(out, l->original);
		fputs(", id ", out);
		breach_cell(out, l->id);
		fputc('\n', out);
	}
	if (b->nleak > BREACH_TEXT_MAX)
		fprintf(out, BREACH_INDENT "... and %zu more\n", b->nleak - BREACH_TEXT_MAX);
}

static void breach_text_senders(FILE *out, const struct breach *b, const struct breach_counts *n)
{
	fprintf(out, "senders:       %ld distinct external sender%s (From:) of the messages that left\n",
	    n->senders, n->senders == 1 ? "" : "s");
	breach_text_items(out, &b->senders, true);
	if (n->without_from > 0)
		fprintf(out, "               %ld message%s that left ha%s no readable From: "
		    "(its people are known only from the mailbox)\n", n->without_from,
		    n->without_from == 1 ? "" : "s", n->without_from == 1 ? "s" : "ve");
	if (n->internal_senders > 0) {
		fprintf(out, "               %ld internal sender%s, not counted above:\n",
		    n->internal_senders, n->internal_senders == 1 ? "" : "s");
		breach_text_items(out, &b->internal_senders, true);
	}
}

void breach_print_text(FILE *out, struct breach *b)
{
	struct breach_counts n;
	breach_counts(b, &n);
	breach_sort_leak(b);
	breach_text_head(out, b);
	if (n.in_scope == 0) {
		fputs("empty scope:   no decision of ", out);
		breach_cell(out, b->mailbox);
		fprintf(out, " concerns %s in this window (%ld decision%s of the mailbox read)\n",
		    b->domain, n.read, n.read == 1 ? "" : "s");
		return;
	}
	fputs("first:         ", out);
	breach_time(out, b->first, "- (only the mailbox's own mail)");
	fputs("\nlast:          ", out);
	breach_time(out, b->last, "-");
	fprintf(out, "\nleft:          %ld message%s (distinct Message-IDs: accept, flag, or monitor mode)\n",
	    n.left, n.left == 1 ? "" : "s");
	fprintf(out, "stopped:       %ld message%s (reject, tempfail, quarantine, strip)\n",
	    n.stopped, n.stopped == 1 ? "" : "s");
	breach_text_senders(out, b, &n);
	fprintf(out, "targets:       %ld\n", n.targets);
	breach_text_items(out, &b->targets, true);
	fputs("signals:       ", out);
	breach_text_inline(out, &b->signals);
	breach_text_leak(out, b);
	fprintf(out, "own mail:      %ld message%s of the mailbox's own (replies: no forwarding "
	    "signal), not counted as left\n", n.own_mail, n.own_mail == 1 ? "" : "s");
	fprintf(out, "decisions:     %ld%s\n", n.decisions,
	    n.decisions > BREACH_TEXT_MAX ? " (the first 20)" : "");
	breach_text_items(out, &b->ids, false);
	fprintf(out, "queue ids:     %ld%s\n", n.queue_ids,
	    n.queue_ids > BREACH_TEXT_MAX ? " (the first 20)" : "");
	breach_text_items(out, &b->queue_ids, false);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void breach_json_key(FILE *out, const char *key)
{
	fprintf(out, ",\"%s\":", key);
}

static void breach_json_time(FILE *out, const char *key, long long ms)
{
	char t[32];
	breach_json_key(out, key);
	view_format_time(ms, t, sizeof(t));
	if (ms >= 0)
		view_json_string(out, t);
	else
		fputs("null", out);
}

static void breach_json_list(FILE *out, const char *key, const struct bset *s, bool sorted)
{
	char **v = breach_view(s, sorted);
	breach_json_key(out, key);
	fputc('[', out);
	for (size_t i = 0; v != NULL && i < s->n; i++) {
		if (i > 0)
			fputc(',', out);
		view_json_string(out, v[i]);
	}
	fputc(']', out);
	free(v);
}

static void breach_json_leak(FILE *out, const struct breach *b)
{
	breach_json_key(out, "leak_evidence");
	fputc('[', out);
	for (size_t i = 0; i < b->nleak; i++) {
		const struct breach_leak *l = &b->leak[i];
		char t[32];
		view_format_time(l->ms, t, sizeof(t));
		fputs(i > 0 ? ",{\"time\":" : "{\"time\":", out);
		view_json_string(out, t);
		const char *const kv[][2] = { { "id", l->id }, { "signals", l->signals },
		    { "from", l->from }, { "target", l->target },
		    { "original_message_id", l->original } };
		for (size_t k = 0; k < sizeof(kv) / sizeof(kv[0]); k++) {
			breach_json_key(out, kv[k][0]);
			view_json_string(out, kv[k][1]);
		}
		fputc('}', out);
	}
	fputc(']', out);
}

void breach_print_json(FILE *out, struct breach *b)
{
	struct breach_counts n;
	breach_counts(b, &n);
	breach_sort_leak(b);
	fputs("{\"mailbox\":", out);
	view_json_string(out, b->mailbox);
	breach_json_key(out, "domain");
	view_json_string(out, b->domain);
	breach_json_time(out, "since", b->since_ms);
	breach_json_time(out, "until", b->until_ms);
	fprintf(out, ",\"empty\":%s,\"decisions_read\":%ld", n.in_scope == 0 ? "true" : "false",
	    n.read);
	breach_json_time(out, "first", b->first);
	breach_json_time(out, "last", b->last);
	fprintf(out, ",\"left\":%ld,\"stopped\":%ld", n.left, n.stopped);
	breach_json_list(out, "senders", &b->senders, true);
	fprintf(out, ",\"senders_count\":%ld,\"messages_without_from\":%ld", n.senders,
	    n.without_from);
	breach_json_list(out, "internal_senders", &b->internal_senders, true);
	breach_json_list(out, "targets", &b->targets, true);
	breach_json_list(out, "signals", &b->signals, true);
	breach_json_leak(out, b);
	breach_json_time(out, "leak_first", b->nleak > 0 ? b->leak[0].ms : -1);
	fprintf(out, ",\"own_mail\":%ld", n.own_mail);
	breach_json_list(out, "own_mail_decision_ids", &b->own_ids, false);
	breach_json_list(out, "decision_ids", &b->ids, false);
	breach_json_list(out, "queue_ids", &b->queue_ids, false);
	fputs("}\n", out);
}
