/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_groups.h - is a protected mailbox a member of an LDAP group?  For
 * the "group:<DN>" items of alerts.routes[].match.mailboxes
 * (milter/audit-tool/alerts/alert_groups.c).
 *
 * The question protected_filter asks: an entry matching ldap.mailbox_filter
 * for the mailbox and (memberOf=<DN>).  Answers are kept ldap.cache.ttl
 * seconds, not-found ones ldap.cache.negative_ttl; a directory that does not
 * answer is "try again", never "not a member".  Thread-safe.
 */
#ifndef FWDGUARD_ALERT_GROUPS_H
#define FWDGUARD_ALERT_GROUPS_H

#include <stddef.h>
#include "alert_route.h"
#include "cfg.h"

struct alert_groups;

/* Reads ldap.bind_password_file now; NULL with a reason in err.  c must outlive it. */
struct alert_groups *alert_groups_open(const struct cfg *c, char *err, size_t errsize);
void alert_groups_close(struct alert_groups *g);	/* accepts NULL */

/* A route_member_fn; ctx is a struct alert_groups. */
enum route_verdict alert_groups_member(void *ctx, const char *group_dn, const char *mailbox);

#endif
