/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_spool.c - the durable journal: commit/next/ack, group commit under
 * concurrency, cursor persistence, torn lines, rotation, the reader lock,
 * and failure to write (never reported as success); each case with direct
 * writes and again with buffered ones.
 *
 * Spools are created under the current directory (the build tree) rather
 * than /tmp, so that fdatasync is a real disk sync as in production.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"
#include "spool_dir.h"

static struct record *make_rec(const char *id)
{
	struct record *r = record_new("decision");
	assert_non_null(r);
	assert_int_equal(record_set(r, "id", id), 0);
	assert_int_equal(record_set(r, "mailbox", "support@corp.example"), 0);
	return r;
}

static void commit_ids(struct spool *s, int from, int to)
{
	char id[32];
	for (int i = from; i < to; i++) {
		snprintf(id, sizeof(id), "id%04d", i);
		struct record *r = make_rec(id);
		if (spool_commit(s, &r, 1) != 0)
			fail_msg("commit %s: %s", id, strerror(errno));
		record_free(r);
	}
}

/* Reads until NULL; checks ids are "id<from>".."id<to-1>" in order. */
static void expect_next_id(struct spool *s, const char *want)
{
	struct record *r = spool_next(s);
	if (r == NULL)
		fail_msg("next: got NULL (errno %d), want %s", errno, want);
	const char *got = record_get(r, "id");
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("next: got %s, want %s", got ? got : "(no id)", want);
	record_free(r);
}

/* The records the reader skipped as damaged so far. */
static void expect_skipped(struct spool *s, unsigned long long want)
{
	struct spool_stat st;
	spool_stat(s, &st);
	assert_int_equal(st.skipped, want);
}

static void expect_ids(struct spool *s, int from, int to)
{
	char want[32];
	for (int i = from; i < to; i++) {
		snprintf(want, sizeof(want), "id%04d", i);
		expect_next_id(s, want);
	}
	struct record *extra = spool_next(s);
	if (extra != NULL)
		fail_msg("next: got %s, want end of spool", record_get(extra, "id"));
	assert_int_equal(errno, 0);
}

static int count_journals(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "journal-", 8) == 0)
			n++;
	closedir(d);
	return n;
}

/* Path of the newest journal, for tests that damage it. */
static void newest_journal(const char *dir, char *out, size_t size)
{
	DIR *d = opendir(dir);
	char best[256] = "";
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "journal-", 8) == 0 && strcmp(de->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", de->d_name);
	closedir(d);
	assert_true(best[0] != '\0');
	snprintf(out, size, "%s/%s", dir, best);
}

/* Where a journal's lines end: its first NUL (the zeros written ahead), or its size. */
static off_t lines_end(const char *path)
{
	char buf[4096];
	off_t off = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	while ((got = pread(fd, buf, sizeof(buf), off)) > 0) {
		char *nul = memchr(buf, '\0', (size_t)got);
		if (nul != NULL) {
			off += nul - buf;
			break;
		}
		off += got;
	}
	close(fd);
	return off;
}

/* Writes bytes where the journal's lines end, over the zeros, as a crash would leave them. */
static void append_raw(const char *path, const char *bytes)
{
	off_t end = lines_end(path);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, strlen(bytes), end), (ssize_t)strlen(bytes));
	close(fd);
}

static void test_commit_next_ack_round_trip(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	struct record *recs[3] = { make_rec("id0000"), make_rec("id0001"), make_rec("id0002") };
	assert_int_equal(spool_commit(s, recs, 3), 0);
	for (int i = 0; i < 3; i++)
		record_free(recs[i]);
	assert_int_equal(spool_backlog(s), 3);

	expect_ids(s, 0, 3);
	assert_int_equal(spool_ack(s), 0);
	assert_int_equal(spool_backlog(s), 0);
	expect_ids(s, 3, 3);
	spool_close(s);
}

static void test_rewind_returns_unacked_records_again(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 4);
	struct record *r = spool_next(s);
	record_free(r);
	assert_int_equal(spool_ack(s), 0);
	r = spool_next(s);
	record_free(r);
	spool_rewind(s);
	expect_ids(s, 1, 4);
	spool_close(s);
}

static void test_cursor_survives_reopen(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 5);
	for (int i = 0; i < 2; i++)
		record_free(spool_next(s));
	assert_int_equal(spool_ack(s), 0);
	record_free(spool_next(s));	/* read but never acknowledged */
	spool_close(s);

	s = spool_dir_open(f->dir);
	expect_ids(s, 2, 5);
	assert_int_equal(spool_ack(s), 0);
	spool_close(s);

	s = spool_dir_open(f->dir);
	expect_ids(s, 5, 5);
	commit_ids(s, 5, 7);
	expect_ids(s, 5, 7);
	spool_close(s);
}

static void write_victim(const char *victim)
{
	FILE *v = fopen(victim, "w");
	assert_non_null(v);
	fputs("precious", v);
	fclose(v);
}

static void expect_victim_intact(const char *victim)
{
	char buf[16] = "";
	FILE *v = fopen(victim, "r");
	assert_non_null(v);
	assert_non_null(fgets(buf, sizeof(buf), v));
	fclose(v);
	remove(victim);
	assert_string_equal(buf, "precious");
}

/*
 * A link planted as the cursor (the spool directory belongs to the
 * daemon's user, a tool may run as root) is replaced, never written
 * through: a symbolic link, or a hard link to a file elsewhere.
 */
static void test_planted_cursor_link_is_not_followed(void **state)
{
	struct spool_fixture *f = *state;
	char victim[128], planted[128];
	snprintf(victim, sizeof(victim), "%s.victim", f->dir);
	snprintf(planted, sizeof(planted), "%s/cursor", f->dir);
	for (int hard = 0; hard < 2; hard++) {
		write_victim(victim);
		remove(planted);
		if (hard) {
			assert_int_equal(link(victim, planted), 0);
		} else {
			char *abs = realpath(victim, NULL);
			assert_non_null(abs);
			assert_int_equal(symlink(abs, planted), 0);
			free(abs);
		}
		struct spool *s = spool_dir_open(f->dir);
		commit_ids(s, 2 * hard, 2 * hard + 2);
		/* A link in the cursor's place is no cursor: reading starts over. */
		expect_ids(s, 0, 2 * hard + 2);
		assert_int_equal(spool_ack(s), 0);
		spool_close(s);
		expect_victim_intact(victim);
		s = spool_dir_open(f->dir);
		expect_ids(s, 2 * hard + 2, 2 * hard + 2);
		spool_close(s);
	}
}

/*
 * Commits 0-1, reopens (after trimming the journal to its lines when
 * legacy: an older fwdguard's, not written ahead), commits 2-3: a journal
 * is never continued, so that makes two, and the four records read in order.
 */
static void reopen_and_commit(struct spool_fixture *f, bool legacy)
{
	char path[512];
	struct stat st;
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 2);
	spool_close(s);
	newest_journal(f->dir, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	if (st.st_size <= lines_end(path))
		fail_msg("journal of %lld bytes, lines end at %lld: not written ahead",
		    (long long)st.st_size, (long long)lines_end(path));
	if (legacy)
		assert_int_equal(truncate(path, lines_end(path)), 0);
	s = spool_dir_open(f->dir);
	commit_ids(s, 2, 4);
	int n = count_journals(f->dir);
	if (n != 2)
		fail_msg("got %d journals after a reopen, want 2", n);
	expect_ids(s, 0, 4);
	spool_close(s);
}

static void test_reopen_starts_a_new_journal(void **state)
{
	reopen_and_commit(*state, false);
}

static void test_reopen_starts_a_new_journal_after_a_legacy_one(void **state)
{
	reopen_and_commit(*state, true);
}

/*
 * A hole in a finished journal (zeros a crash or a repair left in the
 * middle of a line) costs that line only: the reader, which stops at a NUL
 * in the journal being written, reads on past one in an older journal.
 */
static void test_hole_in_an_older_journal_costs_one_line(void **state)
{
	struct spool_fixture *f = *state;
	char path[512], buf[4096];
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 3);
	spool_close(s);
	newest_journal(f->dir, path, sizeof(path));
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	char *rec1 = memmem(buf, (size_t)n, "id0001", 6);
	assert_non_null(rec1);
	static const char zeros[8];
	assert_int_equal(pwrite(fd, zeros, sizeof(zeros), rec1 - buf), (ssize_t)sizeof(zeros));
	close(fd);

	s = spool_dir_open(f->dir);
	commit_ids(s, 3, 4);
	expect_next_id(s, "id0000");
	expect_next_id(s, "id0002");
	expect_next_id(s, "id0003");
	assert_null(spool_next(s));
	expect_skipped(s, 1);
	spool_close(s);
}

/*
 * A reader in another process ("fwdguard-audit replay" beside the daemon)
 * reads up to the file's size, which includes the zeros: it must stop at
 * them and find the lines written over them later, not skip the zeros as
 * one overlong line.
 */
static void test_other_reader_stops_at_the_zeros(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *w = spool_dir_open(f->dir);
	commit_ids(w, 0, 2);
	struct spool *r = spool_dir_open(f->dir);
	expect_ids(r, 0, 2);
	assert_int_equal(spool_ack(r), 0);
	commit_ids(w, 2, 5);
	expect_ids(r, 2, 5);
	assert_int_equal(spool_ack(r), 0);
	spool_close(r);
	spool_close(w);
}

/*
 * The cursor file is "<seq> <offset>" padded to one fixed width, so that
 * rewriting it in place never leaves a longer old one's tail behind; shell
 * and Python readers split it on blanks.
 */
static void test_cursor_is_two_numbers_in_fixed_width(void **state)
{
	struct spool_fixture *f = *state;
	char path[512], journal[512], buf[128] = "";
	struct stat st;
	snprintf(path, sizeof(path), "%s/cursor", f->dir);
	struct spool *s = spool_dir_open(f->dir);
	for (int round = 0; round < 2; round++) {
		commit_ids(s, 3 * round, 3 * round + 3);
		expect_ids(s, 3 * round, 3 * round + 3);
		assert_int_equal(spool_ack(s), 0);
		newest_journal(f->dir, journal, sizeof(journal));
		assert_int_equal(stat(journal, &st), 0);
		FILE *c = fopen(path, "r");
		assert_non_null(c);
		size_t n = fread(buf, 1, sizeof(buf) - 1, c);
		fclose(c);
		buf[n] = '\0';
		unsigned long long seq;
		long long off;
		char nl;
		assert_int_equal(n, 42);
		assert_int_equal(sscanf(buf, "%llu %lld %c", &seq, &off, &nl), 2);
		assert_int_equal(seq, 1);
		assert_int_equal(off, (long long)lines_end(journal));
		assert_true(off < (long long)st.st_size);	/* written ahead */
		assert_int_equal(buf[41], '\n');
	}
	spool_close(s);
}

/* Every record "tTT-IIII" is there once, each thread's in its own order. */
static void expect_threads_in_order(struct spool *s, int threads, int each)
{
	int seen[64] = { 0 };
	struct record *r;
	assert_true(threads <= 64);
	while ((r = spool_next(s)) != NULL) {
		int t, i;
		if (sscanf(record_get(r, "id"), "t%d-%d", &t, &i) != 2 || t < 0 || t >= threads)
			fail_msg("unexpected id %s", record_get(r, "id"));
		if (i != seen[t])
			fail_msg("thread %d: got record %d, want %d", t, i, seen[t]);
		seen[t]++;
		record_free(r);
	}
	for (int t = 0; t < threads; t++)
		if (seen[t] != each)
			fail_msg("thread %d: got %d records back, want %d", t, seen[t], each);
}

struct worker_arg {
	struct spool *s;
	int tid;
	int n;
	pthread_barrier_t *start;
	int failures;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	char id[32];
	pthread_barrier_wait(a->start);
	for (int i = 0; i < a->n; i++) {
		snprintf(id, sizeof(id), "t%02d-%04d", a->tid, i);
		struct record *r = make_rec(id);
		if (spool_commit(a->s, &r, 1) != 0)
			a->failures++;
		record_free(r);
	}
	return NULL;
}

static void test_concurrent_commits_share_syncs(void **state)
{
	enum { THREADS = 16, EACH = 25 };
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	pthread_t th[THREADS];
	struct worker_arg args[THREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, THREADS);
	for (int t = 0; t < THREADS; t++) {
		args[t] = (struct worker_arg){ .s = s, .tid = t, .n = EACH, .start = &start };
		assert_int_equal(pthread_create(&th[t], NULL, worker, &args[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(args[t].failures, 0);
	}
	pthread_barrier_destroy(&start);

	struct spool_stat st;
	spool_stat(s, &st);
	if (st.records != THREADS * EACH || st.commits != THREADS * EACH)
		fail_msg("got %llu records in %llu commits, want %d", st.records, st.commits,
		    THREADS * EACH);
	if (st.syncs == 0 || st.syncs >= st.records)
		fail_msg("got %llu syncs for %llu records, want fewer syncs than records",
		    st.syncs, st.records);

	expect_threads_in_order(s, THREADS, EACH);
	spool_close(s);
}

/* Holds the first batch back until every writer has queued its records. */
struct hold {
	struct spool *s;
	unsigned long long want;	/* commits queued before the first write */
	int calls;
	bool timed_out;
};

static void hold_first_batch(void *arg)
{
	struct hold *h = arg;
	if (h->calls++ > 0)
		return;
	for (int i = 0; i < 10000; i++) {	/* bounded: 10 s at most */
		struct spool_stat st;
		spool_stat(h->s, &st);
		if (st.commits >= h->want)
			return;
		usleep(1000);
	}
	h->timed_out = true;
}

struct batch_writer {
	struct spool *s;
	int tid;
	int failures;
};

static void *batch_writer(void *p)
{
	struct batch_writer *a = p;
	struct record *recs[3];
	char id[32];
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "t%02d-%04d", a->tid, i);
		recs[i] = make_rec(id);
	}
	if (spool_commit(a->s, recs, 3) != 0)
		a->failures++;
	for (int i = 0; i < 3; i++)
		record_free(recs[i]);
	return NULL;
}

/*
 * Group commit, without relying on timing: the first leader is held until
 * every other writer queued behind it, so all of those share one sync.
 * N writers, two syncs; every record durable, each commit's in its order.
 */
static void test_queued_writers_share_one_sync(void **state)
{
	enum { THREADS = 8 };
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	struct hold h = { .s = s, .want = THREADS };
	spool_set_sync_hook(s, hold_first_batch, &h);
	pthread_t th[THREADS];
	struct batch_writer args[THREADS];
	for (int t = 0; t < THREADS; t++) {
		args[t] = (struct batch_writer){ .s = s, .tid = t };
		assert_int_equal(pthread_create(&th[t], NULL, batch_writer, &args[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(args[t].failures, 0);
	}
	assert_false(h.timed_out);
	struct spool_stat st;
	spool_stat(s, &st);
	if (st.records != 3 * THREADS || st.syncs != 2 || h.calls != 2)
		fail_msg("got %llu records in %llu syncs (%d batches), want %d in 2", st.records,
		    st.syncs, h.calls, 3 * THREADS);
	spool_set_sync_hook(s, NULL, NULL);

	expect_threads_in_order(s, THREADS, 3);
	spool_close(s);
}

/* Holds the first batch between its write and its sync until released. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, released;
};

static void gate_hold(void *arg)
{
	struct gate *g = arg;
	pthread_mutex_lock(&g->mu);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->released)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

struct one_writer {
	struct spool *s;
	int rc;
};

static void *one_writer(void *p)
{
	struct one_writer *w = p;
	struct record *r = make_rec("id0001");
	w->rc = spool_commit(w->s, &r, 1);
	record_free(r);
	return NULL;
}

/*
 * A record written but not yet synced is not shipped: a power cut could
 * still take it from the journal after Redis has it and the cursor moved
 * past it.
 */
static void test_unsynced_record_is_not_read(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 1);
	struct gate g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	spool_set_sync_hook(s, gate_hold, &g);
	struct one_writer w = { .s = s, .rc = -1 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, one_writer, &w), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.entered)	/* the writer always reaches the hook */
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);

	struct record *early = NULL, *r;
	while ((r = spool_next(s)) != NULL) {	/* bounded: two records at most */
		if (strcmp(record_get(r, "id"), "id0001") == 0)
			early = r;
		else
			record_free(r);
	}
	pthread_mutex_lock(&g.mu);
	g.released = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(th, NULL);
	spool_set_sync_hook(s, NULL, NULL);
	if (early != NULL) {
		record_free(early);
		fail_msg("next returned id0001 before its sync completed");
	}
	assert_int_equal(w.rc, 0);
	expect_ids(s, 1, 2);
	spool_close(s);
}

/*
 * A power cut can keep the cursor's last move and lose the journal's
 * tail.  The reader must then start that journal over, or the records
 * appended after the restart (below the cursor) would never be shipped.
 */
static void test_cursor_past_journal_end_starts_over(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 4);
	expect_ids(s, 0, 4);
	assert_int_equal(spool_ack(s), 0);
	spool_close(s);

	char path[SPOOL_DIR_MAX + 64];
	newest_journal(f->dir, path, sizeof(path));
	assert_int_equal(truncate(path, 0), 0);

	s = spool_dir_open(f->dir);
	commit_ids(s, 4, 7);
	expect_ids(s, 4, 7);
	assert_int_equal(spool_ack(s), 0);
	spool_close(s);
}

static void test_torn_last_line_is_ignored(void **state)
{
	struct spool_fixture *f = *state;
	char path[512];
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 2);
	spool_close(s);
	newest_journal(f->dir, path, sizeof(path));
	append_raw(path, "kind=decision\tid=torn\tmailbox=supp");

	s = spool_dir_open(f->dir);
	expect_ids(s, 0, 2);
	assert_int_equal(spool_ack(s), 0);
	/* The writer must not glue new lines onto the torn tail. */
	commit_ids(s, 2, 4);
	assert_int_equal(count_journals(f->dir), 2);
	expect_ids(s, 2, 4);
	assert_int_equal(spool_ack(s), 0);
	spool_close(s);
}

static void test_damaged_line_is_skipped(void **state)
{
	struct spool_fixture *f = *state;
	char path[512];
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 1);
	spool_close(s);
	newest_journal(f->dir, path, sizeof(path));
	append_raw(path, "this is not a record\n");
	s = spool_dir_open(f->dir);
	commit_ids(s, 1, 2);
	expect_ids(s, 0, 2);
	expect_skipped(s, 1);
	spool_close(s);
}

static void test_rotation_and_shipped_journals_removed(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	spool_set_rotate_size(s, 200);
	commit_ids(s, 0, 20);
	int before = count_journals(f->dir);
	if (before < 3)
		fail_msg("got %d journals after 20 records with 200-byte rotation, want >= 3", before);
	expect_ids(s, 0, 20);
	assert_int_equal(spool_ack(s), 0);
	int after = count_journals(f->dir);
	if (after != 1)
		fail_msg("got %d journals after everything was acknowledged, want 1", after);
	commit_ids(s, 20, 22);
	expect_ids(s, 20, 22);
	spool_close(s);
}

/* The reader keeps its journal between passes: appends and rotations are still seen once. */
static void test_reader_keeps_up_across_passes(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	spool_set_rotate_size(s, 300);
	for (int round = 0; round < 8; round++) {
		commit_ids(s, round * 3, round * 3 + 3);
		expect_ids(s, round * 3, round * 3 + 3);
		assert_int_equal(spool_ack(s), 0);
		int n = count_journals(f->dir);
		if (n > 2)
			fail_msg("round %d: %d journals left after the ack, want <= 2", round, n);
	}
	spool_close(s);
	s = spool_dir_open(f->dir);
	expect_ids(s, 24, 24);
	spool_close(s);
}

static void test_second_reader_waits_its_turn(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *a = spool_dir_open(f->dir), *b = spool_dir_open(f->dir);
	commit_ids(a, 0, 3);
	struct record *r = spool_next(a);
	assert_non_null(r);
	record_free(r);
	struct record *other = spool_next(b);
	if (other != NULL)
		fail_msg("second reader got %s while the first was reading", record_get(other, "id"));
	assert_int_equal(errno, 0);
	assert_int_equal(spool_ack(a), 0);
	/* The second reader continues from the first one's cursor. */
	expect_ids(b, 1, 3);
	assert_int_equal(spool_ack(b), 0);
	expect_ids(a, 3, 3);
	spool_close(a);
	spool_close(b);
}

static void test_open_fails_where_nothing_can_be_written(void **state)
{
	struct spool_fixture *f = *state;
	char path[512], err[256];
	static const char *const dirs[] = { "/proc/fwdguard-spool", "/proc/self" };

	snprintf(path, sizeof(path), "%s/file", f->dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/file/spool", f->dir);
	errno = 0;
	err[0] = '\0';
	struct spool *s = spool_open(path, err, sizeof(err));
	if (s != NULL)
		fail_msg("spool_open(%s): got success, want failure", path);
	assert_int_equal(errno, ENOTDIR);
	assert_true(strstr(err, path) != NULL);

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		errno = 0;
		s = spool_open(dirs[i], err, sizeof(err));
		if (s != NULL)
			fail_msg("spool_open(%s): got success, want failure", dirs[i]);
		assert_int_not_equal(errno, 0);
	}
}

static void test_commit_fails_when_directory_vanishes(void **state)
{
	struct spool_fixture *f = *state;
	char sub[512], lock[600];
	snprintf(sub, sizeof(sub), "%s/gone", f->dir);
	struct spool *s = spool_dir_open(sub);
	snprintf(lock, sizeof(lock), "%s/lock", sub);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(rmdir(sub), 0);

	struct record *r = make_rec("id0000");
	errno = 0;
	int rc = spool_commit(s, &r, 1);
	int e = errno;
	record_free(r);
	if (rc == 0)
		fail_msg("commit into a removed directory: got success, want -1");
	assert_int_not_equal(e, 0);
	struct spool_stat st;
	spool_stat(s, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.failures, 1);
	spool_close(s);
}

static void test_commit_fails_when_write_fails(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	commit_ids(s, 0, 1);

	/* A file size limit makes write() fail with EFBIG like a full disk would. */
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char *big = malloc(1000);
	memset(big, 'x', 999);
	big[999] = '\0';
	struct record *recs[8];
	for (int i = 0; i < 8; i++) {
		recs[i] = make_rec("big");
		record_set(recs[i], "target", big);
	}
	errno = 0;
	int rc = spool_commit(s, recs, 8);
	int e = errno;
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	for (int i = 0; i < 8; i++)
		record_free(recs[i]);
	free(big);
	if (rc == 0)
		fail_msg("commit beyond the file size limit: got success, want -1");
	assert_int_equal(e, EFBIG);

	/* Nothing of the failed batch is read back; later commits still work. */
	commit_ids(s, 1, 2);
	expect_ids(s, 0, 2);
	spool_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_next_ack_round_trip, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rewind_returns_unacked_records_again, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cursor_survives_reopen, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_planted_cursor_link_is_not_followed, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_starts_a_new_journal, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_starts_a_new_journal_after_a_legacy_one, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hole_in_an_older_journal_costs_one_line, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_other_reader_stops_at_the_zeros, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_commits_share_syncs, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_line_is_ignored, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_line_is_skipped, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rotation_and_shipped_journals_removed, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_second_reader_waits_its_turn, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reader_keeps_up_across_passes, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_where_nothing_can_be_written, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_fails_when_directory_vanishes, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_fails_when_write_fails, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_queued_writers_share_one_sync, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cursor_is_two_numbers_in_fixed_width, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unsynced_record_is_not_read, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cursor_past_journal_end_starts_over, spool_fixture_setup, spool_fixture_teardown),
	};
	/* Every case with direct writes (where the file system takes them),
	 * then with buffered writes and fdatasync (milter/trail/spool_direct.c). */
	int failed = cmocka_run_group_tests_name("direct writes", tests, NULL, NULL);
	spool_dir_buffered = true;
	return failed + cmocka_run_group_tests_name("buffered writes", tests, NULL, NULL);
}
