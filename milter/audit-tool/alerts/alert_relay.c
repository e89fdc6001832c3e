/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_relay.c - one channel of "fwdguard-audit alerts": its consumer
 * group on <prefix>alerts, its dedupe state, its retries (see alert_relay.h
 * for the Redis keys and the delivery contract).
 *
 * Order of one group's delivery: sent (sendmail exit 0, webhook 2xx), then
 * one Lua script marks every alert delivered, opens the window and takes
 * the sent repeats off the pending count, then XACK.  A relay killed
 * between the send and the script sends that group again when restarted:
 * that is the one window where an alert can reach a channel twice.
 * Counting a repeat is a single script (marker SET NX + count), so it is
 * exactly once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "record_fields.h"
#include "redis_conn.h"

#define BATCH		"100"
#define DELIVERED_TTL	"604800"	/* 7 days: longer than any pending entry lives */
#define RETRY_SECONDS	30		/* catch-up of a healthy channel */
#define BACKOFF_MIN	2		/* first retry of a failing channel, doubling */
#define BACKOFF_MAX	60
#define PENDING_SECONDS	5		/* how often the pending count is read for the metrics */

struct relay {
	const struct cfg *cfg;
	const struct relay_chan *ch;
	struct redis_conn *rc;
	const char *prefix;
	char *stream;
	char *ns;		/* prefix + the channel's namespace */
	char consumer[256];
	long max_idle_ms;
	bool failed;		/* a delivery or Redis command failed in this run */
	bool broken;		/* the connection is unusable */
};

static volatile sig_atomic_t relay_stop;

void relay_stop_request(void)
{
	relay_stop = 1;
}

bool relay_stopping(void)
{
	return relay_stop != 0;
}

/* Runs a command given as NUL-terminated strings; NULL after logging why. */
static redisReply *relay_cmd(struct relay *r, int argc, const char **argv)
{
	size_t len[argc];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = redis_conn_command(r->rc, argc, argv, len);
	if (rep == NULL) {
		log_warnx("alerts: %s: %s: %s", r->ch->name, argv[0], redis_conn_error(r->rc));
		r->broken = r->failed = true;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		log_warnx("alerts: %s: %s: %s", r->ch->name, argv[0], rep->str);
		r->failed = true;
		redis_conn_reply_free(rep);
		return NULL;
	}
	return rep;
}

static char *relay_key(const struct relay *r, const char *what, const char *key)
{
	char *s;
	return asprintf(&s, "%s%s%s", r->ns, what, key) < 0 ? NULL : s;
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
	argv[2] = r->ch->group;
	memcpy(argv + 3, sids, n * sizeof(*argv));
	redis_conn_reply_free(relay_cmd(r, (int)n + 3, argv));
	free(argv);
}

/* -------------------------------------------------------------------------- */
/* Redis state of a group (ARGV[1] is the channel's namespace) */

/* Counts repeats once each: SET NX of the delivered marker guards the count. */
static const char count_lua[] =
    "local p, key, ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local h, l = p..'pending:'..key, p..'pendids:'..key\n"
    "local added = 0\n"
    "for i = 11, #ARGV, 3 do\n"
    "  if redis.call('SET', p..'delivered:'..ARGV[i], '1', 'NX', 'EX', ttl) then\n"
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
    "  redis.call('SADD', p..'pendkeys', key)\n"
    "end\n"
    "return added\n";

/* After a send: markers, window, and the sent repeats off the count. */
static const char commit_lua[] =
    "local p, key, ttl = ARGV[1], ARGV[2], ARGV[3]\n"
    "local window, taken, shown = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "local h, l = p..'pending:'..key, p..'pendids:'..key\n"
    "for i = 7, #ARGV do\n"
    "  redis.call('SET', p..'delivered:'..ARGV[i], '1', 'EX', ttl)\n"
    "end\n"
    "if window > 0 then redis.call('SET', p..'window:'..key, '1', 'EX', window) end\n"
    "if taken > 0 then\n"
    "  if redis.call('HINCRBY', h, 'count', -taken) <= 0 then\n"
    "    redis.call('DEL', h, l)\n"
    "    redis.call('SREM', p..'pendkeys', key)\n"
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
		    (t = view_get(&e, REC_TARGET)) != NULL && strcasecmp(t, target) == 0) {
			first = view_entry_ms(&e);
			break;
		}
	}
	redis_conn_reply_free(rep);
	return first;
}

/*
 * The channel as the metrics name it (label "route"): the security team's
 * "mail" ("syslog" when no mail is configured), else its group without
 * "relay:": "hr:mail", "hr:webhook", "@owner".
 */
static const char *relay_metrics_route(const struct relay *r)
{
	if (strcmp(r->ch->group, RELAY_GROUP) == 0)
		return r->cfg->alerts.mail_to != NULL ? ALERT_ROUTE_MAIL : ALERT_ROUTE_SYSLOG;
	return strncmp(r->ch->group, "relay:", 6) == 0 ? r->ch->group + 6 : r->ch->group;
}

/* Sends m through the channel; true when it went out. */
static bool relay_deliver(struct relay *r, struct alert_mail *m)
{
	char line[1024], err[512] = "";
	long long hist = relay_first_seen(r, m->mailbox, m->target);
	if (hist > 0 && (m->first_ms == 0 || hist < m->first_ms))
		m->since_ms = hist;
	if (r->ch->ops->deliver(r->ch->ctx, m, err, sizeof(err)) == 0) {
		alert_metrics_sent(relay_metrics_route(r));
		return true;
	}
	alert_mail_syslog_line(m, line, sizeof(line));
	log_warnx("alerts: %s: not delivered (%s); will retry: %s", r->ch->name, err, line);
	r->failed = true;
	alert_metrics_failed(relay_metrics_route(r));
	return false;
}

static void relay_count(struct relay *r, struct relay_alert *al, const struct dedupe_group *g,
    const char **args, size_t na, const char **sids)
{
	static const char *const f[] = { REC_MAILBOX, REC_TARGET, REC_RULE, REC_ACTION, REC_MODE,
	    REC_DESTINATION, REC_LEVEL };
	const struct view_entry *e0 = &al[g->members[0]].e;
	for (size_t i = 0; i < 7; i++)
		args[na++] = view_get(e0, f[i]) != NULL ? view_get(e0, f[i]) : "";
	for (size_t i = 0; i < g->n; i++) {
		struct relay_alert *a = &al[g->members[i]];
		const char *d = view_get(&a->e, REC_DECISION_ID);
		args[na++] = a->id;
		args[na++] = d != NULL ? d : a->id;
		args[na++] = a->ts;
	}
	if (relay_eval(r, count_lua, args, na)) {
		relay_ack(r, sids, g->n);
		alert_metrics_deduplicated(relay_metrics_route(r), g->n);
	}
}

/* Sends (or counts) one group of the batch; acks what it delivered. */
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
	args[na++] = r->ns;
	args[na++] = g->key;
	args[na++] = DELIVERED_TTL;
	if (dedupe_decide(open, m.pending, g->n) == DEDUPE_COUNT) {
		relay_count(r, al, g, args, na, sids);
		goto out;
	}
	m.count = g->n;
	if (m.first_ms == 0 || g->first_ms < m.first_ms)
		m.first_ms = g->first_ms;
	if (g->last_ms > m.last_ms)
		m.last_ms = g->last_ms;
	for (size_t i = 0; i < g->n && m.nids < ALERT_MAIL_IDS; i++) {
		const char *d = view_get(&al[g->members[i]].e, REC_DECISION_ID);
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

/* Whether the entry is for no one (acked here) or not yet (left pending). */
static bool relay_skip(struct relay *r, struct relay_alert *a)
{
	bool seen = false;
	if (view_get(&a->e, REC_TYPE) != NULL && strcmp(view_get(&a->e, REC_TYPE), REC_TYPE_ANCHOR) == 0) {
		/* A chain head for the record outside Redis, not news for a team. */
		const char *sum = view_get(&a->e, REC_SUMMARY);
		if (strcmp(r->ch->group, RELAY_GROUP) == 0)
			log_notice("alerts: %s", sum != NULL ? sum : a->id);
		relay_ack(r, &a->e.stream_id, 1);
		return true;
	}
	if (alert_notice_is(&a->e)) {
		/* A mailbox's own notice (rule notify: mailbox), not news for a team:
		 * the security team's channel sends it, once; the others pass it. */
		if (strcmp(r->ch->group, RELAY_GROUP) != 0 ||
		    alert_notice_send(r->rc, r->cfg, &a->e) == 0)
			relay_ack(r, &a->e.stream_id, 1);
		else
			r->failed = true;
		return true;
	}
	if (relay_exists(r, "delivered:", a->id, &seen) && seen) {
		relay_ack(r, &a->e.stream_id, 1);
		return true;
	}
	switch (r->ch->ops->match(r->ch->ctx, &a->e)) {
	case ROUTE_YES:
		return false;
	case ROUTE_NO:
		relay_ack(r, &a->e.stream_id, 1);
		return true;
	default:
		/* The directory did not answer: ask again at the next catch-up. */
		r->failed = true;
		return true;
	}
}

/* Parses entries; acks the malformed, the delivered and the unmatched; how many are left. */
static size_t relay_parse(struct relay *r, const redisReply *entries, struct relay_alert *al)
{
	size_t left = 0;
	for (size_t i = 0; i < entries->elements; i++) {
		struct relay_alert *a = &al[i];
		const redisReply *el = entries->element[i];
		memset(a, 0, sizeof(*a));
		if (view_entry_from_reply(el, &a->e) != 0 || (a->id = view_get(&a->e, REC_ID)) == NULL ||
		    *a->id == '\0') {
			/* A deleted or foreign entry: nothing to deliver, never retry it. */
			if (el->type == REDIS_REPLY_ARRAY && el->elements > 0 &&
			    el->element[0]->type == REDIS_REPLY_STRING) {
				const char *sid = el->element[0]->str;
				log_warnx("alerts: %s: entry %s is not an alert record; acknowledged",
				    r->ch->name, sid);
				relay_ack(r, &sid, 1);
			}
			a->done = true;
			continue;
		}
		a->ts_ms = view_entry_ms(&a->e);
		snprintf(a->ts, sizeof(a->ts), "%lld", a->ts_ms);
		if ((a->done = relay_skip(r, a)))
			continue;
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
		struct dedupe_item it = { view_get(&al[i].e, REC_MAILBOX), view_get(&al[i].e, REC_TARGET),
		    view_get(&al[i].e, REC_RULE), al[i].ts_ms };
		if (dedupe_batch_add(b, i, &it) != 0)
			goto out;
	}
	for (size_t i = 0; i < dedupe_batch_count(b) && !r->broken && !relay_stop; i++)
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
	const char *args[] = { r->ns, key, DELIVERED_TTL, window, taken, shown };
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
	    !r->broken && !relay_stop; i++)
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
		const char *argv[] = { "XAUTOCLAIM", r->stream, r->ch->group, r->consumer, idle,
		    cursor, "COUNT", BATCH, "JUSTID" };
		redisReply *rep = relay_cmd(r, 9, argv);
		if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
		    rep->element[0]->str == NULL) {
			redis_conn_reply_free(rep);
			return;
		}
		if (rep->element[1]->elements > 0)
			log_info("alerts: %s: %s took over %zu pending alert(s)", r->ch->name,
			    r->consumer, rep->element[1]->elements);
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
	const char *argv[] = { "XREADGROUP", "GROUP", r->ch->group, r->consumer, "COUNT", BATCH,
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

/*
 * Where a new channel's group starts: where the security team's stands,
 * so a route added to a running installation takes the alerts the team
 * has not been sent yet, not the stream's whole history; "0" on a new
 * installation (alerts written before the first relay ran).
 */
static void relay_start_id(struct relay *r, char *out, size_t size)
{
	const char *eargv[] = { "EXISTS", r->stream };
	const char *argv[] = { "XINFO", "GROUPS", r->stream };
	snprintf(out, size, "0");
	if (strcmp(r->ch->group, RELAY_GROUP) == 0)
		return;
	redisReply *rep = relay_cmd(r, 2, eargv);
	bool exists = rep != NULL && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0;
	redis_conn_reply_free(rep);
	rep = exists ? relay_cmd(r, 3, argv) : NULL;
	for (size_t i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
		const redisReply *g = rep->element[i];
		const char *name = NULL, *last = NULL;
		for (size_t j = 0; g->type == REDIS_REPLY_ARRAY && j + 1 < g->elements; j += 2) {
			const char *k = g->element[j]->str, *v = g->element[j + 1]->str;
			if (k != NULL && strcmp(k, "name") == 0)
				name = v;
			else if (k != NULL && strcmp(k, "last-delivered-id") == 0)
				last = v;
		}
		if (name != NULL && last != NULL && strcmp(name, RELAY_GROUP) == 0)
			snprintf(out, size, "%s", last);
	}
	redis_conn_reply_free(rep);
}

static bool relay_setup(struct relay *r)
{
	char start[64];
	relay_start_id(r, start, sizeof(start));
	const char *argv[] = { "XGROUP", "CREATE", r->stream, r->ch->group, start, "MKSTREAM" };
	size_t len[6];
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = redis_conn_command(r->rc, 6, argv, len);
	bool ok = rep != NULL && (rep->type != REDIS_REPLY_ERROR ||
	    strncmp(rep->str, "BUSYGROUP", 9) == 0);
	if (!ok)
		log_warnx("alerts: %s: XGROUP CREATE %s: %s", r->ch->name, r->stream,
		    rep == NULL ? redis_conn_error(r->rc) : rep->str);
	redis_conn_reply_free(rep);
	return ok;
}

bool relay_chan_prepare(const struct cfg *c, const struct relay_chan *ch)
{
	struct relay r = { .cfg = c, .ch = ch };
	char err[512] = "";
	bool ok = false;

	r.prefix = rec_prefix(c->redis.prefix);
	if (asprintf(&r.stream, "%salerts", r.prefix) < 0)
		return false;
	if ((r.rc = redis_conn_open(&c->redis, err, sizeof(err))) == NULL)
		log_warnx("alerts: %s: %s", ch->name, err);
	else
		ok = relay_setup(&r);
	redis_conn_close(r.rc);
	free(r.stream);
	return ok;
}

/* Catch-up: dead peers' entries, our own pending ones, windows that closed. */
static void relay_catch_up(struct relay *r)
{
	relay_reclaim(r);
	relay_drain_own(r);
	relay_flush(r);
}

/* Connects (again) and catches up. */
static bool relay_connect(struct relay *r)
{
	char err[512] = "";
	redis_conn_close(r->rc);
	r->broken = false;
	if ((r->rc = redis_conn_open(&r->cfg->redis, err, sizeof(err))) == NULL) {
		log_warnx("alerts: %s: %s", r->ch->name, err);
		r->broken = r->failed = true;
		return false;
	}
	if (!relay_setup(r)) {
		r->broken = true;
		return false;
	}
	relay_catch_up(r);
	return !r->broken;
}

/* The group's pending count (read, not yet delivered), for the metrics only. */
static void relay_pending(struct relay *r)
{
	const char *argv[] = { "XPENDING", r->stream, r->ch->group };
	redisReply *rep;

	if (!alert_metrics_enabled())
		return;
	rep = relay_cmd(r, 3, argv);
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER)
		alert_metrics_pending(relay_metrics_route(r), rep->element[0]->integer);
	redis_conn_reply_free(rep);
}

static void relay_loop(struct relay *r)
{
	char block[24], last[64];
	long ms = (long)(r->cfg->redis.timeout * 500);
	long backoff = BACKOFF_MIN;
	time_t catchup = time(NULL) + (r->failed ? backoff : RETRY_SECONDS), pending = 0;
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
		if (time(NULL) < catchup)
			continue;
		r->failed = false;
		relay_catch_up(r);
		/* A failing channel is retried soon, then less and less often. */
		if (r->failed) {
			catchup = time(NULL) + backoff;
			backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
		} else {
			catchup = time(NULL) + RETRY_SECONDS;
			backoff = BACKOFF_MIN;
		}
	}
}

int relay_chan_run(const struct cfg *c, const struct relay_chan *ch, const struct relay_opts *o)
{
	struct relay r = { .cfg = c, .ch = ch, .max_idle_ms = o->max_idle_ms };
	char host[128] = "localhost";

	r.prefix = rec_prefix(c->redis.prefix);
	if (asprintf(&r.stream, "%salerts", r.prefix) < 0)
		return 1;
	if (asprintf(&r.ns, "%s%s", r.prefix, ch->ns) < 0) {
		free(r.stream);
		return 1;
	}
	gethostname(host, sizeof(host) - 1);
	if (o->consumer != NULL)
		snprintf(r.consumer, sizeof(r.consumer), "%s", o->consumer);
	else
		snprintf(r.consumer, sizeof(r.consumer), "%s:%ld", host, (long)getpid());

	alert_metrics_route(relay_metrics_route(&r));
	bool ok = relay_connect(&r);
	if (!o->once) {
		log_info("alerts: %s: relay %s on %s (group %s) started", ch->name, r.consumer,
		    r.stream, ch->group);
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
	free(r.ns);
	free(r.stream);
	return ok ? 0 : 1;
}
