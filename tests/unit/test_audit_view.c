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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_are_safe_for_a_terminal),
		cmocka_unit_test(test_table_pads_by_characters_not_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
