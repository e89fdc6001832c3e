/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_chan.c - the channels of "fwdguard-audit alerts" (see
 * alert_relay.h): what each one takes and how it sends, the thread that
 * runs each, and the exception expiry reminders between them.
 *
 * Channels, each its own consumer group:
 *   alerts.mail                 every alert: syslog, stdout, alerts.mail.to
 *   route NAME mail|webhook     the alerts routes[NAME].match takes
 *   owners                      expiry reminders to the exception's owner
 * Another kind of channel is one more relay_chan_ops and one more line in
 * chan_build.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert_body.h"
#include "alert_expiry.h"
#include "alert_groups.h"
#include "alert_mail.h"
#include "alert_relay.h"
#include "alert_sendmail.h"
#include "alert_webhook.h"
#include "audit_view.h"
#include "log.h"
#include "record_fields.h"
#include "redis_conn.h"

#define CHAN_MAX		(2 * 100 + 2)	/* two per route (cfg_alerts.c), ours */
#define WEBHOOK_ATTEMPTS	3		/* per delivery; then the channel's backoff */
#define EXPIRY_EVERY_S		60
#define OWNER_GROUP		"relay:@owner"	/* '@' is no route name's */

enum chan_kind { CHAN_SECURITY, CHAN_MAIL, CHAN_WEBHOOK, CHAN_OWNER };

struct chan_ctx {
	const struct cfg *cfg;
	enum chan_kind kind;
	const struct cfg_route *route;	/* CHAN_MAIL, CHAN_WEBHOOK */
	struct alert_groups *groups;	/* shared; NULL without ldap.uri */
	struct webhook *wh;
	struct relay_chan chan;
};

/* ---- what a channel takes ----------------------------------------------------- */

static enum route_verdict chan_match(void *ctx, const struct view_entry *e)
{
	struct chan_ctx *cc = ctx;
	const char *v;

	switch (cc->kind) {
	case CHAN_SECURITY:
		return ROUTE_YES;
	case CHAN_OWNER:
		v = view_get(e, REC_NOTIFY_OWNER);
		return v != NULL && strcmp(v, "yes") == 0 &&
		    alert_route_is_address(view_get(e, REC_OWNER)) ? ROUTE_YES : ROUTE_NO;
	default: {
		struct route_alert a = { view_get(e, REC_MAILBOX), view_get(e, REC_LEVEL),
		    view_get(e, REC_RULE), view_get(e, REC_NOTIFY_ROUTES) };
		return alert_route_match(cc->route, &a, alert_groups_member, cc->groups);
	}
	}
}

/* ---- how it sends ------------------------------------------------------------- */

static void chan_print(const struct chan_ctx *cc, const struct alert_mail *m)
{
	char line[1024];

	/*
	 * Once each: the log also copies its lines to standard error, so a
	 * line logged and printed showed twice in a terminal and in journald.
	 */
	alert_mail_syslog_line(m, line, sizeof(line));
	if (cc->kind != CHAN_SECURITY)
		log_info("alerts: %s: sent %s", cc->chan.name, line);
	else if (cc->cfg->alerts.syslog)
		log_warnx("%s", line);
	else {
		printf("%s\n", line);
		fflush(stdout);
	}
}

static int chan_mail(const struct chan_ctx *cc, const struct alert_mail *m, const char *const *to,
    size_t nto, char *err, size_t errsize)
{
	const struct cfg_alerts *a = &cc->cfg->alerts;
	const char *from = a->mail_from != NULL ? a->mail_from : to[0];
	char header[1024] = "";
	size_t len, used = 0;

	for (size_t i = 0; i < nto && used < sizeof(header); i++)
		used += (size_t)snprintf(header + used, sizeof(header) - used, "%s%s",
		    i > 0 ? ", " : "", to[i]);
	char *msg = alert_mail_compose(m, from, header, time(NULL), &len);
	snprintf(err, errsize, "out of memory");
	int rv = msg != NULL ? alert_sendmail_submit(a->sendmail, from, to, nto, msg, len, err, errsize) : -1;
	free(msg);
	return rv;
}

/* Tries a few times, a second apart and more, before the channel's own backoff. */
static int chan_webhook(struct chan_ctx *cc, const struct alert_mail *m, char *err,
    size_t errsize)
{
	char delivery[160];
	size_t len;
	char *body;
	int rv = -1;

	/* A url_file or headers_file that could not be read at start is read again: fixing it heals. */
	if (cc->wh == NULL && (cc->wh = webhook_open(&cc->route->webhook, err, errsize)) == NULL)
		return -1;
	snprintf(err, errsize, "out of memory");
	if ((body = alert_body(cc->route->webhook.format, m, cc->route->name, &len)) == NULL)
		return -1;
	/* The same for every attempt of this group, so a receiver can drop a repeat. */
	snprintf(delivery, sizeof(delivery), "%.60s:%.60s:%ld", cc->route->name,
	    m->nids > 0 ? m->ids[0] : "-", m->count > 0 ? m->count : m->pending);
	for (int i = 0; i < WEBHOOK_ATTEMPTS && !relay_stopping(); i++) {
		if (i > 0) {
			log_info("alerts: %s: %s; attempt %d of %d in %d s", cc->chan.name, err,
			    i + 1, WEBHOOK_ATTEMPTS, 1 << (i - 1));
			for (int s = 0; s < (1 << (i - 1)) * 10 && !relay_stopping(); s++)
				usleep(100000);
		}
		if ((rv = webhook_post(cc->wh, body, len, delivery, err, errsize)) == 0)
			break;
	}
	free(body);
	return rv;
}

static int chan_deliver(void *ctx, const struct alert_mail *m, char *err, size_t errsize)
{
	struct chan_ctx *cc = ctx;
	const struct cfg_alerts *a = &cc->cfg->alerts;
	int rv = 0;

	switch (cc->kind) {
	case CHAN_SECURITY:
		if (a->mail_to != NULL)
			rv = chan_mail(cc, m, (const char *const *)&a->mail_to, 1, err, errsize);
		break;
	case CHAN_MAIL:
		rv = chan_mail(cc, m, (const char *const *)cc->route->mail_to, cc->route->nmail_to,
		    err, errsize);
		break;
	case CHAN_WEBHOOK:
		rv = chan_webhook(cc, m, err, errsize);
		break;
	case CHAN_OWNER:
		rv = chan_mail(cc, m, &m->owner, 1, err, errsize);
		break;
	}
	if (rv == 0)
		chan_print(cc, m);
	return rv;
}

static const struct relay_chan_ops chan_ops = { chan_match, chan_deliver };

/* ---- building them -------------------------------------------------------------- */

static struct chan_ctx *chan_add(struct chan_ctx *v, size_t *n, const struct cfg *c,
    enum chan_kind kind, const struct cfg_route *r, struct alert_groups *groups)
{
	static const char *const what[] = { "mail", "mail", "webhook", "mail" };
	struct chan_ctx *cc = &v[(*n)++];
	struct relay_chan *ch = &cc->chan;

	cc->cfg = c;
	cc->kind = kind;
	cc->route = r;
	cc->groups = groups;
	ch->ops = &chan_ops;
	ch->ctx = cc;
	if (kind == CHAN_SECURITY) {
		snprintf(ch->name, sizeof(ch->name), "alerts.mail");
		snprintf(ch->group, sizeof(ch->group), "%s", RELAY_GROUP);
		snprintf(ch->ns, sizeof(ch->ns), "alerts:");
	} else if (kind == CHAN_OWNER) {
		snprintf(ch->name, sizeof(ch->name), "owners");
		snprintf(ch->group, sizeof(ch->group), "%s", OWNER_GROUP);
		snprintf(ch->ns, sizeof(ch->ns), "alerts:owner:");
	} else {
		snprintf(ch->name, sizeof(ch->name), "route %s %s", r->name, what[kind]);
		alert_route_chan_names(r->name, what[kind], ch->group, sizeof(ch->group), ch->ns,
		    sizeof(ch->ns));
	}
	return cc;
}

/* Whether an exception has a date and an owner to remind (then owners get a channel). */
static bool chan_owners_wanted(const struct cfg *c)
{
	for (size_t i = 0; i < c->policy.nallow; i++)
		if (c->policy.allow[i].expires_at != 0 &&
		    alert_route_is_address(c->policy.allow[i].owner))
			return true;
	return false;
}

/* Every channel of c into v (CHAN_MAX). */
static void chan_build(const struct cfg *c, struct chan_ctx *v, size_t *n,
    struct alert_groups *groups)
{
	*n = 0;
	chan_add(v, n, c, CHAN_SECURITY, NULL, groups);
	for (size_t i = 0; i < c->alerts.nroutes; i++) {
		const struct cfg_route *r = &c->alerts.routes[i];
		if (r->nmail_to > 0)
			chan_add(v, n, c, CHAN_MAIL, r, groups);
		if (r->webhook.url != NULL || r->webhook.url_file != NULL) {
			struct chan_ctx *cc = chan_add(v, n, c, CHAN_WEBHOOK, r, groups);
			char why[512];
			/* Its alerts wait; the other channels go on. */
			if ((cc->wh = webhook_open(&r->webhook, why, sizeof(why))) == NULL)
				log_warnx("alerts: %s: %s", cc->chan.name, why);
		}
	}
	if (c->alerts.mail_from != NULL && chan_owners_wanted(c))
		chan_add(v, n, c, CHAN_OWNER, NULL, groups);
}

static bool chan_needs_groups(const struct cfg *c)
{
	for (size_t i = 0; i < c->alerts.nroutes; i++)
		for (size_t j = 0; j < c->alerts.routes[i].nmailboxes; j++)
			if (strncmp(c->alerts.routes[i].mailboxes[j], CFG_ROUTE_GROUP,
			    strlen(CFG_ROUTE_GROUP)) == 0)
				return true;
	return false;
}

/* ---- running them ----------------------------------------------------------------- */

struct chan_thread {
	pthread_t tid;
	const struct cfg *cfg;
	const struct relay_chan *ch;
	const struct relay_opts *o;
	int rv;
	bool started;
};

static void *chan_thread_main(void *arg)
{
	struct chan_thread *t = arg;
	t->rv = relay_chan_run(t->cfg, t->ch, t->o);
	return NULL;
}

static void relay_on_signal(int sig)
{
	(void)sig;
	relay_stop_request();
}

/* Expiry reminders now; false when Redis failed. */
static bool relay_expiry(const struct cfg *c)
{
	char err[512] = "";
	struct redis_conn *rc = redis_conn_open(&c->redis, err, sizeof(err));
	int rv = rc != NULL ? expiry_check(c, rc, time(NULL)) : -1;
	if (rc == NULL)
		log_warnx("alerts: expiry reminders: %s", err);
	redis_conn_close(rc);
	return rv >= 0;
}

/* The main thread's part while the channels run: reminders, once a minute. */
static void relay_wait(const struct cfg *c)
{
	time_t next = time(NULL) + EXPIRY_EVERY_S;
	while (!relay_stopping()) {
		sleep(1);
		if (time(NULL) >= next) {
			relay_expiry(c);
			next = time(NULL) + EXPIRY_EVERY_S;
		}
	}
}

static int relay_threads(const struct cfg *c, const struct relay_opts *o, struct chan_ctx *v,
    size_t n)
{
	struct chan_thread t[CHAN_MAX];
	bool ok = relay_expiry(c) || !o->once;

	for (size_t i = 0; i < n; i++)
		relay_chan_prepare(c, &v[i].chan);
	for (size_t i = 0; i < n; i++) {
		t[i] = (struct chan_thread){ .cfg = c, .ch = &v[i].chan, .o = o };
		t[i].started = pthread_create(&t[i].tid, NULL, chan_thread_main, &t[i]) == 0;
		if (!t[i].started) {
			log_warnx("alerts: %s: cannot start its thread", v[i].chan.name);
			ok = false;
		}
	}
	if (!o->once)
		relay_wait(c);
	for (size_t i = 0; i < n; i++) {
		if (!t[i].started)
			continue;
		pthread_join(t[i].tid, NULL);
		ok = ok && t[i].rv == 0;
	}
	return ok ? 0 : 1;
}

int relay_run(const struct cfg *c, const struct relay_opts *o)
{
	struct sigaction sa = { .sa_handler = relay_on_signal };
	struct chan_ctx *v = calloc(CHAN_MAX, sizeof(*v));
	struct alert_groups *groups = NULL;
	char err[512] = "";
	size_t n = 0;
	int rv = 1;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (v == NULL || webhook_global_init() != 0) {
		log_warnx("alerts: cannot start: out of memory");
		free(v);
		return 1;
	}
	/* Without the directory, alerts for group routes wait; the rest go on. */
	if (chan_needs_groups(c) && (groups = alert_groups_open(c, err, sizeof(err))) == NULL)
		log_warnx("alerts: the groups of alerts.routes cannot be asked: %s", err);
	chan_build(c, v, &n, groups);
	rv = relay_threads(c, o, v, n);
	for (size_t i = 0; i < CHAN_MAX; i++)
		webhook_close(v[i].wh);
	alert_groups_close(groups);
	webhook_global_cleanup();
	free(v);
	return rv;
}
