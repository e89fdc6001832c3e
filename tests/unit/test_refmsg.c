/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_refmsg.c - what the correlation store says about the messages an
 * outbound message names or encloses, through milter/act_end.c: a customer
 * writes to support@ (its correlation records, Message-ID and Outlook
 * conversation, go to the spool and the in-memory store), then support@
 * forwards it with a client's Forward button, in each client's way, to an
 * outside firm (referenced-message, judged against the message forwarded,
 * not its whole thread), or as an attachment whose headers name no
 * protected mailbox (known-message-id, original_via=attached); a bounce
 * returns a customer's message to the envelope sender the store recorded
 * for it.  Redis is a closed port: lookups say "try again" and the records
 * this process just wrote are what finds the original, as during an
 * outage.  The cases run in order as one story; each reads the records its
 * message left in the spool.  A message leaving whose ids the store could
 * not look up is recorded unchecked=correlation; with
 * audit.correlation_on_error: tempfail (a second story) it gets 451 4.7.1.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "act.h"
#include "audit.h"
#include "cfg.h"
#include "correlate.h"
#include "message.h"
#include "fixture_act.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define MAX_RCPTS	2
#define MAX_HEADERS	8
#define MAX_WANT	4

/* A Thread-Index of the customer's conversation, and a later one in it. */
#define TI_FIRST	"Adntir5mrR0a9TxOQK8LkylfTNIcAA=="
#define TI_LATER	"Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD"
#define CONV		"01d9ed8abe66ad1d1af53c4e40af0b93295f4cd21c00"

#define TEST_YAML \
	"milter:\n" \
	"  user: \"\"\n" \
	"  on_error: tempfail\n" \
	"mode: enforce\n" \
	"domains:\n" \
	"  internal: [corp.example]\n" \
	"mailboxes:\n" \
	"  protected: [support@corp.example]\n" \
	"rules:\n" \
	"  - name: forwarded-copy\n" \
	"    match: { signals: [known-message-id, referenced-message, attached-message],\n" \
	"             destination: external }\n" \
	"    action: reject\n" \
	"redis:\n" \
	"  address: \"127.0.0.1:1\"\n" \
	"  timeout: 1\n" \
	"audit:\n" \
	"  spool: \"%s\"\n"

static const char test_yaml[] = TEST_YAML;
static const char tempfail_yaml[] = TEST_YAML "  correlation_on_error: tempfail\n";


struct hdr {
	const char *name, *value;
};

struct rcpt {
	const char *raw, *mailer, *host;
};

/* A record the message must (or, with "!" before kind, must not) leave: field=value pairs. */
struct want {
	const char *kind;
	const char *fields[6];
};

struct refmsg_case {
	const char *name;
	const char *sender;
	struct rcpt rcpts[MAX_RCPTS];
	struct hdr headers[MAX_HEADERS];
	const char *body;		/* NULL: the body is not read */
	const char *message_id;		/* to find its records */
	const char *reply;		/* the reply text starts with it (rcode xcode text) */
	enum act_verdict verdict;
	bool any_verdict;		/* what a mixed transaction gets is act_apply's business */
	struct want want[MAX_WANT];
};

#define CUSTOMER	{ "<jane@customer.example>", NULL, NULL }
#define CONSULTANT	{ "<consultant@fti.example>", NULL, NULL }
#define SUPPORT		{ "<support@corp.example>", "local", "corp.example" }
#define COLLEAGUE	{ "<colleague@corp.example>", "local", "corp.example" }
#define ERIN_BOUNCES	{ "<bounce-erin=customer.example@mailer.example>", NULL, NULL }

/* A body enclosing one message (the headers set Content-Type: multipart/mixed; boundary=b). */
#define ENCLOSING(headers) \
	"--b\nContent-Type: text/plain\n\nSee the attachment.\n" \
	"--b\nContent-Type: message/rfc822\n\n" headers "\nmy account 12345\n--b--\n"
#define MIXED		{ "Content-Type", "multipart/mixed; boundary=b" }
#define REPORT		{ "Content-Type", "multipart/report; report-type=delivery-status; boundary=b" }
/* A bounce of Erin's message (she writes from a mailing service's bounce address). */
#define ERIN_DSN \
	"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.corp.example\n\n" \
	"Final-Recipient: rfc822; gone@corp.example\nAction: failed\nStatus: 5.1.1\n\n" \
	"--b\nContent-Type: message/rfc822\n\nFrom: Erin <erin@customer.example>\n" \
	"To: support@corp.example, gone@corp.example\nMessage-ID: <e1@customer.example>\n\n" \
	"please call me\n--b--\n"

static const struct refmsg_case cases[] = {
	{ .name = "the customer writes to support@: both correlation records",
	  .sender = "<jane@customer.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "Jane <jane@customer.example>" }, { "To", "support@corp.example" },
		       { "Subject", "my account 12345" }, { "Message-ID", "<c1@customer.example>" },
		       { "Thread-Index", TI_FIRST } },
	  .message_id = "c1@customer.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "correlation", { "message_id=c1@customer.example",
				       "mailbox=support@corp.example" } },
		    { "correlation", { "conversation=" CONV, "message_id=c1@customer.example",
				       "sender=jane@customer.example" } },
		    { "!decision", { "unchecked=correlation" } } } },
	{ .name = "Gmail-style forward (References, In-Reply-To) is rejected",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Fwd: my account 12345" },
		       { "Message-ID", "<f1@corp.example>" },
		       { "In-Reply-To", "<c1@customer.example>" },
		       { "References", "<c1@customer.example>" } },
	  .message_id = "f1@corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=referenced-message", "action=reject",
				    "mailbox=support@corp.example",
				    "original_message_id=c1@customer.example",
				    "original_via=references",
				    "corroboration=forward-subject" } } } },
	{ .name = "Thunderbird-style forward (X-Forwarded-Message-Id) is rejected",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "my account 12345" },
		       { "Message-ID", "<f2@corp.example>" },
		       { "X-Forwarded-Message-Id", "<c1@customer.example>" } },
	  .message_id = "f2@corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=referenced-message", "action=reject",
				    "original_message_id=c1@customer.example",
				    "original_via=x-forwarded-message-id" } },
		    { "!decision", { "corroboration=forward-subject" } } } },
	{ .name = "Outlook-style forward (Thread-Index only) is rejected",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "TR: my account 12345" },
		       { "Message-ID", "<f3@corp.example>" }, { "Thread-Index", TI_LATER },
		       { "Thread-Topic", "my account 12345" } },
	  .message_id = "f3@corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=referenced-message", "action=reject",
				    "original_message_id=c1@customer.example",
				    "original_via=thread-index" } } } },
	{ .name = "support@'s reply to the customer passes",
	  .sender = "<support@corp.example>", .rcpts = { CUSTOMER },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "jane@customer.example" }, { "Subject", "Re: my account 12345" },
		       { "Message-ID", "<r1@corp.example>" },
		       { "In-Reply-To", "<c1@customer.example>" },
		       { "References", "<c1@customer.example>" }, { "Thread-Index", TI_LATER } },
	  .message_id = "r1@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=referenced-message" } } } },
	{ .name = "a colleague's message to a colleague passes",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "colleague@corp.example" }, { "Subject", "Fwd: my account 12345" },
		       { "Message-ID", "<i1@corp.example>" },
		       { "References", "<c1@customer.example>" },
		       { "X-Forwarded-Message-Id", "<c1@customer.example>" },
		       { "Thread-Index", TI_LATER } },
	  .message_id = "i1@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=referenced-message" } },
		    { "!decision", { "unchecked=correlation" } } } },
	{ .name = "the customer's copy of a forward with the firm in Bcc is no leak",
	  .sender = "<support@corp.example>", .rcpts = { CUSTOMER, CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "jane@customer.example" }, { "Subject", "Re: my account 12345" },
		       { "Message-ID", "<m1@corp.example>" },
		       { "In-Reply-To", "<c1@customer.example>" } },
	  .message_id = "m1@corp.example", .any_verdict = true,
	  .want = { { "decision", { "recipient=consultant@fti.example",
				    "signals=referenced-message" } },
		    { "!decision", { "recipient=jane@customer.example",
				     "signals=referenced-message" } } } },
	{ .name = "a web form writes to support@, answers go to Reply-To",
	  .sender = "<www-data@corp.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "Web form <webform@corp.example>" },
		       { "Reply-To", "Paul <paul@mail.example>" }, { "To", "support@corp.example" },
		       { "Subject", "contact form" }, { "Message-ID", "<w1@corp.example>" } },
	  .message_id = "w1@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "correlation", { "message_id=w1@corp.example",
				       "rcpt_domains=corp.example,mail.example" } } } },
	{ .name = "support@'s answer to the web form's Reply-To passes",
	  .sender = "<support@corp.example>", .rcpts = { { "<paul@mail.example>", NULL, NULL } },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "paul@mail.example" }, { "Subject", "Re: contact form" },
		       { "Message-ID", "<r2@corp.example>" },
		       { "In-Reply-To", "<w1@corp.example>" } },
	  .message_id = "r2@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=referenced-message" } } } },
	{ .name = "a shop writes from a bounce domain to support@",
	  .sender = "<bounce-77@bounces.mailer.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "Shop <orders@shop.example>" }, { "To", "support@corp.example" },
		       { "Subject", "order 4711" }, { "Message-ID", "<s1@shop.example>" } },
	  .message_id = "s1@shop.example", .verdict = VERDICT_ACCEPT },
	{ .name = "support@'s answer to the shop's From passes",
	  .sender = "<support@corp.example>", .rcpts = { { "<orders@shop.example>", NULL, NULL } },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "orders@shop.example" }, { "Subject", "Re: order 4711" },
		       { "Message-ID", "<r3@corp.example>" }, { "In-Reply-To", "<s1@shop.example>" },
		       { "References", "<s1@shop.example>" } },
	  .message_id = "r3@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=referenced-message" } } } },
	{ .name = "a message naming ids nobody recorded passes",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Fwd: our offer" },
		       { "Message-ID", "<u1@corp.example>" },
		       { "References", "<unknown@fti.example>" },
		       { "X-Forwarded-Message-Id", "<other@corp.example>" },
		       { "Thread-Index", "AQHZ7Yq+Zq0dGvU8TkCvC5MpV0zSHA==" } },
	  .message_id = "u1@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=referenced-message" } },
		    { "decision", { "unchecked=correlation", "action=accept",
				    "outcome=delivered",
				    "reason=no rule matched; correlation store not consulted" } } } },
	/* An old message of the firm's own: the firm is a party to it, not to c1. */
	{ .name = "the firm writes to support@",
	  .sender = "<consultant@fti.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "consultant@fti.example" }, { "To", "support@corp.example" },
		       { "Subject", "our offer" }, { "Message-ID", "<offer1@fti.example>" } },
	  .message_id = "offer1@fti.example", .verdict = VERDICT_ACCEPT },
	{ .name = "a forward of c1 with the firm's old message in References is rejected",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Fwd: my account 12345" },
		       { "Message-ID", "<f4@corp.example>" },
		       { "In-Reply-To", "<c1@customer.example>" },
		       { "References", "<offer1@fti.example> <c1@customer.example>" } },
	  .message_id = "f4@corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=referenced-message", "action=reject",
				    "original_message_id=c1@customer.example",
				    "original_via=references" } } } },
	{ .name = "support@'s answer to the firm's message, in c1's thread, passes",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Re: our offer" },
		       { "Message-ID", "<r4@corp.example>" },
		       { "In-Reply-To", "<offer1@fti.example>" },
		       { "References", "<c1@customer.example> <offer1@fti.example>" } },
	  .message_id = "r4@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=referenced-message" } } } },
	/* A customer writes to sales@ with support@ in Bcc: her headers name no protected mailbox. */
	{ .name = "a customer writes to sales@, support@ in Bcc",
	  .sender = "<jane@customer.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "Jane <jane@customer.example>" }, { "To", "sales@corp.example" },
		       { "Subject", "my account 12345" }, { "Message-ID", "<b1@customer.example>" } },
	  .message_id = "b1@customer.example", .verdict = VERDICT_ACCEPT },
	{ .name = "support@ forwards it as an attachment to the firm: rejected, attached",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "for you" },
		       { "Message-ID", "<a1@corp.example>" }, MIXED },
	  .body = ENCLOSING("From: Jane <jane@customer.example>\nTo: sales@corp.example\n"
			    "Message-ID: <b1@customer.example>\n"),
	  .message_id = "a1@corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=known-message-id", "action=reject",
				    "mailbox=support@corp.example",
				    "original_message_id=b1@customer.example",
				    "original_via=attached" } },
		    { "!decision", { "signals=attached-message" } } } },
	{ .name = "named as an old thread message and attached: the attachment is judged",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Re: our offer" },
		       { "Message-ID", "<a2@corp.example>" },
		       { "In-Reply-To", "<offer1@fti.example>" },
		       { "References", "<b1@customer.example> <offer1@fti.example>" }, MIXED },
	  .body = ENCLOSING("From: Jane <jane@customer.example>\nTo: sales@corp.example\n"
			    "Message-ID: <b1@customer.example>\n"),
	  .message_id = "a2@corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=known-message-id",
				    "original_message_id=b1@customer.example",
				    "original_via=attached" } },
		    { "!decision", { "signals=referenced-message" } } } },
	{ .name = "the same attachment sent back to the customer passes",
	  .sender = "<support@corp.example>", .rcpts = { CUSTOMER },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "jane@customer.example" }, { "Subject", "your message" },
		       { "Message-ID", "<a3@corp.example>" }, MIXED },
	  .body = ENCLOSING("From: Jane <jane@customer.example>\nTo: sales@corp.example\n"
			    "Message-ID: <b1@customer.example>\n"),
	  .message_id = "a3@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "signals=known-message-id" } } } },
	/* Erin's envelope sender is a mailing service's bounce address, not her From:. */
	{ .name = "Erin writes to support@ and gone@ from a bounce address",
	  .sender = "<bounce-erin=customer.example@mailer.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "Erin <erin@customer.example>" },
		       { "To", "support@corp.example, gone@corp.example" },
		       { "Subject", "please call me" }, { "Message-ID", "<e1@customer.example>" } },
	  .message_id = "e1@customer.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "correlation", { "message_id=e1@customer.example",
				       "sender=bounce-erin=customer.example@mailer.example" } } } },
	{ .name = "the bounce of her message to her envelope sender is delivered",
	  .sender = "<>", .rcpts = { ERIN_BOUNCES },
	  .headers = { { "From", "MAILER-DAEMON@mx.corp.example (Mail Delivery System)" },
		       { "To", "bounce-erin=customer.example@mailer.example" },
		       { "Subject", "Undelivered Mail Returned to Sender" },
		       { "Message-ID", "<d1@mx.corp.example>" }, REPORT },
	  .body = ERIN_DSN, .message_id = "d1@mx.corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "decision", { "recipient=bounce-erin=customer.example@mailer.example",
				    "outcome=delivered", "mailbox=support@corp.example" } },
		    { "!decision", { "signals=attached-message" } },
		    { "!decision", { "signals=known-message-id" } } } },
	{ .name = "the same bounce to the firm is rejected",
	  .sender = "<>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "MAILER-DAEMON@mx.corp.example (Mail Delivery System)" },
		       { "To", "consultant@fti.example" },
		       { "Subject", "Undelivered Mail Returned to Sender" },
		       { "Message-ID", "<d2@mx.corp.example>" }, REPORT },
	  .body = ERIN_DSN, .message_id = "d2@mx.corp.example", .verdict = VERDICT_REJECT,
	  .want = { { "decision", { "signals=attached-message", "action=reject",
				    "original_message_id=e1@customer.example",
				    "original_via=attached" } },
		    { "decision", { "signals=known-message-id" } } } },
};

/*
 * audit.correlation_on_error: tempfail.  Redis cannot answer: what the
 * process remembers still decides; a message leaving that names ids nobody
 * could look up is held back whole, so that its retry is judged.
 */
static const struct refmsg_case tempfail_cases[] = {
	{ .name = "tempfail: the customer writes to support@",
	  .sender = "<jane@customer.example>", .rcpts = { SUPPORT },
	  .headers = { { "From", "Jane <jane@customer.example>" }, { "To", "support@corp.example" },
		       { "Subject", "my account 12345" }, { "Message-ID", "<c1@customer.example>" } },
	  .message_id = "c1@customer.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "correlation", { "message_id=c1@customer.example" } } } },
	{ .name = "tempfail: a forward of a message remembered is still rejected",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Fwd: my account 12345" },
		       { "Message-ID", "<f1@corp.example>" },
		       { "References", "<c1@customer.example>" } },
	  .message_id = "f1@corp.example", .verdict = VERDICT_REJECT, .reply = "550 5.7.1 ",
	  .want = { { "decision", { "signals=referenced-message", "action=reject",
				    "unchecked=correlation" } } } },
	{ .name = "tempfail: a forward of a message nobody could look up gets 451 4.7.1",
	  .sender = "<support@corp.example>", .rcpts = { CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "consultant@fti.example" }, { "Subject", "Fwd: my order" },
		       { "Message-ID", "<f2@corp.example>" },
		       { "References", "<before-restart@customer.example>" } },
	  .message_id = "f2@corp.example", .verdict = VERDICT_TEMPFAIL,
	  .reply = "451 4.7.1 message cannot be checked",
	  .want = { { "decision", { "unchecked=correlation", "action=tempfail",
				    "outcome=tempfailed", "reason=correlation store unavailable",
				    "recipient=consultant@fti.example" } } } },
	{ .name = "tempfail: with a colleague too, the whole message waits; only the outside is unchecked",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE, CONSULTANT },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "colleague@corp.example" }, { "Subject", "Fwd: my order" },
		       { "Message-ID", "<f3@corp.example>" },
		       { "References", "<before-restart@customer.example>" } },
	  .message_id = "f3@corp.example", .verdict = VERDICT_TEMPFAIL,
	  .want = { { "decision", { "recipient=consultant@fti.example", "action=tempfail",
				    "unchecked=correlation" } },
		    { "decision", { "recipient=colleague@corp.example", "outcome=tempfailed" } },
		    { "!decision", { "recipient=colleague@corp.example",
				     "unchecked=correlation" } } } },
	{ .name = "tempfail: a message between colleagues is delivered",
	  .sender = "<support@corp.example>", .rcpts = { COLLEAGUE },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "colleague@corp.example" }, { "Subject", "Fwd: my order" },
		       { "Message-ID", "<i1@corp.example>" },
		       { "References", "<before-restart@customer.example>" } },
	  .message_id = "i1@corp.example", .verdict = VERDICT_ACCEPT,
	  .want = { { "!decision", { "unchecked=correlation" } } } },
	{ .name = "tempfail: a message naming no id leaves",
	  .sender = "<support@corp.example>", .rcpts = { CUSTOMER },
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "jane@customer.example" }, { "Subject", "hello" } },
	  .message_id = "", .verdict = VERDICT_ACCEPT },
};

/* ---- the MTA side: only the reply matters here ------------------------------- */

static char last_reply[600];

static int
op_setreply(void *ctx, const char *rcode, const char *xcode, const char *text)
{
	(void)ctx;
	snprintf(last_reply, sizeof(last_reply), "%s %s %s", rcode, xcode, text);
	return 0;
}

static int
op_quarantine(void *ctx, const char *reason)
{
	(void)ctx; (void)reason;
	return 0;
}

static int
op_delrcpt(void *ctx, const char *rcpt)
{
	(void)ctx; (void)rcpt;
	return 0;
}

static int
op_addheader(void *ctx, const char *name, const char *value)
{
	(void)ctx; (void)name; (void)value;
	return 0;
}

/* ---- the spool, read back as records ------------------------------------------- */

/* The record has field=value (a "signals" value: the list holds it). */
static bool
record_has(const struct record *r, const char *fv)
{
	const char *eq = strchr(fv, '='), *v;
	char field[64];
	size_t fl = eq != NULL ? (size_t)(eq - fv) : 0;

	if (fl == 0 || fl >= sizeof(field))
		return false;
	memcpy(field, fv, fl);
	field[fl] = '\0';
	if ((v = record_get(r, field)) == NULL)
		return false;
	if (strcmp(field, "signals") == 0) {
		char list[600], item[128];

		snprintf(list, sizeof(list), ",%s,", v);
		snprintf(item, sizeof(item), ",%s,", eq + 1);
		return strstr(list, item) != NULL;
	}
	/* Envelope addresses may keep their angle brackets. */
	if (strcmp(field, "recipient") == 0 && v[0] == '<')
		return strncmp(v + 1, eq + 1, strlen(eq + 1)) == 0 && v[strlen(eq + 1) + 1] == '>';
	return strcmp(v, eq + 1) == 0;
}

/* How many spool records of kind for message_id hold every field of w. */
static size_t
spool_matches(const char *message_id, const char *kind, const struct want *w)
{
	char pattern[128], *line = NULL;
	size_t cap = 0, found = 0, g, k;
	glob_t gl;

	snprintf(pattern, sizeof(pattern), "%s/journal-*", fixture_act_spool());
	if (glob(pattern, 0, NULL, &gl) != 0)
		return 0;
	for (g = 0; g < gl.gl_pathc; g++) {
		FILE *f = fopen(gl.gl_pathv[g], "r");
		ssize_t n;

		while (f != NULL && (n = getline(&line, &cap, f)) > 0) {
			struct record *r = record_decode(line, (size_t)n - (line[n - 1] == '\n'));
			const char *rk = r != NULL ? record_get(r, "kind") : NULL;
			const char *rid = r != NULL ? record_get(r, "message_id") : NULL;
			bool all = rk != NULL && rid != NULL && strcmp(rk, kind) == 0 &&
			    strcmp(rid, message_id) == 0;

			for (k = 0; all && k < 6 && w->fields[k] != NULL; k++)
				all = record_has(r, w->fields[k]);
			found += all;
			record_free(r);
		}
		if (f != NULL)
			fclose(f);
	}
	free(line);
	globfree(&gl);
	return found;
}

/* ---- the cases --------------------------------------------------------------------- */

static void
run_case(const struct refmsg_case *tc)
{
	struct act_ops ops = { NULL, op_setreply, op_quarantine, op_delrcpt, op_addheader, NULL };
	struct conn *c = conn_new();
	enum act_verdict got;
	size_t i;

	assert_non_null(c);
	last_reply[0] = '\0';
	assert_int_equal(conn_begin_message(c, fixture_act_env()->dir, tc->sender, NULL), 0);
	for (i = 0; i < MAX_RCPTS && tc->rcpts[i].raw != NULL; i++)
		assert_int_equal(conn_add_rcpt(c, tc->rcpts[i].raw, NULL, tc->rcpts[i].mailer,
		    tc->rcpts[i].host), 0);
	for (i = 0; i < MAX_HEADERS && tc->headers[i].name != NULL; i++)
		evidence_header(c->ev, &c->cfg->policy, tc->headers[i].name, tc->headers[i].value);
	if (tc->body != NULL) {
		assert_true(conn_begin_body(c));
		conn_feed_body(c, (const unsigned char *)tc->body, strlen(tc->body));
	}
	got = act_end_of_message(fixture_act_env(), c, &ops);
	conn_free(c);
	if (!tc->any_verdict && got != tc->verdict)
		fail_msg("%s: verdict got %d, want %d", tc->name, got, tc->verdict);
	if (tc->reply != NULL && strncmp(last_reply, tc->reply, strlen(tc->reply)) != 0)
		fail_msg("%s: reply got \"%s\", want \"%s...\"", tc->name, last_reply, tc->reply);
	for (i = 0; i < MAX_WANT && tc->want[i].kind != NULL; i++) {
		const struct want *w = &tc->want[i];
		bool negated = w->kind[0] == '!';
		size_t n = spool_matches(tc->message_id, w->kind + negated, w);

		if (negated ? n != 0 : n == 0)
			fail_msg("%s: %zu %s records with %s%s%s%s, want %s", tc->name, n,
			    w->kind + negated, w->fields[0], w->fields[1] ? " " : "",
			    w->fields[1] ? w->fields[1] : "", w->fields[2] ? " ..." : "",
			    negated ? "none" : "some");
	}
}

/* ---- the story, in order --------------------------------------------------------- */

static int
setup(void **state)
{
	(void)state;
	return fixture_act_setup("test_refmsg", test_yaml, true);
}

/* One story: every case builds on the records the ones before it left. */
static void
run_story(const struct refmsg_case *story, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&story[i]);
}

static void
test_story(void **state)
{
	(void)state;
	run_story(cases, NCASES(cases));
}

static int
setup_tempfail(void **state)
{
	(void)state;
	return fixture_act_setup("test_refmsg", tempfail_yaml, true);
}

static void
test_tempfail_story(void **state)
{
	(void)state;
	run_story(tempfail_cases, NCASES(tempfail_cases));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_story, setup, fixture_act_teardown),
		cmocka_unit_test_setup_teardown(test_tempfail_story, setup_tempfail,
		    fixture_act_teardown),
	};

	return cmocka_run_group_tests_name("refmsg", tests, NULL, NULL);
}
