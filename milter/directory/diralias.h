/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * diralias.h - every address of the directory entries that hold a
 * protected mailbox, each with the mailbox it belongs to (private to
 * milter/directory/directory.c; README.md "The directory").
 *
 * A mailbox is its directory entry: support@ (in the YAML) whose entry
 * also receives mail as contactfr@ (mailLocalAddress) is protected under
 * both addresses, and records name it support@.  The mailbox of an entry
 * is the YAML address it was found by, else the entry's mail, else its
 * first address.
 *
 * Input is a by-entry search answer (directory.h, DIR_ENTRY_*): values
 * "attribute:value", each entry ended by an empty value.  proxyAddresses
 * values count only with an "smtp:" prefix (any case), the Exchange form
 * of a mail address; values that are no plain address are ignored.
 *
 * A built set is immutable; the strings it returns are interned in a pool
 * (one per directory).  The policy and the audit records borrow them for
 * the message they work on: a message pins the pool (diralias_pin) and a
 * string stays until no pin that could have seen it is left and no
 * installed set uses it; diralias_pool_sweep frees the others when a new
 * set is installed, diralias_pool_free all of them at shutdown.  Their
 * number is bounded by the directory's content, not by mail.
 *
 * An entry contributes at most DIRALIAS_ENTRY_MAX addresses.  More is an
 * error: it is logged naming the mailbox and counted (diralias_dropped);
 * the extra addresses are not protected (README.md "The directory").
 */
#ifndef FWDGUARD_DIRALIAS_H
#define FWDGUARD_DIRALIAS_H

#include <stddef.h>

#include "dircache.h"

#define DIRALIAS_ENTRY_MAX	10000	/* addresses loaded per directory entry */

struct diralias;
struct diralias_builder;
struct diralias_pool;

/* NULL on ENOMEM. */
struct diralias_pool *diralias_pool_new(void);
/* Frees every string: only when nothing borrows them (shutdown).  Accepts NULL. */
void diralias_pool_free(struct diralias_pool *pool);

/* The interned copy of s (see above for how long it lives), or NULL on ENOMEM. */
const char *diralias_intern(struct diralias_pool *pool, const char *s);

/* Pins the strings a message may borrow from now on; the pin goes to diralias_unpin. */
unsigned long diralias_pin(struct diralias_pool *pool);
void diralias_unpin(struct diralias_pool *pool, unsigned long pin);

/*
 * Call when set (NULL: none) has just been installed, under the lock its
 * readers take: frees the strings neither set nor a pin can reach.
 * Returns how many were freed.
 */
size_t diralias_pool_sweep(struct diralias_pool *pool, struct diralias *set);

/* Interned strings held, pins held (tests and logs). */
size_t diralias_pool_count(struct diralias_pool *pool);
size_t diralias_pool_pinned(struct diralias_pool *pool);

/* NULL on ENOMEM.  The builder pins the pool until its set is installed or freed. */
struct diralias_builder *diralias_builder_new(struct diralias_pool *pool);
void diralias_builder_free(struct diralias_builder *b);	/* accepts NULL */

/*
 * Adds the addresses of the entries in a by-entry answer.  mailbox: the
 * canonical mailbox they all belong to (a YAML address), or NULL: each
 * entry's own.  An address added earlier keeps its first mailbox.
 * 0, or -1 on ENOMEM.
 */
int diralias_add(struct diralias_builder *b, const struct dir_values *entries, const char *mailbox);

/* The set (b is consumed, even on failure), or NULL on ENOMEM. */
struct diralias *diralias_build(struct diralias_builder *b);
void diralias_free(struct diralias *s);		/* accepts NULL */

/* The mailbox a whole canonical address belongs to, or NULL; interned. */
const char *diralias_find(const struct diralias *s, const char *canonical);

size_t diralias_count(const struct diralias *s);

/* Addresses left out past DIRALIAS_ENTRY_MAX; *entries: in how many entries (may be NULL). */
size_t diralias_dropped(const struct diralias *s, size_t *entries);

#endif
