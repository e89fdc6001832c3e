/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_audit_siem.c - the SIEM encodings of fwdguard-audit (--format ecs,
 * --format cef): the mapping of fwdguard's fields, and the escaping of
 * values that come from Redis (anyone who can write there, or an attacker's
 * address recorded as a recipient).  A value must never end a CEF header
 * field or extension early, never break a JSON string, and never reach a
 * SIEM console with controls, C1 or bidi controls in it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit_siem.h"

#define F(name, value) name, value

/* An entry from field/value pairs (NULL ends them). */
static void entry_set(struct view_entry *e, const char *const *kv)
{
	memset(e, 0, sizeof(*e));
	e->stream_id = "1700000000123-0";
	for (size_t i = 0; kv[i] != NULL && e->n < VIEW_FIELDS_MAX; i += 2) {
		e->field[e->n] = kv[i];
		e->value[e->n] = kv[i + 1];
		e->n++;
	}
}

static char *encode(void (*fn)(FILE *, const struct view_entry *), const char *const *kv)
{
	struct view_entry e;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	entry_set(&e, kv);
	fn(out, &e);
	fclose(out);
	return buf;
}

static void want_in(const char *got, const char *want, const char *name)
{
	if (strstr(got, want) == NULL)
		fail_msg("%s: want %s in\n%s", name, want, got);
}

/* Every string of want (an array) is in got. */
#define want_all(got, want, name) \
	do { \
		for (size_t i_ = 0; i_ < sizeof(want) / sizeof((want)[0]); i_++) \
			want_in(got, (want)[i_], name); \
	} while (0)

static void want_not_in(const char *got, const char *bad, const char *name)
{
	if (strstr(got, bad) != NULL)
		fail_msg("%s: %s must not be in\n%s", name, bad, got);
}

static const char *const refused[] = {
	F("id", "01HREF"), F("ts", "1700000000123"), F("host", "mx1.corp.example"),
	F("queue_id", "4AbC12"), F("message_id", "<m1@example.net>"), F("direction", "outbound"),
	F("sender", "<support@corp.example>"), F("from", "Customer@Example.NET"),
	F("recipient", "<consultant@fti.example>"), F("mailbox", "support@corp.example"),
	F("destination", "external"), F("target", "consultant@fti.example"),
	F("signals", "delivered-to,exchange-rule"), F("rule", "forwarded-copy"),
	F("action", "reject"), F("mode", "enforce"), F("reason", "forwarded copy"), NULL
};

static void test_ecs_maps_the_fields(void **state)
{
	(void)state;
	char *j = encode(ecs_print, refused);
	static const char *const want[] = {
		"{\"@timestamp\":\"2023-11-14T22:13:20.123Z\"",
		"\"ecs\":{\"version\":\"8.",
		"\"event\":{\"kind\":\"event\",\"category\":[\"email\"],\"type\":[\"info\",\"denied\"]",
		"\"action\":\"reject\",\"outcome\":\"failure\",\"id\":\"01HREF\"",
		"\"severity\":8",
		"\"email\":{\"from\":{\"address\":[\"Customer@Example.NET\"]}",
		"\"to\":{\"address\":[\"consultant@fti.example\"]}",
		"\"message_id\":\"m1@example.net\",\"direction\":\"outbound\"",
		"\"rule\":{\"name\":\"forwarded-copy\"}",
		"\"observer\":{\"hostname\":\"mx1.corp.example\",\"vendor\":\"fwdguard\","
		    "\"product\":\"fwdguard\"",
		"\"related\":{\"user\":[\"support@corp.example\",\"Customer@Example.NET\","
		    "\"consultant@fti.example\"],\"hosts\":[\"mx1.corp.example\",\"fti.example\"]}",
		"\"fwdguard\":{\"stream_id\":\"1700000000123-0\",\"id\":\"01HREF\"",
		"\"signals\":[\"delivered-to\",\"exchange-rule\"]",
		"\"recipient\":\"<consultant@fti.example>\"",
		"}}\n",
	};
	want_all(j, want, "ecs");
	assert_int_equal(strchr(j, '\n') - j + 1, (long)strlen(j));	/* one line */
	free(j);
}

struct outcome_case {
	const char *name, *action, *mode, *signals;
	const char *outcome;	/* ECS event.outcome */
	int severity;
};

static const struct outcome_case outcome_cases[] = {
	{ "reject enforced", "reject", "enforce", "delivered-to", "failure", 8 },
	{ "reject in monitor mode got out", "reject", "monitor", "delivered-to", "success", 9 },
	{ "quarantine", "quarantine", "enforce", "orcpt", "failure", 7 },
	{ "strip", "strip", "enforce", "orcpt", "failure", 6 },
	{ "tempfail", "tempfail", "enforce", "", "failure", 5 },
	{ "flag", "flag", "enforce", "resent", "success", 5 },
	{ "plain accept", "accept", "enforce", "", "success", 1 },
	{ "accept with signals", "accept", "enforce", "orcpt", "success", 3 },
	{ "leak evidence", "flag", "enforce", "leak-backscatter", "success", 10 },
	{ "leak name as a prefix only", "accept", "enforce", "leak-probes", "success", 3 },
	{ "unknown action", "bounce", "enforce", "", "unknown", 5 },
	{ "no action", "", "enforce", "", "unknown", 5 },
};

static void test_outcome_and_severity(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(outcome_cases) / sizeof(outcome_cases[0]); i++) {
		const struct outcome_case *c = &outcome_cases[i];
		const char *kv[] = { F("action", c->action), F("mode", c->mode),
		    F("signals", c->signals), NULL };
		char want[64];
		char *j = encode(ecs_print, kv), *s = encode(cef_print, kv);
		snprintf(want, sizeof(want), "\"outcome\":\"%s\"", c->outcome);
		want_in(j, want, c->name);
		snprintf(want, sizeof(want), "\"severity\":%d", c->severity);
		want_in(j, want, c->name);
		snprintf(want, sizeof(want), "|%d|", c->severity);
		want_in(s, want, c->name);
		free(j);
		free(s);
	}
}

struct escape_case {
	const char *name, *value;
	const char *ecs;	/* substring of the ECS line */
	const char *cef;	/* substring of the CEF extension (msg=...) */
};

static const struct escape_case escape_cases[] = {
	{ "plain", "forwarded copy", "\"forwarded copy\"", "msg=forwarded copy" },
	{ "pipe passes in extensions", "a|b", "\"a|b\"", "msg=a|b " },
	{ "equals sign", "a=b", "\"a=b\"", "msg=a\\=b " },
	{ "backslash", "a\\b", "\"a\\\\b\"", "msg=a\\\\b " },
	{ "newline and CR", "a\nb\rc", "\"a\\nb\\rc\"", "msg=a\\nb\\rc " },
	{ "quote", "a\"b", "\"a\\\"b\"", "msg=a\"b " },
	{ "ESC", "a\x1b[2Jb", "\"a\\u001b[2Jb\"", "msg=a?[2Jb " },
	{ "tab", "a\tb", "\"a\\tb\"", "msg=a?b " },
	{ "C1 CSI as UTF-8", "a\xc2\x9b" "2J", "\"a\\u009b2J\"", "msg=a?2J " },
	{ "raw 8-bit CSI", "a\x9b" "2J", "\"a\\u009b2J\"", "msg=a?2J " },
	{ "right-to-left override", "a\xe2\x80\xae" "b", "\"a\\u202eb\"", "msg=a?b " },
	{ "UTF-8 letters pass", "j\xc3\xa9r\xc3\xb4me", "\"j\xc3\xa9r\xc3\xb4me\"",
	  "msg=j\xc3\xa9r\xc3\xb4me " },
	{ "truncated UTF-8", "ab\xe2\x80", "\"ab\\u00e2\\u0080\"", "msg=ab?? " },
};

static void test_values_are_escaped(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		const struct escape_case *c = &escape_cases[i];
		const char *kv[] = { F("reason", c->value), F("id", "x1"), NULL };
		char *j = encode(ecs_print, kv), *s = encode(cef_print, kv);
		want_in(j, c->ecs, c->name);
		want_in(s, c->cef, c->name);
		/* Nothing but the final newline ends a line, in either format. */
		assert_int_equal(strchr(j, '\n') - j + 1, (long)strlen(j));
		assert_int_equal(strchr(s, '\n') - s + 1, (long)strlen(s));
		free(j);
		free(s);
	}
}

/* The header has exactly seven unescaped pipes, whatever the rule's name. */
static void test_cef_header_escaping(void **state)
{
	(void)state;
	const char *kv[] = { F("rule", "a|b\\c"), F("action", "re=ject|x"), NULL };
	char *s = encode(cef_print, kv);
	int pipes = 0;
	want_in(s, "CEF:0|fwdguard|fwdguard|", "header");
	want_in(s, "|a\\|b\\\\c|mail re=ject\\|x|5|rt=", "header escaping");
	/* The extension starts at rt=; a pipe there needs no escape. */
	for (const char *p = s; p < strstr(s, "|rt=") + 1; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '|')
			pipes++;
	}
	assert_int_equal(pipes, 7);
	free(s);
}

static void test_cef_maps_the_fields(void **state)
{
	(void)state;
	char *s = encode(cef_print, refused);
	static const char *const want[] = {
		"|forwarded-copy|mail reject|8|rt=1700000000123 act=reject",
		" suser=support@corp.example duser=consultant@fti.example dhost=fti.example",
		" msg=forwarded copy externalId=01HREF dvchost=mx1.corp.example cat=external",
		" deviceDirection=1 cs1=delivered-to,exchange-rule cs1Label=signals",
		" cs2=support@corp.example cs2Label=mailbox cs3=consultant@fti.example cs3Label=target",
		" cs4=enforce cs4Label=mode cs5=<m1@example.net> cs5Label=messageId",
		" cs6=Customer@Example.NET cs6Label=headerFrom flexString1=4AbC12 flexString1Label=queueId\n",
	};
	want_all(s, want, "cef");
	free(s);
}

/* Empty and absent fields are left out, not written as empty keys. */
static void test_empty_fields(void **state)
{
	(void)state;
	const char *kv[] = { F("sender", "<>"), F("recipient", ""), F("signals", ""),
	    F("message_id", ""), F("action", "accept"), NULL };
	char *j = encode(ecs_print, kv), *s = encode(cef_print, kv);
	want_not_in(j, "\"from\":{", "ecs null sender");
	want_not_in(j, "\"to\":{", "ecs empty recipient");
	want_in(j, "\"email\":{}", "ecs empty email");
	want_in(j, "\"related\":{\"user\":[],\"hosts\":[]}", "ecs empty related");
	want_in(j, "\"signals\":[]", "ecs empty signals");
	want_in(j, "\"rule\":{}", "ecs no rule");
	want_in(s, "|none|mail accept|1|rt=1700000000123 act=accept\n", "cef");
	want_not_in(s, "suser=", "cef null sender");
	want_not_in(s, "duser=", "cef empty recipient");
	free(j);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecs_maps_the_fields),
		cmocka_unit_test(test_outcome_and_severity),
		cmocka_unit_test(test_values_are_escaped),
		cmocka_unit_test(test_cef_header_escaping),
		cmocka_unit_test(test_cef_maps_the_fields),
		cmocka_unit_test(test_empty_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
