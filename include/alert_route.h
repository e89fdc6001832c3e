/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_route.h - which alerts a route of alerts.routes takes
 * (milter/config/alert_route.c, pure: the directory is asked through a callback).
 *
 * A route matches an alert when each of its filters that is set matches:
 * mailboxes (the alert's protected mailbox is one of the addresses, or a
 * member of one of the "group:<DN>" groups), levels, rules.  A group the
 * directory cannot answer for makes the answer "try again": the alert then
 * waits for that route (never dropped, never sent to the wrong team).
 * A route the alert's rule names in its notify: list matches whatever its
 * filters say.
 */
#ifndef FWDGUARD_ALERT_ROUTE_H
#define FWDGUARD_ALERT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg_types.h"

/* Rules of alerts the relay writes itself (alert_expiry.c) or the directory watcher does. */
#define ALERT_RULE_EXPIRY	"allow-expiry"
#define ALERT_BUILTIN_RULES	"allow-expiry|directory-change"

enum route_verdict { ROUTE_NO, ROUTE_YES, ROUTE_TRYAGAIN };

/* The fields of an alert record a route looks at; borrowed, NULL when absent. */
struct route_alert {
	const char *mailbox;
	const char *level;
	const char *rule;
	const char *notify_routes;	/* "hr,legal": the rule names these routes (notify:) */
};

/* Is mailbox (as the alert spells it) a member of the group (a DN)? */
typedef enum route_verdict (*route_member_fn)(void *ctx, const char *group_dn,
    const char *mailbox);

/* member may be NULL when r names no group (a group is then "try again"). */
enum route_verdict alert_route_match(const struct cfg_route *r, const struct route_alert *a,
    route_member_fn member, void *ctx);

/*
 * The consumer group and the Redis key namespace (under redis.prefix) of
 * one channel of a route: "relay:<route>:<what>" and
 * "alerts:route:<route>:<what>:", what being "mail" or "webhook".  Neither
 * meets the security team's ("relay", "alerts:window:..." and the like) nor
 * another route's: route names hold no ':' (cfg_alerts.c), so each route
 * and channel dedupes and acknowledges on its own.  Cut to the sizes given.
 */
void alert_route_chan_names(const char *route, const char *what, char *group, size_t gsize,
    char *ns, size_t nsize);

/*
 * Is s one plain address (not routed, with a domain)?  Only such an
 * exception owner is mailed: it becomes a sendmail recipient.
 */
bool alert_route_is_address(const char *s);

#define ALERT_ROUTE_URL_MAX	2048	/* bytes of a webhook URL */

/*
 * Is s (len bytes) a webhook URL as webhook.url and webhook.url_file take
 * it?  http:// or https:// and a host, none of the characters a URL may
 * not hold unescaped, at most ALERT_ROUTE_URL_MAX bytes: it goes to
 * libcurl as it is.
 */
bool alert_route_url_ok(const char *s, size_t len);

/* Is name one of ALERT_BUILTIN_RULES? */
bool alert_route_builtin_rule(const char *name);

#endif
