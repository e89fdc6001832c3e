/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_report.c - "fwdguard-audit report": per mailbox, kind of mail and
 * destination, counts, actions, first and last seen, aggregated while the
 * trail streams past; and the text form of one day's groups that the tool
 * keeps in Redis for days that can no longer change (audit_days.c).  The
 * report's text and JSON forms are in audit_report_print.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_view.h"
#include "hash.h"
#include "record_fields.h"

/*
 * The report is aggregated while the trail streams past, in a hash table of
 * (mailbox, destination) groups: memory grows with the distinct pairs, not
 * with the records, and each record costs one lookup.  Counters kept by the
 * shipper at write time would save the read, but could answer only the
 * windows they were bucketed for, would drift from the streams once these
 * are trimmed, and would cost a write per record on the mail path; the
 * streams stay the one source the report reads, exact to the millisecond.
 */
#define REPORT_ACTIONS	8

struct report_group {
	char *mailbox, *dest, *cls;	/* cells: terminal-safe copies */
	enum view_kind kind;
	bool seen_before;		/* view_report_mark_new: the pair was in the earlier trail */
	uint64_t hash;			/* of mailbox and dest only: see report_group_find */
	long count;
	long long first, last;
	/* Every action seen, in the order first seen: the report names the
	 * first REPORT_ACTIONS and counts the rest as "other", and days add up
	 * exactly only when none was dropped on the way. */
	char **action;
	long *action_count;
	size_t nactions, actions_cap;
	long other;		/* decisions whose action could not be stored (ENOMEM) */
};

struct view_report {
	struct report_group *g;
	size_t n, cap;
	bool marked;		/* view_report_mark_new ran: seen_before means something */
	size_t *slot;		/* open addressing: index + 1 into g, 0 when free */
	size_t nslots;		/* a power of two, more than twice n */
};

struct view_report *view_report_new(void)
{
	return calloc(1, sizeof(struct view_report));
}

static void report_group_free(struct report_group *g)
{
	free(g->mailbox);
	free(g->dest);
	free(g->cls);
	for (size_t i = 0; i < g->nactions; i++)
		free(g->action[i]);
	free(g->action);
	free(g->action_count);
}

void view_report_free(struct view_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		report_group_free(&r->g[i]);
	free(r->g);
	free(r->slot);
	free(r);
}

/* Where the mail went: the forward target, else the recipient's domain. */
static const char *report_destination(const struct view_entry *e)
{
	const char *t = view_get(e, REC_TARGET), *rcpt = view_get(e, REC_RECIPIENT);
	if (t != NULL && *t != '\0')
		return t;
	if (rcpt != NULL && strrchr(rcpt, '@') != NULL)
		return strrchr(rcpt, '@') + 1;
	return rcpt;
}

static const char *const report_kind_names[VIEW_KINDS] = {
	"copy", "leak", "sent", "received", "other", "directory"
};

const char *view_kind_name(enum view_kind k)
{
	return k < VIEW_KINDS ? report_kind_names[k] : "?";
}

static int report_kind_lookup(const char *name)
{
	for (int k = 0; k < VIEW_KINDS; k++)
		if (strcmp(name, report_kind_names[k]) == 0)
			return k;
	return -1;
}

/* Whether the comma list has a signal that proves a copy of received mail:
 * any but the leak signals and the context ones. */
static bool report_forward_signal(const char *list, bool *leak)
{
	static const char *const context[] = { "body-unexamined", "sender-protected" };
	bool fwd = false;
	*leak = false;
	for (const char *p = list != NULL ? list : ""; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if ((n == 10 && strncmp(p, "leak-probe", n) == 0) ||
		    (n == 16 && strncmp(p, "leak-backscatter", n) == 0))
			*leak = true;
		else if (n > 0) {
			bool ctx = false;
			for (size_t i = 0; i < sizeof(context) / sizeof(context[0]); i++)
				ctx |= strlen(context[i]) == n && strncmp(p, context[i], n) == 0;
			fwd |= !ctx;
		}
		p += n + (p[n] == ',');
	}
	return fwd;
}

/* Whether the recipient is the mailbox itself (its own name, or an alias
 * or tagged form recorded in mailbox_address). */
static bool report_to_mailbox(const struct view_entry *e, const char *mailbox)
{
	const char *alias = view_get(e, REC_MAILBOX_ADDRESS), *rcpt = view_get(e, REC_RECIPIENT);
	if (alias != NULL && *alias != '\0')
		return true;
	if (rcpt == NULL || mailbox == NULL)
		return false;
	size_t n = strlen(rcpt);
	if (n >= 2 && rcpt[0] == '<' && rcpt[n - 1] == '>')
		return n - 2 == strlen(mailbox) && strncasecmp(rcpt + 1, mailbox, n - 2) == 0;
	return strcasecmp(rcpt, mailbox) == 0;
}

enum view_kind view_entry_kind(const struct view_entry *e)
{
	bool leak;
	bool fwd = report_forward_signal(view_get(e, REC_SIGNALS), &leak);
	const char *mailbox = view_get(e, REC_MAILBOX), *rule = view_get(e, REC_RULE);
	if (rule != NULL && strcmp(rule, "directory-change") == 0)
		return VIEW_KIND_DIRECTORY;
	if (leak)
		return VIEW_KIND_LEAK;
	if (fwd)
		return VIEW_KIND_COPY;
	if (mailbox == NULL || *mailbox == '\0')
		return VIEW_KIND_OTHER;
	return report_to_mailbox(e, mailbox) ? VIEW_KIND_RECEIVED : VIEW_KIND_SENT;
}

/* The mailbox as spelled and the destination ASCII-lower-cased: the same
 * equality the groups use (strcmp, strcasecmp). */
static uint64_t report_hash(const char *mailbox, const char *dest)
{
	return hash_lower(hash_cut(hash_str(HASH_INIT, mailbox)), dest);
}

static int report_rehash(struct view_report *r)
{
	size_t nslots = r->nslots > 0 ? r->nslots * 2 : 1024;
	size_t *slot = calloc(nslots, sizeof(*slot));
	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		size_t at = (size_t)r->g[i].hash & (nslots - 1);
		while (slot[at] != 0)
			at = (at + 1) & (nslots - 1);
		slot[at] = i + 1;
	}
	free(r->slot);
	r->slot = slot;
	r->nslots = nslots;
	return 0;
}

/*
 * A group of (mailbox, dest) of any kind when kind is negative, else of
 * that kind; NULL when there is none.  The hash leaves the kind out so that
 * "was this pair seen at all" (view_report_mark_new) is one probe sequence.
 */
static struct report_group *report_group_lookup(const struct view_report *r, uint64_t h,
    const char *mailbox, const char *dest, int kind, size_t *free_at)
{
	size_t at = r->nslots > 0 ? (size_t)h & (r->nslots - 1) : 0;
	for (; r->nslots > 0 && r->slot[at] != 0; at = (at + 1) & (r->nslots - 1)) {
		struct report_group *g = &r->g[r->slot[at] - 1];
		if (g->hash == h && (kind < 0 || g->kind == (enum view_kind)kind) &&
		    strcmp(g->mailbox, mailbox) == 0 && strcasecmp(g->dest, dest) == 0)
			return g;
	}
	*free_at = at;
	return NULL;
}

/* The group of (mailbox, kind, dest), created empty if new; NULL on ENOMEM. */
static struct report_group *report_group_find(struct view_report *r, const char *mailbox,
    enum view_kind kind, const char *dest)
{
	uint64_t h = report_hash(mailbox, dest);
	size_t at = 0;
	struct report_group *found = report_group_lookup(r, h, mailbox, dest, (int)kind, &at);
	if (found != NULL)
		return found;
	if ((r->n + 1) * 2 > r->nslots) {
		if (report_rehash(r) != 0)
			return NULL;
		for (at = (size_t)h & (r->nslots - 1); r->slot[at] != 0;
		    at = (at + 1) & (r->nslots - 1))
			;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap > 0 ? r->cap * 2 : 32;
		void *p = realloc(r->g, cap * sizeof(*r->g));
		if (p == NULL)
			return NULL;
		r->g = p;
		r->cap = cap;
	}
	struct report_group *g = &r->g[r->n];
	memset(g, 0, sizeof(*g));
	g->hash = h;
	g->kind = kind;
	g->mailbox = strdup(mailbox);
	g->dest = strdup(dest);
	if (g->mailbox == NULL || g->dest == NULL) {
		report_group_free(g);
		return NULL;
	}
	r->slot[at] = ++r->n;
	return g;
}

static void report_count_actions(struct report_group *g, const char *action, long n)
{
	for (size_t i = 0; i < g->nactions; i++)
		if (strcmp(g->action[i], action) == 0) {
			g->action_count[i] += n;
			return;
		}
	if (g->nactions == g->actions_cap) {
		size_t cap = g->actions_cap > 0 ? g->actions_cap * 2 : 4;
		char **a = realloc(g->action, cap * sizeof(*a));
		if (a != NULL)
			g->action = a;
		long *c = realloc(g->action_count, cap * sizeof(*c));
		if (c != NULL)
			g->action_count = c;
		if (a == NULL || c == NULL) {
			g->other += n;
			return;
		}
		g->actions_cap = cap;
	}
	if ((g->action[g->nactions] = strdup(action)) != NULL)
		g->action_count[g->nactions++] = n;
	else
		g->other += n;
}

/*
 * The cell of v, borrowed when v is already fit for a terminal (plain
 * printable ASCII, the usual case: no copy per record), else a copy in
 * *owned (free it).  NULL on ENOMEM.
 */
static const char *report_cell(const char *v, char **owned)
{
	*owned = NULL;
	if (v != NULL && *v != '\0') {
		const unsigned char *p = (const unsigned char *)v;
		while (*p >= 0x20 && *p < 0x7f)
			p++;
		if (*p == '\0')
			return v;
	}
	return *owned = view_cell(v);
}

/*
 * The action as counted: in monitor mode "<action>/monitor", since the
 * mail passed whatever was decided, and a reader of "reject:3" must not
 * think three copies were stopped.
 */
static const char *report_action(const struct view_entry *e, const char *action, char *buf,
    size_t size)
{
	const char *mode = view_get(e, REC_MODE);
	if (mode == NULL || strcmp(mode, "monitor") != 0)
		return action;
	snprintf(buf, size, "%s%s", action, VIEW_MONITOR_SUFFIX);
	return buf;
}

int view_report_add(struct view_report *r, const struct view_entry *e)
{
	char *own[4], key[128];
	const char *mailbox = report_cell(view_get(e, REC_MAILBOX), &own[0]);
	const char *dest = report_cell(report_destination(e), &own[1]);
	const char *action = report_cell(view_get(e, REC_ACTION), &own[2]);
	const char *cls = report_cell(view_get(e, REC_DESTINATION), &own[3]);
	struct report_group *g = NULL;
	if (mailbox != NULL && dest != NULL && action != NULL && cls != NULL)
		g = report_group_find(r, mailbox, view_entry_kind(e), dest);
	if (g != NULL) {
		long long ms = view_entry_ms(e);
		bool latest = g->count == 0 || ms >= g->last;
		char *copy = NULL;
		/* The latest classification is the one in force. */
		if (latest && (g->cls == NULL || strcmp(g->cls, cls) != 0) &&
		    (copy = strdup(cls)) == NULL) {
			g = NULL;
		} else {
			if (copy != NULL) {
				free(g->cls);
				g->cls = copy;
			}
			if (g->count == 0 || ms < g->first)
				g->first = ms;
			if (latest)
				g->last = ms;
			g->count++;
			report_count_actions(g, report_action(e, action, key, sizeof(key)), 1);
		}
	}
	for (int i = 0; i < 4; i++)
		free(own[i]);
	return g != NULL ? 0 : -1;
}

/* ---- one day's groups as text --------------------------------------------- */

/*
 * One line per group: mailbox, destination, kind, class, count, first,
 * last, other, then action and count pairs, separated by tabs.  Cells hold
 * no control character (report_cell), so a tab or a newline never occurs
 * in one.  Version 1 had no kind: such a kept day does not decode and is
 * read again from the stream.
 */
#define REPORT_MAGIC	"fwdguard-report 2\n"
#define REPORT_FIELDS	8

char *view_report_encode(const struct view_report *r)
{
	size_t size = sizeof(REPORT_MAGIC);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_group *g = &r->g[i];
		size += strlen(g->mailbox) + strlen(g->dest) + strlen(g->cls) + 5 * 24;
		for (size_t a = 0; a < g->nactions; a++)
			size += strlen(g->action[a]) + 24;
	}
	char *out = malloc(size);
	if (out == NULL)
		return NULL;
	size_t len = (size_t)snprintf(out, size, "%s", REPORT_MAGIC);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_group *g = &r->g[i];
		len += (size_t)snprintf(out + len, size - len, "%s\t%s\t%s\t%s\t%ld\t%lld\t%lld\t%ld",
		    g->mailbox, g->dest, view_kind_name(g->kind), g->cls, g->count, g->first, g->last,
		    g->other);
		for (size_t a = 0; a < g->nactions; a++)
			len += (size_t)snprintf(out + len, size - len, "\t%s\t%ld", g->action[a],
			    g->action_count[a]);
		len += (size_t)snprintf(out + len, size - len, "\n");
	}
	return out;
}

/* Splits line (changed in place) at its first max - 1 tabs; the last field
 * keeps the rest.  Returns the number of fields. */
static size_t report_split(char *line, char **field, size_t max)
{
	size_t n = 0;
	char *p = line;
	field[n++] = p;
	while (n < max && (p = strchr(p, '\t')) != NULL) {
		*p++ = '\0';
		field[n++] = p;
	}
	return n;
}

static bool report_number(const char *s, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 && *v >= 0;
}

/* One encoded line into a new group of r; 0, or -1 when it is not one. */
static int report_decode_line(struct view_report *r, char *line)
{
	char *f[REPORT_FIELDS];
	long long count, first, last, other, n;
	size_t nf = report_split(line, f, REPORT_FIELDS);
	char *rest = nf == REPORT_FIELDS ? strchr(f[7], '\t') : NULL;
	if (rest != NULL)
		*rest++ = '\0';
	int kind = nf == REPORT_FIELDS ? report_kind_lookup(f[2]) : -1;
	if (kind < 0 || !report_number(f[4], &count) || count == 0 ||
	    !report_number(f[5], &first) || !report_number(f[6], &last) ||
	    !report_number(f[7], &other))
		return -1;
	struct report_group *g = report_group_find(r, f[0], (enum view_kind)kind, f[1]);
	if (g == NULL || g->count != 0 || (g->cls = strdup(f[3])) == NULL)
		return -1;
	g->count = (long)count;
	g->first = first;
	g->last = last;
	g->other = (long)other;
	while (rest != NULL) {
		char *pair[2];
		if (report_split(rest, pair, 2) != 2)
			return -1;
		rest = strchr(pair[1], '\t');
		if (rest != NULL)
			*rest++ = '\0';
		if (!report_number(pair[1], &n))
			return -1;
		size_t before = g->nactions;
		report_count_actions(g, pair[0], (long)n);
		if (g->nactions != before + 1)
			return -1;	/* an action twice, or ENOMEM */
	}
	return 0;
}

struct view_report *view_report_decode(const char *text)
{
	size_t magic = strlen(REPORT_MAGIC);
	if (text == NULL || strncmp(text, REPORT_MAGIC, magic) != 0)
		return NULL;
	struct view_report *r = view_report_new();
	char *copy = strdup(text + magic);
	int rc = r != NULL && copy != NULL ? 0 : -1;
	for (char *line = copy, *nl; rc == 0 && line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) == NULL) {
			rc = -1;	/* every line ends in a newline: this one was cut */
			break;
		}
		*nl++ = '\0';
		rc = report_decode_line(r, line);
	}
	free(copy);
	if (rc != 0) {
		view_report_free(r);
		return NULL;
	}
	return r;
}

/*
 * Adds from's groups to into, as if their records came after into's: the
 * rules of view_report_add applied to whole groups (earliest first seen,
 * the class of the latest record, actions in the order first seen, the
 * destination as first spelled), so that days read one after the other give
 * what one pass over them gives.
 */
int view_report_absorb(struct view_report *into, const struct view_report *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct report_group *s = &from->g[i];
		struct report_group *g = report_group_find(into, s->mailbox, s->kind, s->dest);
		if (g == NULL)
			return -1;
		if (g->count == 0 || s->last >= g->last) {
			char *cls = strdup(s->cls);
			if (cls == NULL)
				return -1;
			free(g->cls);
			g->cls = cls;
			g->last = s->last;
		}
		if (g->count == 0 || s->first < g->first)
			g->first = s->first;
		g->count += s->count;
		g->other += s->other;
		for (size_t a = 0; a < s->nactions; a++)
			report_count_actions(g, s->action[a], s->action_count[a]);
	}
	return 0;
}

/* Rebuilds the slots after the groups moved (sort, filter). */
static int report_reindex(struct view_report *r)
{
	r->nslots /= 2;		/* report_rehash doubles it back */
	return report_rehash(r);
}

static int report_cmp(const void *a, const void *b)
{
	const struct report_group *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = strcmp(x->mailbox, y->mailbox);
	if (c != 0)
		return c;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->dest, y->dest);
}

void view_report_sort(struct view_report *r)
{
	if (r->n > 0)
		qsort(r->g, r->n, sizeof(*r->g), report_cmp);
	if (r->nslots > 0 && report_reindex(r) != 0) {
		/* Without slots the groups are still there to print; a later
		 * lookup starts a new table. */
		r->nslots = 0;
	}
}

void view_report_mark_new(struct view_report *r, const struct view_report *before)
{
	for (size_t i = 0; i < r->n; i++) {
		struct report_group *g = &r->g[i];
		size_t at;
		g->seen_before = report_group_lookup(before, g->hash, g->mailbox, g->dest, -1,
		    &at) != NULL;
	}
	r->marked = true;
}

void view_report_keep_domain(struct view_report *r, const char *domain)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (view_domain_match(r->g[i].dest, domain))
			r->g[kept++] = r->g[i];
		else
			report_group_free(&r->g[i]);
	}
	r->n = kept;
	if (r->nslots > 0 && report_reindex(r) != 0)
		r->nslots = 0;
}

size_t view_report_size(const struct view_report *r)
{
	return r->n;
}

void view_report_row(const struct view_report *r, size_t i, struct view_report_row *row)
{
	const struct report_group *g = &r->g[i];
	row->mailbox = g->mailbox;
	row->dest = g->dest;
	row->cls = g->cls != NULL ? g->cls : "-";
	row->kind = g->kind;
	row->count = g->count;
	row->other = g->other;
	row->first = g->first;
	row->last = g->last;
	row->is_new = !r->marked ? -1 : g->seen_before ? 0 : 1;
	row->nactions = g->nactions;
	row->action = (const char *const *)g->action;
	row->action_count = g->action_count;
}
