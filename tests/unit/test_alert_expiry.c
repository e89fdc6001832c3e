/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_alert_expiry.c - when an exception is reminded and when it has
 * expired (milter/audit-tool/alerts/alert_expiry.c): whole UTC days, the first second after
 * allow[].expires's day being the first second it no longer applies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "alert_expiry.h"

#define DAY	86400L
/* expires: 2027-06-30 -> expires_at 2027-07-01T00:00:00Z */
#define AT	((time_t)1814400000)

static const struct {
	const char *name;
	time_t expires_at, now;
	long notice_days;
	enum expiry_stage want;
	long want_left;
} cases[] = {
	{ "no date is never due", 0, AT, 14, EXPIRY_NONE, 0 },
	{ "well before the notice", AT, AT - 15 * DAY, 14, EXPIRY_NONE, 15 },
	{ "a second before the notice", AT, AT - 14 * DAY - 1, 14, EXPIRY_NONE, 15 },
	{ "the notice starts 14 days before", AT, AT - 14 * DAY, 14, EXPIRY_REMIND, 14 },
	{ "inside the notice", AT, AT - 3 * DAY - 7200, 14, EXPIRY_REMIND, 4 },
	{ "the last day counts as a day left", AT, AT - 1, 14, EXPIRY_REMIND, 1 },
	{ "expired at the first second after the day", AT, AT, 14, EXPIRY_EXPIRED, 0 },
	{ "expired long ago", AT, AT + 400 * DAY, 14, EXPIRY_EXPIRED, 0 },
	{ "notice 0: no reminder", AT, AT - 1, 0, EXPIRY_NONE, 1 },
	{ "notice 0: still expires", AT, AT + 1, 0, EXPIRY_EXPIRED, 0 },
	{ "a notice longer than the epoch", AT, 0, 3660, EXPIRY_NONE, 21000 },
	{ "a date in 2101 (past 2038)", (time_t)4133980800LL,
	    (time_t)4133980800LL - 10 * DAY, 14, EXPIRY_REMIND, 10 },
};

static void test_stages(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum expiry_stage got = expiry_stage(cases[i].expires_at, cases[i].now,
		    cases[i].notice_days);
		long left = expiry_days_left(cases[i].expires_at, cases[i].now);
		if (got != cases[i].want || (cases[i].expires_at != 0 && left != cases[i].want_left)) {
			print_error("%s: got stage %d, %ld day(s) left; want %d, %ld\n", cases[i].name,
			    got, left, cases[i].want, cases[i].want_left);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
