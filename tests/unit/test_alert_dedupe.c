/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_alert_dedupe.c - grouping of alert batches by (mailbox, target,
 * rule), the dedupe decision, group keys and header/body cleaning
 * (milter/audit-tool/alerts/alert_dedupe.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_dedupe.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define GROUPS_MAX	4

/* A batch is described by a pattern: item i is spec[i % nspec], ts = 1000 + i. */
struct batch_case {
	const char *name;
	struct dedupe_item spec[3];
	size_t nspec;
	size_t nitems;
	size_t want_groups;
	size_t want_sizes[GROUPS_MAX];
};

static const struct batch_case batch_cases[] = {
	{ "fifty same-key alerts make one group of fifty",
	    { { "support@corp.example", "fti.example", "forwarded-copy", 0 } }, 1, 50,
	    1, { 50 } },
	{ "three keys interleaved make three groups",
	    { { "support@corp.example", "fti.example", "forwarded-copy", 0 },
	      { "hr@corp.example", "fti.example", "forwarded-copy", 0 },
	      { "support@corp.example", "fti.example", "leak-backscatter", 0 } }, 3, 9,
	    3, { 3, 3, 3 } },
	{ "mailbox and target compare case-insensitively",
	    { { "Support@Corp.Example", "FTI.example", "forwarded-copy", 0 },
	      { "support@corp.example", "fti.example", "forwarded-copy", 0 } }, 2, 4,
	    1, { 4 } },
	{ "rule names compare exactly",
	    { { "support@corp.example", "fti.example", "Forwarded-copy", 0 },
	      { "support@corp.example", "fti.example", "forwarded-copy", 0 } }, 2, 2,
	    2, { 1, 1 } },
	{ "missing fields group together, apart from present ones",
	    { { NULL, NULL, NULL, 0 }, { "", "", "", 0 },
	      { "support@corp.example", NULL, NULL, 0 } }, 3, 3,
	    2, { 2, 1 } },
	{ "an empty batch has no group", { { 0 } }, 1, 0, 0, { 0 } },
};

static void test_batch_grouping(void **state)
{
	(void)state;
	for (size_t c = 0; c < NCASES(batch_cases); c++) {
		const struct batch_case *tc = &batch_cases[c];
		struct dedupe_batch *b = dedupe_batch_new();
		assert_non_null(b);
		for (size_t i = 0; i < tc->nitems; i++) {
			struct dedupe_item it = tc->spec[i % tc->nspec];
			it.ts_ms = 1000 + (long long)i;
			assert_int_equal(dedupe_batch_add(b, i, &it), 0);
		}
		size_t got = dedupe_batch_count(b);
		if (got != tc->want_groups)
			fail_msg("%s: got %zu groups, want %zu", tc->name, got, tc->want_groups);
		for (size_t g = 0; g < got; g++) {
			const struct dedupe_group *gr = dedupe_batch_group(b, g);
			if (gr->n != tc->want_sizes[g])
				fail_msg("%s: group %zu has %zu members, want %zu", tc->name, g,
				    gr->n, tc->want_sizes[g]);
			if (gr->first_ms != 1000 + (long long)gr->members[0])
				fail_msg("%s: group %zu first_ms %lld, want its first member's",
				    tc->name, g, gr->first_ms);
			if (gr->last_ms != 1000 + (long long)gr->members[gr->n - 1])
				fail_msg("%s: group %zu last_ms %lld, want its last member's",
				    tc->name, g, gr->last_ms);
		}
		assert_null(dedupe_batch_group(b, got));
		dedupe_batch_free(b);
	}
	dedupe_batch_free(NULL);
}

static void test_members_keep_batch_order(void **state)
{
	static const struct dedupe_item a = { "a@corp.example", "x.example", "r", 5 };
	static const struct dedupe_item b = { "b@corp.example", "x.example", "r", 3 };
	static const size_t order[] = { 0, 1, 0, 0, 1 };
	static const size_t want_a[] = { 0, 2, 3 }, want_b[] = { 1, 4 };
	(void)state;
	struct dedupe_batch *bt = dedupe_batch_new();
	for (size_t i = 0; i < NCASES(order); i++)
		assert_int_equal(dedupe_batch_add(bt, i, order[i] == 0 ? &a : &b), 0);
	const struct dedupe_group *ga = dedupe_batch_group(bt, 0), *gb = dedupe_batch_group(bt, 1);
	assert_int_equal(ga->n, NCASES(want_a));
	assert_int_equal(gb->n, NCASES(want_b));
	for (size_t i = 0; i < ga->n; i++)
		assert_int_equal(ga->members[i], want_a[i]);
	for (size_t i = 0; i < gb->n; i++)
		assert_int_equal(gb->members[i], want_b[i]);
	dedupe_batch_free(bt);
}

static void test_decide(void **state)
{
	static const struct {
		const char *name;
		bool window_open;
		long pending;
		size_t nnew;
		enum dedupe_verdict want;
	} cases[] = {
		{ "window closed, new alerts: mailed", false, 0, 50, DEDUPE_MAIL },
		{ "window closed, new alerts and pending: mailed together", false, 7, 1, DEDUPE_MAIL },
		{ "window open, new alerts: counted, not mailed", true, 0, 50, DEDUPE_COUNT },
		{ "window open, new alerts and pending: counted", true, 3, 2, DEDUPE_COUNT },
		{ "window closed with pending only: flushed", false, 12, 0, DEDUPE_FLUSH },
		{ "window open with pending only: waits", true, 12, 0, DEDUPE_NOTHING },
		{ "nothing new, nothing pending: nothing", false, 0, 0, DEDUPE_NOTHING },
		{ "negative pending (corrupt counter): nothing", false, -3, 0, DEDUPE_NOTHING },
	};
	(void)state;
	for (size_t i = 0; i < NCASES(cases); i++) {
		enum dedupe_verdict got = dedupe_decide(cases[i].window_open, cases[i].pending,
		    cases[i].nnew);
		if (got != cases[i].want)
			fail_msg("%s: got verdict %d, want %d", cases[i].name, got, cases[i].want);
	}
}

static void test_key(void **state)
{
	static const struct {
		const char *name, *mailbox, *target, *rule, *want;
	} cases[] = {
		{ "plain triple", "support@corp.example", "fti.example", "forwarded-copy",
		    "support@corp.example|fti.example|forwarded-copy" },
		{ "mailbox and target folded, rule kept", "Support@CORP.example", "FTI.Example",
		    "Rule-A", "support@corp.example|fti.example|Rule-A" },
		{ "separator in a value is escaped", "a|b@corp.example", "x.example", "r",
		    "a%7Cb@corp.example|x.example|r" },
		{ "CR LF and space escaped", "a\r\nb c@x", "t", "r", "a%0D%0Ab%20c@x|t|r" },
		{ "percent escaped", "a%b@x", "t", "r", "a%25b@x|t|r" },
		{ "non-ASCII escaped", "j\xc3\xa9@x", "t", "r", "j%C3%A9@x|t|r" },
		{ "missing values are -", NULL, "", NULL, "-|-|-" },
	};
	(void)state;
	for (size_t i = 0; i < NCASES(cases); i++) {
		char *got = dedupe_key(cases[i].mailbox, cases[i].target, cases[i].rule);
		assert_non_null(got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, got, cases[i].want);
		free(got);
	}
}

static void test_clean(void **state)
{
	static const struct {
		const char *name, *in;
		bool header;
		size_t size;
		const char *want;
	} cases[] = {
		{ "plain text kept", "support@corp.example", true, 64, "support@corp.example" },
		{ "CRLF cannot start a header", "x\r\nBcc: evil@x", true, 64, "x??Bcc: evil@x" },
		{ "LF cannot start a body line", "a\n.\nb", false, 64, "a?.?b" },
		{ "TAB and DEL replaced", "a\tb\x7f", false, 64, "a?b?" },
		{ "UTF-8 kept in the body", "j\xc3\xa9", false, 64, "j\xc3\xa9" },
		{ "UTF-8 replaced in a header", "j\xc3\xa9", true, 64, "j??" },
		{ "NULL shown as -", NULL, true, 64, "-" },
		{ "cut to the buffer", "abcdef", false, 4, "abc" },
	};
	(void)state;
	for (size_t i = 0; i < NCASES(cases); i++) {
		char got[64];
		dedupe_clean(got, cases[i].size, cases[i].in, cases[i].header);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_grouping),
		cmocka_unit_test(test_members_keep_batch_order),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
