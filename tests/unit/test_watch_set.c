/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_watch_set.c - the pure parts of fwdguard-audit watch
 * (milter/audit-tool/watch/watch_set.c): a forward set diffed against the baseline, the
 * text kept in Redis, and the internal/external/allowed classification
 * of a forward value.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "watch_set.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define ITEMS_MAX	6

/* "mailbox>target" pairs, NULL-terminated; every item external. */
struct diff_case {
	const char *name;
	const char *old[ITEMS_MAX];	/* old[0] == "-": no baseline yet */
	const char *cur[ITEMS_MAX];
	const char *want[2 * ITEMS_MAX];	/* "added mailbox>target", ... in call order */
};

static const struct diff_case diff_cases[] = {
	{ "no baseline: every forward is the baseline", { "-" },
	    { "support@corp.example>c@fti.example", "hr@corp.example>x@evil.test" },
	    { "baseline hr@corp.example>x@evil.test", "baseline support@corp.example>c@fti.example" } },
	{ "nothing changed: no call", { "support@corp.example>c@fti.example" },
	    { "support@corp.example>c@fti.example" }, { NULL } },
	{ "a forward gained is added", { "support@corp.example>c@fti.example" },
	    { "support@corp.example>c@fti.example", "support@corp.example>d@fti.example" },
	    { "added support@corp.example>d@fti.example" } },
	{ "a forward lost is removed", { "support@corp.example>c@fti.example",
	    "support@corp.example>d@fti.example" }, { "support@corp.example>d@fti.example" },
	    { "removed support@corp.example>c@fti.example" } },
	{ "additions come before removals", { "a@corp.example>x@evil.test" },
	    { "b@corp.example>x@evil.test" },
	    { "added b@corp.example>x@evil.test", "removed a@corp.example>x@evil.test" } },
	{ "a target whose case changed is the same forward", { "support@corp.example>C@FTI.example" },
	    { "support@corp.example>c@fti.example" }, { NULL } },
	{ "the same target of another mailbox is another forward",
	    { "support@corp.example>c@fti.example" },
	    { "support@corp.example>c@fti.example", "hr@corp.example>c@fti.example" },
	    { "added hr@corp.example>c@fti.example" } },
	{ "a pair twice in one scan counts once", { "-" },
	    { "support@corp.example>c@fti.example", "support@corp.example>c@fti.example" },
	    { "baseline support@corp.example>c@fti.example" } },
	{ "everything gone: all removed", { "a@corp.example>x@evil.test", "b@corp.example>y@evil.test" },
	    { NULL }, { "removed a@corp.example>x@evil.test", "removed b@corp.example>y@evil.test" } },
};

static struct watch_set *set_of(const char *const *pairs)
{
	struct watch_set *s = watch_set_new();
	assert_non_null(s);
	for (size_t i = 0; i < ITEMS_MAX && pairs[i] != NULL; i++) {
		char mb[128];
		const char *gt = strchr(pairs[i], '>');
		assert_non_null(gt);
		snprintf(mb, sizeof(mb), "%.*s", (int)(gt - pairs[i]), pairs[i]);
		struct watch_item it = { mb, gt + 1, "uid=x,dc=corp,dc=example", "mailForwardingAddress",
		    DEST_EXTERNAL };
		assert_int_equal(watch_set_add(s, &it), 0);
	}
	watch_set_seal(s);
	return s;
}

struct got {
	char lines[2 * ITEMS_MAX][256];
	size_t n;
};

static int record_call(void *ctx, const struct watch_item *it, enum watch_change ch)
{
	struct got *g = ctx;
	if (g->n >= 2 * ITEMS_MAX)
		return -1;
	snprintf(g->lines[g->n++], sizeof(g->lines[0]), "%s %s>%s", watch_change_name(ch),
	    it->mailbox, it->target);
	return 0;
}

static void test_diff(void **state)
{
	(void)state;
	for (size_t c = 0; c < NCASES(diff_cases); c++) {
		const struct diff_case *tc = &diff_cases[c];
		bool fresh = tc->old[0] != NULL && strcmp(tc->old[0], "-") == 0;
		struct watch_set *old = fresh ? NULL : set_of(tc->old), *cur = set_of(tc->cur);
		struct got g = { .n = 0 };
		size_t want = 0;
		while (want < 2 * ITEMS_MAX && tc->want[want] != NULL)
			want++;
		long n = watch_set_diff(old, cur, record_call, &g);
		if (n != (long)want || g.n != want)
			fail_msg("%s: got %ld calls, want %zu", tc->name, n, want);
		for (size_t i = 0; i < want; i++)
			if (strcmp(g.lines[i], tc->want[i]) != 0)
				fail_msg("%s: call %zu: got \"%s\", want \"%s\"", tc->name, i,
				    g.lines[i], tc->want[i]);
		watch_set_free(old);
		watch_set_free(cur);
	}
}

static int stop_at_first(void *ctx, const struct watch_item *it, enum watch_change ch)
{
	(void)it;
	(void)ch;
	(*(int *)ctx)++;
	return -1;
}

static void test_diff_stops_on_failure(void **state)
{
	(void)state;
	const char *pairs[] = { "a@corp.example>x@evil.test", "b@corp.example>y@evil.test", NULL };
	struct watch_set *cur = set_of(pairs);
	int calls = 0;
	assert_int_equal(watch_set_diff(NULL, cur, stop_at_first, &calls), -1);
	assert_int_equal(calls, 1);
	watch_set_free(cur);
}

static void test_text_round_trip(void **state)
{
	(void)state;
	struct watch_set *s = watch_set_new();
	struct watch_item a = { "support@corp.example", "odd\t100%\nvalue@evil.test",
	    "cn=Support\\, Team,dc=corp,dc=example", "mailForwardingAddress", DEST_EXTERNAL };
	struct watch_item b = { "hr@corp.example", "payroll@vendor.example", "uid=hr,dc=corp",
	    "mailRoutingAddress", DEST_ALLOWED };
	assert_int_equal(watch_set_add(s, &a), 0);
	assert_int_equal(watch_set_add(s, &b), 0);
	watch_set_seal(s);
	size_t len;
	char *text = watch_set_encode(s, 1796042766668LL, &len);
	assert_non_null(text);
	assert_int_equal(strncmp(text, WATCH_TEXT_MAGIC " 1796042766668\n", 31), 0);
	/* One line per item: the TAB and LF inside a value are escaped. */
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 3);
	long long base = 0;
	struct watch_set *back = watch_set_decode(text, len, &base);
	assert_non_null(back);
	assert_int_equal(base, 1796042766668LL);
	assert_int_equal(watch_set_count(back), 2);
	const struct watch_item *x = watch_set_item(back, 1);
	assert_string_equal(x->mailbox, "support@corp.example");
	assert_string_equal(x->target, a.target);
	assert_string_equal(x->entry, a.entry);
	assert_int_equal(watch_set_item(back, 0)->dest, DEST_ALLOWED);
	/* Nothing changed between the set and its text read back. */
	struct got g = { .n = 0 };
	assert_int_equal(watch_set_diff(back, s, record_call, &g), 0);
	free(text);
	watch_set_free(back);
	watch_set_free(s);
}

static const char *const bad_texts[] = {
	"",
	"fwdguard-watch 2 1\n",
	"fwdguard-watch 1 x\n",
	"fwdguard-watch 1 -5\n",
	"fwdguard-watch 1 5",
	"fwdguard-watch 1 5\na@b\tc@d\te\tf\n",
	"fwdguard-watch 1 5\na@b\tc@d\te\tf\texternal\textra\n",
	"fwdguard-watch 1 5\na@b\tc@d\te\tf\tinternal\n",
	"fwdguard-watch 1 5\na@b\tc@d\te\tf\tsomewhere\n",
	"fwdguard-watch 1 5\na@b\tc%0@d\te\tf\texternal\n",
	"fwdguard-watch 1 5\na@b\tc%00@d\te\tf\texternal\n",
	"fwdguard-watch 1 5\n\tc@d\te\tf\texternal\n",
	"fwdguard-watch 1 5\na@b\tc@d\te\tf\texternal",
};

static void test_text_refuses_damage(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(bad_texts); i++) {
		long long base;
		struct watch_set *s = watch_set_decode(bad_texts[i], strlen(bad_texts[i]), &base);
		if (s != NULL)
			fail_msg("text %zu was read as a set: \"%s\"", i, bad_texts[i]);
	}
	long long base;
	const char *empty = "fwdguard-watch 1 5\n";
	struct watch_set *s = watch_set_decode(empty, strlen(empty), &base);
	assert_non_null(s);
	assert_int_equal(watch_set_count(s), 0);
	watch_set_free(s);
}

static const char policy_yaml[] =
    "domains:\n  internal: [corp.example, \"*.corp.example\"]\n"
    "mailboxes:\n  protected: [support@corp.example, hr@corp.example]\n"
    "allow:\n"
    "  - destination: helpdesk-vendor.example\n"
    "    mailboxes: [support@corp.example]\n"
    "    reason: DPA-2024-17\n    owner: dpo@corp.example\n    expires: 2099-12-31\n"
    "  - destination: old-vendor.example\n"
    "    reason: ended\n    owner: dpo@corp.example\n    expires: 2020-01-31\n";

struct class_case {
	const char *name, *mailbox, *target;
	enum destination want;
};

static const struct class_case class_cases[] = {
	{ "a colleague is internal", "support@corp.example", "agent@corp.example", DEST_INTERNAL },
	{ "a subdomain of an internal suffix is internal", "support@corp.example",
	    "support@mail.corp.example", DEST_INTERNAL },
	{ "an outside firm is external", "support@corp.example", "consultant@fti.example",
	    DEST_EXTERNAL },
	{ "a look-alike domain is external", "support@corp.example", "x@evilcorp.example",
	    DEST_EXTERNAL },
	{ "a percent hack through an internal domain is external", "support@corp.example",
	    "x%evil.test@corp.example", DEST_EXTERNAL },
	{ "an allowed processor for that mailbox is allowed", "support@corp.example",
	    "desk@helpdesk-vendor.example", DEST_ALLOWED },
	{ "the same processor for another mailbox is external", "hr@corp.example",
	    "desk@helpdesk-vendor.example", DEST_EXTERNAL },
	{ "an expired exception allows nothing", "support@corp.example", "x@old-vendor.example",
	    DEST_EXTERNAL },
	{ "an unreadable value is external", "support@corp.example", "a@@(b", DEST_EXTERNAL },
	{ "a local name is internal", "support@corp.example", "agent", DEST_INTERNAL },
};

static void test_classify(void **state)
{
	(void)state;
	struct cfg *c = cfg_load_buffer("watch.yaml", policy_yaml, strlen(policy_yaml), NULL, NULL);
	assert_non_null(c);
	for (size_t i = 0; i < NCASES(class_cases); i++) {
		const struct class_case *tc = &class_cases[i];
		enum destination got = watch_classify(&c->policy, tc->mailbox, tc->target,
		    (time_t)1796042766);
		if (got != tc->want)
			fail_msg("%s: %s -> %s: got %s, want %s", tc->name, tc->mailbox, tc->target,
			    destination_name(got), destination_name(tc->want));
	}
	cfg_unref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_stops_on_failure),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_text_refuses_damage),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
