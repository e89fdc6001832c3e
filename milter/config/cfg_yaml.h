/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_yaml.h - private to the config loader (milter/config/cfg.c): reads a YAML
 * buffer into a small, bounded node tree that keeps each node's position.
 *
 * The reader enforces what libyaml does not: one document only, no aliases,
 * anchors or tags, UTF-8 only, at most CFG_MAX_DEPTH levels.  The caller
 * bounds the size (CFG_MAX_BYTES, include/cfg.h).  It does not know the key
 * table: duplicate and unknown keys are found by the loader, which knows
 * each key's path.  It depends on libyaml only.
 */
#ifndef FWDGUARD_CFG_YAML_H
#define FWDGUARD_CFG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#define CFG_MAX_DEPTH	16	/* deeper nesting is refused */

enum cfg_node_kind {
	CFG_NODE_SCALAR,
	CFG_NODE_SEQ,
	CFG_NODE_MAP,
	CFG_NODE_BAD		/* already reported (alias): skip silently */
};

struct cfg_node {
	enum cfg_node_kind kind;
	int line, col;			/* 1-based position of the node's start */
	char *text;			/* scalar: NUL-terminated copy */
	size_t len;			/* scalar: bytes, may be > strlen(text) */
	bool plain;			/* scalar: unquoted, so it may be typed */
	struct cfg_node **kids;		/* seq: items; map: key, value, key, value, ... */
	size_t nkids;
	size_t kids_cap;		/* room in kids */
};

/* Receives one error at a 1-based position; msg has no position prefix. */
typedef void (*cfg_yaml_error_fn)(void *ctx, int line, int col, const char *msg);

/*
 * Parses buf[0..len).  Returns the root node (owned: cfg_yaml_free), or NULL
 * when the input cannot be read at all.  Errors that leave the tree usable
 * (an anchor, an alias, a tag) are reported and parsing goes on: *nerrors
 * counts every error reported.
 */
struct cfg_node *cfg_yaml_parse(const char *buf, size_t len, cfg_yaml_error_fn err,
    void *ctx, int *nerrors);

void cfg_yaml_free(struct cfg_node *n);		/* accepts NULL */

/* 1 for a plain "", "~", "null", "Null" or "NULL" scalar. */
int cfg_yaml_is_null(const struct cfg_node *n);

/* The value of key in a mapping node (first occurrence), or NULL. */
const struct cfg_node *cfg_yaml_get(const struct cfg_node *map, const char *key);

#endif
