/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_record.c - audit record encoding: round trips with hostile bytes,
 * cut of overlong values, and refusal of lines the encoder never writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"

struct roundtrip_case {
	const char *name;
	const char *value;
};

static const struct roundtrip_case roundtrip_cases[] = {
	{ "empty value", "" },
	{ "plain address", "support@corp.example" },
	{ "tab inside", "a\tb" },
	{ "percent and escapes", "100% %41 %zz %" },
	{ "equals signs", "a=b==c=" },
	{ "newline and carriage return", "line1\r\nline2\n" },
	{ "control bytes", "\x01\x02\x1b[31m\x7f" },
	{ "8-bit latin1 and utf-8", "caf\xe9 \xc3\xa9t\xc3\xa9 \xff\xfe" },
	{ "looks like a field separator", "x\tkind=alert\tid=forged" },
};

static void test_roundtrip_hostile_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(roundtrip_cases) / sizeof(roundtrip_cases[0]); i++) {
		const struct roundtrip_case *c = &roundtrip_cases[i];
		struct record *r = record_new("decision");
		assert_non_null(r);
		assert_int_equal(record_set(r, "id", "01TESTID"), 0);
		assert_int_equal(record_set(r, "value", c->value), 0);

		size_t len;
		char *line = record_encode(r, &len);
		assert_non_null(line);
		if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL ||
		    strlen(line) != len)
			fail_msg("%s: encoded line is not one NUL-free line of %zu bytes", c->name, len);

		struct record *back = record_decode(line, len - 1);
		if (back == NULL)
			fail_msg("%s: decode of own encoding refused: %s", c->name, line);
		const char *got = record_get(back, "value");
		if (got == NULL || strcmp(got, c->value) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, got ? got : "(null)", c->value);
		if (strcmp(record_get(back, "kind"), "decision") != 0 ||
		    strcmp(record_get(back, "id"), "01TESTID") != 0)
			fail_msg("%s: kind/id lost in round trip", c->name);
		if (record_count(back) != 3)
			fail_msg("%s: got %zu fields, want 3", c->name, record_count(back));
		free(line);
		record_free(back);
		record_free(r);
	}
}

static void test_field_order_is_kept(void **state)
{
	(void)state;
	static const char *const names[] = { "kind", "id", "ts", "sender", "recipient" };
	struct record *r = record_new("alert");
	assert_non_null(r);
	for (size_t i = 1; i < 5; i++)
		assert_int_equal(record_set(r, names[i], names[i]), 0);
	assert_int_equal(record_set(r, "ts", "replaced"), 0);

	size_t len;
	char *line = record_encode(r, &len);
	struct record *back = record_decode(line, len - 1);
	assert_non_null(back);
	for (size_t i = 0; i < 5; i++) {
		const char *f, *v;
		record_field(back, i, &f, &v);
		if (strcmp(f, names[i]) != 0)
			fail_msg("field %zu: got %s, want %s", i, f, names[i]);
	}
	assert_string_equal(record_get(back, "ts"), "replaced");
	free(line);
	record_free(back);
	record_free(r);
}

static void test_overlong_value_is_cut_and_marked(void **state)
{
	(void)state;
	char *big = malloc(RECORD_VALUE_MAX * 3);
	assert_non_null(big);
	memset(big, 'x', RECORD_VALUE_MAX * 3 - 1);
	big[RECORD_VALUE_MAX * 3 - 1] = '\0';

	struct record *r = record_new("decision");
	assert_int_equal(record_set(r, "target", big), 0);
	const char *got = record_get(r, "target");
	size_t glen = strlen(got);
	if (glen != RECORD_VALUE_MAX || strcmp(got + glen - 3, "...") != 0)
		fail_msg("got length %zu ending \"%s\", want %d ending \"...\"", glen,
		    got + (glen > 3 ? glen - 3 : 0), RECORD_VALUE_MAX);

	/* A value exactly at the limit stays whole. */
	big[RECORD_VALUE_MAX] = '\0';
	assert_int_equal(record_set(r, "exact", big), 0);
	assert_string_equal(record_get(r, "exact"), big);
	free(big);
	record_free(r);
}

static void test_cut_keeps_utf8_characters_whole(void **state)
{
	(void)state;
	/* "é" (2 bytes) repeated: the cut must not leave half of one. */
	size_t n = RECORD_VALUE_MAX;
	char *big = malloc(2 * n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[2 * n] = '\0';
	struct record *r = record_new("decision");
	assert_int_equal(record_set(r, "from", big), 0);
	const char *got = record_get(r, "from");
	size_t glen = strlen(got);
	assert_true(glen <= RECORD_VALUE_MAX);
	if ((glen - 3) % 2 != 0)
		fail_msg("cut left %zu bytes of 2-byte characters", glen - 3);
	free(big);
	record_free(r);
}

static void test_bad_field_names_refused(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "a=b", "a\tb", "a b", "f\n", "caf\xc3\xa9" };
	struct record *r = record_new("decision");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (record_set(r, bad[i], "v") == 0)
			fail_msg("field name \"%s\": got accepted, want refused", bad[i]);
	assert_int_equal(record_set(r, NULL, "v"), -1);
	assert_int_equal(record_count(r), 1);
	record_free(r);
}

static void test_too_many_fields_refused(void **state)
{
	(void)state;
	struct record *r = record_new("decision");
	char name[16];
	for (int i = 1; i < RECORD_FIELDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(record_set(r, name, "v"), 0);
	}
	assert_int_equal(record_set(r, "one_more", "v"), -1);
	assert_int_equal(record_set(r, "f1", "replacing is fine"), 0);
	assert_int_equal(record_count(r), RECORD_FIELDS_MAX);
	record_free(r);
}

static void test_null_value_is_empty(void **state)
{
	(void)state;
	struct record *r = record_new(NULL);
	assert_non_null(r);
	assert_string_equal(record_get(r, "kind"), "");
	assert_int_equal(record_set(r, "rule", NULL), 0);
	assert_string_equal(record_get(r, "rule"), "");
	assert_null(record_get(r, "absent"));
	record_free(r);
	record_free(NULL);
}

struct bad_line_case {
	const char *name;
	const char *line;
	size_t len;	/* 0: strlen(line) */
};

static const struct bad_line_case bad_lines[] = {
	{ "empty line", "", 0 },
	{ "no kind field", "id=1\tts=2", 0 },
	{ "pair without equals", "kind=decision\tgarbage", 0 },
	{ "empty field name", "kind=decision\t=v", 0 },
	{ "trailing tab", "kind=decision\t", 0 },
	{ "duplicate field", "kind=decision\tid=1\tid=2", 0 },
	{ "truncated escape", "kind=decision\tid=%4", 0 },
	{ "non-hex escape", "kind=decision\tid=%G1", 0 },
	{ "escaped NUL", "kind=decision\tid=a%00b", 0 },
	{ "raw NUL byte", "kind=decision\tid=a\0b", 20 },
	{ "raw carriage return", "kind=decision\tid=a\rb", 0 },
	{ "raw equals in value", "kind=decision\tid=a=b", 0 },
	{ "raw newline", "kind=decision\nid=1", 0 },
	{ "8-bit field name", "k\xc3\xa9=v\tkind=decision", 0 },
};

static void test_bad_lines_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line_case *c = &bad_lines[i];
		size_t len = c->len != 0 ? c->len : strlen(c->line);
		struct record *r = record_decode(c->line, len);
		if (r != NULL) {
			record_free(r);
			fail_msg("%s: got a record, want refusal", c->name);
		}
	}
}

static void test_overlong_encoded_value_refused(void **state)
{
	(void)state;
	size_t n = RECORD_VALUE_MAX + 1;
	char *line = malloc(n + 32);
	assert_non_null(line);
	int k = snprintf(line, 32, "kind=decision\tid=");
	memset(line + k, 'a', n);
	struct record *r = record_decode(line, (size_t)k + n);
	assert_null(r);
	free(line);
}

static void test_decode_accepts_lowercase_hex(void **state)
{
	(void)state;
	const char *line = "kind=decision\tv=%3d%0a%25";
	struct record *r = record_decode(line, strlen(line));
	assert_non_null(r);
	assert_string_equal(record_get(r, "v"), "=\n%");
	record_free(r);
}

/*
 * Fields live in one buffer per record: replacing values (shorter, longer,
 * taken from the record itself) keeps every other field intact, and the
 * encoding says exactly what the fields say.
 */
static void test_replaced_values_keep_the_others(void **state)
{
	(void)state;
	char big[RECORD_VALUE_MAX + 1];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct record *r = record_new("decision");
	assert_non_null(r);
	assert_int_equal(record_set(r, "id", "abc"), 0);
	assert_int_equal(record_set(r, "mailbox", "support@corp.example"), 0);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(record_set(r, "note", i % 2 ? big : "short"), 0);
		assert_int_equal(record_set(r, "copy", record_get(r, "mailbox")), 0);
	}
	assert_int_equal(record_set(r, "id", record_get(r, "note")), 0);
	assert_int_equal(record_count(r), 5);
	assert_string_equal(record_get(r, "mailbox"), "support@corp.example");
	assert_string_equal(record_get(r, "copy"), "support@corp.example");
	assert_int_equal(strlen(record_get(r, "note")), RECORD_VALUE_MAX);
	assert_string_equal(record_get(r, "id"), record_get(r, "note"));

	size_t len, need = record_encoded_size(r);
	char *line = record_encode(r, &len);
	assert_non_null(line);
	assert_int_equal(len + 1, need);
	struct record *back = record_decode(line, len - 1);
	assert_non_null(back);
	for (size_t i = 0; i < record_count(r); i++) {
		const char *f1, *v1, *f2, *v2;
		record_field(r, i, &f1, &v1);
		record_field(back, i, &f2, &v2);
		assert_string_equal(f1, f2);
		assert_string_equal(v1, v2);
	}
	free(line);
	record_free(back);
	record_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_hostile_values),
		cmocka_unit_test(test_field_order_is_kept),
		cmocka_unit_test(test_overlong_value_is_cut_and_marked),
		cmocka_unit_test(test_cut_keeps_utf8_characters_whole),
		cmocka_unit_test(test_bad_field_names_refused),
		cmocka_unit_test(test_too_many_fields_refused),
		cmocka_unit_test(test_null_value_is_empty),
		cmocka_unit_test(test_bad_lines_refused),
		cmocka_unit_test(test_overlong_encoded_value_refused),
		cmocka_unit_test(test_decode_accepts_lowercase_hex),
		cmocka_unit_test(test_replaced_values_keep_the_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
