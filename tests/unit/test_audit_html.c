/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_audit_html.c - the HTML report of fwdguard-audit: every value from
 * the trail is text in the page (hostile addresses are the norm there),
 * bars are scaled so that the tallest fills the chart and a single
 * decision still shows, and the page says what the trail holds.
 */
#include <limits.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit_html.h"
#include "audit_svg.h"

/* What fn printed into a string (caller frees). */
#define CAPTURE(buf, call) do { \
		size_t len_ = 0; \
		FILE *out = open_memstream(&(buf), &len_); \
		assert_non_null(out); \
		call; \
		fclose(out); \
	} while (0)

static void test_text_is_escaped(void **state)
{
	static const struct { const char *name, *in, *want; } cases[] = {
		{ "script element", "<script>alert(1)</script>",
		    "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "attribute break-out", "\"><img src=x onerror=alert(2)>",
		    "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" },
		{ "single quote and ampersand", "o'brien&co@x.example", "o&#39;brien&amp;co@x.example" },
		{ "an entity stays text", "&lt;", "&amp;lt;" },
		{ "escape byte (terminal)", "a\x1b[2Jb", "a&#xFFFD;[2Jb" },
		{ "newline and tab", "a\nb\tc", "a&#xFFFD;b&#xFFFD;c" },
		{ "bidi override", "abc\xe2\x80\xaetxt.exe", "abc&#xFFFD;txt.exe" },
		{ "not UTF-8", "a\xff\xfe" "b", "a&#xFFFD;&#xFFFD;b" },
		{ "UTF-8 passes", "jos\xc3\xa9@b\xc3\xbc" "cher.example",
		    "jos\xc3\xa9@b\xc3\xbc" "cher.example" },
		{ "empty", "", "-" },
		{ "absent", NULL, "-" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = NULL;
		CAPTURE(got, svg_text(out, cases[i].in));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, got, cases[i].want);
		free(got);
	}
}

static void test_bar_scaling(void **state)
{
	static const struct { const char *name; long v, max; int px, want; } cases[] = {
		{ "nothing", 0, 10, 100, 0 },
		{ "negative", -5, 10, 100, 0 },
		{ "empty chart", 1, 0, 100, 0 },
		{ "one among a million still shows", 1, 1000000, 100, 1 },
		{ "half", 5, 10, 100, 50 },
		{ "rounded down", 3, 9, 100, 33 },
		{ "rounded up", 2, 3, 100, 67 },
		{ "the tallest fills", 10, 10, 100, 100 },
		{ "above max is capped", 11, 10, 100, 100 },
		{ "no overflow", LONG_MAX - 1, LONG_MAX, 200, 200 },
		{ "no overflow, half", LONG_MAX / 2, LONG_MAX, 200, 100 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = svg_scale(cases[i].v, cases[i].max, cases[i].px);
		if (got != cases[i].want)
			fail_msg("%s: svg_scale(%ld, %ld, %d) = %d, want %d", cases[i].name, cases[i].v,
			    cases[i].max, cases[i].px, got, cases[i].want);
	}
	static const long nice[][2] = {
		{ 0, 1 }, { 1, 1 }, { 2, 2 }, { 3, 5 }, { 7, 10 }, { 10, 10 }, { 11, 20 },
		{ 101, 200 }, { 499, 500 }, { 501, 1000 }, { LONG_MAX, LONG_MAX },
	};
	for (size_t i = 0; i < sizeof(nice) / sizeof(nice[0]); i++)
		if (svg_nice_max(nice[i][0]) != nice[i][1])
			fail_msg("svg_nice_max(%ld) = %ld, want %ld", nice[i][0],
			    svg_nice_max(nice[i][0]), nice[i][1]);
}

/* Sum of the height="N" of the rects inside the <g> whose data-day is day. */
static int column_height(const char *svg, const char *day)
{
	char key[64];
	snprintf(key, sizeof(key), "data-day=\"%s\"", day);
	const char *g = strstr(svg, key), *end = g != NULL ? strstr(g, "</g>") : NULL;
	int sum = 0;
	assert_non_null(end);
	for (const char *p = g; (p = strstr(p, "height=\"")) != NULL && p < end; p++)
		sum += atoi(p + 8);
	return sum;
}

static void test_stacked_bars(void **state)
{
	static const char *const days[] = { "d1", "d2", "d3" };
	static const char *const series[] = { "reject", "<b>" };
	static const char *const colors[] = { "#b91c1c", "\"red" };
	/* value[s * ncols + c]: the tallest column is 300 + 700 (max 1000). */
	static const long value[] = { 300, 1, 0, 700, 0, 0 };
	struct svg_stack st = { .ncols = 3, .nseries = 2, .col_label = days, .series = series,
	    .color = colors, .value = value };
	char *svg = NULL;
	(void)state;
	CAPTURE(svg, svg_stacked_bars(out, &st));
	assert_non_null(strstr(svg, "data-max=\"1000\""));
	assert_int_equal(column_height(svg, "d1"), 210);	/* the whole plot */
	assert_int_equal(column_height(svg, "d2"), 1);		/* 1 of 1000 still shows */
	assert_int_equal(column_height(svg, "d3"), 0);
	assert_non_null(strstr(svg, "data-day=\"d1\" data-total=\"1000\""));
	assert_non_null(strstr(svg, "data-action=\"&lt;b&gt;\" data-count=\"700\""));
	assert_null(strstr(svg, "<b>"));
	assert_null(strstr(svg, "\"red"));
	free(svg);
}

/* ---- a whole page from a fake trail ---------------------------------------- */

#define DAY	86400000LL
#define T0	(20000 * DAY)		/* 2024-10-04 */

struct fake { long long ms; const char *mailbox, *rcpt, *target, *signals, *action, *mode; };
static const struct fake trail[] = {
	{ T0 + 1000, "support@corp.example", "c@fti.example", "fti.example", "delivered-to",
	    "reject", "monitor" },
	{ T0 + DAY + 5, "support@corp.example", "c@fti.example", "fti.example", "delivered-to",
	    "reject", "enforce" },
	{ T0 + DAY + 6, "support@corp.example", "jane@example.net", "example.net", "", "accept",
	    "enforce" },
	{ T0 + 2 * DAY, "\"><script>alert(1)</script>@corp.example", "x@evil.example",
	    "<img src=x onerror=alert(2)>.example", "orcpt", "reject", "enforce" },
	{ T0 + 2 * DAY + 9, "support@corp.example", "probe@corp.example", "fti.example",
	    "leak-probe", "accept", "enforce" },
};

static int fake_window(void *ctx, long long since, long long until, struct view_report *rep)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(trail) / sizeof(trail[0]); i++) {
		const struct fake *f = &trail[i];
		char ts[24];
		if ((since >= 0 && f->ms < since) || (until >= 0 && f->ms > until))
			continue;
		snprintf(ts, sizeof(ts), "%lld", f->ms);
		struct view_entry e = { .stream_id = "1-0", .n = 8,
		    .field = { "ts", "mailbox", "recipient", "target", "signals", "action", "mode",
			"destination" },
		    .value = { ts, f->mailbox, f->rcpt, f->target, f->signals, f->action, f->mode,
			"external" } };
		assert_int_equal(view_report_add(rep, &e), 0);
	}
	return 0;
}

static void test_page(void **state)
{
	char *mailboxes[] = { "support@corp.example" };
	struct policy_allow allow[] = {
		{ .destination = "vendor.example", .mailboxes = mailboxes, .nmailboxes = 1,
		    .reason = "DPA <17>", .owner = "dpo@corp.example", .expires = "2024-10-20",
		    .expires_at = (T0 + 16 * DAY) / 1000 },
		{ .destination = "old.example", .reason = "ended", .owner = "x@corp.example",
		    .expires = "2024-10-01", .expires_at = (T0 - 3 * DAY) / 1000 },
	};
	struct policy pol = { .allow = allow, .nallow = 2 };
	struct html_params p = { .since_ms = T0 + DAY, .until_ms = -1, .policy = &pol,
	    .now = (T0 + 3 * DAY) / 1000, .window = fake_window };
	/* The window holds 4 decisions: a copy to fti.example (not new: it
	 * was seen the day before), the hostile copy (new), a reply, a leak. */
	static const struct { const char *name, *text; bool present; } want[] = {
		{ "no script element", "<script", false },
		{ "no img element", "<img", false },
		{ "the hostile mailbox as text",
		    "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@corp.example", true },
		{ "scripts and fetches forbidden", "Content-Security-Policy", true },
		{ "a print style sheet", "@media print", true },
		{ "decisions in the window", "data-decisions=\"4\"", true },
		{ "copies", "data-kind=\"copy\" data-count=\"2\"", true },
		{ "the reply is the mailbox's own mail", "data-kind=\"sent\" data-count=\"1\"", true },
		{ "leak evidence", "data-kind=\"leak\" data-count=\"1\"", true },
		{ "fti.example was seen before the window",
		    "data-destination=\"fti.example\" data-count=\"1\" data-new=\"0\"", true },
		{ "first day's bar", "data-day=\"2024-10-05\" data-total=\"2\"", true },
		{ "second day's bar", "data-day=\"2024-10-06\" data-total=\"2\"", true },
		{ "no bar before --since", "data-day=\"2024-10-04\"", false },
		{ "the leak on the timeline", "<circle class=\"leak\"", true },
		{ "the exception's reason, escaped", "DPA &lt;17&gt;", true },
		{ "its owner", "dpo@corp.example", true },
		{ "its expiry", "2024-10-20 (13 days left)", true },
		{ "an expired exception is not listed", "old.example", false },
		{ "but counted", "1 expired exception no longer apply", true },
	};
	char *page = NULL;
	int rv;
	(void)state;
	CAPTURE(page, rv = html_report(out, &p));
	assert_int_equal(rv, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if ((strstr(page, want[i].text) != NULL) != want[i].present)
			fail_msg("%s: \"%s\" %s the page", want[i].name, want[i].text,
			    want[i].present ? "missing from" : "found in");
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_is_escaped),
		cmocka_unit_test(test_bar_scaling),
		cmocka_unit_test(test_stacked_bars),
		cmocka_unit_test(test_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
