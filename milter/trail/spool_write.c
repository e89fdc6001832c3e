/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool_write.c - appending to the spool: group commit, journal rotation,
 * and the chain stamps of each batch (spool.c's opening comment has the
 * rules the writer keeps).
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "deadline.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"

/*
 * Each journal is written ahead with zeros, SPOOL_AHEAD bytes at a time, so
 * that a batch overwrites blocks the file already has: its fdatasync then
 * writes the data alone, not the inode's new size as well (measured here:
 * 0.12 ms and 53 us of CPU per sync instead of 0.19 ms and 90 us).  In the
 * journal being written, a NUL byte is where the lines end; records never
 * contain one.  A journal is never continued after a restart (an older one
 * may hold a hole a crash left, which readers read on past): each start
 * begins a new one.
 */
#define SPOOL_AHEAD	(256 * 1024)

static const char spool_zeros[64 * 1024];

/*
 * Publishes the reader's limit (leader only, without the mutex).  Called
 * before anything is written to journal seq, so the reader stops at what
 * it held then (an earlier run's lines) until this run's first sync.
 */
static void spool_durable_set(struct spool *s, uint64_t seq, off_t off)
{
	pthread_mutex_lock(&s->mu);
	s->durable_known = true;
	s->durable_seq = seq;
	s->durable_off = off;
	pthread_mutex_unlock(&s->mu);
}

/* Starts a new journal (leader only).  0, or -1 with errno. */
static int spool_journal_open(struct spool *s)
{
	uint64_t max;
	char name[64];

	if (spool_scan(s, 0, NULL, &max, 0) != 0)
		return -1;
	uint64_t seq = (max > s->wseq ? max : s->wseq) + 1;
	spool_journal_name(name, sizeof(name), seq);
	int fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -1;
	spool_give_to_owner(s, fd, "journal");
	/* The file's own fdatasync does not make its directory entry durable. */
	if (spool_fsync_dir(s) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	s->wfd = fd;
	s->wseq = seq;
	s->wsize = 0;
	s->wahead = 0;
	spool_direct_open(s, name);
	spool_durable_set(s, seq, 0);
	return 0;
}

static void spool_journal_drop(struct spool *s)
{
	if (s->wfd >= 0)
		close(s->wfd);
	s->wfd = -1;
	spool_direct_close(s);
}

/*
 * Zeros from `from` to the SPOOL_AHEAD boundary past `end`, when `end`
 * went past what was written ahead.  Best effort: without them (a full
 * disk) the next batches are appends, whose syncs cost more.
 */
static void spool_write_ahead(struct spool *s, off_t from, off_t end)
{
	if (end <= s->wahead)
		return;
	off_t to = (end / SPOOL_AHEAD + 1) * SPOOL_AHEAD;
	off_t at = from > s->wahead ? from : s->wahead;
	while (at < to) {
		size_t n = sizeof(spool_zeros) < (size_t)(to - at) ? sizeof(spool_zeros) :
		    (size_t)(to - at);
		ssize_t w = pwrite(s->wfd, spool_zeros, n, at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		at += w;
	}
	s->wahead = at;
}

/*
 * A batch as one direct, synchronous write (spool_direct.c).  Its blocks
 * must be written already for the write to be a plain overwrite: zeros go
 * ahead of it from the first block it leaves untouched, and are synced
 * at once (every SPOOL_AHEAD bytes), so the direct write that meets them
 * neither waits for their writeback nor changes the file's metadata.
 * 0, 1 refused (nothing written), or -1 with errno (*kept: part of it may
 * still be in the journal, as after a failed sync).
 */
static int spool_write_direct(struct spool *s, const char *buf, size_t len,
    void (*hook)(void *), void *hook_arg, bool *kept)
{
	off_t end = s->wsize + (off_t)len;
	if (end > s->wahead) {
		off_t untouched = (s->wsize + SPOOL_BLOCK - 1) / SPOOL_BLOCK * SPOOL_BLOCK;
		spool_write_ahead(s, untouched, end);
		(void)fdatasync(s->wfd);	/* best effort, as the zeros are */
	}
	if (hook != NULL)
		hook(hook_arg);
	size_t written;
	int rc = spool_direct_write(s, buf, len, &written);
	if (rc < 0) {
		int e = errno;
		if (written > 0 || e == EFBIG || e == ENOSPC || e == EDQUOT) {
			/* The write failed, as a buffered one can: take back
			 * the part on disk (durably, as that part is), so no
			 * line of it is read. */
			*kept = ftruncate(s->wfd, s->wsize) != 0 || fdatasync(s->wfd) != 0;
		} else {
			/* Maybe the write's sync: the batch may be whole in
			 * the journal, where a reader may have read it
			 * already; kept, as after a failed fdatasync. */
			*kept = true;
		}
		spool_journal_drop(s);	/* the next batch goes to a fresh journal */
		errno = e;
		return -1;
	}
	if (rc == 0) {
		spool_recent_add(s, s->wseq, s->wsize, buf, len);
		s->wsize = end;
	}
	return rc;
}

/*
 * Writes and syncs one batch (leader only, without the mutex); the test
 * hook runs between the two (before a direct write, which is both).
 * 0, or -1 with errno.
 */
static int spool_write_batch(struct spool *s, const char *buf, size_t head_len, size_t len,
    size_t rotate, void (*hook)(void *), void *hook_arg, bool *kept)
{
	*kept = false;
	if (s->wfd >= 0 && s->wsize > 0 && s->wsize + (off_t)len > (off_t)rotate)
		spool_journal_drop(s);
	if (s->wfd < 0 && spool_journal_open(s) != 0)
		return -1;

	/* Only a fresh journal gets the head line: the others hold the chain. */
	if (s->wsize > 0) {
		buf += head_len;
		len -= head_len;
	}
	if (s->dfd >= 0) {
		int rc = spool_write_direct(s, buf, len, hook, hook_arg, kept);
		if (rc <= 0)
			return rc;
		hook = NULL;	/* not written: the buffered way below; the hook ran */
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(s->wfd, buf + done, len - done, s->wsize + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			/* Take back a partial batch so no torn line stays in the
			 * middle; the next batch goes to a fresh journal anyway. */
			if (ftruncate(s->wfd, s->wsize) != 0) {
				/* still safe: the reader skips a torn tail of
				 * a journal that is no longer the newest */
				*kept = true;
			}
			spool_journal_drop(s);
			errno = e;
			return -1;
		}
		done += (size_t)w;
	}
	spool_write_ahead(s, s->wsize + (off_t)len, s->wsize + (off_t)len);
	if (hook != NULL)
		hook(hook_arg);
	if (fdatasync(s->wfd) != 0) {
		int e = errno;
		*kept = true;
		spool_journal_drop(s);
		errno = e;
		return -1;
	}
	s->wsize += (off_t)len;
	return 0;
}

static int spool_batch_append(struct spool_batch *b, struct record *const *recs, size_t n)
{
	if (b->nrecs + n > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 16;
		while (cap < b->nrecs + n)
			cap *= 2;
		struct record **p = realloc(b->recs, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		b->recs = p;
		b->cap = cap;
	}
	memcpy(b->recs + b->nrecs, recs, n * sizeof(*recs));
	b->nrecs += n;
	return 0;
}

/*
 * Stamps the batch's decision records on *work (the chain as it stands)
 * and encodes them into one buffer after the head line of *work as it was
 * before them (*head_len bytes, 0 without a chain yet).  NULL with errno.
 */
static char *spool_encode_all(const struct spool_batch *b, struct chain_head *work,
    size_t *head_len, size_t *total)
{
	struct record *head = NULL;
	size_t need = 0;
	if (work->id[0] != '\0') {
		if ((head = chain_head_record(work)) == NULL)
			return NULL;
		need += record_encoded_size(head);
	}
	for (size_t i = 0; i < b->nrecs; i++) {
		if (chain_covers(b->recs[i]) && chain_stamp(work, b->recs[i]) != 0) {
			record_free(head);
			return NULL;
		}
		need += record_encoded_size(b->recs[i]);
	}
	char *buf = malloc(need);
	if (buf == NULL) {
		record_free(head);
		return NULL;
	}
	size_t len = head != NULL ? record_encode_to(head, buf) : 0;
	*head_len = len;
	record_free(head);
	for (size_t i = 0; i < b->nrecs; i++)
		len += record_encode_to(b->recs[i], buf + len);
	*total = len;
	return buf;
}

/* Largest journal seq below `below` in *seq (0 none).  0, or -1 with errno. */
static int spool_scan_below(struct spool *s, uint64_t below, uint64_t *seq)
{
	int fd = dup(s->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	uint64_t best = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint64_t n = spool_journal_seq(de->d_name);
		if (n > best && n < below)
			best = n;
	}
	closedir(d);
	*seq = best;
	return 0;
}

/* The chain's head from the newest journal that has one (leader only, once). */
static void spool_chain_recover(struct spool *s)
{
	uint64_t below = UINT64_MAX, seq;
	char name[64];

	s->chain_known = true;
	while (spool_scan_below(s, below, &seq) == 0 && seq > 0) {
		spool_journal_name(name, sizeof(name), seq);
		int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		int found = fd >= 0 ? chain_journal_head(fd, &s->chain) : -1;
		if (fd >= 0)
			close(fd);
		if (found < 0)
			log_warn("spool %s: cannot read %s for the chain's head; the next decision "
			    "starts a new chain", s->dir, name);
		if (found != 0)
			return;
		below = seq;
	}
}

/* Stamps, encodes, writes and syncs a batch (leader only, without the mutex).  0 or -1. */
static int spool_write_records(struct spool *s, const struct spool_batch *b, size_t rotate,
    void (*hook)(void *), void *hook_arg)
{
	if (!s->chain_known)
		spool_chain_recover(s);
	struct chain_head work = s->chain;
	size_t head_len = 0, len = 0;
	bool kept = false;
	char *buf = spool_encode_all(b, &work, &head_len, &len);
	if (buf == NULL)
		return -1;
	int rc = spool_write_batch(s, buf, head_len, len, rotate, hook, hook_arg, &kept);
	int e = errno;
	if (rc == 0 || kept)
		s->chain = work;
	free(buf);
	errno = e;
	return rc;
}

/* Leader duty, entered and left with the mutex held. */
static void spool_lead(struct spool *s)
{
	struct spool_batch *b = s->filling;
	size_t rotate = s->rotate_size;

	s->writing = true;
	s->filling = NULL;
	s->direct_ok = s->direct_want && !s->direct_refused;
	void (*hook)(void *) = s->sync_hook;
	void *hook_arg = s->sync_hook_arg;
	pthread_mutex_unlock(&s->mu);
	int rc = spool_write_records(s, b, rotate, hook, hook_arg);
	int e = errno;
	pthread_mutex_lock(&s->mu);
	s->chain_pub = s->chain;
	b->done = true;
	b->err = rc == 0 ? 0 : (e != 0 ? e : EIO);
	if (rc == 0) {
		s->stat.syncs++;
		s->stat.direct += s->dfd >= 0;
		s->stat.records += b->nrecs;
		s->durable_seq = s->wseq;
		s->durable_off = s->wsize;
	} else {
		s->stat.failures++;
	}
	s->writing = false;
	pthread_cond_broadcast(&s->cv);
}

/* One announced commit arrived or was called off (mutex held). */
static void spool_settle_one(struct spool *s)
{
	if (s->settled < s->announced && ++s->settled == s->announced)
		pthread_cond_signal(&s->gather_cv);
}

void spool_expect(struct spool *s, bool coming)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (coming)
		s->announced++;
	else
		spool_settle_one(s);
	pthread_mutex_unlock(&s->mu);
}

/*
 * Before leading (mutex held): waits, at most SPOOL_GATHER_MS, until the
 * commits announced so far arrived or were called off.  Commits announced
 * meanwhile do not extend the wait.  writing is set so that callers
 * arriving meanwhile join the batch being filled rather than lead.
 */
static void spool_gather(struct spool *s)
{
	unsigned long long target = s->announced;
	if (s->settled >= target)
		return;
	struct timespec until = deadline_after_ms(CLOCK_MONOTONIC, SPOOL_GATHER_MS);
	s->writing = true;
	while (s->settled < target) {
		if (pthread_cond_timedwait(&s->gather_cv, &s->mu, &until) == ETIMEDOUT) {
			/* Whatever is late (or was never called off) costs one
			 * wait, not one per batch from now on. */
			s->settled = target;
			break;
		}
	}
}

int spool_commit(struct spool *s, struct record *const *recs, size_t n)
{
	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	size_t valid = 0;	/* records before the first NULL */
	while (valid < n && recs[valid] != NULL)
		valid++;

	pthread_mutex_lock(&s->mu);
	/* Every call settles one announcement (spool_expect), even one that
	 * writes nothing or fails: else the next leader would wait for it. */
	spool_settle_one(s);
	if (n == 0 || valid < n) {
		pthread_mutex_unlock(&s->mu);
		if (n == 0)
			return 0;
		errno = EINVAL;
		return -1;
	}
	if (s->filling == NULL)
		s->filling = calloc(1, sizeof(*s->filling));
	struct spool_batch *b = s->filling;
	if (b == NULL || spool_batch_append(b, recs, n) != 0) {
		pthread_mutex_unlock(&s->mu);
		errno = ENOMEM;
		return -1;
	}
	b->waiters++;
	s->stat.commits++;
	while (!b->done) {
		/* With no write in flight, b is still the batch being filled. */
		if (!s->writing) {
			spool_gather(s);
			spool_lead(s);
		} else
			pthread_cond_wait(&s->cv, &s->mu);
	}
	int err = b->err;
	if (--b->waiters == 0) {
		free(b->recs);
		free(b);
	}
	pthread_mutex_unlock(&s->mu);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}
