/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool.h - the local journal that makes audit records durable before the
 * milter replies (README.md "The audit trail", "Failure behaviour").
 *
 * Records are appended to journal files in the spool directory and made
 * durable with group commit: concurrent spool_commit() callers share one
 * synchronous write (O_DIRECT | O_DSYNC, or write + fdatasync).  A reader
 * cursor (persisted in the directory) tracks what was shipped to Redis;
 * fully shipped journals are removed.  A torn last line (crash mid-write)
 * is skipped on reading.  Thread-safe.
 */
#ifndef FWDGUARD_SPOOL_H
#define FWDGUARD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include "chain.h"
#include "record.h"

struct spool;

/* Opens (creating mode 0750 if needed) dir.  NULL with a reason in err. */
struct spool *spool_open(const char *dir, char *err, size_t errsize);
void spool_close(struct spool *s);	/* accepts NULL */

/*
 * For a tool run as root on the daemon's spool (fwdguard-audit replay):
 * becomes the directory's owner (user and group, no supplementary groups)
 * so that no file in it is created or followed with root's rights and the
 * daemon can still rewrite what the tool wrote.  Does nothing when not
 * root or when root owns the directory.  0, or -1 with err set.
 */
int spool_become_owner(const char *dir, char *err, size_t errsize);

/*
 * Appends records and returns once they are on stable storage (0), or -1
 * with errno set when they could not be made durable: the caller must then
 * not accept the message unrecorded.  Decision records get their chain
 * fields (chain.h) set here, in the order they enter the journal; the
 * records must stay untouched by the caller until it returns.
 */
int spool_commit(struct spool *s, struct record *const *recs, size_t n);

/*
 * Group commit hint.  A writer that will soon commit announces it
 * (coming = true) and later commits, or says it will not after all
 * (coming = false).  A leader about to write a batch first waits, at most
 * SPOOL_GATHER_MS, for the commits announced before it to arrive, so that
 * they share its sync instead of each waiting for a sync of their own.
 * A commit takes the place of one announced commit, whoever made it.
 */
#define SPOOL_GATHER_MS	1
void spool_expect(struct spool *s, bool coming);

/*
 * Reading side (one reader at a time; the spool takes an flock so the
 * daemon's shipper and "fwdguard-audit replay" never read together).
 * spool_next() returns the next unshipped record (caller frees), or NULL
 * when none is left (or on error, with errno set).  Records this spool
 * writes are returned only once their sync completed, so nothing shipped
 * can still be lost from the journal.  spool_ack() marks
 * everything returned so far as shipped and persists the cursor.
 */
struct record *spool_next(struct spool *s);
int spool_ack(struct spool *s);
/* Rewinds the reader to the last acknowledged position (after a failed shipment). */
void spool_rewind(struct spool *s);

/* The head of this spool's chain after its last batch: 1 with *out set, 0 none yet. */
int spool_chain_head(struct spool *s, struct chain_head *out);

/* Number of records written and not yet acknowledged (approximate, for logs). */
size_t spool_backlog(struct spool *s);

/* Counters since spool_open, for logs and tests (group commit: syncs < commits). */
struct spool_stat {
	unsigned long long commits;	/* spool_commit calls that queued records */
	unsigned long long records;	/* records made durable */
	unsigned long long syncs;	/* batches made durable (write+fdatasync, or one direct write) */
	unsigned long long direct;	/* of them, written as one O_DIRECT | O_DSYNC write */
	unsigned long long failures;	/* rounds that failed (callers got -1) */
	unsigned long long skipped;	/* undecodable lines passed over by the reader */
	unsigned long long acked;	/* records acknowledged by spool_ack */
};
void spool_stat(struct spool *s, struct spool_stat *out);

/*
 * For tests: hook(arg) runs in the leader after each batch's write and
 * before its sync, outside the spool's lock, so a test can hold a batch
 * back while other writers queue behind it, or read while a batch is
 * written but not yet durable.  With direct writes (spool_set_direct) the
 * write is the sync: the hook runs before it.  NULL clears it.
 */
void spool_set_sync_hook(struct spool *s, void (*hook)(void *), void *arg);

/*
 * Whether batches may be written with O_DIRECT | O_DSYNC, one durable
 * write instead of a write and an fdatasync (spool_direct.c); on by
 * default, and off by itself where the file system refuses.  For tests;
 * takes effect at the next journal.
 */
void spool_set_direct(struct spool *s, bool on);

/* Journal size that starts a new journal file (default 16 MiB); for tests and tuning. */
void spool_set_rotate_size(struct spool *s, size_t bytes);

#endif
