/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_breach.c - "fwdguard-audit breach": which messages of one
 * protected mailbox went to one outside domain, from when to when, which
 * got out and which were stopped, whose data they held, and what says mail
 * reached that domain unseen (fwdguard-audit(1), BREACH).
 *
 * It reads only the mailbox's own stream, in the window: the answer comes
 * in one pass over that mailbox's decisions, whatever the size of the
 * whole trail.  What is kept (copies of the values it reports) is printed
 * by audit_breach_print.c.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_breach.h"
#include "audit_breach_int.h"
#include "domain.h"
#include "grow.h"
#include "record_fields.h"

/* ---- distinct strings ----------------------------------------------------- */

/* A tree node: where a string sits in its set's array (a tsearch(3) tree, no hashing of our own). */
struct bset_node {
	const char *s;
	size_t i;
};

static int bset_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bset_node *)a)->s, ((const struct bset_node *)b)->s);
}

long bset_add(struct bset *b, const char *s)
{
	struct bset_node key = { .s = s }, *node;
	void *found = tfind(&key, &b->tree, bset_cmp);
	if (found != NULL)
		return (long)(*(struct bset_node **)found)->i;
	if (b->n == b->cap) {
		size_t cap = b->cap > 0 ? b->cap * 2 : 16;
		char **v = realloc(b->s, cap * sizeof(*v));
		if (v != NULL)
			b->s = v;
		unsigned *f = realloc(b->flags, cap * sizeof(*f));
		if (f != NULL)
			b->flags = f;
		if (v == NULL || f == NULL)
			return -1;
		b->cap = cap;
	}
	char *copy = strdup(s);
	if (copy == NULL || (node = malloc(sizeof(*node))) == NULL) {
		free(copy);
		return -1;
	}
	node->s = copy;
	node->i = b->n;
	if (tsearch(node, &b->tree, bset_cmp) == NULL) {
		free(node);
		free(copy);
		return -1;
	}
	b->s[b->n] = copy;
	b->flags[b->n] = 0;
	return (long)b->n++;
}

static void bset_free(struct bset *b)
{
	tdestroy(b->tree, free);
	for (size_t i = 0; i < b->n; i++)
		free(b->s[i]);
	free(b->s);
	free(b->flags);
}

static void breach_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Adds an ASCII-lower-cased copy of s (addresses, domains: one spelling per destination). */
static long bset_add_lower(struct bset *b, const char *s)
{
	char *l = strdup(s);
	if (l == NULL)
		return -1;
	breach_lower(l);
	long i = bset_add(b, l);
	free(l);
	return i;
}

/* ---- the breach ------------------------------------------------------------- */

static int breach_domain(const char *in, char *out)
{
	enum domain_status st = domain_normalize(in, strlen(in), out, DOMAIN_MAX + 1);
	return (st == DOMAIN_OK || st == DOMAIN_LITERAL) && strchr(in, '@') == NULL ? 0 : -1;
}

const char *breach_check(const struct query *q)
{
	char d[DOMAIN_MAX + 1];
	if (q->mailbox == NULL || *q->mailbox == '\0')
		return "breach: --mailbox is required";
	if (q->domain == NULL || *q->domain == '\0')
		return "breach: --domain is required";
	if (breach_domain(q->domain, d) != 0)
		return "breach: --domain: want a domain such as fti.example (not an address)";
	return NULL;
}

struct breach *breach_new(const char *mailbox, const char *domain, long long since_ms,
    long long until_ms, breach_internal_fn internal, void *ctx)
{
	struct breach *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	if (breach_domain(domain, b->domain) != 0 || (b->mailbox = strdup(mailbox)) == NULL) {
		breach_free(b);
		return NULL;
	}
	/* Printed as the stream it names: query_stream() reads it lower-cased. */
	breach_lower(b->mailbox);
	b->since_ms = since_ms;
	b->until_ms = until_ms;
	b->internal = internal;
	b->ctx = ctx;
	b->first = b->last = -1;
	return b;
}

void breach_free(struct breach *b)
{
	if (b == NULL)
		return;
	struct bset *sets[] = { &b->messages, &b->own, &b->senders, &b->internal_senders,
	    &b->targets, &b->signals, &b->ids, &b->own_ids, &b->queue_ids };
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		bset_free(sets[i]);
	for (size_t i = 0; i < b->nleak; i++) {
		free(b->leak[i].id);
		free(b->leak[i].signals);
		free(b->leak[i].from);
		free(b->leak[i].target);
		free(b->leak[i].original);
	}
	free(b->leak);
	free(b->mailbox);
	free(b);
}

static const char *breach_value(const struct view_entry *e, const char *field)
{
	const char *v = view_get(e, field);
	return v != NULL ? v : "";
}

static bool breach_is(const char *v, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp(v, *names) == 0)
			return true;
	return false;
}

/*
 * Whether the copy went out.  The outcome, where recorded, says what became
 * of it (an accepted copy of a message held as a whole did not leave);
 * otherwise the action and mode: accept, flag or monitor mode let it go,
 * reject, tempfail, quarantine, strip and reroute (delivered inside
 * instead) stopped it.  An action this tool
 * does not know counts as gone: what cannot be shown stopped got out.
 */
static bool breach_left(const struct view_entry *e)
{
	static const char *const stopped_outcomes[] = { "removed", "held", "tempfailed", "rejected",
	    "rerouted", NULL };
	static const char *const stopped_actions[] = { "reject", "tempfail", "quarantine", "strip",
	    "reroute", NULL };
	const char *outcome = breach_value(e, REC_OUTCOME);
	if (strcmp(outcome, "delivered") == 0)
		return true;
	if (breach_is(outcome, stopped_outcomes))
		return false;
	if (strcmp(breach_value(e, REC_MODE), "monitor") == 0)
		return true;
	return !breach_is(breach_value(e, REC_ACTION), stopped_actions);
}

/* One message: its Message-ID, else its queue id on its host, else the decision. */
static long breach_message(struct bset *set, const struct view_entry *e)
{
	const char *mid = breach_value(e, REC_MESSAGE_ID), *qid = breach_value(e, REC_QUEUE_ID);
	char *key;
	/* The prefix no Message-ID can have keeps the stand-ins apart from real ids. */
	if (*mid != '\0')
		return bset_add(set, mid);
	if (asprintf(&key, "\001%s %s", *qid != '\0' ? breach_value(e, REC_HOST) : "id",
	    *qid != '\0' ? qid : breach_value(e, REC_ID)) < 0)
		return -1;
	long i = bset_add(set, key);
	free(key);
	return i;
}

/* The address the copy went to: the target when it is one, else the recipient in the domain. */
static const char *breach_target(const struct breach *b, const struct view_entry *e)
{
	const char *t = breach_value(e, REC_TARGET), *rcpt = breach_value(e, REC_RECIPIENT);
	if (strchr(t, '@') == NULL && view_domain_match(rcpt, b->domain))
		return rcpt;
	return *t != '\0' ? t : rcpt;
}

static int breach_sender(struct breach *b, long msg, const char *from)
{
	const char *at = strrchr(from, '@');
	if (*from == '\0' || at == NULL) {
		b->messages.flags[msg] |= MSG_NO_FROM;
		return 0;
	}
	bool internal = b->internal != NULL && b->internal(b->ctx, at + 1) == 1;
	return bset_add_lower(internal ? &b->internal_senders : &b->senders, from) < 0 ? -1 : 0;
}

static int breach_signals(struct breach *b, const char *signals)
{
	for (const char *p = signals; *p != '\0';) {
		size_t len = strcspn(p, ",");
		char *name = strndup(p, len);
		long i = name == NULL ? -1 : len > 0 ? bset_add(&b->signals, name) : 0;
		free(name);
		if (i < 0)
			return -1;
		p += len + (p[len] == ',');
	}
	return 0;
}

static int breach_copy(struct breach *b, const struct view_entry *e)
{
	long msg = breach_message(&b->messages, e);
	if (msg < 0)
		return -1;
	if (breach_left(e)) {
		b->messages.flags[msg] |= MSG_LEFT;
		if (breach_sender(b, msg, breach_value(e, REC_FROM)) != 0)
			return -1;
	} else {
		b->messages.flags[msg] |= MSG_STOPPED;
	}
	if (bset_add_lower(&b->targets, breach_target(b, e)) < 0)
		return -1;
	return breach_signals(b, breach_value(e, REC_SIGNALS));
}

static int breach_leak(struct breach *b, const struct view_entry *e, long long ms)
{
	struct breach_leak *p = grow_one(b->leak, b->nleak, &b->leak_cap, sizeof(*p), 8);
	if (p == NULL)
		return -1;
	b->leak = p;
	struct breach_leak *l = &b->leak[b->nleak];
	l->ms = ms;
	l->id = strdup(breach_value(e, REC_ID));
	l->signals = strdup(breach_value(e, REC_SIGNALS));
	l->from = strdup(breach_value(e, REC_FROM));
	l->target = strdup(breach_value(e, REC_TARGET));
	l->original = strdup(breach_value(e, REC_ORIGINAL_MESSAGE_ID));
	b->nleak++;
	return l->id == NULL || l->signals == NULL || l->from == NULL || l->target == NULL ||
	    l->original == NULL ? -1 : 0;
}

int breach_add(struct breach *b, const struct view_entry *e)
{
	const char *target = breach_value(e, REC_TARGET);
	b->read++;
	if (!view_domain_match(*target != '\0' ? target : breach_value(e, REC_RECIPIENT), b->domain))
		return 0;
	/* A forward set in the directory moved no message: it is not counted among them. */
	if (view_entry_kind(e) == VIEW_KIND_DIRECTORY)
		return 0;
	b->in_scope++;
	/* The report's kinds (audit_report.c): a signal name this tool does not
	 * know counts as forwarding evidence, so a newer daemon's evidence is
	 * never taken for a reply; all that is neither copy nor leak is the
	 * mailbox's own mail here. */
	enum view_kind kind = view_entry_kind(e);
	const char *id = breach_value(e, REC_ID), *qid = breach_value(e, REC_QUEUE_ID);
	if (kind != VIEW_KIND_COPY && kind != VIEW_KIND_LEAK) {
		if (breach_message(&b->own, e) < 0 || (*id != '\0' && bset_add(&b->own_ids, id) < 0))
			return -1;
		return 0;
	}
	long long ms = view_entry_ms(e);
	if (b->first < 0 || ms < b->first)
		b->first = ms;
	if (ms > b->last)
		b->last = ms;
	if ((*id != '\0' && bset_add(&b->ids, id) < 0) ||
	    (*qid != '\0' && bset_add(&b->queue_ids, qid) < 0))
		return -1;
	return kind == VIEW_KIND_LEAK ? breach_leak(b, e, ms) : breach_copy(b, e);
}

void breach_counts(const struct breach *b, struct breach_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->read = b->read;
	out->in_scope = b->in_scope;
	for (size_t i = 0; i < b->messages.n; i++) {
		unsigned f = b->messages.flags[i];
		if (f & MSG_LEFT) {
			out->left++;
			out->without_from += (f & MSG_NO_FROM) != 0;
		} else if (f & MSG_STOPPED) {
			out->stopped++;
		}
	}
	out->senders = (long)b->senders.n;
	out->internal_senders = (long)b->internal_senders.n;
	out->own_mail = (long)b->own.n;
	out->leak = (long)b->nleak;
	out->targets = (long)b->targets.n;
	out->signals = (long)b->signals.n;
	out->decisions = (long)b->ids.n;
	out->queue_ids = (long)b->queue_ids.n;
}

/* ---- the command ---------------------------------------------------------------- */

static int breach_internal(void *ctx, const char *domain)
{
	return policy_domain_internal(ctx, domain);
}

static bool breach_one(void *ctx, const struct view_entry *e)
{
	struct breach *b = ctx;
	if (breach_add(b, e) == 0)
		return true;
	b->failed = true;
	return false;
}

int breach_run(const struct cfg *c, struct redis_conn *rc, const struct query *q)
{
	/* Scope is decided here (target first): the walk filters nothing. */
	struct query all = { .mailbox = q->mailbox, .since_ms = q->since_ms,
	    .until_ms = q->until_ms };
	char *key = query_stream(c, q);
	struct breach *b = breach_new(q->mailbox, q->domain, q->since_ms, q->until_ms,
	    breach_internal, (void *)&c->policy);
	int rv = 1;
	/* Half a scope is never printed: a failed read is an error, not fewer messages. */
	if (key == NULL || b == NULL) {
		fprintf(stderr, "fwdguard-audit: breach: out of memory\n");
	} else if (query_walk(rc, key, &all, false, true, breach_one, b) != 0) {
		/* query_walk said what Redis answered */
	} else if (b->failed) {
		fprintf(stderr, "fwdguard-audit: breach: out of memory after %ld decisions\n",
		    b->read);
	} else {
		(q->format == FORMAT_JSON ? breach_print_json : breach_print_text)(stdout, b);
		rv = 0;
	}
	breach_free(b);
	free(key);
	return rv;
}
