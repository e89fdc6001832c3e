/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_worker_stack.c - milter/common/worker_stack.c: threads started with
 * default attributes (libmilter's workers) get the capped stack, and the
 * cap never raises a smaller default.
 *
 * The tests run in order and change the process's default: the first
 * lowers it from glibc's (RLIMIT_STACK, 8 MiB under ./run-tests) and
 * starts a thread, the second asks for more than is set now and must
 * leave it.  Only the first looks at a started thread's stack: glibc
 * reuses an ended thread's stack up to four times the size asked for.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "worker_stack.h"

static size_t default_stack(void)
{
	pthread_attr_t attr;
	size_t size = 0;
	assert_int_equal(pthread_getattr_default_np(&attr), 0);
	assert_int_equal(pthread_attr_getstacksize(&attr, &size), 0);
	pthread_attr_destroy(&attr);
	return size;
}

static void *own_stack(void *arg)
{
	pthread_attr_t attr;
	size_t *size = arg;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, size);
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

/* The stack a thread started with NULL attributes really has. */
static size_t started_stack(void)
{
	pthread_t t;
	size_t size = 0;
	assert_int_equal(pthread_create(&t, NULL, own_stack, &size), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	return size;
}

static void test_cap_lowers_the_default(void **state)
{
	(void)state;
	size_t before = started_stack();
	assert_true(before > WORKER_STACK_BYTES);	/* glibc's default here */
	assert_int_equal(worker_stack_cap(WORKER_STACK_BYTES), 0);
	assert_int_equal(default_stack(), WORKER_STACK_BYTES);
	assert_int_equal(started_stack(), WORKER_STACK_BYTES);
}

static void test_cap_never_raises(void **state)
{
	(void)state;
	assert_int_equal(worker_stack_cap(WORKER_STACK_BYTES / 2), 0);
	assert_int_equal(default_stack(), WORKER_STACK_BYTES / 2);
	assert_int_equal(worker_stack_cap(WORKER_STACK_BYTES), 0);
	assert_int_equal(default_stack(), WORKER_STACK_BYTES / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_lowers_the_default),
		cmocka_unit_test(test_cap_never_raises),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
