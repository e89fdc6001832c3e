/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_breach_int.h - the insides of a breach, shared by the files of one
 * module only: milter/audit-tool/audit_breach.c (counting) and
 * milter/audit-tool/audit_breach_print.c (text and JSON).  Everything here is owned
 * by the breach and freed by breach_free().  It does not include
 * audit_breach.h: the interface includes nothing of its insides.
 */
#ifndef FWDGUARD_AUDIT_BREACH_INT_H
#define FWDGUARD_AUDIT_BREACH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

/* Distinct strings in the order first seen, each with flags; a search tree for the lookups. */
struct bset {
	char **s;
	unsigned *flags;
	size_t n, cap;
	void *tree;		/* tsearch(3) nodes pointing into s */
};

/* Index of s (added, with flags 0, when new), or -1 on ENOMEM. */
long bset_add(struct bset *b, const char *s);

/* Flags of a message in breach.messages. */
#define MSG_LEFT	1u	/* a copy of it went out */
#define MSG_STOPPED	2u	/* a copy of it was stopped */
#define MSG_NO_FROM	4u	/* a copy that went out had no readable From: */

struct breach_leak {
	long long ms;
	char *id, *signals, *from, *target, *original;
};

struct breach {
	char *mailbox;
	char domain[DOMAIN_MAX + 1];	/* normalized */
	long long since_ms, until_ms;	/* the window asked for, -1: open */
	int (*internal)(void *ctx, const char *domain);	/* a breach_internal_fn */
	void *ctx;

	long read, in_scope;
	long long first, last;		/* copies and leak evidence, unix ms; -1: none */
	struct bset messages;		/* copies: Message-ID (or stand-in) -> MSG_* */
	struct bset own;		/* the mailbox's own mail, by message */
	struct bset senders, internal_senders;	/* From: of copies that left, lower case */
	struct bset targets, signals;
	struct bset ids;		/* decision ids of copies and leak evidence */
	struct bset own_ids;		/* decision ids of the own mail */
	struct bset queue_ids;
	struct breach_leak *leak;
	size_t nleak, leak_cap;
	bool failed;			/* ENOMEM on the way: nothing is printed */
};

#endif
