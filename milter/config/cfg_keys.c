/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_keys.c - the one table of configuration keys (fwdguard.yaml(5)),
 * the walker that checks a mapping against it, and the generic typed
 * setters (the policy ones are in cfg_policy.c, the endpoint ones in
 * cfg_endpoints.c).
 *
 * Every mapping in the file is walked against the table: unknown and
 * duplicate keys are reported with their path, then the known keys are set
 * in *table* order, not file order, so a key may depend on one listed
 * before it in the table wherever it sits in the file (the recipient
 * delimiter before the protected mailboxes, those before the allow list,
 * a rule's action before its reply).  Setters report and go on: the loader
 * wants every error, not the first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_keys.h"
#include "policy.h"
#include "log.h"

#define CFG_NAME_MAX	64	/* rule names travel in headers and audit records */

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

/* ---- paths and messages ---------------------------------------------------- */

static void
cfg_path_key(char *out, size_t size, const char *path, const char *key)
{
	char shown[CFG_SHOW_MAX + 8];

	cfg_show(key, strlen(key), shown);
	snprintf(out, size, "%s%s%s", path, *path ? "." : "", shown);
}

void
cfg_path_index(char *out, size_t size, const char *path, size_t i)
{
	snprintf(out, size, "%s[%zu]", path, i);
}

const char *
cfg_kind_name(const struct cfg_node *n)
{
	if (n->kind == CFG_NODE_SEQ)
		return "a list";
	if (n->kind == CFG_NODE_MAP)
		return "a mapping";
	return cfg_yaml_is_null(n) ? "nothing" : "a scalar";
}

/* Joins names[from..to] (by a name function over ints) with '|' into buf. */
const char *
cfg_want(char *buf, size_t size, const char *(*name)(int), int from, int to, long long mask)
{
	int i, step = from <= to ? 1 : -1;
	size_t used = 0;

	buf[0] = '\0';
	for (i = from; ; i += step) {
		if ((mask & ABIT(i)) != 0 && name(i) != NULL && used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "|" : "", name(i));
		if (i == to)
			break;
	}
	return buf;
}

static const char *cfg_action_name(int i) { return action_name((enum action)i); }
static const char *cfg_mode_name(int i) { return mode_name((enum mode)i); }
static const char *cfg_alert_name(int i) { return alert_level_name((enum alert_level)i); }

char *
cfg_strdup(struct cfg_loader *l, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		l->nomem = true;
	return d;
}

/* ---- scalars ------------------------------------------------------------------- */

/* The text of a scalar without control characters, or NULL after reporting. */
const char *
cfg_text(struct cfg_loader *l, const struct cfg_node *n, const char *path, const char *what)
{
	size_t i;

	if (n->kind != CFG_NODE_SCALAR || cfg_yaml_is_null(n)) {
		cfg_report(l, n, path, "expected %s, got %s", what, cfg_kind_name(n));
		return NULL;
	}
	for (i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->text[i];

		if (c < 0x20 || c == 0x7f) {
			cfg_report(l, n, path, "control character 0x%02x in value", c);
			return NULL;
		}
	}
	return n->text;
}

void
cfg_replace(struct cfg_loader *l, char **field, const char *s)
{
	char *d = cfg_strdup(l, s);

	if (d != NULL) {
		free(*field);
		*field = d;
	}
}

static void
cfg_set_string(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const char *s = cfg_text(l, n, path, "a string");

	if (s == NULL)
		return;
	if (*s == '\0' && !(k->flags & KEY_EMPTY_OK))
		cfg_report(l, n, path, "must not be empty");
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

/* Rule names travel in X-Fwdguard headers and audit fields: keep them tame. */
static void
cfg_set_name(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a name");

	if (s == NULL)
		return;
	if (*s == '\0' || strlen(s) > CFG_NAME_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(s))
		cfg_report(l, n, path, "invalid name '%s' (want 1-%d of A-Z a-z 0-9 . _ -)",
		    cfg_show(s, strlen(s), shown), CFG_NAME_MAX);
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

static void
cfg_set_path(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "an absolute path");

	if (s == NULL)
		return;
	if (*s == '\0' && (k->flags & KEY_EMPTY_OK))
		cfg_replace(l, FIELD(base, k, char *), s);
	else if (*s != '/')
		cfg_report(l, n, path, "'%s' is not an absolute path", cfg_show(s, n->len, shown));
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

/* Plain true/false only: YAML 1.1's yes/no/on/off surprise people. */
static void
cfg_set_bool(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "true or false");

	if (s == NULL)
		return;
	if (n->plain && strcmp(s, "true") == 0)
		*FIELD(base, k, bool) = true;
	else if (n->plain && strcmp(s, "false") == 0)
		*FIELD(base, k, bool) = false;
	else
		cfg_report(l, n, path, "expected true or false, got %s'%s'",
		    n->plain ? "" : "quoted ", cfg_show(s, n->len, shown));
}

/* Unsigned decimal within [k->min, k->max]; 0 and *out set, or -1 after reporting. */
static int
cfg_integer(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, long long *out)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a number");
	long long v = 0;
	size_t i;

	if (s == NULL)
		return -1;
	if (*s == '-' && s[1] >= '0' && s[1] <= '9' && n->plain) {
		cfg_report(l, n, path, "must not be negative (%lld..%lld)", k->min, k->max);
		return -1;
	}
	if (!n->plain || *s == '\0' || strspn(s, "0123456789") != n->len) {
		cfg_report(l, n, path, "expected a whole number, got %s'%s'",
		    n->plain ? "" : "quoted ", cfg_show(s, n->len, shown));
		return -1;
	}
	for (i = 0; s[i] != '\0' && v <= k->max; i++)
		v = v * 10 + (s[i] - '0');
	if (v < k->min || v > k->max) {
		cfg_report(l, n, path, "%s is out of range (%lld..%lld)",
		    cfg_show(s, n->len, shown), k->min, k->max);
		return -1;
	}
	*out = v;
	return 0;
}

static void
cfg_set_long(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	long long v;

	if (cfg_integer(l, k, n, path, &v) == 0)
		*FIELD(base, k, long) = (long)v;
}

static void
cfg_set_llong(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	long long v;

	if (cfg_integer(l, k, n, path, &v) == 0)
		*FIELD(base, k, long long) = v;
}

/* Seconds as "2" or "0.5": parsed by hand, strtod would follow the locale. */
static void
cfg_set_seconds(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a number of seconds"), *p;
	double v = 0, scale = 1;
	size_t whole;

	if (s == NULL)
		return;
	whole = strspn(s, "0123456789");
	p = s + whole;
	if (*p == '.' && p[1] != '\0' && strspn(p + 1, "0123456789") == strlen(p + 1))
		p += strlen(p);
	if (!n->plain || whole == 0 || whole > 9 || *p != '\0') {
		if (n->plain && *s == '-' && s[1] >= '0' && s[1] <= '9')
			cfg_report(l, n, path, "must not be negative");
		else
			cfg_report(l, n, path, "expected a number of seconds, got %s'%s'",
			    n->plain ? "" : "quoted ", cfg_show(s, n->len, shown));
		return;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p == '.')
			scale = 0.1;
		else if (scale == 1)
			v = v * 10 + (*p - '0');
		else {
			v += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (v <= 0 || v > (double)k->max)
		cfg_report(l, n, path, "%s is out of range (more than 0, at most %lld)",
		    cfg_show(s, n->len, shown), k->max);
	else
		*FIELD(base, k, double) = v;
}

/* ---- names from the policy vocabulary --------------------------------------- */

static void
cfg_set_action(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8], want[128];
	const char *s = cfg_text(l, n, path, "an action");
	enum action a;

	if (s == NULL)
		return;
	if (action_lookup(s, &a) < 0 || !(k->min & ABIT(a)))
		cfg_report(l, n, path, "%s action '%s' (want %s)",
		    action_lookup(s, &a) < 0 ? "unknown" : "unsupported", cfg_show(s, n->len, shown),
		    cfg_want(want, sizeof(want), cfg_action_name, ACTION_REJECT, ACTION_ACCEPT, k->min));
	else
		*FIELD(base, k, enum action) = a;
}

/* 0 and *m set, or -1 after reporting. */
static int
cfg_mode(struct cfg_loader *l, const struct cfg_node *n, const char *path, enum mode *m)
{
	char shown[CFG_SHOW_MAX + 8], want[64];
	const char *s = cfg_text(l, n, path, "a mode");

	if (s == NULL)
		return -1;
	if (mode_lookup(s, m) == 0)
		return 0;
	cfg_report(l, n, path, "unknown mode '%s' (want %s)", cfg_show(s, n->len, shown),
	    cfg_want(want, sizeof(want), cfg_mode_name, MODE_ENFORCE, MODE_MONITOR, -1));
	return -1;
}

static void
cfg_set_mode(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	enum mode m;

	if (cfg_mode(l, n, path, &m) == 0)
		*FIELD(base, k, enum mode) = m;
}

static void
cfg_set_rule_mode(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	enum mode m;

	if (cfg_mode(l, n, path, &m) == 0)
		*FIELD(base, k, int) = (int)m;
}

static void
cfg_set_alert(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8], want[64];
	const char *s = cfg_text(l, n, path, "an alert level");
	enum alert_level a;

	if (s == NULL)
		return;
	if (alert_level_lookup(s, &a) == 0)
		*FIELD(base, k, enum alert_level) = a;
	else
		cfg_report(l, n, path, "unknown alert level '%s' (want %s)", cfg_show(s, n->len, shown),
		    cfg_want(want, sizeof(want), cfg_alert_name, ALERT_NONE, ALERT_CRITICAL, -1));
}

static void
cfg_set_scope(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a scope");

	if (s == NULL)
		return;
	if (strcmp(s, "protected") == 0)
		*FIELD(base, k, enum audit_scope) = SCOPE_PROTECTED;
	else if (strcmp(s, "all") == 0)
		*FIELD(base, k, enum audit_scope) = SCOPE_ALL;
	else
		cfg_report(l, n, path, "unknown scope '%s' (want protected|all)",
		    cfg_show(s, n->len, shown));
}

/*
 * The index of the scalar among names, or -1 after reporting it: expected
 * says what a non-scalar should have been, noun names a wrong value
 * ("unknown <noun> '<value>' (want <want>)").
 */
int
cfg_pick(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *const *names, size_t count, const char *expected, const char *noun,
    const char *want)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, expected);

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	cfg_report(l, n, path, "unknown %s '%s' (want %s)", noun, cfg_show(s, n->len, shown), want);
	return -1;
}

static void
cfg_set_watch_mode(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	static const char *const names[] = { "auto", "sync", "poll" };
	int i = cfg_pick(l, n, path, names, 3, "a watch mode", "watch mode", "auto|sync|poll");

	if (i >= 0)
		*FIELD(base, k, enum watch_mode) = (enum watch_mode)i;
}

static void
cfg_set_no_reply(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	static const char *const names[] = { "auto", "always", "never" };
	int i = cfg_pick(l, n, path, names, 3, "auto, always or never", "value",
	    "auto|always|never");

	if (i >= 0)
		*FIELD(base, k, enum no_reply) = (enum no_reply)i;
}

static void
cfg_set_facility(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a syslog facility");
	int v;

	if (s == NULL)
		return;
	if ((v = log_facility_lookup(s)) >= 0)
		*FIELD(base, k, int) = v;
	else
		cfg_report(l, n, path, "unknown syslog facility '%s' (want mail|daemon|user|auth|authpriv|local0..local7)",
		    cfg_show(s, n->len, shown));
}

static void
cfg_set_level(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a log level");
	int v;

	if (s == NULL)
		return;
	if ((v = log_level_lookup(s)) >= 0)
		*FIELD(base, k, int) = v;
	else
		cfg_report(l, n, path,
		    "unknown log level '%s' (want err|warning|notice|info|debug)",
		    cfg_show(s, n->len, shown));
}

/* ---- lists ------------------------------------------------------------------------ */

/*
 * The items of a list value; a null value is an empty list, and a scalar
 * counts as a one-item list when one_ok (*np must outlive the items).
 * Returns 0, or -1 after reporting.
 */
int
cfg_items(struct cfg_loader *l, const struct cfg_node *const *np, const char *path,
    bool one_ok, struct cfg_node *const **items, size_t *count)
{
	const struct cfg_node *n = *np;

	*items = NULL;
	*count = 0;
	if (cfg_yaml_is_null(n))
		return 0;
	if (one_ok && n->kind == CFG_NODE_SCALAR) {
		*items = (struct cfg_node *const *)np;
		*count = 1;
		return 0;
	}
	if (n->kind != CFG_NODE_SEQ) {
		cfg_report(l, n, path, "expected a list, got %s", cfg_kind_name(n));
		return -1;
	}
	if (n->nkids > CFG_MAX_ITEMS) {
		cfg_report(l, n, path, "more than %d items", CFG_MAX_ITEMS);
		return -1;
	}
	*items = n->kids;
	*count = n->nkids;
	return 0;
}

void
cfg_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* Replaces the list at k with v[0..n) (taken over). */
void
cfg_strv_store(const struct cfg_key *k, void *base, char **v, size_t n)
{
	char ***field = FIELD(base, k, char **);
	size_t *count = (size_t *)(void *)((char *)base + k->count);

	cfg_strv_free(*field, *count);
	*field = v;
	*count = n;
}

static void
cfg_set_strlist(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char ipath[CFG_PATH_MAX], shown[CFG_SHOW_MAX + 8], **v;
	struct cfg_node *const *items;
	size_t count, i, nv = 0;
	const char *s;

	if (cfg_items(l, &n, path, false, &items, &count) < 0)
		return;
	if ((long long)count < k->min) {
		cfg_report(l, n, path, "must not be empty");
		return;
	}
	if ((v = calloc(count + 1, sizeof(*v))) == NULL) {
		l->nomem = true;
		return;
	}
	for (i = 0; i < count; i++) {
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (items[i]->kind == CFG_NODE_BAD || (s = cfg_text(l, items[i], ipath, "a string")) == NULL)
			continue;
		if (*s == '\0')
			cfg_report(l, items[i], ipath, "must not be empty");
		else if ((k->flags & KEY_HOSTPORT) && !cfg_hostport_ok(s))
			cfg_report(l, items[i], ipath, "invalid address '%s' (want host:port)",
			    cfg_show(s, items[i]->len, shown));
		else if ((v[nv] = cfg_strdup(l, s)) != NULL)
			nv++;
	}
	cfg_strv_store(k, base, v, nv);
}

static void
cfg_set_section(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char tpath[CFG_PATH_MAX];

	snprintf(tpath, sizeof(tpath), "%s%s%s", k->parent, *k->parent ? "." : "", k->name);
	cfg_walk(l, n, tpath, path, base);
}

static const struct cfg_key cfg_keys[] = {
	{ "", "milter", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "milter", "socket", cfg_set_socket, C(milter.socket), 0, 0, 0, 0 },
	{ "milter", "user", cfg_set_user, C(milter.user), KEY_EMPTY_OK, 0, 0, 0 },
	{ "milter", "on_error", cfg_set_action, C(milter.on_error), 0, ON_ERROR_ACTIONS, 0, 0 },
	{ "milter", "no_reply", cfg_set_no_reply, C(milter.no_reply), 0, 0, 0, 0 },
	{ "milter", "mark_key_file", cfg_set_secret_file, C(milter.mark_key_file), 0, 0, 0, 0 },
	{ "", "mode", cfg_set_mode, C(policy.mode), 0, 0, 0, 0 },
	{ "", "log", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "log", "facility", cfg_set_facility, C(log.facility), 0, 0, 0, 0 },
	{ "log", "level", cfg_set_level, C(log.level), 0, 0, 0, 0 },
	{ "", "domains", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "domains", "internal", cfg_set_domains, C(policy.internal), 0, 0, 0, 0 },
	{ "", "mailboxes", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "mailboxes", "recipient_delimiter", cfg_set_delimiter, C(policy.delimiters), KEY_EMPTY_OK, 0, 0, 0 },
	{ "mailboxes", "protected", cfg_set_protected, C(policy.protected), 0, 0, 0, C(policy.nprotected) },
	{ "", "ldap", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "ldap", "uri", cfg_set_ldap_uri, C(ldap.uri), 0, 0, 0, 0 },
	{ "ldap", "starttls", cfg_set_bool, C(ldap.starttls), 0, 0, 0, 0 },
	{ "ldap", "bind_dn", cfg_set_string, C(ldap.bind_dn), 0, 0, 0, 0 },
	{ "ldap", "bind_password_file", cfg_set_secret_file, C(ldap.bind_password_file), 0, 0, 0, 0 },
	{ "ldap", "base", cfg_set_string, C(ldap.base), 0, 0, 0, 0 },
	{ "ldap", "mailbox_filter", cfg_set_filter, C(ldap.mailbox_filter), KEY_NEEDS_S, 0, 0, 0 },
	{ "ldap", "forward_attributes", cfg_set_strlist, C(ldap.forward_attributes), 0, 1, 0,
	    C(ldap.nforward_attributes) },
	{ "ldap", "address_attributes", cfg_set_strlist, C(ldap.address_attributes), 0, 1, 0,
	    C(ldap.naddress_attributes) },
	{ "ldap", "protected_filter", cfg_set_filter, C(ldap.protected_filter), 0, 0, 0, 0 },
	{ "ldap", "domain_filter", cfg_set_filter, C(ldap.domain_filter), 0, 0, 0, 0 },
	{ "ldap", "timeout", cfg_set_seconds, C(ldap.timeout), 0, 0, 300, 0 },
	{ "ldap", "cache", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "ldap.cache", "ttl", cfg_set_long, C(ldap.cache_ttl), 0, 0, 7 * 86400, 0 },
	{ "ldap.cache", "negative_ttl", cfg_set_long, C(ldap.cache_negative_ttl), 0, 0, 7 * 86400, 0 },
	{ "ldap", "on_error", cfg_set_action, C(ldap.on_error), 0, LDAP_ERROR_ACTIONS, 0, 0 },
	{ "ldap", "watch", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "ldap.watch", "mode", cfg_set_watch_mode, C(ldap.watch_mode), 0, 0, 0, 0 },
	{ "ldap.watch", "poll_interval", cfg_set_long, C(ldap.watch_poll_interval), 0, 1, 86400, 0 },
	{ "ldap.watch", "rescan_interval", cfg_set_long, C(ldap.watch_rescan_interval), 0, 0,
	    7 * 86400, 0 },
	{ "ldap.watch", "spool", cfg_set_path, C(ldap.watch_spool), 0, 0, 0, 0 },
	{ "ldap.watch", "alert", cfg_set_alert, C(ldap.watch_alert), 0, 0, 0, 0 },
	{ "", "redis", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "redis", "address", cfg_set_endpoint, C(redis.address), 0, 0, 0, 0 },
	{ "redis", "sentinels", cfg_set_strlist, C(redis.sentinels), KEY_HOSTPORT, 0, 0, C(redis.nsentinels) },
	{ "redis", "master_name", cfg_set_string, C(redis.master_name), KEY_EMPTY_OK, 0, 0, 0 },
	{ "redis", "password_file", cfg_set_secret_file, C(redis.password_file), KEY_EMPTY_OK, 0, 0, 0 },
	{ "redis", "prefix", cfg_set_string, C(redis.prefix), KEY_EMPTY_OK, 0, 0, 0 },
	{ "redis", "timeout", cfg_set_seconds, C(redis.timeout), 0, 0, 60, 0 },
	{ "redis", "min_replicas", cfg_set_long, C(redis.min_replicas), 0, 0, 100, 0 },
	{ "redis", "replica_timeout", cfg_set_seconds, C(redis.replica_timeout), 0, 0, 60, 0 },
	{ "", "audit", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "audit", "scope", cfg_set_scope, C(audit.scope), 0, 0, 0, 0 },
	{ "audit", "spool", cfg_set_path, C(audit.spool), 0, 0, 0, 0 },
	{ "audit", "stream_maxlen", cfg_set_llong, C(audit.stream_maxlen), 0, 1, 1000000000000LL, 0 },
	{ "audit", "correlation_ttl", cfg_set_llong, C(audit.correlation_ttl), 0, 1, 10LL * 366 * 86400, 0 },
	{ "audit", "retention", cfg_set_long, C(audit.retention), 0, 0, 100 * 366, 0 },
	{ "audit", "anchor_interval", cfg_set_long, C(audit.anchor_interval), 0, 0, 7 * 86400, 0 },
	{ "audit", "correlation_on_error", cfg_set_action, C(audit.correlation_on_error), 0,
	    CORRELATION_ERROR_ACTIONS, 0, 0 },
	{ "", "probes", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "probes", "from", cfg_set_address, C(probes_from), 0, 0, 0, 0 },
	{ "", "alerts", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "alerts", "syslog", cfg_set_bool, C(alerts.syslog), 0, 0, 0, 0 },
	{ "alerts", "mail", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "alerts.mail", "to", cfg_set_address, C(alerts.mail_to), 0, 0, 0, 0 },
	{ "alerts.mail", "from", cfg_set_address, C(alerts.mail_from), 0, 0, 0, 0 },
	{ "alerts.mail", "sendmail", cfg_set_command, C(alerts.sendmail), 0, 0, 0, 0 },
	{ "alerts", "dedupe_window", cfg_set_long, C(alerts.dedupe_window), 0, 0, 30 * 86400, 0 },
	{ "alerts", "expiry_notice_days", cfg_set_long, C(alerts.expiry_notice_days), 0, 0, 3660, 0 },
	{ "alerts", "routes", cfg_set_routes, 0, 0, 0, 0, 0 },
	{ "alerts.routes[]", "name", cfg_set_name, RT(name), KEY_REQUIRED, 0, 0, 0 },
	{ "alerts.routes[]", "match", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "alerts.routes[].match", "mailboxes", cfg_set_route_mailboxes, RT(mailboxes), 0, 0, 0,
	    RT(nmailboxes) },
	{ "alerts.routes[].match", "levels", cfg_set_levels, RT(levels), 0, 0, 0, 0 },
	{ "alerts.routes[].match", "rules", cfg_set_route_rules, RT(rules), 0, 0, 0, RT(nrules) },
	{ "alerts.routes[]", "mail", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "alerts.routes[].mail", "to", cfg_set_mail_to, RT(mail_to), KEY_REQUIRED, 0, 0, RT(nmail_to) },
	{ "alerts.routes[]", "webhook", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "alerts.routes[].webhook", "url", cfg_set_url, RT(webhook.url), KEY_REQUIRED, 0, 0, 0 },
	{ "alerts.routes[].webhook", "format", cfg_set_format, RT(webhook.format), 0, 0, 0, 0 },
	{ "alerts.routes[].webhook", "timeout", cfg_set_seconds, RT(webhook.timeout), 0, 0, 120, 0 },
	{ "alerts.routes[].webhook", "headers_file", cfg_set_path, RT(webhook.headers_file), 0, 0, 0, 0 },
	{ "alerts", "notice", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "alerts.notice", "contact", cfg_set_address, C(alerts.notice_contact), 0, 0, 0, 0 },
	{ "alerts.notice", "from", cfg_set_address, C(alerts.notice_from), 0, 0, 0, 0 },
	{ "", "metrics", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "metrics", "listen", cfg_set_listen, C(metrics.listen), 0, 0, 0, 0 },
	{ "", "allow", cfg_set_allow, 0, 0, 0, 0, 0 },
	{ "allow[]", "destination", cfg_set_allow_dest, A(destination), KEY_REQUIRED, 0, 0, 0 },
	{ "allow[]", "mailboxes", cfg_set_allow_mailboxes, A(mailboxes), 0, 0, 0, A(nmailboxes) },
	{ "allow[]", "reason", cfg_set_string, A(reason), KEY_REQUIRED, 0, 0, 0 },
	{ "allow[]", "owner", cfg_set_string, A(owner), KEY_REQUIRED, 0, 0, 0 },
	{ "allow[]", "expires", cfg_set_expires, A(expires), 0, 0, 0, 0 },
	{ "", "rules", cfg_set_rules, 0, 0, 0, 0, 0 },
	{ "rules[]", "name", cfg_set_name, R(name), KEY_REQUIRED, 0, 0, 0 },
	{ "rules[]", "match", cfg_set_section, 0, 0, 0, 0, 0 },
	{ "rules[].match", "signals", cfg_set_signals, R(signals), 0, 0, 0, 0 },
	{ "rules[].match", "destination", cfg_set_dests, R(destinations), 0, 0, 0, 0 },
	{ "rules[].match", "direction", cfg_set_dirs, R(directions), 0, 0, 0, 0 },
	{ "rules[].match", "sender", cfg_set_senders, R(senders), 0, 0, 0, 0 },
	{ "rules[]", "action", cfg_set_action, R(action), KEY_REQUIRED, ALL_ACTIONS, 0, 0 },
	{ "rules[]", "mode", cfg_set_rule_mode, R(mode), 0, 0, 0, 0 },
	{ "rules[]", "reply", cfg_set_reply, R(reply), 0, 0, 0, 0 },
	{ "rules[]", "alert", cfg_set_alert, R(alert), 0, 0, 0, 0 },
	{ "rules[]", "reroute_to", cfg_set_reroute_to, R(reroute_to), 0, 0, 0, 0 },
	{ "rules[]", "notify", cfg_set_notify, R(notify_mailbox), 0, 0, 0, 0 },
};

#define CFG_NKEYS	(sizeof(cfg_keys) / sizeof(cfg_keys[0]))

/* ---- the walker -------------------------------------------------------------- */

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
void
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

void
cfg_keys_apply(struct cfg_loader *l, const struct cfg_node *root)
{
	cfg_walk(l, root, "", "", l->cfg);
}

