/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_rules.c - enum names and rule selection (policy/rules.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "policy.h"

#define S(x)	SIGNAL_BIT(SIGNAL_##x)

/* --- names ------------------------------------------------------------------ */

static void test_names_round_trip(void **state)
{
	static const struct {
		const char *name;
		int kind;	/* 0 action, 1 mode, 2 alert, 3 destination, 4 direction */
		unsigned value;
	} cases[] = {
		{ "accept", 0, ACTION_ACCEPT }, { "flag", 0, ACTION_FLAG },
		{ "strip", 0, ACTION_STRIP }, { "quarantine", 0, ACTION_QUARANTINE },
		{ "tempfail", 0, ACTION_TEMPFAIL }, { "reject", 0, ACTION_REJECT },
		{ "enforce", 1, MODE_ENFORCE }, { "monitor", 1, MODE_MONITOR },
		{ "none", 2, ALERT_NONE }, { "info", 2, ALERT_INFO },
		{ "warning", 2, ALERT_WARNING }, { "critical", 2, ALERT_CRITICAL },
		{ "internal", 3, DEST_INTERNAL }, { "external", 3, DEST_EXTERNAL },
		{ "allowed", 3, DEST_ALLOWED },
		{ "inbound", 4, DIR_INBOUND }, { "outbound", 4, DIR_OUTBOUND },
		{ "internal", 4, DIR_INTERNAL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = NULL;
		unsigned back = 99;
		int rc = -1;

		switch (cases[i].kind) {
		case 0: {
			enum action v;
			got = action_name((enum action)cases[i].value);
			rc = action_lookup(cases[i].name, &v);
			back = v;
			break;
		}
		case 1: {
			enum mode v;
			got = mode_name((enum mode)cases[i].value);
			rc = mode_lookup(cases[i].name, &v);
			back = v;
			break;
		}
		case 2: {
			enum alert_level v;
			got = alert_level_name((enum alert_level)cases[i].value);
			rc = alert_level_lookup(cases[i].name, &v);
			back = v;
			break;
		}
		case 3: {
			enum destination v;
			got = destination_name((enum destination)cases[i].value);
			rc = destination_lookup(cases[i].name, &v);
			back = v;
			break;
		}
		default: {
			enum direction v;
			got = direction_name((enum direction)cases[i].value);
			rc = direction_lookup(cases[i].name, &v);
			back = v;
			break;
		}
		}
		if (strcmp(got, cases[i].name) != 0)
			fail_msg("case %zu: name: got %s, want %s", i, got, cases[i].name);
		if (rc != 0 || back != cases[i].value)
			fail_msg("case %zu: lookup(%s): got rc %d value %u, want 0 %u",
			    i, cases[i].name, rc, back, cases[i].value);
	}
}

static void test_unknown_names_are_refused(void **state)
{
	static const char *const bad[] = { "", "Reject", "reject ", "rejec", "discard", NULL };
	enum action a = ACTION_FLAG;
	enum mode m = MODE_MONITOR;
	enum alert_level l = ALERT_INFO;
	enum destination d = DEST_ALLOWED;
	enum direction r = DIR_OUTBOUND;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (action_lookup(bad[i], &a) != -1)
			fail_msg("action_lookup(%s): got 0, want -1", bad[i] ? bad[i] : "NULL");
		if (mode_lookup(bad[i], &m) != -1 || alert_level_lookup(bad[i], &l) != -1 ||
		    destination_lookup(bad[i], &d) != -1 || direction_lookup(bad[i], &r) != -1)
			fail_msg("lookup(%s): got 0, want -1", bad[i] ? bad[i] : "NULL");
	}
	if (a != ACTION_FLAG || m != MODE_MONITOR || l != ALERT_INFO || d != DEST_ALLOWED ||
	    r != DIR_OUTBOUND)
		fail_msg("a failed lookup changed its output");
	if (mode_lookup("enforce ", &m) != -1 || alert_level_lookup("CRITICAL", &l) != -1)
		fail_msg("near-miss names were accepted");
}

static void test_out_of_range_values_have_a_name(void **state)
{
	(void)state;
	assert_string_equal(action_name((enum action)42), "unknown");
	assert_string_equal(mode_name((enum mode)7), "unknown");
	assert_string_equal(destination_name((enum destination)3), "unknown");
}

/* --- policy_match ------------------------------------------------------------- */

static struct policy_rule rules_table[] = {
	{ .name = "copy-external", .signals = S(DELIVERED_TO) | S(ORCPT) | S(HEADER_RECIPIENT),
	  .destinations = DEST_BIT(DEST_EXTERNAL), .action = ACTION_REJECT, .mode = -1 },
	{ .name = "directory", .signals = S(DIRECTORY_FORWARD), .action = ACTION_QUARANTINE,
	  .mode = MODE_ENFORCE },
	{ .name = "leak-inbound", .signals = S(LEAK_BACKSCATTER),
	  .directions = DIR_BIT(DIR_INBOUND), .action = ACTION_ACCEPT, .mode = -1 },
	{ .name = "copy-allowed-staged", .signals = S(DELIVERED_TO),
	  .destinations = DEST_BIT(DEST_ALLOWED), .action = ACTION_FLAG, .mode = MODE_MONITOR },
	{ .name = "internal-to-internal", .directions = DIR_BIT(DIR_INTERNAL),
	  .destinations = DEST_BIT(DEST_INTERNAL), .action = ACTION_FLAG, .mode = -1 },
};

static const struct policy rules_policy = {
	.rules = rules_table,
	.nrules = sizeof(rules_table) / sizeof(rules_table[0]),
	.mode = MODE_ENFORCE,
};

static void test_policy_match_table(void **state)
{
	static const struct {
		const char *name;
		signal_set signals;
		enum destination dest;
		enum direction dir;
		const char *want;	/* NULL: no rule */
	} cases[] = {
		{ "one listed signal is enough", S(ORCPT), DEST_EXTERNAL, DIR_OUTBOUND,
		  "copy-external" },
		{ "any of several listed signals", S(RESENT) | S(HEADER_RECIPIENT), DEST_EXTERNAL,
		  DIR_OUTBOUND, "copy-external" },
		{ "first match wins over later ones", S(DELIVERED_TO) | S(DIRECTORY_FORWARD),
		  DEST_EXTERNAL, DIR_OUTBOUND, "copy-external" },
		{ "destination condition skips a rule", S(DELIVERED_TO) | S(DIRECTORY_FORWARD),
		  DEST_INTERNAL, DIR_INTERNAL, "directory" },
		{ "destination allowed reaches its own rule", S(DELIVERED_TO), DEST_ALLOWED,
		  DIR_OUTBOUND, "copy-allowed-staged" },
		{ "unlisted signal matches nothing", S(RESENT), DEST_EXTERNAL, DIR_OUTBOUND, NULL },
		{ "no signal matches no signal rule", 0, DEST_EXTERNAL, DIR_OUTBOUND, NULL },
		{ "direction condition matches inbound", S(LEAK_BACKSCATTER), DEST_INTERNAL,
		  DIR_INBOUND, "leak-inbound" },
		{ "direction condition skips outbound", S(LEAK_BACKSCATTER), DEST_EXTERNAL,
		  DIR_OUTBOUND, NULL },
		{ "rule without signals matches on destination and direction", 0, DEST_INTERNAL,
		  DIR_INTERNAL, "internal-to-internal" },
		{ "rule without signals still checks direction", 0, DEST_INTERNAL, DIR_INBOUND,
		  NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_rule *r = policy_match(&rules_policy, cases[i].signals,
		    cases[i].dest, cases[i].dir);
		const char *got = r ? r->name : "(none)";
		const char *want = cases[i].want ? cases[i].want : "(none)";

		if (strcmp(got, want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].name, got, want);
	}
}

static void test_policy_match_empty_policy(void **state)
{
	static const struct policy empty = { .mode = MODE_ENFORCE };

	(void)state;
	assert_null(policy_match(&empty, S(DELIVERED_TO), DEST_EXTERNAL, DIR_OUTBOUND));
}

static void test_rule_mode_override(void **state)
{
	static const struct {
		const char *name;
		enum mode global;
		int rule_mode;
		enum mode want;
	} cases[] = {
		{ "rule follows enforce", MODE_ENFORCE, -1, MODE_ENFORCE },
		{ "rule follows monitor", MODE_MONITOR, -1, MODE_MONITOR },
		{ "rule monitor overrides enforce", MODE_ENFORCE, MODE_MONITOR, MODE_MONITOR },
		{ "rule enforce overrides monitor", MODE_MONITOR, MODE_ENFORCE, MODE_ENFORCE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy p = { .mode = cases[i].global };
		struct policy_rule r = { .name = "r", .mode = cases[i].rule_mode };
		enum mode got = policy_rule_mode(&p, &r);

		if (got != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name, mode_name(got),
			    mode_name(cases[i].want));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_unknown_names_are_refused),
		cmocka_unit_test(test_out_of_range_values_have_a_name),
		cmocka_unit_test(test_policy_match_table),
		cmocka_unit_test(test_policy_match_empty_policy),
		cmocka_unit_test(test_rule_mode_override),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
