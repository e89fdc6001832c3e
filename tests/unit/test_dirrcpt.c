/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_dirrcpt.c - which mailbox a recipient is, with a fake directory
 * (milter/directory/dirrcpt.c, milter/directory/diralias.c): recipient delimiters "+-" asked
 * whole first, then without the extension, as Postfix asks its tables;
 * and a mailbox that is its directory entry, every address of which is
 * protected (loaded by the refresh, try-again keeps the last set).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "decide.h"
#include "diralias.h"
#include "directory.h"
#include "fake_dir.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define DF		SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD)
#define NOW		((time_t)1767225600)
#define FAKE_ENTRIES	4

static const char test_yaml[] =
    "domains:\n"
    "  internal: [corp.example]\n"
    "mailboxes:\n"
    "  protected: [support@corp.example, customer@corp.example]\n"
    "  recipient_delimiter: \"+-\"\n"
    "allow:\n"
    "  - destination: partner@gmail.example\n"
    "    reason: contract\n"
    "    owner: dpo@corp.example\n"
    "rules:\n"
    "  - name: directory-forward\n"
    "    match: { signals: [directory-forward] }\n"
    "    action: quarantine\n"
    "ldap:\n"
    "  uri: ldap://127.0.0.1:1\n"
    "  base: dc=corp,dc=example\n"
    "  mailbox_filter: \"(|(mail=%s)(mailLocalAddress=%s))\"\n"
    "  protected_filter: \"(memberOf=cn=protected)\"\n"
    "  on_error: tempfail\n";

static void
cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	print_error("config: %s\n", line);
}

static struct cfg *
test_cfg(void)
{
	struct cfg *c = cfg_load_buffer("test.yaml", test_yaml, strlen(test_yaml), cfg_error, NULL);

	assert_non_null(c);
	return c;
}

/* ---- whole first, then without the extension -------------------------------------- */

struct order_case {
	const char *name;
	const char *rcpt;
	struct fake_entry entries[FAKE_ENTRIES];
	const char *want_asked;		/* the lookups, in order, comma-separated */
	const char *want_mailbox;	/* NULL: none */
	const char *want_target;	/* NULL: none */
	bool want_error;
	const char *want_address;	/* the decision's mailbox_address */
};

static const struct order_case order_cases[] = {
	{ "hyphenated name with its own forward is asked about whole",
	  "<customer-service@corp.example>",
	  { { DIR_KIND_PROTECTED, "customer-service@corp.example", DIR_NOTFOUND, { NULL } },
	    { DIR_KIND_FORWARDS, "customer-service@corp.example", DIR_FOUND,
	      { "consultant@fti.example" } },
	    { DIR_KIND_FORWARDS, "customer@corp.example", DIR_FOUND, { "customer@mx.corp.example" } } },
	  "P:customer-service@corp.example,F:customer-service@corp.example",
	  NULL, NULL, false, "" },
	{ "hyphenated name protected in the directory: its own forward is caught",
	  "<customer-service@corp.example>",
	  { { DIR_KIND_PROTECTED, "customer-service@corp.example", DIR_FOUND,
	      { "consultant@fti.example" } } },
	  "P:customer-service@corp.example",
	  "customer-service@corp.example", "consultant@fti.example", false,
	  "customer-service@corp.example" },
	{ "unknown whole address: Postfix delivers to the stripped one",
	  "<customer-x@corp.example>",
	  { { DIR_KIND_FORWARDS, "customer@corp.example", DIR_FOUND, { "consultant@fti.example" } } },
	  "P:customer-x@corp.example,F:customer-x@corp.example,F:customer@corp.example",
	  "customer@corp.example", "consultant@fti.example", false, "customer-x@corp.example" },
	{ "whole address cannot be asked: try again, never the stripped answer",
	  "<customer-x@corp.example>",
	  { { DIR_KIND_PROTECTED, "customer-x@corp.example", DIR_TRYAGAIN, { NULL } },
	    { DIR_KIND_FORWARDS, "customer@corp.example", DIR_FOUND, { "customer@corp.example" } } },
	  "P:customer-x@corp.example",
	  "customer@corp.example", NULL, true, "customer-x@corp.example" },
	{ "listed mailbox with a tag: whole then stripped",
	  "<Support+Ticket-7@corp.example>",
	  { { DIR_KIND_FORWARDS, "support@corp.example", DIR_FOUND, { "x@evil.test" } } },
	  "P:support+ticket-7@corp.example,F:support+ticket-7@corp.example,F:support@corp.example",
	  "support@corp.example", "x@evil.test", false, "support+ticket-7@corp.example" },
	{ "external recipient is never stripped nor protected", "<partner-exfil@gmail.example>",
	  { { DIR_KIND_FORWARDS, "partner@gmail.example", DIR_FOUND, { "x@evil.test" } } },
	  "P:partner-exfil@gmail.example", NULL, NULL, false, "" },
	{ "colleague without extension: one question", "<bob@corp.example>",
	  { { DIR_KIND_FORWARDS, "bob@corp.example", DIR_FOUND, { "bob@mx.corp.example" } } },
	  "P:bob@corp.example", NULL, NULL, false, "" },
};

static void
join_asked(const struct fake *f, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < f->calls && i < FAKE_ASKED; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? "," : "", f->asked[i]);
}

static void
check_rcpt(const char *name, struct directory *d, const struct cfg *c, const char *rcpt,
    const char *want_mailbox, const char *want_target, bool want_error, const char *want_address)
{
	struct decide_rcpt r = { .raw = rcpt };
	struct decide_message m = { .policy = &c->policy, .rcpts = &r, .nrcpts = 1, .now = NOW,
	    .on_error = ACTION_REJECT, .directory_on_error = ACTION_TEMPFAIL };
	struct evidence *ev = evidence_new();
	char target[DECIDE_TARGET_MAX] = "";
	struct decision dec;

	r.status = address_parse(r.raw, strlen(r.raw), &r.addr);
	directory_rcpt(d, &c->policy, &r, NOW, target, sizeof(target));
	if ((r.extra_mailbox == NULL) != (want_mailbox == NULL) ||
	    (r.extra_mailbox != NULL && strcmp(r.extra_mailbox, want_mailbox) != 0))
		fail_msg("%s: mailbox: got %s, want %s", name,
		    r.extra_mailbox ? r.extra_mailbox : "(none)", want_mailbox ? want_mailbox : "(none)");
	if ((r.extra_target == NULL) != (want_target == NULL) ||
	    (r.extra_target != NULL && strcmp(r.extra_target, want_target) != 0))
		fail_msg("%s: target: got %s, want %s", name,
		    r.extra_target ? r.extra_target : "(none)", want_target ? want_target : "(none)");
	if (r.directory_error != want_error)
		fail_msg("%s: directory error: got %d, want %d", name, r.directory_error, want_error);
	m.ev = ev;
	m.sender_status = address_parse("<customer@example.org>", 22, &m.sender);
	decide_message(&m, &dec);
	if ((dec.mailbox == NULL) != (want_mailbox == NULL) ||
	    (dec.mailbox != NULL && strcmp(dec.mailbox, want_mailbox) != 0))
		fail_msg("%s: decision mailbox: got %s, want %s", name,
		    dec.mailbox ? dec.mailbox : "(none)", want_mailbox ? want_mailbox : "(none)");
	if (strcmp(dec.mailbox_address, want_address) != 0)
		fail_msg("%s: decision mailbox_address: got \"%s\", want \"%s\"", name,
		    dec.mailbox_address, want_address);
	evidence_free(ev);
}

static void
test_whole_then_stripped(void **state)
{
	struct cfg *c = test_cfg();

	(void)state;
	for (size_t i = 0; i < NCASES(order_cases); i++) {
		const struct order_case *oc = &order_cases[i];
		struct fake f = { oc->entries, FAKE_ENTRIES, 0, { { 0 } } };
		struct dircache_backend b = { &f, fake_lookup };
		struct directory *d = directory_open_backend(c, &b);
		char asked[FAKE_ASKED * 96];

		directory_attach(d, &c->policy);
		check_rcpt(oc->name, d, c, oc->rcpt, oc->want_mailbox, oc->want_target,
		    oc->want_error, oc->want_address);
		join_asked(&f, asked, sizeof(asked));
		if (strcmp(asked, oc->want_asked) != 0)
			fail_msg("%s: asked \"%s\", want \"%s\"", oc->name, asked, oc->want_asked);
		directory_attach(NULL, &c->policy);
		directory_close(d);
	}
	cfg_unref(c);
}

/* ---- a mailbox is its entry ------------------------------------------------------ */

#define SEARCH_VALUES	8

/* What the fake directory answers to the refresh's by-entry searches. */
struct fake_search {
	enum dir_status st;		/* for every search */
	unsigned calls;
	bool not_by_entry;		/* a set search came without by_entry */
	bool attrs_ok;			/* proxyAddresses and mailLocalAddress were asked */
};

static const char *const support_entry[SEARCH_VALUES] = {
	"mail:support@corp.example", "mailLocalAddress:ContactFR@corp.example",
	"proxyAddresses:smtp:kundendienst@corp.example", "proxyAddresses:X400:c=fr;a= ;p=corp",
	"proxyAddresses:SIP:support@corp.example", "mailAlternateAddress:not an address", "", NULL
};
static const char *const legal_entries[SEARCH_VALUES] = {
	"mailLocalAddress:juridique@corp.example", "mail:legal@corp.example", "",
	"mail:hr@corp.example", "proxyAddresses:SMTP:rh@corp.example", "", NULL
};

static bool
has_attr(char **attrs, const char *name)
{
	for (size_t i = 0; attrs[i] != NULL; i++)
		if (strcmp(attrs[i], name) == 0)
			return true;
	return false;
}

static enum dir_status
fake_search(void *ctx, const char *filter, char **attrs, size_t max_values, bool by_entry,
    struct dir_values *out)
{
	struct fake_search *f = ctx;
	const char *const *vals = NULL;

	(void)max_values;
	out->v = NULL;
	out->n = 0;
	f->calls++;
	f->not_by_entry |= !by_entry;
	f->attrs_ok = has_attr(attrs, "proxyAddresses") && has_attr(attrs, "mailLocalAddress");
	if (f->st != DIR_FOUND)
		return f->st;
	if (strcmp(filter, "(|(mail=support@corp.example)(mailLocalAddress=support@corp.example))") == 0)
		vals = support_entry;
	else if (strcmp(filter, "(memberOf=cn=protected)") == 0)
		vals = legal_entries;
	if (vals == NULL)
		return DIR_NOTFOUND;
	out->v = calloc(SEARCH_VALUES, sizeof(char *));
	for (out->n = 0; vals[out->n] != NULL; out->n++)
		out->v[out->n] = strdup(vals[out->n]);
	return DIR_FOUND;
}

struct alias_case {
	const char *name;
	const char *addr;
	const char *want;	/* the mailbox, NULL: not protected */
};

/* After a successful load, and still after a failed one. */
static const struct alias_case alias_cases[] = {
	{ "another mailLocalAddress of the YAML mailbox's entry", "<contactfr@corp.example>",
	  "support@corp.example" },
	{ "an alias with a tag", "<ContactFR+x@corp.example>", "support@corp.example" },
	{ "a proxyAddresses smtp: value", "<kundendienst@corp.example>", "support@corp.example" },
	{ "the YAML mailbox itself", "<support@corp.example>", "support@corp.example" },
	{ "protected_filter entry: named by its mail", "<juridique@corp.example>",
	  "legal@corp.example" },
	{ "protected_filter entry, primary SMTP: proxy address", "<rh@corp.example>",
	  "hr@corp.example" },
	{ "a colleague is not protected", "<bob@corp.example>", NULL },
	{ "the same local part elsewhere is not protected", "<contactfr@gmail.example>", NULL },
};

static void
check_aliases(const char *step, const struct policy *p)
{
	for (size_t i = 0; i < NCASES(alias_cases); i++) {
		const struct alias_case *ac = &alias_cases[i];
		struct address a;
		const char *got;

		if (address_parse(ac->addr, strlen(ac->addr), &a) != ADDRESS_OK)
			fail_msg("%s: cannot parse %s", ac->name, ac->addr);
		got = policy_protected(p, &a);
		if ((got == NULL) != (ac->want == NULL) || (got != NULL && strcmp(got, ac->want) != 0))
			fail_msg("%s: %s: protected(%s) got %s, want %s", step, ac->name, ac->addr,
			    got ? got : "NULL", ac->want ? ac->want : "NULL");
	}
}

/* An alias names the mailbox in the evidence headers too. */
static void
check_header_alias(const struct policy *p)
{
	struct evidence *ev = evidence_new();

	evidence_header(ev, p, "Delivered-To", "ContactFR@corp.example");
	if (evidence_mailbox(ev) == NULL || strcmp(evidence_mailbox(ev), "support@corp.example") != 0 ||
	    !(evidence_signals(ev) & SIGNAL_BIT(SIGNAL_DELIVERED_TO)))
		fail_msg("Delivered-To: contactfr@: got mailbox %s signals %#llx, want support@ "
		    "and delivered-to", evidence_mailbox(ev) ? evidence_mailbox(ev) : "(none)",
		    (unsigned long long)evidence_signals(ev));
	evidence_free(ev);
}

static const struct fake_entry alias_forwards[FAKE_ENTRIES] = {
	{ DIR_KIND_FORWARDS, "contactfr@corp.example", DIR_FOUND, { "consultant@fti.example" } },
};

static void
test_mailbox_is_its_entry(void **state)
{
	struct cfg *c = test_cfg();
	struct fake f = { alias_forwards, FAKE_ENTRIES, 0, { { 0 } } };
	struct dircache_backend b = { &f, fake_lookup };
	struct fake_search fs = { DIR_FOUND, 0, false, false };
	struct directory *d = directory_open_backend(c, &b);
	struct address a;

	(void)state;
	directory_set_search(d, fake_search, &fs);
	directory_attach(d, &c->policy);
	assert_int_equal(address_parse("<contactfr@corp.example>", 24, &a), ADDRESS_OK);
	if (policy_protected(&c->policy, &a) != NULL)
		fail_msg("before any load: contactfr@ is protected already");
	if (directory_refresh(d) != 0)
		fail_msg("load: refresh failed");
	if (fs.not_by_entry || !fs.attrs_ok)
		fail_msg("load: by_entry %d, address attributes asked %d; want both",
		    !fs.not_by_entry, fs.attrs_ok);
	/* one search per YAML mailbox, one for protected_filter */
	if (fs.calls != 3)
		fail_msg("load: %u searches, want 3", fs.calls);
	check_aliases("loaded", &c->policy);
	check_rcpt("mail to contactfr@ is support@'s, and its forward is caught", d, c,
	    "<contactfr@corp.example>", "support@corp.example", "consultant@fti.example", false,
	    "contactfr@corp.example");

	check_header_alias(&c->policy);

	fs.st = DIR_TRYAGAIN;
	if (directory_refresh(d) != -1)
		fail_msg("outage: refresh did not fail");
	check_aliases("after a failed reload", &c->policy);

	fs.st = DIR_NOTFOUND;
	if (directory_refresh(d) != 0)
		fail_msg("emptied: refresh failed");
	if (policy_protected(&c->policy, &a) != NULL)
		fail_msg("entries gone from the directory: contactfr@ still protected");
	directory_attach(NULL, &c->policy);
	directory_close(d);
	cfg_unref(c);
}

/* The set keeps a YAML mailbox's name over an entry's own, and drops what is no address. */
static void
test_alias_set_names(void **state)
{
	char *v1[] = { "mail:legal@corp.example", "mailLocalAddress:law@corp.example", "" };
	char *v2[] = { "mail:other@corp.example", "mailLocalAddress:LAW@corp.example",
	    "proxyAddresses:x500:/o=corp", "mail", "" };
	struct dir_values e1 = { v1, 3 }, e2 = { v2, 5 };
	struct diralias_pool *pool = diralias_pool_new();
	struct diralias_builder *b = diralias_builder_new(pool);
	struct diralias *s;

	(void)state;
	assert_non_null(b);
	assert_int_equal(diralias_add(b, &e1, "support@corp.example"), 0);
	assert_int_equal(diralias_add(b, &e2, NULL), 0);
	s = diralias_build(b);
	assert_non_null(s);
	assert_int_equal(diralias_count(s), 3);
	assert_string_equal(diralias_find(s, "law@corp.example"), "support@corp.example");
	assert_string_equal(diralias_find(s, "legal@corp.example"), "support@corp.example");
	assert_string_equal(diralias_find(s, "other@corp.example"), "other@corp.example");
	assert_null(diralias_find(s, "x500"));
	diralias_free(s);
	diralias_pool_free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_then_stripped),
		cmocka_unit_test(test_mailbox_is_its_entry),
		cmocka_unit_test(test_alias_set_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
