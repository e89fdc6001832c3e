/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool_dir.h - a throw-away spool directory for the unit tests that use a
 * real spool (test_spool.c, test_shipper.c).  It is made under the current
 * directory (the build tree) rather than /tmp, so that fdatasync is a real
 * disk sync as in production.
 */
#ifndef FWDGUARD_TEST_SPOOL_DIR_H
#define FWDGUARD_TEST_SPOOL_DIR_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPOOL_DIR_MAX	64

/* Makes the directory; its name goes to dir.  0, or -1 with errno set. */
static inline int spool_dir_make(char dir[SPOOL_DIR_MAX])
{
	strcpy(dir, "./spooltest.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static inline int spool_dir_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Set: spool_dir_open's spools write buffered and fdatasync (spool_set_direct). */
static bool spool_dir_buffered;

/* Opens the spool in dir or fails the test (include cmocka.h and spool.h first). */
static inline struct spool *spool_dir_open(const char *dir)
{
	char err[256] = "";
	struct spool *s = spool_open(dir, err, sizeof(err));
	if (s == NULL)
		fail_msg("spool_open(%s): %s", dir, err);
	if (spool_dir_buffered)
		spool_set_direct(s, false);
	return s;
}

/* Removes the directory and everything in it. */
static inline void spool_dir_remove(const char *dir)
{
	nftw(dir, spool_dir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A cmocka fixture: a fresh spool directory per test. */
struct spool_fixture {
	char dir[SPOOL_DIR_MAX];
};

static inline int spool_fixture_setup(void **state)
{
	struct spool_fixture *f = calloc(1, sizeof(*f));
	if (f == NULL || spool_dir_make(f->dir) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int spool_fixture_teardown(void **state)
{
	struct spool_fixture *f = *state;
	spool_dir_remove(f->dir);
	free(f);
	return 0;
}

#endif
