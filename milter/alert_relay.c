/*
 * alert_relay.c - "fwdguard-audit alerts" (see alert_relay.h for the Redis
 * keys and the delivery contract).
 *
 * Order of one group's delivery: mail submitted (sendmail exit 0), then one
 * Lua script marks every alert delivered, opens the window and takes the
 * mailed repeats off the pending count, then XACK.  A relay killed between
 * sendmail's exit and the script mails that group again when restarted:
 * that is the one window where an alert can reach the team twice.  Counting
 * a repeat is a single script (marker SET NX + count), so it is exactly once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "alert_dedupe.h"
#include "alert_metrics.h"
#include "alert_relay.h"
#include "alert_mail.h"
#include "alert_notice_send.h"
#include "audit_view.h"
#include "log.h"
#include "redis_conn.h"

#define BATCH		"100"
#define IDS_SHOWN	20		/* decision ids listed in one mail */
#define DELIVERED_TTL	"604800"	/* 7 days: longer than any pending entry lives */
#define RETRY_SECONDS	30
#define PENDING_SECONDS	5	/* how often the pending count is read for the metrics */

struct relay {
	const struct cfg *cfg;
	struct redis_conn *rc;
	const char *prefix;
	char *stream;
	char consumer[256];
	long max_idle_ms;
	bool failed;		/* a delivery or Redis command failed in this run */
	bool broken;		/* the connection is unusable */
};

static volatile sig_atomic_t relay_stop;

static void relay_on_signal(int sig)
{
	(void)sig;
	relay_stop = 1;
}

/* Runs a command given as NUL-terminated strings; NULL after logging why. */
static redisReply *relay_cmd(struct relay *r, int argc, const char **argv)
{
	size_t len[argc];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = redis_conn_command(r->rc, argc, argv, len);
	if (rep == NULL) {
		log_warnx("alerts: %s: %s", argv[0], redis_conn_error(r->rc));
		r->broken = r->failed = true;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		log_warnx("alerts: %s: %s", argv[0], rep->str);
		r->failed = true;
		redis_conn_reply_free(rep);
		return NULL;
	}
	return rep;
}

static char *relay_key(const struct relay *r, const char *what, const char *key)
{
	char *s;
	return asprintf(&s, "%salerts:%s%s", r->prefix, what, key) < 0 ? NULL : s;
}

static void relay_ack(struct relay *r, const char **sids, size_t n)
{
	if (n == 0)
		return;
	const char **argv = calloc(n + 3, sizeof(*argv));
	if (argv == NULL)
		return;
	argv[0] = "XACK";
	argv[1] = r->stream;
	argv[2] = RELAY_GROUP;
	memcpy(argv + 3, sids, n * sizeof(*argv));
	redis_conn_reply_free(relay_cmd(r, (int)n + 3, argv));
	free(argv);
}

/* -------------------------------------------------------------------------- */
/* Redis state of a group */

/* Counts repeats once each: SET NX of the delivered marker guards the count. */
static const char count_lua[] =
    "local p, key, ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local h, l = p..'alerts:pending:'..key, p..'alerts:pendids:'..key\n"
    "local added = 0\n"
    "for i = 11, #ARGV, 3 do\n"
    "  if redis.call('SET', p..'alerts:delivered:'..ARGV[i], '1', 'NX', 'EX', ttl) then\n"
    "    added = added + 1\n"
    "    redis.call('HINCRBY', h, 'count', 1)\n"
    "    if redis.call('LLEN', l) < " "20" " then redis.call('RPUSH', l, ARGV[i+1]) end\n"
    "    local ts = tonumber(ARGV[i+2]) or 0\n"
    "    local f = tonumber(redis.call('HGET', h, 'first') or '') or 0\n"
    "    if f == 0 or ts < f then redis.call('HSET', h, 'first', ts) end\n"
    "    local z = tonumber(redis.call('HGET', h, 'last') or '') or 0\n"
    "    if ts > z then redis.call('HSET', h, 'last', ts) end\n"
    "  end\n"
    "end\n"
    "if added > 0 then\n"
    "  redis.call('HSET', h, 'mailbox', ARGV[4], 'target', ARGV[5], 'rule', ARGV[6],\n"
    "    'action', ARGV[7], 'mode', ARGV[8], 'destination', ARGV[9], 'level', ARGV[10])\n"
    "  redis.call('EXPIRE', h, 2592000)\n"
    "  redis.call('EXPIRE', l, 2592000)\n"
    "  redis.call('SADD', p..'alerts:pendkeys', key)\n"
    "end\n"
    "return added\n";

/* After a mail: markers, window, and the mailed repeats off the count. */
static const char commit_lua[] =
    "local p, key, ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local window, taken, shown = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local h, l = p..'alerts:pending:'..key, p..'alerts:pendids:'..key\n"
    "for i = 7, #ARGV do\n"
    "  redis.call('SET', p..'alerts:delivered:'..ARGV[i], '1', 'EX', ttl)\n"
    "end\n"
    "if window > 0 then redis.call('SET', p..'alerts:window:'..key, '1', 'EX', window) end\n"
    "if taken > 0 then\n"
    "  if redis.call('HINCRBY', h, 'count', -taken) <= 0 then\n"
    "    redis.call('DEL', h, l)\n"
    "    redis.call('SREM', p..'alerts:pendkeys', key)\n"
    "  else\n"
    "    redis.call('LTRIM', l, shown, -1)\n"
    "    redis.call('HDEL', h, 'first')\n"
    "  end\n"
    "end\n"
    "return 1\n";

static bool relay_exists(struct relay *r, const char *what, const char *key, bool *out)
{
	char *k = relay_key(r, what, key);
	const char *argv[] = { "EXISTS", k };
	redisReply *rep = k != NULL ? relay_cmd(r, 2, argv) : NULL;
	free(k);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
		redis_conn_reply_free(rep);
		return false;
	}
	*out = rep->integer > 0;
	redis_conn_reply_free(rep);
	return true;
}

/* Reads a group's pending repeats into m (its pending fields); false on a Redis error. */
static bool relay_pending_read(struct relay *r, const char *key, struct alert_mail *m,
    redisReply **hash, redisReply **ids)
{
	char *h = relay_key(r, "pending:", key), *l = relay_key(r, "pendids:", key);
	const char *hargv[] = { "HGETALL", h };
	const char *largv[] = { "LRANGE", l, "0", "19" };
	*hash = *ids = NULL;
	if (h != NULL && l != NULL && (*hash = relay_cmd(r, 2, hargv)) != NULL)
		*ids = relay_cmd(r, 4, largv);
	free(h);
	free(l);
	if (*hash == NULL || *ids == NULL || (*hash)->type != REDIS_REPLY_ARRAY ||
	    (*ids)->type != REDIS_REPLY_ARRAY)
		return false;
	for (size_t i = 0; i + 1 < (*hash)->elements; i += 2) {
		const char *f = (*hash)->element[i]->str, *v = (*hash)->element[i + 1]->str;
		if (f == NULL || v == NULL)
			continue;
		if (strcmp(f, "count") == 0)
			m->pending = strtol(v, NULL, 10);
		else if (strcmp(f, "first") == 0)
			m->first_ms = strtoll(v, NULL, 10);
		else if (strcmp(f, "last") == 0)
			m->last_ms = strtoll(v, NULL, 10);
		else
			alert_mail_set(m, f, v);
	}
	for (size_t i = 0; i < (*ids)->elements && m->nids < ALERT_MAIL_IDS; i++)
		if ((*ids)->element[i]->str != NULL)
			m->ids[m->nids++] = (*ids)->element[i]->str;
	m->pending_ids_shown = m->nids;
	return true;
}

static bool relay_eval(struct relay *r, const char *script, const char **args, size_t nargs)
{
	const char **argv = calloc(nargs + 3, sizeof(*argv));
	if (argv == NULL)
		return false;
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "0";
	memcpy(argv + 3, args, nargs * sizeof(*argv));
	redisReply *rep = relay_cmd(r, (int)nargs + 3, argv);
	free(argv);
	redis_conn_reply_free(rep);
	return rep != NULL;
}

/* -------------------------------------------------------------------------- */
/* One batch */

struct relay_alert {
	struct view_entry e;
	const char *id;
	long long ts_ms;
	char ts[24];
	bool done;
};

/* Earliest decision of this mailbox to this target in its history (bounded scan). */
static long long relay_first_seen(struct relay *r, const char *mailbox, const char *target)
{
	char *k;
	long long first = 0;
	if (mailbox == NULL || target == NULL ||
	    asprintf(&k, "%smailbox:%s", r->prefix, mailbox) < 0)
		return 0;
	const char *argv[] = { "XRANGE", k, "-", "+", "COUNT", "1000" };
	redisReply *rep = relay_cmd(r, 6, argv);
	free(k);
	for (size_t i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
		struct view_entry e;
		const char *t;
		if (view_entry_from_reply(rep->element[i], &e) == 0 &&
		    (t = view_get(&e, "target")) != NULL && strcasecmp(t, target) == 0) {
			first = view_entry_ms(&e);
			break;
		}
	}
	redis_conn_reply_free(rep);
	return first;
}

/* The route of alerts.mail, as the metrics name it. */
static const char *relay_route(const struct relay *r)
{
	return r->cfg->alerts.mail_to != NULL ? ALERT_ROUTE_MAIL : ALERT_ROUTE_SYSLOG;
}

/* Mails m; true when it went out (or no mail is configured and syslog got it). */
static bool relay_deliver(struct relay *r, struct alert_mail *m)
{
	const struct cfg_alerts *a = &r->cfg->alerts;
	char line[1024], err[512];
	long long hist = relay_first_seen(r, m->mailbox, m->target);
	if (hist > 0 && (m->first_ms == 0 || hist < m->first_ms))
		m->since_ms = hist;
	alert_mail_syslog_line(m, line, sizeof(line));
	if (a->mail_to != NULL) {
		size_t len;
		char *msg = alert_mail_compose(m, a->mail_from != NULL ? a->mail_from : a->mail_to,
		    a->mail_to, time(NULL), &len);
		snprintf(err, sizeof(err), "out of memory");
		int rv = msg != NULL ? relay_sendmail(a->sendmail, a->mail_from != NULL ?
		    a->mail_from : a->mail_to, a->mail_to, msg, len, err, sizeof(err)) : -1;
		free(msg);
		if (rv != 0) {
			log_warnx("alerts: mail to %s not sent (%s); will retry: %s", a->mail_to,
			    err, line);
			r->failed = true;
			alert_metrics_failed(relay_route(r));
			return false;
		}
	}
	if (a->syslog)
		log_warnx("%s", line);
	alert_metrics_sent(relay_route(r));
	printf("%s\n", line);
	fflush(stdout);
	return true;
}

/* Mails (or counts) one group of the batch; acks what it delivered. */
static void relay_group(struct relay *r, struct relay_alert *al, const struct dedupe_group *g)
{
	bool open = false;
	struct alert_mail m;
	redisReply *hash = NULL, *ids = NULL;
	const struct view_entry *e0 = &al[g->members[0]].e;
	const char **args = calloc(3 * g->n + 10, sizeof(*args));
	const char **sids = calloc(g->n, sizeof(*sids));
	size_t na = 0;

	alert_mail_init(&m);
	if (args == NULL || sids == NULL ||
	    !relay_exists(r, "window:", g->key, &open) ||
	    !relay_pending_read(r, g->key, &m, &hash, &ids))
		goto out;
	for (size_t i = 0; i < e0->n; i++)
		alert_mail_set(&m, e0->field[i], e0->value[i]);
	for (size_t i = 0; i < g->n; i++)
		sids[i] = al[g->members[i]].e.stream_id;
	args[na++] = r->prefix;
	args[na++] = g->key;
	args[na++] = DELIVERED_TTL;
	if (dedupe_decide(open, m.pending, g->n) == DEDUPE_COUNT) {
		static const char *const f[] = { "mailbox", "target", "rule", "action", "mode",
		    "destination", "level" };
		for (size_t i = 0; i < 7; i++)
			args[na++] = view_get(e0, f[i]) != NULL ? view_get(e0, f[i]) : "";
		for (size_t i = 0; i < g->n; i++) {
			struct relay_alert *a = &al[g->members[i]];
			const char *d = view_get(&a->e, "decision_id");
			args[na++] = a->id;
			args[na++] = d != NULL ? d : a->id;
			args[na++] = a->ts;
		}
		if (relay_eval(r, count_lua, args, na)) {
			relay_ack(r, sids, g->n);
			alert_metrics_deduplicated(relay_route(r), g->n);
		}
		goto out;
	}
	m.count = g->n;
	if (m.first_ms == 0 || g->first_ms < m.first_ms)
		m.first_ms = g->first_ms;
	if (g->last_ms > m.last_ms)
		m.last_ms = g->last_ms;
	for (size_t i = 0; i < g->n && m.nids < ALERT_MAIL_IDS; i++) {
		const char *d = view_get(&al[g->members[i]].e, "decision_id");
		m.ids[m.nids++] = d != NULL ? d : al[g->members[i]].id;
	}
	if (!relay_deliver(r, &m))
		goto out;
	char window[24], taken[24], shown[24];
	snprintf(window, sizeof(window), "%ld", r->cfg->alerts.dedupe_window);
	snprintf(taken, sizeof(taken), "%ld", m.pending);
	snprintf(shown, sizeof(shown), "%zu", m.pending_ids_shown);
	args[na++] = window;
	args[na++] = taken;
	args[na++] = shown;
	for (size_t i = 0; i < g->n; i++)
		args[na++] = al[g->members[i]].id;
	if (relay_eval(r, commit_lua, args, na))
		relay_ack(r, sids, g->n);
out:
	redis_conn_reply_free(hash);
	redis_conn_reply_free(ids);
	free(args);
	free(sids);
}

/* Parses entries; acks the malformed and the already delivered.  Returns how many are left. */
static size_t relay_parse(struct relay *r, const redisReply *entries, struct relay_alert *al)
{
	size_t left = 0;
	for (size_t i = 0; i < entries->elements; i++) {
		struct relay_alert *a = &al[i];
		const redisReply *el = entries->element[i];
		bool seen = false;
		memset(a, 0, sizeof(*a));
		if (view_entry_from_reply(el, &a->e) != 0 || (a->id = view_get(&a->e, "id")) == NULL ||
		    *a->id == '\0') {
			/* A deleted or foreign entry: nothing to deliver, never retry it. */
			if (el->type == REDIS_REPLY_ARRAY && el->elements > 0 &&
			    el->element[0]->type == REDIS_REPLY_STRING) {
				const char *sid = el->element[0]->str;
				log_warnx("alerts: entry %s is not an alert record; acknowledged", sid);
				relay_ack(r, &sid, 1);
			}
			a->done = true;
			continue;
		}
		if ((seen = view_get(&a->e, "type") != NULL &&
		    strcmp(view_get(&a->e, "type"), "anchor") == 0)) {
			/* A chain head for the record outside Redis, not news for the team. */
			const char *sum = view_get(&a->e, "summary");
			log_notice("alerts: %s", sum != NULL ? sum : a->id);
			relay_ack(r, &a->e.stream_id, 1);
			a->done = true;
			continue;
		}
		if (alert_notice_is(&a->e)) {
			/* The mailbox's own notice, not news for the team. */
			if (alert_notice_send(r->rc, r->cfg, &a->e) == 0)
				relay_ack(r, &a->e.stream_id, 1);
			else
				r->failed = true;
			a->done = true;
			continue;
		}
		a->ts_ms = view_entry_ms(&a->e);
		snprintf(a->ts, sizeof(a->ts), "%lld", a->ts_ms);
		if (relay_exists(r, "delivered:", a->id, &seen) && seen) {
			relay_ack(r, &a->e.stream_id, 1);
			a->done = true;
			continue;
		}
		left++;
	}
	return left;
}

static void relay_batch(struct relay *r, const redisReply *entries)
{
	struct relay_alert *al = calloc(entries->elements, sizeof(*al));
	struct dedupe_batch *b = dedupe_batch_new();
	if (al == NULL || b == NULL || relay_parse(r, entries, al) == 0)
		goto out;
	for (size_t i = 0; i < entries->elements; i++) {
		if (al[i].done)
			continue;
		struct dedupe_item it = { view_get(&al[i].e, "mailbox"), view_get(&al[i].e, "target"),
		    view_get(&al[i].e, "rule"), al[i].ts_ms };
		if (dedupe_batch_add(b, i, &it) != 0)
			goto out;
	}
	for (size_t i = 0; i < dedupe_batch_count(b) && !r->broken; i++)
		relay_group(r, al, dedupe_batch_group(b, i));
out:
	dedupe_batch_free(b);
	free(al);
}

/* -------------------------------------------------------------------------- */
/* Follow-ups: repeats counted in a window that has closed since */

static void relay_flush_key(struct relay *r, const char *key)
{
	bool open = true;
	struct alert_mail m;
	redisReply *hash = NULL, *ids = NULL;
	alert_mail_init(&m);
	if (!relay_exists(r, "window:", key, &open) || open ||
	    !relay_pending_read(r, key, &m, &hash, &ids))
		goto out;
	char window[24], taken[24], shown[24];
	snprintf(window, sizeof(window), "%ld", r->cfg->alerts.dedupe_window);
	snprintf(taken, sizeof(taken), "%ld", m.pending);
	snprintf(shown, sizeof(shown), "%zu", m.pending_ids_shown);
	const char *args[] = { r->prefix, key, DELIVERED_TTL, window, taken, shown };
	enum dedupe_verdict v = dedupe_decide(open, m.pending, 0);
	if (v == DEDUPE_NOTHING) {
		/* A key without a count (expired or corrupt): forget it. */
		char *set = relay_key(r, "pendkeys", "");
		const char *argv[] = { "SREM", set, key };
		if (set != NULL)
			redis_conn_reply_free(relay_cmd(r, 3, argv));
		free(set);
	} else if (relay_deliver(r, &m)) {
		relay_eval(r, commit_lua, args, 6);
	}
out:
	redis_conn_reply_free(hash);
	redis_conn_reply_free(ids);
}

static void relay_flush(struct relay *r)
{
	char *set = relay_key(r, "pendkeys", "");
	const char *argv[] = { "SMEMBERS", set };
	redisReply *rep = set != NULL ? relay_cmd(r, 2, argv) : NULL;
	for (size_t i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i < rep->elements &&
	    !r->broken; i++)
		if (rep->element[i]->str != NULL)
			relay_flush_key(r, rep->element[i]->str);
	redis_conn_reply_free(rep);
	free(set);
}

/* -------------------------------------------------------------------------- */
/* Reading the stream */

/* Takes over entries other consumers left pending longer than max_idle_ms. */
static void relay_reclaim(struct relay *r)
{
	char cursor[64] = "0-0", idle[24];
	snprintf(idle, sizeof(idle), "%ld", r->max_idle_ms);
	do {
		const char *argv[] = { "XAUTOCLAIM", r->stream, RELAY_GROUP, r->consumer, idle,
		    cursor, "COUNT", BATCH, "JUSTID" };
		redisReply *rep = relay_cmd(r, 9, argv);
		if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
		    rep->element[0]->str == NULL) {
			redis_conn_reply_free(rep);
			return;
		}
		if (rep->element[1]->elements > 0)
			log_info("alerts: %s took over %zu pending alert(s)", r->consumer,
			    rep->element[1]->elements);
		snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
		redis_conn_reply_free(rep);
	} while (strcmp(cursor, "0-0") != 0 && !relay_stop);
}

/*
 * One XREADGROUP from id ("0"-style: our own pending entries after it; ">":
 * new ones, blocking).  Returns the number of entries processed and leaves
 * the last id in last; -1 on a Redis error.
 */
static long relay_read(struct relay *r, const char *id, const char *block, char last[64])
{
	const char *argv[] = { "XREADGROUP", "GROUP", RELAY_GROUP, r->consumer, "COUNT", BATCH,
	    "BLOCK", block, "STREAMS", r->stream, id };
	int argc = block != NULL ? 11 : 9;
	if (block == NULL) {
		argv[6] = "STREAMS";
		argv[7] = r->stream;
		argv[8] = id;
	}
	redisReply *rep = relay_cmd(r, argc, argv);
	if (rep == NULL)
		return -1;
	const redisReply *entries = view_xread_entries(rep);
	long n = entries != NULL ? (long)entries->elements : 0;
	if (n > 0) {
		const redisReply *tail = entries->element[n - 1];
		if (tail->type == REDIS_REPLY_ARRAY && tail->elements > 0 && tail->element[0]->str)
			snprintf(last, 64, "%s", tail->element[0]->str);
		relay_batch(r, entries);
	}
	redis_conn_reply_free(rep);
	return n;
}

/* Our own pending entries (a previous run's, or failed deliveries), oldest first. */
static void relay_drain_own(struct relay *r)
{
	char last[64] = "0";
	while (!relay_stop && !r->broken && relay_read(r, last, NULL, last) > 0)
		;
}

static bool relay_setup(struct relay *r)
{
	const char *argv[] = { "XGROUP", "CREATE", r->stream, RELAY_GROUP, "0", "MKSTREAM" };
	size_t len[6];
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = redis_conn_command(r->rc, 6, argv, len);
	bool ok = rep != NULL && (rep->type != REDIS_REPLY_ERROR ||
	    strncmp(rep->str, "BUSYGROUP", 9) == 0);
	if (!ok)
		log_warnx("alerts: XGROUP CREATE %s: %s", r->stream,
		    rep == NULL ? redis_conn_error(r->rc) : rep->str);
	redis_conn_reply_free(rep);
	return ok;
}

/* Connects (again) and catches up: reclaim, own pending, follow-ups. */
static bool relay_connect(struct relay *r)
{
	char err[512] = "";
	redis_conn_close(r->rc);
	r->broken = false;
	if ((r->rc = redis_conn_open(&r->cfg->redis, err, sizeof(err))) == NULL) {
		log_warnx("alerts: %s", err);
		r->broken = r->failed = true;
		return false;
	}
	if (!relay_setup(r)) {
		r->broken = true;
		return false;
	}
	relay_reclaim(r);
	relay_drain_own(r);
	relay_flush(r);
	return !r->broken;
}

/* The group's pending count (read, not yet delivered), for the metrics only. */
static void relay_pending(struct relay *r)
{
	const char *argv[] = { "XPENDING", r->stream, RELAY_GROUP };
	redisReply *rep;

	if (!alert_metrics_enabled())
		return;
	rep = relay_cmd(r, 3, argv);
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER)
		alert_metrics_pending(relay_route(r), rep->element[0]->integer);
	redis_conn_reply_free(rep);
}

static void relay_loop(struct relay *r)
{
	char block[24], last[64];
	long ms = (long)(r->cfg->redis.timeout * 500);
	time_t catchup = time(NULL) + RETRY_SECONDS, pending = 0;
	snprintf(block, sizeof(block), "%ld", ms > 0 ? ms : 100);
	while (!relay_stop) {
		if (r->broken) {
			sleep(1);
			relay_connect(r);
			continue;
		}
		relay_read(r, ">", block, last);
		if (time(NULL) >= pending) {
			relay_pending(r);
			pending = time(NULL) + PENDING_SECONDS;
		}
		if (time(NULL) >= catchup) {
			/* Failed deliveries, dead peers' entries, windows that closed. */
			r->failed = false;
			relay_reclaim(r);
			relay_drain_own(r);
			relay_flush(r);
			catchup = time(NULL) + RETRY_SECONDS;
		}
	}
}

int relay_run(const struct cfg *c, const struct relay_opts *o)
{
	struct relay r = { .cfg = c, .max_idle_ms = o->max_idle_ms };
	struct sigaction sa = { .sa_handler = relay_on_signal };
	char host[128] = "localhost";

	r.prefix = c->redis.prefix != NULL ? c->redis.prefix : "fwdguard:";
	if (asprintf(&r.stream, "%salerts", r.prefix) < 0)
		return 1;
	gethostname(host, sizeof(host) - 1);
	if (o->consumer != NULL)
		snprintf(r.consumer, sizeof(r.consumer), "%s", o->consumer);
	else
		snprintf(r.consumer, sizeof(r.consumer), "%s:%ld", host, (long)getpid());
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	alert_metrics_route(relay_route(&r));
	bool ok = relay_connect(&r);
	if (!o->once) {
		log_info("alerts: relay %s on %s started", r.consumer, r.stream);
		relay_loop(&r);
		ok = true;
	} else {
		/* Catch up on what arrived meanwhile, without waiting. */
		char last[64];
		while (ok && !r.broken && !relay_stop && relay_read(&r, ">", NULL, last) > 0)
			;
		ok = ok && !r.failed && !r.broken;
	}
	redis_conn_close(r.rc);
	free(r.stream);
	return ok ? 0 : 1;
}

/* -------------------------------------------------------------------------- */
/* Submission */

#define SENDMAIL_ARGS	32
#define SENDMAIL_WAIT_S	120

/* Feeds msg to the child's stdin and reaps it within the time bound; exit status or -1. */
static int relay_feed(pid_t pid, int fd, const char *msg, size_t len, char *err, size_t errsize)
{
	int status = 0;
	while (len > 0) {
		ssize_t w = write(fd, msg, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;	/* the exit status says why */
		msg += w;
		len -= (size_t)w;
	}
	close(fd);
	for (int i = 0; i < SENDMAIL_WAIT_S * 10; i++) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (got < 0 && errno != EINTR) {
			snprintf(err, errsize, "waitpid: %s", strerror(errno));
			return -1;
		}
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	snprintf(err, errsize, "sendmail did not finish within %d s", SENDMAIL_WAIT_S);
	return -1;
}

int relay_sendmail(const char *command, const char *from, const char *to,
    const char *msg, size_t len, char *err, size_t errsize)
{
	char *copy = strdup(command), *save = NULL;
	char *argv[SENDMAIL_ARGS + 6];
	int argc = 0, fds[2], rv = -1;

	snprintf(err, errsize, "cannot run %s", command);
	if (copy == NULL)
		return -1;
	for (char *w = strtok_r(copy, " \t", &save); w != NULL && argc < SENDMAIL_ARGS;
	    w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc++] = (char *)"-i";
	argv[argc++] = (char *)"-f";
	argv[argc++] = (char *)from;
	argv[argc++] = (char *)"--";
	argv[argc++] = (char *)to;
	argv[argc] = NULL;
	if (argc > 5 && pipe2(fds, O_CLOEXEC) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			dup2(fds[0], STDIN_FILENO);
			execv(argv[0], argv);
			_exit(127);
		}
		close(fds[0]);
		if (pid < 0) {
			close(fds[1]);
			snprintf(err, errsize, "fork: %s", strerror(errno));
		} else {
			int st = relay_feed(pid, fds[1], msg, len, err, errsize);
			if (st == 0)
				rv = 0;
			else if (st > 0)
				snprintf(err, errsize, "%s exited with status %d", argv[0], st);
		}
	}
	free(copy);
	return rv;
}
