/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_keys.c - the one table of configuration keys (fwdguard.yaml(5)):
 * each key's place, default, setter and bounds in one row, the way
 * Postfix keeps DEF_* beside VAR_*; and the walker that checks a mapping
 * against it.
 *
 * Defaults are written as the file would spell them and set through the
 * key's own setter before the file is read, so a default passes the same
 * checks as a value from the file (the unit tests load a file that sets
 * nothing and compare with fwdguard.yaml(5)).
 *
 * Every mapping in the file is walked against the table: unknown and
 * duplicate keys are reported with their path, then the known keys are set
 * in *table* order, not file order, so a key may depend on one listed
 * before it in the table wherever it sits in the file (the recipient
 * delimiter before the protected mailboxes, those before the allow list,
 * a rule's action before its reply).  Setters report and go on: the loader
 * wants every error, not the first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_alerts.h"
#include "cfg_endpoints.h"
#include "cfg_host.h"
#include "cfg_keys.h"
#include "cfg_loader.h"
#include "cfg_policy.h"
#include "cfg_reroute.h"
#include "cfg_types.h"
#include "cfg_value.h"
#include "domain.h"
#include "policy.h"

#define CFG_MAX_RULES	1000	/* rules are matched in order for every recipient */
#define CFG_MAX_ROUTES	100	/* each route is a relay thread and a Redis connection */

#define C(member)		offsetof(struct cfg, member)
#define A(member)		offsetof(struct policy_allow, member)
#define R(member)		offsetof(struct policy_rule, member)
#define RT(member)		offsetof(struct cfg_route, member)
#define ABIT(a)			(1LL << (a))
#define ON_ERROR_ACTIONS	(ABIT(ACTION_TEMPFAIL) | ABIT(ACTION_ACCEPT) | ABIT(ACTION_REJECT))
#define LDAP_ERROR_ACTIONS	(ON_ERROR_ACTIONS | ABIT(ACTION_QUARANTINE))
/* An unanswered lookup holds the message back or lets it go, recorded: no refusal on a guess. */
#define CORRELATION_ERROR_ACTIONS	(ABIT(ACTION_TEMPFAIL) | ABIT(ACTION_ACCEPT))
#define ALL_ACTIONS		(ABIT(ACTION_REJECT + 1) - 1)

/*
 * A list of mappings (allow, rules, alerts.routes): an array of items of
 * size bytes at the key's field, its count at k->count, each item walked
 * against the keys under tpath.  init and done (may be NULL) run before
 * and after an item's keys are read.
 */
struct cfg_list {
	const char *tpath;
	size_t size;
	int max;			/* 0: CFG_MAX_ITEMS, from cfg_items */
	const char *noun;		/* "more than MAX NOUN" */
	void (*init)(void *item);
	void (*done)(struct cfg_loader *l, void *items, size_t i,
	    struct cfg_node *const *nodes, const char *ipath);
};

static const struct cfg_choice cfg_no_reply = {
	"auto, always, never or content", "value", { "auto", "always", "never", "content", NULL } };
static const struct cfg_choice cfg_watch_mode = {
	"a watch mode", "watch mode", { "auto", "sync", "poll", NULL } };
static const struct cfg_choice cfg_scope = {
	"a scope", "scope", { "protected", "all", NULL } };
static const struct cfg_choice cfg_format = {
	"a format", "format", { "json", "slack", NULL } };

static const struct cfg_list cfg_allow_list = {
	"allow[]", sizeof(struct policy_allow), 0, NULL, NULL, NULL };
static const struct cfg_list cfg_rule_list = {
	"rules[]", sizeof(struct policy_rule), CFG_MAX_RULES, "rules", cfg_rule_init, cfg_rule_done };
static const struct cfg_list cfg_route_list = {
	"alerts.routes[]", sizeof(struct cfg_route), CFG_MAX_ROUTES, "routes", NULL, NULL };

static CFG_SETTER(cfg_set_section);
static CFG_SETTER(cfg_set_list);

/*
 * def is the default as the file would spell it (fwdguard.yaml(5) says the
 * same); NULL leaves the field zero, which each field's comment in
 * include/cfg_types.h reads.  A key of an item of a list (allow[],
 * rules[], alerts.routes[]) gets its default when the item is made.
 */
static const struct cfg_key cfg_keys[] = {
	{ "", "milter", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "milter", "socket", "unix:/var/spool/postfix/fwdguard/fwdguard.sock",
	    cfg_set_shape, C(milter.socket), 0, 0, 0, 0, &cfg_socket_shape },
	{ "milter", "user", "fwdguard", cfg_set_user, C(milter.user), KEY_EMPTY_OK, 0, 0, 0, NULL },
	{ "milter", "on_error", "tempfail",
	    cfg_set_action, C(milter.on_error), 0, ON_ERROR_ACTIONS, 0, 0, NULL },
	{ "milter", "no_reply", "auto",
	    cfg_set_choice, C(milter.no_reply), 0, 0, 0, 0, &cfg_no_reply },
	{ "milter", "mark_key_file", NULL,
	    cfg_set_secret_file, C(milter.mark_key_file), 0, 0, 0, 0, NULL },
	{ "", "mode", "enforce", cfg_set_mode, C(policy.mode), 0, 0, 0, 0, NULL },
	{ "", "log", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "log", "facility", "mail",
	    cfg_set_lookup, C(log.facility), 0, 0, 0, 0, &cfg_facility_words },
	{ "log", "level", "info", cfg_set_lookup, C(log.level), 0, 0, 0, 0, &cfg_level_words },
	{ "", "domains", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "domains", "internal", NULL, cfg_set_domains, C(policy.internal), 0, 0, 0, 0, NULL },
	{ "", "mailboxes", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "mailboxes", "recipient_delimiter", NULL,
	    cfg_set_delimiter, C(policy.delimiters), KEY_EMPTY_OK, 0, 0, 0, NULL },
	{ "mailboxes", "protected", NULL,
	    cfg_set_protected, C(policy.protected), 0, 0, 0, C(policy.nprotected), NULL },
	{ "", "ldap", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "ldap", "uri", NULL, cfg_set_shape, C(ldap.uri), 0, 0, 0, 0, &cfg_ldap_uri_shape },
	{ "ldap", "starttls", "false", cfg_set_bool, C(ldap.starttls), 0, 0, 0, 0, NULL },
	{ "ldap", "bind_dn", NULL, cfg_set_string, C(ldap.bind_dn), 0, 0, 0, 0, NULL },
	{ "ldap", "bind_password_file", NULL,
	    cfg_set_secret_file, C(ldap.bind_password_file), 0, 0, 0, 0, NULL },
	{ "ldap", "base", NULL, cfg_set_string, C(ldap.base), 0, 0, 0, 0, NULL },
	{ "ldap", "mailbox_filter", "(|(mail=%s)(mailAlternateAddress=%s))",
	    cfg_set_filter, C(ldap.mailbox_filter), KEY_NEEDS_S, 0, 0, 0, NULL },
	{ "ldap", "forward_attributes", NULL,
	    cfg_set_strlist, C(ldap.forward_attributes), 0, 1, 0, C(ldap.nforward_attributes), NULL },
	{ "ldap", "address_attributes", NULL,
	    cfg_set_strlist, C(ldap.address_attributes), 0, 1, 0, C(ldap.naddress_attributes), NULL },
	{ "ldap", "protected_filter", NULL,
	    cfg_set_filter, C(ldap.protected_filter), 0, 0, 0, 0, NULL },
	{ "ldap", "domain_filter", NULL, cfg_set_filter, C(ldap.domain_filter), 0, 0, 0, 0, NULL },
	{ "ldap", "timeout", "2", cfg_set_seconds, C(ldap.timeout), 0, 0, 300, 0, NULL },
	{ "ldap", "cache", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "ldap.cache", "ttl", "300", cfg_set_long, C(ldap.cache_ttl), 0, 0, 7 * 86400, 0, NULL },
	{ "ldap.cache", "negative_ttl", "60",
	    cfg_set_long, C(ldap.cache_negative_ttl), 0, 0, 7 * 86400, 0, NULL },
	{ "ldap", "on_error", "tempfail",
	    cfg_set_action, C(ldap.on_error), 0, LDAP_ERROR_ACTIONS, 0, 0, NULL },
	{ "ldap", "watch", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "ldap.watch", "mode", "auto",
	    cfg_set_choice, C(ldap.watch_mode), 0, 0, 0, 0, &cfg_watch_mode },
	{ "ldap.watch", "poll_interval", "60",
	    cfg_set_long, C(ldap.watch_poll_interval), 0, 1, 86400, 0, NULL },
	{ "ldap.watch", "rescan_interval", "3600",
	    cfg_set_long, C(ldap.watch_rescan_interval), 0, 0, 7 * 86400, 0, NULL },
	{ "ldap.watch", "spool", NULL, cfg_set_path, C(ldap.watch_spool), 0, 0, 0, 0, NULL },
	{ "ldap.watch", "alert", "critical", cfg_set_alert, C(ldap.watch_alert), 0, 0, 0, 0, NULL },
	{ "", "redis", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "redis", "address", "127.0.0.1:6379",
	    cfg_set_shape, C(redis.address), 0, 0, 0, 0, &cfg_endpoint_shape },
	{ "redis", "sentinels", NULL,
	    cfg_set_strlist, C(redis.sentinels), 0, 0, 0, C(redis.nsentinels),
	    &cfg_hostport_shape },
	{ "redis", "master_name", "fwdguard",
	    cfg_set_string, C(redis.master_name), KEY_EMPTY_OK, 0, 0, 0, NULL },
	{ "redis", "password_file", NULL,
	    cfg_set_secret_file, C(redis.password_file), KEY_EMPTY_OK, 0, 0, 0, NULL },
	{ "redis", "prefix", CFG_REDIS_PREFIX,
	    cfg_set_string, C(redis.prefix), KEY_EMPTY_OK, 0, 0, 0, NULL },
	{ "redis", "timeout", "1", cfg_set_seconds, C(redis.timeout), 0, 0, 60, 0, NULL },
	{ "redis", "min_replicas", "0", cfg_set_long, C(redis.min_replicas), 0, 0, 100, 0, NULL },
	{ "redis", "replica_timeout", "0.5",
	    cfg_set_seconds, C(redis.replica_timeout), 0, 0, 60, 0, NULL },
	{ "", "audit", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "audit", "scope", "protected", cfg_set_choice, C(audit.scope), 0, 0, 0, 0, &cfg_scope },
	{ "audit", "spool", "/var/spool/fwdguard", cfg_set_path, C(audit.spool), 0, 0, 0, 0, NULL },
	{ "audit", "stream_maxlen", "10000000",
	    cfg_set_llong, C(audit.stream_maxlen), 0, 1, 1000000000000LL, 0, NULL },
	{ "audit", "correlation_ttl", "2592000",
	    cfg_set_llong, C(audit.correlation_ttl), 0, 1, 10LL * 366 * 86400, 0, NULL },
	{ "audit", "retention", "0", cfg_set_long, C(audit.retention), 0, 0, 100 * 366, 0, NULL },
	{ "audit", "anchor_interval", "3600",
	    cfg_set_long, C(audit.anchor_interval), 0, 0, 7 * 86400, 0, NULL },
	{ "audit", "correlation_on_error", "accept",
	    cfg_set_action, C(audit.correlation_on_error), 0, CORRELATION_ERROR_ACTIONS, 0, 0, NULL },
	{ "", "probes", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "probes", "from", NULL, cfg_set_address, C(probes_from), 0, 0, 0, 0, NULL },
	{ "", "alerts", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "alerts", "syslog", "true", cfg_set_bool, C(alerts.syslog), 0, 0, 0, 0, NULL },
	{ "alerts", "mail", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "alerts.mail", "to", NULL, cfg_set_address, C(alerts.mail_to), 0, 0, 0, 0, NULL },
	{ "alerts.mail", "from", NULL, cfg_set_address, C(alerts.mail_from), 0, 0, 0, 0, NULL },
	{ "alerts.mail", "sendmail", "/usr/sbin/sendmail",
	    cfg_set_command, C(alerts.sendmail), 0, 0, 0, 0, NULL },
	{ "alerts", "dedupe_window", "3600",
	    cfg_set_long, C(alerts.dedupe_window), 0, 0, 30 * 86400, 0, NULL },
	{ "alerts", "expiry_notice_days", "14",
	    cfg_set_long, C(alerts.expiry_notice_days), 0, 0, 3660, 0, NULL },
	{ "alerts", "routes", NULL,
	    cfg_set_list, C(alerts.routes), 0, 0, 0, C(alerts.nroutes), &cfg_route_list },
	{ "alerts.routes[]", "name", NULL, cfg_set_name, RT(name), KEY_REQUIRED, 0, 0, 0, NULL },
	{ "alerts.routes[]", "match", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "alerts.routes[].match", "mailboxes", NULL,
	    cfg_set_route_mailboxes, RT(mailboxes), 0, 0, 0, RT(nmailboxes), NULL },
	{ "alerts.routes[].match", "levels", NULL, cfg_set_levels, RT(levels), 0, 0, 0, 0, NULL },
	{ "alerts.routes[].match", "rules", NULL,
	    cfg_set_route_rules, RT(rules), 0, 0, 0, RT(nrules), NULL },
	{ "alerts.routes[]", "mail", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "alerts.routes[].mail", "to", NULL,
	    cfg_set_mail_to, RT(mail_to), KEY_REQUIRED, 0, 0, RT(nmail_to), NULL },
	{ "alerts.routes[]", "webhook", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "alerts.routes[].webhook", "url", NULL,
	    cfg_set_shape, RT(webhook.url), 0, 0, 0, 0, &cfg_url_shape },
	{ "alerts.routes[].webhook", "url_file", NULL,
	    cfg_set_path, RT(webhook.url_file), 0, 0, 0, 0, NULL },
	{ "alerts.routes[].webhook", "format", "json",
	    cfg_set_choice, RT(webhook.format), 0, 0, 0, 0, &cfg_format },
	{ "alerts.routes[].webhook", "timeout", "5",
	    cfg_set_seconds, RT(webhook.timeout), 0, 0, 120, 0, NULL },
	{ "alerts.routes[].webhook", "headers_file", NULL,
	    cfg_set_path, RT(webhook.headers_file), 0, 0, 0, 0, NULL },
	{ "alerts", "notice", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "alerts.notice", "contact", NULL,
	    cfg_set_address, C(alerts.notice_contact), 0, 0, 0, 0, NULL },
	{ "alerts.notice", "from", NULL, cfg_set_address, C(alerts.notice_from), 0, 0, 0, 0, NULL },
	{ "", "metrics", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "metrics", "listen", NULL, cfg_set_shape, C(metrics.listen), 0, 0, 0, 0, &cfg_listen_shape },
	{ "", "allow", NULL,
	    cfg_set_list, C(policy.allow), 0, 0, 0, C(policy.nallow), &cfg_allow_list },
	{ "allow[]", "destination", NULL,
	    cfg_set_allow_dest, A(destination), KEY_REQUIRED, 0, 0, 0, NULL },
	{ "allow[]", "mailboxes", NULL,
	    cfg_set_allow_mailboxes, A(mailboxes), 0, 0, 0, A(nmailboxes), NULL },
	{ "allow[]", "reason", NULL, cfg_set_string, A(reason), KEY_REQUIRED, 0, 0, 0, NULL },
	{ "allow[]", "owner", NULL, cfg_set_string, A(owner), KEY_REQUIRED, 0, 0, 0, NULL },
	{ "allow[]", "expires", NULL, cfg_set_expires, A(expires), 0, 0, 0, 0, NULL },
	{ "", "rules", NULL,
	    cfg_set_list, C(policy.rules), 0, 0, 0, C(policy.nrules), &cfg_rule_list },
	{ "rules[]", "name", NULL, cfg_set_name, R(name), KEY_REQUIRED, 0, 0, 0, NULL },
	{ "rules[]", "match", NULL, cfg_set_section, 0, 0, 0, 0, 0, NULL },
	{ "rules[].match", "signals", NULL, cfg_set_signals, R(signals), 0, 0, 0, 0, NULL },
	{ "rules[].match", "destination", NULL, cfg_set_dests, R(destinations), 0, 0, 0, 0, NULL },
	{ "rules[].match", "direction", NULL, cfg_set_dirs, R(directions), 0, 0, 0, 0, NULL },
	{ "rules[].match", "sender", NULL, cfg_set_senders, R(senders), 0, 0, 0, 0, NULL },
	{ "rules[]", "action", NULL,
	    cfg_set_action, R(action), KEY_REQUIRED, ALL_ACTIONS, 0, 0, NULL },
	{ "rules[]", "mode", NULL, cfg_set_rule_mode, R(mode), 0, 0, 0, 0, NULL },
	{ "rules[]", "reply", NULL, cfg_set_reply, R(reply), 0, 0, 0, 0, NULL },
	{ "rules[]", "alert", NULL, cfg_set_alert, R(alert), 0, 0, 0, 0, NULL },
	{ "rules[]", "reroute_to", NULL, cfg_set_reroute_to, R(reroute_to), 0, 0, 0, 0, NULL },
	{ "rules[]", "notify", NULL, cfg_set_notify, R(notify_mailbox), 0, 0, 0, 0, NULL },
};

#define CFG_NKEYS	(sizeof(cfg_keys) / sizeof(cfg_keys[0]))

/* ---- defaults ------------------------------------------------------------------- */

/* Is parent tpath or a mapping inside it, but not inside a list of its own? */
static bool
cfg_key_under(const char *parent, const char *tpath)
{
	size_t len = strlen(tpath);

	if (strncmp(parent, tpath, len) != 0)
		return false;
	if (len > 0 && parent[len] != '\0' && parent[len] != '.')
		return false;
	return strstr(parent + len, "[]") == NULL;
}

/*
 * Sets the defaults of the keys under tpath in base, through their setters.
 * A default names nothing on this host the administrator chose, so it is
 * not held to the host checks (milter.user fwdguard need not exist for
 * "fwdguard -n" of a file that sets milter.user).  A default its setter
 * refuses is a bug of this table, reported like a file error at 1:1.
 */
static void
cfg_defaults_under(struct cfg_loader *l, const char *tpath, void *base)
{
	bool host_checks = l->host_checks;
	struct cfg_node n;
	char kpath[CFG_PATH_MAX];
	size_t i;

	l->host_checks = false;
	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->def == NULL || !cfg_key_under(k->parent, tpath))
			continue;
		memset(&n, 0, sizeof(n));
		n.kind = CFG_NODE_SCALAR;
		n.line = n.col = 1;
		n.text = (char *)(uintptr_t)k->def;
		n.len = strlen(k->def);
		n.plain = true;
		snprintf(kpath, sizeof(kpath), "%s%s%s", k->parent, *k->parent ? "." : "", k->name);
		k->set(l, k, &n, kpath, base);
	}
	l->host_checks = host_checks;
}

/*
 * The defaults that are not one scalar: two lists of LDAP attributes and
 * the (empty) internal domain list, an object the setter of
 * domains.internal adds to.
 */
static void
cfg_defaults_other(struct cfg_loader *l)
{
	static const char *const forward[] = { "mailForwardingAddress", "mailRoutingAddress" };
	static const char *const address[] = { "mail", "mailLocalAddress",
	    "mailAlternateAddress", "proxyAddresses" };
	struct cfg *c = l->cfg;
	size_t i;

	if ((c->policy.internal = domain_list_new()) == NULL)
		l->nomem = true;
	if ((c->ldap.forward_attributes = calloc(3, sizeof(char *))) == NULL)
		l->nomem = true;
	else {
		for (i = 0; i < 2; i++)
			c->ldap.forward_attributes[i] = cfg_strdup(l, forward[i]);
		c->ldap.nforward_attributes = 2;
	}
	if ((c->ldap.address_attributes = calloc(5, sizeof(char *))) == NULL)
		l->nomem = true;
	else {
		for (i = 0; i < 4; i++)
			c->ldap.address_attributes[i] = cfg_strdup(l, address[i]);
		c->ldap.naddress_attributes = 4;
	}
}

void
cfg_keys_defaults(struct cfg_loader *l)
{
	cfg_defaults_other(l);
	cfg_defaults_under(l, "", l->cfg);
}

/* ---- the walker ----------------------------------------------------------------- */

static int
cfg_key_find(const char *parent, const char *name)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_keys[i].parent, parent) == 0 && strcmp(cfg_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
cfg_key_unknown(struct cfg_loader *l, const struct cfg_node *key, const char *tpath,
    const char *path)
{
	char kpath[CFG_PATH_MAX], want[512];
	size_t i, used = 0;

	want[0] = '\0';
	for (i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_keys[i].parent, tpath) == 0 && used < sizeof(want))
			used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s",
			    used ? "|" : "", cfg_keys[i].name);
	cfg_path_key(kpath, sizeof(kpath), path, key->text);
	cfg_report(l, key, kpath, "unknown key (want %s)", want);
}

/*
 * Walks a mapping whose keys live under tpath in the table, filling base.
 * A null value stands for an empty mapping, so a section whose keys are all
 * commented out keeps its defaults.
 */
static void
cfg_walk(struct cfg_loader *l, const struct cfg_node *map, const char *tpath,
    const char *path, void *base)
{
	const struct cfg_node *keys[CFG_NKEYS], *vals[CFG_NKEYS];
	char kpath[CFG_PATH_MAX];
	size_t i;
	int k;

	memset(keys, 0, sizeof(keys));
	if (map->kind != CFG_NODE_MAP && !cfg_yaml_is_null(map)) {
		cfg_report(l, map, path, "expected a mapping, got %s", cfg_kind_name(map));
		return;
	}
	for (i = 0; map->kind == CFG_NODE_MAP && i + 1 < map->nkids; i += 2) {
		const struct cfg_node *key = map->kids[i];

		if (key->kind != CFG_NODE_SCALAR) {
			if (key->kind != CFG_NODE_BAD)
				cfg_report(l, key, path, "a key must be a plain name, not %s",
				    cfg_kind_name(key));
			continue;
		}
		if ((k = cfg_key_find(tpath, key->text)) < 0) {
			cfg_key_unknown(l, key, tpath, path);
		} else if (keys[k] != NULL) {
			cfg_path_key(kpath, sizeof(kpath), path, key->text);
			cfg_report(l, key, kpath, "duplicate key (first at %d:%d)",
			    keys[k]->line, keys[k]->col);
		} else {
			keys[k] = key;
			vals[k] = map->kids[i + 1];
		}
	}
	for (i = 0; i < CFG_NKEYS; i++) {
		if (strcmp(cfg_keys[i].parent, tpath) != 0)
			continue;
		cfg_path_key(kpath, sizeof(kpath), path, cfg_keys[i].name);
		if (keys[i] == NULL) {
			if (cfg_keys[i].flags & KEY_REQUIRED)
				cfg_report(l, map, path, "missing required key '%s'", cfg_keys[i].name);
		} else if (vals[i]->kind != CFG_NODE_BAD)
			cfg_keys[i].set(l, &cfg_keys[i], vals[i], kpath, base);
	}
}

static void
cfg_set_section(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char tpath[CFG_PATH_MAX];

	snprintf(tpath, sizeof(tpath), "%s%s%s", k->parent, *k->parent ? "." : "", k->name);
	cfg_walk(l, n, tpath, path, base);
}

/* A list of mappings (struct cfg_list in k->arg): each item gets its defaults, then its keys. */
static void
cfg_set_list(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const struct cfg_list *spec = k->arg;
	char ipath[CFG_PATH_MAX];
	struct cfg_node *const *nodes;
	size_t count, i;
	char *items;

	if (cfg_items(l, &n, path, false, &nodes, &count) < 0 || count == 0)
		return;
	if (spec->max > 0 && count > (size_t)spec->max) {
		cfg_report(l, n, path, "more than %d %s", spec->max, spec->noun);
		return;
	}
	if ((items = calloc(count, spec->size)) == NULL) {
		l->nomem = true;
		return;
	}
	/* The field is a pointer to the item type: stored bytewise, not through a void **. */
	memcpy(FIELD(base, k, char), &items, sizeof(items));
	*(size_t *)(void *)((char *)base + k->count) = count;
	for (i = 0; i < count; i++) {
		void *item = items + i * spec->size;

		cfg_defaults_under(l, spec->tpath, item);
		if (spec->init != NULL)
			spec->init(item);
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (nodes[i]->kind != CFG_NODE_BAD)
			cfg_walk(l, nodes[i], spec->tpath, ipath, item);
		if (spec->done != NULL)
			spec->done(l, items, i, nodes, ipath);
	}
}

void
cfg_keys_apply(struct cfg_loader *l, const struct cfg_node *root)
{
	cfg_walk(l, root, "", "", l->cfg);
}
