/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_int.h - internal to the files of fwdguard-audit watch
 * (milter/audit-tool/watch/watch*.c): the directory side (scan, sync, poll) and the trail
 * side (baseline in Redis, records).
 */
#ifndef FWDGUARD_WATCH_INT_H
#define FWDGUARD_WATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "audit.h"
#include "cfg.h"
#include "watch_set.h"

struct ldap;

/* ---- the scan (milter/audit-tool/watch/watch_scan.c) ------------------------------------------ */

#define WATCH_ENTRIES_MAX	5000	/* protected entries read in one scan */

/* What a scan learnt about one entry, for the records of its changes. */
struct watch_entry {
	char *dn;
	char *mailbox;
	char *modifiers_name;	/* operational attributes, "" when the server keeps none */
	char *modify_timestamp;
};

struct watch_scan {
	struct watch_set *set;	/* the external forwards, sealed */
	struct watch_entry *entries;
	size_t nentries;
	size_t internal;	/* forwards left out as internal */
};

/*
 * Reads every protected entry (each YAML mailbox by ldap.mailbox_filter,
 * then the entries of ldap.protected_filter) with its forward, address
 * and operational attributes, and classifies each forward value with the
 * policy.  0 with *out (free with watch_scan_free), or -1 with *why
 * (static text or the server's): the directory could not answer.
 */
int watch_scan_run(struct ldap *ld, const struct cfg *c, time_t now, struct watch_scan **out,
    const char **why);
void watch_scan_free(struct watch_scan *s);	/* accepts NULL */
/* The entry with that DN (case-insensitive), or NULL. */
const struct watch_entry *watch_scan_entry(const struct watch_scan *s, const char *dn);

/* ---- following changes (milter/audit-tool/watch/watch_sync.c, milter/audit-tool/watch/watch_poll.c) ------------- */

struct watch_sync;

/*
 * Starts an RFC 4533 refreshAndPersist search of the whole base on ld
 * (borrowed; it must outlive the sync) and waits for its refresh to end.
 * NULL with *why; *unsupported is then true when the server answered but
 * refused the synchronization (no syncprov), false when it failed.
 */
struct watch_sync *watch_sync_start(struct ldap *ld, const char *base, bool *unsupported,
    const char **why);
/*
 * Waits up to seconds for changes, then collects those already queued.
 * The number of entries changed (> 0), 0 when none came, or -1 when the
 * search ended or the connection failed (*why).
 */
long watch_sync_wait(struct watch_sync *s, int seconds, const char **why);
void watch_sync_free(struct watch_sync *s);	/* accepts NULL */

#define WATCH_POLL_LOOKBACK	300	/* s before the start the first poll looks at (clock skew) */

struct watch_poll {
	char since[32];		/* GeneralizedTime of the newest change seen */
	uint64_t digest;	/* of the last answer's (DN, modifyTimestamp) pairs */
	size_t n;
};

void watch_poll_init(struct watch_poll *p, time_t now);
/*
 * Asks for the entries with modifyTimestamp >= since.  1 when the answer
 * differs from the last one (something changed: scan again), 0 when not,
 * -1 with *why when the directory could not answer.
 */
int watch_poll_check(struct ldap *ld, const char *base, struct watch_poll *p, const char **why);

/* ---- the trail (milter/audit-tool/watch/watch_trail.c) ----------------------------------------- */

struct watch_trail;

/* Opens the spool and its shipper; NULL with err. */
struct watch_trail *watch_trail_open(const struct cfg *c, char *err, size_t errsize);
void watch_trail_close(struct watch_trail *t);	/* accepts NULL */

/*
 * The last known set from Redis: 1 with *set and *baseline_ms, 0 when no
 * baseline was ever recorded, -1 with err when Redis could not answer.
 */
int watch_trail_load(struct watch_trail *t, struct watch_set **set, long long *baseline_ms,
    char *err, size_t errsize);

/*
 * Records the difference between old (NULL: none, this is the baseline)
 * and the scan: records made durable in the spool first, then the set
 * saved to Redis.  Returns the number of changes recorded, or -1 when the
 * records could not be made durable (nothing is then taken as known: the
 * caller keeps old and tries again).  A set that Redis did not take is
 * saved again by watch_trail_flush.
 */
long watch_trail_apply(struct watch_trail *t, const struct watch_set *old,
    const struct watch_scan *scan, long long baseline_ms);
/* Saves the set again if the last save failed; 0 saved or nothing to do, -1 not yet. */
int watch_trail_flush(struct watch_trail *t);

#endif
