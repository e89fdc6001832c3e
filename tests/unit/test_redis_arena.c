/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_redis_arena.c - replies built in an arena read exactly as hiredis'
 * own: the same RESP is fed to a reader with hiredis' functions and to one
 * with the arena's, and the two trees must match, for stream pages, every
 * reply type, binary strings, replies larger than a chunk, and page after
 * page in one arena (reset reuses its memory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "redis_arena.h"

/* The reply to resp from a fresh reader with fns and privdata. */
static redisReply *parse(const char *resp, size_t len, void *fns, void *privdata)
{
	redisReader *rd = fns != NULL ? redisReaderCreateWithFunctions(fns) : redisReaderCreate();
	void *r = NULL;
	assert_non_null(rd);
	rd->privdata = privdata;
	assert_int_equal(redisReaderFeed(rd, resp, len), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &r), REDIS_OK);
	assert_non_null(r);
	redisReaderFree(rd);
	return r;
}

static void assert_same(const redisReply *want, const redisReply *got, const char *where)
{
	if (want->type != got->type || want->len != got->len || want->elements != got->elements ||
	    want->integer != got->integer)
		fail_msg("%s: type/len/elements/integer differ (want %d/%zu/%zu/%lld, got %d/%zu/%zu/%lld)",
		    where, want->type, want->len, want->elements, want->integer,
		    got->type, got->len, got->elements, got->integer);
	if (want->str != NULL) {
		assert_non_null(got->str);
		if (memcmp(want->str, got->str, want->len + 1) != 0)
			fail_msg("%s: strings differ", where);
	}
	for (size_t i = 0; i < want->elements; i++)
		assert_same(want->element[i], got->element[i], where);
}

/* resp parsed by hiredis and in arena a must give the same tree. */
static void check(struct redis_arena *a, const char *name, const char *resp, size_t len)
{
	redisReply *want = parse(resp, len, NULL, NULL);
	redisReply *got = parse(resp, len, redis_arena_object_functions(), a);
	assert_same(want, got, name);
	freeReplyObject(want);
}

#define PAGE "*2\r\n" \
    "*2\r\n$15\r\n1700000000000-0\r\n*4\r\n$2\r\nid\r\n$3\r\nabc\r\n$6\r\naction\r\n$6\r\nreject\r\n" \
    "*2\r\n$15\r\n1700000000001-0\r\n*2\r\n$9\r\nrecipient\r\n$0\r\n\r\n"

static void test_types(void **state)
{
	(void)state;
	static const struct { const char *name, *resp; } cases[] = {
		{ "stream page", PAGE },
		{ "integer", ":-42\r\n" },
		{ "nil", "$-1\r\n" },
		{ "nil array", "*-1\r\n" },
		{ "empty array", "*0\r\n" },
		{ "status", "+OK\r\n" },
		{ "error", "-ERR no such key\r\n" },
		{ "nested nil", "*3\r\n$-1\r\n:7\r\n*1\r\n+x\r\n" },
	};
	struct redis_arena *a = redis_arena_new();
	assert_non_null(a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		redis_arena_reset(a);
		check(a, cases[i].name, cases[i].resp, strlen(cases[i].resp));
	}
	redis_arena_free(a);
}

static void test_binary(void **state)
{
	(void)state;
	static const char resp[] = "*1\r\n$5\r\na\0b\r\n\r\n";
	struct redis_arena *a = redis_arena_new();
	redisReply *r = parse(resp, sizeof(resp) - 1, redis_arena_object_functions(), a);
	assert_int_equal(r->element[0]->len, 5);
	assert_memory_equal(r->element[0]->str, "a\0b\r\n", 6);
	check(a, "binary", resp, sizeof(resp) - 1);
	redis_arena_free(a);
}

/* Strings and arrays larger than a chunk, then many small pages: every
 * reply built after a reset must still read right. */
static void test_big_and_reuse(void **state)
{
	(void)state;
	size_t big = 3 * 1024 * 1024, n = 50000;
	char *resp = malloc(big + 64);
	assert_non_null(resp);
	int h = snprintf(resp, 64, "*2\r\n$%zu\r\n", big);
	memset(resp + h, 'x', big);
	memcpy(resp + h + big, "\r\n:1\r\n", 6);
	struct redis_arena *a = redis_arena_new();
	check(a, "big string", resp, (size_t)h + big + 6);

	char *arr = malloc(n * 8 + 32), *p = arr;
	p += sprintf(p, "*%zu\r\n", n);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, ":%zu\r\n", i % 10);
	for (int round = 0; round < 3; round++) {
		redis_arena_reset(a);
		check(a, "big array", arr, (size_t)(p - arr));
		redis_arena_reset(a);
		check(a, "page after a big one", PAGE, strlen(PAGE));
	}
	free(arr);
	free(resp);
	redis_arena_free(a);
	redis_arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_big_and_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
