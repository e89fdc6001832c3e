/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_leak.c - leak decisions from correlation facts (policy/leak.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "leak.h"

#define S(x)		SIGNAL_BIT(SIGNAL_##x)
#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static char *test_protected[] = { "support@corp.example" };

static struct policy test_policy = {
	.protected = test_protected,
	.nprotected = 1,
	.delimiters = "+",
};

#include "policy_fixture.h"

/* A customer wrote to support; the copy was silently forwarded to fti.example. */
static const struct leak_ref customer_mail = {
	.message_id = "cust-1@customer.example", .mailbox = "support@corp.example",
	.sender = "alice@customer.example", .rcpt_domains = "corp.example,partner.example",
	.ts = 1700000000000LL, .probe = false,
};

static const struct leak_ref probe_mail = {
	.message_id = "probe-1@corp.example", .mailbox = "support@corp.example",
	.sender = "fwdguard-probe@corp.example", .rcpt_domains = "corp.example",
	.ts = 1700000000000LL, .probe = true,
};

static const struct {
	const char *name;
	const char *from_domain;
	bool autoreply;
	bool dsn;
	const struct leak_ref *ref;
	signal_set want;
} inbound_cases[] = {
	{ "out-of-office from never-recipient external domain", "fti.example", true, false,
	  &customer_mail, S(LEAK_BACKSCATTER) },
	{ "dsn from never-recipient external domain", "fti.example", false, true,
	  &customer_mail, S(LEAK_BACKSCATTER) },
	{ "subdomain of never-recipient is still backscatter", "mx.fti.example", false, true,
	  &customer_mail, S(LEAK_BACKSCATTER) },
	{ "auto-reply from the original sender's domain", "customer.example", true, false,
	  &customer_mail, 0 },
	{ "auto-reply from the sender's mail host", "mx.customer.example", true, false,
	  &customer_mail, 0 },
	{ "auto-reply from a domain that was a recipient", "Partner.Example", true, false,
	  &customer_mail, 0 },
	{ "lookalike of a recipient domain is not a party", "evilpartner.example", true, false,
	  &customer_mail, S(LEAK_BACKSCATTER) },
	{ "human reply from never-recipient is not backscatter", "fti.example", false, false,
	  &customer_mail, 0 },
	{ "auto-reply from internal domain", "corp.example", true, false, &customer_mail, 0 },
	{ "auto-reply from internal subdomain", "eu.corp.example", true, false, &customer_mail, 0 },
	{ "unknown answering domain decides nothing", "", true, true, &customer_mail, 0 },
	{ "human reply to a probe", "fti.example", false, false, &probe_mail, S(LEAK_PROBE) },
	{ "auto-reply to a probe", "fti.example", true, false, &probe_mail, S(LEAK_PROBE) },
	{ "probe answered from internal domain", "corp.example", true, false, &probe_mail, 0 },
};

static void test_inbound_table(void **state)
{
	size_t i, which;
	signal_set got;

	(void)state;
	for (i = 0; i < NCASES(inbound_cases); i++) {
		which = 99;
		got = leak_inbound(&test_policy, inbound_cases[i].from_domain,
		    inbound_cases[i].autoreply, inbound_cases[i].dsn, inbound_cases[i].ref, 1,
		    &which);
		if (got != inbound_cases[i].want)
			fail_msg("%s: got %#x want %#x", inbound_cases[i].name, got,
			    inbound_cases[i].want);
		if (got != 0 && which != 0)
			fail_msg("%s: which got %zu want 0", inbound_cases[i].name, which);
		if (got == 0 && which != 99)
			fail_msg("%s: which touched without a signal", inbound_cases[i].name);
	}
}

static void test_inbound_probe_ref_wins(void **state)
{
	struct leak_ref refs[2] = { customer_mail, probe_mail };
	size_t which = 99;
	signal_set got;

	(void)state;
	got = leak_inbound(&test_policy, "fti.example", true, false, refs, 2, &which);
	if (got != S(LEAK_PROBE) || which != 1)
		fail_msg("got %#x which %zu, want leak-probe from ref 1", got, which);
}

static const struct {
	const char *name;
	const char *rcpt_domain;
	signal_set want;
} known_cases[] = {
	{ "redirect to new external domain", "fti.example", S(KNOWN_MESSAGE_ID) },
	{ "reply to the original sender's domain", "customer.example", 0 },
	{ "auto-reply to the original sender's mail host", "mail.customer.example", 0 },
	{ "bounce to the original sender's domain, any case", "Customer.Example", 0 },
	{ "look-alike of the sender's domain is no party", "evilcustomer.example",
	  S(KNOWN_MESSAGE_ID) },
	{ "a party's name inside another domain is no party", "customer.example.evil.test",
	  S(KNOWN_MESSAGE_ID) },
	{ "to a domain that was a recipient", "partner.example", 0 },
	{ "to an internal domain", "corp.example", 0 },
	{ "empty recipient domain", "", 0 },
};

static void test_known_message_id_table(void **state)
{
	size_t i;
	signal_set got;

	(void)state;
	for (i = 0; i < NCASES(known_cases); i++) {
		got = leak_known_message_id(&test_policy, &customer_mail, known_cases[i].rcpt_domain);
		if (got != known_cases[i].want)
			fail_msg("%s: got %#x want %#x", known_cases[i].name, got,
			    known_cases[i].want);
	}
	assert_int_equal(leak_known_message_id(&test_policy, NULL, "fti.example"), 0);
}

static void test_known_message_id_null_sender_ref(void **state)
{
	struct leak_ref ref = customer_mail;

	(void)state;
	ref.sender = "";
	ref.rcpt_domains = "";
	assert_int_equal(leak_known_message_id(&test_policy, &ref, "customer.example"),
	    S(KNOWN_MESSAGE_ID));
}

/* --- attached-message returned to its own parties ------------------------------------ */

static const char *const bounce_parties[] = {
	"jane@customer.example", "support@corp.example", "partner@partner.example",
};

static const struct {
	const char *name;
	bool automatic;
	const char *rcpt;
	signal_set sig;
	signal_set want;
} attached_cases[] = {
	{ "bounce back to the customer who wrote", true, "jane@customer.example",
	  S(ATTACHED_MESSAGE), 0 },
	{ "auto-reply to a recipient of the original, any case", true, "Partner@Partner.Example",
	  S(ATTACHED_MESSAGE), 0 },
	{ "bounce to a non-party is still a signal", true, "consultant@fti.example",
	  S(ATTACHED_MESSAGE), S(ATTACHED_MESSAGE) },
	{ "a party's domain is not the party", true, "bob@customer.example",
	  S(ATTACHED_MESSAGE), S(ATTACHED_MESSAGE) },
	{ "a look-alike of a party is not the party", true, "jane@customer.example.evil.test",
	  S(ATTACHED_MESSAGE), S(ATTACHED_MESSAGE) },
	{ "a person's forward to a party is still a signal", false, "jane@customer.example",
	  S(ATTACHED_MESSAGE), S(ATTACHED_MESSAGE) },
	{ "other signals stay", true, "jane@customer.example",
	  S(ATTACHED_MESSAGE) | S(DELIVERED_TO), S(DELIVERED_TO) },
	{ "no signal stays none", true, "jane@customer.example", 0, 0 },
	{ "an unknown recipient is no party", true, "", S(ATTACHED_MESSAGE), S(ATTACHED_MESSAGE) },
};

static void test_attached_message_parties(void **state)
{
	size_t i;
	signal_set got;

	(void)state;
	for (i = 0; i < NCASES(attached_cases); i++) {
		got = leak_attached_message(attached_cases[i].sig, attached_cases[i].automatic,
		    attached_cases[i].rcpt, bounce_parties, NCASES(bounce_parties), NULL, 0);
		if (got != attached_cases[i].want)
			fail_msg("%s: got %#x want %#x", attached_cases[i].name, got,
			    attached_cases[i].want);
	}
	assert_int_equal(leak_attached_message(S(ATTACHED_MESSAGE), true, "jane@customer.example",
	    NULL, 0, NULL, 0), S(ATTACHED_MESSAGE));
	assert_int_equal(leak_attached_message(S(ATTACHED_MESSAGE), true, "jane@customer.example",
	    bounce_parties, 0, NULL, 0), S(ATTACHED_MESSAGE));
}

/*
 * Erin writes from a mailing service's bounce address: her From: is not
 * her envelope sender, where a bounce of her message goes.  The headers'
 * parties do not name it; the correlation record of her message does.
 */
static const char *const erin_parties[] = { "erin@customer.example", "support@corp.example" };
static const struct leak_ref erin_mail = {
	.message_id = "erin-1@customer.example", .mailbox = "support@corp.example",
	.sender = "Bounce-Erin=customer.example@Mailer.example",
	.rcpt_domains = "corp.example,customer.example", .role = LEAK_ROLE_ENCLOSED,
};
static const struct leak_ref erin_mail2 = {
	.message_id = "erin-2@customer.example", .mailbox = "support@corp.example",
	.sender = "bounce-erin=customer.example@mailer.example",
	.rcpt_domains = "corp.example,customer.example", .role = LEAK_ROLE_ENCLOSED,
};
static const struct leak_ref decoy_mail = {
	.message_id = "decoy@corp.example", .mailbox = "support@corp.example",
	.sender = "insider@corp.example", .rcpt_domains = "corp.example",
	.role = LEAK_ROLE_ENCLOSED,
};
static const struct leak_ref null_sender_mail = {
	.message_id = "dsn-1@mx.customer.example", .mailbox = "support@corp.example",
	.sender = "<>", .rcpt_domains = "corp.example", .role = LEAK_ROLE_ENCLOSED,
};

static const struct {
	const char *name;
	bool automatic;
	const char *rcpt;
	struct leak_ref orig[2];
	size_t norig;
	signal_set want;
} sender_cases[] = {
	{ "bounce to her envelope sender, any case", true,
	  "bounce-erin=customer.example@mailer.example", { erin_mail }, 1, 0 },
	{ "bounce of two of her messages to her envelope sender", true,
	  "bounce-erin=customer.example@mailer.example", { erin_mail, erin_mail2 }, 2, 0 },
	{ "a decoy's record does not open the way for hers", true,
	  "insider@corp.example", { decoy_mail, erin_mail }, 2, S(ATTACHED_MESSAGE) },
	{ "her record does not open the way for the decoy", true,
	  "bounce-erin=customer.example@mailer.example", { erin_mail, decoy_mail }, 2,
	  S(ATTACHED_MESSAGE) },
	{ "another address of the mailing service is no party", true,
	  "bounce-bob=customer.example@mailer.example", { erin_mail }, 1, S(ATTACHED_MESSAGE) },
	{ "the sender's domain is not the sender", true, "erin@mailer.example", { erin_mail }, 1,
	  S(ATTACHED_MESSAGE) },
	{ "a person's forward to her envelope sender is still a signal", false,
	  "bounce-erin=customer.example@mailer.example", { erin_mail }, 1, S(ATTACHED_MESSAGE) },
	{ "no record: her envelope sender is unknown", true,
	  "bounce-erin=customer.example@mailer.example", { erin_mail }, 0, S(ATTACHED_MESSAGE) },
	{ "a null sender names nobody", true, "mailer-daemon@mx.customer.example",
	  { null_sender_mail }, 1, S(ATTACHED_MESSAGE) },
	{ "the headers' parties still count", true, "erin@customer.example", { erin_mail }, 1, 0 },
};

static void test_attached_message_store_sender(void **state)
{
	size_t i;
	signal_set got;

	(void)state;
	for (i = 0; i < NCASES(sender_cases); i++) {
		got = leak_attached_message(S(ATTACHED_MESSAGE), sender_cases[i].automatic,
		    sender_cases[i].rcpt, erin_parties, NCASES(erin_parties), sender_cases[i].orig,
		    sender_cases[i].norig);
		if (got != sender_cases[i].want)
			fail_msg("%s: got %#x want %#x", sender_cases[i].name, got,
			    sender_cases[i].want);
	}
}

static void parse_or_fail(const char *raw, struct address *a)
{
	if (address_parse(raw, strlen(raw), a) != ADDRESS_OK)
		fail_msg("test address %s does not parse", raw);
}

static void test_rcpt_domains_dedup_and_header_domains(void **state)
{
	struct evidence *ev = evidence_new();
	struct address rcpts[3];
	char out[256];
	size_t n;

	(void)state;
	parse_or_fail("support@Corp.Example", &rcpts[0]);
	parse_or_fail("x%fti.example@corp.example", &rcpts[1]);
	parse_or_fail("other@corp.example", &rcpts[2]);
	evidence_header(ev, &test_policy, "To", "Support <support@corp.example>");
	evidence_header(ev, &test_policy, "Cc", "bob@Partner.example, c@corp.example");
	n = leak_rcpt_domains(ev, rcpts, 3, out, sizeof(out));
	if (n != 3 || strcmp(out, "corp.example,fti.example,partner.example") != 0)
		fail_msg("got %zu \"%s\" want 3 \"corp.example,fti.example,partner.example\"", n, out);
	evidence_free(ev);
}

/* Answers go to From and Reply-To: their domains are parties too. */
static void test_rcpt_domains_from_and_reply_to(void **state)
{
	struct evidence *ev = evidence_new();
	struct address rcpts[1];
	char out[256];
	size_t n;

	(void)state;
	parse_or_fail("support@corp.example", &rcpts[0]);
	evidence_header(ev, &test_policy, "From", "Shop <orders@Shop.example>");
	evidence_header(ev, &test_policy, "Reply-To", "Jane <jane@mail.example>, junk@, b@corp.example");
	evidence_header(ev, &test_policy, "Reply-To", "later@ignored.example");
	evidence_header(ev, &test_policy, "To", "support@corp.example, x@partner.example");
	n = leak_rcpt_domains(ev, rcpts, 1, out, sizeof(out));
	if (n != 4 || strcmp(out, "corp.example,shop.example,mail.example,partner.example") != 0)
		fail_msg("got %zu \"%s\" want 4 \"corp.example,shop.example,mail.example,"
		    "partner.example\"", n, out);
	evidence_free(ev);
}

static void test_rcpt_domains_bounded_whole_domains(void **state)
{
	struct address rcpts[40];
	char raw[64], out[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < 40; i++) {
		snprintf(raw, sizeof(raw), "u@d%zu.example", i);
		parse_or_fail(raw, &rcpts[i]);
	}
	n = leak_rcpt_domains(NULL, rcpts, 40, out, sizeof(out));
	/* "d0.example,d1.example" is 21 bytes; a third does not fit whole. */
	if (n != 2 || strcmp(out, "d0.example,d1.example") != 0)
		fail_msg("got %zu \"%s\" want 2 whole domains", n, out);
	{
		char big[2048];
		n = leak_rcpt_domains(NULL, rcpts, 40, big, sizeof(big));
		if (n != LEAK_RCPT_DOMAINS_MAX)
			fail_msg("got %zu domains want %d", n, LEAK_RCPT_DOMAINS_MAX);
	}
}

static void test_answer_domain(void **state)
{
	struct evidence *ev = evidence_new();
	struct address sender;
	char out[256];

	(void)state;
	evidence_header(ev, &test_policy, "From", "Mail Delivery <MAILER-DAEMON@mx.fti.example>");
	if (strcmp(leak_answer_domain(NULL, ev, out, sizeof(out)), "mx.fti.example") != 0)
		fail_msg("null sender: got %s want mx.fti.example", out);
	parse_or_fail("bob@FTI.example", &sender);
	if (strcmp(leak_answer_domain(&sender, ev, out, sizeof(out)), "fti.example") != 0)
		fail_msg("sender: got %s want fti.example", out);
	evidence_reset(ev);
	if (strcmp(leak_answer_domain(NULL, ev, out, sizeof(out)), "") != 0)
		fail_msg("nothing known: got %s want empty", out);
	evidence_free(ev);
}

/* Later in the thread the customer copied a lawyer in. */
static const struct leak_ref lawyer_mail = {
	.message_id = "cust-2@customer.example", .mailbox = "support@corp.example",
	.sender = "alice@customer.example", .rcpt_domains = "corp.example,lawyer.example",
	.ts = 1700000100000LL, .probe = false,
};

/* An old message of the outside firm's own, to support@. */
static const struct leak_ref firm_mail = {
	.message_id = "offer-1@fti.example", .mailbox = "support@corp.example",
	.sender = "consultant@fti.example", .rcpt_domains = "corp.example,fti.example",
	.ts = 1690000000000LL, .probe = false,
};

#define AS(ref, r)	{ .message_id = (ref).message_id, .mailbox = (ref).mailbox, \
			  .sender = (ref).sender, .rcpt_domains = (ref).rcpt_domains, \
			  .ts = (ref).ts, .role = LEAK_ROLE_##r }
#define REFS_MAX	4

/* One judgement of the messages an outbound message names or encloses. */
struct named_case {
	const char *name;
	const char *rcpt_domain;
	struct leak_ref refs[REFS_MAX];
	size_t nrefs;
	signal_set want;
	size_t which;		/* the ref named, with a signal */
};

typedef signal_set (*named_judge)(const struct policy *p, const struct leak_ref *refs,
    size_t nrefs, const char *recipient_domain, size_t *which);

static void run_named_cases(const struct named_case *cases, size_t n, named_judge judge)
{
	size_t i, which;
	signal_set got;

	for (i = 0; i < n; i++) {
		which = 99;
		got = judge(&test_policy, cases[i].refs, cases[i].nrefs, cases[i].rcpt_domain, &which);
		if (got != cases[i].want)
			fail_msg("%s: got %#x want %#x", cases[i].name, got, cases[i].want);
		if (got != 0 && which != cases[i].which)
			fail_msg("%s: names ref %zu, want %zu", cases[i].name, which, cases[i].which);
		if (got == 0 && which != 99)
			fail_msg("%s: which set without a signal", cases[i].name);
	}
}

static const struct named_case referenced_cases[] = {
	{ "forward to an outside firm", "fti.example",
	  { AS(customer_mail, PARENT) }, 1, S(REFERENCED_MESSAGE), 0 },
	{ "forward of the thread to an outside firm", "fti.example",
	  { AS(customer_mail, ANCESTOR), AS(lawyer_mail, PARENT) }, 2, S(REFERENCED_MESSAGE), 1 },
	{ "forward to a subdomain of no party", "mx.fti.example",
	  { AS(customer_mail, ANCESTOR), AS(lawyer_mail, PARENT) }, 2, S(REFERENCED_MESSAGE), 1 },
	{ "reply to the customer", "customer.example", { AS(customer_mail, PARENT) }, 1, 0, 0 },
	{ "reply to the customer's mail server name", "mx.customer.example",
	  { AS(customer_mail, PARENT) }, 1, 0, 0 },
	{ "reply to a recipient of the original", "partner.example",
	  { AS(customer_mail, PARENT) }, 1, 0, 0 },
	{ "reply to a party of a later message", "lawyer.example",
	  { AS(customer_mail, ANCESTOR), AS(lawyer_mail, PARENT) }, 2, 0, 0 },
	{ "lawyer named by the first message only", "lawyer.example",
	  { AS(customer_mail, PARENT) }, 1, S(REFERENCED_MESSAGE), 0 },
	{ "to a colleague", "corp.example", { AS(customer_mail, PARENT) }, 1, 0, 0 },
	{ "to a colleague in a subdomain", "branch.corp.example",
	  { AS(customer_mail, ANCESTOR), AS(lawyer_mail, PARENT) }, 2, 0, 0 },
	{ "names nothing the store knows", "fti.example", { AS(customer_mail, PARENT) }, 0, 0, 0 },
	{ "empty recipient domain", "", { AS(customer_mail, PARENT) }, 1, 0, 0 },
	/* The walk-around: an old message of the firm's in References. */
	{ "forward of the customer's message with the firm's old one in References",
	  "fti.example", { AS(firm_mail, ANCESTOR), AS(customer_mail, PARENT) }, 2,
	  S(REFERENCED_MESSAGE), 1 },
	{ "two parents: the firm's old message and the customer's", "fti.example",
	  { AS(firm_mail, PARENT), AS(customer_mail, PARENT) }, 2, S(REFERENCED_MESSAGE), 1 },
	{ "reply to the firm's message, in the customer's thread", "fti.example",
	  { AS(customer_mail, ANCESTOR), AS(firm_mail, PARENT) }, 2, 0, 0 },
	/* The parent is support@'s own mail (never recorded): the nearest earlier one decides. */
	{ "parent unknown: the last ancestor found decides", "fti.example",
	  { AS(firm_mail, ANCESTOR), AS(customer_mail, ANCESTOR) }, 2, S(REFERENCED_MESSAGE), 1 },
	{ "parent unknown: a follow-up to the customer", "customer.example",
	  { AS(firm_mail, ANCESTOR), AS(customer_mail, ANCESTOR) }, 2, 0, 0 },
	{ "parent unknown, the firm's message the nearest", "fti.example",
	  { AS(customer_mail, ANCESTOR), AS(firm_mail, ANCESTOR) }, 2, 0, 0 },
	/* Outlook: the conversation, only when nothing else was found. */
	{ "conversation only", "fti.example", { AS(customer_mail, CONVERSATION) }, 1,
	  S(REFERENCED_MESSAGE), 0 },
	{ "a parent found outranks the conversation", "fti.example",
	  { AS(firm_mail, PARENT), AS(customer_mail, CONVERSATION) }, 2, 0, 0 },
	/* Enclosed messages are known-message-id's (leak_enclosed_message). */
	{ "enclosed messages are not judged here", "fti.example",
	  { AS(customer_mail, ENCLOSED) }, 1, 0, 0 },
	{ "an enclosed message is no parent", "fti.example",
	  { AS(customer_mail, ENCLOSED), AS(firm_mail, PARENT) }, 2, 0, 0 },
};

static void test_referenced_message_table(void **state)
{
	const struct leak_ref refs[] = { customer_mail, lawyer_mail };

	(void)state;
	run_named_cases(referenced_cases, NCASES(referenced_cases), leak_referenced_message);
	assert_int_equal(leak_referenced_message(&test_policy, NULL, 1, "fti.example", NULL), 0);
	assert_int_equal(leak_referenced_message(NULL, refs, 1, "fti.example", NULL), 0);
}

static const struct named_case enclosed_cases[] = {
	{ "the customer's message attached for an outside firm", "fti.example",
	  { AS(customer_mail, ENCLOSED) }, 1, S(KNOWN_MESSAGE_ID), 0 },
	{ "attached for the customer", "customer.example",
	  { AS(customer_mail, ENCLOSED) }, 1, 0, 0 },
	{ "a bounce to her mail host", "mx.customer.example",
	  { AS(customer_mail, ENCLOSED) }, 1, 0, 0 },
	{ "attached for a colleague", "corp.example", { AS(customer_mail, ENCLOSED) }, 1, 0, 0 },
	{ "the firm's own message beside the customer's", "fti.example",
	  { AS(firm_mail, ENCLOSED), AS(customer_mail, ENCLOSED) }, 2, S(KNOWN_MESSAGE_ID), 1 },
	{ "named by a header only: referenced-message's", "fti.example",
	  { AS(customer_mail, PARENT), AS(customer_mail, ANCESTOR) }, 2, 0, 0 },
	{ "the firm's own message attached back to it", "fti.example",
	  { AS(firm_mail, ENCLOSED) }, 1, 0, 0 },
	{ "empty recipient domain", "", { AS(customer_mail, ENCLOSED) }, 1, 0, 0 },
};

static void test_enclosed_message_table(void **state)
{
	(void)state;
	run_named_cases(enclosed_cases, NCASES(enclosed_cases), leak_enclosed_message);
	assert_int_equal(leak_enclosed_message(NULL, &customer_mail, 1, "fti.example", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound_table),
		cmocka_unit_test(test_inbound_probe_ref_wins),
		cmocka_unit_test(test_known_message_id_table),
		cmocka_unit_test(test_known_message_id_null_sender_ref),
		cmocka_unit_test(test_attached_message_parties),
		cmocka_unit_test(test_attached_message_store_sender),
		cmocka_unit_test(test_rcpt_domains_dedup_and_header_domains),
		cmocka_unit_test(test_rcpt_domains_from_and_reply_to),
		cmocka_unit_test(test_rcpt_domains_bounded_whole_domains),
		cmocka_unit_test(test_answer_domain),
		cmocka_unit_test(test_referenced_message_table),
		cmocka_unit_test(test_enclosed_message_table),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
