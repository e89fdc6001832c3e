/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shipper.c - moves records from the spool to the Redis streams.
 *
 * Each record goes through one Lua script, so that the dedupe marker and
 * the stream entries are written atomically: SET NX <prefix>seen:<id>
 * first; only when it was not set, XADD to the streams (and PUBLISH the id
 * of an alert).  Redis 7 refuses explicit stream ids that are not above
 * the last one, which rules out using the record id as the entry id; the
 * marker is what makes a replay after an outage add each record once.
 *
 * A "correlation" record instead becomes the hash <prefix>msg:<message-id>
 * (HSETNX of each field: the first record of a Message-ID wins, so a later
 * message that reuses the id cannot rewrite who received it or who was a
 * party to it, and a probe mark written by "fwdguard-audit probe"
 * survives; while the hash does not exist, one HSET of all fields does the
 * same in one call), which expires "ttl" seconds after the message (the
 * record's "ts"), or later where another message of that Message-ID has
 * it live longer; one with a "conversation" field becomes
 * <prefix>thread:<conversation> the same way, keeping its message_id.  A
 * record older than its ttl writes nothing: what it says is out of date.
 * So shipping a correlation record again changes nothing that is there
 * (a hash removed before its time comes back), and it needs no marker,
 * which would cost Redis one key per message for a week (README.md "The
 * audit trail").  ts is the milter host's clock, compared with Redis':
 * the two must agree (NTP) to well within the ttl.
 *
 * The spool cursor only moves (spool_ack) after Redis accepted everything
 * up to it; after a failure the reader is rewound and the unacknowledged
 * records are sent again later, which the marker makes harmless.  With
 * redis.min_replicas, "accepted" also means that WAIT counted that many
 * replicas holding the records: replication is asynchronous, and a master
 * that dies before passing them on would take them along in a failover.
 * This file does not log: callers decide how loud a failure is.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "audit.h"
#include "record_fields.h"
#include "redis_conn.h"
#include "spool.h"

#define SEEN_TTL	"604800"	/* a week: far longer than any outage we replay */
#define BATCH_MAX	256	/* records per round trip, WAIT and cursor move */
#define ARGV_MAX	(8 + 2 * RECORD_FIELDS_MAX)

/*
 * KEYS: a correlation record's hash; any other record's marker, its stream
 * and its mailbox's stream.  ARGV: the marker's lifetime (a correlation:
 * the record's ts, unix ms, 0 when unknown), the stream's MAXLEN (a
 * correlation: its ttl in seconds), the kind, the id, then the fields.
 * Answers 1 when it wrote, 0 when nothing of the record needs to reach a
 * replica: the marker was set (the record is there already), or a
 * correlation record is older than its ttl (or has no fields and no
 * hash).  Every other correlation record writes at least its expiry, so
 * that WAIT has something to measure.  PTTL, not PEXPIRETIME, keeps Redis
 * 6.2 enough (the later of the two expiries then moves by a millisecond
 * or so); replicate_commands() lets a 6.2 with lua-replicate-commands off
 * write after TIME (on 7 it is a no-op).
 */
static const char ship_script[] =
    "if ARGV[3] == 'correlation' then\n"
    "  redis.replicate_commands()\n"
    "  local t = redis.call('TIME')\n"
    "  local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
    "  local ts = tonumber(ARGV[1]) or 0\n"
    "  local at = (ts > 0 and ts or now) + tonumber(ARGV[2]) * 1000\n"
    "  if at <= now then return 0 end\n"
    "  if #ARGV >= 6 and redis.call('EXISTS', KEYS[1]) == 0 then\n"
    "    local r = redis.pcall('HSET', KEYS[1], unpack(ARGV, 5))\n"
    "    if type(r) == 'table' and r.err then return r end\n"
    "  else\n"
    "    for i = 5, #ARGV - 1, 2 do\n"
    "      local r = redis.pcall('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])\n"
    "      if type(r) == 'table' and r.err then return r end\n"
    "    end\n"
    "  end\n"
    "  local left = redis.call('PTTL', KEYS[1])\n"
    "  if left == -2 then return 0 end\n"
    "  if left >= 0 and now + left > at then at = now + left end\n"
    "  return redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', at))\n"
    "end\n"
    "if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end\n"
    "for k = 2, #KEYS do\n"
    "  local r = redis.pcall('XADD', KEYS[k], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 5))\n"
    "  if type(r) == 'table' and r.err then\n"
    "    redis.call('DEL', KEYS[1])\n"
    "    return r\n"
    "  end\n"
    "end\n"
    "if ARGV[3] == 'alert' then redis.call('PUBLISH', KEYS[2], ARGV[4]) end\n"
    "return 1\n";

struct audit_shipper {
	struct redis_conn *conn;
	char sha[41];		/* of ship_script once loaded on this connection */
	int aof;		/* shipper_read_aof() at connect: 1, 0, -1 unknown */
	bool confirm;		/* redis.min_replicas is set: WAIT before each ack */
	bool wrote;		/* this connection wrote something WAIT can measure */
	const char *prefix;	/* of the run in progress */
	unsigned long long records, round_trips;
	atomic_llong oldest_ms;	/* ts of the first record of the batch in hand; 0: none */
};

/* A record read from the spool for the batch being shipped. */
struct ship_item {
	struct record *r;
	bool queued;
};

struct audit_shipper *audit_shipper_new(void)
{
	return calloc(1, sizeof(struct audit_shipper));
}

void audit_shipper_disconnect(struct audit_shipper *sh)
{
	if (sh == NULL)
		return;
	redis_conn_close(sh->conn);
	sh->conn = NULL;
	sh->sha[0] = '\0';
	sh->wrote = false;
}

void audit_shipper_free(struct audit_shipper *sh)
{
	audit_shipper_disconnect(sh);
	free(sh);
}

static int shipper_load_script(struct audit_shipper *sh, char *err, size_t errsize)
{
	const char *argv[] = { "SCRIPT", "LOAD", ship_script };
	size_t len[] = { 6, 4, sizeof(ship_script) - 1 };
	redisReply *r = redis_conn_command(sh->conn, 3, argv, len);
	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
		snprintf(err, errsize, "redis SCRIPT LOAD: %s",
		    r == NULL ? redis_conn_error(sh->conn) :
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		redis_conn_reply_free(r);
		return -1;
	}
	memcpy(sh->sha, r->str, 40);
	sh->sha[40] = '\0';
	redis_conn_reply_free(r);
	return 0;
}

/*
 * aof_enabled from INFO persistence: 1, 0, or -1 when the server will not
 * tell (an ACL refusing INFO: shipping goes on, audit.c stays silent).
 * -2 when the connection broke: the caller drops it, as after any failed
 * command, so that nothing is pipelined on a dead connection.
 */
static int shipper_read_aof(struct audit_shipper *sh)
{
	const char *argv[] = { "INFO", "persistence" };
	size_t len[] = { 4, 11 };
	redisReply *r = redis_conn_command(sh->conn, 2, argv, len);
	const char *p;
	int aof = -1;

	if (r == NULL)
		return -2;
	/* Anchored at a line start: the section header comes first. */
	if (r->type == REDIS_REPLY_STRING && (p = strstr(r->str, "\naof_enabled:")) != NULL) {
		p += strlen("\naof_enabled:");
		aof = *p == '1' ? 1 : *p == '0' ? 0 : -1;
	}
	redis_conn_reply_free(r);
	return aof;
}

static int shipper_connect(struct audit_shipper *sh, const struct cfg_redis *rc,
    char *err, size_t errsize)
{
	if (sh->conn != NULL)
		return 0;
	sh->conn = redis_conn_open(rc, err, errsize);
	if (sh->conn == NULL)
		return -1;
	if (shipper_load_script(sh, err, errsize) != 0) {
		audit_shipper_disconnect(sh);
		return -1;
	}
	sh->aof = shipper_read_aof(sh);
	if (sh->aof == -2) {
		snprintf(err, errsize, "redis INFO: %s", redis_conn_error(sh->conn));
		audit_shipper_disconnect(sh);
		return -1;
	}
	return 0;
}

/* The key strings a record goes to; owned by the caller (free each). */
struct ship_keys {
	char *seen;	/* NULL for a correlation record: it has no marker */
	char *stream;	/* a correlation record's hash */
	char *mailbox;
};

static void shipper_keys_free(struct ship_keys *k)
{
	free(k->seen);
	free(k->stream);
	free(k->mailbox);
}

static bool shipper_is_correlation(const struct record *r)
{
	const char *kind = record_get(r, REC_KIND);
	return kind != NULL && strcmp(kind, REC_KIND_CORRELATION) == 0;
}

/* A correlation record for an Outlook conversation: its id, or NULL. */
static const char *shipper_conversation(const struct record *r)
{
	const char *conv = record_get(r, REC_CONVERSATION);
	return shipper_is_correlation(r) && conv != NULL && conv[0] != '\0' ? conv : NULL;
}

/*
 * Fields that only route a record: the stream entry or hash does not get
 * them.  correlation and conversation are the record's, worked out once
 * by the caller rather than looked up again for every field.
 */
static bool shipper_routing_field(bool correlation, bool conversation, const char *f)
{
	if (strcmp(f, REC_KIND) == 0)
		return true;
	if (conversation)
		return strcmp(f, REC_ID) == 0 || strcmp(f, REC_CONVERSATION) == 0 ||
		    strcmp(f, REC_TTL) == 0;
	return correlation &&
	    (strcmp(f, REC_ID) == 0 || strcmp(f, REC_MESSAGE_ID) == 0 || strcmp(f, REC_TTL) == 0);
}

/*
 * A number the script can take as is: digits only, not 0, at most 13 of
 * them (a ts in ms until the year 2286), so that ts + ttl * 1000 stays
 * exact in a Lua double.
 */
static bool shipper_positive(const char *s)
{
	size_t n = s != NULL ? strspn(s, "0123456789") : 0;
	return n > 0 && n <= 13 && s[n] == '\0' && strspn(s, "0") < n;
}

/* Without an id (or a correlation without its message id) a record can never be shipped. */
static bool shipper_can_ship(const struct record *r)
{
	const char *id = record_get(r, REC_ID), *msgid = record_get(r, REC_MESSAGE_ID);
	if (id == NULL || id[0] == '\0')
		return false;
	return !shipper_is_correlation(r) || (msgid != NULL && msgid[0] != '\0');
}

static int shipper_keys(const struct record *r, const char *prefix, struct ship_keys *k)
{
	const char *kind = record_get(r, REC_KIND), *mailbox = record_get(r, REC_MAILBOX);
	bool alert = kind != NULL && strcmp(kind, REC_KIND_ALERT) == 0;

	memset(k, 0, sizeof(*k));
	if (shipper_is_correlation(r)) {
		const char *conv = shipper_conversation(r);
		if (asprintf(&k->stream, "%s%s:%s", prefix, conv != NULL ? "thread" : "msg",
		    conv != NULL ? conv : record_get(r, REC_MESSAGE_ID)) < 0)
			k->stream = NULL;
		return k->stream != NULL ? 0 : -1;
	}
	if (asprintf(&k->seen, "%sseen:%s", prefix, record_get(r, REC_ID)) < 0)
		k->seen = NULL;
	if (asprintf(&k->stream, "%s%s", prefix, alert ? "alerts" : "audit") < 0)
		k->stream = NULL;
	if (!alert && mailbox != NULL && mailbox[0] != '\0' &&
	    asprintf(&k->mailbox, "%smailbox:%s", prefix, mailbox) < 0)
		return -1;
	return k->seen != NULL && k->stream != NULL ? 0 : -1;
}

/* Runs a three-word command that answers a number: 0 and *out, or -1 with err set. */
static int shipper_integer(struct audit_shipper *sh, const char *argv[3], long long *out,
    char *err, size_t errsize)
{
	size_t len[] = { strlen(argv[0]), strlen(argv[1]), strlen(argv[2]) };
	redisReply *r = redis_conn_command(sh->conn, 3, argv, len);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		snprintf(err, errsize, "redis %s: %s", argv[0], r == NULL ? redis_conn_error(sh->conn) :
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		redis_conn_reply_free(r);
		if (r == NULL)
			audit_shipper_disconnect(sh);
		return -1;
	}
	*out = r->integer;
	redis_conn_reply_free(r);
	return 0;
}

/*
 * WAIT counts the replicas that have this connection's last write.  A
 * record already in Redis (sent again after a reconnect) writes nothing, so
 * on a connection that has written nothing yet WAIT would measure nothing
 * and answer at once.  Refreshing the record's marker is a write that comes
 * after the record in the replication stream: a replica that has it has
 * the record too.  0, or -1 with err set.
 */
static int shipper_fence(struct audit_shipper *sh, const struct record *r, char *err,
    size_t errsize)
{
	if (!sh->confirm || sh->wrote)
		return 0;
	char *seen;
	if (asprintf(&seen, "%sseen:%s", sh->prefix, record_get(r, REC_ID)) < 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	const char *argv[] = { "EXPIRE", seen, SEEN_TTL };
	long long ignored;
	int rc = shipper_integer(sh, argv, &ignored, err, errsize);
	free(seen);
	if (rc != 0)
		return -1;
	sh->wrote = true;
	return 0;
}

/*
 * Queues the script call of one record on the connection (no round trip).
 * 1 queued, 0 to skip (it can never be shipped: no id), -1 failure with
 * err set.
 */
static int shipper_queue(struct audit_shipper *sh, const struct record *r, const char *prefix,
    long long maxlen, char *err, size_t errsize)
{
	if (!shipper_can_ship(r))
		return 0;
	const char *id = record_get(r, REC_ID);
	bool correlation = shipper_is_correlation(r);
	struct ship_keys k;
	if (shipper_keys(r, prefix, &k) != 0) {
		shipper_keys_free(&k);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	char maxbuf[32];
	const char *kind = record_get(r, REC_KIND);
	snprintf(maxbuf, sizeof(maxbuf), "%lld", maxlen > 0 ? maxlen : 10000000LL);
	/* A correlation record carries its own expiry in place of MAXLEN,
	 * and its time in place of the marker's lifetime: the script counts
	 * the ttl from the message. */
	const char *ttl = correlation ? record_get(r, REC_TTL) : NULL;
	if (correlation && !shipper_positive(ttl))
		ttl = "2592000";
	const char *ts = correlation ? record_get(r, REC_TS) : NULL;
	if (correlation && !shipper_positive(ts))
		ts = "0";

	const char *argv[ARGV_MAX];
	/* The keys are the ones there are: no marker for a correlation record,
	 * no mailbox stream without a mailbox. */
	int argc = 0, nkeys = (k.seen != NULL) + 1 + (k.mailbox != NULL);
	char nkeysbuf[4];
	snprintf(nkeysbuf, sizeof(nkeysbuf), "%d", nkeys);
	argv[argc++] = "EVALSHA";
	argv[argc++] = sh->sha;
	argv[argc++] = nkeysbuf;
	if (k.seen != NULL)
		argv[argc++] = k.seen;
	argv[argc++] = k.stream;
	if (k.mailbox != NULL)
		argv[argc++] = k.mailbox;
	argv[argc++] = correlation ? ts : SEEN_TTL;
	argv[argc++] = correlation ? ttl : maxbuf;
	argv[argc++] = kind != NULL ? kind : "";
	argv[argc++] = id;
	bool conversation = shipper_conversation(r) != NULL;
	for (size_t i = 0; i < record_count(r) && argc + 2 <= ARGV_MAX; i++) {
		const char *f, *v;
		record_field(r, i, &f, &v);
		if (shipper_routing_field(correlation, conversation, f))
			continue;
		argv[argc++] = f;
		argv[argc++] = v;
	}
	size_t len[ARGV_MAX];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	int rc = redis_conn_send(sh->conn, argc, argv, len);
	shipper_keys_free(&k);
	if (rc != 0) {
		snprintf(err, errsize, "redis: %s", redis_conn_error(sh->conn));
		return -1;
	}
	return 1;
}

/*
 * Reads the reply of one queued record: 1 stored (added or already
 * there), 2 the script is not loaded (NOSCRIPT), -1 failure with err set.
 */
static int shipper_answer(struct audit_shipper *sh, const struct record *r, char *err,
    size_t errsize)
{
	redisReply *rep = redis_conn_reply(sh->conn);
	if (rep == NULL) {
		snprintf(err, errsize, "redis: %s", redis_conn_error(sh->conn));
		return -1;
	}
	int rc = 1;
	if (rep->type == REDIS_REPLY_INTEGER) {
		if (rep->integer == 1)
			sh->wrote = true;
	} else if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		rc = 2;
	} else {
		snprintf(err, errsize, "redis: record %s refused: %s", record_get(r, REC_ID),
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		rc = -1;
	}
	redis_conn_reply_free(rep);
	return rc;
}

/*
 * One pass over recs[0..n): every call queued, then every reply read, so
 * the batch costs one round trip.  Records whose reply was NOSCRIPT are
 * moved to the front of recs and counted in *again.  The number stored,
 * or -1 with err set (the connection is then closed: replies may be left
 * unread on it).
 */
static long shipper_pass(struct audit_shipper *sh, struct ship_item *items, size_t n,
    const char *prefix, long long maxlen, size_t *again, char *err, size_t errsize)
{
	size_t queued = 0;
	long stored = 0;
	*again = 0;
	for (size_t i = 0; i < n; i++) {
		int q = shipper_queue(sh, items[i].r, prefix, maxlen, err, errsize);
		if (q < 0)
			goto fail;
		items[i].queued = q == 1;
		queued += q == 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!items[i].queued)
			continue;
		int a = shipper_answer(sh, items[i].r, err, errsize);
		if (a < 0)
			goto fail;
		if (a == 2) {
			/* Swapped, not overwritten: the caller frees every record. */
			struct ship_item t = items[*again];
			items[(*again)++] = items[i];
			items[i] = t;
		} else {
			stored++;
		}
	}
	sh->round_trips += queued > 0;
	return stored;
fail:
	audit_shipper_disconnect(sh);
	return -1;
}

/*
 * Ships a batch; when the script cache was flushed (or a failover brought
 * a fresh master) the script is loaded again and the refused records sent
 * once more.  The number stored, or -1 with err set.
 */
static long shipper_batch(struct audit_shipper *sh, struct ship_item *items, size_t n,
    const char *prefix, long long maxlen, char *err, size_t errsize)
{
	long stored = 0;
	/* The fence refreshes a marker: correlation records have none.  A
	 * batch of them alone needs none either: each answers 1 with a write,
	 * or 0 when nothing of it needs to reach a replica. */
	const struct record *first = NULL;
	for (size_t i = 0; i < n && first == NULL; i++)
		if (shipper_can_ship(items[i].r) && !shipper_is_correlation(items[i].r))
			first = items[i].r;
	for (int attempt = 0; n > 0; attempt++) {
		size_t again;
		long got = shipper_pass(sh, items, n, prefix, maxlen, &again, err, errsize);
		if (got < 0)
			return -1;
		stored += got;
		n = again;
		if (n == 0)
			break;
		if (attempt > 0) {
			snprintf(err, errsize, "redis: NOSCRIPT right after SCRIPT LOAD");
			audit_shipper_disconnect(sh);
			return -1;
		}
		if (shipper_load_script(sh, err, errsize) != 0) {
			audit_shipper_disconnect(sh);
			return -1;
		}
	}
	if (stored > 0 && first != NULL && shipper_fence(sh, first, err, errsize) != 0)
		return -1;
	return stored;
}

/*
 * With min_replicas, the records sent since the last ack are stored only
 * once WAIT counts that many replicas holding them.  0, or -1 with err set.
 */
static int shipper_confirm(struct audit_shipper *sh, const struct cfg_redis *rc,
    char *err, size_t errsize)
{
	if (rc->min_replicas <= 0)
		return 0;
	char nbuf[24], msbuf[24];
	long ms = (long)(rc->replica_timeout * 1000);
	snprintf(nbuf, sizeof(nbuf), "%ld", rc->min_replicas);
	/* WAIT with 0 ms would block until the replicas come, however long. */
	snprintf(msbuf, sizeof(msbuf), "%ld", ms > 0 ? ms : 1);
	const char *argv[] = { "WAIT", nbuf, msbuf };
	long long got;
	if (shipper_integer(sh, argv, &got, err, errsize) != 0)
		return -1;
	if (got < rc->min_replicas) {
		snprintf(err, errsize, "redis WAIT: %lld of %ld replicas have the records after %s ms",
		    got, rc->min_replicas, msbuf);
		return -1;
	}
	return 0;
}

/* Moves the spool cursor past what was sent, once it is stored as configured. */
static int shipper_ack(struct audit_shipper *sh, struct spool *s, const struct cfg_redis *rc,
    char *err, size_t errsize)
{
	if (shipper_confirm(sh, rc, err, errsize) != 0) {
		spool_rewind(s);
		return -1;
	}
	if (spool_ack(s) != 0) {
		/* Shipped but not recorded as such: the next run sends them
		 * again, and the seen markers (a correlation hash: its first
		 * values) turn that into no-ops. */
		snprintf(err, errsize, "spool cursor: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads up to BATCH_MAX records; their count, or -1 with errno on a spool error. */
static long shipper_fill(struct spool *s, struct ship_item *items)
{
	long n = 0;
	while (n < BATCH_MAX) {
		struct record *r = spool_next(s);
		if (r == NULL) {
			if (errno != 0) {
				int e = errno;
				while (n > 0)
					record_free(items[--n].r);
				errno = e;
				return -1;
			}
			break;
		}
		items[n++].r = r;
	}
	return n;
}

/*
 * The time of the oldest record not yet in Redis: the first of the batch
 * just read (the spool returns records in journal order).  Set before
 * the batch is sent, so it ages while a send hangs.
 */
static void shipper_note_oldest(struct audit_shipper *sh, struct ship_item *items, long n)
{
	long long ms = 0;
	for (long i = 0; i < n && ms <= 0; i++) {
		const char *ts = record_get(items[i].r, REC_TS);
		ms = ts != NULL ? strtoll(ts, NULL, 10) : 0;
	}
	if (ms <= 0) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	}
	atomic_store_explicit(&sh->oldest_ms, ms, memory_order_relaxed);
}

long audit_shipper_run(struct audit_shipper *sh, struct spool *s, const struct cfg_redis *rc,
    long long maxlen, char *err, size_t errsize)
{
	const char *prefix = rec_prefix(rc->prefix);
	struct ship_item items[BATCH_MAX];
	long shipped = 0, n;

	sh->confirm = rc->min_replicas > 0;
	sh->prefix = prefix;
	while ((n = shipper_fill(s, items)) > 0) {
		long got = -1;
		shipper_note_oldest(sh, items, n);
		if (shipper_connect(sh, rc, err, errsize) == 0)
			got = shipper_batch(sh, items, (size_t)n, prefix, maxlen, err, errsize);
		/* shipper_batch reorders items: free all n of them. */
		for (long i = 0; i < n; i++)
			record_free(items[i].r);
		if (got < 0) {
			spool_rewind(s);
			return -1;
		}
		shipped += got;
		sh->records += got;
		/* WAIT and the cursor come after the whole batch's replies. */
		if (shipper_ack(sh, s, rc, err, errsize) != 0)
			return -1;
	}
	if (n < 0) {
		snprintf(err, errsize, "spool: %s", strerror(errno));
		spool_rewind(s);
		return -1;
	}
	atomic_store_explicit(&sh->oldest_ms, 0, memory_order_relaxed);
	return shipped;
}

long long audit_shipper_oldest(const struct audit_shipper *sh)
{
	return sh != NULL ? atomic_load_explicit(&sh->oldest_ms, memory_order_relaxed) : 0;
}

void audit_shipper_counts(const struct audit_shipper *sh, unsigned long long *records,
    unsigned long long *round_trips)
{
	*records = sh != NULL ? sh->records : 0;
	*round_trips = sh != NULL ? sh->round_trips : 0;
}

const char *audit_shipper_address(const struct audit_shipper *sh)
{
	return sh != NULL && sh->conn != NULL ? redis_conn_address(sh->conn) : NULL;
}

int audit_shipper_aof(const struct audit_shipper *sh)
{
	return sh != NULL && sh->conn != NULL && sh->aof >= 0 ? sh->aof : -1;
}

long audit_ship_pending(struct spool *s, const struct cfg_redis *rc, long long maxlen,
    char *err, size_t errsize)
{
	struct audit_shipper *sh = audit_shipper_new();
	if (sh == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	long n = audit_shipper_run(sh, s, rc, maxlen, err, errsize);
	audit_shipper_free(sh);
	return n;
}
