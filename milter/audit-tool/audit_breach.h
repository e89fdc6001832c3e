/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_breach.h - "fwdguard-audit breach": the scope of an incident, what
 * one protected mailbox's mail did towards one outside domain
 * (milter/audit-tool/audit_breach.c; private to the fwdguard-audit tool; the meaning
 * of every count is in fwdguard-audit(1), BREACH).
 *
 * A breach reads decisions one by one (breach_add, entries of the
 * mailbox's stream) and keeps copies of what it reports: memory follows
 * the decisions in scope, never the whole stream.  Each decision in scope
 * is one of three kinds, by its signals (view_entry_kind(), the report's
 * kinds): a copy of received mail (any forwarding signal), leak evidence
 * (leak-backscatter, leak-probe), or the mailbox's own mail (no forwarding
 * signal: replies), which is counted apart and never as mail that left.
 */
#ifndef FWDGUARD_AUDIT_BREACH_H
#define FWDGUARD_AUDIT_BREACH_H

#include <stdbool.h>
#include <stdio.h>

#include "audit_query.h"
#include "audit_view.h"
#include "cfg.h"
#include "redis_conn.h"

struct breach;

/*
 * Whether a normalized domain is internal (1) or not (0): decides which
 * header-From addresses are external senders.
 */
typedef int (*breach_internal_fn)(void *ctx, const char *domain);

/*
 * mailbox and domain as given (domain is normalized here: lower case, no
 * trailing dot, A-labels); since_ms/until_ms the window (-1: open), for
 * printing only.  NULL on ENOMEM or a domain breach_check refuses.
 */
struct breach *breach_new(const char *mailbox, const char *domain, long long since_ms,
    long long until_ms, breach_internal_fn internal, void *ctx);
void breach_free(struct breach *b);	/* accepts NULL */

/* Counts e when in scope (its target, else its recipient, in domain). 0, or -1 on ENOMEM. */
int breach_add(struct breach *b, const struct view_entry *e);

struct breach_counts {
	long read;		/* decisions read, in scope or not */
	long in_scope;		/* decisions in scope, of every kind */
	long left, stopped;	/* messages; one that left is never also stopped */
	long senders, internal_senders;
	long without_from;	/* messages that left with no readable From: */
	long own_mail;		/* messages of the mailbox's own mail */
	long leak;		/* leak evidence decisions */
	long targets, signals, decisions, queue_ids;
};
void breach_counts(const struct breach *b, struct breach_counts *out);

/* Both sort the leak evidence by time first. */
void breach_print_text(FILE *out, struct breach *b);	/* lists cut at 20 */
void breach_print_json(FILE *out, struct breach *b);	/* one object, full lists */

/* Why the query cannot be a breach (a usage error naming the option), or NULL. */
const char *breach_check(const struct query *q);

/* The command: reads the mailbox's stream in the window, prints. 0, or 1 after saying why. */
int breach_run(const struct cfg *c, struct redis_conn *rc, const struct query *q);

#endif
