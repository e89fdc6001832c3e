/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_spool_gather.c - the group commit's gathering (spool_expect): a
 * leader waits, briefly, for the commits announced before it, so that they
 * share one sync; a commit announced and never made costs a bounded wait.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"
#include "spool_dir.h"

static int setup(void **state)
{
	char *dir = calloc(1, SPOOL_DIR_MAX);
	if (dir == NULL || spool_dir_make(dir) != 0)
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	spool_dir_remove(*state);
	free(*state);
	return 0;
}

static int commit_one(struct spool *s, const char *id)
{
	struct record *r = record_new("decision");
	assert_non_null(r);
	assert_int_equal(record_set(r, "id", id), 0);
	int rc = spool_commit(s, &r, 1);
	record_free(r);
	return rc;
}

struct writer {
	struct spool *s;
	int rc;
};

static void *writer(void *p)
{
	struct writer *w = p;
	/* As the daemon does: every message announces its commit. */
	spool_expect(w->s, true);
	w->rc = commit_one(w->s, "early");
	return NULL;
}

static unsigned long long commits_of(struct spool *s)
{
	struct spool_stat st;
	spool_stat(s, &st);
	return st.commits;
}

/*
 * A commit announced before the leader started is waited for and shares
 * its sync.  The wait is short (SPOOL_GATHER_MS), and a busy machine may
 * deschedule this thread longer: one sharing in a few tries is the proof.
 */
static void test_announced_commit_shares_the_sync(void **state)
{
	struct spool *s = spool_dir_open(*state);
	bool shared = false;
	for (int try = 0; try < 20 && !shared; try++) {
		struct spool_stat before, after;
		spool_stat(s, &before);
		spool_expect(s, true);
		struct writer w = { .s = s };
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, writer, &w), 0);
		for (int i = 0; i < 100000 && commits_of(s) == before.commits; i++)
			sched_yield();
		assert_int_equal(commit_one(s, "announced"), 0);
		pthread_join(th, NULL);
		assert_int_equal(w.rc, 0);
		spool_stat(s, &after);
		assert_int_equal(after.records - before.records, 2);
		shared = after.syncs - before.syncs == 1;
	}
	if (!shared)
		fail_msg("an announced commit never shared the leader's sync in 20 tries");
	spool_close(s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Runs 200 rounds of ROUND on a spool on tmpfs (fast syncs, so that 200
 * gathering waits stand out) and returns the seconds they took, or -1
 * when there is no tmpfs to try on.
 */
static double timed_rounds(void (*round)(struct spool *, int))
{
	char dir[] = "/dev/shm/spooltest.XXXXXX";
	if (mkdtemp(dir) == NULL)
		return -1;
	struct spool *s = spool_dir_open(dir);
	double t0 = now_s();
	for (int i = 0; i < 200; i++)
		round(s, i);
	double took = now_s() - t0;
	struct spool_stat st;
	spool_stat(s, &st);
	assert_int_equal(st.records, 200);
	spool_close(s);
	spool_dir_remove(dir);
	return took;
}

static void commit_numbered(struct spool *s, int i)
{
	char id[16];
	snprintf(id, sizeof(id), "id%03d", i);
	assert_int_equal(commit_one(s, id), 0);
}

/* One announcement, before the first commit, that no commit of its own follows. */
static void round_after_lost_announcement(struct spool *s, int i)
{
	if (i == 0)
		spool_expect(s, true);
	commit_numbered(s, i);
}

/* Two messages announce; one commits nothing, the other one record. */
static void round_with_empty_commit(struct spool *s, int i)
{
	struct record *none[1] = { NULL };
	spool_expect(s, true);
	spool_expect(s, true);
	assert_int_equal(spool_commit(s, none, 0), 0);
	commit_numbered(s, i);
}

/*
 * Fails when the 200 rounds were slow: 200 gathering waits take at least
 * 200 * SPOOL_GATHER_MS, the commits alone far less on tmpfs.
 */
static void assert_rounds_fast(void (*round)(struct spool *, int), const char *why)
{
	double took = timed_rounds(round);
	if (took < 0)
		skip();
	if (took >= 100 * SPOOL_GATHER_MS / 1000.0)
		fail_msg("200 commits took %.3f s: %s", took, why);
}

/* An announcement never followed by its commit delays one batch, not every batch after it. */
static void test_commit_never_made_costs_one_wait(void **state)
{
	(void)state;
	assert_rounds_fast(round_after_lost_announcement,
	    "the lost announcement is waited for every time");
}

/*
 * A commit of no records settles its announcement like any other commit:
 * the other message's leader must not wait for it.
 */
static void test_empty_commit_settles_its_announcement(void **state)
{
	(void)state;
	assert_rounds_fast(round_with_empty_commit,
	    "the empty commits' announcements were waited for");
}

/* Called off: the leader does not wait for it at all. */
static void test_called_off_commit_is_not_waited_for(void **state)
{
	struct spool *s = spool_dir_open(*state);
	spool_expect(s, true);
	spool_expect(s, false);
	spool_expect(s, false);	/* one too many: harmless */
	assert_int_equal(commit_one(s, "alone"), 0);
	struct spool_stat st;
	spool_stat(s, &st);
	assert_int_equal(st.syncs, 1);
	assert_int_equal(st.records, 1);
	spool_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_announced_commit_shares_the_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_never_made_costs_one_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_commit_settles_its_announcement, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_called_off_commit_is_not_waited_for, setup,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
