/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mime_decode.c - the MIME walker's transfer-encoding decoders
 * (policy/mime_decode.c), fed in every split, and its parameter reader
 * with RFC 2231 continuations and encodings (policy/mime_param.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mime_decode.h"
#include "mime_param.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

struct sink {
	char buf[256];
	size_t n;
};

static void sink_put(void *ctx, const char *buf, size_t len)
{
	struct sink *k = ctx;

	assert_true(k->n + len < sizeof(k->buf));
	memcpy(k->buf + k->n, buf, len);
	k->n += len;
}

static void test_decoders(void **state)
{
	static const struct {
		const char *cte, *in, *want;
	} cases[] = {
		{ "base64", "aGVs\r\nbG8=", "hello" },
		{ "base64", "a!G*V\tsbG8", "hello" },
		{ "base64", "aGk=aGk=", "hihi" },
		{ "quoted-printable", "a=3Db=3db=\r\nc=  \nd", "a=b=bcd" },
		{ "quoted-printable", "x=ZZ=4=\ry=", "x=ZZ=4=\ry" },
		{ "7bit", "=3D", "=3D" },
		{ "x-uuencode", "begin", "begin" },
	};
	size_t i, step;

	(void)state;
	for (i = 0; i < NCASES(cases); i++)
		for (step = 1; step <= strlen(cases[i].in); step++) {
			struct mime_decoder d;
			struct sink k = { .n = 0 };
			size_t off, len = strlen(cases[i].in);

			mime_decoder_init(&d, mime_cte_lookup(cases[i].cte));
			for (off = 0; off < len; off += step)
				mime_decode(&d, cases[i].in + off, len - off < step ? len - off : step,
				    sink_put, &k);
			k.buf[k.n] = '\0';
			if (strcmp(k.buf, cases[i].want) != 0)
				fail_msg("%s \"%s\" step %zu: got \"%s\" want \"%s\"", cases[i].cte,
				    cases[i].in, step, k.buf, cases[i].want);
		}
}

static void test_params(void **state)
{
	static const struct {
		const char *value, *type, *boundary, *name;
		bool bad, dsn;
	} cases[] = {
		{ "Multipart/Mixed; boundary=\"a b\" ", "multipart/mixed", "a b", "", false, false },
		{ "multipart/mixed; boundary*1=\"2\"; boundary*0=\"1\"", "multipart/mixed", "12", "",
		  false, false },
		{ "multipart/mixed; boundary=plain; boundary*0*=''%41%42; boundary*1=c",
		  "multipart/mixed", "ABc", "", false, false },
		{ "multipart/mixed; boundary*=us-ascii'en'%7A%zz", "multipart/mixed", "z%zz", "",
		  false, false },
		{ "multipart/mixed; boundary*0=a; boundary*2=c", "multipart/mixed", "a", "", false,
		  false },
		{ "multipart/mixed; boundary*64=a", "multipart/mixed", "", "", true, false },
		{ "multipart/mixed; x=\"; boundary=evil\"; boundary=good", "multipart/mixed", "good",
		  "", false, false },
		{ "multipart/mixed; boundary=\"\"", "multipart/mixed", "", "", true, false },
		{ "multipart/report; report-type=\"Delivery-Status\"; boundary=r",
		  "multipart/report", "r", "", false, true },
		{ "application/octet-stream; name*0*=utf-8''Fwd%3A%20a; name*1=\".EML\"",
		  "application/octet-stream", "", "fwd: a.eml", false, false },
		{ "text/plain; name=\"a\\\"b.eml\"", "text/plain", "", "a\"b.eml", false, false },
	};
	char fname[64];
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(cases); i++) {
		struct mime_ctype ct;

		mime_ctype_parse(cases[i].value, &ct);
		if (strcmp(ct.type, cases[i].type) != 0 || strcmp(ct.boundary, cases[i].boundary) != 0 ||
		    strcmp(ct.name, cases[i].name) != 0 || ct.boundary_bad != cases[i].bad ||
		    ct.report_dsn != cases[i].dsn)
			fail_msg("%s: got type %s boundary \"%s\" name \"%s\" bad %d dsn %d",
			    cases[i].value, ct.type, ct.boundary, ct.name, ct.boundary_bad,
			    ct.report_dsn);
	}
	mime_disposition_filename("attachment; filename*0=\"for\"; filename*1*=%57ARD.eml",
	    fname, sizeof(fname));
	assert_string_equal(fname, "forward.eml");
	mime_disposition_filename("inline", fname, sizeof(fname));
	assert_string_equal(fname, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
