/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_alert_mail.c - the alert mail's text (milter/audit-tool/alerts/alert_mail.c): counts
 * that came from Redis, however damaged, give a readable subject and
 * never overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_mail.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static const struct {
	const char *name;
	long count, pending;
	const char *want_tail;	/* what the subject ends with */
} count_cases[] = {
	{ "one message has no count", 1, 0, "blocked" },
	{ "a batch and its repeats are summed", 2, 3, "blocked (5 messages)" },
	{ "a follow-up counts the repeats only", 0, 7, "blocked (7 more)" },
	/* Found by tests/fuzz (alert_mail): count + pending overflowed a long. */
	{ "a huge pending count saturates", 1, LONG_MAX, "blocked (9223372036854775807 messages)" },
	{ "a negative pending count is no repeat", 1, -5, "blocked" },
	{ "both huge saturate", LONG_MAX, LONG_MAX, "blocked (9223372036854775807 messages)" },
};

static void test_subject_counts(void **state)
{
	(void)state;
	for (size_t c = 0; c < NCASES(count_cases); c++) {
		struct alert_mail m;
		char subject[600];

		alert_mail_init(&m);
		alert_mail_set(&m, "mailbox", "support@corp.example");
		alert_mail_set(&m, "target", "evil.test");
		alert_mail_set(&m, "action", "reject");
		alert_mail_set(&m, "level", "critical");
		m.count = count_cases[c].count;
		m.pending = count_cases[c].pending;
		alert_mail_subject(&m, subject, sizeof(subject));
		size_t n = strlen(subject), w = strlen(count_cases[c].want_tail);
		if (n < w || strcmp(subject + n - w, count_cases[c].want_tail) != 0)
			fail_msg("%s: got \"%s\", want it to end with \"%s\"", count_cases[c].name,
			    subject, count_cases[c].want_tail);
	}
}

static void test_compose_huge_counts(void **state)
{
	struct alert_mail m;
	size_t len;

	(void)state;
	alert_mail_init(&m);
	m.count = LONG_MAX;
	m.pending = LONG_MAX;
	m.ids[m.nids++] = "01HZX";
	char *mail = alert_mail_compose(&m, "fwdguard@corp.example", "security@corp.example",
	    1700000000, &len);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "Decision ids (the first 1 of 9223372036854775807):"));
	free(mail);
}

/* body-unexamined names no mailbox: the mail must not claim a forward of one. */
static void test_unexamined_body(void **state)
{
	struct alert_mail m;
	char subject[600];
	size_t len;
	char *mail;

	(void)state;
	alert_mail_init(&m);
	alert_mail_set(&m, "target", "fti.example");
	alert_mail_set(&m, "rule", "body-unexamined");
	alert_mail_set(&m, "action", "accept");
	alert_mail_set(&m, "level", "warning");
	alert_mail_set(&m, "signals", "body-unexamined");
	m.count = 1;
	alert_mail_subject(&m, subject, sizeof(subject));
	assert_string_equal(subject, "WARNING: mail to fti.example could not be examined");
	mail = alert_mail_compose(&m, "fwdguard@corp.example", "security@corp.example",
	    1700000000, &len);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "could not examine whole"));
	assert_non_null(strstr(mail, "fwdguard-audit search --rule body-unexamined"));
	assert_null(strstr(mail, "protected mailbox  "));
	assert_null(strstr(mail, "Find the forward"));
	free(mail);
}

/* fwdguard-audit watch: a directory change names the entry and who changed it, no message. */
static void test_directory_change(void **state)
{
	struct alert_mail m;
	char subject[600];
	size_t len;

	(void)state;
	alert_mail_init(&m);
	alert_mail_set(&m, "mailbox", "support@corp.example");
	alert_mail_set(&m, "target", "exfil@evil.test");
	alert_mail_set(&m, "destination", "external");
	alert_mail_set(&m, "level", "critical");
	alert_mail_set(&m, "rule", "directory-change");
	alert_mail_set(&m, "change", "added");
	alert_mail_set(&m, "entry", "uid=support,ou=people,dc=corp,dc=example");
	alert_mail_set(&m, "attribute", "mailForwardingAddress");
	alert_mail_set(&m, "modifiers_name", "cn=admin,dc=corp,dc=example");
	alert_mail_set(&m, "modify_timestamp", "20261130160000Z");
	m.count = 1;
	alert_mail_subject(&m, subject, sizeof(subject));
	assert_string_equal(subject,
	    "CRITICAL: support@corp.example's directory entry now forwards to exfil@evil.test");
	char *mail = alert_mail_compose(&m, "fwdguard@corp.example", "security@corp.example",
	    1700000000, &len);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "  Changed by:    cn=admin,dc=corp,dc=example\n"));
	assert_non_null(strstr(mail, "  Changed at:    2026-11-30 16:00:00 UTC (20261130160000Z)\n"));
	assert_non_null(strstr(mail, "  Entry:         uid=support,ou=people,dc=corp,dc=example\n"));
	/* No message was involved: nothing may read as if one had been stopped or sent. */
	assert_null(strstr(mail, "Decision ids"));
	assert_null(strstr(mail, "stopped it"));
	free(mail);
}

static void test_directory_baseline(void **state)
{
	struct alert_mail m;
	char subject[600];
	size_t len;

	(void)state;
	alert_mail_init(&m);
	alert_mail_set(&m, "mailbox", "");
	alert_mail_set(&m, "target", "2 external forwards");
	alert_mail_set(&m, "level", "critical");
	alert_mail_set(&m, "rule", "directory-change");
	alert_mail_set(&m, "change", "baseline");
	alert_mail_set(&m, "forwards",
	    "legal@corp.example -> someone@lawfirm.example; support@corp.example -> c@fti.example");
	m.count = 1;
	alert_mail_subject(&m, subject, sizeof(subject));
	assert_string_equal(subject,
	    "CRITICAL: protected mailboxes already have 2 external forwards in the directory");
	char *mail = alert_mail_compose(&m, "fwdguard@corp.example", "security@corp.example",
	    1700000000, &len);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "\n    legal@corp.example -> someone@lawfirm.example\n"));
	assert_non_null(strstr(mail, "\n    support@corp.example -> c@fti.example\n"));
	free(mail);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_counts),
		cmocka_unit_test(test_compose_huge_counts),
		cmocka_unit_test(test_unexamined_body),
		cmocka_unit_test(test_directory_change),
		cmocka_unit_test(test_directory_baseline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
