/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_alert_mail.c - the alert-mail composer (milter/audit-tool/alerts/alert_mail.c).
 *
 * Every value an alert mail shows came from Redis and is untrusted.  The
 * input holds the counters (raw 8-byte integers, any value) and then
 * NUL-separated strings: the alert's fields in order, then decision ids,
 * with the From and To addresses first.  The composed mail must keep its
 * header block to printable ASCII (no header can be injected), its body
 * free of control bytes but line ends, and the subject and syslog line
 * within their buffers.  The same alert as a webhook body (json and slack,
 * milter/audit-tool/alerts/alert_body.c) must hold no control byte: those go escaped.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alert_body.h"
#include "alert_mail.h"
#include "fuzz_policy.h"

#define FUZZ_STRINGS_MAX	(2 + 17 + ALERT_MAIL_IDS)

static long long fuzz_int(struct fuzz_in *in)
{
	unsigned long long v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | fuzz_byte(in);
	return (long long)v;
}

static void fuzz_check_mail(const char *mail, size_t len)
{
	bool body = false;

	if (len == 0 || mail[len - 1] != '\n' || strlen(mail) != len)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)mail[i];
		if (c == '\n') {
			if (i > 0 && mail[i - 1] == '\n')
				body = true;
			continue;
		}
		if (c < 0x20 || c == 0x7f || (!body && c > 0x7f))
			abort();
	}
	if (!body)
		abort();
}

static void fuzz_check_line(const char *s, size_t size)
{
	size_t n = strlen(s);

	if (n >= size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {
		"id", "mailbox", "target", "rule", "action", "mode", "destination", "level",
		"recipient", "signals", "host", "summary", "type", "reason", "owner", "expires",
		"days_left",
	};
	static const size_t sizes[] = { 1, 2, 16, 80, 600 };
	struct fuzz_in in = { data, size };
	struct alert_mail m;
	char *strs[FUZZ_STRINGS_MAX];
	size_t nstrs = 0, len;
	char subject[600], line[1024];

	alert_mail_init(&m);
	m.count = (long)fuzz_int(&in);
	m.pending = (long)fuzz_int(&in);
	m.first_ms = fuzz_int(&in);
	m.last_ms = fuzz_int(&in);
	m.since_ms = fuzz_int(&in);
	size_t ssize = sizes[fuzz_byte(&in) % (sizeof(sizes) / sizeof(sizes[0]))];
	while (nstrs < FUZZ_STRINGS_MAX && in.len > 0)
		strs[nstrs++] = fuzz_piece(&in, '\0', &len);
	const char *from = nstrs > 0 ? strs[0] : "fwdguard@corp.example";
	const char *to = nstrs > 1 ? strs[1] : "security@corp.example";
	for (size_t i = 2; i < nstrs; i++) {
		if (i - 2 < sizeof(fields) / sizeof(fields[0]))
			alert_mail_set(&m, fields[i - 2], strs[i]);
		else
			m.ids[m.nids++] = strs[i];
	}
	m.pending_ids_shown = m.nids / 2;

	alert_mail_subject(&m, subject, ssize);
	fuzz_check_line(subject, ssize);
	alert_mail_syslog_line(&m, line, sizeof(line));
	fuzz_check_line(line, sizeof(line));
	char *mail = alert_mail_compose(&m, from, to, 1700000000, &len);
	if (mail == NULL)
		abort();
	fuzz_check_mail(mail, len);
	free(mail);
	for (int f = 0; f < 2; f++) {
		char *body = alert_body(f ? WEBHOOK_SLACK : WEBHOOK_JSON, &m, "route", &len);
		if (body == NULL || strlen(body) != len)
			abort();
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)body[i] < 0x20)
				abort();
		free(body);
	}
	for (size_t i = 0; i < nstrs; i++)
		free(strs[i]);
	return 0;
}
