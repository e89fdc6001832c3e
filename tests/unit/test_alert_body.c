/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_alert_body.c - what a webhook receives (milter/audit-tool/alerts/alert_body.c): the
 * json object's fields, the slack/mattermost {"text": ...} form, and
 * values from Redis that try to break out of either.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_body.h"

static void leak_alert(struct alert_mail *m)
{
	alert_mail_init(m);
	alert_mail_set(m, "id", "A1");
	alert_mail_set(m, "mailbox", "hr@corp.example");
	alert_mail_set(m, "target", "fti.example");
	alert_mail_set(m, "rule", "forwarded-copy");
	alert_mail_set(m, "action", "reject");
	alert_mail_set(m, "mode", "enforce");
	alert_mail_set(m, "level", "critical");
	alert_mail_set(m, "destination", "external");
	m->count = 3;
	m->first_ms = 1764500000000LL;
	m->last_ms = 1764500060000LL;
	m->ids[m->nids++] = "D1";
	m->ids[m->nids++] = "D2";
}

static char *body(enum webhook_format f, const struct alert_mail *m)
{
	size_t len;
	char *b = alert_body(f, m, "hr", &len);
	assert_non_null(b);
	assert_int_equal(strlen(b), len);
	return b;
}

static void want(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("got %s\nwant it to contain %s", text, part);
}

static void test_json_fields(void **state)
{
	struct alert_mail m;
	(void)state;
	leak_alert(&m);
	char *b = body(WEBHOOK_JSON, &m);
	assert_true(b[0] == '{' && b[strlen(b) - 1] == '}');
	want(b, "{\"subject\":\"CRITICAL: forwarding of hr@corp.example mail to fti.example blocked (3 messages)\"");
	want(b, ",\"route\":\"hr\"");
	want(b, ",\"alert\":\"A1\"");
	want(b, ",\"mailbox\":\"hr@corp.example\"");
	want(b, ",\"count\":3,\"follow_up\":false");
	want(b, ",\"first\":\"2025-11-30T10:53:20Z\"");
	want(b, ",\"decision_ids\":[\"D1\",\"D2\"]}");
	assert_null(strstr(b, "\"owner\""));	/* unset fields are left out */
	free(b);
}

static void test_slack_text(void **state)
{
	struct alert_mail m;
	(void)state;
	leak_alert(&m);
	char *b = body(WEBHOOK_SLACK, &m);
	want(b, "{\"text\":\"*[fwdguard] CRITICAL: forwarding of hr@corp.example mail to fti.example blocked (3 messages)*");
	want(b, "\\nMailbox: hr@corp.example\\nDestination: fti.example\\nRule: forwarded-copy");
	want(b, "\\nMessages: 3");
	want(b, "\\nDecision ids: D1, D2");
	want(b, "\\nRoute: hr\"}");
	free(b);
}

/* Values from Redis: quotes, newlines, markup, a mention. */
static void test_hostile_values(void **state)
{
	struct alert_mail m;
	(void)state;
	leak_alert(&m);
	alert_mail_set(&m, "mailbox", "a\"b\\c\n<!channel>&x@corp.example");
	char *j = body(WEBHOOK_JSON, &m), *s = body(WEBHOOK_SLACK, &m);
	want(j, "\"mailbox\":\"a\\\"b\\\\c\\n<!channel>&x@corp.example\"");
	want(s, "Mailbox: a\\\"b\\\\c\\n&lt;!channel&gt;&amp;x@corp.example");
	assert_null(strstr(s, "<!channel>"));
	for (const char *p = j; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20);
	free(j);
	free(s);
}

static void test_expiry_reminder(void **state)
{
	struct alert_mail m;
	(void)state;
	alert_mail_init(&m);
	alert_mail_set(&m, "type", "expiry");
	alert_mail_set(&m, "level", "warning");
	alert_mail_set(&m, "mailbox", "support@corp.example");
	alert_mail_set(&m, "target", "helpdesk-vendor.example");
	alert_mail_set(&m, "rule", "allow-expiry");
	alert_mail_set(&m, "reason", "DPA-2024-17");
	alert_mail_set(&m, "owner", "dpo@corp.example");
	alert_mail_set(&m, "expires", "2027-06-30");
	alert_mail_set(&m, "days_left", "14");
	m.count = 1;
	char *s = body(WEBHOOK_SLACK, &m), *j = body(WEBHOOK_JSON, &m);
	want(s, "WARNING: the exception for support@corp.example to helpdesk-vendor.example "
	    "expires after 2027-06-30 (14 day(s) left)*");
	want(s, "\\nReason: DPA-2024-17\\nOwner: dpo@corp.example\\nLast day: 2027-06-30");
	want(j, ",\"expires\":\"2027-06-30\",\"days_left\":\"14\"");
	free(s);
	free(j);
}

/* A long text is cut for the chat, never inside a UTF-8 character. */
static void test_slack_cut(void **state)
{
	struct alert_mail m;
	static char ids[40][8];
	(void)state;
	leak_alert(&m);
	char *big = malloc(6000);
	assert_non_null(big);
	for (size_t i = 0; i + 2 < 6000; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[5998] = '\0';
	alert_mail_set(&m, "summary", big);
	alert_mail_set(&m, "target", big);
	for (size_t i = 0; i < 18; i++) {
		snprintf(ids[i], sizeof(ids[i]), "X%zu", i);
		m.ids[m.nids++] = ids[i];
	}
	char *s = body(WEBHOOK_SLACK, &m);
	assert_true(strlen(s) < 4100);
	assert_true(s[strlen(s) - 3] != '\xc3');
	want(s, "\xc3\xa9\"}");
	free(s);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_slack_text),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_expiry_reminder),
		cmocka_unit_test(test_slack_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
