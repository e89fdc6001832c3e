/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_diralias.c - a protected directory entry with many addresses
 * (milter/directory/diralias.c through milter/directory/directory.c, with a fake directory):
 * every address is protected up to DIRALIAS_ENTRY_MAX, past it the rest
 * is counted, and the interned names are freed once no set and no
 * message pin can reach them (run under ASan: a name freed too early is
 * a use after free here).
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
#include "diralias.h"
#include "directory.h"
#include "fake_dir.h"

#define ENTRY_ADDRS	300

static const char test_yaml[] =
    "domains:\n"
    "  internal: [corp.example]\n"
    "mailboxes:\n"
    "  protected: [support@corp.example]\n"
    "rules:\n"
    "  - name: directory-forward\n"
    "    match: { signals: [directory-forward] }\n"
    "    action: quarantine\n"
    "ldap:\n"
    "  uri: ldap://127.0.0.1:1\n"
    "  base: dc=corp,dc=example\n"
    "  mailbox_filter: \"(|(mail=%s)(mailLocalAddress=%s))\"\n"
    "  on_error: tempfail\n";

static void
cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	print_error("config: %s\n", line);
}

/* One entry: mail: support@, then mailLocalAddress: alias-N@ up to n addresses, then "". */
static char **
entry_values(size_t n)
{
	char **v = calloc(n + 1, sizeof(char *));
	char buf[64];

	assert_non_null(v);
	v[0] = strdup("mail:support@corp.example");
	for (size_t i = 1; i < n; i++) {
		snprintf(buf, sizeof(buf), "mailLocalAddress:alias-%zu@corp.example", i);
		v[i] = strdup(buf);
	}
	v[n] = strdup("");
	return v;
}

static void
values_free(char **v, size_t n)
{
	for (size_t i = 0; i <= n; i++)
		free(v[i]);
	free(v);
}

static const char *
protected_as(const struct policy *p, const char *text)
{
	struct address a;

	if (address_parse(text, strlen(text), &a) != ADDRESS_OK)
		fail_msg("cannot parse %s", text);
	return policy_protected(p, &a);
}

/* All 300 addresses of one entry are protected under the YAML name; none is dropped. */
static void
test_entry_of_300(void **state)
{
	struct cfg *c = cfg_load_buffer("t.yaml", test_yaml, strlen(test_yaml), cfg_error, NULL);
	struct fake f = { NULL, 0, 0, { { 0 } } };
	struct dircache_backend b = { &f, fake_lookup };
	char **v = entry_values(ENTRY_ADDRS);
	struct fake_set fs = { DIR_FOUND, (const char *const *)v, ENTRY_ADDRS + 1 };
	struct directory *d;
	char addr[64];
	size_t missing = 0;

	(void)state;
	assert_non_null(c);
	d = directory_open_backend(c, &b);
	directory_set_search(d, fake_set_search, &fs);
	directory_attach(d, &c->policy);
	if (directory_refresh(d) != 0)
		fail_msg("load of one entry of %d addresses failed", ENTRY_ADDRS);
	for (size_t i = 1; i < ENTRY_ADDRS; i++) {
		const char *got;

		snprintf(addr, sizeof(addr), "<alias-%zu@corp.example>", i);
		got = protected_as(&c->policy, addr);
		if (got == NULL || strcmp(got, "support@corp.example") != 0) {
			if (missing++ == 0)
				print_error("%s: got %s, want support@corp.example\n", addr,
				    got != NULL ? got : "not protected");
		}
	}
	if (missing > 0)
		fail_msg("%zu of the entry's %d addresses are not protected", missing, ENTRY_ADDRS);
	directory_attach(NULL, &c->policy);
	directory_close(d);
	values_free(v, ENTRY_ADDRS);
	cfg_unref(c);
}

/* Past the cap the rest is counted, never dropped silently; the cap itself loads. */
static void
test_entry_over_cap(void **state)
{
	size_t n = DIRALIAS_ENTRY_MAX + 5, entries = 0;
	char **v = entry_values(n);
	struct dir_values vals = { v, n + 1 };
	struct diralias_pool *pool = diralias_pool_new();
	struct diralias_builder *b = diralias_builder_new(pool);
	struct diralias *s;
	char last[64];

	(void)state;
	assert_int_equal(diralias_add(b, &vals, NULL), 0);
	s = diralias_build(b);
	assert_non_null(s);
	if (diralias_count(s) != DIRALIAS_ENTRY_MAX || diralias_dropped(s, &entries) != 5 ||
	    entries != 1)
		fail_msg("entry of %zu: got %zu loaded, %zu dropped in %zu entries; want %d, 5, 1",
		    n, diralias_count(s), diralias_dropped(s, NULL), entries, DIRALIAS_ENTRY_MAX);
	snprintf(last, sizeof(last), "alias-%d@corp.example", DIRALIAS_ENTRY_MAX - 1);
	assert_string_equal(diralias_find(s, last), "support@corp.example");
	diralias_free(s);
	diralias_pool_free(pool);
	values_free(v, n);
}

/* One load of v (n values) installed into pool; returns the set. */
static struct diralias *
load(struct diralias_pool *pool, char **v, size_t n)
{
	struct dir_values vals = { v, n };
	struct diralias_builder *b = diralias_builder_new(pool);
	struct diralias *s;

	assert_non_null(b);
	assert_int_equal(diralias_add(b, &vals, NULL), 0);
	s = diralias_build(b);
	assert_non_null(s);
	diralias_pool_sweep(pool, s);
	return s;
}

/* A reload frees the names nothing reaches, and only once the pins that could see them are gone. */
static void
test_names_freed(void **state)
{
	char **v = entry_values(ENTRY_ADDRS);
	char *other[] = { "mail:legal@corp.example", "" };
	struct diralias_pool *pool = diralias_pool_new();
	struct diralias *s1, *s2, *s3;
	const char *borrowed;
	unsigned long pin;

	(void)state;
	s1 = load(pool, v, ENTRY_ADDRS + 1);
	if (diralias_pool_count(pool) != ENTRY_ADDRS)
		fail_msg("first load: %zu names interned, want %d", diralias_pool_count(pool),
		    ENTRY_ADDRS);
	/* A message borrows a name, then the entry leaves the directory. */
	pin = diralias_pin(pool);
	borrowed = diralias_find(s1, "alias-7@corp.example");
	assert_non_null(borrowed);
	s2 = load(pool, other, 2);
	diralias_free(s1);
	if (diralias_pool_count(pool) != ENTRY_ADDRS + 1)
		fail_msg("pinned reload: %zu names, want %d (none freed under a pin)",
		    diralias_pool_count(pool), ENTRY_ADDRS + 1);
	assert_string_equal(borrowed, "support@corp.example");
	diralias_unpin(pool, pin);
	s3 = load(pool, other, 2);
	diralias_free(s2);
	if (diralias_pool_count(pool) != 1 || diralias_pool_pinned(pool) != 0)
		fail_msg("after the pin: %zu names and %zu pins, want 1 (legal@) and 0",
		    diralias_pool_count(pool), diralias_pool_pinned(pool));
	assert_string_equal(diralias_find(s3, "legal@corp.example"), "legal@corp.example");
	diralias_free(s3);
	diralias_pool_free(pool);
	values_free(v, ENTRY_ADDRS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_of_300),
		cmocka_unit_test(test_entry_over_cap),
		cmocka_unit_test(test_names_freed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
