/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirsettings.h - the directory's settings (private to milter/directory/):
 * the filters, attributes and YAML mailboxes its lookups and set loads
 * read.  Immutable once made; reference-counted, so a reload swaps them
 * while lookups in flight finish with the old ones (the counts are kept
 * under the directory's lock).
 */
#ifndef FWDGUARD_DIRSETTINGS_H
#define FWDGUARD_DIRSETTINGS_H

#include "cfg.h"

/* What lookups read; replaced as a whole on reload. */
struct dirsettings {
	unsigned refs;
	char *mailbox_filter;
	char *protected_filter;
	char *domain_filter;
	char **fwd_attrs;	/* NULL-terminated */
	char **set_attrs;	/* address_attributes and those compared with %s in
				 * mailbox_filter: every address of an entry */
	char **yaml;		/* the YAML protected mailboxes, NULL-terminated */
	long ttl;
};

/* Settings from cfg (ldap and the YAML protected mailboxes), refs 1; NULL on ENOMEM. */
struct dirsettings *dirsettings_new(const struct cfg *cfg);
/* Drops one reference, freeing on the last; accepts NULL. */
void dirsettings_unref(struct dirsettings *s);

#endif
