/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_shipper.c - when the shipper (milter/trail/shipper.c) moves the spool
 * cursor: after Redis took the records, and with redis.min_replicas only
 * once WAIT counts enough replicas holding them.
 *
 * Redis is a fake behind the redis_conn functions (include/redis_conn.h):
 * it stores the records' markers, answers WAIT as the test says, and logs
 * every command, so a test can see what was sent and in which order.  A
 * correlation record (one key: its hash, no marker) is answered as the
 * script answers it: 1, its hash is there and its expiry was written.
 * The spool is the real one, in a spool_dir.h directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "audit.h"
#include "redis_conn.h"
#include "spool.h"
#include "spool_dir.h"

#define LOG_MAX		1024
#define STORED_MAX	1024
#define SCRIPT_SHA	"0123456789012345678901234567890123456789"

/* ---- the fake Redis ------------------------------------------------------------ */

struct redis_conn {
	int unused;
};

static struct fake {
	long long replicas;		/* WAIT's answer once the scripted ones are used */
	long long answers[8];		/* WAIT's first answers, in order */
	int nanswers, nwaits;
	bool wait_error;		/* WAIT answers an error reply */
	bool wait_drops;		/* the connection breaks during WAIT */
	int opens;
	bool noscript;			/* EVALSHA answers NOSCRIPT until SCRIPT LOAD */
	bool refuse_r1;			/* the script refuses the record with id r1 */
	bool hash_unwritten;		/* a correlation past its ttl writes nothing: 0 */
	int one_key_calls;		/* script calls with one key: correlation records */
	char corr_args[64];		/* the last one's ARGV[1] and [2]: "<ts> <ttl>" */
	const char *info;		/* INFO persistence's text; NULL: INFO refused */
	bool info_drops;		/* the connection breaks during INFO */
	redisReply *pending[STORED_MAX];	/* pipelined replies not read yet */
	int npending, nread;
	int round_trips;		/* first reply read after commands were queued */
	bool sending;
	char log[LOG_MAX][96];		/* "EVALSHA <seen key>", "WAIT 1 250", ... */
	int nlog;
	char stored[STORED_MAX][64];	/* seen keys: what Redis holds */
	int nstored;
	struct redis_conn conn;
} fake;

static redisReply *fake_reply(int type, long long integer, const char *str)
{
	redisReply *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->type = type;
	r->integer = integer;
	if (str != NULL) {
		r->str = strdup(str);
		assert_non_null(r->str);
		r->len = strlen(str);
	}
	return r;
}

static void fake_log(int argc, const char **argv)
{
	assert_true(fake.nlog < LOG_MAX);
	/* The script body is long: its verb names it well enough. */
	snprintf(fake.log[fake.nlog++], sizeof(fake.log[0]), "%s %s%s%s", argv[0],
	    strcmp(argv[0], "EVALSHA") == 0 ? argv[3] : argc > 1 ? argv[1] : "",
	    strcmp(argv[0], "WAIT") == 0 ? " " : "", strcmp(argv[0], "WAIT") == 0 ? argv[2] : "");
}

/* The script's answer: 1 added, 0 already there. */
static long long fake_store(const char *seen)
{
	for (int i = 0; i < fake.nstored; i++)
		if (strcmp(fake.stored[i], seen) == 0)
			return 0;
	assert_true(fake.nstored < STORED_MAX);
	snprintf(fake.stored[fake.nstored++], sizeof(fake.stored[0]), "%s", seen);
	return 1;
}

void redis_conn_reply_free(void *reply);

struct redis_conn *redis_conn_open(const struct cfg_redis *rc, char *err, size_t errsize)
{
	(void)rc;
	(void)err;
	(void)errsize;
	fake.opens++;
	return &fake.conn;
}

void redis_conn_close(struct redis_conn *c)
{
	(void)c;
	/* Replies left unread on a closed connection are gone. */
	for (int i = fake.nread; i < fake.npending; i++)
		redis_conn_reply_free(fake.pending[i]);
	fake.nread = fake.npending = 0;
}

void *redis_conn_command(struct redis_conn *c, int argc, const char **argv, const size_t *argvlen)
{
	(void)argvlen;
	assert_ptr_equal(c, &fake.conn);
	fake_log(argc, argv);
	if (strcmp(argv[0], "SCRIPT") == 0) {
		fake.noscript = false;
		return fake_reply(REDIS_REPLY_STRING, 0, SCRIPT_SHA);
	}
	if (strcmp(argv[0], "EVALSHA") == 0) {
		if (fake.noscript)
			return fake_reply(REDIS_REPLY_ERROR, 0, "NOSCRIPT No matching script.");
		if (fake.refuse_r1 && strcmp(argv[3], "fwdguard:seen:r1") == 0)
			return fake_reply(REDIS_REPLY_ERROR, 0, "WRONGTYPE Operation against a key");
		if (strcmp(argv[2], "1") == 0) {
			fake.one_key_calls++;
			snprintf(fake.corr_args, sizeof(fake.corr_args), "%s %s", argv[4], argv[5]);
			return fake_reply(REDIS_REPLY_INTEGER, !fake.hash_unwritten, NULL);
		}
		return fake_reply(REDIS_REPLY_INTEGER, fake_store(argv[3]), NULL);
	}
	if (strcmp(argv[0], "EXPIRE") == 0)
		return fake_reply(REDIS_REPLY_INTEGER, 1, NULL);
	if (strcmp(argv[0], "INFO") == 0 && fake.info_drops)
		return NULL;
	if (strcmp(argv[0], "INFO") == 0)
		return fake.info != NULL ? fake_reply(REDIS_REPLY_STRING, 0, fake.info) :
		    fake_reply(REDIS_REPLY_ERROR, 0, "NOPERM this user has no permissions to run "
		    "the 'info' command");
	if (strcmp(argv[0], "WAIT") == 0) {
		int n = fake.nwaits++;
		if (fake.wait_drops)
			return NULL;
		if (fake.wait_error)
			return fake_reply(REDIS_REPLY_ERROR, 0, "ERR WAIT cannot be used with replica instances");
		return fake_reply(REDIS_REPLY_INTEGER,
		    n < fake.nanswers ? fake.answers[n] : fake.replicas, NULL);
	}
	return fake_reply(REDIS_REPLY_ERROR, 0, "ERR unknown command");
}

/* Pipelining: the reply is computed when queued, handed out in order. */
int redis_conn_send(struct redis_conn *c, int argc, const char **argv, const size_t *argvlen)
{
	assert_true(fake.npending < STORED_MAX);
	fake.sending = true;
	fake.pending[fake.npending++] = redis_conn_command(c, argc, argv, argvlen);
	return 0;
}

void *redis_conn_reply(struct redis_conn *c)
{
	assert_ptr_equal(c, &fake.conn);
	assert_true(fake.nread < fake.npending);
	if (fake.sending)
		fake.round_trips++;
	fake.sending = false;
	void *r = fake.pending[fake.nread++];
	if (fake.nread == fake.npending)
		fake.nread = fake.npending = 0;
	return r;
}

void redis_conn_reply_free(void *reply)
{
	redisReply *r = reply;
	if (r != NULL)
		free(r->str);
	free(r);
}

const char *redis_conn_address(const struct redis_conn *c)
{
	(void)c;
	return "127.0.0.1:6379";
}

const char *redis_conn_error(const struct redis_conn *c)
{
	(void)c;
	return "Connection reset by peer";
}

/* How many logged commands start with prefix. */
static int fake_count(const char *prefix)
{
	int n = 0;
	for (int i = 0; i < fake.nlog; i++)
		n += strncmp(fake.log[i], prefix, strlen(prefix)) == 0;
	return n;
}

/* Index of the first logged command at or after from that starts with prefix, or -1. */
static int fake_find(const char *prefix, int from)
{
	for (int i = from; i < fake.nlog; i++)
		if (strncmp(fake.log[i], prefix, strlen(prefix)) == 0)
			return i;
	return -1;
}

/* ---- fixture: a spool with records, a shipper, settings -------------------------- */

struct fixture {
	char dir[SPOOL_DIR_MAX];
	struct spool *spool;
	struct audit_shipper *sh;
	struct cfg_redis rc;
	char err[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	if (f == NULL)
		return -1;
	memset(&fake, 0, sizeof(fake));
	if (spool_dir_make(f->dir) != 0 || (f->spool = spool_open(f->dir, err, sizeof(err))) == NULL ||
	    (f->sh = audit_shipper_new()) == NULL)
		return -1;
	f->rc.prefix = (char *)"fwdguard:";
	f->rc.timeout = 1;
	f->rc.replica_timeout = 0.25;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	audit_shipper_free(f->sh);
	spool_close(f->spool);
	spool_dir_remove(f->dir);
	free(f);
	return 0;
}

static void commit(struct fixture *f, int from, int to)
{
	for (int i = from; i < to; i++) {
		char id[32];
		struct record *r = record_new("decision");
		assert_non_null(r);
		snprintf(id, sizeof(id), "r%d", i);
		assert_int_equal(record_set(r, "id", id), 0);
		assert_int_equal(record_set(r, "mailbox", "support@corp.example"), 0);
		assert_int_equal(spool_commit(f->spool, &r, 1), 0);
		record_free(r);
	}
}

/*
 * Correlation records c<from>..c<to-1>, of messages <m<i>@client.example>,
 * with the ts and ttl given (NULL: none).
 */
static void commit_correlations_as(struct fixture *f, int from, int to, const char *ts,
    const char *ttl)
{
	for (int i = from; i < to; i++) {
		char id[32], msgid[64];
		struct record *r = record_new("correlation");
		assert_non_null(r);
		snprintf(id, sizeof(id), "c%d", i);
		snprintf(msgid, sizeof(msgid), "<m%d@client.example>", i);
		assert_int_equal(record_set(r, "id", id), 0);
		assert_int_equal(record_set(r, "message_id", msgid), 0);
		if (ttl != NULL)
			assert_int_equal(record_set(r, "ttl", ttl), 0);
		if (ts != NULL)
			assert_int_equal(record_set(r, "ts", ts), 0);
		assert_int_equal(record_set(r, "mailbox", "support@corp.example"), 0);
		assert_int_equal(spool_commit(f->spool, &r, 1), 0);
		record_free(r);
	}
}

static void commit_correlations(struct fixture *f, int from, int to)
{
	commit_correlations_as(f, from, to, "1764745000000", "86400");
}

static long ship(struct fixture *f)
{
	f->err[0] = '\0';
	return audit_shipper_run(f->sh, f->spool, &f->rc, 1000, f->err, sizeof(f->err));
}

static unsigned long long acked(struct fixture *f)
{
	struct spool_stat st;
	spool_stat(f->spool, &st);
	return st.acked;
}

/* ---- cases ------------------------------------------------------------------ */

static void test_no_wait_without_min_replicas(void **state)
{
	struct fixture *f = *state;
	assert_null(audit_shipper_address(f->sh));
	commit(f, 0, 3);
	assert_int_equal(ship(f), 3);
	assert_string_equal(audit_shipper_address(f->sh), "127.0.0.1:6379");
	assert_int_equal(acked(f), 3);
	assert_int_equal(fake_count("WAIT"), 0);
	assert_int_equal(fake_count("EXPIRE"), 0);
	assert_int_equal(fake.nstored, 3);
}

/* The master took the records, no replica has them: the cursor stays. */
static void test_wait_short_keeps_cursor(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 2;
	fake.replicas = 1;
	commit(f, 0, 3);
	assert_int_equal(ship(f), -1);
	assert_non_null(strstr(f->err, "1 of 2 replicas have the records after 250 ms"));
	assert_int_equal(acked(f), 0);
	assert_int_equal(spool_backlog(f->spool), 3);
	assert_int_equal(fake.nstored, 3);
	/* WAIT comes after the records it vouches for. */
	assert_int_equal(fake_find("WAIT 2 250", 0), fake.nlog - 1);
	assert_int_equal(fake_count("EVALSHA"), 3);

	/* The replicas catch up: the same records go again, and now count. */
	fake.replicas = 2;
	assert_int_equal(ship(f), 3);
	assert_int_equal(acked(f), 3);
	assert_int_equal(spool_backlog(f->spool), 0);
	assert_int_equal(fake_count("EVALSHA"), 6);
	assert_int_equal(fake.nstored, 3);
	/* This connection wrote them: its WAIT already measures them. */
	assert_int_equal(fake_count("EXPIRE"), 0);
	assert_int_equal(fake.opens, 1);
}

static void test_wait_error_keeps_cursor(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 1;
	fake.wait_error = true;
	commit(f, 0, 2);
	assert_int_equal(ship(f), -1);
	assert_non_null(strstr(f->err, "redis WAIT: ERR WAIT cannot be used with replica"));
	assert_int_equal(acked(f), 0);
}

static void test_wait_connection_lost_keeps_cursor(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 1;
	fake.wait_drops = true;
	commit(f, 0, 2);
	assert_int_equal(ship(f), -1);
	assert_non_null(strstr(f->err, "redis WAIT: Connection reset by peer"));
	assert_int_equal(acked(f), 0);
	fake.wait_drops = false;
	fake.replicas = 1;
	assert_int_equal(ship(f), 2);
	assert_int_equal(fake.opens, 2);
	assert_int_equal(acked(f), 2);
}

/*
 * After a reconnect every record is already in Redis, so the new
 * connection writes nothing of its own: one marker refresh gives WAIT
 * something to measure, before the WAIT.
 */
static void test_fence_after_reconnect(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 1;
	commit(f, 0, 3);
	assert_int_equal(ship(f), -1);
	audit_shipper_disconnect(f->sh);
	fake.replicas = 1;
	int from = fake.nlog;
	assert_int_equal(ship(f), 3);
	assert_int_equal(acked(f), 3);
	int expire = fake_find("EXPIRE fwdguard:seen:r0", from);
	assert_true(expire > from);
	assert_true(fake_find("WAIT 1 250", from) > expire);
	assert_int_equal(fake_count("EXPIRE"), 1);
	assert_int_equal(fake.nstored, 3);
}

/*
 * A correlation record goes to its hash alone: no marker key is sent
 * (nor kept for a week), and only the decisions' markers are set.
 */
static void test_correlation_has_no_marker(void **state)
{
	struct fixture *f = *state;
	commit_correlations(f, 0, 2);
	commit(f, 0, 1);
	assert_int_equal(ship(f), 3);
	assert_int_equal(fake.one_key_calls, 2);
	assert_int_equal(fake_find("EVALSHA fwdguard:msg:<m0@client.example>", 0), fake_find("EVALSHA", 0));
	assert_true(fake_find("EVALSHA fwdguard:msg:<m1@client.example>", 0) >= 0);
	assert_int_equal(fake_count("EVALSHA fwdguard:seen:c"), 0);
	assert_int_equal(fake.nstored, 1);
	assert_string_equal(fake.stored[0], "fwdguard:seen:r0");
	assert_int_equal(acked(f), 3);
	/* In place of the marker's lifetime and MAXLEN: the record's time and ttl. */
	assert_string_equal(fake.corr_args, "1764745000000 86400");
}

/*
 * The script does arithmetic with the ts and ttl: anything but plain
 * digits would make it fail on every retry and hold the spool up, so
 * such a ttl becomes the default and such a ts "unknown" (0: counted
 * from now).
 */
static void test_correlation_numbers_checked(void **state)
{
	struct fixture *f = *state;
	/* ts, ttl as in the record; then as sent. */
	const char *cases[][4] = {
		{ "10abc", "86400x", "0", "2592000" },
		{ "", "", "0", "2592000" },
		{ "-5", "-5", "0", "2592000" },
		{ "0", "000", "0", "2592000" },
		{ "1e3", " 86400", "0", "2592000" },
		{ "17647450000001", "12345678901234", "0", "2592000" },	/* 14 digits */
		{ NULL, NULL, "0", "2592000" },
		/* One bad, the other kept. */
		{ "1764745000000", "86400x", "1764745000000", "2592000" },
		{ "1764745000000x", "86400", "0", "86400" },
		/* The longest taken, and leading zeros (Lua reads them as decimal). */
		{ "9999999999999", "1", "9999999999999", "1" },
		{ "01764745000000", "0086400", "0", "0086400" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];
		commit_correlations_as(f, (int)i, (int)i + 1, cases[i][0], cases[i][1]);
		assert_int_equal(ship(f), 1);
		snprintf(want, sizeof(want), "%s %s", cases[i][2], cases[i][3]);
		assert_string_equal(fake.corr_args, want);
	}
}

/*
 * The fence refreshes a marker, so it takes the batch's first record
 * that has one, never a correlation's; and a correlation that renewed
 * its hash's expiry already wrote, so WAIT needs no fence then.
 */
static void test_fence_skips_correlations(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 1;
	commit_correlations(f, 0, 1);
	commit(f, 0, 2);
	assert_int_equal(ship(f), -1);		/* no replica: the cursor stays */
	audit_shipper_disconnect(f->sh);
	fake.replicas = 1;
	fake.hash_unwritten = true;		/* nothing of this batch writes */
	int from = fake.nlog;
	assert_int_equal(ship(f), 3);
	int expire = fake_find("EXPIRE fwdguard:seen:r0", from);
	assert_true(expire > from);
	assert_true(fake_find("WAIT 1 250", from) > expire);
	assert_int_equal(fake_count("EXPIRE"), 1);

	/* A batch whose correlation wrote: its write is what WAIT measures. */
	commit_correlations(f, 1, 2);
	commit(f, 0, 1);			/* r0 again: its marker is set */
	audit_shipper_disconnect(f->sh);
	fake.hash_unwritten = false;
	from = fake.nlog;
	assert_int_equal(ship(f), 2);
	assert_int_equal(fake_find("EXPIRE", from), -1);
	assert_true(fake_find("WAIT 1 250", from) > from);
	assert_int_equal(acked(f), 5);
}

/* One WAIT per batch: a short one keeps that batch, not the earlier ones. */
static void test_wait_per_batch(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 1;
	fake.answers[0] = 1;
	fake.answers[1] = 0;
	fake.nanswers = 2;
	fake.replicas = 1;
	commit(f, 0, 300);
	assert_int_equal(ship(f), -1);
	assert_int_equal(fake_count("WAIT"), 2);
	assert_int_equal(acked(f), 256);
	assert_int_equal(spool_backlog(f->spool), 44);
	assert_int_equal(ship(f), 44);
	assert_int_equal(acked(f), 300);
	assert_int_equal(fake.nstored, 300);
}

/* A timeout that rounds to 0 ms must not turn into WAIT's "forever". */
static void test_wait_never_unbounded(void **state)
{
	struct fixture *f = *state;
	f->rc.min_replicas = 1;
	f->rc.replica_timeout = 0.0001;
	fake.replicas = 1;
	commit(f, 0, 1);
	assert_int_equal(ship(f), 1);
	assert_true(fake_find("WAIT 1 1", 0) >= 0);
}

/* A batch is one round trip: every call queued before any reply is read. */
static void test_batch_is_one_round_trip(void **state)
{
	struct fixture *f = *state;
	commit(f, 0, 100);
	assert_int_equal(ship(f), 100);
	assert_int_equal(fake_count("EVALSHA"), 100);
	assert_int_equal(fake.round_trips, 1);
	assert_int_equal(fake_count("SCRIPT"), 1);
	assert_int_equal(acked(f), 100);
	/* In spool order. */
	for (int i = 0; i < 100; i++) {
		char want[64];
		snprintf(want, sizeof(want), "fwdguard:seen:r%d", i);
		assert_string_equal(fake.stored[i], want);
	}
	unsigned long long recs, trips;
	audit_shipper_counts(f->sh, &recs, &trips);
	assert_int_equal(recs, 100);
	assert_int_equal(trips, 1);

	/* 300 records: two batches, one WAIT-free ack each. */
	commit(f, 100, 400);
	assert_int_equal(ship(f), 300);
	assert_int_equal(fake.round_trips, 3);
	assert_int_equal(acked(f), 400);
	/* The script is loaded once per connection, not per record. */
	assert_int_equal(fake_count("SCRIPT"), 1);
}

/* A flushed script cache: loaded again, the refused records sent again, each stored once. */
static void test_noscript_reloads_and_resends(void **state)
{
	struct fixture *f = *state;
	commit(f, 0, 2);
	assert_int_equal(ship(f), 2);
	fake.noscript = true;
	commit(f, 2, 12);
	assert_int_equal(ship(f), 10);
	assert_int_equal(fake_count("SCRIPT"), 2);
	assert_int_equal(fake_count("EVALSHA"), 2 + 10 + 10);
	assert_int_equal(fake.nstored, 12);
	assert_int_equal(acked(f), 12);
	assert_int_equal(fake.opens, 1);
}

/* One refused record fails the batch: nothing of it is acknowledged, a retry stores each once. */
static void test_refused_record_keeps_batch(void **state)
{
	struct fixture *f = *state;
	fake.refuse_r1 = true;
	commit(f, 0, 5);
	assert_int_equal(ship(f), -1);
	assert_non_null(strstr(f->err, "record r1 refused: WRONGTYPE"));
	assert_int_equal(acked(f), 0);
	assert_int_equal(spool_backlog(f->spool), 5);
	fake.refuse_r1 = false;
	assert_int_equal(ship(f), 5);
	assert_int_equal(acked(f), 5);
	assert_int_equal(fake.nstored, 5);
	assert_int_equal(fake.opens, 2);
}

/*
 * What the daemon warns about (audit.c): a master that keeps no
 * append-only file.  Asked once per connection; an INFO the server
 * refuses leaves it unknown and ships all the same.
 */
static void test_aof_as_info_says(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(audit_shipper_aof(f->sh), -1);	/* not connected yet */
	fake.info = "# Persistence\r\nloading:0\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\n";
	commit(f, 0, 2);
	assert_int_equal(ship(f), 2);
	assert_int_equal(audit_shipper_aof(f->sh), 0);
	assert_int_equal(fake_count("INFO persistence"), 1);
	commit(f, 2, 3);
	assert_int_equal(ship(f), 1);
	assert_int_equal(fake_count("INFO persistence"), 1);	/* not per round */

	/* A new connection asks again: the master may have changed. */
	audit_shipper_disconnect(f->sh);
	assert_int_equal(audit_shipper_aof(f->sh), -1);
	fake.info = "# Persistence\r\naof_enabled:1\r\n";
	commit(f, 3, 4);
	assert_int_equal(ship(f), 1);
	assert_int_equal(audit_shipper_aof(f->sh), 1);

	audit_shipper_disconnect(f->sh);
	fake.info = "# Persistence\r\nmy_aof_enabled:0\r\n";	/* not the field */
	commit(f, 4, 5);
	assert_int_equal(ship(f), 1);
	assert_int_equal(audit_shipper_aof(f->sh), -1);

	audit_shipper_disconnect(f->sh);
	fake.info = NULL;
	commit(f, 5, 6);
	assert_int_equal(ship(f), 1);
	assert_int_equal(audit_shipper_aof(f->sh), -1);
	assert_int_equal(acked(f), 6);
}

/* A connection that breaks during INFO is dropped before anything is sent on it. */
static void test_info_on_a_broken_connection(void **state)
{
	struct fixture *f = *state;
	fake.info_drops = true;
	commit(f, 0, 2);
	assert_int_equal(ship(f), -1);
	assert_non_null(strstr(f->err, "redis INFO: Connection reset by peer"));
	assert_int_equal(fake_count("EVALSHA"), 0);
	assert_int_equal(acked(f), 0);
	assert_null(audit_shipper_address(f->sh));
	assert_int_equal(audit_shipper_aof(f->sh), -1);

	fake.info_drops = false;
	fake.info = "# Persistence\r\naof_enabled:1\r\n";
	assert_int_equal(ship(f), 2);
	assert_int_equal(fake.opens, 2);
	assert_int_equal(audit_shipper_aof(f->sh), 1);
	assert_int_equal(acked(f), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_wait_without_min_replicas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_short_keeps_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_error_keeps_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_connection_lost_keeps_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence_after_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correlation_has_no_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_correlation_numbers_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence_skips_correlations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_per_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_never_unbounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_is_one_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noscript_reloads_and_resends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_record_keeps_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aof_as_info_says, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_on_a_broken_connection, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
