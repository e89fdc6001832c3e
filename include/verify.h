/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verify.h - checks the hash chains of the <prefix>audit stream, one entry
 * at a time in stream order (milter/trail/verify.c; man/fwdguard-audit.1, VERIFY).
 *
 * Memory grows with the number of chains and problems kept, never with
 * the number of entries: a trail of millions is walked page by page.
 */
#ifndef FWDGUARD_VERIFY_H
#define FWDGUARD_VERIFY_H

#include <stdbool.h>
#include <stdio.h>
#include "chain.h"

struct verify;

/* host: only that host's entries (NULL: all); partial: the walk starts at --since. */
struct verify *verify_new(const char *host, bool partial);	/* NULL on ENOMEM */
void verify_free(struct verify *v);	/* accepts NULL */

/*
 * An anchor from <prefix>alerts (its stream id, and the head it names),
 * given before the walk: the entry at that seq must carry that hash, and
 * the chain must reach that seq.  0, or -1 on ENOMEM.
 */
int verify_anchor(struct verify *v, const char *sid, const char *chain, unsigned long long seq,
    const char *hash);

/* One entry, in stream order: its id and fields (borrowed for the call).  0, or -1 on ENOMEM. */
int verify_entry(struct verify *v, const char *stream_id, const struct chain_field *f, size_t n);

/* Problems found (missing, altered, reordered, unchained); final after verify_report. */
unsigned long verify_problems(const struct verify *v);

/*
 * Prints the problems, first in stream order first, then one summary line
 * per chain (records, first and last seq and time, head hash, where it
 * begins).  Returns the number of problems.
 */
unsigned long verify_report(struct verify *v, FILE *out);

/* The chains' heads, for anchoring: calls fn for each chain in the order first seen. */
void verify_heads(const struct verify *v, void (*fn)(void *ctx, const struct chain_head *h,
    long long last_ms), void *ctx);

#endif
