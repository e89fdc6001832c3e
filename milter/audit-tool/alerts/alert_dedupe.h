/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_dedupe.h - the pure part of the alerts relay (milter/audit-tool/alerts/alert_dedupe.c):
 * grouping a batch of alert records by (mailbox, target domain, rule), the
 * decision what to do with a group given its dedupe window, and making
 * untrusted values safe for mail headers and bodies.  No I/O: the relay
 * (alert_relay.c) keeps the window and the pending counts in Redis.
 */
#ifndef FWDGUARD_ALERT_DEDUPE_H
#define FWDGUARD_ALERT_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>

/* One alert as the grouping sees it; strings are borrowed from the caller. */
struct dedupe_item {
	const char *mailbox;	/* NULL or "" is its own group ("-") */
	const char *target;
	const char *rule;
	long long ts_ms;
};

/* Members are indexes of the items in the order dedupe_batch_add saw them. */
struct dedupe_group {
	char *key;		/* owned by the batch; see dedupe_key */
	size_t *members;
	size_t n, cap;
	long long first_ms, last_ms;
};

struct dedupe_batch;

struct dedupe_batch *dedupe_batch_new(void);	/* NULL on ENOMEM */
void dedupe_batch_free(struct dedupe_batch *b);	/* accepts NULL */

/* Adds item number index to its group; 0, or -1 on ENOMEM. */
int dedupe_batch_add(struct dedupe_batch *b, size_t index, const struct dedupe_item *it);

/* Groups in order of their first member; borrowed until dedupe_batch_free. */
size_t dedupe_batch_count(const struct dedupe_batch *b);
const struct dedupe_group *dedupe_batch_group(const struct dedupe_batch *b, size_t i);

/*
 * The group key "mailbox|target|rule": mailbox and target lower-cased, '%',
 * '|', control bytes, spaces and non-ASCII bytes written as %XX so that two
 * different triples never share a key and the key is safe in a Redis key
 * name and a log line.  Malloc'd (caller frees), NULL on ENOMEM.
 */
char *dedupe_key(const char *mailbox, const char *target, const char *rule);

enum dedupe_verdict {
	DEDUPE_NOTHING,		/* no new alert, nothing pending */
	DEDUPE_MAIL,		/* window closed: mail now, counting pending + new */
	DEDUPE_COUNT,		/* window open: count the new ones, mail later */
	DEDUPE_FLUSH		/* window closed, only repeats pending: "N more" mail */
};

/* What to do with a group of nnew alerts when pending repeats are counted. */
enum dedupe_verdict dedupe_decide(bool window_open, long pending, size_t nnew);

/*
 * Copies s into out (always NUL-terminated, cut at size - 1) with every
 * control byte (CR, LF, TAB, NUL...) and DEL replaced by '?', and for
 * headers (header true) every non-ASCII byte too, so that a value from
 * Redis can never start a new header line or body line.  NULL is "-".
 * Returns out.
 */
char *dedupe_clean(char *out, size_t size, const char *s, bool header);

/*
 * The fields of an alert record that a struct of borrowed strings takes
 * (struct alert_mail, struct alert_notice): one slot per field, named as
 * the record names it, so a member's name is its field's name.
 */
struct dedupe_slot {
	const char *name;
	size_t off;		/* of a const char * member */
};
#define DEDUPE_SLOT(type, member)	{ #member, offsetof(type, member) }

/* Points obj's member for field at value (borrowed); other fields are ignored. */
void dedupe_slot_set(void *obj, const struct dedupe_slot *slots, size_t n, const char *field,
    const char *value);

#endif
