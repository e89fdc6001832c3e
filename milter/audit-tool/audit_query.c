/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_query.c - the paged walk over an audit stream behind
 * fwdguard-audit search, report and tail, and the filters of a query.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>

#include "address.h"
#include "audit_query.h"
#include "policy.h"
#include "record_fields.h"
#include "redis_arena.h"

/*
 * XRANGE pages: the first is small, for a search that stops at its limit;
 * each full page doubles the next one, up to PAGE_MAX, so that a walk over
 * millions of entries costs few round trips while one reply (the only
 * thing held besides the report's groups) stays a few tens of MB.
 */
#define PAGE_FIRST	500
#define PAGE_MAX	10000

/*
 * The mailbox a search names, spelled as the streams are keyed: the
 * canonical form of a protected mailbox.  "Support+Orders@Corp.Example"
 * finds support@corp.example's stream as the configuration would match it:
 * the whole address when the configuration protects it, else the address
 * cut at the recipient delimiter (README.md "Recipient delimiters").  Text
 * that is no address is only lower-cased.
 */
static void query_mailbox_canonical(const struct cfg *c, const char *mailbox, char *out,
    size_t size)
{
	struct address a;
	char whole[ADDRESS_MAX + 1];

	snprintf(out, size, "%s", mailbox);
	for (char *p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (address_parse(mailbox, strlen(mailbox), &a) != ADDRESS_OK ||
	    address_canonical(&a, NULL, whole, sizeof(whole)) != 0)
		return;
	snprintf(out, size, "%s", whole);
	if (policy_protected_canonical(&c->policy, whole) == NULL &&
	    c->policy.delimiters[0] != '\0')
		(void)address_canonical(&a, c->policy.delimiters, out, size);
}

char *query_stream(const struct cfg *c, const struct query *q)
{
	const char *prefix = rec_prefix(c->redis.prefix);
	char mailbox[ADDRESS_MAX + 1];
	char *key;
	if (q->mailbox == NULL)
		return asprintf(&key, "%saudit", prefix) < 0 ? NULL : key;
	query_mailbox_canonical(c, q->mailbox, mailbox, sizeof(mailbox));
	return asprintf(&key, "%smailbox:%s", prefix, mailbox) < 0 ? NULL : key;
}

bool query_match(const struct query *q, const struct view_entry *e)
{
	const char *v;
	if (q->sender != NULL && ((v = view_get(e, REC_SENDER)) == NULL || strcasecmp(v, q->sender) != 0))
		return false;
	if (q->recipient != NULL &&
	    ((v = view_get(e, REC_RECIPIENT)) == NULL || strcasecmp(v, q->recipient) != 0))
		return false;
	if (q->action != NULL && ((v = view_get(e, REC_ACTION)) == NULL || strcasecmp(v, q->action) != 0))
		return false;
	if (q->rule != NULL && ((v = view_get(e, REC_RULE)) == NULL || strcmp(v, q->rule) != 0))
		return false;
	if (q->domain != NULL && !view_domain_match(view_get(e, REC_RECIPIENT), q->domain) &&
	    !view_domain_match(view_get(e, REC_TARGET), q->domain))
		return false;
	return true;
}

static void tool_id_bound(char *buf, size_t size, long long ms, const char *open, bool upper)
{
	if (ms < 0)
		snprintf(buf, size, "%s", open);
	else
		snprintf(buf, size, "%lld-%s", ms, upper ? "18446744073709551615" : "0");
}

/* Queues XRANGE (or XREVRANGE) of up to page entries between lo and hi. */
static int query_send(struct redis_conn *rc, const char *key, bool reverse, const char *lo,
    const char *hi, long page)
{
	char count[24];
	snprintf(count, sizeof(count), "%ld", page);
	const char *argv[] = { reverse ? "XREVRANGE" : "XRANGE", key,
	    reverse ? hi : lo, reverse ? lo : hi, "COUNT", count };
	size_t len[6];
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	return redis_conn_send(rc, 6, argv, len);
}

static int query_send_failed(struct redis_conn *rc, const char *key, bool reverse)
{
	fprintf(stderr, "fwdguard-audit: %s %s: %s\n", reverse ? "XREVRANGE" : "XRANGE", key,
	    redis_conn_error(rc));
	return -1;
}

/* A page's reply (in arena, replacing the previous page), or NULL after
 * printing why there is none. */
static redisReply *query_page(struct redis_conn *rc, struct redis_arena *arena,
    const char *key, bool reverse)
{
	redisReply *r = redis_arena_reply(arena, rc);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		return r;
	fprintf(stderr, "fwdguard-audit: %s %s: %s\n", reverse ? "XREVRANGE" : "XRANGE", key,
	    r == NULL ? redis_conn_error(rc) :
	    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	return NULL;
}

/* query_walk with the pages built in arena. */
static int query_walk_pages(struct redis_conn *rc, struct redis_arena *arena, const char *key,
    const struct query *q, bool reverse, bool whole,
    bool (*fn)(void *ctx, const struct view_entry *e), void *ctx)
{
	char lo[64], hi[64];
	long page = PAGE_FIRST;
	bool queued = false;	/* the next page is asked for already */
	tool_id_bound(lo, sizeof(lo), q->since_ms, "-", false);
	tool_id_bound(hi, sizeof(hi), q->until_ms, "+", true);

	if (query_send(rc, key, reverse, lo, hi, page) != 0)
		return query_send_failed(rc, key, reverse);
	for (;;) {
		redisReply *r = query_page(rc, arena, key, reverse);
		struct view_entry e;
		if (r == NULL)
			return -1;
		bool more = r->elements == (size_t)page;
		if (more) {
			/* Continue after the last entry: "(" makes the bound exclusive. */
			if (view_entry_from_reply(r->element[r->elements - 1], &e) != 0) {
				fprintf(stderr, "fwdguard-audit: %s: unexpected reply\n", key);
				return -1;
			}
			snprintf(reverse ? hi : lo, sizeof(hi), "(%s", e.stream_id);
			page = page * 2 < PAGE_MAX ? page * 2 : PAGE_MAX;
			queued = whole && query_send(rc, key, reverse, lo, hi, page) == 0;
		}
		for (size_t i = 0; i < r->elements; i++) {
			if (view_entry_from_reply(r->element[i], &e) == 0 && query_match(q, &e) &&
			    !fn(ctx, &e)) {
				more = false;
				break;
			}
		}
		if (!more) {
			/* A page asked for and not wanted is still read off the connection. */
			if (queued)
				redis_arena_reply(arena, rc);
			return 0;
		}
		if (!queued && query_send(rc, key, reverse, lo, hi, page) != 0)
			return query_send_failed(rc, key, reverse);
		queued = false;
	}
}

int query_walk(struct redis_conn *rc, const char *key, const struct query *q, bool reverse,
    bool whole, bool (*fn)(void *ctx, const struct view_entry *e), void *ctx)
{
	struct redis_arena *arena = redis_arena_new();
	if (arena == NULL) {
		fprintf(stderr, "fwdguard-audit: %s: out of memory\n", key);
		return -1;
	}
	int rv = query_walk_pages(rc, arena, key, q, reverse, whole, fn, ctx);
	redis_arena_free(arena);
	return rv;
}
