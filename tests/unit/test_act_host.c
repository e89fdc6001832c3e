/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_act_host.c - the host name every record of milter/act_records.c
 * carries (act_records_host()), read by several milter workers at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "act_job.h"

#define CHECK(cond, ...)	do { if (!(cond)) fail_msg(__VA_ARGS__); } while (0)

#define HOST_THREADS	4

struct host_reader {
	pthread_barrier_t *start;
	char got[256];
};

static void *
host_read(void *arg)
{
	struct host_reader *h = arg;

	pthread_barrier_wait(h->start);
	snprintf(h->got, sizeof(h->got), "%s", act_records_host());
	return NULL;
}

/* Run under a thread sanitizer this is the race check; here, each sees the name whole. */
static void
test_host_threads(void **state)
{
	struct host_reader r[HOST_THREADS];
	pthread_t t[HOST_THREADS];
	pthread_barrier_t start;
	char want[256] = "";

	(void)state;
	if (gethostname(want, sizeof(want) - 1) != 0 || want[0] == '\0')
		snprintf(want, sizeof(want), "unknown");
	pthread_barrier_init(&start, NULL, HOST_THREADS);
	for (size_t i = 0; i < HOST_THREADS; i++) {
		r[i].start = &start;
		assert_int_equal(pthread_create(&t[i], NULL, host_read, &r[i]), 0);
	}
	for (size_t i = 0; i < HOST_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	for (size_t i = 0; i < HOST_THREADS; i++)
		CHECK(strcmp(r[i].got, want) == 0, "thread %zu: host \"%s\", want \"%s\"", i,
		    r[i].got, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_host_threads) };

	return cmocka_run_group_tests_name("act_host", tests, NULL, NULL);
}
