/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit.c - the daemon's audit trail: durable commit to the spool, then a
 * background thread that ships the spool to Redis.
 *
 * audit_commit() returns only after the spool sync; Redis is never on the
 * path of a milter reply.  The shipper thread wakes on a kick after a
 * commit (once it has lingered after a round that shipped, below), or
 * every second to pick up records another writer left.  While
 * Redis is down it backs off (up to 5 s) instead of reconnecting on every
 * kick, and logs only the transitions: one line when shipping starts to
 * fail, one when it works again.
 *
 * With audit.retention, the same thread trims the streams (audit_trim.c)
 * after a round that reached Redis, at most every AUDIT_TRIM_INTERVAL
 * seconds: a cost of the background, never of a milter reply.
 *
 * With audit.anchor_interval, the same thread also anchors the head of the
 * spool's hash chain (chain.h) that often: a line in syslog and an anchor
 * record for <prefix>alerts, so that a rewrite of the trail in Redis
 * contradicts what was written outside it.
 *
 * It also says, once per master, when Redis keeps no append-only file: the
 * spool forgets what Redis took, so such a Redis is the trail's weak point.
 *
 * The thread holds its own reference to the config snapshot it ships with,
 * so audit_reconfigure() never frees settings in use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "audit_trim.h"
#include "chain.h"
#include "deadline.h"
#include "log.h"
#include "record_fields.h"
#include "spool.h"

#define SHIP_INTERVAL_MS	1000
/*
 * After a round that shipped something the thread lingers this long before
 * the next one, kicks or not: under load a round then ships the records of
 * many commits in one pipelined batch (one round trip, one cursor move)
 * instead of one record per kick.  Redis pays for each round as well as
 * for each record (most likely in caches the mail processes left cold):
 * on the benchmark (tests/bench/RESULTS.md), a 25 ms linger made rounds
 * of some 13 records and Redis took 85-93 us of CPU a message; at 200 ms,
 * some 65 records a round and 58-73 us, a third less against the
 * nullmilter's CPU in the same runs.  So the trail in Redis is up to a linger and a
 * round behind the spool; a first record after a quiet spell (no round
 * shipped in the last linger) goes at once.  spool_int.h sizes the
 * reader's in-memory window (SPOOL_RECENT) against this linger.
 */
#define SHIP_LINGER_MS		200
#define BACKOFF_FIRST_MS	250
#define BACKOFF_MAX_MS		5000

struct audit {
	struct spool *spool;
	struct audit_shipper *shipper;	/* used by the thread only */
	struct chain_head anchored;	/* the thread's last anchor */
	pthread_t thread;
	bool started;
	atomic_ullong shipped, ship_errors;	/* for audit_stat */

	pthread_mutex_t mu;		/* guards everything below */
	pthread_cond_t cv;
	struct cfg *cfg;		/* the Redis settings in force */
	bool kicked;
	bool reconfigured;
	bool stop;
	bool linger;			/* the last round shipped something */
	bool idle;			/* the thread waits for a kick: only then signal */
};

/* Waits for a kick, a stop or the interval (mutex held).  A kick does not
 * cut a back-off short: commits keep coming while Redis is down. */
static void audit_wait(struct audit *a, long ms, bool backing_off)
{
	if (a->linger && !backing_off) {
		struct timespec until = deadline_after_ms(CLOCK_MONOTONIC, SHIP_LINGER_MS);
		while (!a->stop)
			if (pthread_cond_timedwait(&a->cv, &a->mu, &until) == ETIMEDOUT)
				break;
	}
	struct timespec until = deadline_after_ms(CLOCK_MONOTONIC, ms);
	a->idle = !backing_off;	/* a kick does not end a back-off: no use waking */
	while (!a->stop && !(a->kicked && !backing_off))
		if (pthread_cond_timedwait(&a->cv, &a->mu, &until) == ETIMEDOUT)
			break;
	a->idle = false;
	a->kicked = false;
}

/* One shipping round outside the mutex; returns shipped count or -1. */
static long audit_round(struct audit *a, struct cfg *c, bool reconfigured, char *err, size_t errsize)
{
	if (reconfigured)
		audit_shipper_disconnect(a->shipper);
	return audit_shipper_run(a->shipper, a->spool, &c->redis, c->audit.stream_maxlen,
	    err, errsize);
}

/* Trims when retention is set and the last trim is old enough. */
static void audit_retention(struct cfg *c, struct timespec *last, bool *trimmed,
    struct trim_memo **memo)
{
	struct timespec now;
	char err[512] = "";
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->audit.retention <= 0 ||
	    (*trimmed && now.tv_sec - last->tv_sec < AUDIT_TRIM_INTERVAL))
		return;
	*last = now;
	*trimmed = true;
	long n = audit_trim(c, (long long)time(NULL) * 1000, memo, err, sizeof(err));
	if (n < 0)
		log_warnx("audit: cannot trim the streams to audit.retention (%ld days): %s",
		    c->audit.retention, err);
	else if (n > 0)
		log_info("audit: removed %ld stream entries older than %ld days (audit.retention)",
		    n, c->audit.retention);
}

/* Anchors the chain's head when the interval passed and the head moved since the last anchor. */
static void audit_anchor(struct audit *a, const struct cfg *c, struct timespec *last,
    struct chain_head *done)
{
	struct timespec now;
	struct chain_head h;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->audit.anchor_interval <= 0 || now.tv_sec - last->tv_sec < c->audit.anchor_interval)
		return;
	*last = now;
	if (!spool_chain_head(a->spool, &h) ||
	    (strcmp(h.id, done->id) == 0 && h.seq == done->seq))
		return;
	struct record *r = chain_anchor_record(&h, "daemon");
	if (r == NULL)
		return;
	log_notice("audit: %s", record_get(r, REC_SUMMARY));
	if (spool_commit(a->spool, &r, 1) != 0)
		log_warn("audit: cannot put the chain anchor in the spool");
	else
		*done = h;
	record_free(r);
}

/* With sentinels the master can change under the shipper: say where the trail goes now. */
static void audit_log_master(const struct audit_shipper *sh, const struct cfg_redis *rc,
    char *last, size_t size)
{
	const char *addr = audit_shipper_address(sh);
	if (rc->nsentinels == 0 || addr == NULL || strcmp(addr, last) == 0)
		return;
	log_notice("audit: shipping to Redis master %s (\"%s\", from the sentinels)", addr,
	    rc->master_name);
	snprintf(last, size, "%s", addr);
}

/*
 * A master without an append-only file loses, when it crashes or is
 * restarted, the records it took since its last snapshot, and the spool no
 * longer holds them: the trail would have a hole nobody is told about.
 * Said once per master this process ships to; the masters already named
 * are remembered (AUDIT_AOF_MASTERS of them, the oldest forgotten first),
 * so failovers back and forth between two do not repeat it.
 */
#define AUDIT_AOF_MASTERS	8

struct audit_aof_warned {
	char addr[AUDIT_AOF_MASTERS][320];
	size_t next;
};

static void audit_log_persistence(const struct audit_shipper *sh, struct audit_aof_warned *w)
{
	const char *addr = audit_shipper_address(sh);
	if (addr == NULL || audit_shipper_aof(sh) != 0)
		return;
	for (size_t i = 0; i < AUDIT_AOF_MASTERS; i++)
		if (strcmp(w->addr[i], addr) == 0)
			return;
	log_warnx("audit: Redis %s keeps the trail without an append-only file "
	    "(appendonly no): a crash or restart of it loses the records shipped since its "
	    "last snapshot, which the spool no longer holds; set \"appendonly yes\" "
	    "(README.md, \"Redis persistence\")", addr);
	snprintf(w->addr[w->next], sizeof(w->addr[0]), "%s", addr);
	w->next = (w->next + 1) % AUDIT_AOF_MASTERS;
}

/*
 * What is still in the spool for Redis: every record from the cursor to
 * the journals' end, this run's and those an earlier run left, counted as
 * "fwdguard-audit replay" will find them (the reader then rewinds).  Read
 * when an outage begins and at a stop with Redis down, not per retry.
 */
static size_t audit_pending(struct spool *s)
{
	struct record *r;
	size_t n = 0;

	while ((r = spool_next(s)) != NULL) {
		record_free(r);
		n++;
	}
	spool_rewind(s);
	return n;
}

static void *audit_thread(void *arg)
{
	struct audit *a = arg;
	bool down = false, trimmed = false;
	long backoff = 0;
	char err[512], master[320] = "";
	struct audit_aof_warned no_aof = { .next = 0 };
	struct timespec trim_last = { 0, 0 }, anchor_last;
	struct trim_memo *trim_memo = NULL;

	clock_gettime(CLOCK_MONOTONIC, &anchor_last);

	pthread_mutex_lock(&a->mu);
	for (;;) {
		audit_wait(a, backoff > 0 ? backoff : SHIP_INTERVAL_MS, backoff > 0);
		bool stopping = a->stop, reconf = a->reconfigured;
		struct cfg *c = cfg_ref(a->cfg);
		a->reconfigured = false;
		pthread_mutex_unlock(&a->mu);

		err[0] = '\0';
		long n = audit_round(a, c, reconf, err, sizeof(err));
		if (n < 0)
			atomic_fetch_add_explicit(&a->ship_errors, 1, memory_order_relaxed);
		else
			atomic_fetch_add_explicit(&a->shipped, (unsigned long long)n,
			    memory_order_relaxed);
		if (n >= 0) {
			audit_log_master(a->shipper, &c->redis, master, sizeof(master));
			audit_log_persistence(a->shipper, &no_aof);
		}
		if (n >= 0 && !stopping)
			audit_retention(c, &trim_last, &trimmed, &trim_memo);
		if (!stopping)
			audit_anchor(a, c, &anchor_last, &a->anchored);
		cfg_unref(c);
		if (n < 0) {
			if (!down)
				log_warnx("audit: cannot ship to Redis, records stay in the spool "
				    "(%zu waiting): %s", audit_pending(a->spool), err);
			down = true;
			backoff = backoff == 0 ? BACKOFF_FIRST_MS :
			    (backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2);
		} else {
			if (down)
				log_notice("audit: Redis is back, shipped %ld records from the spool", n);
			down = false;
			backoff = 0;
		}

		pthread_mutex_lock(&a->mu);
		a->linger = n > 0;
		if (stopping)
			break;
	}
	pthread_mutex_unlock(&a->mu);
	trim_memo_free(trim_memo);
	if (down)
		log_warnx("audit: stopping with %zu records not yet in Redis; they stay in the "
		    "spool for the next start or \"fwdguard-audit replay\"", audit_pending(a->spool));
	return NULL;
}

struct audit *audit_open(const struct cfg *c, char *err, size_t errsize)
{
	return audit_open_spool(c, c->audit.spool, err, errsize);
}

struct audit *audit_open_spool(const struct cfg *c, const char *dir, char *err, size_t errsize)
{
	struct audit *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errsize, "audit: out of memory");
		return NULL;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&a->mu, NULL);
	/* The snapshot is immutable; cfg_ref only counts, hence the cast. */
	a->cfg = cfg_ref((struct cfg *)c);

	a->spool = spool_open(dir, err, errsize);
	if (a->spool == NULL)
		goto fail;
	a->shipper = audit_shipper_new();
	if (a->shipper == NULL) {
		snprintf(err, errsize, "audit: out of memory");
		goto fail;
	}
	int rc = pthread_create(&a->thread, NULL, audit_thread, a);
	if (rc != 0) {
		snprintf(err, errsize, "audit: cannot start the shipper thread: %s", strerror(rc));
		goto fail;
	}
	a->started = true;
	return a;
fail:
	audit_close(a);
	return NULL;
}

static bool audit_has_ids(struct record *const *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *id = recs[i] != NULL ? record_get(recs[i], REC_ID) : NULL;
		if (id == NULL || id[0] == '\0')
			return false;
	}
	return true;
}

int audit_commit(struct audit *a, struct record *const *recs, size_t n)
{
	/* A record without an id could never be replayed exactly once. */
	if (a == NULL || !audit_has_ids(recs, n)) {
		audit_expect(a, false);
		errno = EINVAL;
		return -1;
	}
	if (spool_commit(a->spool, recs, n) != 0)
		return -1;
	/* A thread that is shipping or lingering sees the kick when it next
	 * waits; waking it for nothing cost a context switch per message. */
	pthread_mutex_lock(&a->mu);
	a->kicked = true;
	if (a->idle) {
		a->idle = false;	/* one wake-up is enough */
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

void audit_expect(struct audit *a, bool coming)
{
	if (a != NULL)
		spool_expect(a->spool, coming);
}

void audit_reconfigure(struct audit *a, const struct cfg *c)
{
	if (a == NULL || c == NULL)
		return;
	struct cfg *fresh = cfg_ref((struct cfg *)c);
	pthread_mutex_lock(&a->mu);
	struct cfg *old = a->cfg;
	a->cfg = fresh;
	a->reconfigured = true;
	a->kicked = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	cfg_unref(old);
}

void audit_stat(struct audit *a, struct audit_stat *out)
{
	struct spool_stat st;
	memset(out, 0, sizeof(*out));
	if (a == NULL)
		return;
	spool_stat(a->spool, &st);
	out->backlog = spool_backlog(a->spool);
	out->oldest_ms = audit_shipper_oldest(a->shipper);
	out->shipped = atomic_load_explicit(&a->shipped, memory_order_relaxed);
	out->ship_errors = atomic_load_explicit(&a->ship_errors, memory_order_relaxed);
	out->commit_failures = st.failures;
}

/* What group commit and pipelining saved, for the operator and tests/bench/run. */
static void audit_log_counts(struct audit *a)
{
	struct spool_stat st;
	unsigned long long shipped, trips;
	spool_stat(a->spool, &st);
	audit_shipper_counts(a->shipper, &shipped, &trips);
	if (st.records == 0)
		return;
	log_info("audit: spool: %llu records in %llu syncs (%.3f syncs per record, "
	    "%llu direct writes); %llu records shipped in %llu round trips", st.records,
	    st.syncs, (double)st.syncs / (double)st.records, st.direct, shipped, trips);
}

void audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
		audit_log_counts(a);
	}
	audit_shipper_free(a->shipper);
	spool_close(a->spool);
	cfg_unref(a->cfg);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
