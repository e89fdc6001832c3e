/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_evidence_junk.c - trace headers with stray bytes, odd spelling and
 * broken syntax still name the protected mailbox (policy/evidence.c,
 * policy/trace.c), and look-alikes never do.
 *
 * Each header that names a mailbox is tried with each form of junk around
 * the address; each case says what it got and what it wanted.
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
#define MAILBOX	"support@corp.example"

/* Every header read as an address list, with the signal it gives. */
static const struct {
	const char *header;
	signal_set signal;
} names_headers[] = {
	{ "Delivered-To", S(DELIVERED_TO) },
	{ "X-Original-To", S(ORIGINAL_TO) },
	{ "X-Sieve-Redirected-From", S(SIEVE_REDIRECT) },
	{ "X-MS-Exchange-Inbox-Rules-Loop", S(EXCHANGE_RULE) },
	{ "X-MS-Exchange-ForwardingLoop", S(EXCHANGE_RULE) },
	{ "X-Forwarded-To", S(GMAIL_FORWARD) },
	{ "X-Forwarded-For", S(GMAIL_FORWARD) },
	{ "Resent-From", S(RESENT) },
	{ "Resent-Sender", S(RESENT) },
};

/* Values that name support@ through junk; %s is the address. */
static const struct {
	const char *name;
	const char *form;
} junk_forms[] = {
	{ "control byte after", "%s\x01" },
	{ "control byte before", "\x01%s" },
	{ "DEL after", "%s\x7f" },
	{ "escape then blank before", "\x1b %s" },
	{ "vertical tab and form feed after blank", "%s \x0b\x0c" },
	{ "8-bit byte after", "%s\xe9" },
	{ "8-bit byte before", "\xe9%s" },
	{ "8-bit bytes inside blanks", " \x80\xff %s \xfe " },
	{ "no-break space after", "%s\xc2\xa0" },
	{ "blanks and tabs", " \t  %s \t " },
	{ "folded with CRLF", "\r\n\t%s\r\n " },
	{ "folded with LF", "\n %s" },
	{ "comment before", "(forwarded by rule 7) %s" },
	{ "comment after", "%s (rule 7)" },
	{ "angle brackets", "<%s>" },
	{ "junk inside angle brackets", "< \x01%s\x7f >" },
	{ "double angle brackets", "<<%s>>" },
	{ "display name", "Support Desk <%s>" },
	{ "trailing dot", "%s." },
	{ "trailing dots", "%s..." },
	{ "unclosed comment before", "( %s" },
	{ "unclosed angle bracket", "<%s" },
	{ "unclosed quote before", "\" %s" },
	{ "stray closer after", "%s>" },
	{ "after another address and junk", "x@evil.test \x01 %s" },
	{ "unreadable address before", "a@@b, %s" },
	{ "junk between two bare words", "me@gmail.example\x1b%s" },
	{ "blanks around '@' and dots", "support @ corp . example" },
	{ "folded around '@'", "support\r\n @corp.example" },
	{ "comment before '@'", "support(desk)@corp.example" },
	{ "junk before '@'", "support\x01@corp.example" },
};

static const char *const cases_mailbox[] = { MAILBOX, "SUPPORT@Corp.EXAMPLE", "Support+x@corp.example" };

/* Values that must never count: look-alikes, display names, encoded words. */
static const char *const lookalikes[] = {
	"xsupport@corp.example",
	"support@corp.example.evil.test",
	"support@corp.exampleX",
	"support@evilcorp.example",
	"\xc3\xa9support@corp.example",	/* a real UTF-8 local part, not junk */
	"\"support@corp.example\" <x@evil.test>",
	"support@corp.example <x@evil.test>",
	"=?utf-8?q?support=40corp.example?= <x@evil.test>",
	"=?utf-8?Q?support@corp.example?= <x@evil.test>",
	"(support@corp.example) x@evil.test",
	"xsupport@corp.example\x01",
	"support@corp.example.evil.test\x7f",
	"support@corp.exampleX\xe9",
	"\x01support@corp.example.evil.test.",
	"\"support@corp.example\" <x@evil.test>\x01",
	"\"support@corp.example\"\x01<x@evil.test>",
	"\"support@corp.example\" <x@evil.test>>",
	"\"support@corp.example\" <x@evil.test",
	"=?utf-8?q?support=40corp.example?=\x01 <x@evil.test>",
	"(support@corp.example) <x@evil.test",
	"support%evil.test@corp.example\x01",
	"\"support\"@corp.example@evil.test",
	"xsupport @ corp.example",
	"support @ corp.example.evil.test\x01",
	"support @ corp.example . evil.test",
	"support@ corp.exampleX\x01",
};

/* The form with addr for its "%s" (a form without one is the value itself). */
static void value_of(char *buf, size_t size, const char *form, const char *addr)
{
	const char *pct = strstr(form, "%s");
	int n;

	if (pct == NULL)
		n = snprintf(buf, size, "%s", form);
	else
		n = snprintf(buf, size, "%.*s%s%s", (int)(pct - form), form, addr, pct + 2);
	if (n < 0 || (size_t)n >= size)
		fail_msg("test form %s does not fit", form);
}

/* Feeds one header to a fresh evidence and fails with got/want unless signals are want. */
static void expect_signals(struct evidence *ev, const char *what, const char *header,
    const char *value, signal_set want, const char *want_mailbox)
{
	signal_set got;

	evidence_reset(ev);
	evidence_header(ev, &test_policy, header, value);
	got = evidence_signals(ev);
	if (got != want)
		fail_msg("%s: %s: signals got %#x, want %#x", header, what, (unsigned)got,
		    (unsigned)want);
	if (want_mailbox != NULL && (evidence_mailbox(ev) == NULL ||
	    strcmp(evidence_mailbox(ev), want_mailbox) != 0))
		fail_msg("%s: %s: mailbox got %s, want %s", header, what,
		    evidence_mailbox(ev) ? evidence_mailbox(ev) : "(null)", want_mailbox);
}

static void test_names_through_junk(void **state)
{
	struct evidence *ev = evidence_new();
	char value[512], what[128];
	size_t h, f, m;

	(void)state;
	assert_non_null(ev);
	for (h = 0; h < NCASES(names_headers); h++)
		for (f = 0; f < NCASES(junk_forms); f++)
			for (m = 0; m < NCASES(cases_mailbox); m++) {
				value_of(value, sizeof(value), junk_forms[f].form, cases_mailbox[m]);
				snprintf(what, sizeof(what), "%s (%s)", junk_forms[f].name,
				    cases_mailbox[m]);
				expect_signals(ev, what, names_headers[h].header, value,
				    names_headers[h].signal, MAILBOX);
			}
	evidence_free(ev);
}

static void test_names_lookalikes(void **state)
{
	struct evidence *ev = evidence_new();
	size_t h, l;

	(void)state;
	for (h = 0; h < NCASES(names_headers); h++)
		for (l = 0; l < NCASES(lookalikes); l++)
			expect_signals(ev, lookalikes[l], names_headers[h].header, lookalikes[l], 0,
			    NULL);
	evidence_free(ev);
}

/* Received: values; %s is the address. */
static const struct {
	const char *name;
	const char *form;
} received_forms[] = {
	{ "plain", "from mx.example (mx.example [127.0.0.1])\r\n\tby mail.corp.example (Postfix) "
	  "with ESMTP id 4Xy\r\n\tfor <%s>; Mon, 1 Jan 2024 10:00:00 +0000" },
	{ "control byte inside angle brackets", "by mx with ESMTP id 4Xy for <%s\x01>; Mon" },
	{ "control byte before the address", "by mx with ESMTP id 4Xy for <\x01%s>; Mon" },
	{ "DEL after the angle bracket", "by mx with ESMTP id 4Xy for <%s>\x7f; Mon" },
	{ "8-bit byte inside angle brackets", "by mx with ESMTP id 4Xy for <%s\xe9>; Mon" },
	{ "8-bit bytes between for and address", "by mx id 4Xy for \xff\xfe <%s>; Mon" },
	{ "junk instead of blanks around for", "by mx\x01" "for\x02<%s>; Mon" },
	{ "no blank before the angle bracket", "by mx id 4Xy for<%s>; Mon" },
	{ "odd case", "by mx id 4Xy FoR <%s>; Mon" },
	{ "folded after for", "by mx id 4Xy for\r\n\t<%s>; Mon" },
	{ "folded with LF", "by mx id 4Xy\n\tfor\n <%s>; Mon" },
	{ "blanks inside angle brackets", "by mx id 4Xy for <  %s  >; Mon" },
	{ "comment between for and address", "by mx id 4Xy for (one recipient) <%s>; Mon" },
	{ "trailing dot", "by mx id 4Xy for <%s.>; Mon" },
	{ "trailing dots", "by mx id 4Xy for <%s..>; Mon" },
	{ "bare address", "by mx with LMTP for %s; Mon" },
	{ "bare address then junk", "by mx with LMTP for %s\x01; Mon" },
	{ "unclosed '(' before: a HELO name", "from helo( (localhost [127.0.0.1]) by mx "
	  "(Postfix) with ESMTP id 4Xy for <%s>; Mon, 1 Jan 2024 (UTC)" },
	{ "unclosed '(' twice", "from a(( by mx id 4Xy for <%s>; Mon" },
	{ "stray ')' before", "from a) by mx id 4Xy for <%s>; Mon" },
	{ "unclosed angle bracket to the end", "by mx id 4Xy for <%s" },
	{ "unclosed angle bracket then date", "by mx id 4Xy for <%s; Mon" },
	{ "double angle brackets", "by mx id 4Xy for <<%s>>; Mon" },
	{ "repeated for", "by mx id 4Xy for for <%s>; Mon" },
	{ "for opened twice", "by mx id 4Xy for <for <%s>; Mon" },
	{ "second address of a list", "by mx id 4Xy for <a@b.example>, <%s>; Mon" },
	{ "quote in the HELO name", "from \"helo by mx id 4Xy for <%s>; Mon" },
};

static const struct {
	const char *name;
	const char *value;
} received_lookalikes[] = {
	{ "for clause in a comment", "from a (helo for <support@corp.example>) by b id 4Xy; Mon" },
	{ "envelope-from comment", "from a by b with esmtp (envelope-from "
	  "<support@corp.example>) id 4Xy for <x@evil.test>; Mon" },
	{ "protected host name", "from support.corp.example by mail.corp.example; Mon" },
	{ "word ending in for", "by b wherefor <support@corp.example>; Mon" },
	{ "suffix look-alike", "by b for <support@corp.example.evil.test\x01>; Mon" },
	{ "prefix look-alike", "by b for <xsupport@corp.example>\x01; Mon" },
	{ "glued look-alike", "by b for <support@corp.exampleX>; Mon" },
	{ "display name in the for clause", "by b for \"support@corp.example\" <x@evil.test>; Mon" },
	{ "encoded word", "by b for =?utf-8?q?support=40corp.example?=; Mon" },
	{ "address outside a for clause", "by b id <support@corp.example>; Mon" },
	{ "for clause after the date", "by b; Mon, 1 Jan 2024 <support@corp.example>" },
};

static void test_received_through_junk(void **state)
{
	struct evidence *ev = evidence_new();
	char value[512], what[128];
	size_t f, m;

	(void)state;
	for (f = 0; f < NCASES(received_forms); f++)
		for (m = 0; m < NCASES(cases_mailbox); m++) {
			value_of(value, sizeof(value), received_forms[f].form, cases_mailbox[m]);
			snprintf(what, sizeof(what), "%s (%s)", received_forms[f].name, cases_mailbox[m]);
			expect_signals(ev, what, "Received", value, S(RECEIVED_FOR), MAILBOX);
		}
	for (f = 0; f < NCASES(received_lookalikes); f++)
		expect_signals(ev, received_lookalikes[f].name, "Received",
		    received_lookalikes[f].value, 0, NULL);
	evidence_free(ev);
}

/* Exchange's "address;id" pairs: any pair may name the mailbox. */
static void test_exchange_pairs(void **state)
{
	static const struct {
		const char *value;
		signal_set want;
	} cases[] = {
		{ "support@corp.example;72f988bf-86f1-41af-91ab-2d7cd011db47", S(EXCHANGE_RULE) },
		{ "sales@corp.example;72f988bf;support@corp.example;72f988bf", S(EXCHANGE_RULE) },
		{ "sales@corp.example;72f988bf,\x01 support@corp.example\x7f;x", S(EXCHANGE_RULE) },
		{ ";;;support@corp.example", S(EXCHANGE_RULE) },
		{ "sales@corp.example;support@corp.example.evil.test", 0 },
		{ "sales@corp.example;xsupport@corp.example\x01;", 0 },
	};
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(cases); i++) {
		expect_signals(ev, cases[i].value, "X-MS-Exchange-ForwardingLoop", cases[i].value,
		    cases[i].want, cases[i].want ? MAILBOX : NULL);
		expect_signals(ev, cases[i].value, "X-MS-Exchange-Inbox-Rules-Loop", cases[i].value,
		    cases[i].want, cases[i].want ? MAILBOX : NULL);
	}
	evidence_free(ev);
}

static void test_plain_values_through_junk(void **state)
{
	static const struct {
		const char *header;
		const char *value;
		signal_set want;
	} cases[] = {
		{ "X-MS-Exchange-Organization-AutoForwarded", "true\x01", S(EXCHANGE_AUTOFORWARD) },
		{ "X-MS-Exchange-Organization-AutoForwarded", "\x7f TRUE \xe9", S(EXCHANGE_AUTOFORWARD) },
		{ "X-MS-Exchange-Organization-AutoForwarded", "true (by rule)", S(EXCHANGE_AUTOFORWARD) },
		{ "X-MS-Exchange-Organization-AutoForwarded", "\r\n\ttrue\r\n", S(EXCHANGE_AUTOFORWARD) },
		{ "X-MS-Exchange-Generated-Message-Source", "Mailbox\r\n Rules\x01\x01 Agent",
		  S(EXCHANGE_AUTOFORWARD) },
		{ "X-MS-Exchange-Generated-Message-Source", "mailbox  rules\xc2\xa0" "agent",
		  S(EXCHANGE_AUTOFORWARD) },
		{ "X-MS-Exchange-Organization-AutoForwarded", "truex", 0 },
		{ "X-MS-Exchange-Organization-AutoForwarded", "tr\x01ue", 0 },
		{ "X-MS-Exchange-Organization-AutoForwarded", "not true", 0 },
		{ "X-MS-Exchange-Organization-AutoForwarded", "(true)", 0 },
		{ "X-MS-Exchange-Organization-AutoForwarded", "", 0 },
		{ "X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agents", 0 },
		{ "X-MS-Exchange-Generated-Message-Source", "Mailbox Rules", 0 },
		{ "X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agent 2", 0 },
	};
	struct evidence *ev = evidence_new();
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(cases); i++)
		expect_signals(ev, cases[i].value, cases[i].header, cases[i].value, cases[i].want,
		    NULL);
	evidence_free(ev);
}

/* header-recipient reads To and Cc through junk too; look-alikes stay out. */
static void test_recipient_headers_through_junk(void **state)
{
	static const char *const lookalike_to[] = {
		"xsupport@corp.example\x01", "support@corp.example.evil.test\x7f",
		"\"support@corp.example\" <x@evil.test>\x01",
		"=?utf-8?q?support=40corp.example?= <x@evil.test>",
	};
	struct evidence *ev = evidence_new();
	struct address rcpt, sender;
	char value[512], what[128];
	size_t f, i;

	(void)state;
	assert_int_equal(address_parse("consultant@fti.example", 22, &rcpt), ADDRESS_OK);
	assert_int_equal(address_parse("customer@gmail.example", 22, &sender), ADDRESS_OK);
	for (f = 0; f < NCASES(junk_forms) + NCASES(lookalike_to); f++) {
		bool want = f < NCASES(junk_forms);
		const char *header = f % 2 ? "Cc" : "To", *mailbox = NULL;
		signal_set got;

		if (want)
			value_of(value, sizeof(value), junk_forms[f].form, MAILBOX);
		else
			snprintf(value, sizeof(value), "%s", lookalike_to[f - NCASES(junk_forms)]);
		snprintf(what, sizeof(what), "%.100s", want ? junk_forms[f].name : value);
		evidence_reset(ev);
		evidence_header(ev, &test_policy, "From", "Customer <customer@gmail.example>");
		evidence_header(ev, &test_policy, header, value);
		got = evidence_recipient(ev, &test_policy, &rcpt, NULL, &sender, &mailbox);
		if (got != (want ? S(HEADER_RECIPIENT) : 0))
			fail_msg("%s: %s: got %#x, want header-recipient %d", header, what,
			    (unsigned)got, want);
		if (want && (mailbox == NULL || strcmp(mailbox, MAILBOX) != 0))
			fail_msg("%s: %s: mailbox got %s, want %s", header, what,
			    mailbox ? mailbox : "(null)", MAILBOX);
	}
	for (i = 0; i < 2; i++) {
		/* The recipient named only where the reading had to guess is still no party. */
		evidence_reset(ev);
		evidence_header(ev, &test_policy, "From", "customer@gmail.example");
		evidence_header(ev, &test_policy, "To", i ? "support@corp.example, <consultant"
		    "@fti.example" : "support@corp.example, consultant@fti.example\x01");
		if ((evidence_recipient(ev, &test_policy, &rcpt, NULL, &sender,
		    &(const char *){ NULL }) != 0) != (i == 1))
			fail_msg("To %s: consultant read whole %d, want header-recipient %d",
			    i ? "unclosed" : "junk", i == 0, i == 1);
	}
	evidence_free(ev);
}

/* A value cut at the reading limit keeps its last address-like run whole or drops it. */
static void test_cut_value_with_junk(void **state)
{
	static const char *const tails[] = {
		"\x01support@corp.example.evil.test",
		"\x01support@corp.example\xc3\xa9vil.test",
		"<support@corp.exampleX",
	};
	size_t n = 300 * 1024, at = 256 * 1024 - 20, i;
	char *big = malloc(n + 64);
	struct evidence *ev = evidence_new();

	(void)state;
	assert_non_null(big);
	for (i = 0; i < NCASES(tails); i++) {
		/* evidence.c reads 256 KiB: the cut falls right after "support@corp.example". */
		memset(big, '\x01', n);
		memcpy(big + at - (strchr(tails[i], 's') - tails[i]), tails[i], strlen(tails[i]));
		big[n] = '\0';
		evidence_reset(ev);
		evidence_header(ev, &test_policy, "Delivered-To", big);
		if (!evidence_truncated(ev) || evidence_signals(ev) != 0)
			fail_msg("cut look-alike %zu: truncated %d signals %#x, want 1 0", i,
			    evidence_truncated(ev), (unsigned)evidence_signals(ev));
	}
	/* Junk after the address, past the limit, does not hide it. */
	memset(big, '\x01', n);
	memcpy(big + 8, MAILBOX, strlen(MAILBOX));
	big[n] = '\0';
	evidence_reset(ev);
	evidence_header(ev, &test_policy, "Delivered-To", big);
	if (!evidence_truncated(ev) || evidence_signals(ev) != S(DELIVERED_TO))
		fail_msg("address before 300 KiB of control bytes: truncated %d signals %#x, "
		    "want 1 %#x", evidence_truncated(ev), (unsigned)evidence_signals(ev),
		    (unsigned)S(DELIVERED_TO));
	free(big);
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_through_junk),
		cmocka_unit_test(test_names_lookalikes),
		cmocka_unit_test(test_received_through_junk),
		cmocka_unit_test(test_exchange_pairs),
		cmocka_unit_test(test_plain_values_through_junk),
		cmocka_unit_test(test_recipient_headers_through_junk),
		cmocka_unit_test(test_cut_value_with_junk),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
