/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_notice_send.c - mails a mailbox's notice for the alerts relay
 * (see alert_notice_send.h).  At most once: the window is taken (SET NX)
 * before sendmail runs, so two relays, or a relay replaying its pending
 * entries, never tell a mailbox twice; a failed submission gives the
 * window back so the retry can send it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "alert_dedupe.h"
#include "alert_notice.h"
#include "alert_notice_send.h"
#include "alert_sendmail.h"
#include "log.h"
#include "record_fields.h"

bool alert_notice_is(const struct view_entry *e)
{
	const char *type = view_get(e, REC_TYPE);

	return type != NULL && strcmp(type, REC_TYPE_NOTICE) == 0;
}

/* 1 when the window was free and is now taken, 0 when open, -1 on a Redis error. */
static int notice_take(struct redis_conn *rc, const char *key, const char *id, long window)
{
	char ttl[24];
	const char *argv[] = { "SET", key, id, "NX", "EX", ttl };
	size_t len[6];
	redisReply *rep;
	int rv;

	snprintf(ttl, sizeof(ttl), "%ld", window);
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	if ((rep = redis_conn_command(rc, 6, argv, len)) == NULL ||
	    rep->type == REDIS_REPLY_ERROR) {
		log_warnx("alerts: notice window %s: %s", key, rep != NULL ? rep->str :
		    redis_conn_error(rc));
		redis_conn_reply_free(rep);
		return -1;
	}
	rv = rep->type == REDIS_REPLY_NIL ? 0 : 1;
	redis_conn_reply_free(rep);
	return rv;
}

static void notice_give_back(struct redis_conn *rc, const char *key)
{
	const char *argv[] = { "DEL", key };
	size_t len[] = { 3, strlen(key) };

	redis_conn_reply_free(redis_conn_command(rc, 2, argv, len));
}

static int notice_mail(const struct cfg *c, const struct alert_notice *n, char *err,
    size_t errsize)
{
	const struct cfg_alerts *a = &c->alerts;
	const char *from = a->notice_from != NULL ? a->notice_from : a->mail_from;
	const char *contact = a->notice_contact != NULL ? a->notice_contact : a->mail_to;
	size_t len;
	char *msg;
	int rv;

	snprintf(err, errsize, "no alerts.notice.from or alerts.mail.from");
	if (from == NULL)
		return -1;
	snprintf(err, errsize, "out of memory");
	if ((msg = alert_notice_compose(n, from, contact != NULL ? contact : from,
	    a->dedupe_window, time(NULL), &len)) == NULL)
		return -1;
	rv = alert_sendmail_submit(a->sendmail, from, &n->mailbox, 1, msg, len, err, errsize);
	free(msg);
	return rv;
}

int alert_notice_send(struct redis_conn *rc, const struct cfg *c, const struct view_entry *e)
{
	struct alert_notice n;
	char err[512], mb[256], tg[256], *dkey = NULL, *key = NULL;
	int taken = 1, rv = -1;

	alert_notice_init(&n);
	for (size_t i = 0; i < e->n; i++)
		alert_notice_set(&n, e->field[i], e->value[i]);
	n.ts_ms = view_entry_ms(e);
	dedupe_clean(mb, sizeof(mb), n.mailbox, true);
	dedupe_clean(tg, sizeof(tg), n.target, true);
	if (n.mailbox == NULL || strchr(n.mailbox, '@') == NULL) {
		log_warnx("alerts: notice request %s names no mailbox; dropped", e->stream_id);
		return 0;
	}
	if ((dkey = dedupe_key(n.mailbox, n.target, "notice")) == NULL ||
	    asprintf(&key, "%salerts:notice:%s", rec_prefix(c->redis.prefix), dkey) < 0) {
		key = NULL;
		goto out;
	}
	if (c->alerts.dedupe_window > 0 &&
	    (taken = notice_take(rc, key, n.decision_id != NULL ? n.decision_id : "",
	    c->alerts.dedupe_window)) <= 0) {
		if (taken == 0)
			log_info("alerts: notice to %s about %s already sent in its window", mb, tg);
		rv = taken == 0 ? 0 : -1;
		goto out;
	}
	if (notice_mail(c, &n, err, sizeof(err)) != 0) {
		log_warnx("alerts: notice to %s not sent (%s); will retry", mb, err);
		if (c->alerts.dedupe_window > 0)
			notice_give_back(rc, key);
		goto out;
	}
	log_notice("alerts: notice sent to %s: its mail to %s was stopped (decision %s)", mb,
	    tg, dedupe_clean(err, sizeof(err), n.decision_id, true));
	printf("notice: %s told about %s\n", mb, tg);
	fflush(stdout);
	rv = 0;
out:
	free(dkey);
	free(key);
	return rv;
}
