/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * correlate.c - lookups in the correlation store, and the in-memory cache
 * of the records this process wrote.  See correlate.h.
 *
 * The pool is tiny on purpose: lookups are one HGETALL each and a message
 * needs a handful, so two connections serve many workers.  A worker that
 * cannot get a connection within redis.timeout says "try again" rather
 * than queueing behind a slow Redis: mail must not wait on the audit
 * store.  After a connection failure every lookup says "try again" at once
 * for CORRELATE_DOWN_MS instead of paying a connect timeout per message.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "correlate.h"
#include "deadline.h"
#include "hash.h"
#include "ids.h"
#include "log.h"
#include "record_fields.h"
#include "redis_conn.h"

#define CORRELATE_DOWN_MS	1000

struct correlate_slot {
	pthread_mutex_t mu;
	struct redis_conn *conn;
	unsigned gen;		/* of the settings conn was opened with */
};

/*
 * A remembered record holds its strings packed after it, NUL-terminated,
 * in the order of correlate_packed_fields(): a struct correlate_entry is
 * over 2 KiB of fixed fields, nearly all unused, and the ring keeps 4096.
 */
struct correlate_cached {
	uint64_t hash;
	uint64_t conv_hash;		/* of the conversation, when it has one */
	time_t added;		/* CLOCK_MONOTONIC seconds */
	long long ts;
	bool probe;
	const char *conversation;	/* into data[] */
	char data[];			/* message_id first */
};

struct correlate {
	pthread_mutex_t cfg_mu;		/* guards cfg and gen */
	struct cfg *cfg;
	unsigned gen;

	struct correlate_slot pool[CORRELATE_POOL];
	unsigned next;			/* round robin, atomic */
	long long down_until;		/* monotonic ms, atomic */
	int down;			/* logged as down, atomic */

	pthread_mutex_t cache_mu;	/* guards the ring */
	struct correlate_cached *ring[CORRELATE_CACHE_SIZE];
	size_t head;			/* next slot to (re)use */
	size_t probes;			/* entries of the ring with a probe mark */
};

static struct correlate *correlate_process;

static long long
correlate_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
correlate_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Only to skip most string compares in the cache scan. */
static uint64_t
correlate_hash(const char *s)
{
	return hash_str(HASH_INIT, s);
}

struct correlate *
correlate_open(const struct cfg *c)
{
	struct correlate *k = calloc(1, sizeof(*k));
	size_t i;

	if (k == NULL)
		return NULL;
	pthread_mutex_init(&k->cfg_mu, NULL);
	pthread_mutex_init(&k->cache_mu, NULL);
	for (i = 0; i < CORRELATE_POOL; i++)
		pthread_mutex_init(&k->pool[i].mu, NULL);
	/* The snapshot is immutable; cfg_ref only counts, hence the cast. */
	k->cfg = cfg_ref((struct cfg *)c);
	return k;
}

void
correlate_reconfigure(struct correlate *k, const struct cfg *c)
{
	struct cfg *old;

	if (k == NULL || c == NULL)
		return;
	pthread_mutex_lock(&k->cfg_mu);
	old = k->cfg;
	k->cfg = cfg_ref((struct cfg *)c);
	k->gen++;
	pthread_mutex_unlock(&k->cfg_mu);
	__atomic_store_n(&k->down_until, 0, __ATOMIC_RELAXED);
	cfg_unref(old);
}

void
correlate_close(struct correlate *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < CORRELATE_POOL; i++) {
		redis_conn_close(k->pool[i].conn);
		pthread_mutex_destroy(&k->pool[i].mu);
	}
	for (i = 0; i < CORRELATE_CACHE_SIZE; i++)
		free(k->ring[i]);
	cfg_unref(k->cfg);
	pthread_mutex_destroy(&k->cfg_mu);
	pthread_mutex_destroy(&k->cache_mu);
	free(k);
}

void
correlate_set_current(struct correlate *k)
{
	correlate_process = k;
}

struct correlate *
correlate_current(void)
{
	return correlate_process;
}

const char *
correlate_status_name(enum correlate_status st)
{
	switch (st) {
	case CORRELATE_FOUND:
		return "found";
	case CORRELATE_NOTFOUND:
		return "not found";
	case CORRELATE_TRYAGAIN:
		break;
	}
	return "try again";
}

/* ------------------------------------------------------------------------- */
/* The in-memory cache */

#define CORRELATE_PACKED	5

/* The string fields of e, in the order they are packed. */
static void
correlate_packed_fields(struct correlate_entry *e, char *f[CORRELATE_PACKED],
    size_t size[CORRELATE_PACKED])
{
	f[0] = e->message_id;
	size[0] = sizeof(e->message_id);
	f[1] = e->mailbox;
	size[1] = sizeof(e->mailbox);
	f[2] = e->sender;
	size[2] = sizeof(e->sender);
	f[3] = e->rcpt_domains;
	size[3] = sizeof(e->rcpt_domains);
	f[4] = e->conversation;
	size[4] = sizeof(e->conversation);
}

/* A packed copy of e (malloc'd), or NULL on ENOMEM. */
static struct correlate_cached *
correlate_pack(const struct correlate_entry *e)
{
	struct correlate_entry tmp = *e;
	struct correlate_cached *c;
	char *f[CORRELATE_PACKED], *p;
	size_t size[CORRELATE_PACKED], len[CORRELATE_PACKED], total = 0, i;

	correlate_packed_fields(&tmp, f, size);
	for (i = 0; i < CORRELATE_PACKED; i++)
		total += (len[i] = strnlen(f[i], size[i] - 1)) + 1;
	if ((c = malloc(sizeof(*c) + total)) == NULL)
		return NULL;
	for (i = 0, p = c->data; i < CORRELATE_PACKED; p += len[i++] + 1) {
		memcpy(p, f[i], len[i]);
		p[len[i]] = '\0';
		if (i == CORRELATE_PACKED - 1)
			c->conversation = p;
	}
	c->ts = e->ts;
	c->probe = e->probe;
	return c;
}

static void
correlate_unpack(const struct correlate_cached *c, struct correlate_entry *out)
{
	char *f[CORRELATE_PACKED];
	size_t size[CORRELATE_PACKED], i;
	const char *p = c->data;

	correlate_packed_fields(out, f, size);
	for (i = 0; i < CORRELATE_PACKED; p += strlen(p) + 1, i++)
		snprintf(f[i], size[i], "%s", p);
	out->ts = c->ts;
	out->probe = c->probe;
}

void
correlate_remember(struct correlate *k, const struct correlate_entry *e)
{
	struct correlate_cached *slot;
	uint64_t h;
	size_t i;

	if (k == NULL || e->message_id[0] == '\0' || (slot = correlate_pack(e)) == NULL)
		return;
	h = correlate_hash(slot->data);
	pthread_mutex_lock(&k->cache_mu);
	if (k->ring[k->head] != NULL && k->ring[k->head]->probe)
		k->probes--;
	free(k->ring[k->head]);
	k->ring[k->head] = slot;
	/* A probe mark never goes away, as in Redis where HSET only adds.
	 * Marks are rare: without one in the ring, every message would
	 * still pay a scan of the whole ring under the lock. */
	for (i = 0; k->probes > 0 && !slot->probe && i < CORRELATE_CACHE_SIZE; i++) {
		const struct correlate_cached *o = k->ring[i];

		if (o != NULL && o != slot && o->hash == h &&
		    strcmp(o->data, slot->data) == 0 && o->probe)
			slot->probe = true;
	}
	k->probes += slot->probe;
	slot->hash = h;
	slot->conv_hash = correlate_hash(slot->conversation);
	slot->added = (time_t)(correlate_now_ms() / 1000);
	k->head = (k->head + 1) % CORRELATE_CACHE_SIZE;
	pthread_mutex_unlock(&k->cache_mu);
}

/*
 * The fresh cached entry for a Message-ID (conv false) or a conversation
 * (conv true); true when found.  For a Message-ID the newest wins; for a
 * conversation the oldest, as HSETNX keeps the first in Redis.
 */
static bool
correlate_cache_get(struct correlate *k, bool conv, const char *key, struct correlate_entry *out)
{
	time_t oldest = (time_t)(correlate_now_ms() / 1000) - CORRELATE_CACHE_SECONDS;
	uint64_t h = correlate_hash(key);
	bool found = false;
	size_t n, i;

	pthread_mutex_lock(&k->cache_mu);
	for (n = 1; n <= CORRELATE_CACHE_SIZE && !(found && !conv); n++) {
		const struct correlate_cached *c;

		i = (k->head + CORRELATE_CACHE_SIZE - n) % CORRELATE_CACHE_SIZE;
		if ((c = k->ring[i]) == NULL || c->added < oldest)
			break;	/* older ones are older still */
		if (conv ? c->conv_hash == h && strcmp(c->conversation, key) == 0 :
		    c->hash == h && strcmp(c->data, key) == 0) {
			correlate_unpack(c, out);
			found = true;
		}
	}
	pthread_mutex_unlock(&k->cache_mu);
	return found;
}

/* ------------------------------------------------------------------------- */
/* Redis */

static void
correlate_mark_down(struct correlate *k, const char *why)
{
	__atomic_store_n(&k->down_until, correlate_now_ms() + CORRELATE_DOWN_MS,
	    __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&k->down, 1, __ATOMIC_RELAXED) == 0)
		log_warnx("correlation lookups: Redis unavailable, relying on the records "
		    "of the last %d s written here: %s", CORRELATE_CACHE_SECONDS, why);
}

static void
correlate_mark_up(struct correlate *k)
{
	if (__atomic_exchange_n(&k->down, 0, __ATOMIC_RELAXED) != 0)
		log_notice("correlation lookups: Redis answers again");
}

/*
 * Fills out from an HGETALL reply: field, value, field, value...  The key
 * names the message (a msg: hash) or the conversation (a thread: hash,
 * which holds its first message's id).
 */
static void
correlate_parse(const redisReply *r, bool conv, const char *key, struct correlate_entry *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (conv)
		correlate_copy(out->conversation, sizeof(out->conversation), key, strlen(key));
	else
		correlate_copy(out->message_id, sizeof(out->message_id), key, strlen(key));
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (conv && strcmp(f->str, REC_MESSAGE_ID) == 0)
			correlate_copy(out->message_id, sizeof(out->message_id), v->str, v->len);
		else if (strcmp(f->str, REC_MAILBOX) == 0)
			correlate_copy(out->mailbox, sizeof(out->mailbox), v->str, v->len);
		else if (strcmp(f->str, REC_SENDER) == 0)
			correlate_copy(out->sender, sizeof(out->sender), v->str, v->len);
		else if (strcmp(f->str, REC_RCPT_DOMAINS) == 0)
			correlate_copy(out->rcpt_domains, sizeof(out->rcpt_domains), v->str, v->len);
		else if (strcmp(f->str, REC_TS) == 0)
			out->ts = strtoll(v->str, NULL, 10);
		else if (strcmp(f->str, REC_PROBE) == 0)
			out->probe = strcmp(v->str, "1") == 0;
	}
}

/* HGETALL of every key, in one round trip: the reply is one array per key. */
static const char correlate_script[] =
    "local r = {}\n"
    "for i, k in ipairs(KEYS) do r[i] = redis.call('HGETALL', k) end\n"
    "return r\n";

/*
 * The Redis names of the keys still to ask (st[i] try again), in keys[];
 * at[] maps them back.  Their number, or -1 on ENOMEM (free what is set).
 */
static int
correlate_keys(const char *prefix, const struct correlate_ask *asks, size_t n,
    const enum correlate_status *st, char **keys, size_t *at)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (st[i] != CORRELATE_TRYAGAIN)
			continue;
		if (asprintf(&keys[m], "%s%s:%s", prefix, asks[i].conversation ? "thread" : "msg",
		    asks[i].key) < 0) {
			keys[m] = NULL;
			return -1;
		}
		at[m++] = i;
	}
	return (int)m;
}

/* Fills st[] and out[] from the script's reply: one HGETALL array per key asked. */
static void
correlate_answers(const redisReply *r, const struct correlate_ask *asks, const size_t *at,
    size_t m, struct correlate_entry *out, enum correlate_status *st)
{
	size_t i;

	for (i = 0; i < m; i++) {
		const redisReply *h = r->element[i];
		size_t j = at[i];

		if (h->type != REDIS_REPLY_ARRAY)
			continue;
		st[j] = h->elements == 0 ? CORRELATE_NOTFOUND : CORRELATE_FOUND;
		if (st[j] == CORRELATE_FOUND)
			correlate_parse(h, asks[j].conversation, asks[j].key, &out[j]);
	}
}

/* The keys still to ask, on one connection (slot locked), in one round trip. */
static void
correlate_query(struct correlate *k, struct correlate_slot *s, const char *prefix,
    const struct correlate_ask *asks, size_t n, struct correlate_entry *out,
    enum correlate_status *st)
{
	const char *argv[3 + CORRELATE_BATCH_MAX];
	size_t len[3 + CORRELATE_BATCH_MAX], at[CORRELATE_BATCH_MAX], i;
	char *keys[CORRELATE_BATCH_MAX] = { NULL }, nkeys[24];
	redisReply *r = NULL;
	int m = correlate_keys(prefix, asks, n, st, keys, at);

	if (m > 0) {
		snprintf(nkeys, sizeof(nkeys), "%d", m);
		argv[0] = "EVAL";
		argv[1] = correlate_script;
		argv[2] = nkeys;
		for (i = 0; i < (size_t)m; i++)
			argv[3 + i] = keys[i];
		for (i = 0; i < 3 + (size_t)m; i++)
			len[i] = strlen(argv[i]);
		if ((r = redis_conn_command(s->conn, 3 + m, argv, len)) == NULL) {
			correlate_mark_down(k, redis_conn_error(s->conn));
			redis_conn_close(s->conn);
			s->conn = NULL;
		} else if (r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)m) {
			correlate_answers(r, asks, at, (size_t)m, out, st);
			correlate_mark_up(k);
		} else
			log_warnx("correlation lookup refused by Redis: %s",
			    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	}
	redis_conn_reply_free(r);
	for (i = 0; i < CORRELATE_BATCH_MAX && keys[i] != NULL; i++)
		free(keys[i]);
}

/*
 * A pooled connection, locked for the caller: a free one if any, else the
 * next in turn, waited for up to timeout.  A slot's lock is held across its
 * round trip (a connection serves one thread at a time), so a lookup never
 * queues behind a busy slot while another is idle.  NULL on timeout.
 */
static struct correlate_slot *
correlate_slot_take(struct correlate *k, double timeout)
{
	unsigned first = __atomic_fetch_add(&k->next, 1, __ATOMIC_RELAXED);
	struct timespec until;
	unsigned i;

	for (i = 0; i < CORRELATE_POOL; i++) {
		struct correlate_slot *s = &k->pool[(first + i) % CORRELATE_POOL];

		if (pthread_mutex_trylock(&s->mu) == 0)
			return s;
	}
	if (!(timeout > 0) || timeout > 3600)
		timeout = 1;
	/* CLOCK_REALTIME: the clock pthread_mutex_timedlock uses. */
	until = deadline_after_ms(CLOCK_REALTIME, (long)(timeout * 1000));
	if (pthread_mutex_timedlock(&k->pool[first % CORRELATE_POOL].mu, &until) != 0)
		return NULL;
	return &k->pool[first % CORRELATE_POOL];
}

/* The batch in Redis: one wait for a connection, one round trip. */
static void
correlate_redis(struct correlate *k, const struct correlate_ask *asks, size_t n,
    struct correlate_entry *out, enum correlate_status *st)
{
	struct correlate_slot *s;
	struct cfg *c;
	unsigned gen;
	char err[256];

	if (n == 0 || correlate_now_ms() < __atomic_load_n(&k->down_until, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&k->cfg_mu);
	c = cfg_ref(k->cfg);
	gen = k->gen;
	pthread_mutex_unlock(&k->cfg_mu);

	s = correlate_slot_take(k, c->redis.timeout);
	if (s == NULL) {
		cfg_unref(c);
		return;
	}
	if (s->conn != NULL && s->gen != gen) {
		redis_conn_close(s->conn);
		s->conn = NULL;
	}
	if (s->conn == NULL) {
		s->conn = redis_conn_open(&c->redis, err, sizeof(err));
		s->gen = gen;
		if (s->conn == NULL)
			correlate_mark_down(k, err);
	}
	if (s->conn != NULL)
		correlate_query(k, s, rec_prefix(c->redis.prefix),
		    asks, n, out, st);
	pthread_mutex_unlock(&s->mu);
	cfg_unref(c);
}

void
correlate_lookup_batch(struct correlate *k, const struct correlate_ask *asks, size_t n,
    struct correlate_entry *out, enum correlate_status *st)
{
	struct correlate_entry cached;
	bool any = false;
	size_t i;

	if (n > CORRELATE_BATCH_MAX)
		n = CORRELATE_BATCH_MAX;
	/* Try again marks the keys worth asking; the others are not found. */
	for (i = 0; i < n; i++) {
		bool ask = k != NULL && asks[i].key != NULL && asks[i].key[0] != '\0';

		st[i] = ask ? CORRELATE_TRYAGAIN : CORRELATE_NOTFOUND;
		any |= ask;
	}
	if (!any)
		return;
	correlate_redis(k, asks, n, out, st);
	for (i = 0; i < n; i++) {
		if (st[i] == CORRELATE_NOTFOUND && (asks[i].key == NULL || asks[i].key[0] == '\0'))
			continue;
		if (!correlate_cache_get(k, asks[i].conversation, asks[i].key, &cached))
			continue;
		if (st[i] == CORRELATE_FOUND) {
			if (cached.probe)
				out[i].probe = true;
			continue;
		}
		out[i] = cached;
		st[i] = CORRELATE_FOUND;
	}
}

enum correlate_status
correlate_lookup(struct correlate *k, const char *message_id, struct correlate_entry *out)
{
	struct correlate_ask ask = { .key = message_id, .conversation = false };
	enum correlate_status st;

	correlate_lookup_batch(k, &ask, 1, out, &st);
	return st;
}

enum correlate_status
correlate_lookup_conversation(struct correlate *k, const char *conversation,
    struct correlate_entry *out)
{
	struct correlate_ask ask = { .key = conversation, .conversation = true };
	enum correlate_status st;

	correlate_lookup_batch(k, &ask, 1, out, &st);
	return st;
}

/* ------------------------------------------------------------------------- */
/* Records */

/* The record for e's msg: hash (conv false) or its thread: hash (conv true). */
static struct record *
correlate_make_record(const struct correlate_entry *e, long long ttl, bool conv)
{
	char id[IDS_LEN + 1], ttlbuf[32], tsbuf[32];
	struct record *r;
	int rc = 0;

	if ((r = record_new(REC_KIND_CORRELATION)) == NULL)
		return NULL;
	ids_new(id);
	snprintf(ttlbuf, sizeof(ttlbuf), "%lld", ttl > 0 ? ttl : 2592000LL);
	snprintf(tsbuf, sizeof(tsbuf), "%lld", e->ts);
	rc |= record_set(r, REC_ID, id);
	if (conv)
		rc |= record_set(r, REC_CONVERSATION, e->conversation);
	rc |= record_set(r, REC_MESSAGE_ID, e->message_id);
	rc |= record_set(r, REC_TTL, ttlbuf);
	rc |= record_set(r, REC_MAILBOX, e->mailbox);
	rc |= record_set(r, REC_SENDER, e->sender);
	rc |= record_set(r, REC_RCPT_DOMAINS, e->rcpt_domains);
	rc |= record_set(r, REC_TS, tsbuf);
	if (e->probe)
		rc |= record_set(r, REC_PROBE, "1");
	if (rc != 0) {
		record_free(r);
		return NULL;
	}
	return r;
}

struct record *
correlate_record(const struct correlate_entry *e, long long ttl)
{
	return correlate_make_record(e, ttl, false);
}

struct record *
correlate_conversation_record(const struct correlate_entry *e, long long ttl)
{
	if (e->conversation[0] == '\0')
		return NULL;
	return correlate_make_record(e, ttl, true);
}

struct leak_ref
correlate_ref(const struct correlate_entry *e)
{
	struct leak_ref ref = {
		.message_id = e->message_id,
		.mailbox = e->mailbox,
		.sender = e->sender,
		.rcpt_domains = e->rcpt_domains,
		.ts = e->ts,
		.probe = e->probe,
	};

	return ref;
}
