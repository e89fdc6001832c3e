/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_evidence_linear.c - reading a header takes time linear in its value,
 * whatever the value holds (policy/evidence.c, trace.c, address.c,
 * reply.c).
 *
 * Every header kind of the evidence table (evidence_header_name()) is fed
 * values built to make a reader that goes back, or searches again for a
 * closer it already missed, take quadratic time: openers with no closer,
 * runs of separators, half-made addresses and encoded words.  Each value
 * is read at SMALL and at 8 * SMALL bytes (up to ~200 kB: Postfix's
 * header_size_limit is 100 KiB, other MTAs allow more), and the CPU time
 * may grow by LINEAR_RATIO at most: 8 is linear, 64 quadratic.  Times are
 * the least of a few runs of this process's CPU clock, so that other load
 * on the machine does not count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "evidence.h"
#include "reply.h"
#include "trace.h"
#include "evidence_fixture.h"

#define SMALL		(24 * 1024)
#define BIG		(8 * SMALL)
#define LINEAR_RATIO	24.0
#define ROUNDS		4
/* Reading 8 * SMALL bytes faster than this is linear enough whatever the ratio. */
#define QUICK_ENOUGH	0.002
#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

/* Repeated to fill a value. */
static const char *const patterns[] = {
	"for <", "for < ", "for <a@b ", "for (", "for\x01<", "FOR <support@corp.example\x01",
	"<<<<", "((((", "))))", ">>>>", "\"", "\"a", "\\", "\\\"", "(a", "(\\", "[[[[", "[a",
	"@@@@", "a@", "@a", "a@b ", "a@b,", "<a@b> ", "a@b.", "....", ",,,,", ";;;;", "::::",
	", ; : ", " \t\r\n", "\r\n\t", "x@corp.example\x01", "\x01", "\x7f", "\xff", "\xe9" "a@",
	"Desk <", "\"a\" <", "g:", "g: a@b;", "=?", "=?utf-8?q?", "=?utf-8?b?", "=?a?q?x",
	"?=", "=?utf-8?q?support=40corp.example?= ", "true ", "Mailbox Rules ", "SRS0=",
	"a @ ", ". @ ", "a@b;", "x(y)@", "\"a@b\" <", "<a@b>>",
};

static char *fill(size_t len, const char *pattern)
{
	char *v = malloc(len + 1);
	size_t i, pl = strlen(pattern);

	assert_non_null(v);
	for (i = 0; i < len; i++)
		v[i] = pattern[i % pl];
	v[len] = '\0';
	return v;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One reader under test: reads v[0 .. len) (NUL-terminated) as header name. */
typedef void (*read_fn)(void *ctx, const char *name, const char *v, size_t len);

/* CPU time of reps reads, per read. */
static double cpu_per_read(read_fn fn, void *ctx, const char *name, const char *v, size_t len,
    int reps)
{
	double t = cpu_now();
	int k;

	for (k = 0; k < reps; k++)
		fn(ctx, name, v, len);
	return (cpu_now() - t) / reps;
}

/*
 * Fails unless reading 8x the pattern costs at most LINEAR_RATIO times
 * more.  Small and big reads take turns, so that both meet the same load,
 * and the least time of each counts.
 */
static void expect_linear(read_fn fn, void *ctx, const char *what, const char *name,
    const char *pattern)
{
	char *small = fill(SMALL, pattern), *big = fill(BIG, pattern);
	double ts = -1, tb = -1, t;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		t = cpu_per_read(fn, ctx, name, small, SMALL, 4);
		ts = ts < 0 || t < ts ? t : ts;
		t = cpu_per_read(fn, ctx, name, big, BIG, 1);
		tb = tb < 0 || t < tb ? t : tb;
	}
	if (tb > QUICK_ENOUGH && tb > LINEAR_RATIO * ts)
		fail_msg("%s %s: repeated \"%s\": %d bytes took %.2f ms, %d bytes %.2f ms: "
		    "ratio %.1f, want < %.0f", what, name, pattern, SMALL, ts * 1e3, BIG, tb * 1e3,
		    tb / ts, LINEAR_RATIO);
	free(small);
	free(big);
}

static void read_evidence(void *ctx, const char *name, const char *v, size_t len)
{
	struct evidence *ev = ctx;

	(void)len;
	evidence_reset(ev);
	evidence_header(ev, &test_policy, name, v);
}

static void test_every_header_kind_is_linear(void **state)
{
	struct evidence *ev = evidence_new();
	const char *name;
	size_t i, k;

	(void)state;
	assert_non_null(ev);
	for (i = 0; (name = evidence_header_name(i)) != NULL; i++)
		for (k = 0; k < NCASES(patterns); k++)
			expect_linear(read_evidence, ev, "header", name, patterns[k]);
	assert_true(i >= 28);
	for (k = 0; k < NCASES(patterns); k++)
		expect_linear(read_evidence, ev, "header", "ARC-Seal", patterns[k]);
	evidence_free(ev);
}

static int count_fn(void *ctx, const char *addr, size_t len)
{
	(void)addr;
	(void)len;
	++*(size_t *)ctx;
	return 0;
}

static void read_list(void *ctx, const char *name, const char *v, size_t len)
{
	size_t n = 0;

	(void)ctx;
	(void)name;
	address_list_scan(v, len, (size_t)-1, count_fn, &n);
}

static void read_words(void *ctx, const char *name, const char *v, size_t len)
{
	size_t n = 0;

	(void)ctx;
	(void)name;
	trace_words(v, len, (size_t)-1, count_fn, &n);
}

static void read_for(void *ctx, const char *name, const char *v, size_t len)
{
	size_t n = 0;

	(void)ctx;
	(void)name;
	trace_received_for(v, len, (size_t)-1, count_fn, &n);
}

static void test_address_readers_are_linear(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NCASES(patterns); k++) {
		expect_linear(read_list, NULL, "address_list_scan", "", patterns[k]);
		expect_linear(read_words, NULL, "trace_words", "", patterns[k]);
		expect_linear(read_for, NULL, "trace_received_for", "", patterns[k]);
	}
}

static void read_reply(void *ctx, const char *name, const char *v, size_t len)
{
	(void)ctx;
	reply_marker(name, v, len);
}

static void read_decode(void *ctx, const char *name, const char *v, size_t len)
{
	char out[REPLY_SUBJECT_MAX + 1];

	(void)ctx;
	(void)name;
	reply_decode_words(v, len, out, sizeof(out));
}

static void test_reply_markers_are_linear(void **state)
{
	static const char *const names[] = { "Subject", "Auto-Submitted", "X-Autoreply",
	    "X-Autorespond", "Precedence" };
	size_t i, k;

	(void)state;
	for (i = 0; i < NCASES(names); i++)
		for (k = 0; k < NCASES(patterns); k++)
			expect_linear(read_reply, NULL, "reply_marker", names[i], patterns[k]);
	for (k = 0; k < NCASES(patterns); k++)
		expect_linear(read_decode, NULL, "reply_decode_words", "", patterns[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_header_kind_is_linear),
		cmocka_unit_test(test_address_readers_are_linear),
		cmocka_unit_test(test_reply_markers_are_linear),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
