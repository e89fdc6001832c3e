/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_thread.c - Outlook's conversation id and forward subjects
 * (policy/thread.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <cmocka.h>
#include "thread.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define CONV		"01d9ed8abe66ad1d1af53c4e40af0b93295f4cd21c00"

static const struct {
	const char *name;
	const char *value;
	const char *want;	/* "" when the value names no conversation */
} conv_cases[] = {
	{ "first message of a conversation", "Adntir5mrR0a9TxOQK8LkylfTNIcAA==", CONV },
	{ "a forward in it adds a child block", "Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD", CONV },
	{ "folded and padded with blanks", "  Adntir5mrR0a9\r\n\tTxOQK8LkylfTNIcAAAAobLD ", CONV },
	{ "too short", "Adntir5mrR0a9TxOQK8Lky", "" },
	{ "padding before 22 bytes", "Adntir5mrR0a9TxOQK8Lky==lfTNIcAA", "" },
	{ "not base64", "Adntir5mrR0a9TxOQK8Lk!lfTNIcAAAAobLD", "" },
	{ "empty", "", "" },
};

static void test_conversation_table(void **state)
{
	char out[THREAD_CONV_MAX + 1];
	size_t i, n;

	(void)state;
	for (i = 0; i < NCASES(conv_cases); i++) {
		n = thread_conversation(conv_cases[i].value, strlen(conv_cases[i].value), out,
		    sizeof(out));
		if (strcmp(out, conv_cases[i].want) != 0 || n != strlen(conv_cases[i].want))
			fail_msg("%s: got \"%s\" (%zu), want \"%s\"", conv_cases[i].name, out, n,
			    conv_cases[i].want);
	}
}

static void test_conversation_small_buffer(void **state)
{
	char out[THREAD_CONV_MAX] = "x";

	(void)state;
	assert_int_equal(thread_conversation(conv_cases[0].value, strlen(conv_cases[0].value),
	    out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static const struct {
	const char *name;
	const char *subject;
	bool want;
} subject_cases[] = {
	{ "Fwd", "Fwd: my invoice", true },
	{ "FW upper case (Outlook)", "FW: my invoice", true },
	{ "Fw", "Fw: my invoice", true },
	{ "TR French Outlook", "TR: ma facture", true },
	{ "TR with French spacing", "TR : ma facture", true },
	{ "TR with a no-break space", "Tr\xc2\xa0: ma facture", true },
	{ "WG German", "WG: Rechnung", true },
	{ "RV Spanish", "RV: mi factura", true },
	{ "leading blanks", "   fwd:invoice", true },
	{ "encoded word", "=?utf-8?Q?WG=3A_Rechnung_f=C3=BCr_Kunde?=", true },
	{ "encoded in base64", "=?UTF-8?B?VFI6IG1hIGZhY3R1cmU=?=", true },
	{ "an answer to a forward", "Re: Fwd: my invoice", false },
	{ "a word that starts like one", "Trial period ends", false },
	{ "Fwd without colon", "Fwd my invoice", false },
	{ "Transfer", "Transfer: funds", false },
	{ "ordinary subject", "my invoice", false },
	{ "empty", "", false },
};

static void test_forward_subject_table(void **state)
{
	size_t i;
	bool got;

	(void)state;
	for (i = 0; i < NCASES(subject_cases); i++) {
		got = thread_forward_subject(subject_cases[i].subject,
		    strlen(subject_cases[i].subject));
		if (got != subject_cases[i].want)
			fail_msg("%s: got %d want %d", subject_cases[i].name, got,
			    subject_cases[i].want);
	}
}

/* Hostile sizes: each reader looks at its input once, whatever it holds. */
static void test_hostile_sizes_are_linear(void **state)
{
	const size_t big = 4u << 20;
	char *v = malloc(big + 64), out[THREAD_CONV_MAX + 1];
	clock_t start = clock();
	size_t i;

	(void)state;
	assert_non_null(v);
	memset(v, ' ', big);
	strcpy(v + big, conv_cases[0].value);
	assert_int_equal(thread_conversation(v, strlen(v), out, sizeof(out)), THREAD_CONV_MAX);
	assert_string_equal(out, CONV);
	for (i = 0; i + 2 < big; i += 2)
		memcpy(v + i, "=?", 2);
	v[i] = '\0';
	assert_false(thread_forward_subject(v, i));
	for (i = 0; i + 4 < big; i += 4)
		memcpy(v + i, "Fw  ", 4);
	assert_false(thread_forward_subject(v + 4, i - 4));
	free(v);
	if ((double)(clock() - start) / CLOCKS_PER_SEC > 2.0)
		fail_msg("4 MiB inputs took %.2f s of CPU, want well under 2",
		    (double)(clock() - start) / CLOCKS_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversation_table),
		cmocka_unit_test(test_conversation_small_buffer),
		cmocka_unit_test(test_forward_subject_table),
		cmocka_unit_test(test_hostile_sizes_are_linear),
	};

	return cmocka_run_group_tests_name("thread", tests, NULL, NULL);
}
