/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_hash.c - FNV-1a against its published test vectors, and the steps
 * the callers combine (a cut between pieces, a case-folded piece).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"

struct vector_case {
	const char *in;
	uint64_t want;
};

static void test_vectors(void **state)
{
	static const struct vector_case cases[] = {
		{ "", 0xcbf29ce484222325ULL },
		{ "a", 0xaf63dc4c8601ec8cULL },
		{ "foobar", 0x85944171f73967e8ULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = hash_str(HASH_INIT, cases[i].in);
		if (got != cases[i].want)
			fail_msg("hash_str(\"%s\"): got %016llx, want %016llx", cases[i].in,
			    (unsigned long long)got, (unsigned long long)cases[i].want);
		assert_true(hash_bytes(HASH_INIT, cases[i].in, strlen(cases[i].in)) == got);
	}
}

static void test_steps(void **state)
{
	(void)state;
	/* Pieces hashed in turn are one string hashed at once. */
	assert_true(hash_str(hash_str(HASH_INIT, "foo"), "bar") == hash_str(HASH_INIT, "foobar"));
	/* A cut keeps "a"+"bc" apart from "ab"+"c". */
	assert_true(hash_str(hash_cut(hash_str(HASH_INIT, "a")), "bc") !=
	    hash_str(hash_cut(hash_str(HASH_INIT, "ab")), "c"));
	/* Only ASCII letters fold; other bytes stay as they are. */
	assert_true(hash_lower(HASH_INIT, "FooBAR") == hash_str(HASH_INIT, "foobar"));
	assert_true(hash_lower(HASH_INIT, "x\xc3\x84@[") == hash_str(HASH_INIT, "x\xc3\x84@["));
	assert_true(hash_bytes(HASH_INIT, "a\0b", 3) != hash_str(HASH_INIT, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
