/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_evidence.c - header and recipient evidence (policy/evidence.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "evidence.h"
#include "evidence_fixture.h"

#define S(x)	SIGNAL_BIT(SIGNAL_##x)
#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void parse_or_fail(const char *raw, struct address *a)
{
	if (address_parse(raw, strlen(raw), a) != ADDRESS_OK)
		fail_msg("test address %s does not parse", raw);
}

/* --- one header, one signal ------------------------------------------------------ */

static const struct {
	const char *name;
	const char *header;
	const char *value;
	signal_set want;
	const char *want_mailbox;
} header_cases[] = {
	{ "delivered-to names protected", "Delivered-To", "support@corp.example",
	  S(DELIVERED_TO), "support@corp.example" },
	{ "delivered-to header name any case, extension and case folded", "delivered-TO",
	  "Support+tickets@Corp.Example", S(DELIVERED_TO), "support@corp.example" },
	{ "delivered-to colleague is not evidence", "Delivered-To", "colleague@corp.example",
	  0, NULL },
	{ "delivered-to lookalike suffix domain", "Delivered-To",
	  "support@corp.example.evil.test", 0, NULL },
	{ "delivered-to lookalike prefix domain", "Delivered-To", "support@evilcorp.example",
	  0, NULL },
	{ "delivered-to routed address never protected", "Delivered-To",
	  "support%evil.test@corp.example", 0, NULL },
	{ "original-to names protected", "X-Original-To", "contactfr@corp.example",
	  S(ORIGINAL_TO), "contactfr@corp.example" },
	{ "original-to other mailbox", "X-Original-To", "sales@corp.example", 0, NULL },
	{ "received for protected", "Received",
	  "from mx.corp.example (mx.corp.example [127.0.0.1])\r\n\tby mail.corp.example "
	  "(Postfix) with ESMTP id 4Xy\r\n\tfor <support@corp.example>; Mon, 1 Jan 2024 "
	  "10:00:00 +0000", S(RECEIVED_FOR), "support@corp.example" },
	{ "received for without brackets", "Received",
	  "by mail.corp.example with LMTP FOR Support@corp.example; Mon, 1 Jan 2024",
	  S(RECEIVED_FOR), "support@corp.example" },
	{ "received for inside a comment is ignored", "Received",
	  "from a (helo for <support@corp.example>) by b with SMTP; Mon, 1 Jan 2024",
	  0, NULL },
	{ "received for another mailbox", "Received",
	  "by mail.corp.example with ESMTP for <sales@corp.example>; Mon, 1 Jan 2024",
	  0, NULL },
	{ "received from protected host name is not for", "Received",
	  "from support.corp.example by mail.corp.example; Mon, 1 Jan 2024", 0, NULL },
	{ "received word ending in for is not for", "Received",
	  "by b with ESMTP wherefor <support@corp.example>; Mon, 1 Jan 2024", 0, NULL },
	{ "received for lookalike", "Received",
	  "by b with ESMTP for <support@corp.example.evil.test>; Mon", 0, NULL },
	{ "sieve redirect from protected", "X-Sieve-Redirected-From",
	  "support@corp.example", S(SIEVE_REDIRECT), "support@corp.example" },
	{ "sieve redirect from other", "X-Sieve-Redirected-From", "me@corp.example", 0, NULL },
	{ "exchange inbox rules loop", "X-MS-Exchange-Inbox-Rules-Loop",
	  "support@corp.example", S(EXCHANGE_RULE), "support@corp.example" },
	{ "exchange forwarding loop with tenant id", "X-MS-Exchange-ForwardingLoop",
	  "support@corp.example;72f988bf-86f1-41af-91ab-2d7cd011db47", S(EXCHANGE_RULE),
	  "support@corp.example" },
	{ "exchange forwarding loop of another mailbox", "X-MS-Exchange-ForwardingLoop",
	  "sales@corp.example;72f988bf-86f1-41af-91ab-2d7cd011db47", 0, NULL },
	{ "exchange autoforwarded true", "X-MS-Exchange-Organization-AutoForwarded",
	  " True ", S(EXCHANGE_AUTOFORWARD), NULL },
	{ "exchange autoforwarded false", "X-MS-Exchange-Organization-AutoForwarded",
	  "false", 0, NULL },
	{ "exchange mailbox rules agent", "X-MS-Exchange-Generated-Message-Source",
	  "Mailbox Rules Agent", S(EXCHANGE_AUTOFORWARD), NULL },
	{ "exchange transport rules agent", "X-MS-Exchange-Generated-Message-Source",
	  "Transport Rules Agent", 0, NULL },
	{ "gmail forwarded to", "X-Forwarded-To", "support@corp.example",
	  S(GMAIL_FORWARD), "support@corp.example" },
	{ "gmail forwarded for two blank-separated addresses", "X-Forwarded-For",
	  "support@corp.example consultant@fti.example", S(GMAIL_FORWARD),
	  "support@corp.example" },
	{ "gmail forwarded for others", "X-Forwarded-For",
	  "me@gmail.example consultant@fti.example", 0, NULL },
	{ "resent from protected with display name", "Resent-From",
	  "Support Desk <support@corp.example>", S(RESENT), "support@corp.example" },
	{ "resent sender protected", "Resent-Sender", "<contactfr@corp.example>",
	  S(RESENT), "contactfr@corp.example" },
	{ "resent to is not resent evidence", "Resent-To", "support@corp.example", 0, NULL },
	{ "display name lookalike is not the address", "Resent-From",
	  "\"support@corp.example\" <attacker@evil.test>", 0, NULL },
	{ "list id is context only", "List-Id", "<support.corp.example>", 0, NULL },
	{ "arc is context only", "ARC-Seal", "i=1; a=rsa-sha256; cv=none; d=corp.example",
	  0, NULL },
	{ "srs return path is context only", "Return-Path",
	  "<SRS0=abcd=TT=corp.example=support@fwd.example>", 0, NULL },
	{ "display name lookalike before an unreadable address", "Resent-From",
	  "\"support@corp.example\" <bad@@evil.test>", 0, NULL },
	{ "unknown header gives nothing", "X-Original-Delivered-To",
	  "support@corp.example", 0, NULL },
};

static void test_header_signals(void **state)
{
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	assert_non_null(ev);
	for (i = 0; i < NCASES(header_cases); i++) {
		signal_set got;

		evidence_reset(ev);
		evidence_header(ev, &test_policy, header_cases[i].header, header_cases[i].value);
		got = evidence_signals(ev);
		if (got != header_cases[i].want)
			fail_msg("%s: signals got %#x, want %#x", header_cases[i].name, (unsigned)got,
			    (unsigned)header_cases[i].want);
		if (!same(evidence_mailbox(ev), header_cases[i].want_mailbox))
			fail_msg("%s: mailbox got %s, want %s", header_cases[i].name,
			    show(evidence_mailbox(ev)), show(header_cases[i].want_mailbox));
	}
	evidence_free(ev);
}

static void test_first_named_mailbox_is_kept(void **state)
{
	struct evidence *ev = evidence_new();

	(void)state;
	evidence_header(ev, &test_policy, "Delivered-To", "contactfr@corp.example");
	evidence_header(ev, &test_policy, "X-Original-To", "support@corp.example");
	assert_int_equal(evidence_signals(ev), S(DELIVERED_TO) | S(ORIGINAL_TO));
	assert_string_equal(evidence_mailbox(ev), "contactfr@corp.example");
	evidence_free(ev);
}

static void test_every_named_mailbox_is_listed(void **state)
{
	static const char *const want[] = { "contactfr@corp.example", "support@corp.example" };
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	evidence_header(ev, &test_policy, "Delivered-To", "contactfr@corp.example");
	evidence_header(ev, &test_policy, "X-Original-To", "support@corp.example");
	evidence_header(ev, &test_policy, "Received", "by mx for <contactfr@corp.example>; d");
	for (i = 0; i < NCASES(want); i++)
		if (!same(evidence_mailbox_at(ev, i), want[i]))
			fail_msg("mailbox %zu: got %s, want %s", i, show(evidence_mailbox_at(ev, i)),
			    want[i]);
	if (evidence_mailbox_at(ev, NCASES(want)) != NULL)
		fail_msg("mailbox %zu: got %s, want none (listed once each)", NCASES(want),
		    evidence_mailbox_at(ev, NCASES(want)));
	evidence_reset(ev);
	if (evidence_mailbox_at(ev, 0) != NULL)
		fail_msg("after reset: got %s, want none", evidence_mailbox_at(ev, 0));
	evidence_free(ev);
}

static void test_context_flags(void **state)
{
	static const struct {
		const char *name;
		const char *header;
		const char *value;
		bool list, arc_srs;
	} cases[] = {
		{ "list id", "List-Id", "Users <users.lists.example>", true, false },
		{ "list unsubscribe", "list-unsubscribe", "<mailto:u@lists.example>", true, false },
		{ "arc seal", "ARC-Seal", "i=1; cv=none", false, true },
		{ "arc authentication results", "arc-authentication-results", "i=1; spf=pass",
		  false, true },
		{ "srs1 return path", "Return-Path", "<SRS1=x=a.example==y=TT=b.example=c@d.example>",
		  false, true },
		{ "ordinary return path", "Return-Path", "<customer@gmail.example>", false, false },
		{ "to is neither", "To", "a@b.example", false, false },
	};
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(cases); i++) {
		evidence_reset(ev);
		evidence_header(ev, &test_policy, cases[i].header, cases[i].value);
		if (evidence_is_list(ev) != cases[i].list ||
		    evidence_is_arc_or_srs(ev) != cases[i].arc_srs)
			fail_msg("%s: got list %d arc/srs %d, want %d %d", cases[i].name,
			    evidence_is_list(ev), evidence_is_arc_or_srs(ev), cases[i].list,
			    cases[i].arc_srs);
		if (evidence_signals(ev) != 0)
			fail_msg("%s: context header gave signals %#x", cases[i].name,
			    (unsigned)evidence_signals(ev));
	}
	evidence_free(ev);
}

static void test_from_and_message_id(void **state)
{
	struct evidence *ev = evidence_new();

	(void)state;
	assert_string_equal(evidence_from(ev), "");
	assert_string_equal(evidence_message_id(ev), "");
	evidence_header(ev, &test_policy, "from", "Help Desk <Support+x@Corp.Example>");
	evidence_header(ev, &test_policy, "From", "other@gmail.example");
	evidence_header(ev, &test_policy, "Message-ID", "  <20240101.abc@mail.corp.example> ");
	evidence_header(ev, &test_policy, "Message-Id", "<second@x.example>");
	assert_string_equal(evidence_from(ev), "support@corp.example");
	assert_string_equal(show(evidence_from_protected(ev)), "support@corp.example");
	assert_string_equal(evidence_message_id(ev), "20240101.abc@mail.corp.example");
	assert_int_equal(evidence_signals(ev), 0);

	evidence_reset(ev);
	evidence_header(ev, &test_policy, "From", "Jane <jane@gmail.example>");
	evidence_header(ev, &test_policy, "Message-ID", "no-brackets@x.example");
	assert_string_equal(evidence_from(ev), "jane@gmail.example");
	assert_null(evidence_from_protected(ev));
	assert_string_equal(evidence_message_id(ev), "no-brackets@x.example");

	evidence_reset(ev);
	evidence_header(ev, &test_policy, "From", "<<<unreadable");
	assert_string_equal(evidence_from(ev), "");
	assert_null(evidence_from_protected(ev));
	evidence_free(ev);
}

static void test_reset_forgets_everything(void **state)
{
	struct evidence *ev = evidence_new();

	(void)state;
	evidence_header(ev, &test_policy, "Delivered-To", "support@corp.example");
	evidence_header(ev, &test_policy, "From", "support@corp.example");
	evidence_header(ev, &test_policy, "To", "a@b.example, support@corp.example");
	evidence_header(ev, &test_policy, "List-Id", "x");
	evidence_reset(ev);
	assert_int_equal(evidence_signals(ev), 0);
	assert_null(evidence_mailbox(ev));
	assert_null(evidence_from_protected(ev));
	assert_string_equal(evidence_from(ev), "");
	assert_false(evidence_is_list(ev));
	evidence_free(ev);
	evidence_free(NULL);
}

/* --- hostile input ------------------------------------------------------------------- */

static char *make_address_list(size_t n, const char *last)
{
	size_t i, size = n * 24 + strlen(last) + 8, off = 0;
	char *buf = malloc(size);

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, size - off, "u%zu@x.example, ", i);
	snprintf(buf + off, size - off, "%s", last);
	return buf;
}

static void test_hostile_huge_value(void **state)
{
	static const char *const names[] = { "Delivered-To", "Received", "To", "From",
	    "Message-ID", "X-Forwarded-For", "X-MS-Exchange-ForwardingLoop" };
	size_t n = 100 * 1024, i;
	char *big = malloc(n + 1);
	struct evidence *ev = evidence_new();

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	for (i = 0; i < NCASES(names); i++)
		evidence_header(ev, &test_policy, names[i], big);
	assert_int_equal(evidence_signals(ev), 0);
	assert_true(strlen(evidence_message_id(ev)) <= EVIDENCE_MSGID_MAX);
	free(big);
	evidence_free(ev);
}

static void test_hostile_oversized_value_is_truncated(void **state)
{
	size_t n = 300 * 1024;
	char *big = malloc(n + 64);
	struct evidence *ev = evidence_new();

	(void)state;
	memset(big, ' ', n);
	/* evidence.c reads 256 KiB: a cut there would leave "support@corp.example". */
	memcpy(big + 256 * 1024 - 20, "support@corp.example.evil.test", 30);
	big[n] = '\0';
	evidence_header(ev, &test_policy, "Delivered-To", big);
	if (!evidence_truncated(ev))
		fail_msg("300 KiB value: truncated got false, want true");
	if (evidence_signals(ev) != 0)
		fail_msg("cut lookalike read as protected: signals %#x",
		    (unsigned)evidence_signals(ev));
	free(big);
	evidence_free(ev);
}

static void test_hostile_many_addresses(void **state)
{
	char *list = make_address_list(10000, "support@corp.example");
	struct evidence *ev = evidence_new();

	(void)state;
	evidence_header(ev, &test_policy, "To", list);
	if (!evidence_truncated(ev))
		fail_msg("10k To addresses: truncated got false, want true");
	assert_int_equal(evidence_signals(ev), 0);
	evidence_header(ev, &test_policy, "Delivered-To", list);
	if (evidence_signals(ev) != S(DELIVERED_TO))
		fail_msg("protected after 10k addresses: got %#x, want delivered-to",
		    (unsigned)evidence_signals(ev));
	free(list);
	evidence_free(ev);
}

static void test_hostile_garbage(void **state)
{
	static const char *const names[] = { "Delivered-To", "X-Original-To", "Received",
	    "X-Sieve-Redirected-From", "X-MS-Exchange-Inbox-Rules-Loop",
	    "X-MS-Exchange-ForwardingLoop", "X-Forwarded-For", "Resent-From", "From", "To",
	    "Cc", "Message-ID", "Return-Path" };
	uint32_t seed = 12345;
	char buf[4096];
	struct evidence *ev = evidence_new();
	size_t round, i, k;

	(void)state;
	for (round = 0; round < 200; round++) {
		size_t len = 1 + round * 20 % (sizeof(buf) - 1);

		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = (char)(1 + (seed >> 16) % 255);	/* NUL-free */
		}
		buf[len] = '\0';
		for (i = 0; i < NCASES(names); i++)
			evidence_header(ev, &test_policy, names[i], buf);
		evidence_header(ev, &test_policy, buf, buf);
	}
	assert_true(strlen(evidence_from(ev)) <= ADDRESS_CANONICAL_MAX);
	evidence_free(ev);
}

/* --- per-recipient signals ------------------------------------------------------------- */

static void test_orcpt(void **state)
{
	static const struct {
		const char *name;
		const char *orcpt;
		const char *want_mailbox;	/* NULL: no orcpt signal */
	} cases[] = {
		{ "plain rfc822 protected", "rfc822;support@corp.example", "support@corp.example" },
		{ "type is case-insensitive", "RFC822;contactfr@corp.example",
		  "contactfr@corp.example" },
		{ "xtext plus decodes to extension", "rfc822;support+2Bcase42@corp.example",
		  "support@corp.example" },
		{ "xtext lower-case hex is read", "rfc822;support+2bx@corp.example",
		  "support@corp.example" },
		{ "xtext equals sign changes the mailbox", "rfc822;support+3Dx@corp.example", NULL },
		{ "raw plus is malformed xtext", "rfc822;support+@corp.example", NULL },
		{ "short hex is malformed", "rfc822;support+2", NULL },
		{ "non-hex is malformed", "rfc822;support+ZZ@corp.example", NULL },
		{ "encoded NUL is malformed", "rfc822;support+00@corp.example", NULL },
		{ "raw equals is malformed", "rfc822;a=b@corp.example", NULL },
		{ "other address type", "x400;support@corp.example", NULL },
		{ "utf-8 type names the mailbox", "utf-8;support@corp.example",
		  "support@corp.example" },
		{ "utf-8 type is case-insensitive", "UTF-8;contactfr@corp.example",
		  "contactfr@corp.example" },
		{ "utf-8 embedded escape is decoded", "utf-8;support\\x{40}corp.example",
		  "support@corp.example" },
		{ "utf-8 escaped plus decodes to extension", "utf-8;support\\x{2b}x@corp.example",
		  "support@corp.example" },
		{ "utf-8 raw plus is malformed", "utf-8;support+2Bx@corp.example", NULL },
		{ "utf-8 raw backslash is malformed", "utf-8;sup\\port@corp.example", NULL },
		{ "utf-8 escaped control is malformed", "utf-8;support\\x{0}@corp.example", NULL },
		{ "utf-8 escape past unicode is malformed", "utf-8;support\\x{110000}@corp.example",
		  NULL },
		{ "utf-8 unclosed escape is malformed", "utf-8;support\\x{40corp.example", NULL },
		{ "missing type", "support@corp.example", NULL },
		{ "empty address", "rfc822;", NULL },
		{ "other mailbox", "rfc822;sales@corp.example", NULL },
		{ "lookalike domain", "rfc822;support@corp.example.evil.test", NULL },
		{ "absent", NULL, NULL },
	};
	struct evidence *ev = evidence_new();
	struct address rcpt;
	size_t i;

	(void)state;
	parse_or_fail("consultant@fti.example", &rcpt);
	for (i = 0; i < NCASES(cases); i++) {
		const char *mailbox = NULL;
		signal_set got = evidence_recipient(ev, &test_policy, &rcpt, cases[i].orcpt,
		    NULL, &mailbox);
		signal_set want = cases[i].want_mailbox ? S(ORCPT) : 0;

		if (got != want || !same(mailbox, cases[i].want_mailbox))
			fail_msg("%s: got %#x %s, want %#x %s", cases[i].name, (unsigned)got,
			    show(mailbox), (unsigned)want, show(cases[i].want_mailbox));
	}
	evidence_free(ev);
}

static void test_header_recipient(void **state)
{
	static const struct {
		const char *name;
		const char *from, *to, *cc;
		const char *sender;	/* NULL: null sender */
		const char *rcpt;
		bool want;
	} cases[] = {
		{ "redirect of a customer's message matches", "customer@gmail.example",
		  "support@corp.example", NULL, "customer@gmail.example", "consultant@fti.example",
		  true },
		{ "colleague's own message with bcc to a customer does not match",
		  "colleague@corp.example", "support@corp.example", NULL, "colleague@corp.example",
		  "customer@gmail.example", false },
		{ "sender extension still the sender's own message", "colleague@corp.example",
		  "support@corp.example", NULL, "colleague+bounce@corp.example",
		  "customer@gmail.example", false },
		{ "redirect by the mailbox keeping a colleague's from matches",
		  "colleague@corp.example", "support@corp.example", NULL, "support@corp.example",
		  "consultant@fti.example", true },
		{ "null sender redirect matches", "colleague@corp.example",
		  "support@corp.example", NULL, NULL, "consultant@fti.example", true },
		{ "recipient named in cc does not match", "customer@gmail.example",
		  "support@corp.example", "Consultant <Consultant@FTI.example>",
		  "customer@gmail.example", "consultant@fti.example", false },
		{ "internal recipient does not match", "customer@gmail.example",
		  "support@corp.example", NULL, "customer@gmail.example", "colleague@corp.example",
		  false },
		{ "no protected mailbox in to does not match", "customer@gmail.example",
		  "sales@corp.example", NULL, "customer@gmail.example", "consultant@fti.example",
		  false },
		{ "lookalike in to does not match", "customer@gmail.example",
		  "support@corp.example.evil.test", NULL, "customer@gmail.example",
		  "consultant@fti.example", false },
		{ "reply from the mailbox to the customer does not match", "support@corp.example",
		  "customer@gmail.example", "support@corp.example", "support@corp.example",
		  "customer@gmail.example", false },
	};
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(cases); i++) {
		struct address rcpt, sender;
		const char *mailbox = NULL;
		signal_set got;

		evidence_reset(ev);
		evidence_header(ev, &test_policy, "From", cases[i].from);
		evidence_header(ev, &test_policy, "To", cases[i].to);
		if (cases[i].cc)
			evidence_header(ev, &test_policy, "Cc", cases[i].cc);
		parse_or_fail(cases[i].rcpt, &rcpt);
		if (cases[i].sender)
			parse_or_fail(cases[i].sender, &sender);
		got = evidence_recipient(ev, &test_policy, &rcpt, NULL,
		    cases[i].sender ? &sender : NULL, &mailbox);
		if ((got == S(HEADER_RECIPIENT)) != cases[i].want || (got & ~S(HEADER_RECIPIENT)))
			fail_msg("%s: got %#x, want header-recipient %d", cases[i].name,
			    (unsigned)got, cases[i].want);
		if (cases[i].want && !same(mailbox, "support@corp.example"))
			fail_msg("%s: mailbox got %s, want support@corp.example", cases[i].name,
			    show(mailbox));
		if (!cases[i].want && mailbox != NULL)
			fail_msg("%s: mailbox got %s, want untouched", cases[i].name, mailbox);
	}
	evidence_free(ev);
}

/* --- answers: references, auto-reply markers, Content-Type, probe token ------------- */

static const struct {
	const char *name;
	const char *header;
	const char *value;
	bool want;
} autoreply_cases[] = {
	{ "auto-submitted auto-replied", "Auto-Submitted", "auto-replied", true },
	{ "auto-submitted auto-generated with comment", "auto-submitted",
	  "Auto-Generated (vacation)", true },
	{ "auto-submitted auto-notified", "Auto-Submitted", "auto-notified; owner-email=x", true },
	{ "auto-submitted no is a person", "Auto-Submitted", "no", false },
	{ "auto-submitted no with comment", "Auto-Submitted", " No (sent by a human)", false },
	{ "x-autoreply yes", "X-Autoreply", "yes", true },
	{ "x-autoreply no", "X-Autoreply", "no", false },
	{ "x-autorespond present", "X-Autorespond", "Your message", true },
	{ "precedence auto_reply", "Precedence", "auto_reply", true },
	{ "precedence bulk alone is a newsletter", "Precedence", "bulk", false },
	{ "precedence junk alone", "Precedence", "junk", false },
	{ "x-auto-response-suppress is no marker", "X-Auto-Response-Suppress", "All", false },
	{ "subject out of office", "Subject", "Out of Office: your request", true },
	{ "subject automatic reply any case", "Subject", "AUTOMATIC REPLY: hello", true },
	{ "subject auto colon", "Subject", "Auto: Re: invoice", true },
	{ "subject autoreply", "Subject", "Autoreply: invoice", true },
	{ "subject abwesenheitsnotiz", "Subject", "Abwesenheitsnotiz: Rechnung", true },
	{ "subject reponse automatique utf-8 encoded", "Subject",
	  "=?UTF-8?Q?R=C3=A9ponse_automatique=C2=A0:?= facture", true },
	{ "subject reponse automatique latin-1 capital encoded", "Subject",
	  "=?iso-8859-1?q?R=C9PONSE_AUTOMATIQUE?= : facture", true },
	{ "subject base64 encoded out of office", "Subject", "=?utf-8?B?T3V0IG9mIE9mZmljZQ==?=",
	  true },
	{ "subject absence colon", "Subject", "Absence: du 1er au 15", true },
	{ "subject absence without colon is a person", "Subject", "Absence of invoice", false },
	{ "subject fuera de la oficina", "Subject", "Fuera de la oficina", true },
	{ "human reply with re", "Subject", "Re: Out of Office", false },
	{ "ordinary subject", "Subject", "Question about my account", false },
	{ "word prefix is not the phrase", "Subject", "Autoreplying is fun", false },
	{ "malformed encoded word is text", "Subject", "=?utf-8?Q?=ZZ?= Out of office", false },
};

static void test_autoreply_markers(void **state)
{
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	assert_non_null(ev);
	for (i = 0; i < NCASES(autoreply_cases); i++) {
		evidence_reset(ev);
		evidence_header(ev, &test_policy, "Subject", "Re: Order 42");
		evidence_header(ev, &test_policy, autoreply_cases[i].header, autoreply_cases[i].value);
		if (evidence_is_autoreply(ev) != autoreply_cases[i].want)
			fail_msg("%s: got %d want %d", autoreply_cases[i].name,
			    evidence_is_autoreply(ev), autoreply_cases[i].want);
	}
	evidence_free(ev);
}

static void test_references_order_and_dedup(void **state)
{
	struct evidence *ev = evidence_new();
	const char *ids[EVIDENCE_REFS_MAX];
	size_t n;

	(void)state;
	evidence_header(ev, &test_policy, "References",
	    "<root@customer.example> (comment)\r\n\t<b@corp.example> <parent@customer.example>");
	evidence_header(ev, &test_policy, "In-Reply-To",
	    "Alice's message of Monday <parent@customer.example>");
	n = evidence_references(ev, ids, EVIDENCE_REFS_MAX);
	if (n != 3 || strcmp(ids[0], "parent@customer.example") != 0 ||
	    strcmp(ids[1], "root@customer.example") != 0 || strcmp(ids[2], "b@corp.example") != 0)
		fail_msg("got %zu ids (%s, %s, %s) want parent, root, b", n, n > 0 ? ids[0] : "",
		    n > 1 ? ids[1] : "", n > 2 ? ids[2] : "");
	evidence_free(ev);
}

static void test_references_long_keeps_root_and_last(void **state)
{
	struct evidence *ev = evidence_new();
	const char *ids[EVIDENCE_REFS_MAX + 4];
	char value[4096];
	size_t n, i, o = 0;

	(void)state;
	for (i = 0; i < 100; i++)
		o += (size_t)snprintf(value + o, sizeof(value) - o, "<id%zu@x.example> ", i);
	evidence_header(ev, &test_policy, "References", value);
	n = evidence_references(ev, ids, EVIDENCE_REFS_MAX + 4);
	if (n == 0 || n > EVIDENCE_REFS_MAX || strcmp(ids[0], "id0@x.example") != 0 ||
	    strcmp(ids[n - 1], "id99@x.example") != 0 || strcmp(ids[n - 2], "id98@x.example") != 0)
		fail_msg("got %zu ids, first %s last %s; want root and the nearest ancestors", n,
		    n > 0 ? ids[0] : "", n > 0 ? ids[n - 1] : "");
	assert_true(evidence_names_parent(ev, "id99@x.example"));
	assert_false(evidence_names_parent(ev, "id98@x.example"));
	assert_false(evidence_names_parent(ev, "id0@x.example"));
	evidence_free(ev);
}

/*
 * The direct parent: In-Reply-To's ids and References' last, even when
 * In-Reply-To names it too (then References' copy is not listed twice) or
 * names another; the thread's earlier messages are not it.
 */
static void test_references_parent(void **state)
{
	static const struct {
		const char *name;
		const char *irt, *refs;
		const char *parents[3], *others[3];
	} cases[] = {
		{ "a reply: both name the parent", "<b@c.example>", "<a@c.example> <b@c.example>",
		  { "b@c.example" }, { "a@c.example" } },
		{ "In-Reply-To names another", "<a@c.example>", "<a@c.example> <b@c.example>",
		  { "a@c.example", "b@c.example" }, { "x@c.example" } },
		{ "References only", NULL, "<a@c.example> <b@c.example> <c@c.example>",
		  { "c@c.example" }, { "a@c.example", "b@c.example" } },
		{ "In-Reply-To only, two ids", "<a@c.example> <b@c.example>", NULL,
		  { "a@c.example", "b@c.example" }, { "" } },
		{ "a junk tail names nobody", NULL, "<a@c.example> <", { NULL }, { "a@c.example", "" } },
	};
	struct evidence *ev = evidence_new();
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		evidence_reset(ev);
		if (cases[i].irt != NULL)
			evidence_header(ev, &test_policy, "In-Reply-To", cases[i].irt);
		if (cases[i].refs != NULL)
			evidence_header(ev, &test_policy, "References", cases[i].refs);
		for (k = 0; k < 3 && cases[i].parents[k] != NULL; k++)
			if (!evidence_names_parent(ev, cases[i].parents[k]))
				fail_msg("%s: %s is no parent", cases[i].name, cases[i].parents[k]);
		for (k = 0; k < 3 && cases[i].others[k] != NULL; k++)
			if (evidence_names_parent(ev, cases[i].others[k]))
				fail_msg("%s: %s taken for a parent", cases[i].name, cases[i].others[k]);
	}
	evidence_reset(ev);
	assert_false(evidence_names_parent(ev, ""));
	assert_false(evidence_names_parent(ev, NULL));
	evidence_free(ev);
}

static void test_content_type_and_probe_token(void **state)
{
	struct evidence *ev = evidence_new();

	(void)state;
	assert_string_equal(evidence_content_type(ev), "");
	assert_string_equal(evidence_probe_token(ev), "");
	evidence_header(ev, &test_policy, "Content-Type",
	    "  multipart/report; report-type=delivery-status;\r\n\tboundary=\"x y\"  ");
	evidence_header(ev, &test_policy, "Content-Type", "text/plain");
	evidence_header(ev, &test_policy, "X-Fwdguard-Probe", " tok-123\x01junk");
	if (strcmp(evidence_content_type(ev),
	    "multipart/report; report-type=delivery-status;\r\n\tboundary=\"x y\"") != 0)
		fail_msg("content-type got \"%s\", want the first one trimmed",
		    evidence_content_type(ev));
	if (strcmp(evidence_probe_token(ev), "tok-123") != 0)
		fail_msg("probe got \"%s\" want \"tok-123\"", evidence_probe_token(ev));
	evidence_reset(ev);
	assert_string_equal(evidence_content_type(ev), "");
	evidence_free(ev);
}

/* The headers a client's Forward button writes: Thunderbird's, Outlook's, the subject. */
static void test_forward_headers(void **state)
{
	struct evidence *ev = evidence_new();
	const char *ids[EVIDENCE_FWDIDS_MAX + 2];
	size_t n;

	(void)state;
	assert_non_null(ev);
	assert_int_equal(evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX), 0);
	assert_string_equal(evidence_conversation(ev), "");
	assert_false(evidence_forward_subject(ev));
	evidence_header(ev, &test_policy, "x-forwarded-message-id",
	    " <a1@customer.example>\r\n\t<b2@customer.example>, <a1@customer.example>");
	evidence_header(ev, &test_policy, "X-Forwarded-Message-Id", "<later@customer.example>");
	evidence_header(ev, &test_policy, "Thread-Index", "not base64 at all!");
	evidence_header(ev, &test_policy, "Thread-Index", "Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD");
	evidence_header(ev, &test_policy, "Thread-Index", "AQHZ7Yq+Zq0dGvU8TkCvC5MpV0zSHA==");
	evidence_header(ev, &test_policy, "Subject", "=?utf-8?Q?TR=C2=A0:_Out_of_office?=");
	n = evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX + 2);
	if (n != 2 || strcmp(ids[0], "a1@customer.example") != 0 ||
	    strcmp(ids[1], "b2@customer.example") != 0)
		fail_msg("forwarded ids: got %zu (%s, %s), want a1 and b2 of the first header", n,
		    n > 0 ? ids[0] : "", n > 1 ? ids[1] : "");
	if (strcmp(evidence_conversation(ev), "01d9ed8abe66ad1d1af53c4e40af0b93295f4cd21c00") != 0)
		fail_msg("conversation got \"%s\", want the first readable Thread-Index's",
		    evidence_conversation(ev));
	assert_true(evidence_forward_subject(ev));
	/* The Subject is still read for out-of-office phrases: a forward is none. */
	assert_false(evidence_is_autoreply(ev));
	/* None of them is a signal on its own: the store decides. */
	assert_int_equal(evidence_signals(ev), 0);
	evidence_reset(ev);
	{
		/* Thousands of ids: the first EVIDENCE_FWDIDS_MAX are kept, in one pass. */
		size_t k, o = 0, size = 200000;
		char *many = malloc(size);

		assert_non_null(many);
		for (k = 0; o + 32 < size; k++)
			o += (size_t)snprintf(many + o, size - o, "<f%zu@x.example> ", k);
		evidence_header(ev, &test_policy, "X-Forwarded-Message-Id", many);
		free(many);
		n = evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX + 2);
		if (n != EVIDENCE_FWDIDS_MAX || strcmp(ids[0], "f0@x.example") != 0)
			fail_msg("many forwarded ids: got %zu, first %s", n, n > 0 ? ids[0] : "");
	}
	evidence_reset(ev);
	assert_int_equal(evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX), 0);
	assert_string_equal(evidence_conversation(ev), "");
	assert_false(evidence_forward_subject(ev));
	evidence_header(ev, &test_policy, "Subject", "Automatic reply: Fwd: invoice");
	assert_true(evidence_is_autoreply(ev));
	assert_false(evidence_forward_subject(ev));
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_signals),
		cmocka_unit_test(test_first_named_mailbox_is_kept),
		cmocka_unit_test(test_every_named_mailbox_is_listed),
		cmocka_unit_test(test_context_flags),
		cmocka_unit_test(test_from_and_message_id),
		cmocka_unit_test(test_reset_forgets_everything),
		cmocka_unit_test(test_hostile_huge_value),
		cmocka_unit_test(test_hostile_oversized_value_is_truncated),
		cmocka_unit_test(test_hostile_many_addresses),
		cmocka_unit_test(test_hostile_garbage),
		cmocka_unit_test(test_orcpt),
		cmocka_unit_test(test_header_recipient),
		cmocka_unit_test(test_autoreply_markers),
		cmocka_unit_test(test_references_order_and_dedup),
		cmocka_unit_test(test_references_long_keeps_root_and_last),
		cmocka_unit_test(test_references_parent),
		cmocka_unit_test(test_content_type_and_probe_token),
		cmocka_unit_test(test_forward_headers),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
