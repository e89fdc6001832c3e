/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * diralias.c - the addresses of protected directory entries and their
 * mailbox.  See diralias.h.
 *
 * The builder collects (address, mailbox) pairs in the order they come;
 * the set is the pairs sorted by address, the first one of each address
 * kept, so a YAML mailbox (added first) wins over an entry's own name.
 *
 * Interned strings carry the generation that last used them.  Installing
 * a set (diralias_pool_sweep) starts a generation, stamps the set's
 * strings with it and frees the strings no set uses any more once no pin
 * that could have borrowed them remains: the oldest pinned generation
 * bounds what may go.  Pins are counted in a small ring per generation;
 * a pin that finds its slot taken by an older generation joins that one,
 * which only keeps strings longer.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "diralias.h"
#include "hash.h"
#include "log.h"

#define DIRALIAS_INTERN_BUCKETS	65536
#define DIRALIAS_PIN_SLOTS	64

struct diralias_pair {
	const char *addr;	/* interned whole canonical address */
	const char *mailbox;	/* interned */
	size_t rank;		/* order of arrival: the first one wins */
};

struct diralias_builder {
	struct diralias_pool *pool;
	unsigned long pin;	/* keeps what it interned until the set is installed */
	struct diralias_pair *p;
	size_t n, cap;
	size_t dropped, dropped_entries;
};

struct diralias {
	struct diralias_pair *p;
	size_t n;
	size_t dropped, dropped_entries;
	struct diralias_pool *pool;
	unsigned long pin;	/* the builder's, until the set is installed */
	bool pinned;
};

/* ---- interned strings ------------------------------------------------------ */

struct diralias_interned {
	struct diralias_interned *next;
	unsigned long gen;	/* the last generation that used it */
	char s[];
};

struct diralias_pin_slot {
	unsigned long gen;
	size_t count;
};

struct diralias_pool {
	pthread_mutex_t lock;
	unsigned long gen;
	size_t n;
	struct diralias_pin_slot pins[DIRALIAS_PIN_SLOTS];
	struct diralias_interned *bucket[DIRALIAS_INTERN_BUCKETS];
};

struct diralias_pool *
diralias_pool_new(void)
{
	struct diralias_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	pool->gen = 1;
	return pool;
}

size_t
diralias_pool_pinned(struct diralias_pool *pool)
{
	size_t n = 0;

	if (pool == NULL)
		return 0;
	pthread_mutex_lock(&pool->lock);
	for (size_t i = 0; i < DIRALIAS_PIN_SLOTS; i++)
		n += pool->pins[i].count;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void
diralias_pool_free(struct diralias_pool *pool)
{
	struct diralias_interned *e, *next;

	if (pool == NULL)
		return;
	for (size_t i = 0; i < DIRALIAS_INTERN_BUCKETS; i++)
		for (e = pool->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

size_t
diralias_pool_count(struct diralias_pool *pool)
{
	size_t n;

	if (pool == NULL)
		return 0;
	pthread_mutex_lock(&pool->lock);
	n = pool->n;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

unsigned long
diralias_pin(struct diralias_pool *pool)
{
	struct diralias_pin_slot *slot;
	unsigned long gen;

	pthread_mutex_lock(&pool->lock);
	slot = &pool->pins[pool->gen % DIRALIAS_PIN_SLOTS];
	if (slot->count == 0)
		slot->gen = pool->gen;
	slot->count++;
	gen = slot->gen;
	pthread_mutex_unlock(&pool->lock);
	return gen;
}

static void
diralias_unpin_locked(struct diralias_pool *pool, unsigned long pin)
{
	struct diralias_pin_slot *slot = &pool->pins[pin % DIRALIAS_PIN_SLOTS];

	if (slot->gen == pin && slot->count > 0)
		slot->count--;
}

void
diralias_unpin(struct diralias_pool *pool, unsigned long pin)
{
	pthread_mutex_lock(&pool->lock);
	diralias_unpin_locked(pool, pin);
	pthread_mutex_unlock(&pool->lock);
}

static struct diralias_interned *
diralias_lookup(struct diralias_pool *pool, const char *s, size_t len, uint32_t *bucket)
{
	struct diralias_interned *e;

	*bucket = (uint32_t)(hash_bytes(HASH_INIT, s, len) & (DIRALIAS_INTERN_BUCKETS - 1));
	for (e = pool->bucket[*bucket]; e != NULL; e = e->next)
		if (strcmp(e->s, s) == 0)
			break;
	return e;
}

const char *
diralias_intern(struct diralias_pool *pool, const char *s)
{
	struct diralias_interned *e;
	size_t len = strlen(s);
	uint32_t h;

	pthread_mutex_lock(&pool->lock);
	e = diralias_lookup(pool, s, len, &h);
	if (e == NULL && (e = malloc(sizeof(*e) + len + 1)) != NULL) {
		memcpy(e->s, s, len + 1);
		e->next = pool->bucket[h];
		pool->bucket[h] = e;
		pool->n++;
	}
	if (e != NULL)
		e->gen = pool->gen;
	pthread_mutex_unlock(&pool->lock);
	return e != NULL ? e->s : NULL;
}

/* Marks one string of the installed set; the pool is locked. */
static void
diralias_stamp(struct diralias_pool *pool, const char *s)
{
	uint32_t h;
	struct diralias_interned *e = diralias_lookup(pool, s, strlen(s), &h);

	if (e != NULL)
		e->gen = pool->gen;
}

size_t
diralias_pool_sweep(struct diralias_pool *pool, struct diralias *set)
{
	struct diralias_interned **pp, *e;
	unsigned long keep;
	size_t freed = 0;

	pthread_mutex_lock(&pool->lock);
	pool->gen++;
	for (size_t i = 0; set != NULL && i < set->n; i++) {
		diralias_stamp(pool, set->p[i].addr);
		diralias_stamp(pool, set->p[i].mailbox);
	}
	if (set != NULL && set->pinned) {
		diralias_unpin_locked(pool, set->pin);
		set->pinned = false;
	}
	keep = pool->gen;
	for (size_t i = 0; i < DIRALIAS_PIN_SLOTS; i++)
		if (pool->pins[i].count > 0 && pool->pins[i].gen < keep)
			keep = pool->pins[i].gen;
	for (size_t i = 0; i < DIRALIAS_INTERN_BUCKETS; i++)
		for (pp = &pool->bucket[i]; (e = *pp) != NULL;) {
			if (e->gen >= keep) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			freed++;
		}
	pool->n -= freed;
	pthread_mutex_unlock(&pool->lock);
	return freed;
}

/* ---- building -------------------------------------------------------------- */

struct diralias_builder *
diralias_builder_new(struct diralias_pool *pool)
{
	struct diralias_builder *b;

	if (pool == NULL || (b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->pool = pool;
	b->pin = diralias_pin(pool);
	return b;
}

void
diralias_builder_free(struct diralias_builder *b)
{
	if (b == NULL)
		return;
	diralias_unpin(b->pool, b->pin);
	free(b->p);
	free(b);
}

static int
diralias_push(struct diralias_builder *b, const char *addr, const char *mailbox)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct diralias_pair *p = reallocarray(b->p, cap, sizeof(*p));

		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n].addr = addr;
	b->p[b->n].mailbox = mailbox;
	b->p[b->n].rank = b->n;
	b->n++;
	return 0;
}

/*
 * The interned whole canonical address of one "attribute:value" into
 * *addr: 1, or 0 when it names none, or -1 on ENOMEM (never taken for "no
 * address": the load then fails and the last set stays).  *is_mail is set
 * for the mail attribute.
 */
static int
diralias_value(struct diralias_pool *pool, const char *tagged, const char **addr, int *is_mail)
{
	char canon[ADDRESS_CANONICAL_MAX + 1];
	const char *colon = strchr(tagged, ':'), *v;
	size_t alen;
	struct address a;

	*is_mail = 0;
	if (colon == NULL)
		return 0;
	alen = (size_t)(colon - tagged);
	v = colon + 1;
	if (alen == 14 && strncasecmp(tagged, "proxyAddresses", alen) == 0) {
		/* "SMTP:" is the primary address, "smtp:" the others; X400: and
		 * the like are no mail addresses. */
		if (strncasecmp(v, "smtp:", 5) != 0)
			return 0;
		v += 5;
	}
	*is_mail = alen == 4 && strncasecmp(tagged, "mail", 4) == 0;
	if (address_parse(v, strlen(v), &a) != ADDRESS_OK || a.nhops != 1 ||
	    a.route != ROUTE_NONE || address_canonical(&a, NULL, canon, sizeof(canon)) != 0)
		return 0;
	return (*addr = diralias_intern(pool, canon)) != NULL ? 1 : -1;
}

/*
 * One entry's values [from, to): its addresses, all under one mailbox.
 * Past DIRALIAS_ENTRY_MAX addresses the rest is counted and logged as
 * an error naming the entry: those addresses are not protected.
 */
static int
diralias_entry(struct diralias_builder *b, char *const *v, size_t from, size_t to,
    const char *mailbox)
{
	const char *addr, *mail = NULL;
	size_t first = b->n, n = 0, dropped = 0;
	int is_mail, rc;

	for (size_t i = from; i < to; i++) {
		if ((rc = diralias_value(b->pool, v[i], &addr, &is_mail)) < 0)
			return -1;
		if (rc == 0)
			continue;
		if (n == DIRALIAS_ENTRY_MAX) {
			dropped++;
			continue;
		}
		if (is_mail && mail == NULL)
			mail = addr;
		if (diralias_push(b, addr, NULL) != 0)
			return -1;
		n++;
	}
	if (n == 0)
		return 0;
	if (mailbox == NULL)
		mailbox = mail != NULL ? mail : b->p[first].addr;
	for (size_t i = first; i < b->n; i++)
		b->p[i].mailbox = mailbox;
	if (dropped > 0) {
		b->dropped += dropped;
		b->dropped_entries++;
		log_errx("directory: the entry of protected mailbox %s has %zu addresses, more than "
		    "the %d loaded per entry: %zu of them are NOT protected (README.md \"The directory\")",
		    mailbox, n + dropped, DIRALIAS_ENTRY_MAX, dropped);
	}
	return 0;
}

int
diralias_add(struct diralias_builder *b, const struct dir_values *entries, const char *mailbox)
{
	size_t start = 0;

	if (b == NULL || entries == NULL)
		return -1;
	if (mailbox != NULL && (mailbox = diralias_intern(b->pool, mailbox)) == NULL)
		return -1;
	for (size_t i = 0; i <= entries->n; i++) {
		if (i < entries->n && entries->v[i][0] != '\0')
			continue;
		if (diralias_entry(b, entries->v, start, i, mailbox) != 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

static int
diralias_cmp(const void *x, const void *y)
{
	const struct diralias_pair *a = x, *b = y;
	int c = strcmp(a->addr, b->addr);

	if (c != 0)
		return c;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

struct diralias *
diralias_build(struct diralias_builder *b)
{
	struct diralias *s;
	size_t n = 0;

	if (b == NULL)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		diralias_builder_free(b);
		return NULL;
	}
	if (b->n > 0)
		qsort(b->p, b->n, sizeof(*b->p), diralias_cmp);
	for (size_t i = 0; i < b->n; i++)
		if (n == 0 || strcmp(b->p[n - 1].addr, b->p[i].addr) != 0)
			b->p[n++] = b->p[i];
	s->p = b->p;
	s->n = n;
	s->dropped = b->dropped;
	s->dropped_entries = b->dropped_entries;
	s->pool = b->pool;
	s->pin = b->pin;
	s->pinned = true;
	free(b);
	return s;
}

void
diralias_free(struct diralias *s)
{
	if (s == NULL)
		return;
	if (s->pinned)
		diralias_unpin(s->pool, s->pin);
	free(s->p);
	free(s);
}

static int
diralias_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct diralias_pair *)elem)->addr);
}

const char *
diralias_find(const struct diralias *s, const char *canonical)
{
	const struct diralias_pair *hit;

	if (s == NULL || canonical == NULL || s->n == 0)
		return NULL;
	hit = bsearch(canonical, s->p, s->n, sizeof(*s->p), diralias_key_cmp);
	return hit != NULL ? hit->mailbox : NULL;
}

size_t
diralias_count(const struct diralias *s)
{
	return s != NULL ? s->n : 0;
}

size_t
diralias_dropped(const struct diralias *s, size_t *entries)
{
	if (entries != NULL)
		*entries = s != NULL ? s->dropped_entries : 0;
	return s != NULL ? s->dropped : 0;
}
