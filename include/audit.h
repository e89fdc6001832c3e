/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit.h - the audit trail as the daemon sees it: records made durable in
 * the spool, then shipped to Redis by a background thread (README.md "The
 * audit trail", "Failure behaviour").
 *
 * Redis streams written by the shipper (keys under redis.prefix):
 *   <prefix>audit            every decision record
 *   <prefix>mailbox:<addr>   the decisions concerning one protected mailbox
 *   <prefix>alerts           alert records, also PUBLISHed on <prefix>alerts
 * Each decision or alert is shipped with a Lua script that first does SET
 * NX on <prefix>seen:<id>, so a replayed record is added exactly once.  A
 * correlation record becomes the hash <prefix>msg:<message-id> (or
 * thread:<conversation>) with no marker: shipping it again changes
 * nothing that is there (milter/trail/shipper.c).
 */
#ifndef FWDGUARD_AUDIT_H
#define FWDGUARD_AUDIT_H

#include <stddef.h>
#include "cfg.h"
#include "record.h"
#include "spool.h"

struct audit;
struct spool;

/* Opens the spool of c->audit.spool and starts the shipper; NULL with a reason in err. */
struct audit *audit_open(const struct cfg *c, char *err, size_t errsize);

/*
 * The same on a spool directory of the caller's (fwdguard-audit watch
 * keeps its own, so that its records form a chain of their own).
 */
struct audit *audit_open_spool(const struct cfg *c, const char *dir, char *err, size_t errsize);

/* Durable on 0; -1 when the records could not be made durable (caller applies on_error). */
int audit_commit(struct audit *a, struct record *const *recs, size_t n);

/*
 * A message's records are on their way (coming), or will not come after
 * all: lets the spool's group commit wait for them (spool_expect).
 * Accepts NULL.
 */
void audit_expect(struct audit *a, bool coming);

/* New Redis settings after a reload (the spool directory is fixed at open). */
void audit_reconfigure(struct audit *a, const struct cfg *c);

/* For the metrics (README.md "Metrics"); any thread. */
struct audit_stat {
	size_t backlog;			/* records written since start, not yet in Redis */
	long long oldest_ms;		/* ts of the oldest record not in Redis; 0: none */
	unsigned long long shipped;	/* records the shipper stored in Redis */
	unsigned long long ship_errors;	/* shipping rounds that failed */
	unsigned long long commit_failures;	/* spool writes that failed (messages tempfailed) */
};
void audit_stat(struct audit *a, struct audit_stat *out);
/* Stops the shipper after a last, bounded attempt to ship; closes the spool. */
void audit_close(struct audit *a);	/* accepts NULL */

/*
 * Ships everything in the spool to Redis once, in the calling thread
 * (used by "fwdguard-audit replay" and by the shipper).  Returns the number
 * of records shipped, or -1 when Redis could not be reached (err says why).
 */
long audit_ship_pending(struct spool *s, const struct cfg_redis *rc, long long maxlen,
    char *err, size_t errsize);

/*
 * The same with a connection kept between calls (milter/trail/shipper.c): the
 * shipper thread runs it after each kick.  It connects when there is
 * something to ship and drops the connection after a failure.
 */
struct audit_shipper;
struct audit_shipper *audit_shipper_new(void);	/* NULL on ENOMEM */
void audit_shipper_free(struct audit_shipper *sh);	/* accepts NULL */
void audit_shipper_disconnect(struct audit_shipper *sh);	/* e.g. after new settings */
long audit_shipper_run(struct audit_shipper *sh, struct spool *s, const struct cfg_redis *rc,
    long long maxlen, char *err, size_t errsize);
/*
 * The ts (unix ms) of the oldest record the last run could not ship yet,
 * or of the batch in flight; 0 when the last run emptied the spool.  Safe
 * to read from any thread.
 */
long long audit_shipper_oldest(const struct audit_shipper *sh);
/* The server it is connected to, or NULL (borrowed until the next call on sh). */
const char *audit_shipper_address(const struct audit_shipper *sh);
/*
 * Whether the server it is connected to keeps an append-only file, as
 * INFO persistence said at connect: 1 yes, 0 no, -1 unknown (not
 * connected, or INFO refused, e.g. by an ACL).
 */
int audit_shipper_aof(const struct audit_shipper *sh);
/* Records stored in Redis and the round trips they took (pipelined batches). */
void audit_shipper_counts(const struct audit_shipper *sh, unsigned long long *records,
    unsigned long long *round_trips);

#endif
