/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool_int.h - private to the spool (milter/trail/spool*.c): the spool's
 * state, shared by spool.c (opening, the directory, the cursor check),
 * spool_write.c (group commit), spool_direct.c (its direct writes),
 * spool_recent.c (the newest bytes kept for the reader) and spool_read.c
 * (the reader and its cursor).
 * spool.c's opening comment describes the journal layout and the rules both
 * sides keep.  Include spool.h first: this header does not include the
 * interface back (struct spool_stat comes from there).
 */
#ifndef FWDGUARD_SPOOL_INT_H
#define FWDGUARD_SPOOL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "chain.h"

#define JOURNAL_PREFIX	"journal-"
#define ROTATE_DEFAULT	(16 * 1024 * 1024)
#define CURSOR_WIDTH	42	/* bytes of every cursor written, '\n' included */
#define RBUF_CAP	(256 * 1024)	/* longer than any line the encoder makes */
#define SPOOL_BLOCK	4096	/* a direct write's unit: no device's logical block is larger */
/*
 * The newest journal bytes kept for the reader (spool_recent.c): what the
 * shipper reads after lingering between rounds (audit.c, 200 ms) must
 * still be there, or it is read back from the disk.  1 MiB holds 200 ms
 * of some 5 MB/s of records, several times what two cores commit.
 */
#define SPOOL_RECENT	(1024 * 1024)

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
	 * (writing == true) alone touches wfd, wseq, wsize, wahead */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct spool_batch *filling;
	bool writing;
	int wfd;
	uint64_t wseq;
	off_t wsize;		/* where the journal's lines end: the next batch goes here */
	off_t wahead;		/* written (zeros past wsize) up to here: spool_write.c */
	/* Direct writes (spool_direct.c), leader only: dfd is the journal
	 * opened O_DIRECT | O_DSYNC, or -1 (writes are buffered, then
	 * synced).  direct_refused: the file system refused once;
	 * direct_want (under the mutex): spool_set_direct's; direct_ok: the
	 * leader's copy of "wanted and not refused", taken with the batch. */
	int dfd;
	bool direct_ok, direct_want, direct_refused;
	char tail[SPOOL_BLOCK];	/* the block wsize is in, up to wsize */
	char *dbuf;		/* SPOOL_BLOCK-aligned, dcap bytes */
	size_t dcap;
	size_t rotate_size;
	struct spool_stat stat;
	/* Announced commits (spool_expect): those arrived or called off are
	 * settled; a leader gathering waits on gather_cv. */
	unsigned long long announced, settled;
	pthread_cond_t gather_cv;
	void (*sync_hook)(void *);	/* tests: runs before each batch is written */
	void *sync_hook_arg;
	/* What the reader may read: journals below durable_seq whole, journal
	 * durable_seq up to durable_off, nothing above.  Set by the leader
	 * (durable_known) once it opened a journal; until then it is what the
	 * directory held, measured under the mutex so no batch slips in. */
	bool durable_known;
	uint64_t durable_seq;
	off_t durable_off;
	/* The newest directly written bytes (spool_recent.c), under the
	 * mutex: [recent_lo, recent_hi) of journal recent_seq, in a ring. */
	char *recent;
	uint64_t recent_seq;
	off_t recent_lo, recent_hi;
	/* The chain of decision records (chain.h): leader only; chain_pub is
	 * its copy under the mutex for spool_chain_head(). */
	bool chain_known;
	struct chain_head chain, chain_pub;

	/* reading side, guarded by rmu */
	pthread_mutex_t rmu;
	int lockfd;
	bool locked;
	uint64_t ack_seq, rd_seq;
	uint64_t swept_below;	/* journals below it were removed by this reader */
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

/* spool.c: the directory */
int spool_fsync_dir(struct spool *s);
/* fchown of a file root made in the spool to the spool's owner; what names it in the warning. */
void spool_give_to_owner(const struct spool *s, int fd, const char *what);
uint64_t spool_journal_seq(const char *name);	/* 0 for a name that is not a journal's */
void spool_journal_name(char *buf, size_t size, uint64_t seq);
/*
 * Scans the directory: *next = smallest seq above `after` (0 none),
 * *max = largest seq (0 none).  When unlink_below is non-zero, journals
 * below it are removed on the way.  0, or -1 with errno.
 */
int spool_scan(struct spool *s, uint64_t after, uint64_t *next, uint64_t *max,
    uint64_t unlink_below);

/* spool_direct.c: batches written with O_DIRECT | O_DSYNC */
void spool_direct_open(struct spool *s, const char *name);	/* dfd, or -1 */
void spool_direct_close(struct spool *s);
/* 0 durable; 1 nothing written, write buffered; -1 with errno (*written: see there). */
int spool_direct_write(struct spool *s, const char *buf, size_t len, size_t *written);

/* spool_recent.c: the newest directly written bytes, for this process's reader */
void spool_recent_add(struct spool *s, uint64_t seq, off_t off, const char *buf, size_t len);
/* Bytes copied from `from` on (at most want), or -1: not held, read the file. */
ssize_t spool_recent_read(struct spool *s, uint64_t seq, char *dst, size_t want, off_t from);

/* spool_read.c: the reader's cursor */
void spool_cursor_load(struct spool *s);	/* missing or unreadable: from the start */
int spool_cursor_save(struct spool *s, uint64_t seq, off_t off);	/* 0, or -1 with errno */

#endif
