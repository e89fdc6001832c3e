/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_directory.c - the directory front door (milter/directory/directory.c) without
 * an LDAP server: RFC 4515 filter escaping and building, the three lookup
 * outcomes through a fake backend, a recipient's directory facts, the
 * decisions they lead to (directory-forward, ldap.on_error), and internal
 * domains from ldap.domain_filter through a fake whole-set search.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "decide.h"
#include "directory.h"
#include "fake_dir.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define DF		SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD)

/* ---- escaping ----------------------------------------------------------------- */

struct escape_case {
	const char *name;
	const char *in;
	size_t len;
	const char *want;	/* NULL: refused */
};

static char overlong[DIR_VALUE_MAX + 2];

static const struct escape_case escape_cases[] = {
	{ "plain address is unchanged", "support@corp.example", 20, "support@corp.example" },
	{ "star is escaped so it is no wildcard", "*@corp.example", 14, "\\2a@corp.example" },
	{ "parentheses are escaped so no filter can be injected", "a)(uid=*", 8,
	  "a\\29\\28uid=\\2a" },
	{ "backslash is escaped", "a\\b", 3, "a\\5cb" },
	{ "NUL is escaped, not a terminator", "a\0b", 3, "a\\00b" },
	{ "non-ASCII bytes are escaped", "j\xc3\xa9@corp.example", 16, "j\\c3\\a9@corp.example" },
	{ "space and control characters are escaped", "a b\r", 4, "a\\20b\\0d" },
	{ "empty value is refused", "", 0, NULL },
	{ "over-long value is refused", overlong, DIR_VALUE_MAX + 1, NULL },
};

static void
test_filter_escape(void **state)
{
	char out[DIR_VALUE_MAX * 3 + 1];

	(void)state;
	memset(overlong, 'a', sizeof(overlong) - 1);
	for (size_t i = 0; i < NCASES(escape_cases); i++) {
		const struct escape_case *c = &escape_cases[i];
		int n = dir_filter_escape(c->in, c->len, out, sizeof(out));

		if (c->want == NULL && n != -1)
			fail_msg("%s: got \"%s\", want refusal", c->name, out);
		if (c->want != NULL && (n < 0 || strcmp(out, c->want) != 0 ||
		    (size_t)n != strlen(c->want)))
			fail_msg("%s: got %d \"%s\", want \"%s\"", c->name, n, n < 0 ? "" : out,
			    c->want);
	}
}

struct build_case {
	const char *name;
	const char *pattern, *extra, *value;
	size_t size;
	const char *want;	/* NULL: refused */
};

static const struct build_case build_cases[] = {
	{ "every %s is replaced", "(|(mail=%s)(mailAlternateAddress=%s))", NULL, "a@b", 512,
	  "(|(mail=a@b)(mailAlternateAddress=a@b))" },
	{ "protected filter is ANDed in", "(mail=%s)", "(memberOf=cn=p)", "a@b", 512,
	  "(&(mail=a@b)(memberOf=cn=p))" },
	{ "value is escaped inside the pattern", "(mail=%s)", NULL, "*)(x=*", 512,
	  "(mail=\\2a\\29\\28x=\\2a)" },
	{ "a doubled percent is one percent", "(&(mail=%s)(x=100%%))", NULL, "a@b", 512,
	  "(&(mail=a@b)(x=100%))" },
	{ "empty value builds no filter", "(mail=%s)", NULL, "", 512, NULL },
	{ "a filter longer than the buffer is refused", "(mail=%s)", NULL, "a@b", 10, NULL },
};

static void
test_filter_build(void **state)
{
	char out[512];

	(void)state;
	for (size_t i = 0; i < NCASES(build_cases); i++) {
		const struct build_case *c = &build_cases[i];
		int rc = dir_filter_build(c->pattern, c->extra, c->value, out, c->size);

		if (c->want == NULL && rc != -1)
			fail_msg("%s: got \"%s\", want refusal", c->name, out);
		if (c->want != NULL && (rc != 0 || strcmp(out, c->want) != 0))
			fail_msg("%s: got %d \"%s\", want \"%s\"", c->name, rc, out, c->want);
	}
}

/* ---- a fake directory ------------------------------------------------------------ */

static const char test_yaml[] =
    "domains:\n"
    "  internal: [corp.example, \"*.corp.example\"]\n"
    "mailboxes:\n"
    "  protected: [support@corp.example]\n"
    "  recipient_delimiter: \"+\"\n"
    "allow:\n"
    "  - destination: helpdesk-vendor.example\n"
    "    mailboxes: [support@corp.example, hr@corp.example]\n"
    "    reason: dpa\n"
    "    owner: dpo@corp.example\n"
    "rules:\n"
    "  - name: directory-forward\n"
    "    match: { signals: [directory-forward] }\n"
    "    action: quarantine\n"
    "    alert: critical\n"
    "ldap:\n"
    "  uri: ldap://127.0.0.1:1\n"
    "  base: dc=corp,dc=example\n"
    "  protected_filter: \"(memberOf=cn=protected-mailboxes,dc=corp,dc=example)\"\n"
    "  domain_filter: \"(objectClass=domainRelatedObject)\"\n"
    "  on_error: tempfail\n";

/* Without ldap: hr@ is protected nowhere, so the allow entry may not name it. */
static const char test_yaml_plain[] =
    "domains:\n"
    "  internal: [corp.example]\n"
    "mailboxes:\n"
    "  protected: [support@corp.example]\n";

static void
cfg_error(void *ctx, const char *line)
{
	print_error("config: %s\n", line);
}

static struct cfg *
test_cfg(bool with_ldap)
{
	const char *yaml = with_ldap ? test_yaml : test_yaml_plain;
	struct cfg *c = cfg_load_buffer("test.yaml", yaml, strlen(yaml), cfg_error, NULL);

	assert_non_null(c);
	return c;
}

/* ---- the three outcomes ---------------------------------------------------------- */

static const struct fake_entry outcome_entries[] = {
	{ DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "partner@consult.example" } },
	{ DIR_KIND_FORWARDS, "down@corp.example", DIR_TRYAGAIN, { NULL } },
};

struct outcome_case {
	const char *name;
	const char *key;
	enum dir_status want;
	size_t want_values;
};

static const struct outcome_case outcome_cases[] = {
	{ "entry with a forward is found with its target", "support@corp.example", DIR_FOUND, 1 },
	{ "address without an entry is not found", "nobody@corp.example", DIR_NOTFOUND, 0 },
	{ "server that cannot answer says try again, never not found", "down@corp.example",
	  DIR_TRYAGAIN, 0 },
};

static void
test_lookup_outcomes(void **state)
{
	struct fake f = { outcome_entries, NCASES(outcome_entries), 0, { { 0 } } };
	struct dircache_backend b = { &f, fake_lookup };
	struct cfg *c = test_cfg(true);
	struct directory *d = directory_open_backend(c, &b);

	(void)state;
	for (size_t i = 0; i < NCASES(outcome_cases); i++) {
		const struct outcome_case *oc = &outcome_cases[i];
		struct dir_values v;
		enum dir_status got = directory_forwards(d, oc->key, &v);

		if (got != oc->want || v.n != oc->want_values)
			fail_msg("%s: got status %d with %zu values, want %d with %zu", oc->name,
			    got, v.n, oc->want, oc->want_values);
		dir_values_free(&v);
	}
	directory_close(d);
	cfg_unref(c);
}

static void
test_without_uri_nothing_is_asked(void **state)
{
	struct fake f = { outcome_entries, NCASES(outcome_entries), 0, { { 0 } } };
	struct dircache_backend b = { &f, fake_lookup };
	struct cfg *c = test_cfg(false);
	struct directory *d = directory_open_backend(c, &b);
	struct decide_rcpt r = { .raw = "support@corp.example" };
	struct dir_values v;
	char target[DECIDE_TARGET_MAX] = "";

	(void)state;
	r.status = address_parse(r.raw, strlen(r.raw), &r.addr);
	directory_rcpt(d, &c->policy, &r, 0, target, sizeof(target));
	if (directory_forwards(d, "support@corp.example", &v) != DIR_NOTFOUND || f.calls != 0 ||
	    r.extra != 0 || r.extra_mailbox != NULL || r.directory_error)
		fail_msg("no ldap.uri: got %u backend calls, extra %#llx; want none", f.calls,
		    (unsigned long long)r.extra);
	directory_close(d);
	cfg_unref(c);
}

/* ---- a recipient's directory facts, and the decision ---------------------------- */

struct rcpt_case {
	const char *name;
	const char *rcpt;
	struct fake_entry entry;
	signal_set want_extra;
	const char *want_mailbox;	/* NULL: none */
	const char *want_target;	/* NULL: none */
	bool want_error;
	unsigned want_calls;
	/* the decision */
	int want_scope;
	enum action want_action;
	const char *want_rule;		/* NULL: no rule */
	enum destination want_dest;
};

static const struct rcpt_case rcpt_cases[] = {
	{ "listed mailbox forwarding to an external firm gets directory-forward",
	  "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "partner@consult.example" } },
	  DF, "support@corp.example", "partner@consult.example", false, 1,
	  1, ACTION_QUARANTINE, "directory-forward", DEST_EXTERNAL },
	{ "forward to an internal address passes and is recorded", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "archive@mx.corp.example" } },
	  0, "support@corp.example", NULL, false, 1, 1, ACTION_ACCEPT, NULL, DEST_INTERNAL },
	{ "forward to the allowed vendor passes", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND,
	    { "tickets@helpdesk-vendor.example" } },
	  0, "support@corp.example", NULL, false, 1, 1, ACTION_ACCEPT, NULL, DEST_INTERNAL },
	{ "one external target among internal ones is caught", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND,
	    { "archive@corp.example", "tickets@helpdesk-vendor.example", "x@evil.test" } },
	  DF, "support@corp.example", "x@evil.test", false, 1,
	  1, ACTION_QUARANTINE, "directory-forward", DEST_EXTERNAL },
	{ "routed target hiding an external domain is external", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "x%evil.test@corp.example" } },
	  DF, "support@corp.example", "x%evil.test@corp.example", false, 1,
	  1, ACTION_QUARANTINE, "directory-forward", DEST_EXTERNAL },
	{ "unreadable target counts as external", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "x@@" } },
	  DF, "support@corp.example", "x@@", false, 1,
	  1, ACTION_QUARANTINE, "directory-forward", DEST_EXTERNAL },
	{ "whole address first, then without the extension",
	  "<Support+tickets@Corp.Example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "partner@consult.example" } },
	  DF, "support@corp.example", "partner@consult.example", false, 3,
	  1, ACTION_QUARANTINE, "directory-forward", DEST_EXTERNAL },
	{ "listed mailbox without a directory entry forwards nowhere", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_NOTFOUND, { NULL } },
	  0, "support@corp.example", NULL, false, 1, 1, ACTION_ACCEPT, NULL, DEST_INTERNAL },
	{ "directory down for a listed mailbox applies ldap.on_error", "<support@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_TRYAGAIN, { NULL } },
	  0, "support@corp.example", NULL, true, 1, 1, ACTION_TEMPFAIL, NULL, DEST_INTERNAL },
	{ "mailbox protected only in the directory is caught too", "<hr@corp.example>",
	  { DIR_KIND_PROTECTED, "hr@corp.example", DIR_FOUND, { "partner@consult.example" } },
	  DF, "hr@corp.example", "partner@consult.example", false, 1,
	  1, ACTION_QUARANTINE, "directory-forward", DEST_EXTERNAL },
	{ "directory-protected mailbox forwarding to its allowed vendor passes",
	  "<hr@corp.example>",
	  { DIR_KIND_PROTECTED, "hr@corp.example", DIR_FOUND, { "hr@helpdesk-vendor.example" } },
	  0, "hr@corp.example", NULL, false, 1, 1, ACTION_ACCEPT, NULL, DEST_INTERNAL },
	{ "address protected nowhere is out of scope", "<bob@corp.example>",
	  { DIR_KIND_PROTECTED, "bob@corp.example", DIR_NOTFOUND, { NULL } },
	  0, NULL, NULL, false, 1, 0, ACTION_ACCEPT, NULL, DEST_INTERNAL },
	{ "directory down for an address protected nowhere lets the mail flow",
	  "<bob@corp.example>",
	  { DIR_KIND_PROTECTED, "bob@corp.example", DIR_TRYAGAIN, { NULL } },
	  0, NULL, NULL, false, 1, 0, ACTION_ACCEPT, NULL, DEST_INTERNAL },
	{ "routed recipient is never looked up", "<support%evil.test@corp.example>",
	  { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "partner@consult.example" } },
	  0, NULL, NULL, false, 0, 0, ACTION_ACCEPT, NULL, DEST_EXTERNAL },
};

static void
check_decision(const struct rcpt_case *rc, const struct cfg *c, const struct decide_rcpt *r)
{
	struct decide_message m = { .policy = &c->policy, .rcpts = r, .nrcpts = 1,
	    .now = 1767225600, .on_error = ACTION_REJECT,
	    .directory_on_error = c->ldap.on_error };
	struct evidence *ev = evidence_new();
	struct decision d;
	int scope;

	m.ev = ev;
	m.sender_status = address_parse("<customer@example.org>", 22, &m.sender);
	scope = decide_message(&m, &d);
	if (scope != rc->want_scope || d.action != rc->want_action ||
	    (d.rule == NULL) != (rc->want_rule == NULL) ||
	    (d.rule != NULL && strcmp(d.rule->name, rc->want_rule) != 0) ||
	    (scope && d.destination != rc->want_dest))
		fail_msg("%s: got scope %d action %s rule %s destination %s (%s); "
		    "want scope %d action %s rule %s destination %s", rc->name, scope,
		    action_name(d.action), d.rule ? d.rule->name : "-",
		    destination_name(d.destination), d.reason, rc->want_scope,
		    action_name(rc->want_action), rc->want_rule ? rc->want_rule : "-",
		    destination_name(rc->want_dest));
	if (rc->want_error && strcmp(d.reason, "directory unavailable") != 0)
		fail_msg("%s: reason: got \"%s\", want \"directory unavailable\"", rc->name, d.reason);
	if (rc->want_target != NULL && strcmp(d.target, rc->want_target) != 0)
		fail_msg("%s: audit target: got \"%s\", want \"%s\"", rc->name, d.target,
		    rc->want_target);
	evidence_free(ev);
}

static void
test_recipient_facts_and_decision(void **state)
{
	struct cfg *c = test_cfg(true);

	(void)state;
	for (size_t i = 0; i < NCASES(rcpt_cases); i++) {
		const struct rcpt_case *rc = &rcpt_cases[i];
		struct fake f = { &rc->entry, 1, 0, { { 0 } } };
		struct dircache_backend b = { &f, fake_lookup };
		struct directory *d = directory_open_backend(c, &b);
		struct decide_rcpt r = { .raw = rc->rcpt };
		char target[DECIDE_TARGET_MAX] = "";

		r.status = address_parse(r.raw, strlen(r.raw), &r.addr);
		directory_rcpt(d, &c->policy, &r, 1767225600, target, sizeof(target));
		if (r.extra != rc->want_extra || r.directory_error != rc->want_error ||
		    f.calls != rc->want_calls)
			fail_msg("%s: got extra %#llx error %d calls %u; want %#llx %d %u", rc->name,
			    (unsigned long long)r.extra, r.directory_error, f.calls,
			    (unsigned long long)rc->want_extra, rc->want_error, rc->want_calls);
		if ((r.extra_mailbox == NULL) != (rc->want_mailbox == NULL) ||
		    (r.extra_mailbox != NULL && strcmp(r.extra_mailbox, rc->want_mailbox) != 0))
			fail_msg("%s: mailbox: got %s, want %s", rc->name,
			    r.extra_mailbox ? r.extra_mailbox : "(none)",
			    rc->want_mailbox ? rc->want_mailbox : "(none)");
		if ((r.extra_target == NULL) != (rc->want_target == NULL) ||
		    (r.extra_target != NULL && strcmp(r.extra_target, rc->want_target) != 0))
			fail_msg("%s: target: got %s, want %s", rc->name,
			    r.extra_target ? r.extra_target : "(none)",
			    rc->want_target ? rc->want_target : "(none)");
		check_decision(rc, c, &r);
		directory_close(d);
	}
	cfg_unref(c);
}

/* ---- internal domains from the directory ---------------------------------------- */

#define SEARCH_VALUES	6

/* What the fake directory answers to the domain_filter search. */
struct fake_search {
	enum dir_status st;
	const char *values[SEARCH_VALUES];
	unsigned domain_calls;
	const char *bad_attr;	/* an attribute other than associatedDomain was asked */
};

static enum dir_status
fake_search(void *ctx, const char *filter, char **attrs, size_t max_values, bool by_entry,
    struct dir_values *out)
{
	struct fake_search *f = ctx;

	(void)max_values;
	(void)by_entry;
	out->v = NULL;
	out->n = 0;
	if (strcmp(filter, "(objectClass=domainRelatedObject)") != 0)
		return DIR_NOTFOUND;	/* the protected set: none */
	f->domain_calls++;
	if (attrs[0] == NULL || strcmp(attrs[0], "associatedDomain") != 0 || attrs[1] != NULL)
		f->bad_attr = attrs[0] != NULL ? attrs[0] : "(none)";
	if (f->st != DIR_FOUND)
		return f->st;
	out->v = calloc(SEARCH_VALUES, sizeof(char *));
	for (out->n = 0; out->n < SEARCH_VALUES && f->values[out->n] != NULL; out->n++)
		out->v[out->n] = strdup(f->values[out->n]);
	return DIR_FOUND;
}

struct domain_case {
	const char *name;
	const char *rcpt;
	enum destination want;
};

/* Each step: what the directory answers, then what the policy says. */
struct domain_step {
	const char *name;
	bool refresh;		/* false: before the first load */
	enum dir_status st;
	const char *values[SEARCH_VALUES];
	int want_rc;
	struct domain_case cases[6];
};

static const struct domain_step domain_steps[] = {
	{ "before the first load only the YAML list counts", false, DIR_FOUND, { NULL }, 0, {
	  { "YAML domain is internal", "<bob@corp.example>", DEST_INTERNAL },
	  { "directory domain is not internal yet", "<colleague@corp-branch.example>",
	    DEST_EXTERNAL },
	  { NULL, NULL, 0 } } },
	{ "loaded", true, DIR_FOUND,
	  { "Corp-Branch.Example.", "*.sub.example", "[192.0.2.1]", "not a domain", "*x.example",
	    NULL }, 0, {
	  { "domain from the directory makes the address internal (normalized)",
	    "<colleague@corp-branch.example>", DEST_INTERNAL },
	  { "*.sub from the directory covers a subdomain", "<a@host.sub.example>", DEST_INTERNAL },
	  { "*.sub does not cover the domain itself", "<a@sub.example>", DEST_EXTERNAL },
	  { "a longer look-alike domain stays external", "<a@evilcorp-branch.example>",
	    DEST_EXTERNAL },
	  { "an address literal from the directory is ignored", "<a@[192.0.2.1]>", DEST_EXTERNAL },
	  { "a routed address hiding an external domain stays external",
	    "<x%evil.test@corp-branch.example>", DEST_EXTERNAL } } },
	{ "a failed reload keeps the last set", true, DIR_TRYAGAIN, { NULL }, -1, {
	  { "directory domain is still internal", "<colleague@corp-branch.example>",
	    DEST_INTERNAL },
	  { "directory wildcard is still internal", "<a@host.sub.example>", DEST_INTERNAL },
	  { NULL, NULL, 0 } } },
	{ "a successful reload replaces the set", true, DIR_FOUND, { "sub.example", NULL }, 0, {
	  { "domain gone from the directory is external again", "<colleague@corp-branch.example>",
	    DEST_EXTERNAL },
	  { "new exact domain is internal", "<a@sub.example>", DEST_INTERNAL },
	  { "YAML domain is still internal", "<bob@corp.example>", DEST_INTERNAL },
	  { NULL, NULL, 0 } } },
	{ "no entry matches: no directory domain", true, DIR_NOTFOUND, { NULL }, 0, {
	  { "the last domain is external", "<a@sub.example>", DEST_EXTERNAL },
	  { NULL, NULL, 0 } } },
};

static void
check_domain_cases(const struct domain_step *step, const struct policy *p)
{
	for (size_t i = 0; i < NCASES(step->cases) && step->cases[i].name != NULL; i++) {
		const struct domain_case *dc = &step->cases[i];
		struct address a;
		enum destination got;

		if (address_parse(dc->rcpt, strlen(dc->rcpt), &a) != ADDRESS_OK)
			fail_msg("%s: %s: cannot parse %s", step->name, dc->name, dc->rcpt);
		got = policy_destination(p, &a, NULL, 1767225600, NULL, NULL);
		if (got != dc->want)
			fail_msg("%s: %s: got %s, want %s", step->name, dc->name,
			    destination_name(got), destination_name(dc->want));
	}
}

static void
test_internal_domains_from_directory(void **state)
{
	struct fake f = { outcome_entries, NCASES(outcome_entries), 0, { { 0 } } };
	struct dircache_backend b = { &f, fake_lookup };
	struct fake_search fs = { DIR_FOUND, { NULL }, 0, NULL };
	struct cfg *c = test_cfg(true);
	struct directory *d = directory_open_backend(c, &b);

	(void)state;
	directory_set_search(d, fake_search, &fs);
	directory_attach(d, &c->policy);
	for (size_t i = 0; i < NCASES(domain_steps); i++) {
		const struct domain_step *step = &domain_steps[i];

		if (step->refresh) {
			int rc;

			fs.st = step->st;
			memcpy(fs.values, step->values, sizeof(fs.values));
			rc = directory_refresh(d);
			if (rc != step->want_rc)
				fail_msg("%s: refresh: got %d, want %d", step->name, rc, step->want_rc);
		}
		check_domain_cases(step, &c->policy);
	}
	if (fs.bad_attr != NULL)
		fail_msg("domain search asked for attribute %s, want associatedDomain only",
		    fs.bad_attr);
	if (fs.domain_calls != NCASES(domain_steps) - 1)
		fail_msg("domain searches: got %u, want %zu", fs.domain_calls,
		    NCASES(domain_steps) - 1);
	if (f.calls != 0)
		fail_msg("the policy hook asked the backend %u times, want never", f.calls);
	directory_attach(NULL, &c->policy);
	directory_close(d);
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_escape),
		cmocka_unit_test(test_filter_build),
		cmocka_unit_test(test_lookup_outcomes),
		cmocka_unit_test(test_without_uri_nothing_is_asked),
		cmocka_unit_test(test_recipient_facts_and_decision),
		cmocka_unit_test(test_internal_domains_from_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
