/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dircache.c - the directory's answer cache.  See dircache.h.
 *
 * One mutex guards the table; the backend runs without it.  An entry that
 * has a query in flight (loading) or threads waiting for one (waiters) is
 * never freed: eviction and flush skip or empty it instead, so waiting
 * threads can always read the outcome of the query they waited for.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dircache.h"
#include "hash.h"

#define DIRCACHE_DEFAULT_MAX	10000

struct dc_entry {
	char *key;			/* "<kind>:<address>" */
	uint32_t hash;
	struct dc_entry *hnext;		/* bucket chain */
	struct dc_entry *older, *newer;	/* age list, for eviction */
	bool has_answer;
	enum dir_status st;		/* DIR_FOUND or DIR_NOTFOUND when has_answer */
	struct dir_values vals;
	time_t expires;
	bool loading;
	unsigned waiters;
	unsigned long seq;		/* completed queries */
	bool last_failed;		/* the last completed query said try again */
};

struct dircache {
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct dc_entry **buckets;
	size_t nbuckets;		/* a power of two */
	size_t count, max;
	struct dc_entry *oldest, *newest;
	unsigned long gen;		/* bumped by flush */
	long ttl, negative_ttl, stale_max;
	struct dircache_stat stat;
};

void
dir_values_free(struct dir_values *vals)
{
	if (vals == NULL)
		return;
	for (size_t i = 0; i < vals->n; i++)
		free(vals->v[i]);
	free(vals->v);
	vals->v = NULL;
	vals->n = 0;
}

static int
dircache_values_copy(struct dir_values *dst, const struct dir_values *src)
{
	dst->v = NULL;
	dst->n = 0;
	if (src->n == 0)
		return 0;
	if ((dst->v = calloc(src->n, sizeof(char *))) == NULL)
		return -1;
	for (; dst->n < src->n; dst->n++) {
		if ((dst->v[dst->n] = strdup(src->v[dst->n])) == NULL) {
			dir_values_free(dst);
			return -1;
		}
	}
	return 0;
}

/* Keys are short, and mail cannot pick them to collide a bucket badly;
 * 32 bits keep the entry small and index any table this cache grows to. */
static uint32_t
dircache_hash(const char *s)
{
	return (uint32_t)hash_str(HASH_INIT, s);
}

struct dircache *
dircache_new(size_t max_entries)
{
	struct dircache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->max = max_entries != 0 ? max_entries : DIRCACHE_DEFAULT_MAX;
	for (c->nbuckets = 64; c->nbuckets < c->max && c->nbuckets < (1u << 20); c->nbuckets <<= 1)
		;
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	c->ttl = 300;
	c->negative_ttl = 60;
	c->stale_max = 3000;
	return c;
}

void
dircache_set_ttl(struct dircache *c, long ttl, long negative_ttl, long stale_max)
{
	pthread_mutex_lock(&c->lock);
	c->ttl = ttl;
	c->negative_ttl = negative_ttl;
	c->stale_max = stale_max;
	pthread_mutex_unlock(&c->lock);
}

static void
dircache_unlink_age(struct dircache *c, struct dc_entry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	e->older = e->newer = NULL;
}

static void
dircache_link_newest(struct dircache *c, struct dc_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
}

static void
dircache_remove(struct dircache *c, struct dc_entry *e)
{
	struct dc_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	dircache_unlink_age(c, e);
	dir_values_free(&e->vals);
	free(e->key);
	free(e);
	c->count--;
}

static bool
dircache_busy(const struct dc_entry *e)
{
	return e->loading || e->waiters > 0;
}

/* Makes room for one more entry by dropping the oldest idle one. */
static void
dircache_evict(struct dircache *c)
{
	struct dc_entry *e;

	for (e = c->oldest; e != NULL && c->count >= c->max; e = e->newer) {
		if (!dircache_busy(e)) {
			dircache_remove(c, e);
			return;
		}
	}
}

static struct dc_entry *
dircache_find(struct dircache *c, const char *key, uint32_t h)
{
	struct dc_entry *e;

	for (e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static struct dc_entry *
dircache_insert(struct dircache *c, const char *key, uint32_t h)
{
	struct dc_entry *e = calloc(1, sizeof(*e));

	if (e == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		return NULL;
	}
	if (c->count >= c->max)
		dircache_evict(c);
	e->hash = h;
	e->hnext = c->buckets[h & (c->nbuckets - 1)];
	c->buckets[h & (c->nbuckets - 1)] = e;
	dircache_link_newest(c, e);
	c->count++;
	return e;
}

/* The answer of an entry whose last query failed: stale if allowed, else try again. */
static enum dir_status
dircache_fallback(struct dircache *c, struct dc_entry *e, time_t now,
    struct dir_values *out, bool *stale)
{
	if (!e->has_answer || now - e->expires > c->stale_max)
		return DIR_TRYAGAIN;
	if (e->st == DIR_FOUND && dircache_values_copy(out, &e->vals) != 0)
		return DIR_TRYAGAIN;
	if (stale != NULL)
		*stale = true;
	return e->st;
}

static enum dir_status
dircache_answer(struct dc_entry *e, struct dir_values *out)
{
	if (e->st == DIR_FOUND && dircache_values_copy(out, &e->vals) != 0)
		return DIR_TRYAGAIN;
	return e->st;
}

/* Stores a completed query's outcome; called with the lock held. */
static enum dir_status
dircache_complete(struct dircache *c, struct dc_entry *e, unsigned long gen, time_t now,
    enum dir_status st, struct dir_values *vals, struct dir_values *out, bool *stale)
{
	enum dir_status rc;

	e->loading = false;
	e->seq++;
	e->last_failed = st == DIR_TRYAGAIN;
	if (st == DIR_TRYAGAIN) {
		rc = dircache_fallback(c, e, now, out, stale);
	} else if (gen != c->gen) {
		/* Flushed meanwhile: the answer may come from the old settings. */
		*out = *vals;
		rc = st;
	} else {
		dir_values_free(&e->vals);
		e->vals = *vals;
		e->st = st;
		e->has_answer = true;
		e->expires = now + (st == DIR_FOUND ? c->ttl : c->negative_ttl);
		dircache_unlink_age(c, e);
		dircache_link_newest(c, e);
		rc = dircache_answer(e, out);
	}
	pthread_cond_broadcast(&c->done);
	if (!e->has_answer && !dircache_busy(e))
		dircache_remove(c, e);
	return rc;
}

/*
 * Under c->lock: answers from e when its answer is fresh, else waits for a
 * query in flight and shares its outcome (single flight).  true with *st
 * set when e was answered; false when the caller must query (e is then
 * marked loading).
 */
static bool
dircache_serve(struct dircache *c, struct dc_entry *e, time_t now, struct dir_values *out,
    bool *stale, enum dir_status *st)
{
	unsigned long seq;

	for (;;) {
		if (e->has_answer && now < e->expires) {
			*st = dircache_answer(e, out);
			c->stat.hits++;
			return true;
		}
		if (!e->loading)
			break;
		seq = e->seq;
		e->waiters++;
		while (e->loading && e->seq == seq)
			pthread_cond_wait(&c->done, &c->lock);
		e->waiters--;
		if (e->seq != seq && e->last_failed) {
			*st = dircache_fallback(c, e, now, out, stale);
			c->stat.stale += stale != NULL && *stale;
			if (!e->has_answer && !dircache_busy(e))
				dircache_remove(c, e);
			return true;
		}
	}
	e->loading = true;
	return false;
}

enum dir_status
dircache_get(struct dircache *c, const struct dircache_backend *b,
    enum dir_kind kind, const char *key, time_t now, struct dir_values *out, bool *stale)
{
	struct dir_values vals = { NULL, 0 };
	struct dc_entry *e;
	enum dir_status st;
	unsigned long gen;
	char *k;
	uint32_t h;

	out->v = NULL;
	out->n = 0;
	if (stale != NULL)
		*stale = false;
	if (asprintf(&k, "%d:%s", (int)kind, key) < 0)
		return DIR_TRYAGAIN;
	h = dircache_hash(k);
	pthread_mutex_lock(&c->lock);
	if ((e = dircache_find(c, k, h)) == NULL && (e = dircache_insert(c, k, h)) == NULL) {
		pthread_mutex_unlock(&c->lock);
		free(k);
		return DIR_TRYAGAIN;
	}
	free(k);
	c->stat.lookups++;
	if (dircache_serve(c, e, now, out, stale, &st)) {
		pthread_mutex_unlock(&c->lock);
		return st;
	}
	gen = c->gen;
	pthread_mutex_unlock(&c->lock);

	st = b->lookup(b->ctx, kind, key, &vals);
	if (st != DIR_FOUND)
		dir_values_free(&vals);

	pthread_mutex_lock(&c->lock);
	c->stat.queries++;
	c->stat.errors += st == DIR_TRYAGAIN;
	st = dircache_complete(c, e, gen, now, st, &vals, out, stale);
	c->stat.stale += stale != NULL && *stale;
	pthread_mutex_unlock(&c->lock);
	return st;
}

enum dir_status
dircache_peek(struct dircache *c, enum dir_kind kind, const char *key)
{
	struct dc_entry *e;
	enum dir_status st = DIR_TRYAGAIN;
	char *k;

	if (c == NULL || key == NULL || asprintf(&k, "%d:%s", (int)kind, key) < 0)
		return DIR_TRYAGAIN;
	pthread_mutex_lock(&c->lock);
	if ((e = dircache_find(c, k, dircache_hash(k))) != NULL && e->has_answer)
		st = e->st;
	pthread_mutex_unlock(&c->lock);
	free(k);
	return st;
}

void
dircache_flush(struct dircache *c)
{
	struct dc_entry *e, *next;

	pthread_mutex_lock(&c->lock);
	c->gen++;
	for (e = c->oldest; e != NULL; e = next) {
		next = e->newer;
		if (!dircache_busy(e)) {
			dircache_remove(c, e);
			continue;
		}
		e->has_answer = false;
		dir_values_free(&e->vals);
	}
	pthread_mutex_unlock(&c->lock);
}

void
dircache_stat(struct dircache *c, struct dircache_stat *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stat;
	pthread_mutex_unlock(&c->lock);
}

size_t
dircache_size(struct dircache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
dircache_free(struct dircache *c)
{
	if (c == NULL)
		return;
	while (c->oldest != NULL)
		dircache_remove(c, c->oldest);
	free(c->buckets);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
