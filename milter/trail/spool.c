/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool.c - the local journal that makes audit records durable.
 *
 * Layout of the spool directory:
 *   journal-<seq>   records, one encoded line each, appended with O_APPEND;
 *                   a new journal is started when the current one reaches
 *                   the rotation size, or after a failed write or sync
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
 * leader, takes the batch, and does one write() + fdatasync() for all of it
 * while later callers fill the next batch.  A caller returns 0 only after
 * the sync of its own batch succeeded.  The reader never returns bytes past
 * the end of the last completed sync (durable_*): a record shipped to Redis
 * and then lost from the journal by a power cut would leave the cursor
 * beyond the journal's end, and records appended there would be skipped.
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
 * a line without its '\n' in the newest journal (it may still be written)
 * and skips such a torn tail in an older one (a crash mid-write): the
 * writer never appends to a journal that does not end in '\n'.
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
#include <unistd.h>

#include "chain.h"
#include "log.h"
#include "spool.h"

#define JOURNAL_PREFIX	"journal-"
#define ROTATE_DEFAULT	(16 * 1024 * 1024)
#define CURSOR_WIDTH	42	/* bytes of every cursor written, '\n' included */
#define RBUF_CAP	(256 * 1024)	/* longer than any line the encoder makes */

struct spool_batch {
	struct record **recs;	/* borrowed: their callers wait for the batch */
	size_t nrecs, cap;
	int waiters;		/* callers that still have to read the result */
	bool done;
	int err;		/* errno of a failed write or sync; 0 when durable */
};

struct spool {
	char *dir;
	int dirfd;

	/* writing side: the mutex guards filling/writing/stat; the leader
	 * (writing == true) alone touches wfd, wseq, wsize, wfresh */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct spool_batch *filling;
	bool writing;
	int wfd;
	uint64_t wseq;
	off_t wsize;
	bool wfresh;		/* next journal must be a new file */
	size_t rotate_size;
	struct spool_stat stat;
	void (*sync_hook)(void *);	/* tests: runs before each batch is written */
	void *sync_hook_arg;
	/* What the reader may read: journals below durable_seq whole, journal
	 * durable_seq up to durable_off, nothing above.  Set by the leader
	 * (durable_known) once it opened a journal; until then it is what the
	 * directory held, measured under the mutex so no batch slips in. */
	bool durable_known;
	uint64_t durable_seq;
	off_t durable_off;
	/* The chain of decision records (chain.h): leader only; chain_pub is
	 * its copy under the mutex for spool_chain_head(). */
	bool chain_known;
	struct chain_head chain, chain_pub;

	/* reading side, guarded by rmu */
	pthread_mutex_t rmu;
	int lockfd;
	bool locked;
	uint64_t ack_seq, rd_seq;
	off_t ack_off, rd_off;
	size_t unacked;		/* records returned since the last ack */
	int rfd;
	uint64_t rfd_seq;
	uint64_t lim_seq;	/* the reader's copy of durable_seq/off */
	off_t lim_off;
	char *rbuf;
	size_t rbuf_len;
	off_t rbuf_off;		/* file offset of rbuf[0] */
	bool rskip;		/* discarding an overlong line up to its '\n' */
};

static void spool_seterr(char *err, size_t errsize, const char *what, const char *dir, int e)
{
	snprintf(err, errsize, "spool %s: %s: %s", dir, what, strerror(e));
}

static int spool_fsync_dir(struct spool *s)
{
	return fsync(s->dirfd);
}

/* Returns the seq of a journal file name, or 0 for any other name. */
static uint64_t spool_journal_seq(const char *name)
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

static void spool_journal_name(char *buf, size_t size, uint64_t seq)
{
	snprintf(buf, size, JOURNAL_PREFIX "%020" PRIu64, seq);
}

/*
 * Scans the directory: *next = smallest seq above `after` (0 none),
 * *max = largest seq (0 none).  When unlink_below is non-zero, journals
 * below it are removed on the way.  0, or -1 with errno.
 */
static int spool_scan(struct spool *s, uint64_t after, uint64_t *next, uint64_t *max,
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

static void spool_cursor_load(struct spool *s);
static int spool_cursor_save(struct spool *s, uint64_t seq, off_t off);

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

struct spool *spool_open(const char *dir, char *err, size_t errsize)
{
	struct spool *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->dir = strdup(dir)) == NULL || (s->rbuf = malloc(RBUF_CAP)) == NULL) {
		snprintf(err, errsize, "spool %s: out of memory", dir);
		goto fail;
	}
	s->dirfd = s->wfd = s->lockfd = s->rfd = -1;
	s->rotate_size = ROTATE_DEFAULT;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
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

void spool_stat(struct spool *s, struct spool_stat *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stat;
	pthread_mutex_unlock(&s->mu);
}

/* ---- writing ---------------------------------------------------------- */

/* Whether an existing journal can take more lines: non-empty ones must end in '\n'. */
static bool spool_journal_appendable(int fd, off_t size, size_t rotate)
{
	char last;
	if (size >= (off_t)rotate)
		return false;
	if (size == 0)
		return true;
	return pread(fd, &last, 1, size - 1) == 1 && last == '\n';
}

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

/* Opens the journal to append to (leader only).  0, or -1 with errno. */
static int spool_journal_open(struct spool *s, size_t rotate)
{
	uint64_t max;
	char name[64];

	if (spool_scan(s, 0, NULL, &max, 0) != 0)
		return -1;
	if (max > 0 && !s->wfresh) {
		spool_journal_name(name, sizeof(name), max);
		/* O_RDWR: appendable() reads the last byte. */
		int fd = openat(s->dirfd, name, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 &&
		    spool_journal_appendable(fd, st.st_size, rotate)) {
			s->wfd = fd;
			s->wseq = max;
			s->wsize = st.st_size;
			spool_durable_set(s, max, st.st_size);
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	uint64_t seq = (max > s->wseq ? max : s->wseq) + 1;
	spool_journal_name(name, sizeof(name), seq);
	int fd = openat(s->dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -1;
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
	s->wfresh = false;
	spool_durable_set(s, seq, 0);
	return 0;
}

static void spool_journal_drop(struct spool *s)
{
	if (s->wfd >= 0)
		close(s->wfd);
	s->wfd = -1;
	s->wfresh = true;
}

/*
 * Writes and syncs one batch (leader only, without the mutex); the test
 * hook runs between the two.  0, or -1 with errno.
 */
static int spool_write_batch(struct spool *s, const char *buf, size_t head_len, size_t len,
    size_t rotate, void (*hook)(void *), void *hook_arg, bool *kept)
{
	*kept = false;
	if (s->wfd >= 0 && s->wsize > 0 && s->wsize + (off_t)len > (off_t)rotate) {
		close(s->wfd);
		s->wfd = -1;
		s->wfresh = true;
	}
	if (s->wfd < 0 && spool_journal_open(s, rotate) != 0)
		return -1;

	/* Only a fresh journal gets the head line: the others hold the chain. */
	if (s->wsize > 0) {
		buf += head_len;
		len -= head_len;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(s->wfd, buf + done, len - done);
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
	if (hook != NULL)
		hook(hook_arg);
	if (fdatasync(s->wfd) != 0) {
		int e = errno;
		*kept = true;
		spool_journal_drop(s);
		errno = e;
		return -1;
	}
	/* The file's end (O_APPEND left the offset there), not our count: a
	 * line someone else appended is synced too, and the reader's limit
	 * must not fall inside it. */
	off_t end = lseek(s->wfd, 0, SEEK_CUR);
	s->wsize = end >= 0 ? end : s->wsize + (off_t)len;
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
		s->stat.records += b->nrecs;
		s->durable_seq = s->wseq;
		s->durable_off = s->wsize;
	} else {
		s->stat.failures++;
	}
	s->writing = false;
	pthread_cond_broadcast(&s->cv);
}

int spool_commit(struct spool *s, struct record *const *recs, size_t n)
{
	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (recs[i] == NULL) {
			errno = EINVAL;
			return -1;
		}
	}

	pthread_mutex_lock(&s->mu);
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
		if (!s->writing)
			spool_lead(s);
		else
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

/* ---- reading ---------------------------------------------------------- */

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
static void spool_cursor_load(struct spool *s)
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

/*
 * A cursor made by root ("fwdguard-audit replay" run as root) belongs to
 * the spool's owner, as the rest of the spool does: the daemon, running as
 * that user, keeps writing it in place.
 */
static void spool_give_to_owner(const struct spool *s, int fd)
{
	struct stat st;

	if (geteuid() == 0 && fstat(s->dirfd, &st) == 0 && st.st_uid != 0 &&
	    fchown(fd, st.st_uid, st.st_gid) != 0)
		log_warn("spool %s: cannot give the cursor to uid %u", s->dir, (unsigned)st.st_uid);
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
	spool_give_to_owner(s, fd);
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
static int spool_cursor_save(struct spool *s, uint64_t seq, off_t off)
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

/* Takes the reader lock and reloads the cursor another reader may have moved. */
static int spool_reader_lock(struct spool *s)
{
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0)
		return -1;
	s->locked = true;
	spool_cursor_load(s);
	s->rd_seq = s->ack_seq;
	s->rd_off = s->ack_off;
	s->unacked = 0;
	spool_reader_reset_file(s);
	spool_reader_bound(s);
	return 0;
}

static void spool_reader_unlock(struct spool *s)
{
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
		ssize_t got = pread(s->rfd, s->rbuf + s->rbuf_len, want, from);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
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
			/* Journals before the cursor are fully shipped. */
			spool_scan(s, 0, NULL, NULL, s->ack_seq);
		}
	}
	int e = errno;
	/* Released between passes so that the other process gets its turn. */
	spool_reader_unlock(s);
	pthread_mutex_unlock(&s->rmu);
	errno = e;
	return rc;
}

void spool_rewind(struct spool *s)
{
	pthread_mutex_lock(&s->rmu);
	s->unacked = 0;
	spool_reader_unlock(s);
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
