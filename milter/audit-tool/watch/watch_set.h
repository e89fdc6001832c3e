/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_set.h - the external forwards of the protected directory entries
 * as "fwdguard-audit watch" sees them (README.md "Watching the
 * directory"): one item per (mailbox, target), the difference between
 * two such sets, and the text form kept in Redis.  Pure: no I/O; the
 * classification asks the policy (internal domains, allow list) only.
 *
 * Items are compared by mailbox (canonical, exact) and target (ASCII
 * case-insensitive: a forward value whose case changed is the same
 * forward).  The entry, attribute and destination ride along.
 */
#ifndef FWDGUARD_WATCH_SET_H
#define FWDGUARD_WATCH_SET_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

#define WATCH_SET_MAX		100000	/* forwards held; more is an error, never a silent cut */
#define WATCH_TEXT_MAGIC	"fwdguard-watch 1"

enum watch_change { WATCH_ADDED, WATCH_REMOVED, WATCH_BASELINE };

struct watch_item {
	const char *mailbox;	/* the protected mailbox (canonical address) */
	const char *target;	/* the forward value, as the directory holds it */
	const char *entry;	/* the entry's DN */
	const char *attribute;	/* the forward attribute that holds it */
	enum destination dest;	/* DEST_EXTERNAL or DEST_ALLOWED */
};

struct watch_set;

struct watch_set *watch_set_new(void);		/* NULL on ENOMEM */
void watch_set_free(struct watch_set *s);	/* accepts NULL */

/*
 * Adds a copy of the item (NULL strings are stored as "").  0, or -1 with
 * errno ENOMEM, or E2BIG past WATCH_SET_MAX.
 */
int watch_set_add(struct watch_set *s, const struct watch_item *it);

/*
 * Sorts the set by (mailbox, target) and keeps the first item added of
 * each pair.  Call it after adding and before reading: count, item, diff
 * and encode read a sealed set.
 */
void watch_set_seal(struct watch_set *s);

size_t watch_set_count(const struct watch_set *s);
/* Item i in (mailbox, target) order; borrowed until the set is freed. */
const struct watch_item *watch_set_item(const struct watch_set *s, size_t i);

/*
 * Calls fn for every item of cur missing from old (WATCH_ADDED), then for
 * every item of old missing from cur (WATCH_REMOVED).  old NULL: every
 * item of cur is WATCH_BASELINE.  Returns the number of calls, or -1 as
 * soon as fn returns non-zero.  Linear in the sizes of both sets (each is
 * kept sorted).
 */
typedef int (*watch_diff_fn)(void *ctx, const struct watch_item *it, enum watch_change ch);
long watch_set_diff(const struct watch_set *old, const struct watch_set *cur,
    watch_diff_fn fn, void *ctx);

const char *watch_change_name(enum watch_change ch);	/* "added", "removed", "baseline" */

/*
 * The text kept in Redis: a line WATCH_TEXT_MAGIC " <baseline unix ms>",
 * then one line per item "mailbox TAB target TAB entry TAB attribute TAB
 * destination" with '%', TAB, CR, LF and other control bytes as %XX.
 * Malloc'd (caller frees), NULL on ENOMEM.
 */
char *watch_set_encode(const struct watch_set *s, long long baseline_ms, size_t *len);

/* Reads that text back (linear); NULL when it is not one (or ENOMEM). */
struct watch_set *watch_set_decode(const char *buf, size_t len, long long *baseline_ms);

/*
 * Where a forward value of mailbox's entry leads: DEST_INTERNAL (not
 * reported), DEST_ALLOWED (an allow entry for that mailbox covers it at
 * now) or DEST_EXTERNAL.  A value that cannot be read as an address is
 * external: nothing vouches for it.
 */
enum destination watch_classify(const struct policy *p, const char *mailbox, const char *target,
    time_t now);

#endif
