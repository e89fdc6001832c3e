/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_days.h - reading the global audit stream day by day (UTC), with
 * what the tool learnt about each closed day kept in Redis
 * (milter/audit-tool/audit_days.c; private to the fwdguard-audit tool).
 *
 * A stream id is the time Redis added the entry and ids only grow, so once
 * the stream holds an entry after a day, that day can no longer change.
 * The first time a reader goes through such a day whole, it keeps:
 *   <prefix>report:days     field <day>: the day's report groups (text)
 *   <prefix>report:domains  field <day>: the day's recipient and target
 *                           domains, one a line
 * (<day>: days since the epoch).  Later reads use them in place of the
 * day's entries.  The current day is kept the same way by closed hours
 * (fields h<hour>), dropped once their day is kept, so that a report costs
 * at most an hour of entries and the kept pieces.  They are an optimisation only: a value that does not
 * decode, or one that cannot be written, falls back to the stream.
 */
#ifndef FWDGUARD_AUDIT_DAYS_H
#define FWDGUARD_AUDIT_DAYS_H

#include <stdbool.h>
#include "audit_query.h"
#include "audit_view.h"
#include "cfg.h"
#include "redis_conn.h"

/* The report of key between q's since and until into rep; 0 or -1 (printed). */
int days_report(const struct cfg *c, struct redis_conn *rc, const char *key,
    const struct query *q, struct view_report *rep);

/*
 * report --cache-days: reads and keeps every closed day of key (and every
 * closed hour of a day not closed yet) that is not kept already, in the
 * form this reader decodes, so that a later report reads none of their
 * entries.  Sets kept_n[0] and kept_n[1] to the days and hours it kept.
 * 0 or -1 (printed).
 */
int days_keep(const struct cfg *c, struct redis_conn *rc, const char *key, long kept_n[2]);

/*
 * search --domain over key: as query_walk newest first, but skips each
 * closed day whose kept domains cannot match q->domain.  0 or -1 (printed).
 */
int days_search(const struct cfg *c, struct redis_conn *rc, const char *key,
    const struct query *q, bool (*fn)(void *ctx, const struct view_entry *e), void *ctx);

#endif
