/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * classify.c - internal, external or allowed: where a recipient's mail goes.
 *
 * An address is internal only when every domain on its routing chain is
 * internal, so a routed form cannot smuggle mail out behind an internal
 * domain.  The MTA's own routing is consulted as a second opinion and can
 * only make the answer safer, never laxer.
 */
#include <string.h>
#include <strings.h>

#include "policy.h"

const char *
policy_protected_canonical(const struct policy *p, const char *canonical)
{
	if (p == NULL || canonical == NULL || canonical[0] == '\0')
		return NULL;
	for (size_t i = 0; i < p->nprotected; i++)
		if (p->protected[i] != NULL && strcasecmp(p->protected[i], canonical) == 0)
			return p->protected[i];
	if (p->protected_hook != NULL)
		return p->protected_hook(p->protected_ctx, canonical);
	return NULL;
}

/*
 * Whole address first, then, for an internal address only, the address
 * without its extension: Postfix's order (mail_addr_find(3)).  The stripped
 * form does not count when the whole address is a recipient of its own
 * (known_hook): customer-service@ with delimiters "+-" is not customer@
 * when the directory has an entry for customer-service@.  When nobody can
 * say, Postfix would deliver it to customer@, and so it counts.
 */
const char *
policy_protected(const struct policy *p, const struct address *a)
{
	char whole[ADDRESS_CANONICAL_MAX + 1], bare[ADDRESS_CANONICAL_MAX + 1];
	const char *found;

	if (p == NULL || a == NULL || a->local[0] == '\0')
		return NULL;
	/* A routed address is delivered elsewhere, never to the mailbox itself. */
	if (a->nhops > 1 || a->route != ROUTE_NONE)
		return NULL;
	if (address_canonical(a, NULL, whole, sizeof(whole)) != 0)
		return NULL;
	if ((found = policy_protected_canonical(p, whole)) != NULL)
		return found;
	/* Our delimiters say nothing about another domain's mailboxes. */
	if (a->nhops != 1 || !policy_is_internal(p, a))
		return NULL;
	if (address_canonical(a, p->delimiters, bare, sizeof(bare)) != 0 ||
	    strcmp(bare, whole) == 0)
		return NULL;
	if (p->known_hook != NULL && p->known_hook(p->known_ctx, whole) == 1)
		return NULL;
	return policy_protected_canonical(p, bare);
}

int
policy_domain_internal(const struct policy *p, const char *domain)
{
	if (p == NULL || domain == NULL || domain[0] == '\0')
		return 0;
	if (domain_list_match(p->internal, domain))
		return 1;
	return p->internal_hook != NULL && p->internal_hook(p->internal_ctx, domain) == 1;
}

static int
policy_is_unqualified(const struct address *a)
{
	return a->nhops == 0 && (a->flags & ADDRESS_UNQUALIFIED) && a->local[0] != '\0';
}

/* Index of the first hop that is not internal, or -1. */
static int
policy_first_external(const struct policy *p, const struct address *a)
{
	for (int i = 0; i < a->nhops && i < ADDRESS_HOPS_MAX; i++)
		if (!policy_domain_internal(p, a->hops[i]))
			return i;
	return -1;
}

int
policy_is_internal(const struct policy *p, const struct address *a)
{
	if (p == NULL || a == NULL)
		return 0;
	if (policy_is_unqualified(a))
		return 1;
	/* A zeroed address (failed parse) has no hop to vouch for it. */
	return a->nhops > 0 && policy_first_external(p, a) < 0;
}

static int
policy_allow_has_mailbox(const struct policy_allow *e, const char *mailbox)
{
	if (e->nmailboxes == 0)
		return 1;
	if (mailbox == NULL)
		return 0;
	for (size_t i = 0; i < e->nmailboxes; i++)
		if (e->mailboxes[i] != NULL && strcasecmp(e->mailboxes[i], mailbox) == 0)
			return 1;
	return 0;
}

/* Whether the entry's destination covers every external hop of a. */
static int
policy_allow_covers(const struct policy *p, const struct policy_allow *e, const struct address *a)
{
	char canon[ADDRESS_CANONICAL_MAX + 1];

	if (e->destination == NULL || e->destination[0] == '\0')
		return 0;
	if (strchr(e->destination, '@') != NULL) {
		if (a->nhops != 1 || a->route != ROUTE_NONE)
			return 0;
		/* Whole: an exception for partner@ is not one for partner-exfil@. */
		if (address_canonical(a, NULL, canon, sizeof(canon)) != 0)
			return 0;
		return strcasecmp(canon, e->destination) == 0;
	}
	for (int i = 0; i < a->nhops && i < ADDRESS_HOPS_MAX; i++) {
		if (policy_domain_internal(p, a->hops[i]))
			continue;
		if (!domain_pattern_match(e->destination, a->hops[i]))
			return 0;
	}
	return 1;
}

static const struct policy_allow *
policy_find_allow(const struct policy *p, const struct address *a, const char *mailbox, time_t now)
{
	for (size_t i = 0; i < p->nallow; i++) {
		const struct policy_allow *e = &p->allow[i];
		if (e->expires_at != 0 && e->expires_at <= now)
			continue;
		if (policy_allow_has_mailbox(e, mailbox) && policy_allow_covers(p, e, a))
			return e;
	}
	return NULL;
}

enum destination
policy_destination(const struct policy *p, const struct address *a,
    const char *mailbox, time_t now, const struct policy_allow **allow, const char **target)
{
	const struct policy_allow *e;
	int ext;

	if (allow != NULL)
		*allow = NULL;
	if (target != NULL)
		*target = a != NULL ? a->domain : "";
	if (p == NULL || a == NULL)
		return DEST_EXTERNAL;
	if (policy_is_internal(p, a)) {
		if (target != NULL && a->nhops > 0)
			*target = a->hops[a->nhops - 1];
		return DEST_INTERNAL;
	}
	ext = policy_first_external(p, a);
	if (ext < 0)
		return DEST_EXTERNAL;	/* unreadable address: no hop at all */
	if (target != NULL)
		*target = a->hops[ext];
	e = policy_find_allow(p, a, mailbox, now);
	if (e == NULL)
		return DEST_EXTERNAL;
	if (allow != NULL)
		*allow = e;
	return DEST_ALLOWED;
}

static int
policy_local_mailer(const char *mailer)
{
	static const char *const local[] = { "local", "virtual", "lmtp" };

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strcasecmp(mailer, local[i]) == 0)
			return 1;
	return 0;
}

enum destination
policy_crosscheck(const struct policy *p, enum destination dest,
    const char *mailer, const char *host)
{
	char name[DOMAIN_MAX + 1];
	enum domain_status st;
	size_t len;

	/* Only an internal answer can be made safer. */
	if (dest != DEST_INTERNAL || p == NULL)
		return dest;
	/* Postfix says "error" even for accepted virtual alias recipients. */
	if (mailer == NULL || mailer[0] == '\0' || strcasecmp(mailer, "error") == 0)
		return dest;
	/* A bracketed host is a relayhost ([127.0.0.1]:2525): no domain in it. */
	if (host == NULL || host[0] == '\0' || host[0] == '[')
		return dest;
	if (policy_local_mailer(mailer))
		return dest;
	const char *colon = strchr(host, ':');
	len = colon != NULL ? (size_t)(colon - host) : strlen(host);
	st = domain_normalize(host, len, name, sizeof(name));
	if (st != DOMAIN_OK)
		return DEST_EXTERNAL;
	return policy_domain_internal(p, name) ? dest : DEST_EXTERNAL;
}
