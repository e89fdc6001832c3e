/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_loader.h - private to the config loader: the state of one load, the
 * error collector, the description of a key a setter receives, and the
 * string and list helpers every setter shares (milter/config/cfg_loader.c).
 *
 * This is the bottom of the loader: it knows the node tree (cfg_yaml.h)
 * and nothing above it.  The setters (cfg_value.c, cfg_policy.c, ...)
 * build on it, the key table (cfg_keys.c) on them, and cfg.c on the
 * table; nothing here calls back up.
 *
 * Errors are collected, not printed: a setter reports and goes on, and
 * cfg_loader_emit() hands them all over sorted by position, so an
 * administrator fixes a file in one go (the error convention of the
 * style notes in docs/).
 */
#ifndef FWDGUARD_CFG_LOADER_H
#define FWDGUARD_CFG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg_yaml.h"

#define CFG_PATH_MAX	192	/* longest key path shown in an error */
#define CFG_SHOW_MAX	72	/* longest excerpt of a value shown in an error */
#define CFG_MAX_ITEMS	10000	/* entries in one list */

struct cfg;
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

/* ---- the error collector -------------------------------------------------- */

/* Records msg at a 1-based position (sets l->nomem when it cannot). */
void cfg_report_at(struct cfg_loader *l, int line, int col, const char *msg);

/*
 * Records an error at node n (NULL: line 1, column 1).  path is the key path
 * ("rules[1].action", may be "" or NULL); the message follows it after ": ".
 * Values quoted in fmt arguments must go through cfg_show().
 */
void cfg_report(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A cfg_yaml_error_fn whose ctx is a struct cfg_loader. */
void cfg_report_reader(void *ctx, int line, int col, const char *msg);

/*
 * Hands every error to err (may be NULL) as "name:line:col: msg", sorted
 * by position, then forgets them.  err has the type of cfg_error_fn
 * (include/cfg.h).
 */
void cfg_loader_emit(struct cfg_loader *l, void (*err)(void *ctx, const char *line),
    void *ctx);

/* Printable, truncated excerpt of s for an error message, written to buf. */
const char *cfg_show(const char *s, size_t len, char buf[CFG_SHOW_MAX + 8]);

/* ---- paths and words of messages ------------------------------------------ */

void cfg_path_key(char *out, size_t size, const char *path, const char *key);
void cfg_path_index(char *out, size_t size, const char *path, size_t i);
/* "a list", "a mapping", "nothing" or "a scalar". */
const char *cfg_kind_name(const struct cfg_node *n);
/* Joins name(from..to) whose bit is in mask with '|' into buf; returns buf. */
const char *cfg_want(char *buf, size_t size, const char *(*name)(int), int from, int to,
    long long mask);

/* ---- strings ---------------------------------------------------------------- */

/* strdup that sets l->nomem on failure; the copy is the caller's. */
char *cfg_strdup(struct cfg_loader *l, const char *s);
/* Replaces *field (freed) with a copy of s; leaves it alone on ENOMEM. */
void cfg_replace(struct cfg_loader *l, char **field, const char *s);
/*
 * The text of a scalar without control characters (borrowed from n), or
 * NULL after reporting "expected WHAT, got ...".
 */
const char *cfg_text(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *what);

/* ---- the key a setter fills ------------------------------------------------- */

struct cfg_key;
typedef void (*cfg_set_fn)(struct cfg_loader *l, const struct cfg_key *k,
    const struct cfg_node *n, const char *path, void *base);

/*
 * One key of the table (milter/config/cfg_keys.c).  A setter checks the
 * value, stores it at base + offset, reports its own errors and goes on.
 */
struct cfg_key {
	const char *parent;	/* table path of the enclosing mapping: "", "ldap.cache", "rules[]" */
	const char *name;
	const char *def;	/* the default as the file would spell it; NULL: none (zero) */
	cfg_set_fn set;
	size_t offset;		/* of the field in the struct the mapping fills */
	unsigned flags;
	long long min, max;	/* numbers; actions: min is a mask of allowed actions */
	size_t count;		/* lists: offset of the size_t item count */
	const void *arg;	/* the setter's own description (struct cfg_choice, cfg_list) */
};

#define KEY_REQUIRED	0x01
#define KEY_EMPTY_OK	0x02
#define KEY_NEEDS_S	0x04	/* LDAP filter must hold the %s placeholder */

#define FIELD(base, k, type)	((type *)(void *)((char *)(base) + (k)->offset))

/*
 * A value whose shape one predicate checks (the k->arg of cfg_set_shape,
 * and of cfg_set_strlist for each item): messages read "expected WHAT, got
 * ..." and "invalid NOUN '...' (want WANT)".  ok gets the text and its
 * length.
 */
struct cfg_shape {
	const char *what;
	const char *noun;
	const char *want;
	bool (*ok)(const char *s, size_t len);
};

#define CFG_SETTER(name) void name(struct cfg_loader *l, const struct cfg_key *k, \
    const struct cfg_node *n, const char *path, void *base)

/* ---- lists ------------------------------------------------------------------- */

/*
 * The items of a list value; a null value is an empty list, and a scalar
 * counts as a one-item list when one_ok (*np must outlive the items).
 * Returns 0, or -1 after reporting.
 */
int cfg_items(struct cfg_loader *l, const struct cfg_node *const *np, const char *path,
    bool one_ok, struct cfg_node *const **items, size_t *count);

/* One item as stored, malloc'd; NULL after reporting why (or on ENOMEM). */
typedef char *(*cfg_item_fn)(struct cfg_loader *l, const struct cfg_key *k,
    const struct cfg_node *item, const char *path);

/*
 * Replaces the list at k (items at k->offset, count at k->count) with the
 * items of n, each made a string by fn; items fn refuses are left out.
 * empty (NULL: allowed) is the message an empty list is refused with.
 * Returns 0, or -1 when the list was refused as a whole.
 */
int cfg_strv_set(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base, bool one_ok, const char *empty, cfg_item_fn fn);

void cfg_strv_free(char **v, size_t n);	/* accepts NULL */

#endif
