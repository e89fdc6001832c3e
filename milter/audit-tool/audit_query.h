/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_query.h - what fwdguard-audit search, report and tail ask of the
 * trail, and the paged walk over a stream that answers it
 * (milter/audit-tool/audit_query.c; private to the fwdguard-audit tool).
 */
#ifndef FWDGUARD_AUDIT_QUERY_H
#define FWDGUARD_AUDIT_QUERY_H

#include <stdbool.h>
#include "audit_view.h"
#include "cfg.h"
#include "redis_conn.h"

/* The query options shared by search, report and tail. */
struct query {
	const char *mailbox, *sender, *recipient, *domain, *action, *rule;
	long long since_ms, until_ms;	/* -1: open */
	long limit;
	bool limit_given;	/* --limit was on the command line (tail: stop after it) */
	long count;
	bool no_follow;		/* tail --no-follow: exit once caught up */
	bool json;	/* format == FORMAT_JSON */
	bool cache_days;	/* report --cache-days */
	const char *html;	/* report --html: the page's file */
	enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_ECS, FORMAT_CEF } format;
};

/* The stream a query reads: <prefix>audit, or <prefix>mailbox:<a> (lower-cased); owned, NULL on ENOMEM. */
char *query_stream(const struct cfg *c, const struct query *q);

/* Whether e passes the query's filters (sender, recipient, action, rule, domain). */
bool query_match(const struct query *q, const struct view_entry *e);

/*
 * Pages through key between the query's since and until, newest first when
 * reverse, and calls fn on each entry that passes query_match; fn returns
 * false to stop.  When whole (the caller reads everything, as report
 * does), the next page is asked for before this one is read, so that Redis
 * prepares it meanwhile.  0, or -1 after printing the Redis error.
 */
int query_walk(struct redis_conn *rc, const char *key, const struct query *q, bool reverse,
    bool whole, bool (*fn)(void *ctx, const struct view_entry *e), void *ctx);

#endif
