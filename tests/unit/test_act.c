/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_act.c - the end of a message (milter/act.c): the verdict, the MTA
 * operations through struct act_ops (a recorder that can be told to fail),
 * and the audit records made durable in the spool before the verdict, all
 * through the environment handed to act_end_of_message() (struct act_env).
 *
 * The config mirrors tests/milter/conf/actions.yaml: one rule per action,
 * told apart by the signal that triggers it.  Redis is a closed port, so the
 * shipper only fails and the spool's journals keep every record to read.
 *
 * The leak cases add the correlation store to the environment: Redis being
 * closed, it knows only what this process remembered, which is what a
 * message played before the case (its .before) leaves in it, as during an
 * outage; anything else it cannot answer ("try again").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "act.h"
#include "audit.h"
#include "cfg.h"
#include "ids.h"
#include "message.h"
#include "fixture_act.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define MAX_RCPTS	4
#define MAX_HEADERS	6
#define MAX_CALLS	8
#define MAX_WANT	4

#define CHECK(cond, ...)	do { if (!(cond)) fail_msg(__VA_ARGS__); } while (0)

static const char test_yaml[] =
	"milter:\n"
	"  user: \"\"\n"
	"  on_error: accept\n"
	"mode: enforce\n"
	"domains:\n"
	"  internal: [corp.example]\n"
	"mailboxes:\n"
	"  protected: [support@corp.example]\n"
	"  recipient_delimiter: \"+\"\n"
	"rules:\n"
	"  - name: forwarded-copy\n"
	"    match: { signals: [delivered-to, attached-message], destination: external }\n"
	"    action: reject\n"
	"    alert: critical\n"
	"  - name: later-exchange\n"
	"    match: { signals: [exchange-rule], destination: external }\n"
	"    action: tempfail\n"
	"  - name: watch-original-to\n"
	"    match: { signals: [original-to], destination: external }\n"
	"    action: reject\n"
	"    mode: monitor\n"
	"  - name: flag-gmail\n"
	"    match: { signals: [gmail-forward], destination: external }\n"
	"    action: flag\n"
	"  - name: hold-sieve\n"
	"    match: { signals: [sieve-redirect], destination: external }\n"
	"    action: quarantine\n"
	"  - name: strip-resent\n"
	"    match: { signals: [resent], destination: external }\n"
	"    action: strip\n"
	"  - name: body-unexamined\n"
	"    match: { signals: [body-unexamined], destination: external }\n"
	"    action: accept\n"
	"    alert: warning\n"
	"redis:\n"
	"  address: \"127.0.0.1:1\"\n"
	"audit:\n"
	"  spool: \"%s\"\n";


/* ---- the recorder behind struct act_ops ------------------------------------ */

enum op { OP_SETREPLY, OP_QUARANTINE, OP_DELRCPT, OP_ADDHEADER, OP_COUNT };
static const char *const op_names[OP_COUNT] = { "setreply", "quarantine", "delrcpt", "addheader" };

struct call {
	enum op op;
	char a[1200], b[1200], c[1200];	/* the arguments, in order */
};

struct recorder {
	struct call calls[MAX_CALLS];
	size_t ncalls;
	bool fail[OP_COUNT];	/* this operation returns -1 (after being recorded) */
};

static int
rec_add(struct recorder *r, enum op op, const char *a, const char *b, const char *c)
{
	if (r->ncalls < MAX_CALLS) {
		struct call *k = &r->calls[r->ncalls++];

		k->op = op;
		snprintf(k->a, sizeof(k->a), "%s", a != NULL ? a : "(null)");
		snprintf(k->b, sizeof(k->b), "%s", b != NULL ? b : "(null)");
		snprintf(k->c, sizeof(k->c), "%s", c != NULL ? c : "(null)");
	}
	return r->fail[op] ? -1 : 0;
}

static int
rec_setreply(void *ctx, const char *rcode, const char *xcode, const char *text)
{
	return rec_add(ctx, OP_SETREPLY, rcode, xcode, text);
}

static int
rec_quarantine(void *ctx, const char *reason)
{
	return rec_add(ctx, OP_QUARANTINE, reason, "", "");
}

static int
rec_delrcpt(void *ctx, const char *rcpt)
{
	return rec_add(ctx, OP_DELRCPT, rcpt, "", "");
}

static int
rec_addheader(void *ctx, const char *name, const char *value)
{
	return rec_add(ctx, OP_ADDHEADER, name, value, "");
}

static size_t
rec_count(const struct recorder *r, enum op op)
{
	size_t i, n = 0;

	for (i = 0; i < r->ncalls; i++)
		n += r->calls[i].op == op;
	return n;
}

/* The first call of op, or an empty one ("" arguments) when op was not called. */
static const struct call *
rec_first(const struct recorder *r, enum op op)
{
	static const struct call none = { .op = OP_COUNT };
	size_t i;

	for (i = 0; i < r->ncalls; i++)
		if (r->calls[i].op == op)
			return &r->calls[i];
	return &none;
}

static void
rec_describe(const struct recorder *r, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < r->ncalls && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s(%s|%s|%s) ", op_names[r->calls[i].op],
		    r->calls[i].a, r->calls[i].b, r->calls[i].c);
}

/* ---- the spool, read back (fixture_act_journal()) ---------------------------- */

/* The 26-character decision id after marker in text, into id; false when none. */
static bool
find_id(const char *text, const char *marker, char id[IDS_LEN + 1])
{
	static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	const char *p = strstr(text, marker);
	size_t i;

	if (p == NULL)
		return false;
	p += strlen(marker);
	for (i = 0; i < IDS_LEN; i++)
		if (p[i] == '\0' || strchr(crockford, p[i]) == NULL)
			return false;
	if (p[IDS_LEN] != '\0' && p[IDS_LEN] != ')' && p[IDS_LEN] != ':' && p[IDS_LEN] != ' ')
		return false;
	memcpy(id, p, IDS_LEN);
	id[IDS_LEN] = '\0';
	return true;
}

/* ---- the cases ----------------------------------------------------------------- */

struct hdr {
	const char *name, *value;
};

struct rcpt {
	const char *raw, *mailer, *host;
};

enum records { RECORDS_ANY, RECORDS_NONE, RECORDS_SOME };

struct act_case {
	const char *name;
	const char *sender;
	struct rcpt rcpts[MAX_RCPTS];
	struct hdr headers[MAX_HEADERS];
	const char *body;		/* NULL: the body is not read */
	const struct act_case *before;	/* played first, accepted: what the store is to know */
	enum op fail;			/* OP_COUNT: nothing fails */
	bool no_audit;			/* the environment has no audit trail */

	enum act_verdict want;
	const char *want_rcode;		/* setreply's rcode, NULL: setreply not called */
	const char *want_xcode;
	bool want_ref;			/* setreply's text carries "ref <id>" */
	bool want_quarantine;
	const char *want_delrcpt[MAX_WANT];	/* the recipients removed, in order */
	const char *want_journal[MAX_WANT];	/* text the new records hold */
	const char *want_not_journal;	/* text they must not hold, or NULL */
	const char *want_header;	/* X-Fwdguard value prefix, NULL: no header */
	bool want_no_ops;
	enum records want_records;
};

#define HDRS(...)	{ { "From", "Jane Customer <jane@example.net>" }, \
			  { "To", "support@corp.example" }, \
			  { "Message-ID", "<a1@example.net>" }, __VA_ARGS__ }
#define EXT		{ "<consultant@fti.example>", NULL, NULL }
#define EXT2		{ "<partner@other.example>", NULL, NULL }
#define COLLEAGUE	{ "<colleague@corp.example>", "local", "corp.example" }

/* Postfix's bounce of a customer's message to support@, and a person's forward of it. */
#define ENCLOSED \
	"Content-Type: message/rfc822\n\n" \
	"From: Jane Customer <jane@example.net>\n" \
	"To: support@corp.example\n" \
	"Message-ID: <a1@example.net>\n" \
	"Subject: my new address\n\n" \
	"Account 0000.\n" \
	"--b--\n"
#define DSN_HDRS { { "From", "MAILER-DAEMON@mx.corp.example (Mail Delivery System)" }, \
		   { "To", "jane@example.net" }, { "Message-ID", "<bounce1@mx.corp.example>" }, \
		   { "Content-Type", "multipart/report; report-type=delivery-status; boundary=\"b\"" } }
/* A DSN's status part and the boundary after it. */
#define DSN_STATUS \
	"Content-Type: message/delivery-status\n\n" \
	"Reporting-MTA: dns; mx.corp.example\n\n" \
	"Final-Recipient: rfc822; gone@corp.example\n" \
	"Action: failed\n" \
	"Status: 5.1.1\n\n" \
	"--b\n"
static const char dsn_body[] =
	"--b\n"
	"Content-Type: text/plain\n\n"
	"Your message could not be delivered.\n"
	"--b\n"
	DSN_STATUS
	ENCLOSED;
static const char dsn_tagged_body[] =
	"--b\n"
	"Content-Type: message/rfc822\n\n"
	"From: Jane Customer <jane+shop@example.net>\n"
	"To: support@corp.example\n"
	"Message-ID: <a2@example.net>\n\n"
	"Account 0000.\n"
	"--b--\n";
static const char forward_body[] =
	"--b\n"
	"Content-Type: text/plain\n\n"
	"See below.\n"
	"--b\n"
	ENCLOSED;
#define JANE		{ "<jane@example.net>", NULL, NULL }
/*
 * A forged bounce to the consultant: a decoy written to him (Delivered-To
 * support@, so it gives the signal) next to the customer's real message.
 */
#define DECOY_HDRS { { "From", "MAILER-DAEMON@mx.corp.example (Mail Delivery System)" }, \
		     { "To", "consultant@fti.example" }, \
		     { "Content-Type", "multipart/report; report-type=delivery-status; boundary=\"b\"" } }
static const char decoy_dsn_body[] =
	"--b\n"
	DSN_STATUS
	"Content-Type: message/rfc822\n\n"
	"From: insider@corp.example\n"
	"To: consultant@fti.example\n"
	"Delivered-To: support@corp.example\n"
	"Message-ID: <decoy@corp.example>\n\n"
	"hello\n"
	"--b\n"
	ENCLOSED;
/* A genuine bounce returning two of the customer's messages to her. */
static const char dsn_two_body[] =
	"--b\n"
	"Content-Type: message/rfc822\n\n"
	"From: Jane Customer <jane@example.net>\n"
	"To: support@corp.example\n"
	"Message-ID: <a0@example.net>\n\n"
	"First.\n"
	"--b\n"
	ENCLOSED;

/* A colleague's mail with a part in an encoding fwdguard does not decode. */
#define MIXED_HDRS(sender) { { "From", sender }, { "To", "consultant@fti.example" }, \
		{ "Content-Type", "multipart/mixed; boundary=\"u\"" } }
static const char uuencoded_body[] =
	"--u\n"
	"Content-Type: application/octet-stream; name=\"notes.txt\"\n"
	"Content-Transfer-Encoding: x-uuencode\n\n"
	"begin 644 notes.txt\n"
	"M1&5L:79E<F5D+51O.B!S=7!P;W)T0&-O<G`N97AA;7!L90H`\n"
	"end\n"
	"--u--\n";
static const char plain_attachment_body[] =
	"--u\n"
	"Content-Type: application/pdf; name=\"offer.pdf\"\n"
	"Content-Transfer-Encoding: base64\n\n"
	"JVBERi0xLjQKJeLjz9MK\n"
	"--u--\n";

static const struct act_case cases[] = {
	{ .name = "an insider's body that cannot be examined is recorded: body-unexamined",
	  .sender = "<colleague@corp.example>", .rcpts = { EXT },
	  .headers = MIXED_HDRS("colleague@corp.example"), .body = uuencoded_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "signals=body-unexamined", "rule=body-unexamined",
			    "unexamined mail sent to fti.example: accept" },
	  .want_records = RECORDS_SOME },
	{ .name = "only the outside recipient of an unexamined body has the signal",
	  .sender = "<colleague@corp.example>", .rcpts = { COLLEAGUE, EXT },
	  .headers = MIXED_HDRS("colleague@corp.example"), .body = uuencoded_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "recipient=colleague@corp.example\tmailbox=\tdestination=internal\t"
			    "target=corp.example\tsignals=\t", "signals=body-unexamined" },
	  .want_records = RECORDS_SOME },
	{ .name = "an outside sender's unexamined body is not an insider's",
	  .sender = "<jane@example.net>", .rcpts = { EXT },
	  .headers = MIXED_HDRS("jane@example.net"), .body = uuencoded_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_records = RECORDS_NONE },
	{ .name = "an insider's ordinary attachment gives no body-unexamined",
	  .sender = "<colleague@corp.example>", .rcpts = { EXT },
	  .headers = MIXED_HDRS("colleague@corp.example"), .body = plain_attachment_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_records = RECORDS_NONE },
	{ .name = "bounce returning a customer's message to her is delivered",
	  .sender = "<>", .rcpts = { JANE }, .headers = DSN_HDRS, .body = dsn_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "outcome=delivered", "recipient's own message, not a leak",
			    "mailbox=support@corp.example" },
	  .want_records = RECORDS_SOME },
	{ .name = "bounce to a tagged sender returns her message to her",
	  .sender = "<>", .rcpts = { { "<Jane+Shop@example.net>", NULL, NULL } },
	  .headers = DSN_HDRS, .body = dsn_tagged_body, .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "outcome=delivered" }, .want_records = RECORDS_SOME },
	{ .name = "the same bounce to a non-party is rejected",
	  .sender = "<>", .rcpts = { EXT }, .headers = DSN_HDRS, .body = dsn_body,
	  .fail = OP_COUNT, .want = VERDICT_REJECT, .want_rcode = "550", .want_xcode = "5.7.1",
	  .want_ref = true, .want_journal = { "signals=attached-message" },
	  .want_records = RECORDS_SOME },
	{ .name = "a bounce to its party and to a non-party removes the non-party only",
	  .sender = "<>", .rcpts = { JANE, EXT }, .headers = DSN_HDRS, .body = dsn_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_delrcpt = { "<consultant@fti.example>" },
	  .want_journal = { "outcome=removed", "outcome=delivered" },
	  .want_records = RECORDS_SOME },
	{ .name = "forged bounce with a decoy written to the consultant is rejected",
	  .sender = "<>", .rcpts = { EXT }, .headers = DECOY_HDRS, .body = decoy_dsn_body,
	  .fail = OP_COUNT, .want = VERDICT_REJECT, .want_rcode = "550", .want_xcode = "5.7.1",
	  .want_ref = true, .want_journal = { "signals=attached-message" },
	  .want_records = RECORDS_SOME },
	{ .name = "bounce returning two of a customer's messages to her is delivered",
	  .sender = "<>", .rcpts = { JANE }, .headers = DSN_HDRS, .body = dsn_two_body,
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "outcome=delivered", "recipient's own message, not a leak" },
	  .want_records = RECORDS_SOME },
	{ .name = "auto-reply enclosing the message to its author is delivered",
	  .sender = "<>", .rcpts = { JANE },
	  .headers = { { "From", "support@corp.example" }, { "To", "jane@example.net" },
		       { "Auto-Submitted", "auto-replied" },
		       { "Content-Type", "multipart/mixed; boundary=\"b\"" } },
	  .body = forward_body, .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "outcome=delivered" }, .want_records = RECORDS_SOME },
	{ .name = "a person's forward enclosing the message to its author is still a signal",
	  .sender = "<colleague@corp.example>", .rcpts = { JANE },
	  .headers = { { "From", "colleague@corp.example" }, { "To", "jane@example.net" },
		       { "Content-Type", "multipart/mixed; boundary=\"b\"" } },
	  .body = forward_body, .fail = OP_COUNT, .want = VERDICT_REJECT, .want_rcode = "550",
	  .want_xcode = "5.7.1", .want_ref = true,
	  .want_journal = { "signals=attached-message" }, .want_records = RECORDS_SOME },
	{ .name = "forwarded copy is rejected with a reference",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = HDRS({ "Delivered-To", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_REJECT, .want_rcode = "550", .want_xcode = "5.7.1", .want_ref = true,
	  .want_records = RECORDS_SOME },
	{ .name = "reply to a customer is accepted untouched",
	  .sender = "<support@corp.example>", .rcpts = { { "<jane@example.net>", NULL, NULL } },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "Jane Customer <jane@example.net>" },
		       { "Message-ID", "<r1@corp.example>" },
		       { "In-Reply-To", "<a1@example.net>" } }, .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_no_ops = true, .want_records = RECORDS_ANY },
	{ .name = "resent copy strips only the external recipient",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, EXT },
	  .headers = HDRS({ "Resent-From", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_delrcpt = { "<consultant@fti.example>" },
	  .want_records = RECORDS_SOME },
	{ .name = "gmail forward is flagged with an X-Fwdguard header",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = HDRS({ "X-Forwarded-To", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT,
	  .want_header = "flag; rule=flag-gmail; signals=gmail-forward",
	  .want_records = RECORDS_SOME },
	{ .name = "sieve redirect is quarantined",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = HDRS({ "X-Sieve-Redirected-From", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_quarantine = true, .want_records = RECORDS_SOME },
	{ .name = "failed addheader tempfails the flagged message",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = HDRS({ "X-Forwarded-To", "support@corp.example" }), .fail = OP_ADDHEADER,
	  .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.3.0", .want_ref = true,
	  .want_header = "flag; rule=flag-gmail; signals=gmail-forward",
	  .want_records = RECORDS_SOME },
	{ .name = "failed quarantine tempfails the message",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = HDRS({ "X-Sieve-Redirected-From", "support@corp.example" }),
	  .fail = OP_QUARANTINE,
	  .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.3.0", .want_ref = true,
	  .want_quarantine = true, .want_records = RECORDS_SOME },
	{ .name = "failed delrcpt tempfails the message",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, EXT },
	  .headers = HDRS({ "Resent-From", "support@corp.example" }), .fail = OP_DELRCPT,
	  .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.3.0", .want_ref = true,
	  .want_delrcpt = { "<consultant@fti.example>" }, .want_records = RECORDS_SOME },
	{ .name = "mixed reject removes the outside copy and delivers the inside one",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, EXT, EXT2 },
	  .headers = HDRS({ "Delivered-To", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT,
	  .want_delrcpt = { "<consultant@fti.example>", "<partner@other.example>" },
	  .want_journal = { "action=reject", "outcome=removed",
			    "recipient removed, the others delivered" },
	  .want_records = RECORDS_SOME },
	{ .name = "mixed reject is alerted as a removal",
	  .sender = "<support@corp.example>", .rcpts = { EXT, COLLEAGUE },
	  .headers = HDRS({ "Delivered-To", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_delrcpt = { "<consultant@fti.example>" },
	  .want_journal = { "kind=alert", "reject, recipient removed, the others delivered "
			    "(rule forwarded-copy)", "outcome=delivered" },
	  .want_records = RECORDS_SOME },
	{ .name = "mixed tempfail removes the outside copy, nothing is tempfailed",
	  .sender = "<support@corp.example>", .rcpts = { EXT, COLLEAGUE },
	  .headers = HDRS({ "X-MS-Exchange-Inbox-Rules-Loop", "support@corp.example" }),
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_delrcpt = { "<consultant@fti.example>" },
	  .want_journal = { "action=tempfail", "outcome=removed" },
	  .want_records = RECORDS_SOME },
	{ .name = "mixed quarantine removes the outside copy, nothing is held",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, EXT },
	  .headers = HDRS({ "X-Sieve-Redirected-From", "support@corp.example" }),
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_delrcpt = { "<consultant@fti.example>" },
	  .want_journal = { "action=quarantine", "outcome=removed" },
	  .want_records = RECORDS_SOME },
	{ .name = "every recipient outside: the whole message is rejected",
	  .sender = "<support@corp.example>", .rcpts = { EXT, EXT2 },
	  .headers = HDRS({ "Delivered-To", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_REJECT, .want_rcode = "550", .want_xcode = "5.7.1", .want_ref = true,
	  .want_journal = { "outcome=rejected" }, .want_records = RECORDS_SOME },
	{ .name = "every recipient outside: the whole message is tempfailed",
	  .sender = "<support@corp.example>", .rcpts = { EXT, EXT2 },
	  .headers = HDRS({ "X-MS-Exchange-Inbox-Rules-Loop", "support@corp.example" }),
	  .fail = OP_COUNT, .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.7.1",
	  .want_ref = true, .want_journal = { "outcome=tempfailed" },
	  .want_records = RECORDS_SOME },
	{ .name = "every recipient outside: the whole message is held",
	  .sender = "<support@corp.example>", .rcpts = { EXT, EXT2 },
	  .headers = HDRS({ "X-Sieve-Redirected-From", "support@corp.example" }),
	  .fail = OP_COUNT, .want = VERDICT_ACCEPT, .want_quarantine = true,
	  .want_journal = { "outcome=held" }, .want_records = RECORDS_SOME },
	{ .name = "monitor-mode reject of a mixed transaction touches nothing",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, EXT },
	  .headers = HDRS({ "X-Original-To", "support@corp.example" }), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "action=reject", "mode=monitor", "outcome=delivered" },
	  .want_records = RECORDS_SOME },
	{ .name = "failed delrcpt of a mixed reject tempfails the message",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, EXT },
	  .headers = HDRS({ "Delivered-To", "support@corp.example" }), .fail = OP_DELRCPT,
	  .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.3.0", .want_ref = true,
	  .want_delrcpt = { "<consultant@fti.example>" }, .want_records = RECORDS_SOME },
	{ .name = "out-of-scope message writes no record",
	  .sender = "<alice@corp.example>", .rcpts = { { "<bob@corp.example>", "local", "corp.example" } },
	  .headers = { { "From", "Alice <alice@corp.example>" }, { "To", "bob@corp.example" },
		       { "Message-ID", "<o1@corp.example>" } }, .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_no_ops = true, .want_records = RECORDS_NONE },
	{ .name = "no audit trail tempfails despite on_error accept",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = HDRS({ "Delivered-To", "support@corp.example" }), .fail = OP_COUNT,
	  .no_audit = true,
	  .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.3.0", .want_ref = true,
	  .want_records = RECORDS_NONE },
};

/* ---- the leak path: the correlation store in the environment ------------------ */

/* Whatever cannot be checked against the store is held back (audit.correlation_on_error). */
static const char leak_yaml[] =
	"milter: { user: \"\", on_error: accept }\n"
	"domains: { internal: [corp.example] }\n"
	"mailboxes: { protected: [support@corp.example] }\n"
	"rules:\n"
	"  - name: leak-answer\n"
	"    match: { signals: [leak-backscatter, leak-probe] }\n"
	"    action: flag\n"
	"    alert: critical\n"
	"  - name: redirected-copy\n"
	"    match: { signals: [known-message-id], destination: external }\n"
	"    action: reject\n"
	"redis: { address: \"127.0.0.1:1\", timeout: 1 }\n"
	"audit: { spool: \"%s\", correlation_on_error: tempfail }\n";

/* What support@ receives: a colleague's note, a customer's letter (the store remembers both). */
static const struct act_case colleague_note = {
	.name = "a colleague writes to support@", .sender = "<colleague@corp.example>",
	.rcpts = { { "<support@corp.example>", "local", "corp.example" } },
	.headers = { { "From", "A Colleague <colleague@corp.example>" },
		     { "To", "support@corp.example" }, { "Message-ID", "<note1@corp.example>" } } };
static const struct act_case customer_letter = {
	.name = "a customer writes to support@", .sender = "<jane@example.net>",
	.rcpts = { { "<support@corp.example>", "local", "corp.example" } },
	.headers = { { "From", "Jane Customer <jane@example.net>" },
		     { "To", "support@corp.example" }, { "Message-ID", "<letter1@example.net>" } } };
/* An out-of-office answer from `from` to `to`, answering the message named `id`. */
#define OOO_HDRS(from, to, id) { { "From", from }, { "To", to }, \
		{ "Auto-Submitted", "auto-replied" }, { "Subject", "Out of Office" }, \
		{ "In-Reply-To", id }, { "References", id } }

static const struct act_case leak_cases[] = {
	{ .name = "an outside firm's auto-reply to support@'s mail is leak-backscatter",
	  .before = &colleague_note, .sender = "<>",
	  .rcpts = { { "<colleague@corp.example>", "local", "corp.example" } },
	  .headers = OOO_HDRS("Consultant <consultant@fti.example>", "colleague@corp.example",
			      "<note1@corp.example>"), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_header = "flag; rule=leak-answer; signals=leak-backscatter",
	  .want_journal = { "mailbox=support@corp.example\tdestination=external\ttarget=fti.example",
			    "original_message_id=note1@corp.example",
			    "support@corp.example mail reached, by an answer from fti.example",
			    "level=critical" },
	  .want_records = RECORDS_SOME },
	{ .name = "an auto-reply from a party to the original is no leak",
	  .before = &customer_letter, .sender = "<>",
	  .rcpts = { { "<support@corp.example>", "local", "corp.example" } },
	  .headers = OOO_HDRS("Jane Customer <jane@example.net>", "support@corp.example",
			      "<letter1@example.net>"), .fail = OP_COUNT,
	  .want = VERDICT_ACCEPT, .want_no_ops = true,
	  .want_journal = { "recipient=support@corp.example\tmailbox=support@corp.example" },
	  .want_not_journal = "leak-", .want_records = RECORDS_SOME },
	{ .name = "support@ redirecting a customer's letter outside is refused",
	  .before = &customer_letter, .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = { { "From", "Jane Customer <jane@example.net>" },
		       { "To", "support@corp.example" }, { "Message-ID", "<letter1@example.net>" } },
	  .fail = OP_COUNT, .want = VERDICT_REJECT, .want_rcode = "550", .want_xcode = "5.7.1",
	  .want_ref = true,
	  .want_journal = { "known-message-id\trule=redirected-copy\taction=reject",
			    "original_message_id=letter1@example.net", "outcome=rejected" },
	  .want_records = RECORDS_SOME },
	{ .name = "a store that cannot answer holds the redirect back, recorded unchecked",
	  .sender = "<support@corp.example>", .rcpts = { EXT },
	  .headers = { { "From", "Jane Customer <jane@example.net>" },
		       { "To", "support@corp.example" }, { "Message-ID", "<unknown1@example.net>" } },
	  .fail = OP_COUNT, .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.7.1",
	  .want_ref = true, .want_journal = { "unchecked=correlation", "outcome=tempfailed" },
	  .want_not_journal = "known-message-id", .want_records = RECORDS_SOME },
	{ .name = "an auto-reply from outside the store cannot check is held back, unchecked",
	  .sender = "<>", .rcpts = { { "<colleague@corp.example>", "local", "corp.example" } },
	  .headers = OOO_HDRS("Consultant <consultant@fti.example>", "colleague@corp.example",
			      "<unknown2@corp.example>"), .fail = OP_COUNT,
	  .want = VERDICT_TEMPFAIL, .want_rcode = "451", .want_xcode = "4.7.1",
	  .want_journal = { "recipient=colleague@corp.example", "unchecked=correlation",
			    "outcome=tempfailed" },
	  .want_not_journal = "leak-", .want_records = RECORDS_SOME },
};

static const char *
verdict_name(enum act_verdict v)
{
	switch (v) {
	case VERDICT_ACCEPT: return "accept";
	case VERDICT_CONTINUE: return "continue";
	case VERDICT_REJECT: return "reject";
	case VERDICT_TEMPFAIL: return "tempfail";
	}
	return "?";
}

static struct conn *
case_conn(const struct act_case *tc)
{
	struct conn *c = conn_new();
	size_t i;
	static unsigned queue_seq;

	assert_non_null(c);
	assert_non_null(c->cfg);
	assert_int_equal(conn_begin_message(c, fixture_act_env()->dir, tc->sender, NULL), 0);
	/* After conn_begin_message(), which forgets the last message's queue id. */
	snprintf(c->queue_id, sizeof(c->queue_id), "TESTQ%u", queue_seq++);
	for (i = 0; i < MAX_RCPTS && tc->rcpts[i].raw != NULL; i++)
		assert_int_equal(conn_add_rcpt(c, tc->rcpts[i].raw, NULL, tc->rcpts[i].mailer,
		    tc->rcpts[i].host), 0);
	for (i = 0; i < MAX_HEADERS && tc->headers[i].name != NULL; i++)
		evidence_header(c->ev, &c->cfg->policy, tc->headers[i].name, tc->headers[i].value);
	if (tc->body != NULL) {
		assert_true(conn_begin_body(c));
		conn_feed_body(c, (const unsigned char *)tc->body, strlen(tc->body));
	}
	return c;
}

static void
check_reply(const struct act_case *tc, const struct recorder *r, const char *calls,
    char ids[][IDS_LEN + 1], size_t *nids)
{
	const struct call *k = rec_first(r, OP_SETREPLY);

	if (tc->want_rcode == NULL) {
		CHECK(rec_count(r, OP_SETREPLY) == 0, "%s: setreply called, want none; calls: %s", tc->name, calls);
		return;
	}
	CHECK(rec_count(r, OP_SETREPLY) == 1, "%s: setreply called %zu times, want 1; calls: %s",
	    tc->name, rec_count(r, OP_SETREPLY), calls);
	CHECK(strcmp(k->a, tc->want_rcode) == 0, "%s: rcode got %s, want %s", tc->name, k->a,
	    tc->want_rcode);
	CHECK(strcmp(k->b, tc->want_xcode) == 0, "%s: xcode got %s, want %s", tc->name, k->b,
	    tc->want_xcode);
	if (tc->want_ref)
		CHECK(find_id(k->c, "ref ", ids[(*nids)++]),
		    "%s: reply text got \"%s\", want \"ref \" and a 26-char id", tc->name, k->c);
}

static void
check_actions(const struct act_case *tc, const struct recorder *r, const char *calls,
    char ids[][IDS_LEN + 1], size_t *nids)
{
	const struct call *k;
	size_t i, n;

	if (tc->want_no_ops)
		CHECK(r->ncalls == 0, "%s: got calls %s, want none", tc->name, calls);
	CHECK(rec_count(r, OP_QUARANTINE) == (tc->want_quarantine ? 1u : 0u),
	    "%s: quarantine called %zu times, want %d; calls: %s", tc->name,
	    rec_count(r, OP_QUARANTINE), tc->want_quarantine, calls);
	if (tc->want_quarantine) {
		k = rec_first(r, OP_QUARANTINE);
		CHECK(find_id(k->a, " id ", ids[(*nids)++]),
		    "%s: quarantine reason got \"%s\", want \" id <id>\"", tc->name, k->a);
	}
	for (i = 0, n = 0; i < MAX_WANT && tc->want_delrcpt[i] != NULL; i++) {
		for (; n < r->ncalls && r->calls[n].op != OP_DELRCPT; n++)
			;
		CHECK(n < r->ncalls && strcmp(r->calls[n].a, tc->want_delrcpt[i]) == 0,
		    "%s: delrcpt %zu: want %s; calls: %s", tc->name, i, tc->want_delrcpt[i], calls);
		n++;
	}
	CHECK(rec_count(r, OP_DELRCPT) == i, "%s: delrcpt called %zu times, want %zu; calls: %s",
	    tc->name, rec_count(r, OP_DELRCPT), i, calls);
	CHECK(rec_count(r, OP_ADDHEADER) == (tc->want_header != NULL ? 1u : 0u),
	    "%s: addheader called %zu times, want %d; calls: %s", tc->name,
	    rec_count(r, OP_ADDHEADER), tc->want_header != NULL, calls);
	if (tc->want_header != NULL) {
		k = rec_first(r, OP_ADDHEADER);
		CHECK(strcmp(k->a, "X-Fwdguard") == 0, "%s: header name got %s, want X-Fwdguard",
		    tc->name, k->a);
		CHECK(strncmp(k->b, tc->want_header, strlen(tc->want_header)) == 0,
		    "%s: header value got \"%s\", want prefix \"%s\"", tc->name, k->b,
		    tc->want_header);
		CHECK(find_id(k->b, "; id=", ids[(*nids)++]) && strlen(strstr(k->b, "; id=")) ==
		    5 + IDS_LEN, "%s: header value got \"%s\", want it to end in \"; id=<id>\"",
		    tc->name, k->b);
	}
}

static void
check_records(const struct act_case *tc, size_t before, char ids[][IDS_LEN + 1], size_t nids)
{
	size_t len, i;
	char *journal = fixture_act_journal(&len);

	if (tc->want_records == RECORDS_NONE)
		CHECK(len == before, "%s: spool grew from %zu to %zu bytes, want no record",
		    tc->name, before, len);
	if (tc->want_records == RECORDS_SOME)
		CHECK(len > before, "%s: spool stayed at %zu bytes, want records", tc->name, len);
	/* A tempfail's own ref is not a decision id: only decision ids are recorded. */
	for (i = 0; i < nids && tc->want_records == RECORDS_SOME; i++) {
		if (i == 0 && tc->want_rcode != NULL && tc->want_rcode[0] == '4')
			continue;
		CHECK(strstr(journal + before, ids[i]) != NULL,
		    "%s: decision id %s not in the spool when act_end_of_message returned",
		    tc->name, ids[i]);
	}
	for (i = 0; i < MAX_WANT && tc->want_journal[i] != NULL; i++)
		CHECK(strstr(journal + before, tc->want_journal[i]) != NULL,
		    "%s: the records lack \"%s\"; they are:\n%s", tc->name, tc->want_journal[i],
		    journal + before);
	CHECK(tc->want_not_journal == NULL || strstr(journal + before, tc->want_not_journal) == NULL,
	    "%s: the records hold \"%s\", want not; they are:\n%s", tc->name,
	    tc->want_not_journal, journal + before);
	free(journal);
}

static void
run_case(void **state)
{
	const struct act_case *tc = *state;
	struct recorder r = { .ncalls = 0 };
	struct act_ops ops = { &r, rec_setreply, rec_quarantine, rec_delrcpt, rec_addheader, NULL };
	struct act_env env = *fixture_act_env();
	struct conn *c;
	char calls[4096], ids[4][IDS_LEN + 1];
	size_t before, nids = 0;
	enum act_verdict got;

	if (tc->before != NULL) {
		c = case_conn(tc->before);
		got = act_end_of_message(&env, c, &ops);
		conn_free(c);
		CHECK(got == VERDICT_ACCEPT && r.ncalls == 0,
		    "%s: the message before got %s, want accept untouched", tc->name, verdict_name(got));
	}
	free(fixture_act_journal(&before));
	if (tc->fail != OP_COUNT)
		r.fail[tc->fail] = true;
	if (tc->no_audit)
		env.audit = NULL;
	c = case_conn(tc);
	got = act_end_of_message(&env, c, &ops);
	conn_free(c);

	rec_describe(&r, calls, sizeof(calls));
	CHECK(got == tc->want, "%s: verdict got %s, want %s; calls: %s", tc->name,
	    verdict_name(got), verdict_name(tc->want), calls);
	check_reply(tc, &r, calls, ids, &nids);
	check_actions(tc, &r, calls, ids, &nids);
	check_records(tc, before, ids, nids);
}

/* ---- fixture ------------------------------------------------------------------- */

static int
group_setup(void **state)
{
	(void)state;
	return fixture_act_setup("test_act", test_yaml, false);
}

static int
leak_setup(void **state)
{
	(void)state;
	return fixture_act_setup("test_act_leak", leak_yaml, true);
}

static void
cases_fill(struct CMUnitTest *tests, const struct act_case *cs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = cs[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)&cs[i];
	}
}

int
main(void)
{
	struct CMUnitTest tests[NCASES(cases)], leak_tests[NCASES(leak_cases)];

	cases_fill(tests, cases, NCASES(cases));
	cases_fill(leak_tests, leak_cases, NCASES(leak_cases));
	return cmocka_run_group_tests_name("act", tests, group_setup, fixture_act_teardown) |
	    cmocka_run_group_tests_name("act_leak", leak_tests, leak_setup, fixture_act_teardown);
}
