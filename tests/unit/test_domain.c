/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_domain.c - domain normalization and internal-domain patterns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "domain.h"

#define AUTO_LEN	((size_t)-1)

static const char *
status_name(enum domain_status st)
{
	static const char *const names[] = {
		"DOMAIN_OK", "DOMAIN_LITERAL", "DOMAIN_EMPTY", "DOMAIN_TOO_LONG",
		"DOMAIN_INVALID", "DOMAIN_IDN_INVALID"
	};
	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

struct normalize_case {
	const char *name;
	const char *in;
	size_t len;
	enum domain_status want;
	const char *want_out;
};

static char label63[64 + 16];
static char label64[65 + 16];
static char name256[300];
static char raw_huge[2000];

static void
make_long_inputs(void)
{
	memset(label63, 'a', 63);
	strcpy(label63 + 63, ".example");
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".example");
	/* 64 labels "abc." = 256 bytes, minus the final dot = 255, plus "x" = 256. */
	name256[0] = '\0';
	for (int i = 0; i < 63; i++)
		strcat(name256, "abc.");
	strcat(name256, "abcx");
	memset(raw_huge, 'a', sizeof(raw_huge) - 1);
}

static void
normalizes_domains(void **state)
{
	(void)state;
	make_long_inputs();
	const struct normalize_case cases[] = {
		{ "lower-cases ASCII", "Corp.EXAMPLE", AUTO_LEN, DOMAIN_OK, "corp.example" },
		{ "removes one trailing dot", "corp.example.", AUTO_LEN, DOMAIN_OK, "corp.example" },
		{ "refuses two trailing dots", "corp.example..", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses the root alone", ".", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "reports empty input", "", AUTO_LEN, DOMAIN_EMPTY, "" },
		{ "refuses an empty label", "corp..example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses a leading dot", ".corp.example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "accepts a single label", "localhost", AUTO_LEN, DOMAIN_OK, "localhost" },
		{ "accepts digit labels", "123.example", AUTO_LEN, DOMAIN_OK, "123.example" },
		{ "converts a U-label to an A-label", "b\xc3\xbc" "cher.example", AUTO_LEN,
		  DOMAIN_OK, "xn--bcher-kva.example" },
		{ "refuses an upper-case U-label (no Unicode case folding here)",
		  "B\xc3\x9c" "CHER.Example", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "lower-cases the ASCII letters around a U-label", "B\xc3\xbc" "CHER.Example",
		  AUTO_LEN, DOMAIN_OK, "xn--bcher-kva.example" },
		{ "refuses a decomposed accent (not NFC)", "bu\xcc\x88" "cher.example", AUTO_LEN,
		  DOMAIN_IDN_INVALID, "" },
		{ "refuses full-width letters", "\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x90.example",
		  AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "refuses the full-width full stop", "corp\xef\xbc\x8e" "example", AUTO_LEN,
		  DOMAIN_IDN_INVALID, "" },
		{ "refuses the halfwidth ideographic full stop", "corp\xef\xbd\xa1" "example", AUTO_LEN,
		  DOMAIN_IDN_INVALID, "" },
		{ "refuses a soft hyphen UTS 46 would drop", "co\xc2\xad" "rp.example", AUTO_LEN,
		  DOMAIN_IDN_INVALID, "" },
		{ "refuses a zero-width space", "corp.example\xe2\x80\x8b", AUTO_LEN,
		  DOMAIN_IDN_INVALID, "" },
		{ "keeps sharp s (non-transitional)", "stra\xc3\x9f" "e.example", AUTO_LEN,
		  DOMAIN_OK, "xn--strae-oqa.example" },
		{ "mixes an A-label and a U-label", "xn--bcher-kva.b\xc3\xbc" "cher.example", AUTO_LEN,
		  DOMAIN_OK, "xn--bcher-kva.xn--bcher-kva.example" },
		{ "U-label with one trailing dot", "b\xc3\xbc" "cher.example.", AUTO_LEN,
		  DOMAIN_OK, "xn--bcher-kva.example" },
		{ "keeps a valid A-label, lower-cased", "XN--BCHER-KVA.example", AUTO_LEN,
		  DOMAIN_OK, "xn--bcher-kva.example" },
		{ "refuses invalid punycode", "xn--zz.example", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "refuses the ideographic full stop (MTA tables do not map it)",
		  "corp\xe3\x80\x82" "example", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "Cyrillic lookalike is not the ASCII domain", "\xd1\x81orp.example", AUTO_LEN,
		  DOMAIN_OK, "xn--orp-3ed.example" },
		{ "refuses an emoji (IDNA2008)", "\xf0\x9f\x92\xa9.example", AUTO_LEN,
		  DOMAIN_IDN_INVALID, "" },
		{ "refuses bad UTF-8", "corp\xff.example", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "refuses overlong UTF-8", "corp\xc0\xae" "example", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "refuses truncated UTF-8", "caf\xc3", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "refuses a UTF-16 surrogate", "\xed\xa0\x80.example", AUTO_LEN, DOMAIN_IDN_INVALID, "" },
		{ "refuses NUL inside the length", "corp\0.example", 13, DOMAIN_INVALID, "" },
		{ "refuses CR", "corp.example\r", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses a space", "corp example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses an underscore", "_dmarc.corp.example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses a leading hyphen", "-corp.example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses a trailing hyphen", "corp-.example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses '@'", "a@corp.example", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "accepts a 63-byte label", label63, AUTO_LEN, DOMAIN_OK, label63 },
		{ "refuses a 64-byte label", label64, AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses 256 bytes", name256, AUTO_LEN, DOMAIN_TOO_LONG, "" },
		{ "refuses huge raw input early", raw_huge, AUTO_LEN, DOMAIN_TOO_LONG, "" },
		{ "reads only len bytes", "corp.example.evil.test", 12, DOMAIN_OK, "corp.example" },
		{ "IPv4 literal is kept bracketed", "[192.0.2.1]", AUTO_LEN,
		  DOMAIN_LITERAL, "[192.0.2.1]" },
		{ "refuses an IPv4 literal with a leading zero", "[192.0.2.01]", AUTO_LEN,
		  DOMAIN_INVALID, "" },
		{ "refuses a short IPv4 literal", "[192.0.2]", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "IPv6 literal in canonical form", "[IPv6:2001:DB8:0:0::1]", AUTO_LEN,
		  DOMAIN_LITERAL, "[ipv6:2001:db8::1]" },
		{ "refuses a bad IPv6 literal", "[IPv6:2001:zz::1]", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "general literal is lower-cased", "[X400:Abc]", AUTO_LEN,
		  DOMAIN_LITERAL, "[x400:abc]" },
		{ "refuses an unterminated literal", "[192.0.2.1", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses an empty literal", "[]", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses a literal with a blank", "[192.0.2.1 ]", AUTO_LEN, DOMAIN_INVALID, "" },
		{ "refuses a literal with a dot after it", "[192.0.2.1].", AUTO_LEN,
		  DOMAIN_INVALID, "" },
	};
	int failures = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct normalize_case *c = &cases[i];
		char out[DOMAIN_MAX + 1];
		size_t len = c->len == AUTO_LEN ? strlen(c->in) : c->len;
		memset(out, 'Z', sizeof(out));
		enum domain_status got = domain_normalize(c->in, len, out, sizeof(out));
		if (got != c->want || strcmp(out, c->want_out) != 0) {
			print_error("%s: got %s \"%s\", want %s \"%s\"\n", c->name,
			    status_name(got), out, status_name(c->want), c->want_out);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void
normalize_refuses_a_small_buffer(void **state)
{
	char out[8];

	(void)state;
	enum domain_status got = domain_normalize("corp.example", 12, out, sizeof(out));
	assert_int_not_equal(got, DOMAIN_OK);
	assert_string_equal(out, "");
}

struct match_case {
	const char *name;
	const char *pattern;
	const char *domain;
	int want;
};

static void
matches_patterns_on_label_boundaries(void **state)
{
	(void)state;
	const struct match_case cases[] = {
		{ "exact domain", "corp.example", "corp.example", 1 },
		{ "exact does not take subdomains", "corp.example", "a.corp.example", 0 },
		{ "exact refuses a longer prefix", "corp.example", "evilcorp.example", 0 },
		{ "exact refuses a longer suffix", "corp.example", "corp.example.evil.test", 0 },
		{ "wildcard takes a subdomain", "*.corp.example", "a.corp.example", 1 },
		{ "wildcard takes a deep subdomain", "*.corp.example", "a.b.corp.example", 1 },
		{ "wildcard is subdomains only", "*.corp.example", "corp.example", 0 },
		{ "wildcard refuses a longer label", "*.corp.example", "evilcorp.example", 0 },
		{ "wildcard refuses a longer suffix", "*.corp.example", "a.corp.example.evil.test", 0 },
		{ "literal equals literal", "[192.0.2.1]", "[192.0.2.1]", 1 },
		{ "literal is not another literal", "[192.0.2.1]", "[192.0.2.10]", 0 },
		{ "empty domain never matches", "*.corp.example", "", 0 },
	};
	int failures = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		int got = domain_pattern_match(c->pattern, c->domain);
		if (got != c->want) {
			print_error("%s: match(%s, %s) got %d, want %d\n", c->name,
			    c->pattern, c->domain, got, c->want);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

struct add_case {
	const char *name;
	const char *pattern;
	int want_rc;
	const char *want;	/* normalized pattern, or a word of the error */
};

static void
adds_patterns_or_explains_why_not(void **state)
{
	(void)state;
	const struct add_case cases[] = {
		{ "plain domain", "Corp.Example.", 0, "corp.example" },
		{ "wildcard", "*.Corp.Example", 0, "*.corp.example" },
		{ "IDN wildcard", "*.b\xc3\xbc" "cher.example", 0, "*.xn--bcher-kva.example" },
		{ "address literal", "[192.0.2.1]", 0, "[192.0.2.1]" },
		{ "bare star", "*", -1, "wildcard" },
		{ "star without a dot", "*corp.example", -1, "wildcard" },
		{ "star in the middle", "a.*.example", -1, "wildcard" },
		{ "two stars", "*.*.example", -1, "wildcard" },
		{ "wildcard of a literal", "*.[192.0.2.1]", -1, "wildcard" },
		{ "wildcard of nothing", "*.", -1, "empty" },
		{ "invalid domain", "corp..example", -1, "invalid" },
	};
	int failures = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct add_case *c = &cases[i];
		struct domain_list *list = domain_list_new();
		char err[128] = "";
		assert_non_null(list);
		int rc = domain_list_add(list, c->pattern, err, sizeof(err));
		const char *got = rc == 0 ? domain_list_get(list, 0) : err;
		if (rc != c->want_rc || got == NULL || strstr(got, c->want) == NULL) {
			print_error("%s: add(%s) got %d \"%s\", want %d \"%s\"\n", c->name,
			    c->pattern, rc, got ? got : "(null)", c->want_rc, c->want);
			failures++;
		}
		domain_list_free(list);
	}
	assert_int_equal(failures, 0);
}

static void
list_keeps_order_and_drops_duplicates(void **state)
{
	struct domain_list *list = domain_list_new();

	(void)state;
	assert_non_null(list);
	assert_int_equal(domain_list_add(list, "corp.example", NULL, 0), 0);
	assert_int_equal(domain_list_add(list, "*.corp.example", NULL, 0), 0);
	assert_int_equal(domain_list_add(list, "CORP.example.", NULL, 0), 0);
	assert_int_equal(domain_list_count(list), 2);
	assert_string_equal(domain_list_get(list, 0), "corp.example");
	assert_string_equal(domain_list_get(list, 1), "*.corp.example");
	assert_null(domain_list_get(list, 2));
	domain_list_free(list);
	domain_list_free(NULL);
	assert_int_equal(domain_list_count(NULL), 0);
	assert_int_equal(domain_list_match(NULL, "corp.example"), 0);
}

struct internal_case {
	const char *name;
	const char *raw;
	int want;
};

static void
classifies_normalized_domains_against_a_list(void **state)
{
	(void)state;
	static const char *const patterns[] = {
		"corp.example", "*.corp.example", "b\xc3\xbc" "cher.example", "[192.0.2.1]"
	};
	const struct internal_case cases[] = {
		{ "the domain itself", "corp.example", 1 },
		{ "upper case with a trailing dot", "CORP.EXAMPLE.", 1 },
		{ "a subdomain", "mail.corp.example", 1 },
		{ "a prefixed lookalike", "evilcorp.example", 0 },
		{ "the domain inside a longer one", "corp.example.evil.test", 0 },
		{ "a hyphenated lookalike", "corp-example.test", 0 },
		{ "a Cyrillic lookalike", "\xd1\x81orp.example", 0 },
		{ "the A-label of a listed U-label", "xn--bcher-kva.example", 1 },
		{ "the U-label itself", "b\xc3\xbc" "CHER.example", 1 },
		{ "an upper-case U-label is refused, never internal", "B\xc3\x9c" "CHER.example", 0 },
		{ "full-width letters are not the domain", "\xef\xbd\x83orp.example", 0 },
		{ "an ideographic full stop is not a dot", "corp\xe3\x80\x82" "example", 0 },
		{ "the listed literal", "[192.0.2.1]", 1 },
		{ "another literal", "[192.0.2.2]", 0 },
	};
	struct domain_list *list = domain_list_new();
	int failures = 0;

	assert_non_null(list);
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		assert_int_equal(domain_list_add(list, patterns[i], NULL, 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct internal_case *c = &cases[i];
		char norm[DOMAIN_MAX + 1];
		enum domain_status st = domain_normalize(c->raw, strlen(c->raw), norm, sizeof(norm));
		int got = (st == DOMAIN_OK || st == DOMAIN_LITERAL) && domain_list_match(list, norm);
		if (got != c->want) {
			print_error("%s: %s (%s) internal got %d, want %d\n", c->name, c->raw,
			    norm, got, c->want);
			failures++;
		}
	}
	domain_list_free(list);
	assert_int_equal(failures, 0);
}

static void
names_every_status(void **state)
{
	(void)state;
	for (int st = DOMAIN_OK; st <= DOMAIN_IDN_INVALID; st++) {
		const char *s = domain_status_str((enum domain_status)st);
		assert_non_null(s);
		assert_null(strstr(s, "unknown"));
	}
	assert_string_equal(domain_status_str(DOMAIN_INVALID), "invalid domain");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalizes_domains),
		cmocka_unit_test(normalize_refuses_a_small_buffer),
		cmocka_unit_test(matches_patterns_on_label_boundaries),
		cmocka_unit_test(adds_patterns_or_explains_why_not),
		cmocka_unit_test(list_keeps_order_and_drops_duplicates),
		cmocka_unit_test(classifies_normalized_domains_against_a_list),
		cmocka_unit_test(names_every_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
