/*
 * diralias.h - every address of the directory entries that hold a
 * protected mailbox, each with the mailbox it belongs to (private to
 * milter/directory.c; README.md "The directory").
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
 * A built set is immutable; the strings it returns are interned and live
 * for the life of the process (the policy and the audit records borrow
 * them).  Their number is bounded by the directory's content, not by mail.
 */
#ifndef FWDGUARD_DIRALIAS_H
#define FWDGUARD_DIRALIAS_H

#include <stddef.h>

#include "dircache.h"

struct diralias;
struct diralias_builder;

/* The interned copy of s (lives for the process), or NULL on ENOMEM. */
const char *diralias_intern(const char *s);

/* NULL on ENOMEM. */
struct diralias_builder *diralias_builder_new(void);
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

#endif
