/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_evidence.c - every header kind of the evidence reader
 * (policy/evidence.c, policy/trace.c, policy/reply.c).
 *
 * The input is a message's header block: records separated by '\n', the
 * first byte of each picking the header name from the table below (the
 * reader's own table plus names it must ignore), the rest its value (CR,
 * TAB, NUL and 8-bit bytes kept, so folded and dirty values come through).
 * Then every accessor is read and the per-recipient evidence is asked for
 * a few recipients, with an ORCPT taken from the last record.
 */
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "fuzz_policy.h"
#include "trace.h"
#include "thread.h"

static const char *const fuzz_names[] = {
	"Delivered-To", "X-Original-To", "Received", "X-Sieve-Redirected-From",
	"X-MS-Exchange-Inbox-Rules-Loop", "X-MS-Exchange-ForwardingLoop",
	"X-MS-Exchange-Organization-AutoForwarded", "X-MS-Exchange-Generated-Message-Source",
	"X-Forwarded-To", "X-Forwarded-For", "Resent-From", "Resent-Sender", "From",
	"Message-ID", "To", "Cc", "List-Id", "List-Unsubscribe", "Return-Path", "In-Reply-To",
	"References", "Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence", "Subject",
	"Content-Type", "X-Fwdguard-Probe", "ARC-Seal", "ARC-Authentication-Results",
	"X-Forwarded-Message-Id", "Thread-Index", "Thread-Topic", "Resent-To", "Bcc",
	"delivered-to", "RECEIVED", "X-Original-Delivered-To", "Sender", "Reply-To",
};
#define FUZZ_NNAMES	(sizeof(fuzz_names) / sizeof(fuzz_names[0]))
#define FUZZ_HEADERS_MAX	64

static void fuzz_accessors(const struct evidence *ev, const struct policy *p,
    const char *orcpt)
{
	static const char *rcpts[] = {
		"someone@evil.test", "support@corp.example", "archive@vault.example",
	};
	const char *ids[EVIDENCE_REFS_MAX];
	struct address rcpt, sender;
	const char *mailbox = NULL;
	char dec[ADDRESS_MAX + 1];

	(void)evidence_signals(ev);
	for (size_t i = 0; evidence_mailbox_at(ev, i) != NULL; i++)
		if (i >= EVIDENCE_MAILBOXES_MAX)
			abort();
	(void)evidence_mailbox(ev);
	(void)evidence_from_protected(ev);
	if (strlen(evidence_message_id(ev)) > EVIDENCE_MSGID_MAX)
		abort();
	(void)strlen(evidence_from(ev));
	(void)evidence_is_list(ev);
	(void)evidence_is_arc_or_srs(ev);
	(void)evidence_is_autoreply(ev);
	if (strlen(evidence_content_type(ev)) > EVIDENCE_CTYPE_MAX)
		abort();
	if (strlen(evidence_probe_token(ev)) > EVIDENCE_PROBE_MAX)
		abort();
	(void)evidence_truncated(ev);
	size_t n = evidence_references(ev, ids, EVIDENCE_REFS_MAX);
	if (n > EVIDENCE_REFS_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		(void)strlen(ids[i]);
	for (size_t i = 0; evidence_recipient_at(ev, i) != NULL; i++)
		if (i >= EVIDENCE_ADDRS_MAX)
			abort();
	n = evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX);
	for (size_t i = 0; i < n; i++)
		if (n > EVIDENCE_FWDIDS_MAX || ids[i][0] == '\0' || strlen(ids[i]) > EVIDENCE_MSGID_MAX)
			abort();
	n = strlen(evidence_conversation(ev));
	if (n != 0 && n != THREAD_CONV_MAX)
		abort();
	(void)evidence_forward_subject(ev);
	for (size_t i = 0; evidence_reply_to_at(ev, i) != NULL; i++)
		if (i >= EVIDENCE_REPLY_TO_MAX)
			abort();
	if (address_parse("carol@corp.example", 18, &sender) != ADDRESS_OK)
		abort();
	for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		if (address_parse(rcpts[i], strlen(rcpts[i]), &rcpt) != ADDRESS_OK)
			abort();
		(void)evidence_recipient(ev, p, &rcpt, orcpt, &sender, &mailbox);
		(void)evidence_recipient(ev, p, &rcpt, NULL, NULL, &mailbox);
	}
	int dlen = trace_orcpt_decode(orcpt, dec, sizeof(dec));
	if (dlen >= (int)sizeof(dec) || (dlen >= 0 && (size_t)dlen != strlen(dec)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy *p = fuzz_policy();
	struct fuzz_in in = { data, size };
	struct evidence *ev = evidence_new();
	char *last = NULL;

	if (ev == NULL)
		abort();
	for (int h = 0; h < FUZZ_HEADERS_MAX && in.len > 0; h++) {
		size_t len;
		uint8_t pick = fuzz_byte(&in);
		free(last);
		last = fuzz_piece(&in, '\n', &len);
		evidence_header(ev, p, fuzz_names[pick % FUZZ_NNAMES], last);
	}
	fuzz_accessors(ev, p, last != NULL ? last : "rfc822;support@corp.example");
	/* A reset evidence must read the same headers again cleanly. */
	evidence_reset(ev);
	if (evidence_signals(ev) != 0 || evidence_mailbox(ev) != NULL)
		abort();
	evidence_free(ev);
	free(last);
	return 0;
}
