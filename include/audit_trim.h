/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_trim.h - audit.retention: the streams keep that many days
 * (milter/trail/audit_trim.c).  Run by the shipper thread, never on the path of
 * a milter reply.
 */
#ifndef FWDGUARD_AUDIT_TRIM_H
#define FWDGUARD_AUDIT_TRIM_H

#include <stddef.h>
#include "cfg.h"

/* The hash where fwdguard-audit report keeps the groups of each closed
 * day (field: days since the epoch); trimming drops the days it empties. */
#define AUDIT_REPORT_DAYS	"report:days"
/* The same for the domains each closed day saw (search --domain). */
#define AUDIT_REPORT_DOMAINS	"report:domains"

/* Seconds between two trims: retention is counted in days, so once a
 * minute is exact enough and keeps the cost out of every shipping round. */
#define AUDIT_TRIM_INTERVAL	60

/* What one trim leaves for the next: the mailbox streams found and when. */
struct trim_memo;
void trim_memo_free(struct trim_memo *m);	/* accepts NULL */

/*
 * Removes, from <prefix>audit, <prefix>alerts and every
 * <prefix>mailbox:<address>, the entries Redis added more than
 * c->audit.retention days before now_ms (unix ms).  *memo (NULL at first,
 * owned by the caller, freed with trim_memo_free) keeps the names of the
 * mailbox streams from one call to the next, looked for again hourly.
 * Returns the number of entries removed (0 when retention is 0), or -1
 * with err set.
 */
long audit_trim(const struct cfg *c, long long now_ms, struct trim_memo **memo, char *err,
    size_t errsize);

#endif
