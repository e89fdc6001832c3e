/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_decide.c - decisions end to end: headers and envelope in, one
 * decision per recipient and the message outcome out (policy/decide.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "buf.h"
#include "decide.h"

#define S(x)	SIGNAL_BIT(SIGNAL_##x)
#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define MAX_RCPTS	4
#define MAX_HEADERS	6

/* 2026-01-01T00:00:00Z: the allow entry below expires at the end of 2027-06-30. */
#define NOW_2026	((time_t)1767225600)
#define NOW_2028	((time_t)1830297600)

static char *test_protected[] = { "support@corp.example", "contactfr@corp.example" };
static char *support_only[] = { "support@corp.example" };

static struct policy_allow test_allow[] = {
	{ .destination = "helpdesk-vendor.example", .mailboxes = support_only, .nmailboxes = 1,
	  .reason = "data processing agreement DPA-2024-17", .owner = "dpo@corp.example",
	  .expires = "2027-06-30", .expires_at = (time_t)1814400000 },
};

static struct policy_rule test_rules[] = {
	{ .name = "forwarded-copy",
	  .signals = S(DELIVERED_TO) | S(ORIGINAL_TO) | S(ORCPT) | S(RECEIVED_FOR) |
	    S(SIEVE_REDIRECT) | S(EXCHANGE_RULE) | S(EXCHANGE_AUTOFORWARD) | S(GMAIL_FORWARD) |
	    S(RESENT) | S(HEADER_RECIPIENT) | S(KNOWN_MESSAGE_ID) | S(ATTACHED_MESSAGE),
	  .destinations = DEST_BIT(DEST_EXTERNAL), .action = ACTION_REJECT, .mode = -1,
	  .alert = ALERT_CRITICAL },
	{ .name = "directory-forward", .signals = S(DIRECTORY_FORWARD),
	  .action = ACTION_QUARANTINE, .mode = -1, .alert = ALERT_CRITICAL },
	{ .name = "leak-backscatter", .signals = S(LEAK_BACKSCATTER) | S(LEAK_PROBE),
	  .action = ACTION_ACCEPT, .mode = -1, .alert = ALERT_CRITICAL },
};

static struct policy test_policy = {
	.protected = test_protected,
	.nprotected = 2,
	.delimiters = "+",
	.allow = test_allow,
	.nallow = 1,
	.rules = test_rules,
	.nrules = NCASES(test_rules),
	.mode = MODE_ENFORCE,
};

#include "policy_fixture.h"

/* --- one message, described as data ------------------------------------------------ */

struct rcpt_case {
	const char *raw;
	const char *orcpt;
	const char *mailer, *host;
	signal_set extra;
	const char *extra_mailbox, *extra_target;
	signal_set own_party;
	/* wanted */
	enum action action;
	enum destination dest;
	enum direction dir;
	const char *rule;	/* NULL: no rule */
	const char *reason;	/* a prefix of the reason */
	const char *target;	/* NULL: not checked */
	const char *mailbox;	/* NULL: none */
	enum decide_fate fate;	/* 0 (delivered): not checked */
};

struct msg_case {
	const char *name;
	const char *headers[MAX_HEADERS][2];
	const char *sender;
	struct rcpt_case rcpts[MAX_RCPTS];
	size_t nrcpts;
	enum mode global_mode;
	int rule_mode;		/* forwarded-copy's own mode, -1 follows */
	enum action rule_action;	/* forwarded-copy's action */
	bool scope_all;
	time_t now;
	int want_ret;
	enum mode want_mode;	/* of decisions that matched a rule */
	enum action want_outcome;
};

#define SUPPORT	"support@corp.example"

static const struct msg_case msg_cases[] = {
	{ .name = "inbox rule forward is rejected",
	  .headers = { { "From", "Customer <customer@gmail.example>" }, { "To", SUPPORT },
		       { "X-MS-Exchange-Inbox-Rules-Loop", SUPPORT } },
	  .sender = "<support@corp.example>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of support@corp.example to fti.example (signals "
				 "exchange-rule,header-recipient)",
		       .target = "fti.example", .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "reply from the mailbox to the customer is accepted",
	  .headers = { { "From", "Support <support@corp.example>" },
		       { "To", "customer@gmail.example" }, { "In-Reply-To", "<a@gmail.example>" } },
	  .sender = "<support+replies@corp.example>",
	  .rcpts = { { .raw = "<customer@gmail.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .reason = "no rule matched",
		       .target = "gmail.example", .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "forward to an allowed processor is accepted and names the exception",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_ALLOWED, .dir = DIR_OUTBOUND,
		       .reason = "allowed: data processing agreement DPA-2024-17",
		       .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "expired exception no longer allows",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>", .now = NOW_2028,
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of support@corp.example to helpdesk-vendor" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "exception for another mailbox does not allow",
	  .headers = { { "Delivered-To", "contactfr@corp.example" } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of contactfr@corp.example",
		       .mailbox = "contactfr@corp.example" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "monitor mode records the action and lets the message pass",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>", .global_mode = MODE_MONITOR,
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of support@corp.example to fti.example (signals "
				 "delivered-to)" } },
	  .nrcpts = 1, .want_ret = 1, .want_mode = MODE_MONITOR, .want_outcome = ACTION_ACCEPT },
	{ .name = "rule in monitor mode overrides global enforce",
	  .headers = { { "X-Original-To", SUPPORT } },
	  .sender = "<customer@gmail.example>", .rule_mode = MODE_MONITOR,
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy" } },
	  .nrcpts = 1, .want_ret = 1, .want_mode = MODE_MONITOR, .want_outcome = ACTION_ACCEPT },
	{ .name = "strip removes the external copy and delivers the internal one",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>", .rule_action = ACTION_STRIP,
	  .rcpts = { { .raw = "<colleague@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND, .reason = "no rule matched",
		       .mailbox = SUPPORT },
		     { .raw = "<consultant@fti.example>", .action = ACTION_STRIP,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy" } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_STRIP },
	{ .name = "archive bcc of a customer's message: only the archive copy is removed",
	  .headers = { { "From", "Jane Customer <jane@customer.example>" }, { "To", SUPPORT },
		       { "Message-ID", "<c1@customer.example>" } },
	  .sender = "<jane@customer.example>",
	  .rcpts = { { .raw = "<support@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND, .reason = "no rule matched",
		       .mailbox = SUPPORT },
		     { .raw = "<archive@archive.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of support@corp.example to archive.example "
				 "(signals header-recipient); recipient removed, the others delivered",
		       .fate = FATE_REMOVED } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_STRIP },
	{ .name = "alias keeping a copy and forwarding one: only the forward is removed",
	  .headers = { { "From", "Jane Customer <jane@customer.example>" }, { "To", SUPPORT } },
	  .sender = "<jane@customer.example>",
	  .rcpts = { { .raw = "<support@corp.example>", .orcpt = "rfc822;support@corp.example",
		       .action = ACTION_ACCEPT, .dest = DEST_INTERNAL, .dir = DIR_INBOUND,
		       .mailbox = SUPPORT },
		     { .raw = "<consultant@fti.example>", .orcpt = "rfc822;support@corp.example",
		       .action = ACTION_REJECT, .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .rule = "forwarded-copy", .fate = FATE_REMOVED } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_STRIP },
	{ .name = "forwarded copy to two outside and one inside delivers the inside one",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<jane@customer.example>", .rule_action = ACTION_QUARANTINE,
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_QUARANTINE,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .fate = FATE_REMOVED },
		     { .raw = "<colleague@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND, .reason = "no rule matched" },
		     { .raw = "<partner@other.example>", .action = ACTION_QUARANTINE,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .fate = FATE_REMOVED } },
	  .nrcpts = 3, .want_ret = 1, .want_outcome = ACTION_STRIP },
	{ .name = "forwarded copy to outside recipients only is rejected as a whole",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<jane@customer.example>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .fate = FATE_REJECTED },
		     { .raw = "<partner@other.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .fate = FATE_REJECTED } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "directory forward beside a colleague holds the whole message",
	  .sender = "<jane@customer.example>",
	  .rcpts = { { .raw = "<support@corp.example>", .extra = S(DIRECTORY_FORWARD),
		       .extra_mailbox = SUPPORT, .extra_target = "consultant@fti.example",
		       .action = ACTION_QUARANTINE, .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .rule = "directory-forward", .fate = FATE_HELD },
		     { .raw = "<colleague@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND, .fate = FATE_HELD } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_QUARANTINE },
	{ .name = "bounce returning a customer's message to her is delivered and recorded",
	  .headers = { { "From", "MAILER-DAEMON@mx.corp.example" },
		       { "To", "jane@customer.example" } },
	  .sender = "<>",
	  .rcpts = { { .raw = "<jane@customer.example>", .own_party = S(ATTACHED_MESSAGE),
		       .extra_mailbox = SUPPORT, .action = ACTION_ACCEPT, .dest = DEST_EXTERNAL,
		       .dir = DIR_OUTBOUND, .mailbox = SUPPORT,
		       .reason = "no rule matched; attached-message names the recipient's own "
				 "message, not a leak" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "bounce carrying support's mail to a non-party is rejected",
	  .headers = { { "From", "MAILER-DAEMON@mx.corp.example" },
		       { "To", "consultant@fti.example" } },
	  .sender = "<>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .extra = S(ATTACHED_MESSAGE),
		       .extra_mailbox = SUPPORT, .action = ACTION_REJECT, .dest = DEST_EXTERNAL,
		       .dir = DIR_OUTBOUND, .rule = "forwarded-copy", .mailbox = SUPPORT,
		       .reason = "forwarded copy of support@corp.example to fti.example (signals "
				 "attached-message)" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "strip of every recipient quarantines",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>", .rule_action = ACTION_STRIP,
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_STRIP,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_QUARANTINE },
	{ .name = "unclassifiable recipient takes on_error when a protected mailbox is involved",
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<support@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND, .reason = "no rule matched",
		       .mailbox = SUPPORT },
		     { .raw = "<a@b@@corp.example>", .action = ACTION_TEMPFAIL,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .reason = "unclassifiable recipient: " } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_TEMPFAIL },
	{ .name = "unclassifiable recipient out of scope is accepted",
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<a@b@@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .reason = "unclassifiable recipient: " } },
	  .nrcpts = 1, .want_ret = 0, .want_outcome = ACTION_ACCEPT },
	{ .name = "mail touching no protected mailbox is out of scope",
	  .headers = { { "From", "customer@gmail.example" }, { "To", "colleague@corp.example" } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<colleague@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND } },
	  .nrcpts = 1, .want_ret = 0, .want_outcome = ACTION_ACCEPT },
	{ .name = "scope all records mail touching no protected mailbox",
	  .sender = "<colleague@corp.example>", .scope_all = true,
	  .rcpts = { { .raw = "<other@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INTERNAL, .reason = "no rule matched" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "exchange autoforward marker does not count for another sender",
	  .headers = { { "X-MS-Exchange-Organization-AutoForwarded", "true" },
		       { "From", "colleague@corp.example" },
		       { "To", "support@corp.example, consultant@fti.example" } },
	  .sender = "<colleague@corp.example>",
	  .rcpts = { { .raw = "<support@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INTERNAL, .mailbox = SUPPORT },
		     { .raw = "<consultant@fti.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .reason = "no rule matched" } },
	  .nrcpts = 2, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "exchange autoforward from the protected mailbox is rejected",
	  .headers = { { "X-MS-Exchange-Organization-AutoForwarded", "true" },
		       { "From", "customer@gmail.example" }, { "To", "consultant@fti.example" } },
	  .sender = "<support@corp.example>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of support@corp.example to fti.example (signals "
				 "exchange-autoforward)", .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "orcpt of a protected mailbox on egress is rejected",
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .orcpt = "rfc822;support+2Bx@corp.example",
		       .action = ACTION_REJECT, .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .rule = "forwarded-copy",
		       .reason = "forwarded copy of support@corp.example to fti.example (signals "
				 "orcpt)", .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "utf-8 orcpt of a protected mailbox on egress is rejected",
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .orcpt = "utf-8;support@corp.example",
		       .action = ACTION_REJECT, .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .rule = "forwarded-copy", .reason = "forwarded copy of support@corp.example",
		       .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "orcpt of a protected mailbox with an unclassifiable recipient takes on_error",
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<a%b%c%d%e%f%g%h%i@fti.example>",
		       .orcpt = "rfc822;support@corp.example", .action = ACTION_TEMPFAIL,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .reason = "unclassifiable recipient: ", .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_TEMPFAIL },
	{ .name = "exception covering every mailbox named allows",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>",
		       .orcpt = "rfc822;support@corp.example", .action = ACTION_ACCEPT,
		       .dest = DEST_ALLOWED, .dir = DIR_OUTBOUND, .reason = "allowed: ",
		       .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "exception for one of two delivered-to mailboxes does not allow",
	  .headers = { { "Delivered-To", SUPPORT }, { "Delivered-To", "contactfr@corp.example" } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of contactfr@corp.example to "
				 "helpdesk-vendor.example",
		       .mailbox = "contactfr@corp.example" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "exception for the delivered-to mailbox does not allow another mailbox's orcpt",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>",
		       .orcpt = "rfc822;contactfr@corp.example", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of contactfr@corp.example to "
				 "helpdesk-vendor.example",
		       .mailbox = "contactfr@corp.example" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "exception for the named mailbox does not cover a protected sender's redirect",
	  .headers = { { "From", "customer@gmail.example" }, { "To", SUPPORT } },
	  .sender = "<contactfr@corp.example>",
	  .rcpts = { { .raw = "<agent@helpdesk-vendor.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .reason = "forwarded copy of contactfr@corp.example to "
				 "helpdesk-vendor.example",
		       .mailbox = "contactfr@corp.example" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "directory forward quarantines and records the forward target",
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<support@corp.example>", .extra = S(DIRECTORY_FORWARD),
		       .extra_mailbox = SUPPORT, .extra_target = "consultant@fti.example",
		       .action = ACTION_QUARANTINE, .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .rule = "directory-forward",
		       .reason = "forwarded copy of support@corp.example to consultant@fti.example",
		       .target = "consultant@fti.example", .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_QUARANTINE },
	{ .name = "mta routing an internal-looking recipient out makes it external",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<team@corp.example>", .mailer = "smtp", .host = "mx.fti.example",
		       .action = ACTION_REJECT, .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND,
		       .rule = "forwarded-copy", .target = "mx.fti.example",
		       .reason = "forwarded copy of support@corp.example to mx.fti.example" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "routed recipient hiding an external domain is external",
	  .headers = { { "Delivered-To", SUPPORT } },
	  .sender = "<customer@gmail.example>",
	  .rcpts = { { .raw = "<consultant%fti.example@corp.example>", .action = ACTION_REJECT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND, .rule = "forwarded-copy",
		       .target = "fti.example", .reason = "forwarded copy" } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_REJECT },
	{ .name = "null sender to an internal recipient is inbound",
	  .sender = "<>",
	  .rcpts = { { .raw = "<support@corp.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_INTERNAL, .dir = DIR_INBOUND, .reason = "no rule matched",
		       .mailbox = SUPPORT } },
	  .nrcpts = 1, .want_ret = 1, .want_outcome = ACTION_ACCEPT },
	{ .name = "list mail with a protected address in to gives no forward signal",
	  .headers = { { "List-Id", "<users.lists.example>" }, { "ARC-Seal", "i=1; cv=none" },
		       { "From", "someone@lists.example" }, { "To", "users@lists.example" } },
	  .sender = "<SRS0=ab=TT=corp.example=support@lists.example>",
	  .rcpts = { { .raw = "<consultant@fti.example>", .action = ACTION_ACCEPT,
		       .dest = DEST_EXTERNAL, .dir = DIR_OUTBOUND } },
	  .nrcpts = 1, .want_ret = 0, .want_outcome = ACTION_ACCEPT },
};

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static void check_decision(const struct msg_case *c, size_t i, const struct rcpt_case *w,
    const struct decision *d)
{
	const char *rule = d->rule ? d->rule->name : NULL;

	if (d->action != w->action)
		fail_msg("%s: rcpt %zu action: got %s, want %s", c->name, i,
		    action_name(d->action), action_name(w->action));
	if (d->destination != w->dest || d->direction != w->dir)
		fail_msg("%s: rcpt %zu: got %s %s, want %s %s", c->name, i,
		    destination_name(d->destination), direction_name(d->direction),
		    destination_name(w->dest), direction_name(w->dir));
	if (!same(rule, w->rule))
		fail_msg("%s: rcpt %zu rule: got %s, want %s", c->name, i, show(rule), show(w->rule));
	if (w->reason != NULL && !starts_with(d->reason, w->reason))
		fail_msg("%s: rcpt %zu reason: got \"%s\", want \"%s...\"", c->name, i, d->reason,
		    w->reason);
	if (w->target != NULL && strcmp(d->target, w->target) != 0)
		fail_msg("%s: rcpt %zu target: got %s, want %s", c->name, i, d->target, w->target);
	if (w->mailbox != NULL && !same(d->mailbox, w->mailbox))
		fail_msg("%s: rcpt %zu mailbox: got %s, want %s", c->name, i, show(d->mailbox),
		    w->mailbox);
	if (d->record != (c->want_ret == 1))
		fail_msg("%s: rcpt %zu record: got %d, want %d", c->name, i, d->record, c->want_ret);
	if (d->rule != NULL && d->mode != c->want_mode)
		fail_msg("%s: rcpt %zu mode: got %s, want %s", c->name, i, mode_name(d->mode),
		    mode_name(c->want_mode));
	if (d->destination == DEST_ALLOWED && d->allow != &test_allow[0])
		fail_msg("%s: rcpt %zu: allowed without its allow entry", c->name, i);
}

static void run_case(const struct msg_case *c)
{
	struct decide_rcpt rcpts[MAX_RCPTS];
	struct decision out[MAX_RCPTS];
	struct decide_message m = { .policy = &test_policy, .nrcpts = c->nrcpts,
	    .now = c->now ? c->now : NOW_2026, .on_error = ACTION_TEMPFAIL,
	    .scope_all = c->scope_all, .rcpts = rcpts };
	struct evidence *ev = evidence_new();
	enum action outcome;
	size_t i;
	int ret;

	test_policy.mode = c->global_mode;
	test_rules[0].mode = c->rule_mode ? c->rule_mode : -1;
	test_rules[0].action = c->rule_action ? c->rule_action : ACTION_REJECT;
	for (i = 0; i < MAX_HEADERS && c->headers[i][0] != NULL; i++)
		evidence_header(ev, &test_policy, c->headers[i][0], c->headers[i][1]);
	m.ev = ev;
	m.sender_status = address_parse(c->sender, strlen(c->sender), &m.sender);
	memset(rcpts, 0, sizeof(rcpts));
	for (i = 0; i < c->nrcpts; i++) {
		const struct rcpt_case *w = &c->rcpts[i];

		rcpts[i].raw = w->raw;
		rcpts[i].status = address_parse(w->raw, strlen(w->raw), &rcpts[i].addr);
		rcpts[i].orcpt = w->orcpt;
		rcpts[i].mailer = w->mailer;
		rcpts[i].host = w->host;
		rcpts[i].extra = w->extra;
		rcpts[i].extra_mailbox = w->extra_mailbox;
		rcpts[i].extra_target = w->extra_target;
		rcpts[i].own_party = w->own_party;
	}
	ret = decide_message(&m, out);
	if (ret != c->want_ret)
		fail_msg("%s: in scope: got %d, want %d", c->name, ret, c->want_ret);
	outcome = decide_outcome(out, c->nrcpts);
	for (i = 0; i < c->nrcpts; i++)
		check_decision(c, i, &c->rcpts[i], &out[i]);
	if (outcome != c->want_outcome)
		fail_msg("%s: outcome: got %s, want %s", c->name, action_name(outcome),
		    action_name(c->want_outcome));
	for (i = 0; i < c->nrcpts; i++)
		if (c->rcpts[i].fate != 0 && out[i].fate != c->rcpts[i].fate)
			fail_msg("%s: rcpt %zu fate: got %s, want %s", c->name, i,
			    decide_fate_name(out[i].fate), decide_fate_name(c->rcpts[i].fate));
	evidence_free(ev);
	test_policy.mode = MODE_ENFORCE;
	test_rules[0].mode = -1;
	test_rules[0].action = ACTION_REJECT;
}

static void test_decide_messages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(msg_cases); i++)
		run_case(&msg_cases[i]);
}

static void test_reply_to_customer_is_sender_protected(void **state)
{
	struct evidence *ev = evidence_new();
	struct decide_rcpt r = { .raw = "customer@gmail.example" };
	struct decide_message m = { .policy = &test_policy, .ev = ev, .rcpts = &r, .nrcpts = 1,
	    .now = NOW_2026, .on_error = ACTION_TEMPFAIL };
	struct decision d;

	(void)state;
	evidence_header(ev, &test_policy, "From", "support@corp.example");
	m.sender_status = address_parse("<>", 2, &m.sender);
	r.status = address_parse(r.raw, strlen(r.raw), &r.addr);
	assert_int_equal(decide_message(&m, &d), 1);
	if (!d.sender_protected || d.signals != 0 || d.action != ACTION_ACCEPT)
		fail_msg("From-protected reply: got sender_protected %d signals %#x action %s, "
		    "want 1 0 accept", d.sender_protected, (unsigned)d.signals,
		    action_name(d.action));
	evidence_free(ev);
}

/* --- decide_outcome ------------------------------------------------------------------ */

static void decide_copy_reason(struct decision *d, const char *text)
{
	snprintf(d->reason, sizeof(d->reason), "%s", text);
}

#define E	MODE_ENFORCE
#define M	MODE_MONITOR
#define DLV	FATE_DELIVERED
#define RMV	FATE_REMOVED

struct outcome_case {
	const char *name;
	enum action actions[3];
	enum mode modes[3];
	bool whole[3];
	size_t n;
	enum action want;
	enum decide_fate fates[3];
};

static const struct outcome_case outcome_cases[] = {
	{ "no recipients accepts", { 0 }, { 0 }, { 0 }, 0, ACTION_ACCEPT, { 0 } },
	{ "every recipient offends: the most severe wins",
	  { ACTION_STRIP, ACTION_REJECT, ACTION_QUARANTINE }, { E, E, E }, { 0 }, 3,
	  ACTION_REJECT, { FATE_REJECTED, FATE_REJECTED, FATE_REJECTED } },
	{ "mixed reject removes the offending recipient only",
	  { ACTION_ACCEPT, ACTION_REJECT }, { E, E }, { 0 }, 2, ACTION_STRIP, { DLV, RMV } },
	{ "mixed tempfail removes the offending recipient only",
	  { ACTION_TEMPFAIL, ACTION_ACCEPT }, { E, E }, { 0 }, 2, ACTION_STRIP, { RMV, DLV } },
	{ "mixed quarantine removes the offending recipient, holds nobody",
	  { ACTION_ACCEPT, ACTION_QUARANTINE, ACTION_ACCEPT }, { E, E, E }, { 0 }, 3,
	  ACTION_STRIP, { DLV, RMV, DLV } },
	{ "mixed actions remove every offending recipient and flag the rest",
	  { ACTION_FLAG, ACTION_REJECT, ACTION_QUARANTINE }, { E, E, E }, { 0 }, 3,
	  ACTION_STRIP, { DLV, RMV, RMV } },
	{ "monitor decisions are not applied", { ACTION_FLAG, ACTION_REJECT }, { E, M }, { 0 }, 2,
	  ACTION_FLAG, { DLV, DLV } },
	{ "monitored reject keeps its recipient, the enforced one is removed",
	  { ACTION_REJECT, ACTION_REJECT }, { E, M }, { 0 }, 2, ACTION_STRIP, { RMV, DLV } },
	{ "all in monitor mode accepts", { ACTION_REJECT, ACTION_QUARANTINE }, { M, M }, { 0 }, 2,
	  ACTION_ACCEPT, { DLV, DLV } },
	{ "strip with a remaining recipient strips", { ACTION_STRIP, ACTION_ACCEPT }, { E, E },
	  { 0 }, 2, ACTION_STRIP, { RMV, DLV } },
	{ "strip with a flagged remaining recipient strips", { ACTION_FLAG, ACTION_STRIP },
	  { E, E }, { 0 }, 2, ACTION_STRIP, { DLV, RMV } },
	{ "strip of every recipient quarantines", { ACTION_STRIP, ACTION_STRIP }, { E, E }, { 0 }, 2,
	  ACTION_QUARANTINE, { FATE_HELD, FATE_HELD } },
	{ "monitored strip keeps its recipient", { ACTION_STRIP, ACTION_STRIP }, { E, M }, { 0 }, 2,
	  ACTION_STRIP, { RMV, DLV } },
	{ "tempfail and strip of every recipient tempfails", { ACTION_STRIP, ACTION_TEMPFAIL },
	  { E, E }, { 0 }, 2, ACTION_TEMPFAIL, { FATE_TEMPFAILED, FATE_TEMPFAILED } },
	{ "a whole tempfail (failure) holds the message back for a retry",
	  { ACTION_ACCEPT, ACTION_TEMPFAIL }, { E, E }, { false, true }, 2, ACTION_TEMPFAIL,
	  { FATE_TEMPFAILED, FATE_TEMPFAILED } },
	{ "a whole quarantine (directory forward) holds the message",
	  { ACTION_QUARANTINE, ACTION_ACCEPT }, { E, E }, { true, false }, 2, ACTION_QUARANTINE,
	  { FATE_HELD, FATE_HELD } },
	{ "a whole tempfail beside a reject tempfails: the retry removes the reject",
	  { ACTION_ACCEPT, ACTION_TEMPFAIL, ACTION_REJECT }, { E, E, E }, { false, true, false }, 3,
	  ACTION_TEMPFAIL, { FATE_TEMPFAILED, FATE_TEMPFAILED, FATE_TEMPFAILED } },
	{ "every recipient offends: a whole tempfail beats a reject (the alias's own copy)",
	  { ACTION_TEMPFAIL, ACTION_REJECT }, { E, E }, { true, false }, 2, ACTION_TEMPFAIL,
	  { FATE_TEMPFAILED, FATE_TEMPFAILED } },
	{ "every recipient offends: a whole hold removes the reject",
	  { ACTION_REJECT, ACTION_QUARANTINE }, { E, E }, { false, true }, 2, ACTION_QUARANTINE,
	  { RMV, FATE_HELD } },
	{ "a whole hold removes the other offenders first",
	  { ACTION_QUARANTINE, ACTION_ACCEPT, ACTION_REJECT }, { E, E, E }, { true, false, false },
	  3, ACTION_QUARANTINE, { FATE_HELD, FATE_HELD, RMV } },
	{ "a whole strip still only removes", { ACTION_STRIP, ACTION_ACCEPT }, { E, E },
	  { true, false }, 2, ACTION_STRIP, { RMV, DLV } },
	{ "a monitored whole decision is not applied", { ACTION_TEMPFAIL, ACTION_REJECT },
	  { M, E }, { true, false }, 2, ACTION_STRIP, { DLV, RMV } },
};

/* mailbox_address: the recipient's own address when it names the mailbox, else "". */
struct address_case {
	const char *name;
	const char *rcpt;
	const char *header;		/* a Delivered-To: value, or NULL */
	const char *extra_mailbox;	/* from outside the message, or NULL */
	bool extra_is_rcpt;
	const char *want_mailbox;	/* NULL: none */
	const char *want_address;
};

static const struct address_case address_cases[] = {
	{ "the mailbox itself", "<support@corp.example>", NULL, NULL, false,
	  "support@corp.example", "support@corp.example" },
	{ "a tagged form keeps its tag", "<Support+Ticket@corp.example>", NULL, NULL, false,
	  "support@corp.example", "support+ticket@corp.example" },
	{ "an alias the directory resolved", "<contact-alias@corp.example>", NULL,
	  "support@corp.example", true, "support@corp.example", "contact-alias@corp.example" },
	{ "a mailbox from other evidence is not the recipient's", "<partner@gmail.example>", NULL,
	  "support@corp.example", false, "support@corp.example", "" },
	{ "a header names the mailbox, the recipient does not", "<partner@gmail.example>",
	  "support@corp.example", NULL, false, "support@corp.example", "" },
	{ "no mailbox at all", "<bob@corp.example>", NULL, NULL, false, NULL, "" },
};

static void test_mailbox_address(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCASES(address_cases); i++) {
		const struct address_case *c = &address_cases[i];
		struct evidence *ev = evidence_new();
		struct decide_rcpt r = { .raw = c->rcpt, .extra_mailbox = c->extra_mailbox,
		    .extra_is_rcpt = c->extra_is_rcpt };
		struct decide_message m = { .policy = &test_policy, .ev = ev, .rcpts = &r, .nrcpts = 1,
		    .now = NOW_2026, .on_error = ACTION_REJECT, .directory_on_error = ACTION_TEMPFAIL };
		struct decision d;

		if (c->header != NULL)
			evidence_header(ev, &test_policy, "Delivered-To", c->header);
		r.status = address_parse(r.raw, strlen(r.raw), &r.addr);
		m.sender_status = address_parse("<customer@example.org>", 22, &m.sender);
		decide_message(&m, &d);
		if (!same(d.mailbox, c->want_mailbox) || strcmp(d.mailbox_address, c->want_address) != 0)
			fail_msg("%s: got mailbox %s address \"%s\", want %s \"%s\"", c->name,
			    show(d.mailbox), d.mailbox_address, show(c->want_mailbox), c->want_address);
		evidence_free(ev);
	}
}

static void test_outcome_table(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < NCASES(outcome_cases); i++) {
		const struct outcome_case *c = &outcome_cases[i];
		struct decision d[3];
		enum action got;

		memset(d, 0, sizeof(d));
		for (k = 0; k < c->n; k++) {
			d[k].action = c->actions[k];
			d[k].mode = c->modes[k];
			d[k].whole = c->whole[k];
			decide_copy_reason(&d[k], "forwarded copy");
		}
		got = decide_outcome(d, c->n);
		if (got != c->want)
			fail_msg("%s: got %s, want %s", c->name, action_name(got),
			    action_name(c->want));
		for (k = 0; k < c->n; k++) {
			bool noted = strstr(d[k].reason, "; recipient removed") != NULL;

			if (d[k].fate != c->fates[k])
				fail_msg("%s: rcpt %zu fate: got %s, want %s", c->name, k,
				    decide_fate_name(d[k].fate), decide_fate_name(c->fates[k]));
			if (noted != (c->fates[k] == RMV))
				fail_msg("%s: rcpt %zu reason \"%s\": want the removal %s", c->name, k,
				    d[k].reason, c->fates[k] == RMV ? "noted" : "not noted");
		}
	}
}

/* A long reason keeps the removal note, and says where it was cut. */
static void test_outcome_note_fits(void **state)
{
	struct decision d[2];

	(void)state;
	memset(d, 0, sizeof(d));
	memset(d[1].reason, 'x', sizeof(d[1].reason) - 1);
	d[1].mode = MODE_ENFORCE;
	d[1].action = ACTION_REJECT;
	assert_int_equal(decide_outcome(d, 2), ACTION_STRIP);
	assert_int_equal(strlen(d[1].reason), sizeof(d[1].reason) - 1);
	if (strstr(d[1].reason, "...; recipient removed, the others delivered") == NULL)
		fail_msg("long reason: got \"%s\"", d[1].reason);
}

/* The bounded copy decisions, MIME parties and connection macros share (buf.h). */
static void test_buf_copy(void **state)
{
	static const struct {
		const char *name, *text;
		size_t size;
		const char *want;
	} cases[] = {
		{ "fits", "abc", 8, "abc" },
		{ "exactly fills", "abcdefg", 8, "abcdefg" },
		{ "cut to size - 1", "abcdefghij", 8, "abcdefg" },
		{ "NULL is empty", NULL, 8, "" },
		{ "one byte holds only the terminator", "abc", 1, "" },
	};
	char buf[8], unterminated[4] = { 'w', 'x', 'y', 'z' };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, '#', sizeof(buf));
		buf_copy(buf, cases[i].size, cases[i].text);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, buf, cases[i].want);
	}
	memset(buf, '#', sizeof(buf));
	buf_copy(buf, 0, "abc");
	if (buf[0] != '#')
		fail_msg("size 0: the buffer was written");
	/* Reads no further than it copies: a source unterminated within size is fine (ASan). */
	buf_copy(buf, sizeof(unterminated), unterminated);
	assert_string_equal(buf, "wxy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide_messages),
		cmocka_unit_test(test_reply_to_customer_is_sender_protected),
		cmocka_unit_test(test_outcome_table),
		cmocka_unit_test(test_outcome_note_fits),
		cmocka_unit_test(test_mailbox_address),
		cmocka_unit_test(test_buf_copy),
	};

	return cmocka_run_group_tests(tests, setup_policy, teardown_policy);
}
