/*
 * rules.c - the stable names of policy enums and rule selection
 * (README.md "Configuration").
 *
 * The name tables are part of the contract: YAML keys, audit fields and
 * X-Fwdguard headers use them, so an entry is never renamed.  Rule
 * selection is "first match wins" over the rules in configuration order.
 * Pure code: reads the policy, owns nothing.
 */
#include <stdio.h>
#include <string.h>
#include "policy.h"

static const char *const rules_action_names[] = {
	[ACTION_ACCEPT] = "accept",
	[ACTION_FLAG] = "flag",
	[ACTION_REROUTE] = "reroute",
	[ACTION_STRIP] = "strip",
	[ACTION_QUARANTINE] = "quarantine",
	[ACTION_TEMPFAIL] = "tempfail",
	[ACTION_REJECT] = "reject",
};

static const char *const rules_mode_names[] = {
	[MODE_ENFORCE] = "enforce",
	[MODE_MONITOR] = "monitor",
};

static const char *const rules_alert_names[] = {
	[ALERT_NONE] = "none",
	[ALERT_INFO] = "info",
	[ALERT_WARNING] = "warning",
	[ALERT_CRITICAL] = "critical",
};

static const char *const rules_destination_names[] = {
	[DEST_INTERNAL] = "internal",
	[DEST_EXTERNAL] = "external",
	[DEST_ALLOWED] = "allowed",
};

static const char *const rules_direction_names[] = {
	[DIR_INBOUND] = "inbound",
	[DIR_OUTBOUND] = "outbound",
	[DIR_INTERNAL] = "internal",
};

static const char *const rules_sender_names[] = {
	[SENDER_PROTECTED] = "protected",
	[SENDER_INTERNAL] = "internal",
	[SENDER_EXTERNAL] = "external",
};

#define RULES_COUNT(t)	(sizeof(t) / sizeof((t)[0]))

/*
 * An out-of-range value is a programmer error, but the result may end up
 * in an audit record, so it reads as such rather than crashing.
 */
static const char *rules_name(const char *const *table, size_t n, unsigned v)
{
	return v < n ? table[v] : "unknown";
}

/* Names are matched exactly: the YAML contract is lower-case. */
static int rules_lookup(const char *const *table, size_t n, const char *name, unsigned *out)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(table[i], name) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	}
	return -1;
}

const char *action_name(enum action a)
{
	return rules_name(rules_action_names, RULES_COUNT(rules_action_names), (unsigned)a);
}

const char *mode_name(enum mode m)
{
	return rules_name(rules_mode_names, RULES_COUNT(rules_mode_names), (unsigned)m);
}

const char *alert_level_name(enum alert_level l)
{
	return rules_name(rules_alert_names, RULES_COUNT(rules_alert_names), (unsigned)l);
}

const char *destination_name(enum destination d)
{
	return rules_name(rules_destination_names, RULES_COUNT(rules_destination_names),
	    (unsigned)d);
}

const char *direction_name(enum direction d)
{
	return rules_name(rules_direction_names, RULES_COUNT(rules_direction_names), (unsigned)d);
}

const char *sender_kind_name(enum sender_kind s)
{
	return rules_name(rules_sender_names, RULES_COUNT(rules_sender_names), (unsigned)s);
}

int sender_kind_lookup(const char *name, enum sender_kind *out)
{
	unsigned v;

	if (rules_lookup(rules_sender_names, RULES_COUNT(rules_sender_names), name, &v) < 0)
		return -1;
	*out = (enum sender_kind)v;
	return 0;
}

int action_lookup(const char *name, enum action *out)
{
	unsigned v;

	if (rules_lookup(rules_action_names, RULES_COUNT(rules_action_names), name, &v) < 0)
		return -1;
	*out = (enum action)v;
	return 0;
}

int mode_lookup(const char *name, enum mode *out)
{
	unsigned v;

	if (rules_lookup(rules_mode_names, RULES_COUNT(rules_mode_names), name, &v) < 0)
		return -1;
	*out = (enum mode)v;
	return 0;
}

int alert_level_lookup(const char *name, enum alert_level *out)
{
	unsigned v;

	if (rules_lookup(rules_alert_names, RULES_COUNT(rules_alert_names), name, &v) < 0)
		return -1;
	*out = (enum alert_level)v;
	return 0;
}

int destination_lookup(const char *name, enum destination *out)
{
	unsigned v;

	if (rules_lookup(rules_destination_names, RULES_COUNT(rules_destination_names),
	    name, &v) < 0)
		return -1;
	*out = (enum destination)v;
	return 0;
}

int direction_lookup(const char *name, enum direction *out)
{
	unsigned v;

	if (rules_lookup(rules_direction_names, RULES_COUNT(rules_direction_names),
	    name, &v) < 0)
		return -1;
	*out = (enum direction)v;
	return 0;
}

/* An empty set or mask in a rule means "no condition" on that field. */
static int rules_matches(const struct policy_rule *r, signal_set signals,
    enum destination dest, enum direction dir, int sender)
{
	if (r->senders != 0 && (sender < 0 || (r->senders & SENDER_BIT(sender)) == 0))
		return 0;
	if (r->signals != 0 && (r->signals & signals) == 0)
		return 0;
	if (r->destinations != 0 && (r->destinations & DEST_BIT(dest)) == 0)
		return 0;
	if (r->directions != 0 && (r->directions & DIR_BIT(dir)) == 0)
		return 0;
	return 1;
}

static const struct policy_rule *rules_first(const struct policy *p, signal_set signals,
    enum destination dest, enum direction dir, int sender)
{
	size_t i;

	for (i = 0; i < p->nrules; i++) {
		if (rules_matches(&p->rules[i], signals, dest, dir, sender))
			return &p->rules[i];
	}
	return NULL;
}

const struct policy_rule *policy_match(const struct policy *p, signal_set signals,
    enum destination dest, enum direction dir)
{
	return rules_first(p, signals, dest, dir, -1);
}

const struct policy_rule *policy_match_sender(const struct policy *p, signal_set signals,
    enum destination dest, enum direction dir, enum sender_kind sender)
{
	return rules_first(p, signals, dest, dir, (int)sender);
}

/*
 * The tag keeps the rerouted copy apart (a folder, a filter) while it
 * still reaches the mailbox the customer wrote to; without a delimiter
 * the mailbox itself is the only address known to be the company's.
 */
int policy_reroute_to(const struct policy *p, const struct policy_rule *r, const char *mailbox,
    char *buf, size_t size)
{
	const char *at;
	int n;

	if (r != NULL && r->reroute_to != NULL)
		n = snprintf(buf, size, "%s", r->reroute_to);
	else if (mailbox == NULL || (at = strrchr(mailbox, '@')) == NULL || at == mailbox)
		return -1;
	else if (p->delimiters[0] != '\0')
		n = snprintf(buf, size, "%.*s%cfwdguard%s", (int)(at - mailbox), mailbox,
		    p->delimiters[0], at);
	else
		n = snprintf(buf, size, "%s", mailbox);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

enum mode policy_rule_mode(const struct policy *p, const struct policy_rule *r)
{
	if (r != NULL && (r->mode == MODE_ENFORCE || r->mode == MODE_MONITOR))
		return (enum mode)r->mode;
	return p->mode;
}
