/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_correlate.c - the in-memory cache of the correlation records this
 * process wrote: what comes back is what went in (every field at its
 * longest), a probe mark stays, the ring keeps the newest, and remembering
 * a ring's worth of short records costs memory by their size, not by the
 * size of struct correlate_entry.  Redis is unreachable (port 1): every
 * answer comes from the cache.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfg.h"
#include "correlate.h"

static const char test_yaml[] =
	"milter:\n"
	"  user: \"\"\n"
	"domains:\n"
	"  internal: [corp.example]\n"
	"mailboxes:\n"
	"  protected: [support@corp.example]\n"
	"redis:\n"
	"  address: \"127.0.0.1:1\"\n"
	"  timeout: 1\n"
	"audit:\n"
	"  spool: \"/nonexistent/test_correlate\"\n";

static void
test_cfg_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "config: %s\n", msg);
}

static int
setup(void **state)
{
	struct cfg *c = cfg_load_buffer("test_correlate", test_yaml, sizeof(test_yaml) - 1,
	    test_cfg_error, NULL);

	if (c == NULL)
		return -1;
	*state = correlate_open(c);
	cfg_unref(c);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	correlate_close(*state);
	return 0;
}

static void
fill(char *buf, size_t size, char c)
{
	memset(buf, c, size - 1);
	buf[size - 1] = '\0';
}

static void
short_entry(struct correlate_entry *e, unsigned n)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->message_id, sizeof(e->message_id), "m%u@customer.example", n);
	snprintf(e->mailbox, sizeof(e->mailbox), "support@corp.example");
	snprintf(e->sender, sizeof(e->sender), "c%u@customer.example", n);
	snprintf(e->rcpt_domains, sizeof(e->rcpt_domains), "corp.example");
	e->ts = 1700000000000LL + n;
}

static void
test_longest_fields_round_trip(void **state)
{
	struct correlate_entry e, got;

	fill(e.message_id, sizeof(e.message_id), 'm');
	fill(e.mailbox, sizeof(e.mailbox), 'b');
	fill(e.sender, sizeof(e.sender), 's');
	fill(e.rcpt_domains, sizeof(e.rcpt_domains), 'd');
	fill(e.conversation, sizeof(e.conversation), 'c');
	e.ts = 1234567890123LL;
	e.probe = true;
	correlate_remember(*state, &e);

	memset(&got, 0, sizeof(got));
	assert_int_equal(correlate_lookup(*state, e.message_id, &got), CORRELATE_FOUND);
	assert_string_equal(got.message_id, e.message_id);
	assert_string_equal(got.mailbox, e.mailbox);
	assert_string_equal(got.sender, e.sender);
	assert_string_equal(got.rcpt_domains, e.rcpt_domains);
	assert_string_equal(got.conversation, e.conversation);
	assert_true(got.ts == e.ts);
	assert_true(got.probe);

	memset(&got, 0, sizeof(got));
	assert_int_equal(correlate_lookup_conversation(*state, e.conversation, &got),
	    CORRELATE_FOUND);
	assert_string_equal(got.message_id, e.message_id);
}

static void
test_probe_mark_stays(void **state)
{
	struct correlate_entry e, got;

	short_entry(&e, 1);
	e.probe = true;
	correlate_remember(*state, &e);
	e.probe = false;
	correlate_remember(*state, &e);
	assert_int_equal(correlate_lookup(*state, e.message_id, &got), CORRELATE_FOUND);
	assert_true(got.probe);
}

static void
test_ring_keeps_the_newest(void **state)
{
	struct correlate_entry e, got;
	unsigned n;

	for (n = 0; n < CORRELATE_CACHE_SIZE + 10; n++) {
		short_entry(&e, n);
		correlate_remember(*state, &e);
	}
	short_entry(&e, 9);
	assert_int_equal(correlate_lookup(*state, e.message_id, &got), CORRELATE_TRYAGAIN);
	short_entry(&e, 10);
	assert_int_equal(correlate_lookup(*state, e.message_id, &got), CORRELATE_FOUND);
	assert_string_equal(got.sender, "c10@customer.example");
	short_entry(&e, CORRELATE_CACHE_SIZE + 9);
	assert_int_equal(correlate_lookup(*state, e.message_id, &got), CORRELATE_FOUND);
}

/* A full ring of short records: well under a struct correlate_entry each. */
static void
test_memory_by_content(void **state)
{
	struct correlate_entry e;
	struct mallinfo2 before = mallinfo2(), after;
	size_t grew;
	unsigned n;

	for (n = 0; n < CORRELATE_CACHE_SIZE; n++) {
		short_entry(&e, n);
		correlate_remember(*state, &e);
	}
	after = mallinfo2();
	grew = after.uordblks > before.uordblks ? after.uordblks - before.uordblks : 0;
	print_message("a ring of %d records: %zu bytes (%zu each; an entry is %zu)\n",
	    CORRELATE_CACHE_SIZE, grew, grew / CORRELATE_CACHE_SIZE, sizeof(e));
	assert_true(grew < (size_t)CORRELATE_CACHE_SIZE * 256);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_longest_fields_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_mark_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_keeps_the_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_by_content, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
