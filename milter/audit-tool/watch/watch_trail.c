/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_trail.c - what fwdguard-audit watch writes (see watch.h): its
 * records, through a spool of its own and the daemon's shipper code (so
 * they carry a hash chain and land once each in the same streams), and
 * the last known set of forwards in Redis, <prefix>watch:forwards.
 *
 * Order: the records are durable in the spool before the set is saved.
 * A crash in between reports those changes again at the next start
 * (twice rather than never); the set is saved whole with one SET, so a
 * reader never sees half of it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "ids.h"
#include "log.h"
#include "record.h"
#include "record_fields.h"
#include "redis_conn.h"
#include "watch_int.h"

#define TRAIL_BATCH	256	/* records per spool commit */
#define TRAIL_RULE	"directory-change"

struct watch_trail {
	const struct cfg *cfg;
	struct audit *audit;
	struct redis_conn *rc;
	char *key;
	char *unsaved;		/* the encoded set Redis has not taken yet */
	size_t unsaved_len;
	bool save_failing;	/* logged once until a save works again */
	char host[256];
};

struct watch_trail *watch_trail_open(const struct cfg *c, char *err, size_t errsize)
{
	struct watch_trail *t = calloc(1, sizeof(*t));
	char *dir = NULL;

	if (t == NULL || asprintf(&t->key, "%swatch:forwards", c->redis.prefix) < 0) {
		free(t);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	t->cfg = c;
	if (gethostname(t->host, sizeof(t->host) - 1) != 0 || t->host[0] == '\0')
		snprintf(t->host, sizeof(t->host), "unknown");
	if (c->ldap.watch_spool != NULL)
		dir = strdup(c->ldap.watch_spool);
	else if (asprintf(&dir, "%s/watch", c->audit.spool) >= 0)
		/* The daemon's spool may not exist on a host that only watches. */
		(void)mkdir(c->audit.spool, 0750);
	if (dir != NULL)
		t->audit = audit_open_spool(c, dir, err, errsize);
	else
		snprintf(err, errsize, "out of memory");
	free(dir);
	if (t->audit == NULL) {
		watch_trail_close(t);
		return NULL;
	}
	return t;
}

void watch_trail_close(struct watch_trail *t)
{
	if (t == NULL)
		return;
	audit_close(t->audit);
	redis_conn_close(t->rc);
	free(t->key);
	free(t->unsaved);
	free(t);
}

/* One command on the kept connection (opened on demand, dropped after a failure). */
static redisReply *trail_cmd(struct watch_trail *t, int argc, const char **argv,
    const size_t *len, char *err, size_t errsize)
{
	if (t->rc == NULL && (t->rc = redis_conn_open(&t->cfg->redis, err, errsize)) == NULL)
		return NULL;
	redisReply *r = redis_conn_command(t->rc, argc, argv, len);
	if (r == NULL) {
		snprintf(err, errsize, "%s", redis_conn_error(t->rc));
		redis_conn_close(t->rc);
		t->rc = NULL;
	} else if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "%s", r->str);
		redis_conn_reply_free(r);
		r = NULL;
	}
	return r;
}

int watch_trail_load(struct watch_trail *t, struct watch_set **set, long long *baseline_ms,
    char *err, size_t errsize)
{
	const char *argv[] = { "GET", t->key };
	size_t len[] = { 3, strlen(t->key) };
	redisReply *r = trail_cmd(t, 2, argv, len, err, errsize);
	int rv = -1;

	*set = NULL;
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_NIL)
		rv = 0;
	else if (r->type == REDIS_REPLY_STRING &&
	    (*set = watch_set_decode(r->str, r->len, baseline_ms)) != NULL)
		rv = 1;
	else
		/* Never taken for "no baseline": that would report every forward again. */
		snprintf(err, errsize, "%s holds no forward set fwdguard can read (delete it to "
		    "record a new baseline)", t->key);
	redis_conn_reply_free(r);
	return rv;
}

int watch_trail_flush(struct watch_trail *t)
{
	char err[512];

	if (t->unsaved == NULL)
		return 0;
	const char *argv[] = { "SET", t->key, t->unsaved };
	size_t len[] = { 3, strlen(t->key), t->unsaved_len };
	redisReply *r = trail_cmd(t, 3, argv, len, err, sizeof(err));
	if (r == NULL) {
		if (!t->save_failing)
			log_warnx("watch: cannot save the forward set in %s yet (%s); the records "
			    "are in the spool, the set is saved when Redis answers", t->key, err);
		t->save_failing = true;
		return -1;
	}
	redis_conn_reply_free(r);
	if (t->save_failing)
		log_notice("watch: the forward set is saved in %s again", t->key);
	t->save_failing = false;
	free(t->unsaved);
	t->unsaved = NULL;
	return 0;
}

/* ---- records ------------------------------------------------------------------ */

struct trail_batch {
	struct watch_trail *t;
	const struct watch_scan *scan;
	char ts[24];
	struct record *recs[TRAIL_BATCH + 1];
	size_t n;
	long changes;
	size_t external;	/* at the baseline: forwards the digest names */
	char *digest;		/* "mailbox -> target; ..." for the digest alert */
	size_t digest_len;
	FILE *digest_f;
};

static int trail_commit(struct trail_batch *b)
{
	int rv = b->n == 0 ? 0 : audit_commit(b->t->audit, b->recs, b->n);

	for (size_t i = 0; i < b->n; i++)
		record_free(b->recs[i]);
	b->n = 0;
	return rv;
}

/* The sentence a person reads, in the record's reason and the alert's summary. */
static void trail_reason(char *buf, size_t size, const struct watch_item *it,
    enum watch_change ch, const struct watch_entry *we)
{
	const char *who = we != NULL && *we->modifiers_name != '\0' ? we->modifiers_name : "unknown";
	const char *when = we != NULL && *we->modify_timestamp != '\0' ? we->modify_timestamp :
	    "unknown";

	if (ch == WATCH_ADDED)
		snprintf(buf, size, "%s's directory entry now forwards to %s (%s of %s; changed by "
		    "%s at %s)", it->mailbox, it->target, it->attribute, it->entry, who, when);
	else if (ch == WATCH_REMOVED && we != NULL)
		snprintf(buf, size, "%s's directory entry no longer forwards to %s (%s of %s; "
		    "changed by %s at %s)", it->mailbox, it->target, it->attribute, it->entry, who,
		    when);
	else if (ch == WATCH_REMOVED)
		snprintf(buf, size, "%s's forward to %s (%s of %s) is gone: the entry is no longer "
		    "a protected entry (deleted, renamed or no longer protected)", it->mailbox,
		    it->target, it->attribute, it->entry);
	else
		snprintf(buf, size, "%s's directory entry forwards to %s (%s of %s; last changed by "
		    "%s at %s) when fwdguard-audit watch first looked (baseline)", it->mailbox,
		    it->target, it->attribute, it->entry, who, when);
}

static int trail_common(struct record *r, struct trail_batch *b, const struct watch_item *it,
    enum watch_change ch, const struct watch_entry *we, const char *id)
{
	int rc = 0;

	rc |= record_set(r, REC_ID, id);
	rc |= record_set(r, REC_TS, b->ts);
	rc |= record_set(r, REC_HOST, b->t->host);
	rc |= record_set(r, REC_MAILBOX, it->mailbox);
	rc |= record_set(r, REC_DESTINATION, destination_name(it->dest));
	rc |= record_set(r, REC_TARGET, it->target);
	rc |= record_set(r, REC_RULE, TRAIL_RULE);
	rc |= record_set(r, REC_CHANGE, watch_change_name(ch));
	rc |= record_set(r, REC_ENTRY, it->entry);
	rc |= record_set(r, REC_ATTRIBUTE, it->attribute);
	rc |= record_set(r, REC_MODIFIERS_NAME, we != NULL ? we->modifiers_name : "");
	rc |= record_set(r, REC_MODIFY_TIMESTAMP, we != NULL ? we->modify_timestamp : "");
	return rc;
}

/* The level of a change: a forward gained to where no exception allows is the alert. */
static enum alert_level trail_level(const struct watch_trail *t, const struct watch_item *it,
    enum watch_change ch)
{
	if (ch == WATCH_ADDED && it->dest == DEST_EXTERNAL)
		return t->cfg->ldap.watch_alert;
	return ALERT_INFO;
}

static int trail_change(void *ctx, const struct watch_item *it, enum watch_change ch)
{
	struct trail_batch *b = ctx;
	const struct watch_entry *we = watch_scan_entry(b->scan, it->entry);
	enum alert_level level = trail_level(b->t, it, ch);
	char id[IDS_LEN + 1], reason[RECORD_VALUE_MAX];
	struct record *r;
	int rc;

	trail_reason(reason, sizeof(reason), it, ch, we);
	ids_new(id);
	if ((r = record_new(REC_KIND_DECISION)) == NULL)
		return -1;
	b->recs[b->n++] = r;
	rc = trail_common(r, b, it, ch, we, id);
	rc |= record_set(r, REC_LEVEL, alert_level_name(level));
	rc |= record_set(r, REC_REASON, reason);
	rc |= record_set(r, REC_POLICY, b->t->cfg->digest);
	if (ch == WATCH_ADDED && it->dest == DEST_EXTERNAL && level != ALERT_NONE) {
		char aid[IDS_LEN + 1];
		ids_new(aid);
		if ((r = record_new(REC_KIND_ALERT)) == NULL)
			return -1;
		b->recs[b->n++] = r;
		rc |= trail_common(r, b, it, ch, we, aid);
		rc |= record_set(r, REC_LEVEL, alert_level_name(level));
		rc |= record_set(r, REC_DECISION_ID, id);
		rc |= record_set(r, REC_SUMMARY, reason);
	}
	if (ch == WATCH_BASELINE && it->dest == DEST_EXTERNAL) {
		fprintf(b->digest_f, "%s%s -> %s", b->external > 0 ? "; " : "", it->mailbox,
		    it->target);
		b->external++;
	}
	/* The baseline is summed up in one line (trail_digest), not one per forward. */
	if (ch != WATCH_BASELINE)
		log_notice("watch: %s (%s)", reason, watch_change_name(ch));
	b->changes++;
	if (rc != 0)
		return -1;
	return b->n + 2 > TRAIL_BATCH ? trail_commit(b) : 0;
}

/* The one alert of a first start: how many external forwards exist, and which. */
static int trail_digest(struct trail_batch *b)
{
	enum alert_level level = b->t->cfg->ldap.watch_alert;
	char id[IDS_LEN + 1], target[64], count[24], summary[512];
	struct record *r;
	int rc = 0;

	if (b->external == 0 || level == ALERT_NONE)
		return 0;
	ids_new(id);
	snprintf(count, sizeof(count), "%zu", b->external);
	snprintf(target, sizeof(target), "%zu external forward%s", b->external,
	    b->external == 1 ? "" : "s");
	snprintf(summary, sizeof(summary), "fwdguard-audit watch first looked at the directory: "
	    "protected mailboxes already forward to %s outside (baseline; later changes are "
	    "alerted one by one)", target);
	if ((r = record_new(REC_KIND_ALERT)) == NULL)
		return -1;
	b->recs[b->n++] = r;
	rc |= record_set(r, REC_ID, id);
	rc |= record_set(r, REC_TS, b->ts);
	rc |= record_set(r, REC_LEVEL, alert_level_name(level));
	rc |= record_set(r, REC_HOST, b->t->host);
	rc |= record_set(r, REC_MAILBOX, "");
	rc |= record_set(r, REC_TARGET, target);
	rc |= record_set(r, REC_DESTINATION, "external");
	rc |= record_set(r, REC_RULE, TRAIL_RULE);
	rc |= record_set(r, REC_CHANGE, "baseline");
	rc |= record_set(r, REC_FORWARDS, b->digest != NULL ? b->digest : "");
	rc |= record_set(r, REC_FORWARDS_COUNT, count);
	rc |= record_set(r, REC_SUMMARY, summary);
	log_notice("watch: %s", summary);
	return rc;
}

/* Remembers the scan's set as the one to save (and saves it). */
static void trail_remember(struct watch_trail *t, const struct watch_set *set, long long base_ms)
{
	size_t len;
	char *text = watch_set_encode(set, base_ms, &len);

	if (text == NULL) {
		log_warnx("watch: out of memory encoding the forward set; it is saved later");
		return;
	}
	free(t->unsaved);
	t->unsaved = text;
	t->unsaved_len = len;
	(void)watch_trail_flush(t);
}

long watch_trail_apply(struct watch_trail *t, const struct watch_set *old,
    const struct watch_scan *scan, long long baseline_ms)
{
	struct trail_batch b = { .t = t, .scan = scan };
	struct timespec now;
	long rv = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(b.ts, sizeof(b.ts), "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	if ((b.digest_f = open_memstream(&b.digest, &b.digest_len)) == NULL)
		return -1;
	long n = watch_set_diff(old, scan->set, trail_change, &b);
	int closed = fclose(b.digest_f);
	if (n >= 0 && closed == 0 && (old != NULL || trail_digest(&b) == 0) &&
	    trail_commit(&b) == 0)
		rv = b.changes;
	else
		log_warn("watch: cannot make the records of %ld directory changes durable in the "
		    "spool; they are tried again", b.changes);
	for (size_t i = 0; i < b.n; i++)
		record_free(b.recs[i]);
	free(b.digest);
	if (rv >= 0 && (rv > 0 || old == NULL))
		trail_remember(t, scan->set, baseline_ms);
	return rv;
}
