/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_days.c - the global audit stream read day by day (UTC), with what
 * is learnt about each closed day kept in Redis (milter/audit-tool/audit_days.h).
 *
 * report adds the days oldest first with the per-record rules applied to
 * whole groups (view_report_absorb), which gives what one pass gives.
 * search --domain goes newest first and skips a closed day whose kept
 * domains cannot match: view_domain_match looks only at what follows the
 * last '@' of a recipient or target, and that is what a day keeps.
 * Partial days at the window's edges, the current day and the days that
 * audit.retention is about to trim are always read from the stream.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "audit_days.h"
#include "audit_trim.h"
#include "record_fields.h"

#define DAY_MS		86400000LL
#define HOUR_MS		3600000LL
#define DOMAINS_MAGIC	"fwdguard-domains 1\n"
/* A stream id can be written years ahead by anyone who can write to Redis:
 * a window of more days than this is read in one walk, keeping nothing, so
 * that the day loops stay bounded. */
#define DAYS_MAX	36600

/* ---- the days a window covers ------------------------------------------------ */

struct days_span {
	long long lo, hi;	/* the window, inclusive, within the stream */
	long long last;		/* time of the stream's newest entry */
	long long keep_from;	/* days that begin earlier may be trimmed soon */
};

/* The time (ms) of the first or last entry of key; 0, 1 when empty, -1 on error. */
static int days_edge(struct redis_conn *rc, const char *key, bool last, long long *ms)
{
	const char *argv[] = { last ? "XREVRANGE" : "XRANGE", key, last ? "+" : "-",
	    last ? "-" : "+", "COUNT", "1" };
	size_t len[6];
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	redisReply *r = redis_conn_command(rc, 6, argv, len);
	struct view_entry e;
	int rv = r != NULL && r->type == REDIS_REPLY_ARRAY ? 1 : -1;
	if (rv == 1 && r->elements == 1 && view_entry_from_reply(r->element[0], &e) == 0) {
		*ms = strtoll(e.stream_id, NULL, 10);
		rv = 0;
	}
	if (rv < 0)
		fprintf(stderr, "fwdguard-audit: %s %s: %s\n", argv[0], key,
		    r == NULL ? redis_conn_error(rc) :
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	redis_conn_reply_free(r);
	return rv;
}

/* 0, 1 when the window holds no entry, -1 on error (printed). */
static int days_span(const struct cfg *c, struct redis_conn *rc, const char *key,
    const struct query *q, struct days_span *s)
{
	long long first;
	int e = days_edge(rc, key, false, &first);
	if (e == 0)
		e = days_edge(rc, key, true, &s->last);
	if (e != 0)
		return e;
	s->lo = q->since_ms >= 0 && q->since_ms > first ? q->since_ms : first / DAY_MS * DAY_MS;
	s->hi = q->until_ms >= 0 && q->until_ms < s->last ? q->until_ms : s->last;
	s->keep_from = c->audit.retention > 0 ?
	    (long long)time(NULL) * 1000 - (c->audit.retention - 1) * DAY_MS : 0;
	return s->lo <= s->hi ? 0 : 1;
}

/*
 * A piece of the trail kept as one: a closed day, or a closed hour of the
 * day not closed yet (so that the current day costs at most an hour of
 * entries).  Its field in the hashes: "<day>" or "h<hour>" since the epoch.
 */
struct days_piece {
	long long start, len;
	char field[24];
};

static struct days_piece days_piece(long long n, long long len)
{
	struct days_piece p = { .start = n * len, .len = len };
	snprintf(p.field, sizeof(p.field), "%s%lld", len == DAY_MS ? "" : "h", n);
	return p;
}

/* The part of p in the window ([*from, *to]); whether it is all of p and
 * can no longer change. */
static bool days_closed(const struct days_span *s, const struct days_piece *p, long long *from,
    long long *to)
{
	long long start = p->start, end = start + p->len - 1;
	*from = s->lo > start ? s->lo : start;
	*to = s->hi < end ? s->hi : end;
	return s->lo <= start && s->hi >= end && s->last > end && start >= s->keep_from;
}

/* ---- what Redis keeps per day ---------------------------------------------- */

static char *days_key(const struct cfg *c, const char *name)
{
	char *key;
	return asprintf(&key, "%s%s", rec_prefix(c->redis.prefix),
	    name) < 0 ? NULL : key;
}

/* The kept value of field in the hash key (owned), or NULL. */
static char *days_get(struct redis_conn *rc, const char *key, const char *field)
{
	const char *argv[] = { "HGET", key, field };
	size_t len[] = { 4, strlen(key), strlen(field) };
	redisReply *r = redis_conn_command(rc, 3, argv, len);
	char *v = r != NULL && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
	redis_conn_reply_free(r);
	return v;
}

/* Keeps text as field; a failure (read-only replica, memory) only costs a later read. */
static void days_put(struct redis_conn *rc, const char *key, const char *field, const char *text)
{
	if (text == NULL)
		return;
	const char *argv[] = { "HSET", key, field, text };
	size_t len[] = { 4, strlen(key), strlen(field), strlen(text) };
	redis_conn_reply_free(redis_conn_command(rc, 4, argv, len));
}

/* Once a day is kept, its hours are of no more use. */
static void days_drop_hours(struct redis_conn *rc, char *const kept[2], long long day)
{
	char fields[24][24];
	const char *argv[2 + 24];
	size_t len[2 + 24];
	for (int h = 0; h < 24; h++) {
		snprintf(fields[h], sizeof(fields[h]), "h%lld", day * 24 + h);
		argv[2 + h] = fields[h];
		len[2 + h] = strlen(fields[h]);
	}
	argv[0] = "HDEL";
	len[0] = 4;
	for (int k = 0; k < 2; k++) {
		argv[1] = kept[k];
		len[1] = strlen(kept[k]);
		redis_conn_reply_free(redis_conn_command(rc, 2 + 24, argv, len));
	}
}

/* ---- a day's domains ------------------------------------------------------- */

struct days_domains {
	char **slot;		/* open addressing, lower-cased domains */
	size_t nslots, n;
	bool failed;		/* ENOMEM or a newline: never kept */
};

static size_t domains_hash(const char *s)
{
	size_t h = 5381;
	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static bool domains_grow(struct days_domains *d)
{
	size_t nslots = d->nslots > 0 ? d->nslots * 2 : 256;
	char **slot = calloc(nslots, sizeof(*slot));
	if (slot == NULL)
		return false;
	for (size_t i = 0; i < d->nslots; i++) {
		if (d->slot[i] == NULL)
			continue;
		size_t at = domains_hash(d->slot[i]) & (nslots - 1);
		while (slot[at] != NULL)
			at = (at + 1) & (nslots - 1);
		slot[at] = d->slot[i];
	}
	free(d->slot);
	d->slot = slot;
	d->nslots = nslots;
	return true;
}

/* Adds what view_domain_match would look at in v: after its last '@'.
 * Lower-cased on the stack first: nearly every domain of a day is one seen
 * already, and only a new one is copied. */
static void domains_add(struct days_domains *d, const char *v)
{
	const char *at = v != NULL ? strrchr(v, '@') : NULL;
	const char *src = at != NULL ? at + 1 : v;
	char buf[256], *dom = buf;
	if (v == NULL || *src == '\0')
		return;
	size_t len = strlen(src);
	if (len >= sizeof(buf) && (dom = malloc(len + 1)) == NULL) {
		d->failed = true;
		return;
	}
	for (size_t k = 0; k <= len; k++)
		dom[k] = (char)tolower((unsigned char)src[k]);
	/* A newline would split it into lines that match what it does not:
	 * such a day is not kept, it is read whole each time. */
	if (strchr(dom, '\n') != NULL || ((d->n + 1) * 2 > d->nslots && !domains_grow(d))) {
		d->failed = true;
	} else {
		size_t i = domains_hash(dom) & (d->nslots - 1);
		while (d->slot[i] != NULL && strcmp(d->slot[i], dom) != 0)
			i = (i + 1) & (d->nslots - 1);
		if (d->slot[i] == NULL) {
			d->slot[i] = dom == buf ? strdup(buf) : dom;
			if (d->slot[i] == NULL)
				d->failed = true;
			else
				d->n++;
			return;
		}
	}
	if (dom != buf)
		free(dom);
}

static void domains_free(struct days_domains *d)
{
	for (size_t i = 0; i < d->nslots; i++)
		free(d->slot[i]);
	free(d->slot);
}

/* One domain a line after the magic line (owned), or NULL. */
static char *domains_encode(const struct days_domains *d)
{
	size_t size = sizeof(DOMAINS_MAGIC);
	for (size_t i = 0; i < d->nslots; i++)
		if (d->slot[i] != NULL)
			size += strlen(d->slot[i]) + 1;
	char *text = d->failed ? NULL : malloc(size);
	if (text == NULL)
		return NULL;
	size_t len = (size_t)snprintf(text, size, "%s", DOMAINS_MAGIC);
	for (size_t i = 0; i < d->nslots; i++)
		if (d->slot[i] != NULL)
			len += (size_t)snprintf(text + len, size - len, "%s\n", d->slot[i]);
	return text;
}

/* 1 when a domain of the kept text matches domain, 0 when none does, -1 when
 * text is not what domains_encode writes. */
static int domains_match(const char *text, const char *domain)
{
	size_t magic = strlen(DOMAINS_MAGIC);
	if (strncmp(text, DOMAINS_MAGIC, magic) != 0)
		return -1;
	int found = 0;
	for (const char *p = text + magic, *nl; *p != '\0'; p = nl + 1) {
		char line[1024];
		if ((nl = strchr(p, '\n')) == NULL)
			return -1;
		size_t n = (size_t)(nl - p);
		/* A line too long to copy: say it may match, and read the day. */
		if (n >= sizeof(line))
			found = 1;
		else {
			memcpy(line, p, n);
			line[n] = '\0';
			if (view_domain_match(line, domain))
				found = 1;
		}
	}
	return found;
}

/* ---- report -------------------------------------------------------------- */

struct days_reading {
	struct view_report *rep;
	struct days_domains *dom;
};

static bool days_report_one(void *p, const struct view_entry *e)
{
	struct days_reading *rd = p;
	view_report_add(rd->rep, e);
	if (rd->dom != NULL) {
		domains_add(rd->dom, view_get(e, REC_RECIPIENT));
		domains_add(rd->dom, view_get(e, REC_TARGET));
	}
	return true;
}

static int days_scan(struct redis_conn *rc, const char *key, long long lo, long long hi,
    bool reverse, bool (*fn)(void *ctx, const struct view_entry *e), void *ctx)
{
	struct query range = { .since_ms = lo, .until_ms = hi };
	return query_walk(rc, key, &range, reverse, !reverse, fn, ctx);
}

/* Reads a closed piece from the stream and keeps its groups and domains:
 * the groups (owned), or NULL after an error (printed) or ENOMEM. */
static struct view_report *days_fill(struct redis_conn *rc, const char *key,
    char *const kept[2], const struct days_piece *p)
{
	struct days_domains dom = { 0 };
	struct days_reading rd = { .rep = view_report_new(), .dom = &dom };
	if (rd.rep == NULL || days_scan(rc, key, p->start, p->start + p->len - 1,
	    false, days_report_one, &rd) != 0) {
		view_report_free(rd.rep);
		domains_free(&dom);
		return NULL;
	}
	char *text = view_report_encode(rd.rep);
	days_put(rc, kept[0], p->field, text);
	free(text);
	text = domains_encode(&dom);
	days_put(rc, kept[1], p->field, text);
	free(text);
	domains_free(&dom);
	if (p->len == DAY_MS)
		days_drop_hours(rc, kept, p->start / DAY_MS);
	return rd.rep;
}

/* One closed piece into rep: kept groups, or the stream (then kept). */
static int days_report_piece(struct redis_conn *rc, const char *key, char *const kept[2],
    const struct days_piece *p, struct view_report *rep)
{
	char *text = days_get(rc, kept[0], p->field);
	struct view_report *d = view_report_decode(text);
	free(text);
	if (d == NULL && (d = days_fill(rc, key, kept, p)) == NULL)
		return -1;
	int rv = view_report_absorb(rep, d);
	view_report_free(d);
	return rv;
}

/*
 * What a walk over the days of a span does with each piece: a closed day or
 * hour (kept, or to keep), and the part [lo, hi] of an hour still open
 * (open may be NULL: nothing to do there).
 */
struct days_walker {
	int (*closed)(struct redis_conn *rc, const char *key, char *const kept[2],
	    const struct days_piece *p, void *arg);
	int (*open)(struct redis_conn *rc, const char *key, long long lo, long long hi, void *arg);
	void *arg;
};

/* The span day by day, and a day that is not closed hour by hour. */
static int days_walk(const struct cfg *c, struct redis_conn *rc, const char *key,
    const struct days_span *s, const struct days_walker *w)
{
	char *kept[2] = { days_key(c, AUDIT_REPORT_DAYS), days_key(c, AUDIT_REPORT_DOMAINS) };
	int rv = kept[0] != NULL && kept[1] != NULL ? 0 : -1;
	for (long long day = s->lo / DAY_MS; rv == 0 && day <= s->hi / DAY_MS; day++) {
		struct days_piece p = days_piece(day, DAY_MS);
		long long from, to;
		if (days_closed(s, &p, &from, &to)) {
			rv = w->closed(rc, key, kept, &p, w->arg);
			continue;
		}
		for (long long hour = from / HOUR_MS; rv == 0 && hour <= to / HOUR_MS; hour++) {
			struct days_piece h = days_piece(hour, HOUR_MS);
			long long lo, hi;
			if (days_closed(s, &h, &lo, &hi))
				rv = w->closed(rc, key, kept, &h, w->arg);
			else if (w->open != NULL)
				rv = w->open(rc, key, lo, hi, w->arg);
		}
	}
	free(kept[0]);
	free(kept[1]);
	return rv;
}

static int days_report_closed(struct redis_conn *rc, const char *key, char *const kept[2],
    const struct days_piece *p, void *rep)
{
	return days_report_piece(rc, key, kept, p, rep);
}

static int days_report_open(struct redis_conn *rc, const char *key, long long lo, long long hi,
    void *rep)
{
	struct days_reading rd = { .rep = rep };
	return days_scan(rc, key, lo, hi, false, days_report_one, &rd);
}

int days_report(const struct cfg *c, struct redis_conn *rc, const char *key,
    const struct query *q, struct view_report *rep)
{
	struct days_span s;
	int rv = days_span(c, rc, key, q, &s);
	if (rv != 0)
		return rv > 0 ? 0 : -1;
	if (s.hi / DAY_MS - s.lo / DAY_MS > DAYS_MAX)
		return days_report_open(rc, key, s.lo, s.hi, rep);
	struct days_walker w = { days_report_closed, days_report_open, rep };
	return days_walk(c, rc, key, &s, &w);
}

/* ---- search --domain ------------------------------------------------------ */

struct days_searching {
	const struct query *q;
	bool (*fn)(void *ctx, const struct view_entry *e);
	void *ctx;
	struct days_domains *dom;	/* filled while a closed day is read whole */
	bool stopped;
};

static bool days_search_one(void *p, const struct view_entry *e)
{
	struct days_searching *sr = p;
	if (sr->dom != NULL) {
		domains_add(sr->dom, view_get(e, REC_RECIPIENT));
		domains_add(sr->dom, view_get(e, REC_TARGET));
	}
	if (query_match(sr->q, e) && !sr->fn(sr->ctx, e))
		sr->stopped = true;
	return !sr->stopped;
}

/* One piece of the window, newest first: skipped when its kept domains
 * cannot match, else read (and its domains kept when it is closed). */
static int days_search_piece(struct redis_conn *rc, const char *key, const char *kept,
    const struct days_span *s, const struct days_piece *p, struct days_searching *sr)
{
	long long from, to;
	if (!days_closed(s, p, &from, &to))
		return days_scan(rc, key, from, to, true, days_search_one, sr);
	char *text = days_get(rc, kept, p->field);
	int m = text != NULL ? domains_match(text, sr->q->domain) : -1;
	free(text);
	if (m == 0)
		return 0;
	struct days_domains dom = { 0 };
	sr->dom = m < 0 ? &dom : NULL;
	int rv = days_scan(rc, key, from, to, true, days_search_one, sr);
	if (m < 0 && rv == 0 && !sr->stopped) {
		text = domains_encode(&dom);
		days_put(rc, kept, p->field, text);
		free(text);
	}
	sr->dom = NULL;
	domains_free(&dom);
	return rv;
}

int days_search(const struct cfg *c, struct redis_conn *rc, const char *key,
    const struct query *q, bool (*fn)(void *ctx, const struct view_entry *e), void *ctx)
{
	struct days_span s;
	int rv = days_span(c, rc, key, q, &s);
	if (rv != 0)
		return rv > 0 ? 0 : -1;
	struct days_searching sr = { .q = q, .fn = fn, .ctx = ctx };
	if (s.hi / DAY_MS - s.lo / DAY_MS > DAYS_MAX)
		return days_scan(rc, key, s.lo, s.hi, true, days_search_one, &sr);
	char *kept = days_key(c, AUDIT_REPORT_DOMAINS);
	if (kept == NULL)
		rv = -1;
	for (long long day = s.hi / DAY_MS; rv == 0 && !sr.stopped && day >= s.lo / DAY_MS; day--) {
		struct days_piece p = days_piece(day, DAY_MS);
		long long from, to;
		if (days_closed(&s, &p, &from, &to)) {
			rv = days_search_piece(rc, key, kept, &s, &p, &sr);
			continue;
		}
		for (long long hour = to / HOUR_MS; rv == 0 && !sr.stopped &&
		    hour >= from / HOUR_MS; hour--) {
			struct days_piece h = days_piece(hour, HOUR_MS);
			rv = days_search_piece(rc, key, kept, &s, &h, &sr);
		}
	}
	free(kept);
	return rv;
}

/* ---- keeping closed pieces ahead of the reports ------------------------------ */

/*
 * Whether p's groups are kept in a form this reader decodes.  Its domains
 * are not asked for: a day may never keep them (a domain holding a
 * newline), and search --domain keeps them itself when they are missing.
 */
static bool days_is_kept(struct redis_conn *rc, char *const kept[2], const struct days_piece *p)
{
	char *text = days_get(rc, kept[0], p->field);
	struct view_report *d = view_report_decode(text);
	bool decoded = d != NULL;
	free(text);
	view_report_free(d);
	return decoded;
}

/* Keeps p unless it is kept already; counts it in *n when it was not. */
static int days_keep_piece(struct redis_conn *rc, const char *key, char *const kept[2],
    const struct days_piece *p, long *n)
{
	if (days_is_kept(rc, kept, p))
		return 0;
	struct view_report *d = days_fill(rc, key, kept, p);
	if (d == NULL)
		return -1;
	view_report_free(d);
	n[p->len == DAY_MS ? 0 : 1]++;
	return 0;
}

static int days_keep_closed(struct redis_conn *rc, const char *key, char *const kept[2],
    const struct days_piece *p, void *kept_n)
{
	return days_keep_piece(rc, key, kept, p, kept_n);
}

int days_keep(const struct cfg *c, struct redis_conn *rc, const char *key, long kept_n[2])
{
	struct query all = { .since_ms = -1, .until_ms = -1 };
	struct days_span s;
	kept_n[0] = kept_n[1] = 0;
	int rv = days_span(c, rc, key, &all, &s);
	if (rv != 0)
		return rv > 0 ? 0 : -1;
	/* Ids years ahead (see DAYS_MAX): the reports read such a trail whole,
	 * there is nothing to keep for them. */
	if (s.hi / DAY_MS - s.lo / DAY_MS > DAYS_MAX)
		return 0;
	struct days_walker w = { days_keep_closed, NULL, kept_n };
	return days_walk(c, rc, key, &s, &w);
}
