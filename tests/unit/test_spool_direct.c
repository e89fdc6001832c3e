/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_spool_direct.c - batches written as one O_DIRECT | O_DSYNC write
 * (milter/trail/spool_direct.c): lines of every length across block and
 * write-ahead boundaries read back whole and in order, the journal past
 * the lines stays NUL, a reader that keeps up copies the newest lines from
 * memory (milter/trail/spool_recent.c), and a file system that refuses
 * direct writes (at open or at the first write) gets the buffered write
 * and fdatasync instead, losing nothing.
 *
 * The refusals are made, and the journal reads counted, here: the test is
 * linked with --wrap for openat, pwrite and pread (Makefile.am; both
 * names, as the spool calls the 64-bit ones where _FILE_OFFSET_BITS makes
 * off_t 64 bits), which routes the spool's calls through the wrappers.
 *
 * test_spool.c runs its whole set both ways as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"
#include "spool_dir.h"

#define RECORDS	1000		/* about 1.5 MiB: past 256 KiB write-ahead steps and the 1 MiB window */
#define PADS	3		/* fields of filler a record: lines up to ~3 KiB */
#define PAD_MAX	1000		/* under the record's 1024-byte cap on a value */

/* What the wrappers refuse with EINVAL: direct opens, direct writes. */
static bool refuse_open, refuse_write;
static unsigned long refused;

/* Whether the wrappers refuse this call (EINVAL, counted). */
static bool refuse(bool what, bool direct)
{
	if (!what || !direct)
		return false;
	refused++;
	errno = EINVAL;
	return true;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
}

int __real_openat64(int dirfd, const char *path, int flags, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
ssize_t __real_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
int __wrap_openat64(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);

#define WRAP_OPENAT(name)							\
	int __wrap_##name(int dirfd, const char *path, int flags, ...)		\
	{									\
		va_list ap;							\
		va_start(ap, flags);						\
		mode_t mode = open_mode(flags, ap);				\
		va_end(ap);							\
		if (refuse(refuse_open, (flags & O_DIRECT) != 0))		\
			return -1;						\
		return __real_##name(dirfd, path, flags, mode);			\
	}
WRAP_OPENAT(openat64)
WRAP_OPENAT(openat)

#define WRAP_PWRITE(name)							\
	ssize_t __wrap_##name(int fd, const void *buf, size_t n, off_t off)	\
	{									\
		if (refuse(refuse_write, (fcntl(fd, F_GETFL) & O_DIRECT) != 0))	\
			return -1;						\
		return __real_##name(fd, buf, n, off);				\
	}
WRAP_PWRITE(pwrite64)
WRAP_PWRITE(pwrite)

/* Reads of a file by offset (the spool reads its journals so). */
static unsigned long preads;

ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);

#define WRAP_PREAD(name)							\
	ssize_t __wrap_##name(int fd, void *buf, size_t n, off_t off)		\
	{									\
		preads++;							\
		return __real_##name(fd, buf, n, off);				\
	}
WRAP_PREAD(pread64)
WRAP_PREAD(pread)

/* Pad lengths that put line ends everywhere in a 4096-byte block. */
static size_t pad_len(int i, int k)
{
	return (size_t)((i * 397 + k * 131 + 13) % PAD_MAX);
}

static const char *const pad_names[PADS] = { "reason", "subject", "target" };

static struct record *make_padded(int i)
{
	static char pad[PAD_MAX + 1];
	char id[32];

	snprintf(id, sizeof(id), "id%04d", i);
	struct record *r = record_new("decision");
	assert_non_null(r);
	assert_int_equal(record_set(r, "id", id), 0);
	for (int k = 0; k < PADS; k++) {
		size_t n = pad_len(i, k);
		memset(pad, 'a' + (i + k) % 26, n);
		pad[n] = '\0';
		assert_int_equal(record_set(r, pad_names[k], pad), 0);
	}
	return r;
}

/* Commits records from..to-1 in batches of 1 to 4 records. */
static void commit_range(struct spool *s, int from, int to)
{
	struct record *recs[4];
	int i = from;

	while (i < to) {
		int n = 1 + i % 4;
		if (i + n > to)
			n = to - i;
		for (int k = 0; k < n; k++)
			recs[k] = make_padded(i + k);
		if (spool_commit(s, recs, (size_t)n) != 0)
			fail_msg("commit at %d: %s", i, strerror(errno));
		for (int k = 0; k < n; k++)
			record_free(recs[k]);
		i += n;
	}
}

static void commit_padded(struct spool *s)
{
	commit_range(s, 0, RECORDS);
}

/* Reads records from..to-1, each whole, then the end of what is durable. */
static void expect_range(struct spool *s, int from, int to)
{
	char want[32];

	for (int i = from; i < to; i++) {
		struct record *r = spool_next(s);
		if (r == NULL)
			fail_msg("next: got NULL (errno %d), want id%04d", errno, i);
		snprintf(want, sizeof(want), "id%04d", i);
		const char *id = record_get(r, "id");
		if (id == NULL || strcmp(id, want) != 0)
			fail_msg("next: got %s, want %s", id != NULL ? id : "(none)", want);
		for (int k = 0; k < PADS; k++) {
			const char *pad = record_get(r, pad_names[k]);
			size_t n = pad != NULL ? strlen(pad) : 0;
			char c = (char)('a' + (i + k) % 26);
			if (n != pad_len(i, k) || strspn(pad != NULL ? pad : "", (char[]){ c, 0 }) != n)
				fail_msg("%s: %s of %zu bytes, want %zu of '%c'", want, pad_names[k],
				    n, pad_len(i, k), c);
		}
		record_free(r);
	}
	assert_null(spool_next(s));
	assert_int_equal(errno, 0);
}

static void expect_padded(struct spool *s)
{
	expect_range(s, 0, RECORDS);
}

/* Whether dir's file system takes an O_DIRECT open (the kernel decides). */
static bool direct_supported(const char *dir)
{
	char path[SPOOL_DIR_MAX + 16];
	snprintf(path, sizeof(path), "%s/probe", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0600);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return fd >= 0;
}

/* The only journal in dir: every byte after the first NUL is NUL too. */
static void expect_nul_after_lines(const char *dir)
{
	char path[SPOOL_DIR_MAX + 32];
	snprintf(path, sizeof(path), "%s/journal-%020d", dir, 1);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	long lines = 0, at = 0, first_nul = -1;
	int c;
	while ((c = getc(fp)) != EOF) {
		if (c == '\n')
			lines++;
		if (c == '\0' && first_nul < 0)
			first_nul = at;
		if (c != '\0' && first_nul >= 0)
			fail_msg("%s: byte %ld is 0x%02x after the NUL at %ld", path, at, c, first_nul);
		at++;
	}
	fclose(fp);
	assert_int_equal(lines, RECORDS);	/* a new spool: no chain head line yet */
	assert_true(first_nul > 0);
}

static void test_direct_lines_read_back_whole(void **state)
{
	struct spool_fixture *f = *state;
	if (!direct_supported(f->dir))
		skip();
	struct spool *s = spool_dir_open(f->dir);
	commit_padded(s);

	struct spool_stat st;
	spool_stat(s, &st);
	assert_int_equal(st.records, RECORDS);
	if (st.direct != st.syncs)
		fail_msg("%llu of %llu batches written directly, want all", st.direct, st.syncs);
	/* The reader starts behind the window of recent bytes: the file. */
	preads = 0;
	expect_padded(s);
	assert_true(preads > 0);
	expect_nul_after_lines(f->dir);

	/* Another reader (another process in production) has no window:
	 * everything from the file, the same. */
	spool_close(s);
	s = spool_dir_open(f->dir);
	expect_padded(s);
	spool_close(s);
}

/*
 * A reader that keeps up, as the daemon's shipper does, copies the lines
 * from memory: they are not in the page cache after a direct write, and
 * reading them back would cost a disk read a round.  Its passes read what
 * a round of the shipper finds: a few records, or what a linger
 * (milter/trail/audit.c) gathers under load, here 300 records of some
 * 450 KiB, more than a window of 256 KiB would hold.  1,500 records
 * (some 2.2 MiB) go round the 1 MiB window twice.
 */
#define KEEPUP_RECORDS	1500

static void test_reader_keeping_up_reads_memory(void **state)
{
	struct spool_fixture *f = *state;
	if (!direct_supported(f->dir))
		skip();
	struct spool *s = spool_dir_open(f->dir);
	preads = 0;
	for (int i = 0, pass = 0; i < KEEPUP_RECORDS; pass++) {
		int step = pass % 2 == 0 ? 7 : 300;
		int to = i + step < KEEPUP_RECORDS ? i + step : KEEPUP_RECORDS;
		commit_range(s, i, to);
		expect_range(s, i, to);
		assert_int_equal(spool_ack(s), 0);
		i = to;
	}
	if (preads != 0)
		fail_msg("%lu reads of the journal, want none", preads);
	spool_close(s);
}

static void test_buffered_lines_read_back_whole(void **state)
{
	struct spool_fixture *f = *state;
	struct spool *s = spool_dir_open(f->dir);
	spool_set_direct(s, false);
	commit_padded(s);

	struct spool_stat st;
	spool_stat(s, &st);
	assert_int_equal(st.direct, 0);
	assert_int_equal(st.records, RECORDS);
	expect_padded(s);
	expect_nul_after_lines(f->dir);
	spool_close(s);
}

/* A refusal at open or at the first write: buffered from then on, nothing lost. */
static void expect_fallback(const char *dir, bool at_open)
{
	refused = 0;
	refuse_open = at_open;
	refuse_write = !at_open;
	struct spool *s = spool_dir_open(dir);
	commit_padded(s);
	refuse_open = refuse_write = false;

	struct spool_stat st;
	spool_stat(s, &st);
	if (refused != 1)
		fail_msg("the spool tried direct %s %lu times, want once", at_open ? "opens" : "writes",
		    refused);
	assert_int_equal(st.direct, 0);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.records, RECORDS);
	expect_padded(s);
	expect_nul_after_lines(dir);
	spool_close(s);
}

static void test_refused_at_open_falls_back(void **state)
{
	struct spool_fixture *f = *state;
	expect_fallback(f->dir, true);
}

static void test_refused_at_write_falls_back(void **state)
{
	struct spool_fixture *f = *state;
	if (!direct_supported(f->dir))
		skip();		/* refused at open already: the case above */
	expect_fallback(f->dir, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_direct_lines_read_back_whole, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reader_keeping_up_reads_memory,
		    spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_buffered_lines_read_back_whole, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refused_at_open_falls_back, spool_fixture_setup, spool_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_refused_at_write_falls_back, spool_fixture_setup, spool_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
