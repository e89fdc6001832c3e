/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * correlate.h - the correlation store (README.md "The audit trail", <prefix>msg:<id>): for
 * each Message-ID a protected mailbox received, which mailbox, the envelope
 * sender, the recipient domains and when.  Writes go through the audit
 * spool as records of kind "correlation" (correlate_record) that the
 * shipper turns into HSET + EXPIRE; reads are HGETALL (a batch of them in
 * one script call) on a small pool of Redis connections of our own, each
 * bounded by redis.timeout.
 *
 * A lookup has three outcomes, as Postfix tables do: found, not found, and
 * try again (Redis down, slow or busy).  "Not found" is never said when
 * Redis could not answer.  Records this process wrote in the last
 * CORRELATE_CACHE_SECONDS are also kept in memory, so that a Redis outage
 * or the shipper's lag does not hide a fresh one: they turn "not found" and
 * "try again" into "found".
 *
 * The Outlook conversation (Thread-Index) of such a message is remembered
 * the same way, as <prefix>thread:<conversation id> with the same fields
 * and its message_id, for the same TTL: a forward made in Outlook names
 * its original by the conversation only.  The first message of a
 * conversation a protected mailbox receives is the one remembered.
 *
 * Thread-safe: many milter workers look up at once.
 */
#ifndef FWDGUARD_CORRELATE_H
#define FWDGUARD_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg.h"
#include "evidence.h"
#include "leak.h"
#include "record.h"
#include "thread.h"

#define CORRELATE_POOL		2	/* Redis connections for lookups */
#define CORRELATE_CACHE_SIZE	4096	/* records remembered in memory */
#define CORRELATE_CACHE_SECONDS	600
#define CORRELATE_DOMAINS_MAX	1024	/* bytes of the rcpt_domains list */
#define CORRELATE_SENDER_MAX	520
#define CORRELATE_BATCH_MAX	32	/* keys looked up in one round trip */

enum correlate_status { CORRELATE_FOUND, CORRELATE_NOTFOUND, CORRELATE_TRYAGAIN };

/* One correlation record; its strings live in the struct. */
struct correlate_entry {
	char message_id[EVIDENCE_MSGID_MAX + 1];
	char mailbox[ADDRESS_CANONICAL_MAX + 1];
	char sender[CORRELATE_SENDER_MAX];
	char rcpt_domains[CORRELATE_DOMAINS_MAX];
	long long ts;		/* unix ms */
	bool probe;
	char conversation[THREAD_CONV_MAX + 1];	/* Outlook's, or "" */
};

struct correlate;

/* A store using c's Redis settings; connects lazily.  NULL on ENOMEM. */
struct correlate *correlate_open(const struct cfg *c);
/* New Redis settings after a reload: the pool reconnects; the cache stays. */
void correlate_reconfigure(struct correlate *k, const struct cfg *c);
void correlate_close(struct correlate *k);	/* accepts NULL */

/* The process-wide store that reload.c reconfigures (set once by main; may be NULL). */
void correlate_set_current(struct correlate *k);
struct correlate *correlate_current(void);

/*
 * Looks message_id up.  On CORRELATE_FOUND *out is filled.  A NULL store
 * or an empty id gives CORRELATE_NOTFOUND.  Waits at most about twice
 * redis.timeout; after a connection failure, Redis is not asked again for
 * a second (lookups say try again at once, unless the cache knows).
 */
enum correlate_status correlate_lookup(struct correlate *k, const char *message_id,
    struct correlate_entry *out);

/*
 * Looks an Outlook conversation id up (<prefix>thread:<id>), with the same
 * three outcomes and bounds as correlate_lookup().  On CORRELATE_FOUND
 * *out is the record of the first message of that conversation a
 * protected mailbox received, its conversation field set.
 */
enum correlate_status correlate_lookup_conversation(struct correlate *k,
    const char *conversation, struct correlate_entry *out);

/* One key of correlate_lookup_batch(): a Message-ID or an Outlook conversation id. */
struct correlate_ask {
	const char *key;
	bool conversation;
};

/*
 * Looks asks[0 .. n) up (at most CORRELATE_BATCH_MAX; more are ignored)
 * with one wait for a connection and one round trip to Redis, however
 * many ids a message names: st[i] and, on CORRELATE_FOUND, out[i] are
 * what correlate_lookup() or correlate_lookup_conversation() would give
 * for asks[i] alone.
 */
void correlate_lookup_batch(struct correlate *k, const struct correlate_ask *asks, size_t n,
    struct correlate_entry *out, enum correlate_status *st);

/* Remembers a record this process made durable (the in-memory cache). */
void correlate_remember(struct correlate *k, const struct correlate_entry *e);

/*
 * The spool record for e: kind "correlation", a fresh "id", "message_id",
 * "ttl" (seconds), then the hash fields mailbox, sender, rcpt_domains, ts,
 * and "probe" = "1" only when e->probe (so a probe mark another writer put
 * in Redis is never overwritten).  NULL on ENOMEM.
 */
struct record *correlate_record(const struct correlate_entry *e, long long ttl);

/*
 * The spool record of e's conversation: as correlate_record(), with a
 * "conversation" field that routes it to <prefix>thread:<id> and keeps
 * "message_id" in the hash.  NULL on ENOMEM or when e has no conversation.
 */
struct record *correlate_conversation_record(const struct correlate_entry *e, long long ttl);

/* The view of e that leak.h decides on; borrows e's strings. */
struct leak_ref correlate_ref(const struct correlate_entry *e);

const char *correlate_status_name(enum correlate_status st);	/* "found", ... */

#endif
