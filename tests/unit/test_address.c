/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_address.c - the address parser, canonical form and header scanner.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "address.h"

#define AUTO_LEN	((size_t)-1)
#define NCASES(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
status_name(enum address_status st)
{
	static const char *const names[] = {
		"ADDRESS_OK", "ADDRESS_NULL", "ADDRESS_MALFORMED", "ADDRESS_TOO_LONG",
		"ADDRESS_CONTROL", "ADDRESS_AMBIGUOUS", "ADDRESS_BAD_DOMAIN"
	};
	return (unsigned)st < NCASES(names) ? names[st] : "?";
}

static const char *
route_name(enum address_route r)
{
	static const char *const names[] = {
		"none", "percent", "bang", "source", "quoted-at", "multi-at"
	};
	return (unsigned)r < NCASES(names) ? names[r] : "?";
}

/* The hop chain as "a,b,c". */
static void
join_hops(const struct address *a, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < a->nhops && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "", a->hops[i]);
}

struct parse_case {
	const char *name;
	const char *raw;
	size_t len;
	enum address_status want;
	const char *local;
	const char *hops;
	enum address_route route;
	unsigned flags;
};

#define OK(n, raw, local, hops, route, flags) \
	{ n, raw, AUTO_LEN, ADDRESS_OK, local, hops, route, flags }
#define BAD(n, raw, st) \
	{ n, raw, AUTO_LEN, st, "", "", ROUTE_NONE, 0 }

static int
check_parse(const struct parse_case *c)
{
	struct address a;
	char hops[ADDRESS_HOPS_MAX * (DOMAIN_MAX + 1) + 1];
	size_t len = c->len == AUTO_LEN ? strlen(c->raw) : c->len;

	memset(&a, 0x5a, sizeof(a));
	enum address_status got = address_parse(c->raw, len, &a);
	join_hops(&a, hops, sizeof(hops));
	int ok = got == c->want && strcmp(a.local, c->local) == 0 && strcmp(hops, c->hops) == 0 &&
	    a.route == c->route && a.flags == c->flags &&
	    strcmp(a.domain, a.nhops > 0 ? a.hops[0] : "") == 0;
	if (!ok)
		print_error("%s: got %s local=\"%s\" hops=\"%s\" route=%s flags=%u, "
		    "want %s local=\"%s\" hops=\"%s\" route=%s flags=%u\n", c->name,
		    status_name(got), a.local, hops, route_name(a.route), a.flags,
		    status_name(c->want), c->local, c->hops, route_name(c->route), c->flags);
	return ok ? 0 : 1;
}

static void
parses_plain_addresses(void **state)
{
	(void)state;
	const struct parse_case cases[] = {
		OK("envelope form from smtpd", "<Support@Corp.Example>", "Support", "corp.example", ROUTE_NONE, 0),
		OK("bare form from sendmail", "support@corp.example", "support", "corp.example", ROUTE_NONE, 0),
		OK("surrounding blanks are ignored", "  <a@corp.example>\t", "a", "corp.example", ROUTE_NONE, 0),
		OK("blanks inside the brackets are ignored", "< a@corp.example >", "a", "corp.example", ROUTE_NONE, 0),
		OK("one trailing dot is removed", "a@corp.example.", "a", "corp.example", ROUTE_NONE, 0),
		OK("IDN domain becomes an A-label", "a@b\xc3\xbc" "cher.example", "a", "xn--bcher-kva.example", ROUTE_NONE, 0),
		OK("UTF-8 local part is kept", "j\xc3\xb6rg@corp.example", "j\xc3\xb6rg", "corp.example", ROUTE_NONE, 0),
		OK("quoted local part is unquoted", "\"support\"@corp.example", "support", "corp.example", ROUTE_NONE, ADDRESS_QUOTED),
		OK("quoted local part with a blank", "\"john doe\"@corp.example", "john doe", "corp.example", ROUTE_NONE, ADDRESS_QUOTED),
		OK("quoted local part with an escaped quote", "\"a\\\"b\"@corp.example", "a\"b", "corp.example", ROUTE_NONE, ADDRESS_QUOTED),
		OK("recipient extension is kept as written", "Support+x@corp.example", "Support+x", "corp.example", ROUTE_NONE, 0),
		OK("dots in the local part", "first.last@corp.example", "first.last", "corp.example", ROUTE_NONE, 0),
		OK("unqualified address", "postmaster", "postmaster", "", ROUTE_NONE, ADDRESS_UNQUALIFIED),
		OK("unqualified envelope address", "<postmaster>", "postmaster", "", ROUTE_NONE, ADDRESS_UNQUALIFIED),
		OK("quoted unqualified address", "\"post master\"", "post master", "", ROUTE_NONE, ADDRESS_QUOTED | ADDRESS_UNQUALIFIED),
		OK("IPv4 address literal", "a@[192.0.2.1]", "a", "[192.0.2.1]", ROUTE_NONE, 0),
		OK("IPv6 address literal", "a@[IPv6:2001:DB8::1]", "a", "[ipv6:2001:db8::1]", ROUTE_NONE, 0),
		{ "the null sender", "<>", AUTO_LEN, ADDRESS_NULL, "", "", ROUTE_NONE, 0 },
		{ "the null sender with a blank", "< >", AUTO_LEN, ADDRESS_NULL, "", "", ROUTE_NONE, 0 },
		{ "reads only len bytes", "a@corp.example>junk", 14, ADDRESS_OK, "a", "corp.example", ROUTE_NONE, 0 },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++)
		failures += check_parse(&cases[i]);
	assert_int_equal(failures, 0);
}

static void
parses_routed_forms_by_effective_destination(void **state)
{
	(void)state;
	const struct parse_case cases[] = {
		OK("percent hack", "user%evil.test@corp.example", "user%evil.test", "corp.example,evil.test", ROUTE_PERCENT, 0),
		OK("percent hack, rightmost first", "u%b.test%c.test@corp.example", "u%b.test%c.test", "corp.example,c.test,b.test", ROUTE_PERCENT, 0),
		OK("percent hop is normalized", "user%EVIL.Test.@corp.example", "user%EVIL.Test.", "corp.example,evil.test", ROUTE_PERCENT, 0),
		OK("bang path", "evil.test!user@corp.example", "evil.test!user", "corp.example,evil.test", ROUTE_BANG, 0),
		OK("bang path, leftmost first", "a.test!b.test!u@corp.example", "a.test!b.test!u", "corp.example,a.test,b.test", ROUTE_BANG, 0),
		OK("source route", "@corp.example:user@evil.test", "user", "corp.example,evil.test", ROUTE_SOURCE, 0),
		OK("source route in brackets", "<@a.corp.example,@b.corp.example:user@evil.test>", "user", "a.corp.example,b.corp.example,evil.test", ROUTE_SOURCE, 0),
		OK("source route through a literal", "@[192.0.2.1]:u@evil.test", "u", "[192.0.2.1],evil.test", ROUTE_SOURCE, 0),
		OK("source route then percent hack", "@corp.example:u%evil.test@corp.example", "u%evil.test", "corp.example,corp.example,evil.test", ROUTE_SOURCE, 0),
		OK("'@' hidden in a quoted local part", "\"user@evil.test\"@corp.example", "user@evil.test", "corp.example,evil.test", ROUTE_QUOTED_AT, ADDRESS_QUOTED),
		OK("percent hack in a quoted local part", "\"user%evil.test\"@corp.example", "user%evil.test", "corp.example,evil.test", ROUTE_PERCENT, ADDRESS_QUOTED),
		OK("quoted percent hop to a literal", "\"u%[192.0.2.7]\"@corp.example", "u%[192.0.2.7]", "corp.example,[192.0.2.7]", ROUTE_PERCENT, ADDRESS_QUOTED),
		OK("several '@'", "a@b.test@corp.example", "a@b.test", "corp.example,b.test", ROUTE_MULTI_AT, 0),
		OK("several '@', three domains", "a@b.test@c.test@corp.example", "a@b.test@c.test", "corp.example,c.test,b.test", ROUTE_MULTI_AT, 0),
		OK("unqualified percent hack goes out", "user%evil.test", "user%evil.test", "evil.test", ROUTE_PERCENT, 0),
		OK("unqualified bang path goes out", "evil.test!user", "evil.test!user", "evil.test", ROUTE_BANG, 0),
		OK("eight hops are accepted", "u%a%b%c%d%e%f%g@corp.example", "u%a%b%c%d%e%f%g", "corp.example,g,f,e,d,c,b,a", ROUTE_PERCENT, 0),
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++)
		failures += check_parse(&cases[i]);
	assert_int_equal(failures, 0);
}

static void
refuses_what_it_cannot_read_one_way(void **state)
{
	(void)state;
	static char long_raw[ADDRESS_MAX + 2];
	static char long_local[ADDRESS_LOCAL_MAX + 32];
	static char long_quoted[ADDRESS_LOCAL_MAX + 32];
	static char long_domain[DOMAIN_MAX + 32];

	memset(long_raw, 'a', ADDRESS_MAX + 1);
	memset(long_local, 'a', ADDRESS_LOCAL_MAX + 1);
	strcat(long_local, "@corp.example");
	long_quoted[0] = '"';
	memset(long_quoted + 1, 'a', ADDRESS_LOCAL_MAX + 1);
	strcat(long_quoted, "\"@corp.example");
	strcpy(long_domain, "a@");
	for (int i = 0; i < 64; i++)
		strcat(long_domain, "abc.");
	strcat(long_domain, "x");	/* 257 bytes after "a@" */
	const struct parse_case cases[] = {
		BAD("percent and bang together", "a.test!u%b.test@corp.example", ADDRESS_AMBIGUOUS),
		BAD("quoted '@' and percent together", "\"u%a.test@b.test\"@corp.example", ADDRESS_AMBIGUOUS),
		BAD("'@' after a quoted local part", "\"a\"@b.test@corp.example", ADDRESS_AMBIGUOUS),
		BAD("nine hops", "u%a%b%c%d%e%f%g%h@corp.example", ADDRESS_AMBIGUOUS),
		BAD("empty local part", "@corp.example", ADDRESS_MALFORMED),
		BAD("empty domain", "a@", ADDRESS_MALFORMED),
		BAD("empty percent hop", "u%@corp.example", ADDRESS_MALFORMED),
		BAD("leading percent", "%evil.test@corp.example", ADDRESS_MALFORMED),
		BAD("bang path without a user", "evil.test!@corp.example", ADDRESS_MALFORMED),
		BAD("bang path without a host", "!user@corp.example", ADDRESS_MALFORMED),
		BAD("source route without a mailbox", "@corp.example:", ADDRESS_MALFORMED),
		BAD("source route to an unqualified user", "@corp.example:user", ADDRESS_MALFORMED),
		BAD("unterminated quote", "\"abc@corp.example", ADDRESS_MALFORMED),
		BAD("quote in the middle of a local part", "a\"b\"@corp.example", ADDRESS_MALFORMED),
		BAD("empty quoted local part", "\"\"@corp.example", ADDRESS_MALFORMED),
		BAD("unclosed angle bracket", "<a@corp.example", ADDRESS_MALFORMED),
		BAD("unopened angle bracket", "a@corp.example>", ADDRESS_MALFORMED),
		BAD("nested angle brackets", "<<a@corp.example>>", ADDRESS_MALFORMED),
		BAD("text after the angle brackets", "<a@corp.example> x", ADDRESS_MALFORMED),
		/* Postfix routes the bracketed address and hands the milter the whole text. */
		BAD("address before angle brackets", "support@corp.example<a@evil.test>", ADDRESS_MALFORMED),
		BAD("blank in the local part", "a b@corp.example", ADDRESS_MALFORMED),
		BAD("comma in the local part", "a,b@corp.example", ADDRESS_MALFORMED),
		BAD("comment in the address", "a(x)@corp.example", ADDRESS_MALFORMED),
		BAD("empty input", "", ADDRESS_MALFORMED),
		BAD("blanks only", "   ", ADDRESS_MALFORMED),
		BAD("invalid UTF-8", "a\xff@corp.example", ADDRESS_MALFORMED),
		BAD("overlong UTF-8", "\xc0\xaf@corp.example", ADDRESS_MALFORMED),
		BAD("truncated UTF-8", "a@corp.example\xc3", ADDRESS_MALFORMED),
		{ "NUL inside the length", "a\0b@corp.example", 16, ADDRESS_CONTROL, "", "", ROUTE_NONE, 0 },
		BAD("CR LF at the end", "a@corp.example\r\n", ADDRESS_CONTROL),
		BAD("DEL in the local part", "a\x7f@corp.example", ADDRESS_CONTROL),
		BAD("tab in the local part", "a\tb@corp.example", ADDRESS_CONTROL),
		BAD("escape character", "\x1b[31m@corp.example", ADDRESS_CONTROL),
		BAD("raw input over ADDRESS_MAX", long_raw, ADDRESS_TOO_LONG),
		/* Spellings Postfix routes by its default route, not the domain's
		 * (found by tests/e2e/differential.sh). */
		BAD("ideographic full stop in the domain", "a@corp\xe3\x80\x82" "example", ADDRESS_BAD_DOMAIN),
		BAD("full-width letters in the domain", "a@\xef\xbd\x83orp.example", ADDRESS_BAD_DOMAIN),
		BAD("decomposed accent in the domain", "a@bu\xcc\x88" "cher.example", ADDRESS_BAD_DOMAIN),
		BAD("soft hyphen in the domain", "a@co\xc2\xad" "rp.example", ADDRESS_BAD_DOMAIN),
		BAD("zero-width space after the domain", "a@corp.example\xe2\x80\x8b", ADDRESS_BAD_DOMAIN),
		BAD("full-width stop in a percent hop", "u%corp\xef\xbc\x8e" "example@corp.example", ADDRESS_BAD_DOMAIN),
		BAD("decomposed accent in a bang hop", "bu\xcc\x88" "cher.example!u@corp.example", ADDRESS_BAD_DOMAIN),
		BAD("local part over ADDRESS_LOCAL_MAX", long_local, ADDRESS_TOO_LONG),
		BAD("quoted local part over ADDRESS_LOCAL_MAX", long_quoted, ADDRESS_TOO_LONG),
		BAD("domain over DOMAIN_MAX", long_domain, ADDRESS_TOO_LONG),
		BAD("underscore in the domain", "a@corp_example.test", ADDRESS_BAD_DOMAIN),
		BAD("two trailing dots", "a@corp.example..", ADDRESS_BAD_DOMAIN),
		BAD("invalid punycode", "a@xn--zz.example", ADDRESS_BAD_DOMAIN),
		BAD("invalid IPv4 literal", "a@[300.1.1.1]", ADDRESS_BAD_DOMAIN),
		BAD("invalid percent hop", "u%evil_test@corp.example", ADDRESS_BAD_DOMAIN),
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++)
		failures += check_parse(&cases[i]);
	assert_int_equal(failures, 0);
}

static void
parse_refuses_null_input(void **state)
{
	struct address a;

	(void)state;
	assert_int_equal(address_parse(NULL, 3, &a), ADDRESS_MALFORMED);
	assert_int_equal(a.nhops, 0);
	assert_int_equal(address_parse("a@b", 3, NULL), ADDRESS_MALFORMED);
	for (int st = ADDRESS_OK; st <= ADDRESS_BAD_DOMAIN; st++)
		assert_null(strstr(address_status_str((enum address_status)st), "unknown"));
	assert_string_equal(address_status_str(ADDRESS_CONTROL), "control character in address");
}

struct canonical_case {
	const char *name;
	const char *raw;
	const char *delimiters;
	const char *want;
};

static void
canonical_form_compares_like_the_mta(void **state)
{
	(void)state;
	const struct canonical_case cases[] = {
		{ "case, extension and trailing dot", "Support+x@Corp.Example.", "+", "support@corp.example" },
		{ "quoting is removed", "\"support\"@corp.example", "+", "support@corp.example" },
		{ "quoted extension is removed", "\"Support+x\"@corp.example", "+", "support@corp.example" },
		{ "cut at the first delimiter", "support+a+b@corp.example", "+", "support@corp.example" },
		{ "any of several delimiters", "support-x@corp.example", "+-", "support@corp.example" },
		{ "a leading delimiter is not an extension", "+support@corp.example", "+", "+support@corp.example" },
		{ "no delimiter configured", "support+x@corp.example", "", "support+x@corp.example" },
		{ "NULL delimiters", "support+x@corp.example", NULL, "support+x@corp.example" },
		{ "IDN domain in A-label form", "Info@B\xc3\xbc" "CHER.example", "+", "info@xn--bcher-kva.example" },
		{ "unqualified gives the local part", "PostMaster", "+", "postmaster" },
		{ "routed address keeps its route", "User%Evil.Test@corp.example", "+", "user%evil.test@corp.example" },
		{ "non-ASCII letters are kept", "J\xc3\x96rg@corp.example", "+", "j\xc3\x96rg@corp.example" },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++) {
		const struct canonical_case *c = &cases[i];
		struct address a;
		char out[ADDRESS_CANONICAL_MAX + 1] = "";
		enum address_status st = address_parse(c->raw, strlen(c->raw), &a);
		int rc = st == ADDRESS_OK ? address_canonical(&a, c->delimiters, out, sizeof(out)) : -2;
		if (rc != 0 || strcmp(out, c->want) != 0) {
			print_error("%s: canonical(%s) got %d \"%s\", want \"%s\"\n", c->name, c->raw,
			    rc, out, c->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
canonical_refuses_a_small_buffer(void **state)
{
	struct address a;
	char out[21];

	(void)state;
	assert_int_equal(address_parse("support@corp.example", 20, &a), ADDRESS_OK);
	assert_int_equal(address_canonical(&a, "+", out, 20), -1);
	assert_string_equal(out, "");
	assert_int_equal(address_canonical(&a, "+", out, 21), 0);
	assert_string_equal(out, "support@corp.example");
	assert_int_equal(address_canonical(NULL, "+", out, sizeof(out)), -1);
}

/* ---- address_list_scan --------------------------------------------------- */

struct collect {
	char joined[4096];
	size_t n;
	size_t stop_after;	/* 0: never stop */
};

static int
collect_fn(void *ctx, const char *addr, size_t len)
{
	struct collect *c = ctx;
	size_t used = strlen(c->joined);

	snprintf(c->joined + used, sizeof(c->joined) - used, "%s%.*s", c->n ? "|" : "", (int)len, addr);
	c->n++;
	return c->stop_after != 0 && c->n >= c->stop_after;
}

struct scan_case {
	const char *name;
	const char *value;
	size_t max;
	int want_rc;
	const char *want;
};

static void
scans_header_address_lists(void **state)
{
	(void)state;
	static char deep[200];
	memset(deep, 0, sizeof(deep));
	strcpy(deep, "a@x ");
	for (int i = 0; i < 40; i++)
		strcat(deep, "(");
	for (int i = 0; i < 40; i++)
		strcat(deep, ")");
	const struct scan_case cases[] = {
		{ "a bare address", "a@x", 10, 1, "a@x" },
		{ "a trailing comment", "a@x (Alice)", 10, 1, "a@x" },
		{ "a leading comment", "(Alice) a@x", 10, 1, "a@x" },
		{ "a display name", "Alice Doe <a@x>", 10, 1, "a@x" },
		{ "a quoted display name with a comma", "\"Doe, John\" <j@x>, b@y", 10, 2, "j@x|b@y" },
		{ "escaped quotes in a display name", "\"A \\\"B\\\", C\" <a@x>", 10, 1, "a@x" },
		{ "an encoded-word display name", "=?utf-8?q?J=C3=B6rg?= <j@x>", 10, 1, "j@x" },
		{ "a display name that looks like an address", "support@corp.example <evil@x>", 10, 1, "evil@x" },
		{ "nested comments", "a@x (one (two (three)))", 10, 1, "a@x" },
		{ "a comment holding specials", "a@x (a <b>, c: d;)", 10, 1, "a@x" },
		{ "an empty group", "undisclosed-recipients:;", 10, 0, "" },
		{ "a group with members", "team: a@x, b@y;, c@z", 10, 3, "a@x|b@y|c@z" },
		{ "a group with display names", "team: Alice <a@x>, (c) b@y;", 10, 2, "a@x|b@y" },
		{ "an unterminated group at the end", "team: a@x", 10, 1, "a@x" },
		{ "folded lines", "Alice\r\n <a@x>,\r\n\tb@y", 10, 2, "a@x|b@y" },
		{ "an obsolete route", "<@r1.x,@r2.x:a@y>", 10, 1, "@r1.x,@r2.x:a@y" },
		{ "blanks inside angle brackets", "< a@x\r\n >", 10, 1, "a@x" },
		{ "empty list members", "a@x,,, ,b@y", 10, 2, "a@x|b@y" },
		{ "a quoted local part with specials", "\"a,b:c\"@x, c@y", 10, 2, "\"a,b:c\"@x|c@y" },
		{ "a literal with colons", "a@[IPv6:::1], b@y", 10, 2, "a@[IPv6:::1]|b@y" },
		{ "an empty angle-addr", "<>", 10, 1, "" },
		{ "two words without a comma stay one", "a@x b@y", 10, 1, "a@x b@y" },
		{ "control bytes and DEL between tokens are blanks", "\x01" "a@x\x7f,\x1b b@y\x01", 10, 2,
		  "a@x|b@y" },
		{ "control bytes trimmed inside angle brackets", "A <\x01" "a@x\x7f>", 10, 1, "a@x" },
		{ "a control byte inside an address stays", "a\x01" "b@x", 10, 1, "a\x01" "b@x" },
		{ "8-bit bytes are not blanks", "a@x\xe9", 10, 1, "a@x\xe9" },
		{ "an empty value", "", 10, 0, "" },
		{ "only a comment", "(nobody)", 10, 0, "" },
		{ "exactly max addresses", "a@x, b@y", 2, 2, "a@x|b@y" },
		{ "more than max addresses", "a@x, b@y, c@z", 2, -1, "a@x|b@y" },
		{ "a stray '>'", "a@x>", 10, -1, "" },
		{ "text after an angle-addr", "<a@x> junk, b@y", 10, -1, "a@x" },
		{ "a nested group", "a: b: c@x;;", 10, -1, "" },
		{ "';' outside a group", "a@x; b@y", 10, -1, "" },
		{ "an unterminated comment", "a@x (oops", 10, -1, "" },
		{ "an unterminated quote", "\"Alice <a@x>", 10, -1, "" },
		{ "an unterminated angle-addr", "Alice <a@x", 10, -1, "" },
		{ "angle brackets inside an angle-addr", "<a<b>@x>", 10, -1, "" },
		{ "comments nested too deep", deep, 10, -1, "" },
	};
	int failures = 0;

	for (size_t i = 0; i < NCASES(cases); i++) {
		const struct scan_case *c = &cases[i];
		struct collect got = { "", 0, 0 };
		int rc = address_list_scan(c->value, strlen(c->value), c->max, collect_fn, &got);
		if (rc != c->want_rc || strcmp(got.joined, c->want) != 0) {
			print_error("%s: scan(%s) got %d \"%s\", want %d \"%s\"\n", c->name, c->value,
			    rc, got.joined, c->want_rc, c->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
scan_stops_when_the_callback_asks(void **state)
{
	struct collect got = { "", 0, 1 };

	(void)state;
	assert_int_equal(address_list_scan("a@x, b@y, c@z", 13, 10, collect_fn, &got), 1);
	assert_string_equal(got.joined, "a@x");
	assert_int_equal(address_list_scan(NULL, 0, 10, collect_fn, &got), -1);
	assert_int_equal(address_list_scan("a@x", 3, 10, NULL, NULL), -1);
}

static int
count_fn(void *ctx, const char *addr, size_t len)
{
	(void)addr;
	(void)len;
	(*(size_t *)ctx)++;
	return 0;
}

static void
scan_stays_bounded_on_hostile_input(void **state)
{
	const size_t n = 100 * 1024;
	char *buf = malloc(n);
	size_t count;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(buf);

	memset(buf, ',', n);
	count = 0;
	assert_int_equal(address_list_scan(buf, n, 256, count_fn, &count), 0);
	assert_int_equal(count, 0);

	for (size_t i = 0; i + 1 < n; i += 2)
		buf[i] = 'a', buf[i + 1] = ',';
	count = 0;
	assert_int_equal(address_list_scan(buf, n, 256, count_fn, &count), -1);
	assert_int_equal(count, 256);

	memset(buf, '(', n);
	count = 0;
	assert_int_equal(address_list_scan(buf, n, 256, count_fn, &count), -1);
	assert_int_equal(count, 0);

	memset(buf, '<', n);
	assert_int_equal(address_list_scan(buf, n, 256, count_fn, &count), -1);

	/* Random bytes: any answer will do, as long as it is bounded. */
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
		}
		count = 0;
		int rc = address_list_scan(buf, n, 256, count_fn, &count);
		assert_true(rc >= -1 && rc <= 256);
		assert_true(count <= 256);
	}
	free(buf);
}

static int
parse_each_fn(void *ctx, const char *addr, size_t len)
{
	struct collect *c = ctx;
	struct address a;
	char canon[ADDRESS_CANONICAL_MAX + 1] = "?";
	size_t used = strlen(c->joined);

	if (address_parse(addr, len, &a) == ADDRESS_OK)
		address_canonical(&a, "+", canon, sizeof(canon));
	snprintf(c->joined + used, sizeof(c->joined) - used, "%s%s", c->n ? "|" : "", canon);
	c->n++;
	return 0;
}

static void
scanned_addresses_parse_to_canonical_forms(void **state)
{
	struct collect got = { "", 0, 0 };
	const char *value = "\"Customer Service\" <Support+fr@Corp.Example>,\r\n"
	    " contactfr@corp.example (Contact FR), team: \"sup port\"@corp.example;,"
	    " <@relay.test:evil@evil.test>, broken <a b@x>";

	(void)state;
	assert_int_equal(address_list_scan(value, strlen(value), 10, parse_each_fn, &got), 5);
	assert_string_equal(got.joined, "support@corp.example|contactfr@corp.example|"
	    "sup port@corp.example|evil@relay.test|?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_plain_addresses),
		cmocka_unit_test(parses_routed_forms_by_effective_destination),
		cmocka_unit_test(refuses_what_it_cannot_read_one_way),
		cmocka_unit_test(parse_refuses_null_input),
		cmocka_unit_test(canonical_form_compares_like_the_mta),
		cmocka_unit_test(canonical_refuses_a_small_buffer),
		cmocka_unit_test(scans_header_address_lists),
		cmocka_unit_test(scan_stops_when_the_callback_asks),
		cmocka_unit_test(scan_stays_bounded_on_hostile_input),
		cmocka_unit_test(scanned_addresses_parse_to_canonical_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
