/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_route.c - route matching (see alert_route.h).  Addresses compare
 * without regard to case, as the protected mailboxes do (README.md
 * "Recipient delimiters"): the alert spells the mailbox's canonical name.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "alert_route.h"
#include "policy.h"

bool alert_route_is_address(const char *s)
{
	struct address a;
	return s != NULL && address_parse(s, strlen(s), &a) == ADDRESS_OK &&
	    !(a.flags & ADDRESS_UNQUALIFIED) && a.nhops == 1;
}

bool alert_route_url_ok(const char *s, size_t len)
{
	size_t scheme;

	scheme = strncasecmp(s, "https://", 8) == 0 ? 8 : strncasecmp(s, "http://", 7) == 0 ? 7 : 0;
	return !(scheme == 0 || s[scheme] == '\0' || s[scheme] == '/' ||
	    strpbrk(s, " \"<>\\^`{|}") != NULL || len > ALERT_ROUTE_URL_MAX);
}

bool alert_route_builtin_rule(const char *name)
{
	static const char *const builtin[] = { ALERT_RULE_EXPIRY, "directory-change" };
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(name, builtin[i]) == 0)
			return true;
	return false;
}

void alert_route_chan_names(const char *route, const char *what, char *group, size_t gsize,
    char *ns, size_t nsize)
{
	snprintf(group, gsize, "relay:%s:%s", route, what);
	snprintf(ns, nsize, "alerts:route:%s:%s:", route, what);
}

static enum route_verdict route_mailbox(const struct cfg_route *r, const char *mailbox,
    route_member_fn member, void *ctx)
{
	size_t glen = strlen(CFG_ROUTE_GROUP);
	bool tryagain = false;

	if (r->nmailboxes == 0)
		return ROUTE_YES;
	/* An alert about no mailbox (mail no one could examine) is no team's. */
	if (mailbox == NULL || *mailbox == '\0')
		return ROUTE_NO;
	for (size_t i = 0; i < r->nmailboxes; i++)
		if (strncasecmp(r->mailboxes[i], CFG_ROUTE_GROUP, glen) != 0 &&
		    strcasecmp(r->mailboxes[i], mailbox) == 0)
			return ROUTE_YES;
	for (size_t i = 0; i < r->nmailboxes; i++) {
		if (strncasecmp(r->mailboxes[i], CFG_ROUTE_GROUP, glen) != 0)
			continue;
		enum route_verdict v = member != NULL ?
		    member(ctx, r->mailboxes[i] + glen, mailbox) : ROUTE_TRYAGAIN;
		if (v == ROUTE_YES)
			return ROUTE_YES;
		tryagain = tryagain || v == ROUTE_TRYAGAIN;
	}
	return tryagain ? ROUTE_TRYAGAIN : ROUTE_NO;
}

enum route_verdict alert_route_match(const struct cfg_route *r, const struct route_alert *a,
    route_member_fn member, void *ctx)
{
	enum alert_level lv;
	size_t len;

	for (const char *s = a->notify_routes; r->name != NULL && s != NULL && *s != '\0';
	    s += len + (s[len] == ',')) {
		len = strcspn(s, ",");
		if (strlen(r->name) == len && strncmp(r->name, s, len) == 0)
			return ROUTE_YES;
	}
	if (r->levels != 0 && (a->level == NULL || alert_level_lookup(a->level, &lv) < 0 ||
	    (r->levels & (1u << lv)) == 0))
		return ROUTE_NO;
	if (r->nrules > 0) {
		size_t i;
		for (i = 0; a->rule != NULL && i < r->nrules; i++)
			if (strcmp(r->rules[i], a->rule) == 0)
				break;
		if (a->rule == NULL || i == r->nrules)
			return ROUTE_NO;
	}
	/* Last: it is the only filter that may ask the directory. */
	return route_mailbox(r, a->mailbox, member, ctx);
}
