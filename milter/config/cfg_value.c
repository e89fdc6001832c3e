/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_value.c - the setters of plain values (cfg_value.h): strings, names,
 * paths, booleans, whole numbers, seconds, the policy's words (actions,
 * modes, alert levels), a choice among a few words, syslog names and
 * lists of strings.  The keys that need more than the value's type are
 * checked by the setters of their subject (cfg_policy.c, cfg_endpoints.c,
 * cfg_host.c, cfg_reroute.c, cfg_alerts.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_loader.h"
#include "cfg_value.h"
#include "log.h"
#include "policy.h"

#define ABIT(a)		(1LL << (a))

static const char *cfg_action_name(int i) { return action_name((enum action)i); }
static const char *cfg_mode_name(int i) { return mode_name((enum mode)i); }
static const char *cfg_alert_name(int i) { return alert_level_name((enum alert_level)i); }

/* ---- strings and numbers ------------------------------------------------------ */

void
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

bool
cfg_name_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len > 0 && len <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* Rule names travel in X-Fwdguard headers and audit fields: keep them tame. */
void
cfg_set_name(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a name");

	if (s == NULL)
		return;
	if (!cfg_name_ok(s, CFG_NAME_MAX))
		cfg_report(l, n, path, "invalid name '%s' (want 1-%d of A-Z a-z 0-9 . _ -)",
		    cfg_show(s, strlen(s), shown), CFG_NAME_MAX);
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

const char *
cfg_path_text(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "an absolute path");

	if (s == NULL || (*s == '\0' && (k->flags & KEY_EMPTY_OK)) || *s == '/')
		return s;
	cfg_report(l, n, path, "'%s' is not an absolute path", cfg_show(s, n->len, shown));
	return NULL;
}

void
cfg_set_path(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const char *s = cfg_path_text(l, k, n, path);

	if (s != NULL)
		cfg_replace(l, FIELD(base, k, char *), s);
}

/* A string its key's shape predicate accepts (struct cfg_shape in k->arg). */
void
cfg_set_shape(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const struct cfg_shape *shape = k->arg;
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, shape->what);

	if (s == NULL)
		return;
	if (shape->ok(s, n->len))
		cfg_replace(l, FIELD(base, k, char *), s);
	else
		cfg_report(l, n, path, "invalid %s '%s' (want %s)", shape->noun,
		    cfg_show(s, n->len, shown), shape->want);
}

/* Plain true/false only: YAML 1.1's yes/no/on/off surprise people. */
void
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

void
cfg_set_long(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	long long v;

	if (cfg_integer(l, k, n, path, &v) == 0)
		*FIELD(base, k, long) = (long)v;
}

void
cfg_set_llong(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	long long v;

	if (cfg_integer(l, k, n, path, &v) == 0)
		*FIELD(base, k, long long) = v;
}

/* Seconds as "2" or "0.5": parsed by hand, strtod would follow the locale. */
void
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

void
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

void
cfg_set_mode(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	enum mode m;

	if (cfg_mode(l, n, path, &m) == 0)
		*FIELD(base, k, enum mode) = m;
}

void
cfg_set_rule_mode(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	enum mode m;

	if (cfg_mode(l, n, path, &m) == 0)
		*FIELD(base, k, int) = (int)m;
}

void
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

/*
 * One of a few words, stored as its index: the words are listed in the
 * order of the enum the field holds (k->arg, a struct cfg_choice).
 */
void
cfg_set_choice(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const struct cfg_choice *c = k->arg;
	char shown[CFG_SHOW_MAX + 8], want[128];
	const char *s = cfg_text(l, n, path, c->expected);
	size_t i, used = 0;

	if (s == NULL)
		return;
	for (i = 0; c->names[i] != NULL; i++)
		if (strcmp(s, c->names[i]) == 0) {
			*FIELD(base, k, int) = (int)i;
			return;
		}
	want[0] = '\0';
	for (i = 0; c->names[i] != NULL && used < sizeof(want); i++)
		used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", i ? "|" : "",
		    c->names[i]);
	cfg_report(l, n, path, "unknown %s '%s' (want %s)", c->noun, cfg_show(s, n->len, shown),
	    want);
}


/* A word a lookup function knows (struct cfg_lookup in k->arg), as the number it gives. */
void
cfg_set_lookup(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const struct cfg_lookup *w = k->arg;
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, w->what);
	int v;

	if (s == NULL)
		return;
	if ((v = w->lookup(s)) >= 0)
		*FIELD(base, k, int) = v;
	else
		cfg_report(l, n, path, "unknown %s '%s' (want %s)", w->noun,
		    cfg_show(s, n->len, shown), w->want);
}

const struct cfg_lookup cfg_facility_words = { "a syslog facility", "syslog facility",
    "mail|daemon|user|auth|authpriv|local0..local7", log_facility_lookup };
const struct cfg_lookup cfg_level_words = { "a log level", "log level",
    "err|warning|notice|info|debug", log_level_lookup };

/* A list of strings, none empty; with a struct cfg_shape in k->arg, each of that shape. */
static char *
cfg_strlist_item(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *item,
    const char *path)
{
	const struct cfg_shape *shape = k->arg;
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, item, path, "a string");

	if (s == NULL)
		return NULL;
	if (*s == '\0')
		cfg_report(l, item, path, "must not be empty");
	else if (shape != NULL && !shape->ok(s, item->len))
		cfg_report(l, item, path, "invalid %s '%s' (want %s)", shape->noun,
		    cfg_show(s, item->len, shown), shape->want);
	else
		return cfg_strdup(l, s);
	return NULL;
}

void
cfg_set_strlist(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	(void)cfg_strv_set(l, k, n, path, base, false, k->min > 0 ? "must not be empty" : NULL,
	    cfg_strlist_item);
}
