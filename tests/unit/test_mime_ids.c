/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mime_ids.c - which enclosed messages gave attached-message, by
 * Message-ID (mime_walk_signal_ids(), policy/mime_tree.c): a bounce's
 * exemption may rest on their correlation records only when every one of
 * them is named, so every way one can go unnamed answers 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "evidence_fixture.h"
#include "mime_fixture.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define ATT		SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE)
#define WANT_MAX	3

#define PART_RFC822	"--b\nContent-Type: message/rfc822\n\n"
#define CUSTOMER(id) \
	"From: Jane <jane@customer.example>\nTo: support@corp.example\n" \
	"Message-ID: <" id ">\n\nmy account 0000\n"
#define OTHER(id) \
	"From: other@elsewhere.example\nTo: colleague@corp.example\n" \
	"Message-ID: <" id ">\n\nnothing of support@'s\n"

static const struct {
	const char *name;
	const char *ctype;
	const char *body;
	const char *want[WANT_MAX];	/* NULL-terminated; none: 0 is the answer */
} cases[] = {
	{ "the one that gives the signal, not the other",
	  "multipart/mixed; boundary=b",
	  PART_RFC822 OTHER("o1@elsewhere.example") PART_RFC822 CUSTOMER("c1@customer.example")
	  "--b--\n", { "c1@customer.example" } },
	{ "a decoy and the real one: both",
	  "multipart/report; report-type=delivery-status; boundary=b",
	  "--b\nContent-Type: message/delivery-status\n\nAction: failed\n\n"
	  PART_RFC822 "From: insider@corp.example\nTo: consultant@fti.example\n"
	  "Delivered-To: support@corp.example\nMessage-ID: <decoy@corp.example>\n\nx\n"
	  PART_RFC822 CUSTOMER("c2@customer.example") "--b--\n",
	  { "decoy@corp.example", "c2@customer.example" } },
	{ "the same message twice is one id",
	  "multipart/mixed; boundary=b",
	  PART_RFC822 CUSTOMER("c3@customer.example") PART_RFC822 CUSTOMER("c3@customer.example")
	  "--b--\n", { "c3@customer.example" } },
	{ "an enclosed message inside an enclosed message",
	  "message/rfc822",
	  "From: colleague@corp.example\nTo: boss@corp.example\nMessage-ID: <outer@corp.example>\n"
	  "Content-Type: multipart/mixed; boundary=b\n\n"
	  PART_RFC822 CUSTOMER("c4@customer.example") "--b--\n",
	  { "c4@customer.example" } },
	{ "one that gives the signal has no Message-ID",
	  "multipart/mixed; boundary=b",
	  PART_RFC822 CUSTOMER("c5@customer.example")
	  PART_RFC822 "From: jane@customer.example\nTo: support@corp.example\n\nno id\n"
	  "--b--\n", { NULL } },
	{ "an Outlook or TNEF file beside it",
	  "multipart/mixed; boundary=b",
	  PART_RFC822 CUSTOMER("c6@customer.example")
	  "--b\nContent-Type: application/octet-stream; name=\"data.bin\"\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "eJ8+IgEAAZAIABUAAABTAE0AVABQADoAcwB1AHAAcABvAHIAdABAAGMAbwByAHAALgBlAHgAYQBt\n"
	  "AHAAbABlAAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==\n--b--\n",
	  { NULL } },
	{ "nothing gives the signal",
	  "multipart/mixed; boundary=b", PART_RFC822 OTHER("o2@elsewhere.example") "--b--\n",
	  { NULL } },
	{ "a body not examined whole",
	  "multipart/mixed; boundary=b",
	  PART_RFC822 CUSTOMER("c7@customer.example")
	  "--b\nContent-Type: message/partial; id=\"p\"; number=1; total=2\n\nx\n--b--\n",
	  { NULL } },
	{ "the body ends inside the header block",
	  "message/rfc822",
	  "From: jane@customer.example\nTo: support@corp.example\nMessage-ID: <c8@customer.example>\n",
	  { NULL } },
};

static void test_signal_ids_table(void **state)
{
	static const size_t steps[] = { 0, 1, 3, 7 };
	const char *got[MIME_IDS_MAX];
	size_t i, s, k, n, want;

	(void)state;
	for (i = 0; i < NCASES(cases); i++) {
		for (want = 0; want < WANT_MAX && cases[i].want[want] != NULL; want++)
			;
		for (s = 0; s < NCASES(steps); s++) {
			struct mime_walk *w = walk(cases[i].ctype, cases[i].body, steps[s]);

			n = mime_walk_signal_ids(w, got, MIME_IDS_MAX);
			if (n != want)
				fail_msg("%s (step %zu): %zu ids, want %zu (signals %#x)",
				    cases[i].name, steps[s], n, want, mime_walk_signals(w));
			for (k = 0; k < n; k++)
				if (strcmp(got[k], cases[i].want[k]) != 0)
					fail_msg("%s (step %zu): id %zu got %s want %s", cases[i].name,
					    steps[s], k, got[k], cases[i].want[k]);
			if (want > 0 && mime_walk_signals(w) != ATT)
				fail_msg("%s: no attached-message", cases[i].name);
			mime_walk_free(w);
		}
	}
}

/* More messages give the signal than ids are kept, or than the caller has room for. */
static void test_signal_ids_bounded(void **state)
{
	char body[8192];
	const char *got[MIME_IDS_MAX];
	struct mime_walk *w;
	size_t o = 0, i;

	(void)state;
	for (i = 0; i <= MIME_IDS_MAX; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, PART_RFC822
		    "To: support@corp.example\nMessage-ID: <m%zu@customer.example>\n\nx\n", i);
	snprintf(body + o, sizeof(body) - o, "--b--\n");
	w = walk("multipart/mixed; boundary=b", body, 0);
	assert_int_equal(mime_walk_signals(w), ATT);
	assert_int_equal(mime_walk_signal_ids(w, got, MIME_IDS_MAX), 0);
	mime_walk_free(w);

	w = walk("multipart/mixed; boundary=b",
	    PART_RFC822 CUSTOMER("a@customer.example") PART_RFC822 CUSTOMER("b@customer.example")
	    "--b--\n", 0);
	assert_int_equal(mime_walk_signal_ids(w, got, 2), 2);
	assert_int_equal(mime_walk_signal_ids(w, got, 1), 0);
	mime_walk_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_ids_table),
		cmocka_unit_test(test_signal_ids_bounded),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
