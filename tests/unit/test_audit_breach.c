/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_audit_breach.c - the counting behind "fwdguard-audit breach", fed
 * with fake stream entries: which decisions are in scope for a domain,
 * which messages left and which were stopped (a message is never both),
 * whose data left, the mailbox's own mail kept apart, leak evidence, and
 * output that is safe for a terminal and cut at 20 items in text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit_breach.h"

/* A decision: the fields the breach reads; NULL leaves one out. */
struct fake {
	const char *id, *message_id, *queue_id, *from, *recipient, *target, *signals;
	const char *action, *mode, *outcome;
	long long ts;
};

static int fake_internal(void *ctx, const char *domain)
{
	(void)ctx;
	return strcmp(domain, "corp.example") == 0;
}

static void fake_add(struct breach *b, const struct fake *f)
{
	const char *names[] = { "id", "message_id", "queue_id", "from", "recipient", "target",
	    "signals", "action", "mode", "outcome", "host" };
	const char *values[] = { f->id, f->message_id, f->queue_id, f->from, f->recipient,
	    f->target, f->signals, f->action, f->mode, f->outcome, "mx1" };
	char ts[32];
	struct view_entry e = { .stream_id = "1700000000000-0" };
	snprintf(ts, sizeof(ts), "%lld", f->ts);
	e.field[e.n] = "ts";
	e.value[e.n++] = ts;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (values[i] != NULL) {
			e.field[e.n] = names[i];
			e.value[e.n++] = values[i];
		}
	assert_int_equal(breach_add(b, &e), 0);
}

#define FWD	"delivered-to,header-recipient"
#define T0	1764500000000LL		/* 2025-11-30T10:53:20Z */

/* The incident of README.md "Scoping an incident", and the traps around it. */
static const struct fake story[] = {
	/* left: monitor mode, flag, a subdomain, no readable From, a retry that passed */
	{ "d1", "m1@x", "Q1", "jane@customer.example", "consultant@fti.example", "fti.example",
	  FWD, "reject", "monitor", "delivered", T0 + 1000 },
	{ "d2", "m2@x", "Q2", "bob@example.org", "consultant@fti.example", "fti.example",
	  "sieve-redirect", "flag", "enforce", "delivered", T0 + 2000 },
	{ "d3", "m3@x", "Q3", "Jane@Customer.Example", "archive@mail.fti.example",
	  "mail.fti.example", FWD, "accept", "enforce", NULL, T0 + 3000 },
	{ "d4", "m4@x", "Q4", "", "consultant@fti.example", "fti.example", FWD, "flag",
	  "enforce", "delivered", T0 + 4000 },
	{ "d5", "m5@x", "Q5", "carol@example.com", "consultant@fti.example", "fti.example",
	  "known-message-id", "tempfail", "enforce", "tempfailed", T0 + 5000 },
	{ "d6", "m5@x", "Q6", "carol@example.com", "consultant@fti.example", "fti.example",
	  "known-message-id", "accept", "monitor", "delivered", T0 + 6000 },
	/* stopped: reject, quarantine (directory), an accept held with its message */
	{ "d7", "m7@x", "", "dave@example.net", "consultant@fti.example", "fti.example", FWD,
	  "reject", "enforce", "rejected", T0 + 7000 },
	{ "d8", "m8@x", "Q8", "erin@example.net", "support@corp.example",
	  "consultant@fti.example", "directory-forward", "quarantine", "enforce", "held",
	  T0 + 8000 },
	{ "d9", "m8@x", "Q8", "erin@example.net", "partner@fti.example", "fti.example",
	  "orcpt", "accept", "enforce", "held", T0 + 9000 },
	/* an internal sender's mail that left; a name this tool does not know */
	{ "d10", "m10@x", "Q10", "colleague@corp.example", "consultant@fti.example",
	  "fti.example", "some-future-signal", "accept", "enforce", "delivered", T0 + 10000 },
	/* the mailbox's own reply to the firm, and mail only body-unexamined marks */
	{ "d11", "r1@corp.example", "Q11", "support@corp.example", "consultant@fti.example",
	  "fti.example", "", "accept", "enforce", "delivered", T0 + 11000 },
	{ "d12", "r2@corp.example", "Q12", "support@corp.example", "consultant@fti.example",
	  "fti.example", "body-unexamined", "accept", "enforce", "delivered", T0 + 12000 },
	/* leak evidence from the firm */
	{ "d13", "ooo@fti.example", "Q13", "consultant@fti.example", "colleague@corp.example",
	  "fti.example", "leak-backscatter", "accept", "enforce", "delivered", T0 + 500 },
	/* not in scope: a look-alike domain, a routed address whose target is elsewhere */
	{ "d14", "m14@x", "Q14", "jane@customer.example", "x@evilfti.example",
	  "evilfti.example", FWD, "accept", "enforce", "delivered", T0 },
	{ "d15", "m15@x", "Q15", "jane@customer.example", "user%evil.test@fti.example",
	  "evil.test", FWD, "accept", "enforce", "delivered", T0 },
	/* the mailbox's own reply to a customer: another domain */
	{ "d16", "r3@corp.example", "Q16", "support@corp.example", "jane@customer.example",
	  "customer.example", "", "accept", "enforce", "delivered", T0 },
};

/* A breach of support@ towards domain, over all time, fed with n decisions. */
static struct breach *fake_breach(const char *domain, const struct fake *f, size_t n)
{
	struct breach *b = breach_new("support@corp.example", domain, -1, -1, fake_internal, NULL);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		fake_add(b, &f[i]);
	return b;
}
#define FAKE_BREACH(domain, f)	fake_breach(domain, f, sizeof(f) / sizeof(f[0]))

static struct breach *story_breach(const char *domain)
{
	return FAKE_BREACH(domain, story);
}

static char *print(struct breach *b, void (*fn)(FILE *, struct breach *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	fn(out, b);
	fclose(out);
	return buf;
}

static void test_story_counts(void **state)
{
	(void)state;
	struct breach *b = story_breach("FTI.example.");
	struct breach_counts n;
	breach_counts(b, &n);
	assert_int_equal(n.read, 16);
	assert_int_equal(n.in_scope, 13);
	assert_int_equal(n.left, 6);		/* m1 m2 m3 m4 m5 (retry) m10 */
	assert_int_equal(n.stopped, 2);		/* m7, m8 */
	assert_int_equal(n.senders, 3);		/* jane (twice, two spellings), bob, carol */
	assert_int_equal(n.internal_senders, 1);
	assert_int_equal(n.without_from, 1);
	assert_int_equal(n.own_mail, 2);
	assert_int_equal(n.leak, 1);
	assert_int_equal(n.targets, 3);
	assert_int_equal(n.decisions, 11);
	assert_int_equal(n.queue_ids, 9);	/* d7 has none; d8, d9 share Q8 */
	breach_free(b);
}

static void test_story_json(void **state)
{
	(void)state;
	struct breach *b = story_breach("fti.example");
	char *j = print(b, breach_print_json);
	static const char *const want[] = {
		"{\"mailbox\":\"support@corp.example\",\"domain\":\"fti.example\"",
		"\"since\":null,\"until\":null,\"empty\":false,\"decisions_read\":16",
		"\"first\":\"2025-11-30T10:53:20Z\",\"last\":\"2025-11-30T10:53:30Z\"",
		"\"left\":6,\"stopped\":2",
		"\"senders\":[\"bob@example.org\",\"carol@example.com\",\"jane@customer.example\"]",
		"\"senders_count\":3,\"messages_without_from\":1",
		"\"internal_senders\":[\"colleague@corp.example\"]",
		"\"targets\":[\"archive@mail.fti.example\",\"consultant@fti.example\","
		    "\"partner@fti.example\"",
		"\"signals\":[\"delivered-to\",\"directory-forward\",\"header-recipient\","
		    "\"known-message-id\",\"orcpt\",\"sieve-redirect\",\"some-future-signal\"]",
		"\"leak_evidence\":[{\"time\":\"2025-11-30T10:53:20Z\",\"id\":\"d13\","
		    "\"signals\":\"leak-backscatter\",\"from\":\"consultant@fti.example\"",
		"\"own_mail\":2,\"own_mail_decision_ids\":[\"d11\",\"d12\"]",
		"\"decision_ids\":[\"d1\",\"d2\",\"d3\",\"d4\",\"d5\",\"d6\",\"d7\",\"d8\",\"d9\","
		    "\"d10\",\"d13\"]",
		"\"queue_ids\":[\"Q1\",\"Q2\",\"Q3\",\"Q4\",\"Q5\",\"Q6\",\"Q8\",\"Q10\",\"Q13\"]}\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(j, want[i]) == NULL)
			fail_msg("JSON lacks %s\ngot: %s", want[i], j);
	assert_null(strstr(j, "dave@"));	/* stopped: not a sender whose data left */
	free(j);
	breach_free(b);
}

static void test_story_text(void **state)
{
	(void)state;
	struct breach *b = story_breach("fti.example");
	char *t = print(b, breach_print_text);
	static const char *const want[] = {
		"breach:        support@corp.example -> fti.example and its subdomains\n",
		"window:        the start of the trail to now\n",
		"left:          6 messages",
		"stopped:       2 messages",
		"senders:       3 distinct external senders",
		"1 message that left has no readable From:",
		"1 internal sender, not counted above:\n" "                 colleague@corp.example\n",
		"leak evidence: mail was reaching fti.example by a route fwdguard does not see, "
		    "first evidence at 2025-11-30T10:53:20Z (1 record)\n",
		"signals:       delivered-to, directory-forward, header-recipient, known-message-id, "
		    "orcpt, sieve-redirect, some-future-signal\n",
		"own mail:      2 messages",
		"decisions:     11\n                 d1\n",
		"queue ids:     9\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(t, want[i]) == NULL)
			fail_msg("text lacks %s\ngot: %s", want[i], t);
	free(t);
	breach_free(b);
}

/* The customer's domain: the mailbox's replies are there, but nothing left. */
static void test_replies_are_not_a_breach(void **state)
{
	(void)state;
	struct breach *b = story_breach("customer.example");
	struct breach_counts n;
	breach_counts(b, &n);
	assert_int_equal(n.in_scope, 1);
	assert_int_equal(n.own_mail, 1);
	assert_int_equal(n.left + n.stopped + n.leak + n.decisions, 0);
	char *j = print(b, breach_print_json);
	assert_non_null(strstr(j, "\"empty\":false"));
	assert_non_null(strstr(j, "\"first\":null,\"last\":null,\"left\":0,\"stopped\":0"));
	free(j);
	breach_free(b);
}

static void test_empty_scope(void **state)
{
	(void)state;
	struct breach *b = breach_new("support@corp.example", "nobody.example", 1764460800000LL,
	    -1, fake_internal, NULL);
	assert_non_null(b);
	for (size_t i = 0; i < 3; i++)
		fake_add(b, &story[i]);
	char *t = print(b, breach_print_text);
	assert_non_null(strstr(t, "window:        2025-11-30T00:00:00Z to now\n"));
	assert_non_null(strstr(t, "empty scope:   no decision of support@corp.example concerns "
	    "nobody.example in this window (3 decisions of the mailbox read)\n"));
	char *j = print(b, breach_print_json);
	assert_non_null(strstr(j, "\"since\":\"2025-11-30T00:00:00Z\",\"until\":null,"
	    "\"empty\":true,\"decisions_read\":3"));
	assert_non_null(strstr(j, "\"senders\":[],\"senders_count\":0"));
	assert_non_null(strstr(j, "\"leak_evidence\":[],\"leak_first\":null"));
	free(t);
	free(j);
	breach_free(b);
}

/* No Message-ID: one message per queue id on its host, else per decision. */
static void test_messages_without_message_id(void **state)
{
	(void)state;
	const struct fake f[] = {
		{ "a", "", "QX", "x@example.org", "c1@fti.example", "fti.example", FWD, "accept",
		  "enforce", NULL, T0 },
		{ "b", "", "QX", "x@example.org", "c2@fti.example", "fti.example", FWD, "accept",
		  "enforce", NULL, T0 },
		{ "c", NULL, NULL, "x@example.org", "c3@fti.example", "fti.example", FWD, "accept",
		  "enforce", NULL, T0 },
		{ "d", NULL, NULL, "x@example.org", "c3@fti.example", "fti.example", FWD,
		  "whatever", "enforce", NULL, T0 },
	};
	struct breach *b = FAKE_BREACH("fti.example", f);
	struct breach_counts n;
	breach_counts(b, &n);
	/* An action this tool does not know is taken as gone. */
	assert_int_equal(n.left, 3);
	assert_int_equal(n.stopped, 0);
	breach_free(b);
}

/* Leak evidence is dated by its oldest record, in whatever order the stream holds them. */
static void test_leak_first_evidence(void **state)
{
	(void)state;
	const struct fake f[] = {
		{ "late", "o2@fti.example", "Q2", "", "fwdguard-probe@corp.example", "fti.example",
		  "leak-probe", "accept", "enforce", NULL, T0 + 60000 },
		{ "early", "o1@fti.example", "Q1", "a@fti.example", "colleague@corp.example",
		  "fti.example", "leak-backscatter", "accept", "enforce", NULL, T0 },
	};
	struct breach *b = FAKE_BREACH("fti.example", f);
	char *t = print(b, breach_print_text), *j = print(b, breach_print_json);
	assert_non_null(strstr(t, "first evidence at 2025-11-30T10:53:20Z (2 records)\n"));
	assert_non_null(strstr(t, "left:          0 messages"));
	assert_non_null(strstr(j, "\"leak_evidence\":[{\"time\":\"2025-11-30T10:53:20Z\",\"id\":\"early\""));
	assert_non_null(strstr(j, "\"leak_first\":\"2025-11-30T10:53:20Z\""));
	assert_non_null(strstr(j, "\"decision_ids\":[\"late\",\"early\"]"));
	free(t);
	free(j);
	breach_free(b);
}

static void test_values_are_safe(void **state)
{
	(void)state;
	const struct fake f[] = { { "i\x1b[2J", "m@x", "Q", "ev\x1b]0;t\x07il@example.org",
	    "c@fti.example", "fti.example", "resent", "accept", "enforce", NULL, T0 } };
	struct breach *b = FAKE_BREACH("fti.example", f);
	char *t = print(b, breach_print_text), *j = print(b, breach_print_json);
	assert_null(strchr(t, '\x1b'));
	assert_non_null(strstr(t, "ev?]0;t?il@example.org"));
	assert_non_null(strstr(j, "\"ev\\u001b]0;t\\u0007il@example.org\""));
	assert_non_null(strstr(j, "\"i\\u001b[2J\""));
	free(t);
	free(j);
	breach_free(b);
}

/* Text shows 20 of a list and says how many more; JSON has them all. */
static void test_text_lists_are_cut(void **state)
{
	(void)state;
	struct breach *b = breach_new("support@corp.example", "fti.example", -1, -1, NULL, NULL);
	char id[16], mid[16], from[32];
	for (int i = 0; i < 25; i++) {
		snprintf(id, sizeof(id), "id%02d", i);
		snprintf(mid, sizeof(mid), "m%02d@x", i);
		snprintf(from, sizeof(from), "p%02d@example.org", i);
		const struct fake f = { id, mid, id, from, "c@fti.example", "fti.example", FWD,
		    "accept", "monitor", NULL, T0 + i };
		fake_add(b, &f);
	}
	char *t = print(b, breach_print_text), *j = print(b, breach_print_json);
	assert_non_null(strstr(t, "decisions:     25 (the first 20)\n"));
	assert_non_null(strstr(t, "p19@example.org\n                 ... and 5 more"));
	assert_null(strstr(t, "p20@example.org"));
	assert_null(strstr(t, "id20"));
	assert_non_null(strstr(j, "\"p24@example.org\"]"));
	assert_non_null(strstr(j, "\"id24\"]"));
	free(t);
	free(j);
	breach_free(b);
}

static void test_check_names_the_option(void **state)
{
	(void)state;
	struct query q = { .mailbox = "support@corp.example", .domain = "fti.example" };
	assert_null(breach_check(&q));
	q.domain = "consultant@fti.example";
	assert_non_null(strstr(breach_check(&q), "--domain"));
	q.domain = "bad..domain";
	assert_non_null(strstr(breach_check(&q), "--domain"));
	q.domain = NULL;
	assert_string_equal(breach_check(&q), "breach: --domain is required");
	q.mailbox = NULL;
	assert_string_equal(breach_check(&q), "breach: --mailbox is required");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story_counts),
		cmocka_unit_test(test_story_json),
		cmocka_unit_test(test_story_text),
		cmocka_unit_test(test_replies_are_not_a_breach),
		cmocka_unit_test(test_empty_scope),
		cmocka_unit_test(test_messages_without_message_id),
		cmocka_unit_test(test_leak_first_evidence),
		cmocka_unit_test(test_values_are_safe),
		cmocka_unit_test(test_text_lists_are_cut),
		cmocka_unit_test(test_check_names_the_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
