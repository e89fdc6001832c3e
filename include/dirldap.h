/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirldap.h - a bounded pool of LDAP handles for the directory (private
 * to milter/directory/directory.c).
 *
 * Each handle is used by one thread at a time.  Every synchronous call is
 * bounded by ldap.timeout (LDAP_OPT_TIMEOUT and LDAP_OPT_NETWORK_TIMEOUT),
 * referrals are not chased, TLS certificates are checked.  After a
 * connection-level failure the pool answers "try again" at once until a
 * back-off (1 s doubling to 10 s) has passed, so a dead server costs one
 * timeout per back-off period instead of one per lookup.  One log line
 * marks the start and one the end of an outage.
 */
#ifndef FWDGUARD_DIRLDAP_H
#define FWDGUARD_DIRLDAP_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"
#include "cfg.h"
#include "dircache.h"

#define DIR_VALUE_MAX		ADDRESS_MAX	/* longest address put into a filter */
#define DIR_POOL_SIZE		4	/* LDAP handles shared by libmilter's threads */
/* The by-entry form: "<attribute>:<value>", an empty value after each entry. */
#define DIR_ENTRY_TAG		':'

struct dirldap;

struct dirldap *dirldap_new(void);
void dirldap_free(struct dirldap *dl);	/* accepts NULL */

/*
 * Uses the settings of l with this bind password (copied; NULL: none).
 * Handles opened with older settings are closed when next released.
 * 0, or -1 on ENOMEM (the old settings stay).
 */
int dirldap_configure(struct dirldap *dl, const struct cfg_ldap *l, const char *password);

/*
 * Searches base (subtree) with filter and collects every value of attrs
 * (a NULL-terminated list) of the matching entries into *out (owned by the
 * caller), at most max_values.  max_entries 0: any number; else more
 * matching entries than max_entries is a fault (ambiguous).  *nentries
 * receives the number of entries.  DIR_NOTFOUND when none matched.
 * by_entry: the values come in the by-entry form (DIR_ENTRY_TAG above).
 */
enum dir_status dirldap_search(struct dirldap *dl, const char *filter, char **attrs,
    int max_entries, size_t max_values, bool by_entry, struct dir_values *out,
    size_t *nentries);

/*
 * One handle outside the pool (fwdguard-audit watch), with the pool's
 * options and ldap.timeout, connected, StartTLS'd and bound now.  0 with
 * *out set (free it with dirldap_handle_close), or -1 with *why (static
 * text).  password may be NULL.
 */
struct ldap;
int dirldap_handle_open(const struct cfg_ldap *l, const char *password, struct ldap **out,
    const char **why);
void dirldap_handle_close(struct ldap *ld);	/* accepts NULL */

#endif
