/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_classify.c - protected mailboxes, destinations, allow list, the MTA
 * cross-check, and signal names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

#define NCASES(a)	(sizeof(a) / sizeof((a)[0]))
#define NOW		((time_t)1800000000)

static const char *const dest_names[] = { "internal", "external", "allowed" };

static char *protected_list[] = { "support@corp.example", "contactfr@corp.example" };
static char *support_only[] = { "support@corp.example" };
static char *contactfr_only[] = { "contactfr@corp.example" };

/* Indexes into allow_list, named for the tables below. */
enum { VENDOR, PROCESSOR, DPO, OLD_VENDOR, ENDING, NO_ALLOW = -1 };

static struct policy_allow allow_list[] = {
	[VENDOR] = { "helpdesk-vendor.example", support_only, 1, "DPA-2024-17", "dpo@corp.example",
		     NULL, 0 },
	[PROCESSOR] = { "*.processor.example", NULL, 0, "processor", "dpo@corp.example", NULL, 0 },
	[DPO] = { "dpo@lawfirm.example", contactfr_only, 1, "counsel", "legal@corp.example",
		  "2033-05-18", 2000000000 },
	[OLD_VENDOR] = { "old-vendor.example", NULL, 0, "ended", "dpo@corp.example",
			 "2023-11-14", 1700000000 },
	[ENDING] = { "ending.example", NULL, 0, "ends now", "dpo@corp.example", NULL, NOW },
};

static struct policy pol;

static int
setup(void **state)
{
	static const char *const internal[] = { "corp.example", "*.corp.example", "[192.0.2.1]" };

	(void)state;
	memset(&pol, 0, sizeof(pol));
	pol.internal = domain_list_new();
	if (pol.internal == NULL)
		return -1;
	for (size_t i = 0; i < NCASES(internal); i++)
		if (domain_list_add(pol.internal, internal[i], NULL, 0) != 0)
			return -1;
	pol.protected = protected_list;
	pol.nprotected = NCASES(protected_list);
	strcpy(pol.delimiters, "+");
	pol.allow = allow_list;
	pol.nallow = NCASES(allow_list);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	domain_list_free(pol.internal);
	pol.internal = NULL;
	return 0;
}

static int
parse(const char *raw, struct address *a)
{
	return address_parse(raw, strlen(raw), a) == ADDRESS_OK ? 0 : -1;
}

struct protected_case {
	const char *name;
	const char *raw;
	const char *want;
};

static void
finds_protected_mailboxes(void **state)
{
	(void)state;
	const struct protected_case cases[] = {
		{ "envelope form, case, extension, trailing dot", "<Support+fr@Corp.Example.>", "support@corp.example" },
		{ "quoted local part", "\"support\"@corp.example", "support@corp.example" },
		{ "second mailbox", "contactfr@corp.example", "contactfr@corp.example" },
		{ "IDN-free lookalike domain", "support@evilcorp.example", NULL },
		{ "same name in a subdomain", "support@mail.corp.example", NULL },
		{ "percent hack through the mailbox", "support%evil.test@corp.example", NULL },
		{ "source route ending at the mailbox", "@evil.test:support@corp.example", NULL },
		{ "quoted '@' naming the mailbox", "\"support@corp.example\"@corp.example", NULL },
		{ "unqualified name", "support", NULL },
		{ "a leading delimiter is part of the name", "+support@corp.example", NULL },
		{ "another mailbox", "sales@corp.example", NULL },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++) {
		const struct protected_case *c = &cases[i];
		struct address a;
		const char *got = parse(c->raw, &a) == 0 ? policy_protected(&pol, &a) : "(parse failed)";
		int ok = (got == NULL && c->want == NULL) ||
		    (got != NULL && c->want != NULL && strcmp(got, c->want) == 0);
		if (!ok) {
			print_error("%s: protected(%s) got %s, want %s\n", c->name, c->raw,
			    got ? got : "NULL", c->want ? c->want : "NULL");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- recipient delimiters: whole first, stripped only when internal ---------- */

static char *delim_protected[] = {
	"support@corp.example", "customer@corp.example", "customer-service@corp.example",
	"hr@corp.example", "partner@gmail.example", "owner-list@corp.example",
	"postmaster@corp.example",
};
static char *partner_only[] = { "partner@gmail.example" };
static struct policy_allow delim_allow[] = {
	{ "partner@gmail.example", NULL, 0, "partner", "dpo@corp.example", NULL, 0 },
	{ "*.partner.example", NULL, 0, "partner group", "dpo@corp.example", NULL, 0 },
};

/* Addresses the fake directory has an entry for (the policy's known_hook). */
static const char *const delim_known[] = { "customer-service@corp.example", "hr-team@corp.example" };

static int
delim_known_hook(void *ctx, const char *canonical)
{
	(void)ctx;
	for (size_t i = 0; i < NCASES(delim_known); i++)
		if (strcmp(delim_known[i], canonical) == 0)
			return 1;
	return 0;
}

struct delim_case {
	const char *name;
	const char *delimiters;
	bool directory;		/* known_hook set */
	const char *raw;
	const char *want;	/* protected mailbox, or NULL */
};

static const struct delim_case delim_cases[] = {
	{ "plus: tag removed on an internal address", "+", false, "Support+x@Corp.Example", "support@corp.example" },
	{ "plus: a second tag is part of the extension", "+", false, "support+x+y@corp.example", "support@corp.example" },
	{ "plus: '-' is no delimiter", "+", false, "support-x@corp.example", NULL },
	{ "plus: trailing delimiter", "+", false, "support+@corp.example", "support@corp.example" },
	{ "plus: leading delimiter, no extension", "+", false, "+support@corp.example", NULL },
	{ "plus: leading delimiter is never skipped over", "+", false, "+support+x@corp.example", NULL },
	{ "none: no delimiter, no stripping", "", false, "support+x@corp.example", NULL },
	{ "plus-minus: whole name first", "+-", false, "customer-service@corp.example", "customer-service@corp.example" },
	{ "plus-minus: whole name first, any case", "+-", false, "Customer-Service@corp.example", "customer-service@corp.example" },
	{ "plus-minus: cut at the first delimiter, as Postfix does", "+-", false, "customer-service+x@corp.example", "customer@corp.example" },
	{ "plus-minus: '-' tag, unknown whole address", "+-", false, "support-fr@corp.example", "support@corp.example" },
	{ "plus-minus: first delimiter of either kind cuts", "+-", false, "support-a+b@corp.example", "support@corp.example" },
	{ "plus-minus: unknown to the directory, Postfix delivers to hr@", "+-", true, "hr-payroll@corp.example", "hr@corp.example" },
	{ "plus-minus: known to the directory, its own mailbox", "+-", true, "hr-team@corp.example", NULL },
	{ "plus-minus: known and listed whole", "+-", true, "customer-service@corp.example", "customer-service@corp.example" },
	{ "plus-minus: owner- is never split", "+-", false, "owner-list@corp.example", "owner-list@corp.example" },
	{ "plus-minus: owner-x is not owner@", "+-", false, "owner-x@corp.example", NULL },
	{ "plus-minus: -request is never split", "+-", false, "support-request@corp.example", NULL },
	{ "plus-minus: postmaster is never split", "+-", false, "postmaster@corp.example", "postmaster@corp.example" },
	{ "external: never stripped", "+-", false, "partner-exfil@gmail.example", NULL },
	{ "external: whole is still compared", "+-", false, "Partner@Gmail.Example", "partner@gmail.example" },
	{ "external: plus tag is another address", "+", false, "partner+x@gmail.example", NULL },
	{ "several: each character delimits", "+-=", false, "support=x@corp.example", "support@corp.example" },
	{ "several: subdomain is internal too", "+-", false, "support-x@mail.corp.example", NULL },
};

static void
strips_delimiters_only_where_they_mean_something(void **state)
{
	struct policy p = pol;
	int failures = 0;

	(void)state;
	p.protected = delim_protected;
	p.nprotected = NCASES(delim_protected);
	for (size_t i = 0; i < NCASES(delim_cases); i++) {
		const struct delim_case *c = &delim_cases[i];
		struct address a;
		const char *got;

		snprintf(p.delimiters, sizeof(p.delimiters), "%s", c->delimiters);
		p.known_hook = c->directory ? delim_known_hook : NULL;
		got = parse(c->raw, &a) == 0 ? policy_protected(&p, &a) : "(parse failed)";
		if ((got == NULL) != (c->want == NULL) || (got != NULL && strcmp(got, c->want) != 0)) {
			print_error("%s: protected(%s) with \"%s\": got %s, want %s\n", c->name,
			    c->raw, c->delimiters, got ? got : "NULL", c->want ? c->want : "NULL");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

struct exception_case {
	const char *name;
	const char *raw;
	enum destination want;
};

/* Exceptions compare whole: a domain or *.domain entry is how to cover many. */
static void
compares_exceptions_whole(void **state)
{
	static const struct exception_case cases[] = {
		{ "the address itself", "partner@gmail.example", DEST_ALLOWED },
		{ "case and trailing dot", "PARTNER@Gmail.Example.", DEST_ALLOWED },
		{ "'-' extension of the address", "partner-exfil@gmail.example", DEST_EXTERNAL },
		{ "'+' extension of the address", "partner+exfil@gmail.example", DEST_EXTERNAL },
		{ "wildcard entry covers every address", "anyone-x@eu.partner.example", DEST_ALLOWED },
	};
	struct policy p = pol;
	int failures = 0;

	(void)state;
	p.protected = partner_only;
	p.nprotected = 0;
	p.allow = delim_allow;
	p.nallow = NCASES(delim_allow);
	strcpy(p.delimiters, "+-");
	for (size_t i = 0; i < NCASES(cases); i++) {
		struct address a;
		enum destination got = DEST_INTERNAL;

		if (parse(cases[i].raw, &a) == 0)
			got = policy_destination(&p, &a, "support@corp.example", NOW, NULL, NULL);
		if (got != cases[i].want) {
			print_error("%s: destination(%s) got %s, want %s\n", cases[i].name,
			    cases[i].raw, dest_names[got], dest_names[cases[i].want]);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
looks_up_canonical_strings(void **state)
{
	(void)state;
	const char *got = policy_protected_canonical(&pol, "SUPPORT@corp.example");
	assert_ptr_equal(got, protected_list[0]);
	assert_null(policy_protected_canonical(&pol, "support@corp.example.evil.test"));
	assert_null(policy_protected_canonical(&pol, ""));
	assert_null(policy_protected_canonical(&pol, NULL));
	assert_null(policy_protected_canonical(NULL, "support@corp.example"));
}

struct dest_case {
	const char *name;
	const char *raw;
	const char *mailbox;
	enum destination want;
	const char *target;
	int allow;
};

static int
check_destination(const struct dest_case *c)
{
	struct address a;
	const struct policy_allow *allow = (const void *)&pol;
	const char *target = "unset";

	if (parse(c->raw, &a) != 0) {
		print_error("%s: %s does not parse\n", c->name, c->raw);
		return 1;
	}
	enum destination got = policy_destination(&pol, &a, c->mailbox, NOW, &allow, &target);
	const struct policy_allow *want_allow = c->allow == NO_ALLOW ? NULL : &allow_list[c->allow];
	int internal = policy_is_internal(&pol, &a);
	if (got == c->want && strcmp(target, c->target) == 0 && allow == want_allow &&
	    internal == (c->want == DEST_INTERNAL))
		return 0;
	print_error("%s: destination(%s, %s) got %s target=%s allow=%s internal=%d, "
	    "want %s target=%s allow=%s\n", c->name, c->raw, c->mailbox ? c->mailbox : "NULL",
	    dest_names[got], target, allow ? allow->destination : "NULL", internal,
	    dest_names[c->want], c->target, want_allow ? want_allow->destination : "NULL");
	return 1;
}

static void
classifies_destinations(void **state)
{
	(void)state;
	const char *sup = "support@corp.example", *cfr = "contactfr@corp.example";
	const struct dest_case cases[] = {
		{ "internal domain", "a@corp.example", NULL, DEST_INTERNAL, "corp.example", NO_ALLOW },
		{ "internal subdomain", "a@mail.corp.example", sup, DEST_INTERNAL, "mail.corp.example", NO_ALLOW },
		{ "unqualified is local delivery", "postmaster", NULL, DEST_INTERNAL, "", NO_ALLOW },
		{ "prefixed lookalike", "a@evilcorp.example", NULL, DEST_EXTERNAL, "evilcorp.example", NO_ALLOW },
		{ "internal name inside an external one", "a@corp.example.evil.test", NULL, DEST_EXTERNAL, "corp.example.evil.test", NO_ALLOW },
		{ "listed address literal", "a@[192.0.2.1]", NULL, DEST_INTERNAL, "[192.0.2.1]", NO_ALLOW },
		{ "unlisted address literal", "a@[192.0.2.9]", NULL, DEST_EXTERNAL, "[192.0.2.9]", NO_ALLOW },
		{ "loopback IPv6 literal", "a@[IPv6:::1]", NULL, DEST_EXTERNAL, "[ipv6:::1]", NO_ALLOW },
		{ "percent hack", "user%evil.test@corp.example", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "bang path", "evil.test!user@corp.example", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "source route", "@corp.example:user@evil.test", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "quoted '@'", "\"user@evil.test\"@corp.example", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "several '@'", "user@evil.test@corp.example", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "route through an external relay", "@evil.test:user@corp.example", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "unqualified percent hack", "user%evil.test", sup, DEST_EXTERNAL, "evil.test", NO_ALLOW },
		{ "every hop internal", "user%mail.corp.example@corp.example", sup, DEST_INTERNAL, "mail.corp.example", NO_ALLOW },
		{ "allowed domain for its mailbox", "a@helpdesk-vendor.example", sup, DEST_ALLOWED, "helpdesk-vendor.example", VENDOR },
		{ "allowed domain, other mailbox", "a@helpdesk-vendor.example", cfr, DEST_EXTERNAL, "helpdesk-vendor.example", NO_ALLOW },
		{ "allowed domain, no mailbox involved", "a@helpdesk-vendor.example", NULL, DEST_EXTERNAL, "helpdesk-vendor.example", NO_ALLOW },
		{ "exact allow entry is not a wildcard", "a@mx.helpdesk-vendor.example", sup, DEST_EXTERNAL, "mx.helpdesk-vendor.example", NO_ALLOW },
		{ "wildcard entry for every mailbox", "a@eu.processor.example", NULL, DEST_ALLOWED, "eu.processor.example", PROCESSOR },
		{ "wildcard entry is subdomains only", "a@processor.example", cfr, DEST_EXTERNAL, "processor.example", NO_ALLOW },
		{ "address entry", "dpo@lawfirm.example", cfr, DEST_ALLOWED, "lawfirm.example", DPO },
		{ "address entry, canonical compare", "DPO@LawFirm.Example.", cfr, DEST_ALLOWED, "lawfirm.example", DPO },
		{ "address entry, an extension is another address", "DPO+x@LawFirm.Example.", cfr, DEST_EXTERNAL, "lawfirm.example", NO_ALLOW },
		{ "address entry, other local part", "other@lawfirm.example", cfr, DEST_EXTERNAL, "lawfirm.example", NO_ALLOW },
		{ "address entry, other mailbox", "dpo@lawfirm.example", sup, DEST_EXTERNAL, "lawfirm.example", NO_ALLOW },
		{ "address entry, routed form", "dpo%lawfirm.example@corp.example", cfr, DEST_EXTERNAL, "lawfirm.example", NO_ALLOW },
		{ "expired entry", "a@old-vendor.example", sup, DEST_EXTERNAL, "old-vendor.example", NO_ALLOW },
		{ "entry expiring at this second", "a@ending.example", sup, DEST_EXTERNAL, "ending.example", NO_ALLOW },
		{ "routed to an allowed domain", "u%eu.processor.example@corp.example", NULL, DEST_ALLOWED, "eu.processor.example", PROCESSOR },
		{ "routed on from an allowed domain", "u%evil.test@eu.processor.example", NULL, DEST_EXTERNAL, "eu.processor.example", NO_ALLOW },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++)
		failures += check_destination(&cases[i]);
	assert_int_equal(failures, 0);
}

/*
 * Spellings UTS 46 maps onto an internal domain but an MTA's tables do not:
 * Postfix sent each of them to its default route (tests/e2e/differential.sh).
 * Whatever the parser says of them, they are never internal.
 */
static void
lookalike_spellings_are_never_internal(void **state)
{
	static const char *const raws[] = {
		"a@corp\xe3\x80\x82" "example",
		"a@corp\xef\xbc\x8e" "example",
		"a@\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x90.example",
		"a@co\xc2\xad" "rp.example",
		"a@corp.example\xe2\x80\x8b",
		"u%corp.example\xe2\x80\x8b@corp.example",
		"corp\xef\xbd\xa1" "example!u@corp.example",
		"@corp\xe3\x80\x82" "example:u@corp.example",
	};
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < NCASES(raws); i++) {
		struct address a;
		address_parse(raws[i], strlen(raws[i]), &a);
		enum destination d = policy_destination(&pol, &a, "support@corp.example", NOW, NULL, NULL);
		if (policy_is_internal(&pol, &a) || d != DEST_EXTERNAL) {
			print_error("%s: internal %d, destination %s\n", raws[i],
			    policy_is_internal(&pol, &a), dest_names[d]);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
unreadable_address_is_external(void **state)
{
	struct address a;
	const struct policy_allow *allow = NULL;
	const char *target = NULL;

	(void)state;
	assert_int_not_equal(address_parse("a\r\n@corp.example", 16, &a), ADDRESS_OK);
	assert_int_equal(policy_is_internal(&pol, &a), 0);
	assert_int_equal(policy_destination(&pol, &a, NULL, NOW, &allow, &target), DEST_EXTERNAL);
	assert_null(allow);
	assert_string_equal(target, "");
	assert_int_equal(policy_destination(&pol, NULL, NULL, NOW, NULL, NULL), DEST_EXTERNAL);
}

static void
allow_entry_applies_until_it_expires(void **state)
{
	struct address a;
	struct { time_t now; enum destination want; } cases[] = {
		{ 1999999999, DEST_ALLOWED },
		{ 2000000000, DEST_EXTERNAL },
		{ 2000000001, DEST_EXTERNAL },
	};

	(void)state;
	assert_int_equal(parse("dpo@lawfirm.example", &a), 0);
	for (size_t i = 0; i < NCASES(cases); i++) {
		enum destination got = policy_destination(&pol, &a, "contactfr@corp.example",
		    cases[i].now, NULL, NULL);
		if (got != cases[i].want)
			fail_msg("now=%lld: got %s, want %s", (long long)cases[i].now,
			    dest_names[got], dest_names[cases[i].want]);
	}
}

struct cross_case {
	const char *name;
	enum destination dest;
	const char *mailer;
	const char *host;
	enum destination want;
};

static void
crosschecks_with_the_mta_routing(void **state)
{
	(void)state;
	const struct cross_case cases[] = {
		{ "smtp to an external host", DEST_INTERNAL, "smtp", "mx.evil.test", DEST_EXTERNAL },
		{ "relay to an external domain", DEST_INTERNAL, "relay", "evil.test", DEST_EXTERNAL },
		{ "mailer name in upper case", DEST_INTERNAL, "SMTP", "evil.test", DEST_EXTERNAL },
		{ "any other network mailer", DEST_INTERNAL, "custom-pipe", "evil.test", DEST_EXTERNAL },
		{ "external host with a port", DEST_INTERNAL, "smtp", "mx.evil.test:25", DEST_EXTERNAL },
		{ "lookalike host", DEST_INTERNAL, "smtp", "mx.evilcorp.example", DEST_EXTERNAL },
		{ "unreadable host", DEST_INTERNAL, "smtp", "bad_host", DEST_EXTERNAL },
		{ "smtp to an internal host", DEST_INTERNAL, "smtp", "mail.corp.example", DEST_INTERNAL },
		{ "internal host, case and dot", DEST_INTERNAL, "smtp", "MAIL.Corp.Example.", DEST_INTERNAL },
		{ "internal host with a port", DEST_INTERNAL, "smtp", "mail.corp.example:2525", DEST_INTERNAL },
		{ "bracketed relayhost", DEST_INTERNAL, "smtp", "[127.0.0.1]:2525", DEST_INTERNAL },
		{ "empty host", DEST_INTERNAL, "smtp", "", DEST_INTERNAL },
		{ "no host", DEST_INTERNAL, "smtp", NULL, DEST_INTERNAL },
		{ "error mailer", DEST_INTERNAL, "error", "evil.test", DEST_INTERNAL },
		{ "no mailer", DEST_INTERNAL, NULL, "evil.test", DEST_INTERNAL },
		{ "local mailer", DEST_INTERNAL, "local", "evil.test", DEST_INTERNAL },
		{ "virtual mailer", DEST_INTERNAL, "virtual", "evil.test", DEST_INTERNAL },
		{ "lmtp mailer", DEST_INTERNAL, "lmtp", "evil.test", DEST_INTERNAL },
		{ "local mailer never makes external internal", DEST_EXTERNAL, "local", "corp.example", DEST_EXTERNAL },
		{ "internal host never makes external internal", DEST_EXTERNAL, "smtp", "mail.corp.example", DEST_EXTERNAL },
		{ "allowed stays allowed", DEST_ALLOWED, "smtp", "mx.helpdesk-vendor.example", DEST_ALLOWED },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++) {
		const struct cross_case *c = &cases[i];
		enum destination got = policy_crosscheck(&pol, c->dest, c->mailer, c->host);
		if (got != c->want) {
			print_error("%s: crosscheck(%s, %s, %s) got %s, want %s\n", c->name,
			    dest_names[c->dest], c->mailer ? c->mailer : "NULL",
			    c->host ? c->host : "NULL", dest_names[got], dest_names[c->want]);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
signal_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < SIGNAL_COUNT; s++) {
		enum fg_signal got;
		const char *name = signal_name((enum fg_signal)s);
		assert_non_null(name);
		assert_int_equal(signal_lookup(name, &got), 0);
		assert_int_equal(got, s);
	}
	assert_string_equal(signal_name(SIGNAL_DELIVERED_TO), "delivered-to");
	assert_string_equal(signal_name(SIGNAL_LEAK_BACKSCATTER), "leak-backscatter");
	assert_string_equal(signal_name(SIGNAL_BODY_UNEXAMINED), "body-unexamined");
	assert_null(signal_name(SIGNAL_COUNT));
	assert_int_equal(signal_lookup("Delivered-To", NULL), -1);
	assert_int_equal(signal_lookup("", NULL), -1);
	assert_int_equal(signal_lookup(NULL, NULL), -1);
}

struct format_case {
	const char *name;
	signal_set set;
	size_t size;
	const char *want;
	size_t want_len;
};

static void
formats_signal_sets(void **state)
{
	(void)state;
	const signal_set two = SIGNAL_BIT(SIGNAL_ORCPT) | SIGNAL_BIT(SIGNAL_DELIVERED_TO);
	const struct format_case cases[] = {
		{ "empty set", 0, 64, "", 0 },
		{ "one signal", SIGNAL_BIT(SIGNAL_RESENT), 64, "resent", 6 },
		{ "enum order", two, 64, "delivered-to,orcpt", 18 },
		{ "truncated inside a name", two, 8, "deliver", 18 },
		{ "truncated at the comma", two, 14, "delivered-to,", 18 },
		{ "bits beyond the enum are ignored", (signal_set)1u << 31, 64, "", 0 },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++) {
		const struct format_case *c = &cases[i];
		char buf[64];
		memset(buf, 'Z', sizeof(buf));
		size_t got = signal_set_format(c->set, buf, c->size);
		if (got != c->want_len || strcmp(buf, c->want) != 0) {
			print_error("%s: got %zu \"%s\", want %zu \"%s\"\n", c->name, got, buf,
			    c->want_len, c->want);
			failures++;
		}
	}
	assert_int_equal(signal_set_format(two, NULL, 0), 18);
	assert_int_equal(failures, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_protected_mailboxes),
		cmocka_unit_test(looks_up_canonical_strings),
		cmocka_unit_test(strips_delimiters_only_where_they_mean_something),
		cmocka_unit_test(compares_exceptions_whole),
		cmocka_unit_test(classifies_destinations),
		cmocka_unit_test(unreadable_address_is_external),
		cmocka_unit_test(lookalike_spellings_are_never_internal),
		cmocka_unit_test(allow_entry_applies_until_it_expires),
		cmocka_unit_test(crosschecks_with_the_mta_routing),
		cmocka_unit_test(signal_names_round_trip),
		cmocka_unit_test(formats_signal_sets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
