/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool_read.c - reading the spool: the reader, its flock and its cursor,
 * and the durable limit it never reads past (spool.c's opening comment has
 * the rules).
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
#include <unistd.h>

#include "chain.h"
#include "log.h"
#include "spool.h"
#include "spool_int.h"

static void spool_reader_reset_file(struct spool *s)
{
	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	s->rfd_seq = 0;
	s->rbuf_len = 0;
	s->rbuf_off = 0;
	s->rskip = false;
}

/* Reads the persisted cursor; a missing or unreadable one means "from the start". */
void spool_cursor_load(struct spool *s)
{
	char buf[64];
	uint64_t seq = 0;
	long long off = 0;

	s->ack_seq = 0;
	s->ack_off = 0;
	int fd = openat(s->dirfd, "cursor", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* A damaged cursor only costs a re-shipment, which Redis dedupes. */
	if (sscanf(buf, "%" SCNu64 " %lld", &seq, &off) == 2 && off >= 0) {
		s->ack_seq = seq;
		s->ack_off = (off_t)off;
	}
}

/* Writes the cursor file anew: unlink, exclusive create, write.  0, or -1 with errno. */
static int spool_cursor_create(struct spool *s, const char *buf, size_t len)
{
	/* Whatever is there (a leftover, or a link someone planted) is
	 * replaced, never written through; the reader lock makes us alone. */
	if (unlinkat(s->dirfd, "cursor", 0) != 0 && errno != ENOENT)
		return -1;
	int fd = openat(s->dirfd, "cursor", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd < 0)
		return -1;
	spool_give_to_owner(s, fd, "cursor");
	if (write(fd, buf, len) != (ssize_t)len) {
		int e = errno != 0 ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/*
 * Records "<seq> <offset>" in a fixed width, written over the old one in
 * place: no new inode and no sync per shipping round (both showed in the
 * profile, competing with the journal's fdatasync).  The cursor is a hint:
 * a crash that loses or tears its last move only re-ships records that
 * Redis dedupes with the seen markers.
 */
int spool_cursor_save(struct spool *s, uint64_t seq, off_t off)
{
	/* "<seq> <offset>", padded with spaces to a fixed width so that a
	 * shorter cursor covers a longer one whole; readers split on blanks. */
	char buf[64];
	int len = CURSOR_WIDTH;
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 " %lld", seq, (long long)off);
	memset(buf + n, ' ', (size_t)(len - 1 - n));	/* n <= 40: 20 + 1 + 19 digits */
	buf[len - 1] = '\n';
	struct stat st;
	int fd = openat(s->dirfd, "cursor", O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		if (fd >= 0)
			close(fd);
		return spool_cursor_create(s, buf, (size_t)len);
	}
	/* Every cursor this code writes is len bytes; an older one (a line
	 * of at most 41) is covered whole. */
	if (pwrite(fd, buf, (size_t)len, 0) != len) {
		int e = errno != 0 ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* Size of journal seq, or 0 when it cannot be measured. */
static off_t spool_journal_size(struct spool *s, uint64_t seq)
{
	char name[64];
	struct stat st;
	spool_journal_name(name, sizeof(name), seq);
	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return st.st_size;
}

/*
 * Refreshes the reader's limit.  Before this handle's leader opened a
 * journal (a tool reading, the daemon before its first message), it is
 * what the directory holds now: measured under the mutex, before any
 * batch of ours can be written.  1 when the limit moved, else 0.
 */
static int spool_reader_bound(struct spool *s)
{
	uint64_t seq;
	off_t off;
	pthread_mutex_lock(&s->mu);
	if (s->durable_known) {
		seq = s->durable_seq;
		off = s->durable_off;
	} else {
		if (spool_scan(s, 0, NULL, &seq, 0) != 0)
			seq = s->lim_seq;	/* keep the old limit */
		off = seq > 0 ? spool_journal_size(s, seq) : 0;
	}
	pthread_mutex_unlock(&s->mu);
	int moved = seq != s->lim_seq || off != s->lim_off;
	s->lim_seq = seq;
	s->lim_off = off;
	return moved;
}

/*
 * Takes the reader lock and reloads the cursor another reader may have
 * moved.  When the cursor is where this reader stopped, the journal it
 * had open and the bytes it had buffered are still right: reopening them
 * every shipping round showed in the profile.
 */
static int spool_reader_lock(struct spool *s)
{
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0)
		return -1;
	s->locked = true;
	spool_cursor_load(s);
	if (s->rfd_seq != s->ack_seq || s->rd_seq != s->ack_seq || s->rd_off != s->ack_off)
		spool_reader_reset_file(s);
	s->rd_seq = s->ack_seq;
	s->rd_off = s->ack_off;
	s->unacked = 0;
	spool_reader_bound(s);
	return 0;
}

/* Releases the lock; keep_file leaves the journal open for the next pass. */
static void spool_reader_unlock(struct spool *s, bool keep_file)
{
	if (!keep_file)
		spool_reader_reset_file(s);
	if (s->locked)
		flock(s->lockfd, LOCK_UN);
	s->locked = false;
}

/*
 * Next complete line of the open journal: 1 with *line and *len set (borrowed
 * until the next call), 0 when no complete line is left, -1 with errno.
 */
static int spool_read_line(struct spool *s, const char **line, size_t *len)
{
	bool unwritten = false;	/* met a NUL in the journal at the limit: its lines end there */

	for (;;) {
		size_t start = (size_t)(s->rd_off - s->rbuf_off);
		char *p = s->rbuf + start;
		char *nl = memchr(p, '\n', s->rbuf_len - start);
		if (nl != NULL) {
			s->rd_off += nl - p + 1;
			if (s->rskip) {
				s->rskip = false;
				continue;
			}
			*line = p;
			*len = (size_t)(nl - p);
			return 1;
		}
		memmove(s->rbuf, p, s->rbuf_len - start);
		s->rbuf_len -= start;
		s->rbuf_off = s->rd_off;
		/* Before the overlong-line skip: it must never jump into zeros
		 * that lines will be written over. */
		if (unwritten)
			return 0;
		if (s->rbuf_len == RBUF_CAP) {
			s->rd_off += RBUF_CAP;
			s->rbuf_off = s->rd_off;
			s->rbuf_len = 0;
			s->rskip = true;
			continue;
		}
		size_t want = RBUF_CAP - s->rbuf_len;
		off_t from = s->rbuf_off + (off_t)s->rbuf_len;
		if (s->rfd_seq > s->lim_seq || (s->rfd_seq == s->lim_seq && from >= s->lim_off))
			return 0;	/* not synced yet */
		if (s->rfd_seq == s->lim_seq && (off_t)want > s->lim_off - from)
			want = (size_t)(s->lim_off - from);
		ssize_t got = spool_recent_read(s, s->rfd_seq, s->rbuf + s->rbuf_len, want, from);
		if (got < 0)
			got = pread(s->rfd, s->rbuf + s->rbuf_len, want, from);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
		/*
		 * Only the journal at the limit may still be written over its
		 * zeros.  An older one is finished: a NUL there is damage (a
		 * hole a crash or a repair left, or its zero tail), read as
		 * part of a line that fails to decode and is counted, so the
		 * lines after it are still shipped.
		 */
		const char *nul = s->rfd_seq >= s->lim_seq ?
		    memchr(s->rbuf + s->rbuf_len, '\0', (size_t)got) : NULL;
		if (nul != NULL) {
			got = nul - (s->rbuf + s->rbuf_len);
			unwritten = true;
		}
		s->rbuf_len += (size_t)got;
	}
}

/* Opens journal rd_seq, or moves to the next existing one.  1 open, 0 none, -1 error. */
static int spool_reader_open(struct spool *s)
{
	char name[64];
	for (;;) {
		if (s->rfd >= 0 && s->rfd_seq == s->rd_seq)
			return 1;
		spool_reader_reset_file(s);
		if (s->rd_seq > 0) {
			spool_journal_name(name, sizeof(name), s->rd_seq);
			s->rfd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (s->rfd >= 0) {
				s->rfd_seq = s->rd_seq;
				s->rbuf_off = s->rd_off;
				return 1;
			}
			if (errno != ENOENT)
				return -1;
		}
		uint64_t next;
		if (spool_scan(s, s->rd_seq, &next, NULL, 0) != 0)
			return -1;
		if (next == 0)
			return 0;
		s->rd_seq = next;
		s->rd_off = 0;
	}
}

/* A line for the spool itself (a journal's chain head), not for the reader's caller. */
static bool spool_internal(const struct record *r)
{
	const char *kind = record_get(r, "kind");
	return kind != NULL && strcmp(kind, "chain") == 0;
}

static struct record *spool_next_locked(struct spool *s)
{
	for (;;) {
		int rc = spool_reader_open(s);
		if (rc <= 0) {
			if (rc == 0)
				errno = 0;	/* no journal yet: nothing to ship, not an error */
			return NULL;
		}
		const char *line;
		size_t len;
		rc = spool_read_line(s, &line, &len);
		if (rc < 0)
			return NULL;
		if (rc > 0) {
			struct record *r = record_decode(line, len);
			if (r != NULL && spool_internal(r)) {
				record_free(r);
				continue;
			}
			if (r == NULL) {
				pthread_mutex_lock(&s->mu);
				s->stat.skipped++;
				pthread_mutex_unlock(&s->mu);
				continue;
			}
			s->unacked++;
			return r;
		}
		/* At the limit: only a sync since the last look lets us on. */
		if (s->rd_seq >= s->lim_seq) {
			if (spool_reader_bound(s))
				continue;
			errno = 0;
			return NULL;
		}
		/* End of this journal: a newer one means this one is finished
		 * and whatever incomplete tail it has was torn by a crash. */
		uint64_t next;
		if (spool_scan(s, s->rd_seq, &next, NULL, 0) != 0)
			return NULL;
		if (next == 0) {
			errno = 0;
			return NULL;
		}
		s->rd_seq = next;
		s->rd_off = 0;
	}
}

struct record *spool_next(struct spool *s)
{
	struct record *r = NULL;
	pthread_mutex_lock(&s->rmu);
	if (!s->locked && spool_reader_lock(s) != 0) {
		/* Another reader is shipping: nothing to do for us now. */
		errno = 0;
	} else {
		r = spool_next_locked(s);
	}
	pthread_mutex_unlock(&s->rmu);
	return r;
}

int spool_ack(struct spool *s)
{
	int rc = 0;
	pthread_mutex_lock(&s->rmu);
	if (s->locked && (s->rd_seq != s->ack_seq || s->rd_off != s->ack_off)) {
		rc = spool_cursor_save(s, s->rd_seq, s->rd_off);
		if (rc == 0) {
			s->ack_seq = s->rd_seq;
			s->ack_off = s->rd_off;
			pthread_mutex_lock(&s->mu);
			s->stat.acked += s->unacked;
			pthread_mutex_unlock(&s->mu);
			s->unacked = 0;
			/* Journals before the cursor are fully shipped; the
			 * directory is read again only once the cursor moved
			 * to a newer journal. */
			if (s->ack_seq > s->swept_below && spool_scan(s, 0, NULL, NULL,
			    s->ack_seq) == 0)
				s->swept_below = s->ack_seq;
		}
	}
	int e = errno;
	/* Released between passes so that the other process gets its turn. */
	spool_reader_unlock(s, rc == 0 && s->rd_seq == s->ack_seq && s->rd_off == s->ack_off);
	pthread_mutex_unlock(&s->rmu);
	errno = e;
	return rc;
}

void spool_rewind(struct spool *s)
{
	pthread_mutex_lock(&s->rmu);
	s->unacked = 0;
	spool_reader_unlock(s, false);
	pthread_mutex_unlock(&s->rmu);
}

size_t spool_backlog(struct spool *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned long long w = s->stat.records, a = s->stat.acked;
	pthread_mutex_unlock(&s->mu);
	return w > a ? (size_t)(w - a) : 0;
}

int spool_chain_head(struct spool *s, struct chain_head *out)
{
	pthread_mutex_lock(&s->mu);
	int known = s->chain_pub.id[0] != '\0';
	if (known)
		*out = s->chain_pub;
	pthread_mutex_unlock(&s->mu);
	return known;
}
