/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mime.c - the streaming MIME walker (policy/mime.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mime.h"
#include "mime_param.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define ATT		SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE)

static char *test_protected[] = { "support@corp.example" };

static struct policy test_policy = {
	.protected = test_protected,
	.nprotected = 1,
	.delimiters = "+",
};

#include "policy_fixture.h"
#include "mime_fixture.h"

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

/* Replaces "\n" by "\r\n" when crlf, into a malloc'd copy. */
static char *line_ends(const char *body, bool crlf)
{
	size_t n = strlen(body), i, o = 0;
	char *out = malloc(2 * n + 1);

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (crlf && body[i] == '\n')
			out[o++] = '\r';
		out[o++] = body[i];
	}
	out[o] = '\0';
	return out;
}

static const char forward_attached[] =
	"preamble\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"\n"
	"see attached\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Received: from mx by mail.corp.example\n"
	"\tfor <Support+tickets@corp.example>; Mon, 1 Jan 2024 00:00:00 +0000\n"
	"Message-ID: <cust-1@customer.example>\n"
	"From: Customer <c@customer.example>\n"
	"To: support@corp.example\n"
	"\n"
	"my account number is 123\n"
	"--outer--\n";

static const char normal_attachment[] =
	"--b1\n"
	"Content-Type: text/plain\n"
	"\n"
	"hello\n"
	"--b1\n"
	"Content-Type: application/pdf\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"VG86IHN1cHBvcnRAY29ycC5leGFtcGxlCg==\n"
	"--b1--\n";

static const char dsn[] =
	"--dsn\n"
	"Content-Type: text/plain\n"
	"\n"
	"Delivery failed.\n"
	"--dsn\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.fti.example\n"
	"\n"
	"Final-Recipient: rfc822; x@fti.example\n"
	"--dsn\n"
	"Content-Type: text/rfc822-headers\n"
	"\n"
	"Delivered-To: support@corp.example\n"
	"Message-ID:\n <orig-7@customer.example>\n"
	"Subject: hello\n"
	"--dsn--\n";

/* message/rfc822 inside multipart inside message/rfc822 inside multipart */
static const char nested[] =
	"--a\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Message-ID: <outer@x.example>\n"
	"Content-Type: multipart/mixed; boundary=\"b b\"\n"
	"\n"
	"--b b\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"X-Original-To: support@corp.example\n"
	"Message-ID: <inner@customer.example>\n"
	"\n"
	"body\n"
	"--b b--\n"
	"--a--\n";

static const char encoded_message[] =
	"--e\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"RGVsaXZlcmVkLVRvOiBzdXBwb3J0QGNvcnAuZXhhbXBsZQo=\n"
	"--e--\n";

static const char colleague_attached[] =
	"--c\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Delivered-To: colleague@corp.example\n"
	"To: support@corp.example.evil.test\n"
	"\n"
	"x\n"
	"--c--\n";

/* The attached message's headers come only after an outer boundary closed the part. */
static const char outer_boundary_closes[] =
	"--o\n"
	"Content-Type: multipart/alternative; boundary=i\n"
	"\n"
	"--i\n"
	"Content-Type: text/plain\n"
	"\n"
	"x\n"
	"--o\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Delivered-To: support@corp.example\n"
	"\n"
	"--o--\n";

/* --- encoded and disguised forwards -------------------------------------------------- */

static const char b64_message[] =
	"--e\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: BASE64\n"
	"\n"
	"UmVjZWl2ZWQ6IGZyb20gbXguY3VzdG9tZXIuZXhhbXBsZSBieSBtYWlsLmNvcnAuZXhhbXBsZQoJ\n"
	"Zm9yIDxzdXBwb3J0QGNvcnAuZXhhbXBsZT47IE1vbiwgMSBKYW4gMjAyNCAwMDowMDowMCArMDAw\n"
	"MApNZXNzYWdlLUlEOiA8YjY0LTFAY3VzdG9tZXIuZXhhbXBsZT4KRnJvbTogQ3VzdG9tZXIgPGNA\n"
	"Y3VzdG9tZXIuZXhhbXBsZT4KVG86IEN1c3RvbWVyIFNlcnZpY2UgPHN1cHBvcnRAY29ycC5leGFt\n"
	"cGxlPgpTdWJqZWN0OiBpbnZvaWNlCgpteSBhY2NvdW50IG51bWJlciBpcyAxMjMK\n"
	"--e--\n";

/* Soft line breaks inside the header that names the mailbox, and =XX escapes. */
static const char qp_message[] =
	"--q\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"Message-ID: <qp-1@customer.example>\n"
	"From: =?utf-8?q?J=C3=BCrgen?= <j@customer.example>\n"
	"To: Customer Service <supp=\n"
	"ort@corp=2Eexample>, other@customer.example  =  \n"
	"\n"
	"Subject: ok\n"
	"\n"
	"body =3D text\n"
	"--q--\n";

static const char octet_eml[] =
	"--o\n"
	"Content-Type: text/plain\n"
	"\n"
	"see attached\n"
	"--o\n"
	"Content-Type: application/octet-stream\n"
	"Content-Disposition: attachment\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"RnJvbTogQ3VzdG9tZXIgPGNAY3VzdG9tZXIuZXhhbXBsZT4KVG86IHN1cHBv\n"
	"cnRAY29ycC5leGFtcGxlClN1YmplY3Q6IGludm9pY2UKTWVzc2FnZS1JRDog\n"
	"PG9jdC0xQGN1c3RvbWVyLmV4YW1wbGU+Cgpib2R5Cg==\n"
	"--o--\n";

static const char text_eml[] =
	"--t\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"From sender@customer.example Mon Jan  1 00:00:00 2024\n"
	"Return-Path: <c@customer.example>\n"
	"Delivered-To: support@corp.example\n"
	"Subject: =?utf-8?q?facture?=\n"
	"\n"
	"body\n"
	"--t--\n";

static const char global_message[] =
	"--g\n"
	"Content-Type: message/global\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"From: J\xc3\xbcrgen <j@customer.example>\n"
	"Cc: support@corp.example\n"
	"\n"
	"x\n"
	"--g--\n";

/* Named .eml (RFC 2231, split and encoded): read as a message whatever it starts with. */
static const char named_eml[] =
	"--n\n"
	"Content-Type: application/octet-stream; name*=utf-8''Fwd%20invoice%2Eeml\n"
	"\n"
	"X-Original-To: support@corp.example\n"
	"\n"
	"x\n"
	"--n\n"
	"Content-Type: application/octet-stream\n"
	"Content-Disposition: attachment;\n"
	" filename*0*=utf-8''second%20copy; filename*1=\".EML\"\n"
	"\n"
	"X-Original-To: support@corp.example\n"
	"\n"
	"--n--\n";

/* A base64 .eml whose own body is a multipart holding a message/rfc822. */
static const char nested_b64[] =
	"--x\n"
	"Content-Type: application/octet-stream\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"RnJvbTogeEBjdXN0b21lci5leGFtcGxlClRvOiBib3NzQGN1c3RvbWVyLmV4YW1wbGUKU3ViamVj\n"
	"dDogZncKTUlNRS1WZXJzaW9uOiAxLjAKQ29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJv\n"
	"dW5kYXJ5PSJpbiIKCi0taW4KQ29udGVudC1UeXBlOiB0ZXh0L3BsYWluCgpzZWUgYmVsb3cKLS1p\n"
	"bgpDb250ZW50LVR5cGU6IG1lc3NhZ2UvcmZjODIyCgpEZWxpdmVyZWQtVG86IHN1cHBvcnRAY29y\n"
	"cC5leGFtcGxlCkZyb206IGNAY3VzdG9tZXIuZXhhbXBsZQoKc2VjcmV0Ci0taW4tLQo=\n"
	"--x--\n";

/* A multipart sent base64 (RFC 2046 forbids it; clients may decode it). */
static const char b64_multipart[] =
	"LS16CkNvbnRlbnQtVHlwZTogbWVzc2FnZS9yZmM4MjIKClgtT3JpZ2luYWwtVG86IHN1cHBvcnRA\n"
	"Y29ycC5leGFtcGxlCgp4Ci0tei0tCg==\n";

/* A TNEF file naming support@ (UTF-16LE) under a neutral name, and the last boundary. */
#define TNEF_PART \
	"--w\n" \
	"Content-Type: application/octet-stream; name=\"data.bin\"\n" \
	"Content-Transfer-Encoding: base64\n" \
	"\n" \
	"eJ8+IgEAAZAIABUAAABTAE0AVABQADoAcwB1AHAAcABvAHIAdABAAGMAbwByAHAALgBlAHgAYQBt\n" \
	"AHAAbABlAAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==\n" \
	"--w--\n"
static const char tnef_part[] = TNEF_PART;

static const char ole_part[] =
	"--m\n"
	"Content-Type: application/vnd.ms-outlook; name=\"Re: invoice.msg\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABEZWxpdmVy\n"
	"ZWQtVG86IHN1cHBvcnRAY29ycC5leGFtcGxlDQoAAAAAAAAAAAAAAA==\n"
	"--m--\n";

/* An Outlook message (its directory names a __substg1.0_ stream) with look-alikes only. */
static const char ole_lookalike[] =
	"--m\n"
	"Content-Type: application/octet-stream\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB4AHMAdQBwAHAAbwByAHQAQABjAG8AcgBw\n"
	"AC4AZQB4AGEAbQBwAGwAZQAAAHN1cHBvcnRAY29ycC5leGFtcGxlLmV2aWwudGVzdABfAF8AcwB1\n"
	"AGIAcwB0AGcAMQAuADAAXwAwAEUAMAA0ADAAMAAxAEYAAAA=\n"
	"--m--\n";

/* Text that mentions headers is not a message. */
static const char lookalikes[] =
	"--l\n"
	"Content-Type: text/plain\n"
	"\n"
	"Please write to support@corp.example.\n"
	"Delivered-To: support@corp.example\n"
	"To: support@corp.example\n"
	"\n"
	"--l\n"
	"Content-Type: text/csv\n"
	"\n"
	"To: support@corp.example\n"
	"name,mail\n"
	"Delivered-To: support@corp.example\n"
	"\n"
	"--l\n"
	"Content-Type: application/octet-stream\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"VG86IHN1cHBvcnRAY29ycC5leGFtcGxlCg==\n"
	"--l\n"
	"Content-Type: text/plain\n"
	"\n"
	"From: a@customer.example\n"
	"To: xsupport@corp.example, support@corp.example.evil.test\n"
	"\n"
	"--l\n"
	"Content-Type: image/png\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n"
	"--l--\n";

static const char partial[] =
	"--p\n"
	"Content-Type: message/partial; id=\"abc@x.example\"; number=1; total=2\n"
	"\n"
	"Delivered-To: somebody@customer.example\n"
	"\n"
	"--p--\n";

/* A second Content-Transfer-Encoding must not turn base64 back into 7bit. */
static const char duplicate_cte[] =
	"--e\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-Transfer-Encoding: 7bit\n"
	"\n"
	"RGVsaXZlcmVkLVRvOiBzdXBwb3J0QGNvcnAuZXhhbXBsZQo=\n"
	"--e--\n";

/* An encoding nobody here decodes: a client may, so it is not examined. */
static const char uuencoded[] =
	"--u\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: x-uuencode\n"
	"\n"
	"begin 644 fwd.eml\n"
	"M1&5L:79E<F5D+51O.B!S=7!P;W)T0&-O<G`N97AA;7!L90H`\n"
	"end\n"
	"--u--\n";

static const struct {
	const char *name;
	const char *ctype;
	const char *body;
	signal_set want;
	const char *want_mailbox;
	const char *want_id;		/* first original id, or NULL for none */
	bool want_dsn;
	bool want_truncated;
} walk_cases[] = {
	{ "forward as attachment of protected mail", "multipart/mixed; boundary=outer",
	  forward_attached, ATT, "support@corp.example", "cust-1@customer.example", false, false },
	{ "normal attachment is no evidence", "multipart/mixed; boundary=\"b1\"",
	  normal_attachment, 0, NULL, NULL, false, false },
	{ "dsn quotes original id, headers are no attachment",
	  "multipart/report; report-type=\"delivery-status\"; boundary=dsn", dsn, 0, NULL,
	  "orig-7@customer.example", true, false },
	{ "nested enclosed message found", "multipart/mixed; boundary=a", nested, ATT,
	  "support@corp.example", "outer@x.example", false, false },
	{ "base64 message/rfc822 is read", "multipart/mixed; boundary=e",
	  encoded_message, ATT, "support@corp.example", NULL, false, false },
	{ "colleague and lookalike are not protected", "multipart/mixed; boundary=c",
	  colleague_attached, 0, NULL, NULL, false, false },
	{ "outer boundary closes inner multipart", "multipart/mixed; boundary=o",
	  outer_boundary_closes, ATT, "support@corp.example", NULL, false, false },
	{ "top-level message/rfc822", "message/rfc822",
	  "Delivered-To: support@corp.example\n\nbody\n", ATT, "support@corp.example", NULL,
	  false, false },
	{ "plain text body is nothing", NULL, "--x\nDelivered-To: support@corp.example\n\n",
	  0, NULL, NULL, false, false },
	{ "base64 message/rfc822 with its body", "multipart/mixed; boundary=e", b64_message, ATT,
	  "support@corp.example", "b64-1@customer.example", false, false },
	{ "quoted-printable message/rfc822, soft breaks", "multipart/mixed; boundary=q", qp_message,
	  ATT, "support@corp.example", "qp-1@customer.example", false, false },
	{ ".eml as base64 application/octet-stream", "multipart/mixed; boundary=o", octet_eml, ATT,
	  "support@corp.example", "oct-1@customer.example", false, false },
	{ ".eml as 8bit text/plain after an mbox line", "multipart/mixed; boundary=t", text_eml,
	  ATT, "support@corp.example", NULL, false, false },
	{ "message/global", "multipart/mixed; boundary=g", global_message, ATT,
	  "support@corp.example", NULL, false, false },
	{ "file named .eml (RFC 2231 name*= and filename*0*=)", "multipart/mixed; boundary=n",
	  named_eml, ATT, "support@corp.example", NULL, false, false },
	{ "multipart inside a base64 .eml is walked", "multipart/mixed; boundary=x", nested_b64,
	  ATT, "support@corp.example", NULL, false, false },
	{ "RFC 2231 boundary*0= outer boundary", "multipart/mixed;\n boundary*0=\"out\"; boundary*1=er",
	  forward_attached, ATT, "support@corp.example", "cust-1@customer.example", false, false },
	{ "RFC 2231 boundary*0*= encoded", "multipart/mixed; boundary*1=r;"
	  " boundary*0*=us-ascii'en'out%65", forward_attached, ATT, "support@corp.example",
	  "cust-1@customer.example", false, false },
	{ "TNEF winmail.dat, UTF-16LE address", "multipart/mixed; boundary=w", tnef_part, ATT,
	  "support@corp.example", NULL, false, false },
	{ "Outlook .msg, ASCII transport headers", "multipart/mixed; boundary=m", ole_part, ATT,
	  "support@corp.example", NULL, false, false },
	{ "Outlook file with look-alike addresses", "multipart/mixed; boundary=m", ole_lookalike, 0,
	  NULL, NULL, false, false },
	{ "text that mentions headers, csv, look-alikes, an image", "multipart/mixed; boundary=l",
	  lookalikes, 0, NULL, NULL, false, false },
	{ "display names and encoded words are not addresses", "message/rfc822",
	  "From: \"support@corp.example\" <x@evil.test>\n"
	  "To: =?utf-8?q?support=40corp=2Eexample?= <y@evil.test>, support (at) corp.example\n"
	  "Cc: \"Support\"@corp.example.evil.test\n\nx\n", 0, NULL, NULL, false, false },
	{ "message/partial cannot be read", "multipart/mixed; boundary=p", partial, 0, NULL, NULL,
	  false, true },
	{ "the first Content-Transfer-Encoding wins", "multipart/mixed; boundary=e", duplicate_cte,
	  ATT, "support@corp.example", NULL, false, false },
	{ "an unknown encoding is not examined", "multipart/mixed; boundary=u", uuencoded, 0, NULL,
	  NULL, false, true },
	{ "top-level text/plain .eml", "text/plain",
	  "Received: by mx\n\tfor <support@corp.example>; Mon, 1 Jan 2024 00:00:00 +0000\n"
	  "Subject: x\n\nbody\n", ATT, "support@corp.example", NULL, false, false },
	{ "multipart without boundary cannot be read", "multipart/mixed",
	  forward_attached, 0, NULL, NULL, false, true },
};

static void check_walk(size_t i, bool crlf, size_t step)
{
	char *body = line_ends(walk_cases[i].body, crlf);
	struct mime_walk *w = walk(walk_cases[i].ctype, body, step);
	const char *ids[MIME_IDS_MAX];
	size_t nids = mime_walk_original_ids(w, ids, MIME_IDS_MAX);
	const char *got_id = nids > 0 ? ids[0] : NULL;
	const char *m = mime_walk_mailbox(w);

	if (mime_walk_signals(w) != walk_cases[i].want)
		fail_msg("%s (crlf %d, step %zu): signals got %#x want %#x", walk_cases[i].name,
		    crlf, step, mime_walk_signals(w), walk_cases[i].want);
	if ((m == NULL) != (walk_cases[i].want_mailbox == NULL) ||
	    (m != NULL && strcmp(m, walk_cases[i].want_mailbox) != 0))
		fail_msg("%s: mailbox got %s want %s", walk_cases[i].name, show(m),
		    show(walk_cases[i].want_mailbox));
	if (walk_cases[i].want_id != NULL && (got_id == NULL || strcmp(got_id, walk_cases[i].want_id) != 0))
		fail_msg("%s: id got %s want %s", walk_cases[i].name, show(got_id),
		    walk_cases[i].want_id);
	if (mime_walk_is_dsn(w) != walk_cases[i].want_dsn)
		fail_msg("%s: dsn got %d want %d", walk_cases[i].name, mime_walk_is_dsn(w),
		    walk_cases[i].want_dsn);
	if (mime_walk_truncated(w) != walk_cases[i].want_truncated)
		fail_msg("%s: truncated got %d want %d", walk_cases[i].name, mime_walk_truncated(w),
		    walk_cases[i].want_truncated);
	mime_walk_free(w);
	free(body);
}

static void test_walk_table(void **state)
{
	static const size_t steps[] = { 0, 1, 3, 7 };
	size_t i, s;

	(void)state;
	for (i = 0; i < NCASES(walk_cases); i++)
		for (s = 0; s < NCASES(steps); s++) {
			check_walk(i, false, steps[s]);
			check_walk(i, true, steps[s]);
		}
}

static void test_nested_ids_in_order(void **state)
{
	struct mime_walk *w = walk("multipart/mixed; boundary=a", nested, 0);
	const char *ids[MIME_IDS_MAX];
	size_t n = mime_walk_original_ids(w, ids, MIME_IDS_MAX);

	(void)state;
	if (n != 2 || strcmp(ids[0], "outer@x.example") != 0 ||
	    strcmp(ids[1], "inner@customer.example") != 0)
		fail_msg("ids got %zu (%s, %s) want 2 (outer@x.example, inner@customer.example)",
		    n, n > 0 ? ids[0] : "", n > 1 ? ids[1] : "");
	mime_walk_free(w);
}

/* The top-level Content-Transfer-Encoding, given apart: a multipart sent base64. */
static void test_top_level_encoding(void **state)
{
	static const size_t steps[] = { 0, 1, 3, 7 };
	size_t i, off, len = strlen(b64_multipart);

	(void)state;
	for (i = 0; i < NCASES(steps); i++) {
		struct mime_walk *w = mime_walk_new(&test_policy, "multipart/mixed; boundary=z");
		size_t step = steps[i] == 0 ? len : steps[i];

		assert_non_null(w);
		mime_walk_set_encoding(w, " Base64 ");
		for (off = 0; off < len; off += step)
			mime_walk_feed(w, b64_multipart + off, len - off < step ? len - off : step);
		if (mime_walk_signals(w) != ATT || mime_walk_truncated(w))
			fail_msg("step %zu: signals %#x truncated %d, want attached-message", steps[i],
			    mime_walk_signals(w), mime_walk_truncated(w));
		mime_walk_free(w);
	}
}

/* A digest of many messages: ids past MIME_IDS_MAX are dropped, nothing is distrusted. */
static void test_many_ids_are_no_truncation(void **state)
{
	char body[4096];
	const char *ids[MIME_IDS_MAX];
	size_t o = 0, i;
	struct mime_walk *w;

	(void)state;
	for (i = 0; i < 12; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		    "--d\n\nMessage-ID: <m%zu@customer.example>\nTo: x@customer.example\n\nx\n", i);
	snprintf(body + o, sizeof(body) - o, "--d--\n");
	w = walk("multipart/digest; boundary=d", body, 0);
	if (mime_walk_signals(w) != 0 || mime_walk_truncated(w) ||
	    mime_walk_original_ids(w, ids, MIME_IDS_MAX) != MIME_IDS_MAX)
		fail_msg("signals %#x truncated %d ids %zu, want 0, 0, %d", mime_walk_signals(w),
		    mime_walk_truncated(w), mime_walk_original_ids(w, ids, MIME_IDS_MAX),
		    MIME_IDS_MAX);
	assert_string_equal(ids[0], "m0@customer.example");
	mime_walk_free(w);
}

/* --- parties of the attached messages ------------------------------------------------- */

/*
 * Two enclosed messages: only the one that names a protected mailbox lends
 * its parties, whole (Bob+Tickets is not cut with the policy's "+").
 */
static const char two_enclosed[] =
	"--p\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: Other <other@elsewhere.example>\n"
	"To: colleague@corp.example\n"
	"\n"
	"x\n"
	"--p\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: \"Customer, C.\" <C@Customer.Example>\n"
	"Sender: agent@customer.example\n"
	"Reply-To: Bob+Tickets@customer.example, c@customer.example\n"
	"To: helpdesk@corp.example\n"
	"Cc: (copy) lawyer@firm.example\n"
	"Bcc: hidden@firm.example\n"
	"Delivered-To: support@corp.example\n"
	"X-Original-To: alias@corp.example\n"
	"\n"
	"body\n"
	"--p--\n";

static void test_parties_of_signalling_message_only(void **state)
{
	static const char *const want[] = {
		"c@customer.example", "agent@customer.example", "bob+tickets@customer.example",
		"helpdesk@corp.example", "lawyer@firm.example"
	};
	static const size_t steps[] = { 0, 1, 3, 7 };
	const char *got[MIME_PARTIES_MAX];
	size_t s, n, i;

	(void)state;
	for (s = 0; s < NCASES(steps); s++) {
		struct mime_walk *w = walk("multipart/mixed; boundary=p", two_enclosed, steps[s]);

		n = mime_walk_parties(w, got, MIME_PARTIES_MAX);
		if (mime_walk_signals(w) != ATT || n != NCASES(want))
			fail_msg("step %zu: signals %#x, %zu parties, want attached-message and %zu",
			    steps[s], mime_walk_signals(w), n, NCASES(want));
		for (i = 0; i < n; i++)
			if (strcmp(got[i], want[i]) != 0)
				fail_msg("step %zu: party %zu got %s want %s", steps[s], i, got[i],
				    want[i]);
		assert_int_equal(mime_walk_parties(w, got, 2), 2);
		mime_walk_free(w);
	}
}

static void test_parties_none_without_signal(void **state)
{
	const char *got[MIME_PARTIES_MAX];
	struct mime_walk *w = walk("multipart/mixed; boundary=c", colleague_attached, 0);

	(void)state;
	assert_int_equal(mime_walk_parties(w, got, MIME_PARTIES_MAX), 0);
	mime_walk_free(w);
}

/* The signal from To before the block ends (it never ends here): parties still count. */
static void test_parties_of_unended_block_and_bounded(void **state)
{
	char body[4096];
	const char *got[MIME_PARTIES_MAX + 1];
	size_t o, i;
	struct mime_walk *w;

	(void)state;
	o = (size_t)snprintf(body, sizeof(body), "Cc: ");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%sp%zu@firm.example",
		    i > 0 ? ", " : "", i);
	snprintf(body + o, sizeof(body) - o, "\nTo: support@corp.example\nFrom: last@x.example\n");
	w = walk("message/rfc822", body, 7);
	if (mime_walk_signals(w) != ATT || mime_walk_parties(w, got, MIME_PARTIES_MAX + 1) !=
	    MIME_PARTIES_MAX)
		fail_msg("signals %#x parties %zu, want attached-message and %d", mime_walk_signals(w),
		    mime_walk_parties(w, got, MIME_PARTIES_MAX + 1), MIME_PARTIES_MAX);
	assert_string_equal(got[0], "p0@firm.example");
	mime_walk_free(w);
}

/*
 * A forged bounce: a decoy written to the bounce's recipient and the real
 * message to support@, both giving the signal.  Only what both name is
 * exempt: nobody.
 */
static const char decoy_and_real[] =
	"--d\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: insider@corp.example\n"
	"To: consultant@fti.example\n"
	"Delivered-To: support@corp.example\n"
	"\n"
	"decoy\n"
	"--d\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: Customer <c@customer.example>\n"
	"To: support@corp.example\n"
	"Delivered-To: support@corp.example\n"
	"\n"
	"the real thing\n"
	"--d--\n";

/* The same two, each also naming the customer: she stays a party of both. */
static const char two_same_party[] =
	"--d\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: c@customer.example\n"
	"To: support@corp.example\n"
	"\n"
	"first\n"
	"--d\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Delivered-To: support@corp.example\n"
	"Cc: other@customer.example, C@Customer.Example\n"
	"To: support@corp.example\n"
	"\n"
	"second\n"
	"--d--\n";

/* A signalling TNEF file next to an ordinary returned message. */
static const char tnef_and_message[] =
	"--w\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: c@customer.example\n"
	"To: support@corp.example\n"
	"\n"
	"x\n"
	TNEF_PART;

static bool parties_hold(const char *const *got, size_t n, const char *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(got[i], addr) == 0)
			return true;
	return false;
}

static void test_parties_intersect(void **state)
{
	static const struct {
		const char *ctype;
		const char *body;
		const char *in;		/* must be among the parties, or NULL */
		const char *out;	/* must not be */
		size_t n;
	} cases[] = {
		{ "multipart/mixed; boundary=d", decoy_and_real, NULL, "consultant@fti.example", 0 },
		{ "multipart/mixed; boundary=d", two_same_party, "c@customer.example",
		    "other@customer.example", 2 },
		{ "multipart/mixed; boundary=w", tnef_and_message, NULL, "c@customer.example", 0 },
	};
	static const size_t steps[] = { 0, 1, 5 };
	const char *got[MIME_PARTIES_MAX];
	size_t c, s, n;

	(void)state;
	for (c = 0; c < NCASES(cases); c++)
		for (s = 0; s < NCASES(steps); s++) {
			struct mime_walk *w = walk(cases[c].ctype, cases[c].body, steps[s]);

			n = mime_walk_parties(w, got, MIME_PARTIES_MAX);
			if (mime_walk_signals(w) != ATT || n != cases[c].n ||
			    (cases[c].in != NULL && !parties_hold(got, n, cases[c].in)) ||
			    parties_hold(got, n, cases[c].out))
				fail_msg("case %zu step %zu: signals %#x, %zu parties (want %zu), "
				    "%s in, %s out", c, steps[s], mime_walk_signals(w), n,
				    cases[c].n, show(cases[c].in), cases[c].out);
			mime_walk_free(w);
		}
}

/* --- limits ----------------------------------------------------------------------- */

/* Builds a body of n levels of multipart each holding the next. */
static char *deep_body(size_t levels, size_t *len)
{
	size_t cap = levels * 120 + 200, o = 0, i;
	char *b = malloc(cap);

	assert_non_null(b);
	for (i = 0; i < levels; i++)
		o += (size_t)snprintf(b + o, cap - o,
		    "--l%zu\nContent-Type: multipart/mixed; boundary=l%zu\n\n", i, i + 1);
	o += (size_t)snprintf(b + o, cap - o,
	    "--l%zu\nContent-Type: message/rfc822\n\nDelivered-To: support@corp.example\n\n",
	    levels);
	*len = o;
	return b;
}

static void test_depth_50_is_bounded_and_truncated(void **state)
{
	size_t len;
	char *b = deep_body(50, &len);
	struct mime_walk *w = mime_walk_new(&test_policy, "multipart/mixed; boundary=l0");

	(void)state;
	mime_walk_feed(w, b, len);
	assert_true(mime_walk_truncated(w));
	mime_walk_free(w);
	free(b);
}

static void test_depth_within_limit_is_read(void **state)
{
	size_t len;
	char *b = deep_body(MIME_DEPTH_MAX - 2, &len);
	struct mime_walk *w = mime_walk_new(&test_policy, "multipart/mixed; boundary=l0");

	(void)state;
	mime_walk_feed(w, b, len);
	if (mime_walk_signals(w) != ATT || mime_walk_truncated(w))
		fail_msg("signals got %#x truncated %d, want attached-message, not truncated",
		    mime_walk_signals(w), mime_walk_truncated(w));
	mime_walk_free(w);
	free(b);
}

static void test_10k_parts_stop_at_limit(void **state)
{
	static const char part[] = "--p\nContent-Type: text/plain\n\nx\n";
	static const char late[] =
	    "--p\nContent-Type: message/rfc822\n\nDelivered-To: support@corp.example\n\n--p--\n";
	struct mime_walk *w = mime_walk_new(&test_policy, "multipart/mixed; boundary=p");
	size_t i;

	(void)state;
	for (i = 0; i < 10000; i++)
		mime_walk_feed(w, part, sizeof(part) - 1);
	mime_walk_feed(w, late, sizeof(late) - 1);
	if (!mime_walk_truncated(w) || mime_walk_signals(w) != 0)
		fail_msg("truncated got %d signals %#x, want truncated and nothing past the limit",
		    mime_walk_truncated(w), mime_walk_signals(w));
	mime_walk_free(w);
}

static void test_unterminated_boundaries_are_harmless(void **state)
{
	static const char body[] =
	    "--u\nContent-Type: multipart/mixed; boundary=v\n\n--v\nContent-Type: message/rfc822\n\n"
	    "To: support@corp.example\nMessage-ID: <m@x>\n";
	struct mime_walk *w = walk("multipart/mixed; boundary=u", body, 5);
	const char *ids[2];

	(void)state;
	/* The header block never ended: the fields read so far still count. */
	assert_int_equal(mime_walk_signals(w), ATT);
	assert_int_equal(mime_walk_original_ids(w, ids, 2), 0);
	assert_false(mime_walk_truncated(w));
	mime_walk_free(w);
}

static void test_5mb_junk_then_more_is_truncated(void **state)
{
	size_t chunk = 64 * 1024, i;
	char *junk = malloc(chunk);
	struct mime_walk *w = mime_walk_new(&test_policy, "multipart/mixed; boundary=j");
	static const char late[] =
	    "\n--j\nContent-Type: message/rfc822\n\nDelivered-To: support@corp.example\n\n";

	(void)state;
	assert_non_null(junk);
	/* No line end at all: one 11 MB line must not be kept. */
	memset(junk, 'A', chunk);
	for (i = 0; i < (11u * 1024 * 1024) / chunk; i++)
		mime_walk_feed(w, junk, chunk);
	mime_walk_feed(w, late, sizeof(late) - 1);
	if (!mime_walk_truncated(w) || mime_walk_signals(w) != 0)
		fail_msg("truncated got %d signals %#x, want truncated, nothing read past 10 MB",
		    mime_walk_truncated(w), mime_walk_signals(w));
	mime_walk_free(w);
	free(junk);
}

static void test_5mb_junk_within_limit_still_read(void **state)
{
	size_t chunk = 64 * 1024, i;
	char *junk = malloc(chunk);
	struct mime_walk *w = mime_walk_new(&test_policy, "multipart/mixed; boundary=j");
	static const char late[] =
	    "\n--j\nContent-Type: message/rfc822\n\nDelivered-To: support@corp.example\n\n";

	(void)state;
	assert_non_null(junk);
	memset(junk, '-', chunk);
	for (i = 0; i < chunk; i += 100)
		junk[i] = '\n';
	for (i = 0; i < (5u * 1024 * 1024) / chunk; i++)
		mime_walk_feed(w, junk, chunk);
	mime_walk_feed(w, late, sizeof(late) - 1);
	if (mime_walk_truncated(w) || mime_walk_signals(w) != ATT)
		fail_msg("truncated got %d signals %#x, want read to the end", mime_walk_truncated(w),
		    mime_walk_signals(w));
	mime_walk_free(w);
	free(junk);
}

static void test_huge_header_is_cut_not_kept(void **state)
{
	size_t big = 200 * 1024;
	char *hdr = malloc(big);
	struct mime_walk *w = mime_walk_new(&test_policy, "message/rfc822");
	static const char after[] = "\nDelivered-To: support@corp.example\n\n";

	(void)state;
	assert_non_null(hdr);
	memcpy(hdr, "X-Junk: ", 8);
	memset(hdr + 8, 'x', big - 8);
	mime_walk_feed(w, hdr, big);
	mime_walk_feed(w, after, sizeof(after) - 1);
	if (!mime_walk_truncated(w) || mime_walk_signals(w) != ATT)
		fail_msg("truncated got %d signals %#x, want truncated and later headers read",
		    mime_walk_truncated(w), mime_walk_signals(w));
	mime_walk_free(w);
	free(hdr);
}

static void test_overlong_boundary_is_truncated(void **state)
{
	char ctype[300];
	struct mime_walk *w;

	(void)state;
	snprintf(ctype, sizeof(ctype), "multipart/mixed; boundary=%0*d", MIME_BOUNDARY_MAX + 1, 7);
	w = mime_walk_new(&test_policy, ctype);
	assert_true(mime_walk_truncated(w));
	mime_walk_free(w);
	mime_walk_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_table),
		cmocka_unit_test(test_nested_ids_in_order),
		cmocka_unit_test(test_top_level_encoding),
		cmocka_unit_test(test_many_ids_are_no_truncation),
		cmocka_unit_test(test_parties_of_signalling_message_only),
		cmocka_unit_test(test_parties_none_without_signal),
		cmocka_unit_test(test_parties_intersect),
		cmocka_unit_test(test_parties_of_unended_block_and_bounded),
		cmocka_unit_test(test_depth_50_is_bounded_and_truncated),
		cmocka_unit_test(test_depth_within_limit_is_read),
		cmocka_unit_test(test_10k_parts_stop_at_limit),
		cmocka_unit_test(test_unterminated_boundaries_are_harmless),
		cmocka_unit_test(test_5mb_junk_then_more_is_truncated),
		cmocka_unit_test(test_5mb_junk_within_limit_still_read),
		cmocka_unit_test(test_huge_header_is_cut_not_kept),
		cmocka_unit_test(test_overlong_boundary_is_truncated),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
