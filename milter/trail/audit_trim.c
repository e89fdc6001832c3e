/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_trim.c - audit.retention: XTRIM <stream> MINID <ms>-0 on the
 * global streams and on every mailbox stream.
 *
 * A stream id is the time Redis added the entry, so the retention counts
 * from the moment a record reached Redis: a record replayed after an
 * outage is kept from its replay on (its "ts" field still says when it was
 * decided).  The mailbox streams are found with SCAN MATCH <prefix>mailbox:*
 * TYPE stream: the trail itself is the list of mailboxes that have one, so
 * a mailbox dropped from the configuration still loses its old entries.
 * SCAN walks the whole keyspace (a million keys with the replay markers
 * and correlation hashes), so the names it found are remembered and the
 * walk is done again only every TRIM_SCAN_INTERVAL: a stream created since
 * holds only entries Redis added since, younger than any retention (a
 * day or more), so trimming the remembered streams is exact (a trail
 * restored from a dump meanwhile is found at the next look).  The XTRIMs
 * of one pass go pipelined, in one round trip.
 * Trimming is exact (no "~"): an operator who promised 90 days gets 90.
 * The days fwdguard-audit keeps about the stream (report groups, domains)
 * that begin before the trim point go with the entries they summed.
 * Needs Redis 6.2 or later (MINID).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "audit_trim.h"
#include "record_fields.h"
#include "redis_conn.h"

#define SCAN_COUNT	"1000"
#define SCAN_ROUNDS_MAX	1000000L	/* SCAN ends on its own; this only bounds the loop */
#define TRIM_SCAN_INTERVAL_MS	3600000LL

struct trim_memo {
	char *prefix;		/* the redis.prefix the names were found under */
	char *server;		/* on which server (another one: look again) */
	long long scanned_ms;	/* when */
	char **name;
	size_t n, cap;
};

struct trim {
	struct redis_conn *rc;
	char minid[32];
	long removed;
	char *err;
	size_t errsize;
};

void trim_memo_free(struct trim_memo *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->name[i]);
	free(m->name);
	free(m->prefix);
	free(m->server);
	free(m);
}

static int trim_memo_add(struct trim_memo *m, const char *name, size_t len)
{
	if (m->n == m->cap) {
		size_t cap = m->cap > 0 ? m->cap * 2 : 64;
		char **p = realloc(m->name, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		m->name = p;
		m->cap = cap;
	}
	if ((m->name[m->n] = strndup(name, len)) == NULL)
		return -1;
	m->n++;
	return 0;
}

static int trim_fail(struct trim *t, const char *what, const redisReply *r)
{
	snprintf(t->err, t->errsize, "redis %s: %s", what,
	    r == NULL ? redis_conn_error(t->rc) :
	    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	return -1;
}

static int trim_stream(struct trim *t, const char *key, size_t keylen)
{
	const char *argv[] = { "XTRIM", key, "MINID", t->minid };
	size_t len[] = { 5, keylen, 5, strlen(t->minid) };
	redisReply *r = redis_conn_command(t->rc, 4, argv, len);
	int rv = 0;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		rv = trim_fail(t, "XTRIM", r);
	else
		t->removed += (long)r->integer;
	redis_conn_reply_free(r);
	return rv;
}

static int trim_global(struct trim *t, const char *prefix, const char *name)
{
	char key[512];
	int n = snprintf(key, sizeof(key), "%s%s", prefix, name);
	if (n < 0 || (size_t)n >= sizeof(key)) {
		snprintf(t->err, t->errsize, "redis.prefix too long");
		return -1;
	}
	return trim_stream(t, key, (size_t)n);
}

/* The SCAN pattern of the mailbox streams: the prefix with glob characters escaped. */
static char *trim_pattern(const char *prefix)
{
	size_t n = strlen(prefix);
	char *p = malloc(2 * n + sizeof("mailbox:*"));
	if (p == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[]\\", prefix[i]) != NULL)
			p[o++] = '\\';
		p[o++] = prefix[i];
	}
	memcpy(p + o, "mailbox:*", sizeof("mailbox:*"));
	return p;
}

/* The mailbox streams under prefix, found by SCAN; NULL after setting t->err. */
static struct trim_memo *trim_scan(struct trim *t, const char *prefix, long long now_ms)
{
	char *pattern = trim_pattern(prefix);
	char cursor[32] = "0";
	struct trim_memo *m = calloc(1, sizeof(*m));
	int rv = 0;
	if (pattern == NULL || m == NULL || (m->prefix = strdup(prefix)) == NULL ||
	    (m->server = strdup(redis_conn_address(t->rc))) == NULL) {
		snprintf(t->err, t->errsize, "out of memory");
		free(pattern);
		trim_memo_free(m);
		return NULL;
	}
	m->scanned_ms = now_ms;
	for (long round = 0; rv == 0 && round < SCAN_ROUNDS_MAX; round++) {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT,
		    "TYPE", "stream" };
		size_t len[8];
		for (int i = 0; i < 8; i++)
			len[i] = strlen(argv[i]);
		redisReply *r = redis_conn_command(t->rc, 8, argv, len);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			rv = trim_fail(t, "SCAN", r);
			redis_conn_reply_free(r);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		const redisReply *keys = r->element[1];
		for (size_t i = 0; rv == 0 && i < keys->elements; i++)
			if (keys->element[i]->type == REDIS_REPLY_STRING &&
			    trim_memo_add(m, keys->element[i]->str, keys->element[i]->len) != 0) {
				snprintf(t->err, t->errsize, "out of memory");
				rv = -1;
			}
		redis_conn_reply_free(r);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	free(pattern);
	if (rv != 0) {
		trim_memo_free(m);
		return NULL;
	}
	return m;
}

/* XTRIM of every stream of m, pipelined: all sent, then all replies read. */
static int trim_mailboxes(struct trim *t, const struct trim_memo *m)
{
	size_t sent = 0;
	int rv = 0;
	for (; sent < m->n; sent++) {
		const char *argv[] = { "XTRIM", m->name[sent], "MINID", t->minid };
		size_t len[] = { 5, strlen(m->name[sent]), 5, strlen(t->minid) };
		if (redis_conn_send(t->rc, 4, argv, len) != 0)
			return trim_fail(t, "XTRIM", NULL);
	}
	for (size_t i = 0; i < sent; i++) {
		redisReply *r = redis_conn_reply(t->rc);
		if (r == NULL)
			return trim_fail(t, "XTRIM", NULL);
		if (r->type != REDIS_REPLY_INTEGER && rv == 0)
			rv = trim_fail(t, "XTRIM", r);
		else if (r->type == REDIS_REPLY_INTEGER)
			t->removed += (long)r->integer;
		redis_conn_reply_free(r);
	}
	return rv;
}

/* Drops the days fwdguard-audit keeps (audit_days.c) that begin before the
 * trim point: what they summed is (partly) gone from the stream. */
static int trim_report_days(struct trim *t, const char *prefix, const char *name,
    long long min_ms)
{
	char key[512];
	snprintf(key, sizeof(key), "%s%s", prefix, name);
	const char *argv[] = { "HKEYS", key };
	size_t len[] = { 5, strlen(key) };
	redisReply *r = redis_conn_command(t->rc, 2, argv, len);
	int rv = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		rv = trim_fail(t, "HKEYS", r);
		redis_conn_reply_free(r);
		return rv;
	}
	for (size_t i = 0; rv == 0 && i < r->elements; i++) {
		const redisReply *f = r->element[i];
		/* "<day>" or "h<hour>" since the epoch: where the piece begins. */
		bool hour = f->type == REDIS_REPLY_STRING && f->str[0] == 'h';
		if (f->type != REDIS_REPLY_STRING ||
		    strtoll(f->str + hour, NULL, 10) * (hour ? 3600000LL : 86400000LL) >= min_ms)
			continue;
		const char *del[] = { "HDEL", key, f->str };
		size_t dlen[] = { 4, strlen(key), f->len };
		redisReply *d = redis_conn_command(t->rc, 3, del, dlen);
		if (d == NULL || d->type != REDIS_REPLY_INTEGER)
			rv = trim_fail(t, "HDEL", d);
		redis_conn_reply_free(d);
	}
	redis_conn_reply_free(r);
	return rv;
}

long audit_trim(const struct cfg *c, long long now_ms, struct trim_memo **memo, char *err,
    size_t errsize)
{
	if (c->audit.retention <= 0)
		return 0;
	const char *prefix = rec_prefix(c->redis.prefix);
	long long min_ms = now_ms - (long long)c->audit.retention * 86400000LL;
	struct trim t = { .err = err, .errsize = errsize };
	if (min_ms <= 0)
		return 0;
	snprintf(t.minid, sizeof(t.minid), "%lld-0", min_ms);
	t.rc = redis_conn_open(&c->redis, err, errsize);
	if (t.rc == NULL)
		return -1;
	int rv = trim_global(&t, prefix, "audit");
	if (rv == 0)
		rv = trim_global(&t, prefix, "alerts");
	struct trim_memo *m = *memo;
	if (m != NULL && (strcmp(m->prefix, prefix) != 0 ||
	    strcmp(m->server, redis_conn_address(t.rc)) != 0 || now_ms < m->scanned_ms ||
	    now_ms - m->scanned_ms >= TRIM_SCAN_INTERVAL_MS)) {
		trim_memo_free(m);
		*memo = m = NULL;
	}
	if (rv == 0 && m == NULL && (*memo = m = trim_scan(&t, prefix, now_ms)) == NULL)
		rv = -1;
	if (rv == 0)
		rv = trim_mailboxes(&t, m);
	/* A key that changed under the names (deleted, no longer a stream):
	 * look again next time. */
	if (rv != 0) {
		trim_memo_free(*memo);
		*memo = NULL;
	}
	if (rv == 0)
		rv = trim_report_days(&t, prefix, AUDIT_REPORT_DAYS, min_ms);
	if (rv == 0)
		rv = trim_report_days(&t, prefix, AUDIT_REPORT_DOMAINS, min_ms);
	redis_conn_close(t.rc);
	return rv == 0 ? t.removed : -1;
}
