/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dircache.h - the directory's answer cache (README.md "Failure behaviour", LDAP down or slow).
 *
 * A lookup has three outcomes: found (with values), not found, and try
 * again.  The cache keeps found answers for ttl seconds and not-found
 * answers for negative_ttl seconds; try-again is never cached.  Concurrent
 * lookups of one key wait for the single query in flight.  When the backend
 * says try again and an expired answer is at most stale_max seconds past
 * its expiry, that answer is served instead (logged as stale).  The cache
 * holds at most max_entries answers and evicts the oldest.
 *
 * The backend is a struct of function pointers so the cache runs against
 * a fake in unit tests and against LDAP in the daemon.  Thread-safe.
 */
#ifndef FWDGUARD_DIRCACHE_H
#define FWDGUARD_DIRCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define DIR_VALUES_MAX	64	/* values kept per answer; more are dropped (logged) */

enum dir_status { DIR_FOUND, DIR_NOTFOUND, DIR_TRYAGAIN };

/* What is asked about an address. */
enum dir_kind {
	DIR_KIND_FORWARDS,	/* its entry (mailbox_filter) and forward targets */
	DIR_KIND_PROTECTED	/* same, restricted to entries matching protected_filter */
};

/* A list of values, owned by whoever holds it: free with dir_values_free. */
struct dir_values {
	char **v;
	size_t n;
};

void dir_values_free(struct dir_values *vals);	/* frees the strings; accepts NULL */

struct dircache_backend {
	void *ctx;
	/*
	 * Looks up key (a canonical address) of the given kind.  On DIR_FOUND
	 * fills *out with values the cache then owns (may be empty).  Must be
	 * bounded in time: the cache holds no lock while it runs.
	 */
	enum dir_status (*lookup)(void *ctx, enum dir_kind kind, const char *key,
	    struct dir_values *out);
};

struct dircache;

/* NULL on ENOMEM.  max_entries 0 means a default of 10000. */
struct dircache *dircache_new(size_t max_entries);
void dircache_free(struct dircache *c);		/* accepts NULL; no lookup may be running */

/* TTLs in seconds; stale_max: how long past expiry an answer may serve an outage. */
void dircache_set_ttl(struct dircache *c, long ttl, long negative_ttl, long stale_max);

/*
 * The answer for (kind, key) at time now: from the cache when fresh, else
 * from the backend.  On DIR_FOUND *out receives a copy the caller owns.
 * *stale (may be NULL) is set when an expired answer was served during an
 * outage.  DIR_TRYAGAIN on ENOMEM too.
 */
enum dir_status dircache_get(struct dircache *c, const struct dircache_backend *b,
    enum dir_kind kind, const char *key, time_t now, struct dir_values *out, bool *stale);

/*
 * The last answer held for (kind, key), whatever its age, without asking
 * the backend and without waiting for a query in flight: DIR_FOUND,
 * DIR_NOTFOUND, or DIR_TRYAGAIN when none is held.  For callers that must
 * not block (the policy hooks) and only refine what a lookup just said.
 */
enum dir_status dircache_peek(struct dircache *c, enum dir_kind kind, const char *key);

/* Forgets every answer (reload); queries in flight complete but are not kept. */
void dircache_flush(struct dircache *c);

/* Number of answers held (for tests and statistics). */
size_t dircache_size(struct dircache *c);

/* Counts since dircache_new, for the metrics (README.md "Metrics"). */
struct dircache_stat {
	unsigned long long lookups;	/* dircache_get calls */
	unsigned long long hits;	/* answered from a fresh cached answer */
	unsigned long long queries;	/* asked the backend */
	unsigned long long errors;	/* of those, answered try again */
	unsigned long long stale;	/* expired answers served during an outage */
};
void dircache_stat(struct dircache *c, struct dircache_stat *out);

#endif
