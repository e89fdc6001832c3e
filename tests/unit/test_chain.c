/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_chain.c - the hash chain (milter/trail/chain.c), its continuation in the
 * spool across a reopen and a rotation (milter/trail/spool.c), and verify's
 * classification of a trail (milter/trail/verify.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chain.h"
#include "spool.h"
#include "spool_dir.h"
#include "verify.h"

#define F(n, v)	{ n, v, sizeof(n) - 1, sizeof(v) - 1 }

/* The encoding of man/fwdguard-audit.1, VERIFY, computed by hand with another SHA-256. */
static void test_digest_vector(void **state)
{
	(void)state;
	struct chain_field f[] = { F("seq", "1"), F("kind", "decision"), F("host", "mx"),
	    F("a", "x"), F("hash", "ignored") };
	char out[CHAIN_HEX + 1];
	assert_int_equal(chain_digest(f, 5, out), 0);
	assert_string_equal(out, "e5842dfcb56371009fcc673f15e9b95ad8a36579207afbebcfca96191774a964");
}

static void test_digest_injective(void **state)
{
	(void)state;
	/* Moving text across a field boundary changes the hash. */
	struct chain_field one[] = { F("a", "1\nb=2") };
	struct chain_field two[] = { F("a", "1"), F("b", "2") };
	struct chain_field dup[] = { F("a", "1"), F("a", "2") };
	char h1[CHAIN_HEX + 1], h2[CHAIN_HEX + 1];
	assert_int_equal(chain_digest(one, 1, h1), 0);
	assert_int_equal(chain_digest(two, 2, h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(chain_digest(dup, 2, h1), -1);
	/* A value with a NUL inside hashes apart from the one cut there. */
	struct chain_field nul[] = { { "a", "1\0x", 1, 3 } }, cut[] = { { "a", "1", 1, 1 } };
	assert_int_equal(chain_digest(nul, 1, h1), 0);
	assert_int_equal(chain_digest(cut, 1, h2), 0);
	assert_string_not_equal(h1, h2);
}

static struct record *decision(const char *host, const char *id)
{
	struct record *r = record_new("decision");
	assert_non_null(r);
	assert_int_equal(record_set(r, "id", id), 0);
	assert_int_equal(record_set(r, "host", host), 0);
	assert_int_equal(record_set(r, "recipient", "consultant@fti.example"), 0);
	return r;
}

static void test_stamp_links(void **state)
{
	(void)state;
	struct chain_head h = { .id = "" };
	struct record *a = decision("mx1", "A"), *b = decision("mx1", "B"), *c = decision("mx2", "C");
	assert_int_equal(chain_stamp(&h, a), 0);
	assert_string_equal(record_get(a, "seq"), "1");
	assert_non_null(strstr(record_get(a, "chain_start"), "no chain state"));
	assert_int_equal(chain_stamp(&h, b), 0);
	assert_string_equal(record_get(b, "seq"), "2");
	assert_string_equal(record_get(b, "prev"), record_get(a, "hash"));
	assert_string_equal(record_get(b, "chain"), record_get(a, "chain"));
	assert_null(record_get(b, "chain_start"));
	/* Another host name: a new chain that says where the old one ended. */
	assert_int_equal(chain_stamp(&h, c), 0);
	assert_string_equal(record_get(c, "seq"), "1");
	assert_string_not_equal(record_get(c, "chain"), record_get(a, "chain"));
	assert_non_null(strstr(record_get(c, "chain_start"), "host name changed from mx1"));
	record_free(a);
	record_free(b);
	record_free(c);
}

/* Reads every record of the spool; returns how many, the records in out. */
static size_t read_all(struct spool *s, struct record **out, size_t max)
{
	size_t n = 0;
	struct record *r;
	while (n < max && (r = spool_next(s)) != NULL)
		out[n++] = r;
	return n;
}

static void commit_one(struct spool *s, struct record *r)
{
	assert_int_equal(spool_commit(s, &r, 1), 0);
	record_free(r);
}

static void check_chain(struct record **recs, size_t n, size_t want_decisions)
{
	const char *prev_hash = NULL, *id = NULL;
	size_t seq = 0;
	for (size_t i = 0; i < n; i++) {
		if (!chain_covers(recs[i])) {
			assert_null(record_get(recs[i], "seq"));
			continue;
		}
		char want[24];
		snprintf(want, sizeof(want), "%zu", ++seq);
		assert_string_equal(record_get(recs[i], "seq"), want);
		if (id != NULL) {
			assert_string_equal(record_get(recs[i], "chain"), id);
			assert_string_equal(record_get(recs[i], "prev"), prev_hash);
		}
		id = record_get(recs[i], "chain");
		prev_hash = record_get(recs[i], "hash");
	}
	assert_int_equal(seq, want_decisions);
}

static void test_spool_continues(void **state)
{
	(void)state;
	char dir[SPOOL_DIR_MAX], err[256];
	struct record *got[64];
	assert_int_equal(spool_dir_make(dir), 0);

	struct spool *s = spool_open(dir, err, sizeof(err));
	assert_non_null(s);
	commit_one(s, decision("mx", "1"));
	commit_one(s, record_new("alert"));
	commit_one(s, decision("mx", "2"));
	struct chain_head h;
	assert_int_equal(spool_chain_head(s, &h), 1);
	assert_int_equal(h.seq, 2);
	spool_close(s);

	/* A restart (or kill -9: nothing is flushed at close) continues the chain. */
	s = spool_open(dir, err, sizeof(err));
	assert_non_null(s);
	commit_one(s, decision("mx", "3"));
	/* Rotation and shipping: the journals holding seq 1..3 go away. */
	spool_set_rotate_size(s, 1);
	size_t n = read_all(s, got, 64);
	assert_int_equal(n, 4);
	check_chain(got, n, 3);
	assert_int_equal(spool_ack(s), 0);
	commit_one(s, decision("mx", "4"));
	n += read_all(s, got + n, 64 - n);
	assert_int_equal(spool_ack(s), 0);
	spool_close(s);

	s = spool_open(dir, err, sizeof(err));
	assert_non_null(s);
	commit_one(s, decision("mx", "5"));
	n += read_all(s, got + n, 64 - n);
	assert_int_equal(n, 6);	/* the journals' head lines are not returned */
	check_chain(got, n, 5);
	spool_close(s);
	for (size_t i = 0; i < n; i++)
		record_free(got[i]);
	spool_dir_remove(dir);
}

/* ---- verify ------------------------------------------------------------ */

#define TRAIL_MAX	16

/* Every entry of a six-record trail, in stream order. */
static const int all[] = { 0, 1, 2, 3, 4, 5, -1 };

struct trail {
	struct record *r[TRAIL_MAX];
	char sid[TRAIL_MAX][32];
	size_t n;
};

static void trail_make(struct trail *t, size_t n, const char *host2_from)
{
	struct chain_head h = { .id = "" };
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "D%zu", i);
		t->r[i] = decision(host2_from != NULL && i >= 3 ? host2_from : "mx", id);
		assert_int_equal(chain_stamp(&h, t->r[i]), 0);
		snprintf(t->sid[i], sizeof(t->sid[i]), "17000000000%02zu-0", i);
	}
}

static void trail_free(struct trail *t)
{
	for (size_t i = 0; i < t->n; i++)
		record_free(t->r[i]);
}

static void feed(struct verify *v, const struct trail *t, size_t i)
{
	struct chain_field f[RECORD_FIELDS_MAX];
	size_t n = 0;
	for (size_t k = 0; k < record_count(t->r[i]); k++) {
		const char *name, *value;
		record_field(t->r[i], k, &name, &value);
		if (strcmp(name, "kind") == 0)
			continue;
		f[n].name = name;
		f[n].nlen = strlen(name);
		f[n].value = value;
		f[n].vlen = strlen(value);
		n++;
	}
	assert_int_equal(verify_entry(v, t->sid[i], f, n), 0);
}

static char *run_anchored(const struct trail *t, const int *order, size_t at, const char *hash,
    unsigned long *problems);

/* Feeds the entries in the order given (indices, -1 ends); returns the report. */
static char *run(const struct trail *t, const int *order, unsigned long *problems)
{
	return run_anchored(t, order, TRAIL_MAX, NULL, problems);
}

static void test_verify_classifies(void **state)
{
	(void)state;
	struct trail t;
	unsigned long p;
	char *text;
	trail_make(&t, 6, NULL);

	text = run(&t, all, &p);
	assert_int_equal(p, 0);
	assert_non_null(strstr(text, ": intact"));
	assert_non_null(strstr(text, "6 records, seq 1..6"));
	free(text);

	static const int missing[] = { 0, 1, 3, 4, 5, -1 };
	text = run(&t, missing, &p);
	assert_int_equal(p, 1);
	assert_non_null(strstr(text, "missing: host mx chain "));
	assert_non_null(strstr(text, " seq 3: not in the stream between 1700000000001-0 (seq 2) and "
	    "1700000000003-0 (seq 4)"));
	free(text);

	static const int reordered[] = { 0, 2, 1, 3, 4, 5, -1 };
	text = run(&t, reordered, &p);
	assert_int_equal(p, 1);
	assert_non_null(strstr(text, "reordered: 1700000000001-0 host mx chain "));
	assert_null(strstr(text, "missing:"));
	free(text);

	static const int trimmed[] = { 2, 3, 4, 5, -1 };
	text = run(&t, trimmed, &p);
	assert_int_equal(p, 0);
	assert_non_null(strstr(text, "begins at seq 3 (1700000000002-0): the records before it are "
	    "not in the stream"));
	free(text);

	/* Altered content: named by its own hash; the link to the next one still holds. */
	assert_int_equal(record_set(t.r[3], "recipient", "someone@else.example"), 0);
	text = run(&t, all, &p);
	assert_int_equal(p, 1);
	assert_non_null(strstr(text, "altered: 1700000000003-0 host mx chain "));
	assert_non_null(strstr(text, " seq 4: its fields do not match its hash"));
	free(text);
	trail_free(&t);
}

static void test_verify_new_chain_and_inserted(void **state)
{
	(void)state;
	struct trail t;
	unsigned long p;
	trail_make(&t, 6, "mx-renamed");
	char *text = run(&t, all, &p);
	assert_int_equal(p, 0);
	assert_non_null(strstr(text, "2 chains: intact"));
	assert_non_null(strstr(text, "begins at seq 1 (1700000000003-0): host name changed from mx"));
	free(text);

	/* A record without chain fields after the host's chain began was inserted. */
	struct verify *v = verify_new(NULL, false);
	struct chain_field plain[] = { F("host", "mx"), F("id", "X") };
	assert_int_equal(verify_entry(v, "1-0", plain, 2), 0);	/* from before chaining */
	feed(v, &t, 0);
	assert_int_equal(verify_entry(v, "1700000000000-1", plain, 2), 0);
	assert_int_equal(verify_problems(v), 1);
	verify_free(v);
	trail_free(&t);
}

/* The report of v, which it frees (caller frees the text). */
static char *report_of(struct verify *v, unsigned long *problems)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	*problems = verify_report(v, out);
	fclose(out);
	verify_free(v);
	return text;
}

/* The same after an anchor of entry `at` with hash `hash` (none when at is TRAIL_MAX). */
static char *run_anchored(const struct trail *t, const int *order, size_t at, const char *hash,
    unsigned long *problems)
{
	struct verify *v = verify_new(NULL, false);
	assert_non_null(v);
	if (at < TRAIL_MAX)
		assert_int_equal(verify_anchor(v, "1800000000000-0", record_get(t->r[at], "chain"),
		    strtoull(record_get(t->r[at], "seq"), NULL, 10), hash), 0);
	for (size_t i = 0; order[i] >= 0; i++)
		feed(v, t, (size_t)order[i]);
	return report_of(v, problems);
}

static void test_verify_anchors(void **state)
{
	(void)state;
	struct trail t;
	unsigned long p;
	char *text;
	trail_make(&t, 6, NULL);
	static const int cut[] = { 0, 1, 2, 3, -1 };
	static const int trimmed[] = { 3, 4, 5, -1 };
	char other[CHAIN_HEX + 1];
	memset(other, 'a', CHAIN_HEX);
	other[CHAIN_HEX] = '\0';

	text = run_anchored(&t, all, 5, record_get(t.r[5], "hash"), &p);
	assert_int_equal(p, 0);
	free(text);

	/* The end of the chain deleted: only the anchor knows it was there. */
	text = run_anchored(&t, cut, 5, record_get(t.r[5], "hash"), &p);
	assert_int_equal(p, 1);
	assert_non_null(strstr(text, " seq 5..6: anchored (1800000000000-0) but not in the stream "
	    "after 1700000000003-0"));
	free(text);

	/* The tail rewritten consistently still contradicts the anchor. */
	text = run_anchored(&t, all, 4, other, &p);
	assert_int_equal(p, 1);
	assert_non_null(strstr(text, "altered: 1700000000004-0 host mx chain "));
	assert_non_null(strstr(text, "its hash differs from the anchor 1800000000000-0"));
	free(text);

	/* An anchor older than what retention kept is not a problem. */
	text = run_anchored(&t, trimmed, 1, record_get(t.r[1], "hash"), &p);
	assert_int_equal(p, 0);
	free(text);
	trail_free(&t);
}

/* Two daemons with one host name: two chains, each intact, interleaved in the stream. */
static void test_verify_shared_host_and_since(void **state)
{
	(void)state;
	struct trail a, b, mixed;
	unsigned long p;
	trail_make(&a, 3, NULL);
	trail_make(&b, 3, NULL);
	mixed.n = 6;
	for (size_t i = 0; i < 3; i++) {
		mixed.r[2 * i] = a.r[i];
		mixed.r[2 * i + 1] = b.r[i];
	}
	for (size_t i = 0; i < 6; i++)
		snprintf(mixed.sid[i], sizeof(mixed.sid[i]), "17000000000%02zu-0", i);
	char *text = run(&mixed, all, &p);
	assert_int_equal(p, 0);
	assert_non_null(strstr(text, "6 entries, 2 chains: intact"));
	free(text);

	/* --since: a chain's first entry in the walk is where the walk starts, not a gap. */
	struct verify *v = verify_new("mx", true);
	assert_non_null(v);
	for (size_t i = 1; i < 3; i++)
		feed(v, &a, i);
	text = report_of(v, &p);
	assert_int_equal(p, 0);
	assert_non_null(strstr(text, "from seq 2 (1700000000001-0): the walk starts at --since"));
	free(text);
	trail_free(&a);
	trail_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_vector),
		cmocka_unit_test(test_digest_injective),
		cmocka_unit_test(test_stamp_links),
		cmocka_unit_test(test_spool_continues),
		cmocka_unit_test(test_verify_classifies),
		cmocka_unit_test(test_verify_new_chain_and_inserted),
		cmocka_unit_test(test_verify_anchors),
		cmocka_unit_test(test_verify_shared_host_and_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
