/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool.c - the local journal that makes audit records durable.
 *
 * Layout of the spool directory:
 *   journal-<seq>   records, one encoded line each, written one after the
 *                   other over zeros written ahead (spool_write.c): in the
 *                   newest journal the first NUL byte ends the lines; a new
 *                   journal is started at each start, when the current one
 *                   reaches the rotation size, or after a failed write or
 *                   sync: a journal is never continued
 *   cursor          "<seq> <offset>": what the reader has acknowledged;
 *                   rewritten in place, not synced (a crash may move it
 *                   back, which only re-ships records Redis dedupes; a
 *                   crash may also leave it past a journal's durable end,
 *                   so spool_open rewinds such a cursor to that journal's
 *                   start)
 *   lock            flock'ed by the reader while it reads
 *
 * Writing (group commit): callers append their encoded lines to the batch
 * being filled and wait.  Whoever finds no write in progress becomes the
 * leader, takes the batch, and makes all of it durable at once (one
 * O_DIRECT | O_DSYNC write of the blocks it fills, spool_direct.c; or,
 * where the file system refuses that, one write and one fdatasync(); with
 * the zeros ahead, when it passes them) while later callers fill the next
 * batch.  A caller returns 0 only after
 * the sync of its own batch succeeded.  Before taking a batch, the leader
 * waits a moment (at most SPOOL_GATHER_MS) for the commits that callers
 * announced (spool_expect) before it started: under load they then share
 * its sync rather than each waiting for one of their own.  The reader
 * never returns bytes past the end of the last completed sync (durable_*):
 * a record shipped to Redis and then lost from the journal by a power cut
 * would leave the cursor beyond the journal's end, and records appended
 * there would be skipped.
 *
 * Chaining: the leader stamps the decision records of its batch (chain.h)
 * in the order they go into the journal, so the chain follows the journal
 * whatever order callers raced in.  A new journal begins with a
 * "kind=chain" line carrying the head, which keeps the chain's state in
 * the spool after the journals before it were shipped and removed; at the
 * first batch the leader recovers the head from the newest journal that
 * has one.  A batch taken back from the journal (failed write, truncated)
 * takes its chain links back too; one that may still be there (failed
 * sync) keeps them, since the reader will ship it.
 *
 * One process writes a spool (the daemon; the tests' writer); any process
 * may read it, one at a time through the flock.  The reader never goes past
 * a line without its '\n' in the newest journal (it may still be written),
 * nor past a NUL there (zeros not written over yet), and skips such a torn
 * tail in an older one (a crash mid-write), reading on past any NUL in it:
 * only the newest journal is ever written to.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"


static void spool_seterr(char *err, size_t errsize, const char *what, const char *dir, int e)
{
	snprintf(err, errsize, "spool %s: %s: %s", dir, what, strerror(e));
}

/*
 * A file made by root (a cursor of "fwdguard-audit replay" run as root, a
 * journal of a writer run as root) belongs to the spool's owner, as the
 * rest of the spool does: the daemon, running as that user, keeps writing
 * the cursor in place and must read every journal.
 */
void spool_give_to_owner(const struct spool *s, int fd, const char *what)
{
	struct stat st;

	if (geteuid() == 0 && fstat(s->dirfd, &st) == 0 && st.st_uid != 0 &&
	    fchown(fd, st.st_uid, st.st_gid) != 0)
		log_warn("spool %s: cannot give the %s to uid %u", s->dir, what, (unsigned)st.st_uid);
}

int spool_fsync_dir(struct spool *s)
{
	return fsync(s->dirfd);
}

/* Returns the seq of a journal file name, or 0 for any other name. */
uint64_t spool_journal_seq(const char *name)
{
	size_t plen = strlen(JOURNAL_PREFIX);
	if (strncmp(name, JOURNAL_PREFIX, plen) != 0 || name[plen] == '\0')
		return 0;
	uint64_t seq = 0;
	for (const char *p = name + plen; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || seq > UINT64_MAX / 10 - 1)
			return 0;
		seq = seq * 10 + (uint64_t)(*p - '0');
	}
	return seq;
}

void spool_journal_name(char *buf, size_t size, uint64_t seq)
{
	snprintf(buf, size, JOURNAL_PREFIX "%020" PRIu64, seq);
}

/*
 * Scans the directory: *next = smallest seq above `after` (0 none),
 * *max = largest seq (0 none).  When unlink_below is non-zero, journals
 * below it are removed on the way.  0, or -1 with errno.
 */
int spool_scan(struct spool *s, uint64_t after, uint64_t *next, uint64_t *max,
    uint64_t unlink_below)
{
	int fd = dup(s->dirfd);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	uint64_t nx = 0, mx = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint64_t seq = spool_journal_seq(de->d_name);
		if (seq == 0)
			continue;
		if (seq < unlink_below) {
			unlinkat(s->dirfd, de->d_name, 0);
			continue;
		}
		if (seq > after && (nx == 0 || seq < nx))
			nx = seq;
		if (seq > mx)
			mx = seq;
	}
	closedir(d);
	if (next != NULL)
		*next = nx;
	if (max != NULL)
		*max = mx;
	return 0;
}

int spool_become_owner(const char *dir, char *err, size_t errsize)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) != 0) {
		spool_seterr(err, errsize, "stat", dir, errno);
		return -1;
	}
	if (st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 || setuid(st.st_uid) != 0) {
		spool_seterr(err, errsize, "become the owner of", dir, errno);
		return -1;
	}
	return 0;
}

/*
 * Before anything is appended: the cursor and the journals are written
 * without an order between them, so a power cut can leave the cursor past
 * a journal's durable end.  Appending there and reading from the cursor
 * would skip the new lines; that journal is shipped again from its start
 * instead (Redis drops what it already has).  Another reader holding the
 * lock opened the spool after the cut too and did this check.
 */
static void spool_cursor_check(struct spool *s)
{
	char name[64], last = 0;
	uint64_t max = 0;
	struct stat st;

	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0)
		return;
	spool_cursor_load(s);
	spool_journal_name(name, sizeof(name), s->ack_seq);
	int fd = s->ack_seq > 0 ? openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	bool bad;
	if (fd >= 0) {
		bad = fstat(fd, &st) != 0 || s->ack_off > st.st_size ||
		    (s->ack_off > 0 && (pread(fd, &last, 1, s->ack_off - 1) != 1 || last != '\n'));
		close(fd);
	} else {
		/* A missing journal is fine when shipped and removed, not
		 * when it is newer than every journal left. */
		bad = s->ack_seq > 0 && spool_scan(s, 0, NULL, &max, 0) == 0 && s->ack_seq > max;
	}
	if (bad) {
		uint64_t seq = fd >= 0 ? s->ack_seq : 0;
		log_warnx("spool %s: cursor %" PRIu64 " %lld is past the journal's end (a crash?); "
		    "shipping journal %" PRIu64 " again from its start", s->dir, s->ack_seq,
		    (long long)s->ack_off, seq);
		if (spool_cursor_save(s, seq, 0) != 0)
			log_warn("spool %s: cannot rewind the cursor", s->dir);
	}
	flock(s->lockfd, LOCK_UN);
}

/* The leader's gathering wait is timed: on the monotonic clock. */
static void spool_gather_cv_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

struct spool *spool_open(const char *dir, char *err, size_t errsize)
{
	struct spool *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->dir = strdup(dir)) == NULL || (s->rbuf = malloc(RBUF_CAP)) == NULL) {
		snprintf(err, errsize, "spool %s: out of memory", dir);
		goto fail;
	}
	s->dirfd = s->wfd = s->dfd = s->lockfd = s->rfd = -1;
	s->direct_want = true;
	s->rotate_size = ROTATE_DEFAULT;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	spool_gather_cv_init(&s->gather_cv);
	pthread_mutex_init(&s->rmu, NULL);

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		spool_seterr(err, errsize, "mkdir", dir, errno);
		goto fail;
	}
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		spool_seterr(err, errsize, "open", dir, errno);
		goto fail;
	}
	/* Creating the lock file also proves the directory is writable now,
	 * rather than at the first message. */
	s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (s->lockfd < 0) {
		spool_seterr(err, errsize, "lock file", dir, errno);
		goto fail;
	}
	spool_cursor_check(s);
	return s;
fail:
	{
		int e = errno;
		spool_close(s);
		errno = e != 0 ? e : ENOMEM;
	}
	return NULL;
}

void spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->wfd >= 0)
		close(s->wfd);
	spool_direct_close(s);
	free(s->dbuf);
	free(s->recent);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->filling != NULL) {
		free(s->filling->recs);
		free(s->filling);
	}
	if (s->dir != NULL) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		pthread_cond_destroy(&s->gather_cv);
		pthread_mutex_destroy(&s->rmu);
	}
	free(s->rbuf);
	free(s->dir);
	free(s);
}

void spool_set_rotate_size(struct spool *s, size_t bytes)
{
	pthread_mutex_lock(&s->mu);
	s->rotate_size = bytes > 0 ? bytes : 1;
	pthread_mutex_unlock(&s->mu);
}

void spool_set_sync_hook(struct spool *s, void (*hook)(void *), void *arg)
{
	pthread_mutex_lock(&s->mu);
	s->sync_hook = hook;
	s->sync_hook_arg = arg;
	pthread_mutex_unlock(&s->mu);
}

void spool_set_direct(struct spool *s, bool on)
{
	pthread_mutex_lock(&s->mu);
	s->direct_want = on;
	pthread_mutex_unlock(&s->mu);
}

void spool_stat(struct spool *s, struct spool_stat *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stat;
	pthread_mutex_unlock(&s->mu);
}

