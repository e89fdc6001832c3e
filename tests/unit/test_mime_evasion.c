/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mime_evasion.c - the MIME walker (policy/mime*.c) against the ways
 * around it an insider would try: a boundary longer than RFC 2046's 70
 * characters, an OLE file that is not an Outlook message (a Word document
 * quoting support@ is no forward) or is one under another name, and
 * recipient headers of an enclosed message broken with stray bytes.
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
#include "evidence_fixture.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define ATT		SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE)

/* Walks body under ctype, fed in chunks of step bytes (0: at once). */
static struct mime_walk *walk(const char *ctype, const char *body, size_t step)
{
	struct mime_walk *w = mime_walk_new(&test_policy, ctype);
	size_t len = strlen(body), off, n;

	assert_non_null(w);
	for (off = 0; off < len; off += n) {
		n = step == 0 || len - off < step ? len - off : step;
		mime_walk_feed(w, body + off, n);
	}
	return w;
}

/* --- boundaries past RFC 2046's 70 characters --------------------------------- */

/* A boundary of len characters, of the kind mailers write (a prefix, hex digits). */
static void make_boundary(char *out, size_t len, char tag)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = i + 1 == len ? tag : i < 7 ? "----=_P"[i] : hex[(i * 7 + (size_t)tag) % 16];
	out[len] = '\0';
}

/*
 * A forward as attachment inside two multiparts with boundaries of len
 * characters; the text part holds a line that is the inner boundary with
 * one more character, which must not end it, and the inner close
 * delimiter has trailing blanks (RFC 2046 allows them).
 */
static char *long_boundary_body(size_t len, bool crlf, char *ctype, size_t csize)
{
	char outer[256], inner[256], *b = malloc(4096);
	const char *nl = crlf ? "\r\n" : "\n";
	int n;

	assert_non_null(b);
	make_boundary(outer, len, 'o');
	make_boundary(inner, len, 'i');
	snprintf(ctype, csize, "multipart/mixed; boundary=\"%s\"", outer);
	n = snprintf(b, 4096,
	    "--%s%sContent-Type: multipart/alternative; boundary=\"%s\"%s%s"
	    "--%s%sContent-Type: text/plain%s%s--%sX%s--%s--  %s%s"
	    "--%s%sContent-Type: message/rfc822%s%s"
	    "From: Jane <jane@customer.example>%sDelivered-To: support@corp.example%s%s"
	    "account 1234%s--%s--%s",
	    outer, nl, inner, nl, nl,
	    inner, nl, nl, nl, inner, nl, inner, nl, nl,
	    outer, nl, nl, nl,
	    nl, nl, nl,
	    nl, outer, nl);
	assert_true(n > 0 && n < 4096);
	return b;
}

static void test_long_boundaries_are_read(void **state)
{
	static const size_t lens[] = { 71, 76, 130, MIME_BOUNDARY_MAX };
	static const size_t steps[] = { 0, 1, 7, 64 };
	char ctype[400];
	size_t i, s, c;

	(void)state;
	for (i = 0; i < NCASES(lens); i++)
		for (c = 0; c < 2; c++)
			for (s = 0; s < NCASES(steps); s++) {
				char *body = long_boundary_body(lens[i], c == 1, ctype, sizeof(ctype));
				struct mime_walk *w = walk(ctype, body, steps[s]);

				if (mime_walk_signals(w) != ATT || mime_walk_truncated(w))
					fail_msg("boundary of %zu (crlf %zu, step %zu): signals %#x "
					    "truncated %d, want attached-message, examined whole", lens[i],
					    c, steps[s], mime_walk_signals(w), mime_walk_truncated(w));
				mime_walk_free(w);
				free(body);
			}
}

static void test_boundary_past_the_bound_is_not_examined(void **state)
{
	char ctype[400], *body;
	struct mime_walk *w;

	(void)state;
	body = long_boundary_body(MIME_BOUNDARY_MAX + 1, false, ctype, sizeof(ctype));
	w = walk(ctype, body, 0);
	if (!mime_walk_truncated(w))
		fail_msg("boundary of %d: want not examined whole (truncated)", MIME_BOUNDARY_MAX + 1);
	mime_walk_free(w);
	free(body);
}

/* --- OLE compound files: only an Outlook message is one ----------------------- */

/* An OLE file with Word's streams whose text quotes support@ (ASCII and UTF-16LE). */
#define DOC_B64 \
	"0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSAG8AbwB0ACAARQBuAHQAcgB5AAAAAAAA\n" \
	"AFcAbwByAGQARABvAGMAdQBtAGUAbgB0AAAAAAAxAFQAYQBiAGwAZQAAAFBsZWFzZSB3cml0ZSB0\n" \
	"byBzdXBwb3J0QGNvcnAuZXhhbXBsZSB0b2RheS4ATQBhAGkAbAAgAHMAdQBwAHAAbwByAHQAQABj\n" \
	"AG8AcgBwAC4AZQB4AGEAbQBwAGwAZQAAAA==\n"
/*
 * An Outlook message: "Delivered-To: support@..." first, then the
 * directory names "__substg1.0_007D001F" and "__properties_version1.0".
 */
#define MSG_B64 \
	"0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABEZWxpdmVyZWQtVG86IHN1cHBvcnRAY29y\n" \
	"cC5leGFtcGxlDQoAAFIAbwBvAHQAIABFAG4AdAByAHkAAABfAF8AcwB1AGIAcwB0AGcAMQAuADAA\n" \
	"XwAwADAANwBEADAAMAAxAEYAAABfAF8AcAByAG8AcABlAHIAdABpAGUAcwBfAHYAZQByAHMAaQBv\n" \
	"AG4AMQAuADAAAAA=\n"

#define PART(headers, b64) \
	"--m\n" headers "Content-Transfer-Encoding: base64\n\n" b64 "--m--\n"

static const struct {
	const char *name;
	const char *body;
	signal_set want;
} ole_cases[] = {
	{ "Word document quoting support@", PART("Content-Type: application/msword; "
	  "name=\"report.doc\"\n", DOC_B64), 0 },
	{ "Word document with no type or name", PART("Content-Type: application/octet-stream\n",
	  DOC_B64), 0 },
	{ "Outlook message known by its directory, no type or name",
	  PART("Content-Type: application/octet-stream\n", MSG_B64), ATT },
	{ "Outlook message renamed .doc", PART("Content-Type: application/msword\n"
	  "Content-Disposition: attachment; filename=\"notes.doc\"\n", MSG_B64), ATT },
	{ "OLE file declared application/vnd.ms-outlook", PART("Content-Type: "
	  "application/vnd.ms-outlook\n", DOC_B64), ATT },
	{ "OLE file named .msg", PART("Content-Type: application/octet-stream; "
	  "name=\"Fwd: invoice.msg\"\n", DOC_B64), ATT },
};

static void test_ole_only_outlook_messages(void **state)
{
	static const size_t steps[] = { 0, 1, 3, 64 };
	size_t i, s;

	(void)state;
	for (i = 0; i < NCASES(ole_cases); i++)
		for (s = 0; s < NCASES(steps); s++) {
			struct mime_walk *w = walk("multipart/mixed; boundary=m", ole_cases[i].body,
			    steps[s]);

			if (mime_walk_signals(w) != ole_cases[i].want || mime_walk_truncated(w))
				fail_msg("%s (step %zu): signals %#x truncated %d, want %#x, examined "
				    "whole", ole_cases[i].name, steps[s], mime_walk_signals(w),
				    mime_walk_truncated(w), ole_cases[i].want);
			mime_walk_free(w);
		}
}

/* --- recipients of an enclosed message, read fail closed ---------------------- */

static const struct {
	const char *name;
	const char *headers;
	signal_set want;
} rcpt_cases[] = {
	{ "control byte before the @", "To: support\x01@corp.example\n", ATT },
	{ "an 8-bit byte after", "To: support@corp.example\xe9\n", ATT },
	{ "unclosed angle bracket", "To: Support <support@corp.example\n", ATT },
	{ "blanks around the @ and a dot", "Cc: support @ corp . example\n", ATT },
	{ "DEL and a dot after the domain", "To: Customer Service <support@corp.example\x7f.>\n",
	  ATT },
	{ "an 8-bit byte before a dot of the domain",
	  "Cc: a@customer.example, support@corp\x80.example\n", ATT },
	{ "an escape sequence in a list", "To: \x1b[0m support@corp.example \x1b[0m, b@x.example\n",
	  ATT },
	{ "look-alike local part with junk", "To: xsupport@corp.example\x01\n", 0 },
	{ "look-alike domain with junk", "To: support@corp.example.evil.test\x01\n", 0 },
	{ "display name with junk", "To: \"support@corp.example\" <x@evil\x01.test>\n", 0 },
	{ "encoded word with junk", "To: =?utf-8?q?support@corp.example?= <y@evil\x01.test>\n",
	  0 },
	{ "comment with junk", "Cc: (support@corp.example) z@evil.test\x02\n", 0 },
	{ "look-alike domain across blanks", "To: support @ corp.example.evil.test\x01\n", 0 },
	{ "routed address with junk", "To: support%evil.test@corp.example\x01\n", 0 },
};

static void test_enclosed_recipients_fail_closed(void **state)
{
	char body[512];
	const char *parties[MIME_PARTIES_MAX];
	size_t i, np;

	(void)state;
	for (i = 0; i < NCASES(rcpt_cases); i++) {
		struct mime_walk *w;

		snprintf(body, sizeof(body), "From: Jane <jane@customer.example>\n%s"
		    "Message-ID: <m%zu@customer.example>\n\nbody\n", rcpt_cases[i].headers, i);
		w = walk("message/rfc822", body, 0);
		if (mime_walk_signals(w) != rcpt_cases[i].want)
			fail_msg("%s: signals %#x, want %#x", rcpt_cases[i].name, mime_walk_signals(w),
			    rcpt_cases[i].want);
		if (rcpt_cases[i].want != 0 &&
		    strcmp(mime_walk_mailbox(w) ? mime_walk_mailbox(w) : "", "support@corp.example"))
			fail_msg("%s: mailbox %s, want support@corp.example", rcpt_cases[i].name,
			    mime_walk_mailbox(w) ? mime_walk_mailbox(w) : "(null)");
		/* What only the fail-closed reading saw never excuses a recipient. */
		np = mime_walk_parties(w, parties, MIME_PARTIES_MAX);
		while (rcpt_cases[i].want != 0 && np-- > 0)
			if (strstr(parties[np], "support@") != NULL)
				fail_msg("%s: party %s, want none read fail closed", rcpt_cases[i].name,
				    parties[np]);
		mime_walk_free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_boundaries_are_read),
		cmocka_unit_test(test_boundary_past_the_bound_is_not_examined),
		cmocka_unit_test(test_ole_only_outlook_messages),
		cmocka_unit_test(test_enclosed_recipients_fail_closed),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
