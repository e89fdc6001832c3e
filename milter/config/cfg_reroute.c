/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_reroute.c - the keys of a rule that sends a stopped copy somewhere
 * useful instead of bouncing it, and tells the mailbox (README.md
 * "Rerouting"): rules[].reroute_to, rules[].notify, and the checks that
 * tie them to alerts.notice and alerts.mail.
 */
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "cfg_loader.h"
#include "cfg_policy.h"
#include "cfg_reroute.h"
#include "cfg_types.h"
#include "cfg_value.h"
#include "policy.h"

/*
 * reroute_to: one internal address.  An outside one would only move the
 * leak; the action must be reroute, since no other action reads it (the
 * table sets a rule's action before this key).
 */
void
cfg_set_reroute_to(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const struct policy_rule *r = base;
	char canonical[ADDRESS_CANONICAL_MAX + 1], shown[CFG_SHOW_MAX + 8];
	const char *at;

	if (cfg_mailbox(l, n, path, canonical, sizeof(canonical)) != 0)
		return;
	at = strrchr(canonical, '@');
	if (at == NULL || !policy_domain_internal(&l->cfg->policy, at + 1))
		cfg_report(l, n, path, "'%s' is not in an internal domain (domains.internal)",
		    cfg_show(n->text, n->len, shown));
	else if (r->action != (enum action)-1 && r->action != ACTION_REROUTE)
		cfg_report(l, n, path, "reroute_to is only read with action reroute, not %s",
		    action_name(r->action));
	else
		cfg_replace(l, FIELD(base, k, char *), canonical);
}

/*
 * notify: "mailbox" and/or names of alerts.routes, alone or in a list.
 * The notice says the mail was stopped, so a rule that lets mail through
 * has nothing to tell the mailbox; a route named gets the rule's alerts
 * whatever its match says (cfg_notice_check: the route exists, the rule
 * alerts).
 */
void
cfg_set_notify(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	struct policy_rule *r = base;
	char ipath[CFG_PATH_MAX], shown[CFG_SHOW_MAX + 8], routes[1024] = "";
	struct cfg_node *const *items;
	size_t count, i, used = 0;
	const char *s;
	bool mailbox = false;

	if (cfg_items(l, &n, path, true, &items, &count) < 0)
		return;
	for (i = 0; i < count; i++) {
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (items[i]->kind == CFG_NODE_BAD || (s = cfg_text(l, items[i], ipath,
		    "a notice target")) == NULL)
			return;
		if (strcmp(s, "mailbox") == 0) {
			mailbox = true;
			continue;
		}
		if (!cfg_name_ok(s, CFG_NAME_MAX) || used + strlen(s) + 2 > sizeof(routes)) {
			cfg_report(l, items[i], ipath, "unknown notice target '%s' (want mailbox "
			    "or the name of a route of alerts.routes)",
			    cfg_show(s, items[i]->len, shown));
			return;
		}
		used += (size_t)snprintf(routes + used, sizeof(routes) - used, "%s%s",
		    used > 0 ? "," : "", s);
	}
	if (mailbox && (r->action == ACTION_ACCEPT || r->action == ACTION_FLAG)) {
		cfg_report(l, n, path, "the notice tells the mailbox its mail was stopped: "
		    "not with action %s", action_name(r->action));
		return;
	}
	*FIELD(base, k, bool) = mailbox;
	if (used > 0)
		cfg_replace(l, &r->notify_routes, routes);
}

/* Is name one of the configured routes? */
static bool
cfg_route_known(const struct cfg_alerts *a, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < a->nroutes; i++)
		if (strlen(a->routes[i].name) == len && strncmp(a->routes[i].name, name, len) == 0)
			return true;
	return false;
}

/* Every route a rule notifies exists, and the rule writes alerts for it. */
static void
cfg_notify_routes_check(struct cfg_loader *l, const struct cfg_node *root)
{
	const struct policy *p = &l->cfg->policy;
	char shown[CFG_SHOW_MAX + 8];
	size_t i, len;
	const char *s;

	for (i = 0; i < p->nrules; i++) {
		for (s = p->rules[i].notify_routes; s != NULL && *s != '\0'; s += len + (s[len] == ',')) {
			len = strcspn(s, ",");
			if (!cfg_route_known(&l->cfg->alerts, s, len))
				cfg_report(l, cfg_yaml_get(root, "rules"), "rules",
				    "rule %s notifies '%s', which is no route of alerts.routes",
				    p->rules[i].name, cfg_show(s, len, shown));
		}
		if (p->rules[i].notify_routes != NULL && p->rules[i].alert == ALERT_NONE)
			cfg_report(l, cfg_yaml_get(root, "rules"), "rules",
			    "rule %s notifies routes but writes no alert (alert: none)",
			    p->rules[i].name);
	}
}

/* A notice needs a sender and someone to name as the contact. */
void
cfg_notice_check(struct cfg_loader *l, const struct cfg_node *root)
{
	const struct policy *p = &l->cfg->policy;
	const struct cfg_alerts *a = &l->cfg->alerts;
	size_t i;

	cfg_notify_routes_check(l, root);
	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].notify_mailbox)
			break;
	if (i == p->nrules)
		return;
	if (a->notice_from == NULL && a->mail_from == NULL)
		cfg_report(l, cfg_yaml_get(root, "alerts"), "alerts.notice",
		    "missing required key 'from' (rule %s notifies the mailbox and "
		    "alerts.mail.from is not set)", p->rules[i].name);
	if (a->notice_contact == NULL && a->mail_to == NULL)
		cfg_report(l, cfg_yaml_get(root, "alerts"), "alerts.notice",
		    "missing required key 'contact' (rule %s notifies the mailbox and "
		    "alerts.mail.to is not set)", p->rules[i].name);
}
