/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_sync.c - following the directory with LDAP Content
 * Synchronization (RFC 4533, refreshAndPersist, libldap's ldap_sync_*).
 *
 * The search covers the whole base with no attributes ("1.1"): the
 * watcher only needs to hear that something changed - a forward, an
 * address, a group's members - and then reads the protected entries
 * again (watch_scan.c), which answers what changed for whom.  What the
 * refresh phase sends at the start is the content the first scan reads
 * anyway, so it is not counted.
 *
 * libldap's refresh loop waits for the server without a bound of its
 * own; the caller scans (bounded by ldap.timeout) just before, so a
 * server that does not answer is noticed there.
 */
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "watch_int.h"

struct watch_sync {
	ldap_sync_t *ls;
	char *base;
	char *filter;
	char *attrs[2];
	bool refreshing;
	long changes;
};

static int sync_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid,
    ldap_sync_refresh_t phase)
{
	struct watch_sync *s = ls->ls_private;

	(void)msg;
	(void)uuid;
	(void)phase;
	if (!s->refreshing)
		s->changes++;
	return LDAP_SUCCESS;
}

/* A set of deleted (or present) entry ids after the refresh: something changed. */
static int sync_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids,
    ldap_sync_refresh_t phase)
{
	struct watch_sync *s = ls->ls_private;

	(void)msg;
	(void)phase;
	if (!s->refreshing && uuids != NULL)
		s->changes++;
	return LDAP_SUCCESS;
}

static int sync_result(ldap_sync_t *ls, LDAPMessage *msg, int deletes)
{
	(void)ls;
	(void)msg;
	(void)deletes;
	return LDAP_SUCCESS;
}

struct watch_sync *watch_sync_start(struct ldap *ld, const char *base, bool *unsupported,
    const char **why)
{
	struct watch_sync *s = calloc(1, sizeof(*s));

	*unsupported = false;
	*why = "out of memory";
	if (s == NULL)
		return NULL;
	s->base = strdup(base);
	s->filter = strdup("(objectClass=*)");
	s->attrs[0] = strdup(LDAP_NO_ATTRS);
	if (s->base == NULL || s->filter == NULL || s->attrs[0] == NULL ||
	    (s->ls = ldap_sync_initialize(NULL)) == NULL) {
		watch_sync_free(s);
		return NULL;
	}
	s->ls->ls_base = s->base;
	s->ls->ls_scope = LDAP_SCOPE_SUBTREE;
	s->ls->ls_filter = s->filter;
	s->ls->ls_attrs = s->attrs;
	s->ls->ls_timeout = 1;
	s->ls->ls_search_entry = sync_entry;
	s->ls->ls_intermediate = sync_intermediate;
	s->ls->ls_search_result = sync_result;
	s->ls->ls_private = s;
	s->ls->ls_ld = ld;
	s->refreshing = true;
	int rc = ldap_sync_init_refresh_and_persist(s->ls);
	s->refreshing = false;
	if (rc != LDAP_SUCCESS) {
		/* A server that answers with a result code does not offer the control on this base. */
		*unsupported = rc > 0;
		*why = ldap_err2string(rc);
		watch_sync_free(s);
		return NULL;
	}
	return s;
}

long watch_sync_wait(struct watch_sync *s, int seconds, const char **why)
{
	s->changes = 0;
	s->ls->ls_timeout = seconds;
	int rc = ldap_sync_poll(s->ls);
	/* More may be queued behind the first: take them all before scanning once. */
	s->ls->ls_timeout = 0;
	for (int i = 0; rc == LDAP_SUCCESS && s->changes > 0 && i < 1000; i++) {
		long before = s->changes;
		rc = ldap_sync_poll(s->ls);
		if (s->changes == before)
			break;
	}
	if (rc != LDAP_SUCCESS) {
		*why = rc < 0 ? "connection lost" : ldap_err2string(rc);
		return -1;
	}
	return s->changes;
}

void watch_sync_free(struct watch_sync *s)
{
	if (s == NULL)
		return;
	if (s->ls != NULL) {
		/* The handle, base, filter and attributes are ours, not libldap's to free. */
		s->ls->ls_ld = NULL;
		s->ls->ls_base = NULL;
		s->ls->ls_filter = NULL;
		s->ls->ls_attrs = NULL;
		ldap_sync_destroy(s->ls, 1);
	}
	free(s->base);
	free(s->filter);
	free(s->attrs[0]);
	free(s);
}
