/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_value.h - private to the config loader: the setters of plain values
 * (milter/config/cfg_value.c), named in the key table (cfg_keys.c).  Each
 * checks a scalar or a list against its key's bounds (struct cfg_key),
 * stores it at the key's field, or reports and leaves the field alone.
 */
#ifndef FWDGUARD_CFG_VALUE_H
#define FWDGUARD_CFG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg_loader.h"

/*
 * The words of a cfg_set_choice key (its k->arg), in the order of the enum
 * the field holds; messages read "expected EXPECTED, got ..." and
 * "unknown NOUN '...' (want word|word)".
 */
struct cfg_choice {
	const char *expected;
	const char *noun;
	const char *names[5];		/* NULL-terminated */
};

/*
 * The words of a cfg_set_lookup key (its k->arg): lookup gives a word's
 * number or -1; messages read "expected WHAT, got ..." and "unknown NOUN
 * '...' (want WANT)".
 */
struct cfg_lookup {
	const char *what;
	const char *noun;
	const char *want;
	int (*lookup)(const char *s);
};

/* Syslog facility and priority names, as LOG_* numbers (log.h). */
extern const struct cfg_lookup cfg_facility_words;
extern const struct cfg_lookup cfg_level_words;

#define CFG_NAME_MAX	64	/* rule names travel in headers and audit records */

/*
 * A name of a rule or a route: 1 to max of A-Z a-z 0-9 . _ - (route names
 * are Redis keys and consumer groups of the relay, rule names travel in
 * headers and audit records).
 */
bool cfg_name_ok(const char *s, size_t max);

/*
 * The text of an absolute path ("" too with KEY_EMPTY_OK), borrowed from
 * n, or NULL after reporting.
 */
const char *cfg_path_text(struct cfg_loader *l, const struct cfg_key *k,
    const struct cfg_node *n, const char *path);

CFG_SETTER(cfg_set_string);	/* KEY_EMPTY_OK: "" allowed */
CFG_SETTER(cfg_set_name);	/* rule and route names: A-Z a-z 0-9 . _ -, at most 64 */
CFG_SETTER(cfg_set_path);	/* absolute; KEY_EMPTY_OK: "" allowed */
CFG_SETTER(cfg_set_shape);	/* a string of the shape in k->arg (struct cfg_shape) */
CFG_SETTER(cfg_set_bool);	/* plain true or false */
CFG_SETTER(cfg_set_long);	/* whole number in [k->min, k->max], into a long */
CFG_SETTER(cfg_set_llong);	/* the same into a long long */
CFG_SETTER(cfg_set_seconds);	/* "2", "0.5": more than 0, at most k->max, into a double */
CFG_SETTER(cfg_set_action);	/* an action whose bit is in k->min */
CFG_SETTER(cfg_set_mode);	/* enforce|monitor into an enum mode */
CFG_SETTER(cfg_set_rule_mode);	/* the same into an int (-1: the file's mode) */
CFG_SETTER(cfg_set_alert);	/* an alert level */
CFG_SETTER(cfg_set_choice);	/* one of k->arg's words, as its index into an enum */
CFG_SETTER(cfg_set_lookup);	/* a word k->arg's lookup knows, as its number */
CFG_SETTER(cfg_set_strlist);	/* non-empty strings (of the shape in k->arg, if any);
				 * k->min 1: the list too */

#endif
