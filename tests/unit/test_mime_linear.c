/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mime_linear.c - the MIME walker (policy/mime*.c) takes time linear
 * in its input on bodies built to make a careless parser backtrack or
 * rescan: each body is walked at n and 8n bytes and the CPU time ratio
 * must stay near 8 (a quadratic walker gives 64).  A ratio, not a time,
 * so a slow or busy machine does not fail it; the best of a few runs, so
 * a moment of noise does not either.
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
#include "mime.h"

#define LINEAR_N	(192 * 1024)	/* the small size; the large one is 8 times it */
#define LINEAR_RUNS	4
#define LINEAR_RATIO	24.0		/* 8 with noise; quadratic would be 64 */
#define LINEAR_FLOOR	0.004		/* seconds: below this at 8n nothing can be quadratic */
#define LINEAR_CHUNK	(64 * 1024)	/* what libmilter hands over */

static char *test_protected[] = { "support@corp.example" };

static struct policy test_policy = {
	.protected = test_protected,
	.nprotected = 1,
	.delimiters = "+",
};

#include "policy_fixture.h"

/* 199 and 200 boundary characters: B199 and a digit saying which level. */
#define B50	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B199	B50 B50 B50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B200(level)	B199 #level

/* A body: a head written once, then unit repeated until size bytes. */
struct shape {
	const char *name;
	const char *ctype;
	const char *cte;	/* top-level Content-Transfer-Encoding, or NULL */
	const char *head;
	const char *unit;
	bool in_ctype;		/* the repeated text is the top-level Content-Type */
};

static const struct shape shapes[] = {
	{ "boundary openers with no closer", "multipart/mixed; boundary=a", NULL,
	  "--a\nContent-Type: multipart/mixed; boundary=aa\n\n"
	  "--aa\nContent-Type: multipart/mixed; boundary=aaa\n\n"
	  "--aaa\nContent-Type: multipart/mixed; boundary=aaaa\n\n",
	  "--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n--aaa-\n--aa-x\n--", false },
	/* Boundaries of MIME_BOUNDARY_MAX characters at 8 levels; lines that
	 * match all but their last character, each compared with every one. */
	{ "200-character boundaries, near misses", "multipart/mixed; boundary=" B200(1), NULL,
	  "--" B200(1) "\nContent-Type: multipart/mixed; boundary=" B200(2) "\n\n"
	  "--" B200(2) "\nContent-Type: multipart/mixed; boundary=" B200(3) "\n\n"
	  "--" B200(3) "\nContent-Type: multipart/mixed; boundary=" B200(4) "\n\n"
	  "--" B200(4) "\nContent-Type: multipart/mixed; boundary=" B200(5) "\n\n"
	  "--" B200(5) "\nContent-Type: multipart/mixed; boundary=" B200(6) "\n\n"
	  "--" B200(6) "\nContent-Type: multipart/mixed; boundary=" B200(7) "\n\n"
	  "--" B200(7) "\nContent-Type: multipart/mixed; boundary=" B200(8) "\n\n"
	  "--" B200(8) "\nContent-Type: text/plain\n\n",
	  "--" B199 "b\n--" B199 "\n", false },
	{ "long runs of dashes", "multipart/mixed; boundary=-", NULL, "",
	  "----------------------------------------------------------------------------"
	  "----------------------------------------------------------------------------"
	  "------------------------------------------------------------------\r\n", false },
	{ "separators and blanks", "multipart/mixed; boundary=\"b b\"", NULL, "",
	  "--b b\t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t \t x\n", false },
	{ "deep nesting, header lines that never end a block", "message/rfc822", NULL,
	  "Content-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=q\n\n"
	  "--q\nContent-Type: message/rfc822\n\nTo: a@customer.example\n",
	  "X-A: b\n c\n", false },
	{ "long parameter continuations", "multipart/mixed", NULL, "",
	  "; boundary*0=x; boundary*1*=%41%4; boundary*2=\"\\\"; boundary*63=y;"
	  " name*0*=utf-8''a; name*1=\";;;;\"; boundary*99999999999999999999=z", true },
	{ "base64 with bad characters", "multipart/mixed; boundary=e", NULL,
	  "--e\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  "Q29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJvdW5kYXJ5PXEKCg==\n",
	  "QUF!BQU@FBQ#UFB$QUF%BQU^FBQ&UFB*QUF(BQU)FBQ_UFB+QUF{BQU}FBQ|UFB:QUF\"BQU<FBQ>UFB?\n", false },
	{ "quoted-printable soft breaks and escapes", "multipart/mixed; boundary=e", NULL,
	  "--e\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "Content-Type: multipart/mixed; boundary=3Dq\n\n",
	  "=\n= \n=3=\r\n=ZZ=41=\n--=\nq=\n", false },
	{ "Outlook file of address-like tokens", "application/vnd.ms-outlook", "base64", "",
	  "0M8R4KGxGuFhYWFhYWFhYWFhYUBjb3JwLmV4YW1wbGUuYUBhQGFAYUBhQGFAYUBhQGFA\n", false },
};

static char *build(const struct shape *sh, size_t size, size_t *len)
{
	const char *head = sh->in_ctype ? sh->ctype : sh->head;
	char *b = malloc(size + 1);
	size_t o = 0, hl = strlen(head), ul = strlen(sh->unit);

	assert_non_null(b);
	assert_true(hl < size);
	memcpy(b, head, hl);
	o = hl;
	while (o + ul <= size) {
		memcpy(b + o, sh->unit, ul);
		o += ul;
	}
	b[o] = '\0';
	*len = o;
	return b;
}

static double cpu_now(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The best CPU time of LINEAR_RUNS walks of body. */
static double walk_time(const struct shape *sh, const char *body, size_t len)
{
	double best = 0;
	size_t r, off;

	for (r = 0; r < LINEAR_RUNS; r++) {
		double t0 = cpu_now(), t;
		struct mime_walk *w = mime_walk_new(&test_policy, sh->in_ctype ? body : sh->ctype);

		assert_non_null(w);
		mime_walk_set_encoding(w, sh->cte);
		for (off = 0; !sh->in_ctype && off < len; off += LINEAR_CHUNK)
			mime_walk_feed(w, body + off, len - off < LINEAR_CHUNK ? len - off : LINEAR_CHUNK);
		mime_walk_free(w);
		t = cpu_now() - t0;
		if (r == 0 || t < best)
			best = t;
	}
	return best;
}

static void test_linear(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		size_t n1, n8;
		char *small = build(&shapes[i], LINEAR_N, &n1);
		char *large = build(&shapes[i], 8 * LINEAR_N, &n8);
		double t1 = walk_time(&shapes[i], small, n1);
		double t8 = walk_time(&shapes[i], large, n8);
		double ratio = t8 / (t1 > 1e-9 ? t1 : 1e-9);

		print_message("%-52s n %7zu %.4fs  8n %8zu %.4fs  ratio %.1f\n", shapes[i].name, n1, t1,
		    n8, t8, ratio);
		if (t8 > LINEAR_FLOOR && ratio > LINEAR_RATIO)
			fail_msg("%s: 8x the input took %.1fx the time (want < %.0f)", shapes[i].name,
			    ratio, LINEAR_RATIO);
		free(small);
		free(large);
	}
}

/*
 * Linear is not enough when the constant is a header field: a sniffed part
 * (text that may be an .eml) whose first field filled the 16 KiB buffer
 * must not judge that field again on every following line.  Such a body
 * may cost at most LINEAR_RATIO times a header block of its size (what a
 * sniffed part that is a message costs).
 */
static void test_full_field_is_judged_once(void **state)
{
	static const struct shape text = { "a header block", "text/plain", NULL,
	    "From: a@customer.example\r\n", "X-A: b\r\n", false };
	static const struct shape full = { "full field, then blank lines", "text/plain", NULL,
	    NULL, " \r\n", false };
	size_t n, hl = MIME_HEADER_MAX - 4;
	char *head = malloc(hl + 2);
	char *plain;
	struct shape sh = full;
	double tt, tf;

	(void)state;
	assert_non_null(head);
	memset(head, 'A', hl);
	head[hl] = ':';
	head[hl + 1] = '\0';
	sh.head = head;
	plain = build(&text, 8 * LINEAR_N, &n);
	tt = walk_time(&text, plain, n);
	free(plain);
	plain = build(&sh, 8 * LINEAR_N, &n);
	tf = walk_time(&sh, plain, n);
	free(plain);
	free(head);
	print_message("header block %.4fs  full field then blank lines %.4fs\n", tt, tf);
	if (tf > LINEAR_FLOOR && tf > LINEAR_RATIO * (tt > 1e-9 ? tt : 1e-9))
		fail_msg("a full header field made the walk %.0fx slower than a header block", tf / tt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_full_field_is_judged_once),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
