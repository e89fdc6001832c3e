/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_reroute.c - the reroute action and the mailbox's notice (README.md
 * "Rerouting"): where a rerouted copy goes (policy_reroute_to), what the
 * end of a message asks of the MTA (delrcpt, addrcpt, the mark header)
 * and records, the mark that stops a second reroute and cannot be forged,
 * the config checks, and the notice a person reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "act.h"
#include "address.h"
#include "decide.h"
#include "alert_notice.h"
#include "cfg.h"
#include "fixture_act.h"
#include "mark.h"
#include "message.h"

#define CHECK(cond, ...)	do { if (!(cond)) fail_msg(__VA_ARGS__); } while (0)
#define MAX_CALLS	8

static const char test_yaml[] =
	"milter: { user: \"\", on_error: accept }\n"
	"domains: { internal: [corp.example] }\n"
	"mailboxes: { protected: [support@corp.example], recipient_delimiter: \"+\" }\n"
	"alerts:\n"
	"  mail: { to: security@corp.example, from: fwdguard@corp.example }\n"
	"  notice: { contact: helpdesk@corp.example }\n"
	"rules:\n"
	"  - name: mailbox-forward\n"
	"    match: { signals: [sieve-redirect], destination: external,\n"
	"             sender: [protected, internal] }\n"
	"    action: reject\n"
	"  - name: redirect\n"
	"    match: { signals: [sieve-redirect], destination: external }\n"
	"    action: reroute\n"
	"    notify: mailbox\n"
	"    alert: critical\n"
	"  - name: resent\n"
	"    match: { signals: [resent], destination: external }\n"
	"    action: reroute\n"
	"    reroute_to: desk@corp.example\n"
	"redis: { address: \"127.0.0.1:1\" }\n"
	"audit: { spool: \"%s\" }\n";

/* ---- a recorder behind struct act_ops --------------------------------------- */

struct recorder {
	char calls[MAX_CALLS][700];
	size_t n;
};

static int
rec(void *ctx, const char *op, const char *a, const char *b)
{
	struct recorder *r = ctx;

	if (r->n < MAX_CALLS)
		snprintf(r->calls[r->n++], sizeof(r->calls[0]), "%s %s%s%s", op, a,
		    b != NULL ? " " : "", b != NULL ? b : "");
	return 0;
}

static int rec_setreply(void *ctx, const char *rc, const char *xc, const char *text)
{ (void)xc; return rec(ctx, "setreply", rc, text); }
static int rec_quarantine(void *ctx, const char *reason) { return rec(ctx, "quarantine", reason, NULL); }
static int rec_delrcpt(void *ctx, const char *rcpt) { return rec(ctx, "delrcpt", rcpt, NULL); }
static int rec_addheader(void *ctx, const char *n, const char *v) { return rec(ctx, "addheader", n, v); }
static int rec_addrcpt(void *ctx, const char *rcpt) { return rec(ctx, "addrcpt", rcpt, NULL); }

/* Calls whose text starts with prefix. */
static size_t
rec_count(const struct recorder *r, const char *prefix)
{
	size_t i, k = 0;

	for (i = 0; i < r->n; i++)
		k += strncmp(r->calls[i], prefix, strlen(prefix)) == 0;
	return k;
}

static void
rec_describe(const struct recorder *r, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "[%s] ", r->calls[i]);
}

/* ---- end-of-message cases -------------------------------------------------------- */

enum mark_kind { MARK_NONE, MARK_GOOD, MARK_FORGED, MARK_OTHER_MESSAGE };

struct reroute_case {
	const char *name;
	const char *sender;
	const char *rcpts[3];
	const char *signal_header;	/* name: value of the header giving the signal */
	enum mark_kind mark;
	enum act_verdict want;
	const char *want_calls[5];	/* prefixes of calls that must be there */
	size_t want_ncalls;		/* how many calls in all */
	const char *want_journal[3];
	const char *not_journal;	/* text the new records must not hold, or NULL */
};

#define REDIRECT	"X-Sieve-Redirected-From: support@corp.example"

static const struct reroute_case cases[] = {
	{ "a customer's redirected message is rerouted to the tagged mailbox, marked",
	  "<jane@example.net>", { "<partner@fti.example>" }, REDIRECT, MARK_NONE, VERDICT_ACCEPT,
	  { "delrcpt <partner@fti.example>", "addrcpt <support+fwdguard@corp.example>",
	    "addheader X-Fwdguard-Rerouted to=support+fwdguard@corp.example; id=" }, 3,
	  { "rerouted_to=support+fwdguard@corp.example", "outcome=rerouted",
	    "type=notice\tnotify=mailbox" }, NULL },
	{ "other recipients are left alone",
	  "<jane@example.net>", { "<colleague@corp.example>", "<partner@fti.example>" }, REDIRECT,
	  MARK_NONE, VERDICT_ACCEPT,
	  { "delrcpt <partner@fti.example>", "addrcpt <support+fwdguard@corp.example>",
	    "addheader X-Fwdguard-Rerouted" }, 3,
	  { "recipient=colleague@corp.example\t", "outcome=delivered" }, NULL },
	{ "the rule's reroute_to wins over the mailbox",
	  "<jane@example.net>", { "<partner@fti.example>" },
	  "Resent-From: support@corp.example", MARK_NONE, VERDICT_ACCEPT,
	  { "delrcpt <partner@fti.example>", "addrcpt <desk@corp.example>",
	    "addheader X-Fwdguard-Rerouted to=desk@corp.example" }, 3,
	  { "rerouted_to=desk@corp.example" }, "type=notice" },
	{ "two outside recipients: the reroute address is added once",
	  "<jane@example.net>", { "<partner@fti.example>", "<other@fti.example>" }, REDIRECT,
	  MARK_NONE, VERDICT_ACCEPT,
	  { "delrcpt <partner@fti.example>", "delrcpt <other@fti.example>",
	    "addrcpt <support+fwdguard@corp.example>", "addheader X-Fwdguard-Rerouted" }, 4,
	  { "outcome=rerouted" }, NULL },
	{ "the mailbox's own forward is still refused with 550",
	  "<support@corp.example>", { "<partner@fti.example>" }, REDIRECT, MARK_NONE,
	  VERDICT_REJECT, { "setreply 550" }, 1,
	  { "rule=mailbox-forward", "action=reject" }, "rerouted_to=" },
	{ "a rerouted message sent out again is held, not rerouted twice",
	  "<jane@example.net>", { "<partner@fti.example>" }, REDIRECT, MARK_GOOD,
	  VERDICT_ACCEPT, { "quarantine fwdguard rule redirect" }, 1,
	  { "not rerouted twice", "outcome=held", "action=strip" }, "rerouted_to=" },
	{ "a forged mark does not stop the reroute",
	  "<jane@example.net>", { "<partner@fti.example>" }, REDIRECT, MARK_FORGED,
	  VERDICT_ACCEPT, { "delrcpt <partner@fti.example>",
	  "addrcpt <support+fwdguard@corp.example>" }, 3, { "outcome=rerouted" }, NULL },
	{ "a genuine mark copied onto another message does not count",
	  "<jane@example.net>", { "<partner@fti.example>" }, REDIRECT, MARK_OTHER_MESSAGE,
	  VERDICT_ACCEPT, { "addrcpt <support+fwdguard@corp.example>" }, 3,
	  { "outcome=rerouted" }, NULL },
};

static void
case_mark(struct conn *c, enum mark_kind kind)
{
	unsigned char key[MARK_KEY_LEN];
	char value[MARK_VALUE_MAX], err[128];

	if (kind == MARK_NONE)
		return;
	assert_int_equal(mark_key(NULL, key, err, sizeof(err)), 0);
	assert_int_equal(mark_make(key, kind == MARK_OTHER_MESSAGE ? "<other@example.net>" :
	    evidence_message_id(c->ev), "support+fwdguard@corp.example",
	    "01JABCDEFGHJKMNPQRSTVWXYZ0", value, sizeof(value)), 0);
	if (kind == MARK_FORGED)
		value[strlen(value) - 1] = value[strlen(value) - 1] == '0' ? '1' : '0';
	conn_mark_header(c, "X-Fwdguard-Rerouted", value);
}

static struct conn *
case_conn(const struct reroute_case *tc)
{
	struct conn *c = conn_new();
	char name[64];
	const char *colon = strchr(tc->signal_header, ':');

	assert_non_null(c);
	assert_int_equal(conn_begin_message(c, fixture_act_env()->dir, tc->sender, NULL), 0);
	for (size_t i = 0; i < 3 && tc->rcpts[i] != NULL; i++)
		assert_int_equal(conn_add_rcpt(c, tc->rcpts[i], NULL, NULL, NULL), 0);
	evidence_header(c->ev, &c->cfg->policy, "From", "Jane <jane@example.net>");
	evidence_header(c->ev, &c->cfg->policy, "To", "support@corp.example");
	evidence_header(c->ev, &c->cfg->policy, "Message-ID", "<r1@example.net>");
	snprintf(name, sizeof(name), "%.*s", (int)(colon - tc->signal_header), tc->signal_header);
	evidence_header(c->ev, &c->cfg->policy, name, colon + 2);
	case_mark(c, tc->mark);
	return c;
}

static void
run_case(void **state)
{
	const struct reroute_case *tc = *state;
	struct recorder r = { .n = 0 };
	struct act_ops ops = { &r, rec_setreply, rec_quarantine, rec_delrcpt, rec_addheader,
	    rec_addrcpt };
	size_t nbefore, nafter;
	char *before = fixture_act_journal(&nbefore), *after, calls[4096];
	struct conn *c = case_conn(tc);
	enum act_verdict got = act_end_of_message(fixture_act_env(), c, &ops);
	size_t i;

	conn_free(c);
	rec_describe(&r, calls, sizeof(calls));
	CHECK(got == tc->want, "%s: verdict %d, want %d; calls %s", tc->name, got, tc->want, calls);
	CHECK(r.n == tc->want_ncalls, "%s: %zu calls, want %zu: %s", tc->name, r.n,
	    tc->want_ncalls, calls);
	for (i = 0; i < 5 && tc->want_calls[i] != NULL; i++)
		CHECK(rec_count(&r, tc->want_calls[i]) == 1, "%s: want one call \"%s\"; calls %s",
		    tc->name, tc->want_calls[i], calls);
	after = fixture_act_journal(&nafter);
	for (i = 0; i < 3 && tc->want_journal[i] != NULL; i++)
		CHECK(strstr(after + nbefore, tc->want_journal[i]) != NULL,
		    "%s: records lack \"%s\":\n%s", tc->name, tc->want_journal[i],
		    after + nbefore);
	if (tc->not_journal != NULL)
		CHECK(strstr(after + nbefore, tc->not_journal) == NULL,
		    "%s: records hold \"%s\":\n%s", tc->name, tc->not_journal, after + nbefore);
	free(before);
	free(after);
}

/* ---- where a rerouted copy goes -------------------------------------------------- */

static void
test_reroute_to(void **state)
{
	struct policy p = { .delimiters = "+-" };
	struct policy_rule own = { .reroute_to = (char *)"desk@corp.example" }, plain = { 0 };
	char buf[128];

	(void)state;
	assert_int_equal(policy_reroute_to(&p, &plain, "support@corp.example", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "support+fwdguard@corp.example");
	assert_int_equal(policy_reroute_to(&p, &own, "support@corp.example", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "desk@corp.example");
	assert_int_equal(policy_reroute_to(&p, &own, NULL, buf, sizeof(buf)), 0);
	assert_int_equal(policy_reroute_to(&p, &plain, NULL, buf, sizeof(buf)), -1);
	assert_int_equal(policy_reroute_to(&p, &plain, "support@corp.example", buf, 10), -1);
	p.delimiters[0] = '\0';
	assert_int_equal(policy_reroute_to(&p, &plain, "support@corp.example", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "support@corp.example");
}

/* ---- the mark ---------------------------------------------------------------------- */

static void
test_mark(void **state)
{
	unsigned char key[MARK_KEY_LEN], other[MARK_KEY_LEN];
	char v[MARK_VALUE_MAX], t[MARK_VALUE_MAX], err[128];

	(void)state;
	assert_int_equal(mark_key(NULL, key, err, sizeof(err)), 0);
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(mark_make(key, "<m@x>", "a+fwdguard@corp.example", "ID1", v, sizeof(v)), 0);
	assert_true(mark_verify(key, "<m@x>", v));
	assert_false(mark_verify(other, "<m@x>", v));
	assert_false(mark_verify(key, "<n@x>", v));
	snprintf(t, sizeof(t), "to=b@corp.example; %s", strstr(v, "id="));
	assert_false(mark_verify(key, "<m@x>", t));
	snprintf(t, sizeof(t), "%.*sID2%s", (int)(strstr(v, "ID1") - v), v, strstr(v, "ID1") + 3);
	assert_false(mark_verify(key, "<m@x>", t));
	assert_false(mark_verify(key, "<m@x>", "to=a@corp.example; id=ID1"));
	assert_false(mark_verify(key, "<m@x>", ""));
	assert_false(mark_verify(key, "<m@x>", NULL));
	assert_int_equal(mark_key("/nonexistent/fwdguard.key", key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/fwdguard.key"));
}

/* ---- the config ---------------------------------------------------------------------- */

static void
cfg_err(void *ctx, const char *line)
{
	char *buf = ctx;

	snprintf(buf + strlen(buf), 2048 - strlen(buf), "%s\n", line);
}

/* Loads base + rule; NULL with errors in err when it fails. */
static struct cfg *
load_rule(const char *rule, char err[2048])
{
	char yaml[2048];

	err[0] = '\0';
	snprintf(yaml, sizeof(yaml), "milter: { user: \"\" }\n"
	    "domains: { internal: [corp.example] }\n"
	    "mailboxes: { protected: [support@corp.example] }\n"
	    "alerts: { mail: { to: sec@corp.example, from: fg@corp.example } }\n"
	    "rules:\n  - name: r\n%s", rule);
	return cfg_load_buffer("t.yaml", yaml, strlen(yaml), cfg_err, err);
}

static void
test_cfg(void **state)
{
	static const struct { const char *rule, *want; } bad[] = {
		{ "    action: reroute\n    reroute_to: desk@fti.example\n",
		  "rules[0].reroute_to: 'desk@fti.example' is not in an internal domain" },
		{ "    action: reject\n    reroute_to: desk@corp.example\n",
		  "reroute_to is only read with action reroute, not reject" },
		{ "    action: accept\n    notify: mailbox\n", "not with action accept" },
		{ "    action: reroute\n    notify: [mailbox, legal]\n",
		  "rule r notifies 'legal', which is no route of alerts.routes" },
		{ "    action: reroute\n    notify: [mailbox, \"le gal\"]\n",
		  "unknown notice target 'le gal' (want mailbox or the name of a route" },
		{ "    action: reroute\n    match: { sender: [outside] }\n",
		  "unknown sender 'outside' (want protected|internal|external)" },
		{ "    action: bounce\n",
		  "want reject|tempfail|quarantine|strip|reroute|flag|accept" },
	};
	char err[2048];
	struct cfg *c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = load_rule(bad[i].rule, err);
		CHECK(c == NULL && strstr(err, bad[i].want) != NULL,
		    "rule %zu: want an error \"%s\", got: %s", i, bad[i].want, err);
	}
	c = load_rule("    match: { signals: [sieve-redirect], sender: external }\n"
	    "    action: reroute\n    notify: mailbox\n", err);
	CHECK(c != NULL, "a reroute rule with a notice: %s", err);
	assert_true(c->policy.rules[0].notify_mailbox);
	assert_int_equal(c->policy.rules[0].senders, SENDER_BIT(SENDER_EXTERNAL));
	cfg_unref(c);
	c = load_rule("    action: reject\n", err);
	assert_non_null(c);
	cfg_unref(c);
	/* No sender for the notice and no alerts.mail to fall back to. */
	static const char no_from[] = "milter: { user: \"\" }\ndomains: { internal: [corp.example] }\n"
	    "rules:\n  - { name: r, action: reroute, notify: mailbox }\n";
	err[0] = '\0';
	c = cfg_load_buffer("t.yaml", no_from, strlen(no_from), cfg_err, err);
	CHECK(c == NULL && strstr(err, "alerts.notice") != NULL, "want alerts.notice errors: %s", err);
}

/* ---- what a reroute becomes where it cannot be done -------------------------------- */

/* One recipient with directory or body evidence, decided and its outcome applied. */
static enum action
decide_one(const struct cfg *c, const char *rcpt, signal_set extra, const char *mailbox,
    struct decision *d)
{
	struct evidence *ev = evidence_new();
	struct decide_rcpt r;
	struct decide_message m;
	enum action out;

	assert_non_null(ev);
	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	r.raw = rcpt;
	r.status = address_parse(rcpt, strlen(rcpt), &r.addr);
	r.extra = extra;
	r.extra_mailbox = mailbox;
	r.extra_target = mailbox != NULL ? "partner@fti.example" : NULL;
	r.extra_is_rcpt = mailbox != NULL;
	m.policy = &c->policy;
	m.ev = ev;
	m.sender_status = address_parse("jane@example.net", 16, &m.sender);
	m.rcpts = &r;
	m.nrcpts = 1;
	m.now = time(NULL);
	assert_int_equal(decide_message(&m, d), 1);
	out = decide_outcome(d, 1);
	evidence_free(ev);
	return out;
}

static void
test_reroute_fallbacks(void **state)
{
	char err[2048];
	struct cfg *c = load_rule("    match: { signals: [directory-forward, body-unexamined] }\n"
	    "    action: reroute\n", err);
	struct decision d, two[2];

	(void)state;
	CHECK(c != NULL, "config: %s", err);
	/* The MTA expands the mailbox after fwdguard: its tagged address would be forwarded too. */
	assert_int_equal(decide_one(c, "support@corp.example", SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD),
	    "support@corp.example", &d), ACTION_QUARANTINE);
	CHECK(d.fate == FATE_HELD && strstr(d.reason, "cannot be rerouted") != NULL &&
	    d.reroute_to[0] == '\0', "directory forward: fate %d, reason %s", d.fate, d.reason);
	/* No mailbox to tag, no reroute_to: removed, held when alone. */
	assert_int_equal(decide_one(c, "partner@fti.example", SIGNAL_BIT(SIGNAL_BODY_UNEXAMINED),
	    NULL, &d), ACTION_QUARANTINE);
	CHECK(d.action == ACTION_STRIP && strstr(d.reason, "no mailbox to reroute to") != NULL,
	    "no mailbox: action %s, reason %s", action_name(d.action), d.reason);
	cfg_unref(c);

	/* A reroute beside a strip: the strip's recipient removed, nothing held. */
	memset(two, 0, sizeof(two));
	two[0].action = ACTION_REROUTE;
	two[1].action = ACTION_STRIP;
	assert_int_equal(decide_outcome(two, 2), ACTION_STRIP);
	assert_int_equal(two[0].fate, FATE_REROUTED);
	assert_int_equal(two[1].fate, FATE_REMOVED);
	/* A hold of the whole message reroutes first: a release never reaches outside. */
	memset(two, 0, sizeof(two));
	two[0].action = ACTION_QUARANTINE;
	two[0].whole = true;
	two[1].action = ACTION_REROUTE;
	assert_int_equal(decide_outcome(two, 2), ACTION_QUARANTINE);
	assert_int_equal(two[1].fate, FATE_REROUTED);
	/* In monitor mode nothing is rerouted. */
	memset(two, 0, sizeof(two));
	two[0].action = ACTION_REROUTE;
	two[0].mode = MODE_MONITOR;
	assert_int_equal(decide_outcome(two, 1), ACTION_ACCEPT);
	assert_int_equal(two[0].fate, FATE_DELIVERED);
	two[0].mode = MODE_ENFORCE;
	assert_int_equal(decide_outcome(two, 1), ACTION_REROUTE);
}

/* ---- the notice -------------------------------------------------------------------- */

static void
test_notice_text(void **state)
{
	struct alert_notice n;
	size_t len;
	char *msg;

	(void)state;
	alert_notice_init(&n);
	alert_notice_set(&n, "mailbox", "support@corp.example");
	alert_notice_set(&n, "recipient", "partner@fti.example");
	alert_notice_set(&n, "target", "fti.example");
	alert_notice_set(&n, "signals", "header-recipient,sieve-redirect");
	alert_notice_set(&n, "decision_id", "01JREF");
	alert_notice_set(&n, "outcome", "rerouted");
	alert_notice_set(&n, "rerouted_to", "support+fwdguard@corp.example");
	msg = alert_notice_compose(&n, "fwdguard@corp.example", "helpdesk@corp.example", 3600,
	    1700000000, &len);
	assert_non_null(msg);
	assert_int_equal(strlen(msg), len);
	static const char *const want[] = {
		"To: support@corp.example\n",
		"Subject: Mail of support@corp.example to partner@fti.example was stopped",
		"Auto-Submitted: auto-generated\n",
		"Route:         a redirect rule (Sieve filter) of the mailbox\n",
		"delivered to support+fwdguard@corp.example instead",
		"its sender got no error",
		"Reference:     01JREF\n",
		"write to helpdesk@corp.example",
		"every 60 minute(s)",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(strstr(msg, want[i]) != NULL, "notice lacks \"%s\":\n%s", want[i], msg);
	free(msg);

	/* A hostile recipient cannot add a header, and the held copy says so. */
	alert_notice_set(&n, "recipient", "x@fti.example\nBcc: all@corp.example");
	alert_notice_set(&n, "outcome", "held");
	alert_notice_set(&n, "signals", "directory-forward");
	msg = alert_notice_compose(&n, "fwdguard@corp.example", "helpdesk@corp.example", 0,
	    1700000000, &len);
	assert_non_null(msg);
	CHECK(strstr(msg, "\nBcc:") == NULL, "a value started a header:\n%s", msg);
	CHECK(strstr(msg, "held by the mail administrators") != NULL, "held: %s", msg);
	CHECK(strstr(msg, "in the company directory") != NULL, "directory route: %s", msg);
	CHECK(strstr(msg, "minute(s)") == NULL, "no window, no repeat line: %s", msg);
	free(msg);
	assert_string_equal(alert_notice_route("resent-x,orcpt"),
	    "an automatic forward of mail delivered to the mailbox");
	assert_string_equal(alert_notice_route(""), "a route fwdguard could not name");
}

static int
group_setup(void **state)
{
	(void)state;
	return fixture_act_setup("test_reroute", test_yaml, false);
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_reroute_to),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_reroute_fallbacks),
		cmocka_unit_test(test_notice_text),
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	return cmocka_run_group_tests_name("reroute_pure", pure, NULL, NULL) |
	    cmocka_run_group_tests_name("reroute", tests, group_setup, fixture_act_teardown);
}
