/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_audit_view.c - what fwdguard-audit prints for a person: values come
 * from Redis (anyone who can write there, or an attacker's address recorded
 * as a recipient) and must not drive the reader's terminal.  C0, DEL, C1
 * controls, bidi controls and bytes that are not UTF-8 become '?' in the
 * table and \u escapes in JSON; ordinary UTF-8 passes unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit_view.h"

/* One entry whose recipient is value, printed by fn into a string (caller frees). */
static char *print_with(const char *value, void (*fn)(FILE *, const struct view_entry *))
{
	struct view_entry e = { .stream_id = "1-0", .n = 3,
	    .field = { "ts", "recipient", "action" },
	    .value = { "1700000000000", value, "reject" } };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	fn(out, &e);
	fclose(out);
	return buf;
}

struct view_case {
	const char *name;
	const char *value;
	const char *want_line;	/* substring of the table line */
	const char *want_json;	/* substring of the JSON line */
};

static const struct view_case view_cases[] = {
	{ "plain ASCII", "jane@example.net", "jane@example.net", "\"jane@example.net\"" },
	{ "UTF-8 letters pass", "j\xc3\xa9r\xc3\xb4me@example.net", "j\xc3\xa9r\xc3\xb4me@",
	  "\"j\xc3\xa9r\xc3\xb4me@example.net\"" },
	{ "C0 escape", "a\x1b[2Jb@x.test", "a?[2Jb@x.test", "a\\u001b[2Jb@x.test" },
	{ "DEL", "a\x7f" "b@x.test", "a?b@x.test", "a\\u007fb@x.test" },
	{ "C1 CSI as UTF-8", "a\xc2\x9b" "2Jb@x.test", "a?2Jb@x.test", "a\\u009b2Jb@x.test" },
	{ "C1 OSC as UTF-8", "a\xc2\x9d" "0;t\xc2\x9c@x.test", "a?0;t?@x.test",
	  "a\\u009d0;t\\u009c@x.test" },
	{ "raw 8-bit CSI", "a\x9b" "2Jb@x.test", "a?2Jb@x.test", "a\\u009b2Jb@x.test" },
	{ "right-to-left override", "a\xe2\x80\xae" "b@x.test", "a?b@x.test",
	  "a\\u202eb@x.test" },
	{ "first strong isolate", "a\xe2\x81\xa8" "b@x.test", "a?b@x.test", "a\\u2068b@x.test" },
	{ "truncated UTF-8", "ab@x.test\xe2\x80", "ab@x.test??", "ab@x.test\\u00e2\\u0080" },
};

static void test_values_are_safe_for_a_terminal(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(view_cases) / sizeof(view_cases[0]); i++) {
		const struct view_case *c = &view_cases[i];
		char *line = print_with(c->value, view_print_line);
		char *json = print_with(c->value, view_print_json);

		if (strstr(line, c->want_line) == NULL)
			fail_msg("%s: table line %s, want it to hold %s", c->name, line, c->want_line);
		if (strstr(json, c->want_json) == NULL)
			fail_msg("%s: json %s, want it to hold %s", c->name, json, c->want_json);
		for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++)
			if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
				fail_msg("%s: control byte 0x%02x in the table line", c->name, *p);
		if (strstr(line, "\xc2\x9b") != NULL || strstr(line, "\xe2\x80\xae") != NULL)
			fail_msg("%s: a C1 or bidi control reached the table line", c->name);
		free(line);
		free(json);
	}
}

static void test_table_pads_by_characters_not_bytes(void **state)
{
	(void)state;
	struct view_table *t = view_table_new();
	struct view_entry e = { .stream_id = "1-0", .n = 1, .field = { "recipient" },
	    .value = { "\xc2\x9b\xc2\x9b@x.test" } };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(t);
	assert_int_equal(view_table_add(t, &e), 0);
	view_table_print(out, t);
	fclose(out);
	assert_non_null(strstr(buf, "??@x.test"));
	free(buf);
	view_table_free(t);
}

/*
 * Report records, in stream order: one mailbox, a destination spelled two
 * ways, a class that changes, more actions than a group names, a record
 * older than the one before it (replayed), control bytes in a value.
 */
static const char *const report_records[][6] = {
	/* ts, mailbox, target, action, destination, signals */
	{ "1000", "support@corp.example", "Evil.test", "reject", "external", "delivered-to" },
	{ "2000", "support@corp.example", "evil.TEST", "flag", "external", "orcpt,resent" },
	{ "1500", "support@corp.example", "evil.test", "a1", "allowed", "delivered-to" },
	{ "3000", "hr@corp.example", "vendor.example", "accept", "allowed", "" },
	{ "3000", "support@corp.example", "evil.test", "a2", "allowed", "delivered-to" },
	{ "3100", "support@corp.example", "evil.test", "a3", "external", "delivered-to" },
	{ "3200", "support@corp.example", "evil.test", "a4", "external", "delivered-to" },
	{ "3300", "support@corp.example", "evil.test", "a5", "external", "delivered-to" },
	{ "3400", "support@corp.example", "evil.test", "a6", "external", "delivered-to" },
	{ "3500", "support@corp.example", "evil.test", "a7", "external", "delivered-to" },
	{ "3600", "support@corp.example", "evil.test", "reject", "internal", "delivered-to" },
	{ "3700", "support@corp.example", "evil.test", "a8", "external", "delivered-to" },
	{ "3800", "h\x1b[2Jr@corp.example", "x\ty.example", "q\nr", "external", "" },
	{ "2500", "hr@corp.example", "vendor.example", "reject", "external", "" },
	{ "3900", "support@corp.example", "evil.test", "accept", "external", "leak-probe" },
	{ "4000", "support@corp.example", "evil.test", "accept", "external", "body-unexamined" },
};
#define NREPORT	(sizeof(report_records) / sizeof(report_records[0]))

static void report_add_range(struct view_report *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct view_entry e = { .stream_id = "1-0", .n = 6,
		    .field = { "ts", "mailbox", "target", "action", "destination", "signals" } };
		for (int f = 0; f < 6; f++)
			e.value[f] = report_records[i][f];
		assert_int_equal(view_report_add(r, &e), 0);
	}
}

/* What print (text or JSON) writes for r (caller frees). */
static char *report_out(struct view_report *r, void (*print)(FILE *, struct view_report *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	print(out, r);
	fclose(out);
	return buf;
}
#define report_text(r)	report_out((r), view_report_print)
#define report_json(r)	report_out((r), view_report_print_json)

/* Days kept as text and absorbed one after the other print what one pass
 * over their records prints, wherever the trail is cut into days. */
static void test_report_days_absorbed_equal_one_pass(void **state)
{
	(void)state;
	struct view_report *whole = view_report_new();
	report_add_range(whole, 0, NREPORT);
	char *want = report_text(whole);
	assert_non_null(strstr(want, "other:"));
	for (size_t cut = 0; cut <= NREPORT; cut++) {
		struct view_report *a = view_report_new(), *b = view_report_new();
		struct view_report *sum = view_report_new();
		report_add_range(a, 0, cut);
		report_add_range(b, cut, NREPORT);
		char *ta = view_report_encode(a), *tb = view_report_encode(b);
		struct view_report *da = view_report_decode(ta), *db = view_report_decode(tb);
		assert_non_null(da);
		assert_non_null(db);
		assert_int_equal(view_report_absorb(sum, da), 0);
		assert_int_equal(view_report_absorb(sum, db), 0);
		char *got = report_text(sum);
		if (strcmp(got, want) != 0)
			fail_msg("cut after %zu records:\n%s\nwant:\n%s", cut, got, want);
		free(got);
		free(ta);
		free(tb);
		view_report_free(a);
		view_report_free(b);
		view_report_free(da);
		view_report_free(db);
		view_report_free(sum);
	}
	free(want);
	view_report_free(whole);
}

static void test_report_decode_refuses_damage(void **state)
{
	static const char *const bad[] = {
		"",
		"fwdguard-report 3\n",
		/* Version 1 had no kind: a day kept by an older tool is read again. */
		"fwdguard-report 1\nm\td\tc\t2\t1\t5\t0\treject\t2\n",
		"fwdguard-report 2\nm\td\tcopy\tc\t1\t1\t1\t0",	/* cut: no newline */
		"fwdguard-report 2\nm\td\tcopy\tc\t1\t1\t1\n",	/* a field short */
		"fwdguard-report 2\nm\td\tcopy\tc\tx\t1\t1\t0\n",	/* count not a number */
		"fwdguard-report 2\nm\td\tcopy\tc\t0\t1\t1\t0\n",	/* empty group */
		"fwdguard-report 2\nm\td\tcopy\tc\t1\t1\t1\t0\treject\n",	/* action without count */
		"fwdguard-report 2\nm\td\tcopy\tc\t1\t1\t1\t0\nm\tD\tcopy\tc\t1\t1\t1\t0\n",	/* twice */
		"fwdguard-report 2\nm\td\tforward\tc\t1\t1\t1\t0\n",	/* unknown kind */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (view_report_decode(bad[i]) != NULL)
			fail_msg("case %zu decoded", i);
	/* One pair in two kinds is two groups. */
	struct view_report *ok = view_report_decode("fwdguard-report 2\n"
	    "m\td\tcopy\tc\t2\t1\t5\t0\treject\t2\nm\td\tsent\tc\t1\t1\t1\t0\n");
	assert_non_null(ok);
	assert_int_equal(view_report_size(ok), 2);
	view_report_free(ok);
}

/* The kind of a decision, from its signals and whom it concerns. */
static void test_report_kinds(void **state)
{
	static const struct {
		const char *name, *signals, *mailbox, *recipient, *mailbox_address;
		enum view_kind want;
	} cases[] = {
		{ "forward", "delivered-to,exchange-rule", "support@corp.example",
		    "c@fti.example", "", VIEW_KIND_COPY },
		{ "directory forward to the mailbox", "directory-forward", "support@corp.example",
		    "support@corp.example", "support@corp.example", VIEW_KIND_COPY },
		{ "leak beats forward signals", "received-for,leak-backscatter",
		    "support@corp.example", "colleague@corp.example", "", VIEW_KIND_LEAK },
		{ "probe answer", "leak-probe", "support@corp.example", "probe@corp.example", "",
		    VIEW_KIND_LEAK },
		{ "reply to a customer", "", "support@corp.example", "<jane@example.net>", "",
		    VIEW_KIND_SENT },
		{ "encrypted reply", "body-unexamined", "support@corp.example", "jane@example.net",
		    "", VIEW_KIND_SENT },
		{ "customer writes in", "", "support@corp.example", "<Support@Corp.Example>", "",
		    VIEW_KIND_RECEIVED },
		{ "by an alias", "", "support@corp.example", "help+x@corp.example",
		    "help+x@corp.example", VIEW_KIND_RECEIVED },
		{ "no mailbox", "", "", "a@b.example", "", VIEW_KIND_OTHER },
		{ "signals cut short", "leak-probeX,", "support@corp.example", "x@y.example", "",
		    VIEW_KIND_COPY },
	};
	/* fwdguard-audit watch: a forward set in the directory, whatever else the record says. */
	struct view_entry dir = { .stream_id = "1-0", .n = 4,
	    .field = { "rule", "mailbox", "target", "signals" },
	    .value = { "directory-change", "support@corp.example", "exfil@evil.test", "" } };
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct view_entry e = { .stream_id = "1-0", .n = 4,
		    .field = { "signals", "mailbox", "recipient", "mailbox_address" },
		    .value = { cases[i].signals, cases[i].mailbox, cases[i].recipient,
			cases[i].mailbox_address } };
		enum view_kind got = view_entry_kind(&e);
		if (got != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name, view_kind_name(got),
			    view_kind_name(cases[i].want));
	}
	assert_int_equal(view_entry_kind(&dir), VIEW_KIND_DIRECTORY);
	assert_string_equal(view_kind_name(VIEW_KIND_DIRECTORY), "directory");
}

static void add_one(struct view_report *r, const char *ts, const char *mailbox,
    const char *target, const char *signals)
{
	struct view_entry e = { .stream_id = "1-0", .n = 5,
	    .field = { "ts", "mailbox", "target", "action", "signals" },
	    .value = { ts, mailbox, target, "reject", signals } };
	assert_int_equal(view_report_add(r, &e), 0);
}

/* The line of text holding needle (owned); fails the test when none does. */
static char *line_with(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	if (at == NULL)
		fail_msg("no line with %s in:\n%s", needle, text);
	const char *start = at;
	while (start > text && start[-1] != '\n')
		start--;
	return strndup(start, strcspn(start, "\n"));
}

/* New: the mailbox and destination had no decision before, in any kind;
 * --domain keeps the destinations under it. */
static void test_report_new_and_domain(void **state)
{
	(void)state;
	struct view_report *before = view_report_new(), *r = view_report_new();
	add_one(before, "1000", "support@corp.example", "Old.example", "");
	add_one(r, "2000", "support@corp.example", "old.example", "delivered-to");
	add_one(r, "2000", "support@corp.example", "fresh.example", "delivered-to");
	add_one(r, "2000", "hr@corp.example", "old.example", "delivered-to");
	add_one(r, "2000", "support@corp.example", "sub.fresh.example", "");
	char *json = report_json(r);
	assert_non_null(strstr(json, "\"new\":null"));
	free(json);
	view_report_mark_new(r, before);
	json = report_json(r);
	assert_non_null(strstr(json, "\"kind\":\"copy\",\"mailbox\":\"support@corp.example\","
	    "\"destination\":\"old.example\",\"class\":\"-\",\"count\":1,"
	    "\"actions\":{\"reject\":1},\"first\":\"1970-01-01T00:00:02Z\""));
	assert_non_null(strstr(json, "\"destination\":\"old.example\",\"class\":\"-\",\"count\":1,"));
	char *line = line_with(json, "\"mailbox\":\"support@corp.example\",\"destination\":\"old");
	assert_non_null(strstr(line, "\"new\":false}"));
	free(line);
	line = line_with(json, "\"mailbox\":\"hr@corp.example\"");
	assert_non_null(strstr(line, "\"new\":true}"));
	free(line);
	free(json);
	view_report_keep_domain(r, "fresh.example");
	assert_int_equal(view_report_size(r), 2);
	char *text = report_text(r);
	assert_non_null(strstr(text, "COPIES OF RECEIVED MAIL"));
	assert_non_null(strstr(text, "SENT BY THE MAILBOX"));
	assert_null(strstr(text, "old.example"));
	assert_non_null(strstr(text, " NEW\n"));
	free(text);
	view_report_free(before);
	view_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_are_safe_for_a_terminal),
		cmocka_unit_test(test_table_pads_by_characters_not_bytes),
		cmocka_unit_test(test_report_days_absorbed_equal_one_pass),
		cmocka_unit_test(test_report_decode_refuses_damage),
		cmocka_unit_test(test_report_kinds),
		cmocka_unit_test(test_report_new_and_domain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
