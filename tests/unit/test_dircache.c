/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_dircache.c - the directory cache (milter/directory/dircache.c) against a fake
 * backend: TTLs, negative TTL, stale answers during an outage, one query
 * in flight per key, bounded size, flush.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dircache.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define STEPS_MAX	8

/* The fake directory: answers what it is told, counts the questions. */
struct fake {
	pthread_mutex_t lock;
	enum dir_status answer;
	const char *value;	/* the one value of a found answer */
	unsigned calls;
	useconds_t delay;	/* to hold a query in flight */
};

static enum dir_status
fake_lookup(void *ctx, enum dir_kind kind, const char *key, struct dir_values *out)
{
	struct fake *f = ctx;
	enum dir_status st;

	pthread_mutex_lock(&f->lock);
	f->calls++;
	st = f->answer;
	pthread_mutex_unlock(&f->lock);
	if (f->delay > 0)
		usleep(f->delay);
	if (st == DIR_FOUND) {
		out->v = calloc(1, sizeof(char *));
		out->v[0] = strdup(f->value);
		out->n = 1;
	}
	return st;
}

static struct fake *
fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	pthread_mutex_init(&f->lock, NULL);
	f->value = "partner@consult.example";
	return f;
}

/* One lookup of a scenario: at time t the backend would say answer. */
struct step {
	time_t t;
	enum dir_status answer;
	const char *key;	/* NULL: "support@corp.example" */
	enum dir_status want;
	unsigned want_calls;	/* backend calls so far */
	bool want_stale;
	bool flush_before;
};

struct scenario {
	const char *name;
	long ttl, negative_ttl, stale_max;
	size_t max;
	struct step steps[STEPS_MAX];
	size_t nsteps;
};

static const struct scenario scenarios[] = {
	{ "found answer is served from the cache until ttl, then asked again", 300, 60, 3000, 0, {
		{ 1000, DIR_FOUND, NULL, DIR_FOUND, 1, false, false },
		{ 1299, DIR_FOUND, NULL, DIR_FOUND, 1, false, false },
		{ 1300, DIR_FOUND, NULL, DIR_FOUND, 2, false, false },
	}, 3 },
	{ "not found is kept for negative_ttl only", 300, 60, 3000, 0, {
		{ 1000, DIR_NOTFOUND, NULL, DIR_NOTFOUND, 1, false, false },
		{ 1059, DIR_FOUND, NULL, DIR_NOTFOUND, 1, false, false },
		{ 1060, DIR_FOUND, NULL, DIR_FOUND, 2, false, false },
	}, 3 },
	{ "try again is never cached", 300, 60, 3000, 0, {
		{ 1000, DIR_TRYAGAIN, NULL, DIR_TRYAGAIN, 1, false, false },
		{ 1000, DIR_TRYAGAIN, NULL, DIR_TRYAGAIN, 2, false, false },
		{ 1001, DIR_FOUND, NULL, DIR_FOUND, 3, false, false },
	}, 3 },
	{ "expired answer is served stale during an outage, for stale_max only", 300, 60, 3000, 0, {
		{ 1000, DIR_FOUND, NULL, DIR_FOUND, 1, false, false },
		{ 1400, DIR_TRYAGAIN, NULL, DIR_FOUND, 2, true, false },
		{ 4300, DIR_TRYAGAIN, NULL, DIR_FOUND, 3, true, false },
		{ 4301, DIR_TRYAGAIN, NULL, DIR_TRYAGAIN, 4, false, false },
	}, 4 },
	{ "a not-found answer is served stale too (never turned into found)", 300, 60, 3000, 0, {
		{ 1000, DIR_NOTFOUND, NULL, DIR_NOTFOUND, 1, false, false },
		{ 1100, DIR_TRYAGAIN, NULL, DIR_NOTFOUND, 2, true, false },
	}, 2 },
	{ "an answer after the outage replaces the stale one", 300, 60, 3000, 0, {
		{ 1000, DIR_FOUND, NULL, DIR_FOUND, 1, false, false },
		{ 1400, DIR_TRYAGAIN, NULL, DIR_FOUND, 2, true, false },
		{ 1500, DIR_NOTFOUND, NULL, DIR_NOTFOUND, 3, false, false },
		{ 1501, DIR_FOUND, NULL, DIR_NOTFOUND, 3, false, false },
	}, 4 },
	{ "flush forgets every answer, stale ones included", 300, 60, 3000, 0, {
		{ 1000, DIR_FOUND, NULL, DIR_FOUND, 1, false, false },
		{ 1001, DIR_FOUND, NULL, DIR_FOUND, 2, false, true },
		{ 1400, DIR_TRYAGAIN, NULL, DIR_FOUND, 3, true, false },
		{ 1400, DIR_TRYAGAIN, NULL, DIR_TRYAGAIN, 4, false, true },
	}, 4 },
	{ "the oldest answer is evicted when the cache is full", 300, 60, 3000, 2, {
		{ 1000, DIR_FOUND, "a@corp.example", DIR_FOUND, 1, false, false },
		{ 1001, DIR_FOUND, "b@corp.example", DIR_FOUND, 2, false, false },
		{ 1002, DIR_FOUND, "c@corp.example", DIR_FOUND, 3, false, false },
		{ 1003, DIR_FOUND, "c@corp.example", DIR_FOUND, 3, false, false },
		{ 1003, DIR_FOUND, "b@corp.example", DIR_FOUND, 3, false, false },
		{ 1004, DIR_FOUND, "a@corp.example", DIR_FOUND, 4, false, false },
	}, 6 },
};

static const char *
status_name(enum dir_status st)
{
	return st == DIR_FOUND ? "found" : st == DIR_NOTFOUND ? "not found" : "try again";
}

static void
test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		struct fake *f = fake_new();
		struct dircache_backend b = { f, fake_lookup };
		struct dircache *c = dircache_new(sc->max);

		dircache_set_ttl(c, sc->ttl, sc->negative_ttl, sc->stale_max);
		for (size_t s = 0; s < sc->nsteps; s++) {
			const struct step *st = &sc->steps[s];
			struct dir_values v;
			enum dir_status got;
			bool stale;

			if (st->flush_before)
				dircache_flush(c);
			f->answer = st->answer;
			got = dircache_get(c, &b, DIR_KIND_FORWARDS,
			    st->key != NULL ? st->key : "support@corp.example", st->t, &v, &stale);
			if (got != st->want || f->calls != st->want_calls || stale != st->want_stale)
				fail_msg("%s, step %zu: got %s, %u calls, stale %d; want %s, %u calls, "
				    "stale %d", sc->name, s + 1, status_name(got), f->calls, stale,
				    status_name(st->want), st->want_calls, st->want_stale);
			if (got == DIR_FOUND && (v.n != 1 || strcmp(v.v[0], f->value) != 0))
				fail_msg("%s, step %zu: got %zu values, want the one value", sc->name,
				    s + 1, v.n);
			dir_values_free(&v);
		}
		if (sc->max != 0 && dircache_size(c) > sc->max)
			fail_msg("%s: got %zu entries, want at most %zu", sc->name, dircache_size(c),
			    sc->max);
		dircache_free(c);
		free(f);
	}
}

static void
test_kinds_are_separate_questions(void **state)
{
	struct fake *f = fake_new();
	struct dircache_backend b = { f, fake_lookup };
	struct dircache *c = dircache_new(0);
	struct dir_values v;

	(void)state;
	f->answer = DIR_NOTFOUND;
	dircache_get(c, &b, DIR_KIND_FORWARDS, "support@corp.example", 1000, &v, NULL);
	f->answer = DIR_FOUND;
	if (dircache_get(c, &b, DIR_KIND_PROTECTED, "support@corp.example", 1000, &v, NULL) !=
	    DIR_FOUND || f->calls != 2)
		fail_msg("protected after forwards: got %u calls, want 2 and found", f->calls);
	dir_values_free(&v);
	dircache_free(c);
	free(f);
}

/* peek: the last answer held, whatever its age, and never a backend call. */
static void
test_peek_never_asks(void **state)
{
	struct fake *f = fake_new();
	struct dircache_backend b = { f, fake_lookup };
	struct dircache *c = dircache_new(0);
	struct dir_values v;

	(void)state;
	dircache_set_ttl(c, 1, 1, 0);
	if (dircache_peek(c, DIR_KIND_FORWARDS, "support@corp.example") != DIR_TRYAGAIN)
		fail_msg("nothing held: want try again");
	f->answer = DIR_FOUND;
	dircache_get(c, &b, DIR_KIND_FORWARDS, "support@corp.example", 1000, &v, NULL);
	dir_values_free(&v);
	f->answer = DIR_NOTFOUND;
	dircache_get(c, &b, DIR_KIND_FORWARDS, "nobody@corp.example", 1000, &v, NULL);
	f->answer = DIR_TRYAGAIN;
	dircache_get(c, &b, DIR_KIND_FORWARDS, "down@corp.example", 1000, &v, NULL);
	if (dircache_peek(c, DIR_KIND_FORWARDS, "support@corp.example") != DIR_FOUND ||
	    dircache_peek(c, DIR_KIND_FORWARDS, "nobody@corp.example") != DIR_NOTFOUND ||
	    dircache_peek(c, DIR_KIND_FORWARDS, "down@corp.example") != DIR_TRYAGAIN ||
	    dircache_peek(c, DIR_KIND_PROTECTED, "support@corp.example") != DIR_TRYAGAIN)
		fail_msg("peek: found / not found / try again / other kind not as held");
	if (f->calls != 3)
		fail_msg("peek asked the backend: %u calls, want 3", f->calls);
	dircache_flush(c);
	if (dircache_peek(c, DIR_KIND_FORWARDS, "support@corp.example") != DIR_TRYAGAIN)
		fail_msg("after a flush: want try again");
	dircache_free(c);
	free(f);
}

/* ---- single flight --------------------------------------------------------- */

#define FLIGHT_THREADS	8

struct flight {
	struct dircache *c;
	struct dircache_backend *b;
	enum dir_status got;
	size_t nvalues;
};

static void *
flight_run(void *arg)
{
	struct flight *fl = arg;
	struct dir_values v;

	fl->got = dircache_get(fl->c, fl->b, DIR_KIND_FORWARDS, "support@corp.example", 1000,
	    &v, NULL);
	fl->nvalues = v.n;
	dir_values_free(&v);
	return NULL;
}

static void
flight_check(enum dir_status answer, const char *name)
{
	struct fake *f = fake_new();
	struct dircache_backend b = { f, fake_lookup };
	struct dircache *c = dircache_new(0);
	struct flight fl[FLIGHT_THREADS];
	pthread_t tid[FLIGHT_THREADS];

	f->answer = answer;
	f->delay = 200000;
	for (size_t i = 0; i < FLIGHT_THREADS; i++) {
		fl[i] = (struct flight){ c, &b, DIR_NOTFOUND, 0 };
		pthread_create(&tid[i], NULL, flight_run, &fl[i]);
	}
	for (size_t i = 0; i < FLIGHT_THREADS; i++)
		pthread_join(tid[i], NULL);
	if (f->calls != 1)
		fail_msg("%s: got %u backend calls for %d concurrent lookups, want 1", name,
		    f->calls, FLIGHT_THREADS);
	for (size_t i = 0; i < FLIGHT_THREADS; i++)
		if (fl[i].got != answer || (answer == DIR_FOUND && fl[i].nvalues != 1))
			fail_msg("%s: thread %zu got %s, want %s", name, i, status_name(fl[i].got),
			    status_name(answer));
	dircache_free(c);
	free(f);
}

static void
test_concurrent_lookups_share_one_query(void **state)
{
	(void)state;
	flight_check(DIR_FOUND, "found");
	flight_check(DIR_NOTFOUND, "not found");
	flight_check(DIR_TRYAGAIN, "try again");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_kinds_are_separate_questions),
		cmocka_unit_test(test_peek_never_asks),
		cmocka_unit_test(test_concurrent_lookups_share_one_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
