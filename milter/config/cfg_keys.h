/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_keys.h - private to the config loader: the table of keys and its
 * generic setters (milter/config/cfg_keys.c), the policy setters
 * (milter/config/cfg_policy.c) and the endpoint setters (milter/config/cfg_endpoints.c)
 * fill a struct cfg from a node tree, and report through the loader
 * (milter/config/cfg.c), which collects, sorts and prints every error once the
 * whole file has been checked.
 */
#ifndef FWDGUARD_CFG_KEYS_H
#define FWDGUARD_CFG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg.h"
#include "cfg_yaml.h"

#define CFG_PATH_MAX	192	/* longest key path shown in an error */
#define CFG_SHOW_MAX	72	/* longest excerpt of a value shown in an error */

struct cfg_error;

struct cfg_loader {
	struct cfg *cfg;		/* being filled */
	const char *name;		/* file name for error lines */
	struct cfg_error *errors;
	size_t nerrors;
	size_t nerrors_max;
	bool nomem;			/* an allocation failed: the load fails */
	bool host_checks;		/* what keys name must exist here (milter/config/cfg_host.c) */
};

/*
 * Records an error at node n (NULL: line 1, column 1).  path is the key path
 * ("rules[1].action", may be "" or NULL); the message follows it after ": ".
 * Values quoted in fmt arguments must go through cfg_show().
 */
void cfg_report(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Printable, truncated excerpt of s for an error message, written to buf. */
const char *cfg_show(const char *s, size_t len, char buf[CFG_SHOW_MAX + 8]);

/* Fills l->cfg (already holding defaults) from the root mapping. */
void cfg_keys_apply(struct cfg_loader *l, const struct cfg_node *root);

#define CFG_MAX_ITEMS	10000	/* entries in one list */

struct cfg_key;
typedef void (*cfg_set_fn)(struct cfg_loader *l, const struct cfg_key *k,
    const struct cfg_node *n, const char *path, void *base);

/* One key of the table; a setter reports its own errors and goes on. */
struct cfg_key {
	const char *parent;	/* table path of the enclosing mapping: "", "ldap.cache", "rules[]" */
	const char *name;
	cfg_set_fn set;
	size_t offset;		/* of the field in the struct the mapping fills */
	unsigned flags;
	long long min, max;	/* numbers; actions: min is a mask of allowed actions */
	size_t count;		/* lists: offset of the size_t item count */
};

#define KEY_REQUIRED	0x01
#define KEY_EMPTY_OK	0x02
#define KEY_NEEDS_S	0x04	/* LDAP filter must hold the %s placeholder */
#define KEY_HOSTPORT	0x08	/* list items are "host:port" */

#define FIELD(base, k, type)	((type *)(void *)((char *)(base) + (k)->offset))

/* Walks a mapping against the keys under tpath, filling base. */
void cfg_walk(struct cfg_loader *l, const struct cfg_node *map, const char *tpath,
    const char *path, void *base);

/* Shared helpers of the setters (milter/config/cfg_keys.c). */
void cfg_path_index(char *out, size_t size, const char *path, size_t i);
const char *cfg_kind_name(const struct cfg_node *n);
const char *cfg_want(char *buf, size_t size, const char *(*name)(int), int from, int to,
    long long mask);
char *cfg_strdup(struct cfg_loader *l, const char *s);
const char *cfg_text(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *what);
void cfg_replace(struct cfg_loader *l, char **field, const char *s);
int cfg_items(struct cfg_loader *l, const struct cfg_node *const *np, const char *path,
    bool one_ok, struct cfg_node *const **items, size_t *count);
void cfg_strv_free(char **v, size_t n);
void cfg_strv_store(const struct cfg_key *k, void *base, char **v, size_t n);
/*
 * A single mailbox address's comparison form into out (milter/config/cfg_policy.c);
 * 0, or -1 after reporting.  cfg_is_protected: is a comparison form one of
 * mailboxes.protected?
 */
int cfg_mailbox(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    char *out, size_t size);
bool cfg_is_protected(const struct policy *p, const char *canonical);
/* Checks of alerts.routes against the rest of the file, once it is all read. */
void cfg_alerts_check(struct cfg_loader *l, const struct cfg_node *root);
/* The index of the node's text among names (count of them), or -1 after
 * reporting "unknown NOUN '...' (want WANT)" (milter/config/cfg_keys.c). */
int cfg_pick(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *const *names, size_t count, const char *expected, const char *noun,
    const char *want);
/* "host:port" or "[v6]:port" (milter/config/cfg_endpoints.c). */
bool cfg_hostport_ok(const char *s);

/*
 * Parses one mailbox address into its canonical form (milter/config/cfg_policy.c);
 * 0, or -1 after reporting.
 */
int cfg_mailbox(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    char *out, size_t size);

/* The policy setters (milter/config/cfg_policy.c). */
#define CFG_SETTER(name) void name(struct cfg_loader *l, const struct cfg_key *k, \
    const struct cfg_node *n, const char *path, void *base)
CFG_SETTER(cfg_set_address);
CFG_SETTER(cfg_set_delimiter);
CFG_SETTER(cfg_set_protected);
CFG_SETTER(cfg_set_domains);
CFG_SETTER(cfg_set_allow);
CFG_SETTER(cfg_set_allow_dest);
CFG_SETTER(cfg_set_allow_mailboxes);
CFG_SETTER(cfg_set_expires);
CFG_SETTER(cfg_set_rules);
CFG_SETTER(cfg_set_signals);
CFG_SETTER(cfg_set_dests);
CFG_SETTER(cfg_set_dirs);
CFG_SETTER(cfg_set_reply);
/* The alert routes' setters (milter/config/cfg_alerts.c). */
CFG_SETTER(cfg_set_routes);
CFG_SETTER(cfg_set_route_mailboxes);
CFG_SETTER(cfg_set_levels);
CFG_SETTER(cfg_set_route_rules);
CFG_SETTER(cfg_set_mail_to);
CFG_SETTER(cfg_set_url);
CFG_SETTER(cfg_set_format);
CFG_SETTER(cfg_set_senders);
/* The reroute and notice setters (milter/config/cfg_reroute.c). */
CFG_SETTER(cfg_set_reroute_to);
CFG_SETTER(cfg_set_notify);
/* Cross-checks of the notices against alerts.* (milter/config/cfg_reroute.c). */
void cfg_notice_check(struct cfg_loader *l, const struct cfg_node *root);
/* The endpoint setters (milter/config/cfg_endpoints.c). */
CFG_SETTER(cfg_set_socket);
CFG_SETTER(cfg_set_endpoint);
CFG_SETTER(cfg_set_ldap_uri);
CFG_SETTER(cfg_set_filter);
CFG_SETTER(cfg_set_listen);
/* Keys that name something on this host (milter/config/cfg_host.c). */
CFG_SETTER(cfg_set_secret_file);
CFG_SETTER(cfg_set_user);
CFG_SETTER(cfg_set_command);
#undef CFG_SETTER

#endif
