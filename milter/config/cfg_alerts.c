/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_alerts.c - the setters of alerts.routes (fwdguard.yaml(5), README.md
 * "Alert routing") and the checks that tie a route to the rest of the
 * file: its rule names, its LDAP groups, the sender of its mail.
 *
 * Route names name consumer groups and Redis keys of the relay
 * (milter/audit-tool/alerts/alert_chan.c), so they keep the rule names' charset; a route's
 * mailboxes are the same comparison forms as the allow list's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "alert_route.h"
#include "cfg_alerts.h"
#include "cfg_loader.h"
#include "cfg_policy.h"
#include "cfg_types.h"
#include "cfg_value.h"
#include "policy.h"

/* "group:<DN>": a DN is attribute=value pairs; the directory checks the rest. */
static char *
cfg_route_group(struct cfg_loader *l, const struct cfg_node *n, const char *path, const char *s)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *dn = s + strlen(CFG_ROUTE_GROUP);

	if (l->cfg->ldap.uri == NULL) {
		cfg_report(l, n, path, "'%s' needs the directory (ldap.uri)",
		    cfg_show(s, n->len, shown));
		return NULL;
	}
	/* ADDRESS_MAX is DIR_VALUE_MAX, the longest value the directory puts in a filter. */
	if (*dn == '\0' || strchr(dn, '=') == NULL || strlen(dn) > ADDRESS_MAX) {
		cfg_report(l, n, path, "invalid group '%s' (want group:<DN>, e.g. "
		    "group:cn=hr,ou=groups,dc=corp,dc=example)", cfg_show(s, n->len, shown));
		return NULL;
	}
	return cfg_strdup(l, s);
}

/* A protected mailbox's comparison form (as allow[].mailboxes), or group:<DN>. */
static char *
cfg_route_mailbox(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path)
{
	const char *s = cfg_text(l, n, path, "an address");

	if (s == NULL)
		return NULL;
	if (strncasecmp(s, CFG_ROUTE_GROUP, strlen(CFG_ROUTE_GROUP)) == 0)
		return cfg_route_group(l, n, path, s);
	return cfg_protected_mailbox(l, k, n, path);
}

/* Names only; whether a rule of that name exists is checked with the rules (cfg_alerts_check). */
static char *
cfg_route_rule(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a rule name");

	(void)k;
	if (s == NULL)
		return NULL;
	if (!cfg_name_ok(s, (size_t)-1)) {
		cfg_report(l, n, path, "invalid rule name '%s'", cfg_show(s, n->len, shown));
		return NULL;
	}
	return cfg_strdup(l, s);
}

/* An address, kept as written: the relay hands it to sendmail. */
static char *
cfg_route_rcpt(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path)
{
	char canonical[ADDRESS_CANONICAL_MAX + 1];

	(void)k;
	return cfg_mailbox(l, n, path, canonical, sizeof(canonical)) == 0 ?
	    cfg_strdup(l, n->text) : NULL;
}

void
cfg_set_route_mailboxes(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	(void)cfg_strv_set(l, k, n, path, base, true,
	    "must not be empty (omit it to match any mailbox)", cfg_route_mailbox);
}

void
cfg_set_route_rules(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	(void)cfg_strv_set(l, k, n, path, base, true,
	    "must not be empty (omit it to match any rule)", cfg_route_rule);
}

void
cfg_set_mail_to(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	(void)cfg_strv_set(l, k, n, path, base, true,
	    "must not be empty (omit it to send no mail)", cfg_route_rcpt);
}

void
cfg_set_levels(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char ipath[CFG_PATH_MAX], shown[CFG_SHOW_MAX + 8];
	struct cfg_node *const *items;
	size_t count, i;
	unsigned mask = 0;
	enum alert_level a;
	const char *s;

	if (cfg_items(l, &n, path, true, &items, &count) < 0)
		return;
	if (count == 0) {
		cfg_report(l, n, path, "must not be empty (omit it to match any level)");
		return;
	}
	for (i = 0; i < count; i++) {
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (items[i]->kind == CFG_NODE_BAD || (s = cfg_text(l, items[i], ipath, "a level")) == NULL)
			return;
		if (alert_level_lookup(s, &a) < 0 || a == ALERT_NONE) {
			cfg_report(l, items[i], ipath, "unknown alert level '%s' (want info|warning|critical)",
			    cfg_show(s, items[i]->len, shown));
			return;
		}
		mask |= 1u << a;
	}
	*FIELD(base, k, unsigned) = mask;
}

const struct cfg_shape cfg_url_shape = { "a URL", "URL",
    "http://host/... or https://host/...", alert_route_url_ok };

/* ---- checks against the whole file -------------------------------------------- */

static bool
cfg_rule_known(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].name != NULL && strcmp(p->rules[i].name, name) == 0)
			return true;
	return alert_route_builtin_rule(name);
}

/* A webhook's URL comes from the YAML or from url_file (where a secret URL lives), one of them. */
static void
cfg_webhook_check(struct cfg_loader *l, const struct cfg_node *item, const char *path)
{
	const struct cfg_node *w = cfg_yaml_get(item, "webhook");
	char wpath[CFG_PATH_MAX + 16];

	/* By the keys written, not the values kept: a value refused is
	 * reported already.  An empty "webhook:" is a webhook without either. */
	if (w == NULL || (w->kind != CFG_NODE_MAP && !cfg_yaml_is_null(w)) ||
	    (cfg_yaml_get(w, "url") != NULL) != (cfg_yaml_get(w, "url_file") != NULL))
		return;
	snprintf(wpath, sizeof(wpath), "%s.webhook", path);
	cfg_report(l, w, wpath, cfg_yaml_get(w, "url") == NULL ?
	    "missing required key 'url' (or 'url_file', a file that holds it)" :
	    "url and url_file are both set (keep one)");
}

static void
cfg_route_check(struct cfg_loader *l, const struct cfg_node *item, size_t i, const char *path)
{
	const struct cfg_route *r = &l->cfg->alerts.routes[i];
	const struct cfg_node *match = cfg_yaml_get(item, "match"), *rules;
	char shown[CFG_SHOW_MAX + 8], rpath[CFG_PATH_MAX + 16];

	if (r->name == NULL)
		return;
	cfg_webhook_check(l, item, path);
	if (r->nmail_to == 0 && cfg_yaml_get(item, "webhook") == NULL)
		cfg_report(l, item, path, "route '%s' delivers nowhere (want mail or webhook)",
		    cfg_show(r->name, strlen(r->name), shown));
	if (r->nmail_to > 0 && l->cfg->alerts.mail_from == NULL)
		cfg_report(l, cfg_yaml_get(item, "mail"), path,
		    "route mail needs the sender alerts.mail.from");
	rules = match != NULL ? cfg_yaml_get(match, "rules") : NULL;
	for (size_t j = 0; j < r->nrules; j++)
		if (!cfg_rule_known(&l->cfg->policy, r->rules[j])) {
			const struct cfg_node *at = rules != NULL && rules->kind == CFG_NODE_SEQ &&
			    j < rules->nkids ? rules->kids[j] : rules;

			snprintf(rpath, sizeof(rpath), "%s.match.rules", path);
			cfg_report(l, at, rpath, "no rule named '%s' (want a rules[].name or %s)",
			    cfg_show(r->rules[j], strlen(r->rules[j]), shown), ALERT_BUILTIN_RULES);
		}
	for (size_t j = 0; j < i; j++)
		if (l->cfg->alerts.routes[j].name != NULL &&
		    strcmp(l->cfg->alerts.routes[j].name, r->name) == 0) {
			snprintf(rpath, sizeof(rpath), "%s.name", path);
			cfg_report(l, cfg_yaml_get(item, "name"), rpath, "duplicate route name '%s'",
			    cfg_show(r->name, strlen(r->name), shown));
			break;
		}
}

void
cfg_alerts_check(struct cfg_loader *l, const struct cfg_node *root)
{
	const struct cfg_node *alerts = cfg_yaml_get(root, "alerts");
	const struct cfg_node *routes = alerts != NULL ? cfg_yaml_get(alerts, "routes") : NULL;
	char path[CFG_PATH_MAX];

	if (routes == NULL || routes->kind != CFG_NODE_SEQ)
		return;
	for (size_t i = 0; i < l->cfg->alerts.nroutes && i < routes->nkids; i++) {
		cfg_path_index(path, sizeof(path), "alerts.routes", i);
		cfg_route_check(l, routes->kids[i], i, path);
	}
}
