/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_relay.h - "fwdguard-audit alerts": relays <prefix>alerts to the
 * security team (alerts.mail) and to every route of alerts.routes
 * (README.md "Alert routing").
 *
 * The unit of delivery is a channel: the security team's mail, one route's
 * mail, one route's webhook, an exception owner's reminder.  Each channel is
 * a consumer group of its own on <prefix>alerts with its own dedupe state,
 * run by a thread of its own with its own Redis connection
 * (milter/audit-tool/alerts/alert_relay.c), so a channel that fails (a webhook down) neither
 * delays nor repeats the others; what it could not deliver stays pending
 * in its group and is retried with backoff.  The channels are built from
 * the configuration in milter/audit-tool/alerts/alert_chan.c.
 *
 * One channel's delivery: its alerts are grouped by (mailbox, target,
 * rule); a group is sent when its dedupe window is closed, otherwise
 * counted durably in Redis and sent as "N more" once the window has
 * closed.  An alert is acknowledged only after it was sent or counted,
 * and marked delivered first, so a restarted relay skips it.  Redis keys
 * (under redis.prefix, NS the channel's namespace: "alerts:" for the
 * security team's, "alerts:route:<name>:<mail|webhook>:" for a route's,
 * "alerts:owner:" for owners' reminders):
 *   NSwindow:<key>     open dedupe window (EX alerts.dedupe_window)
 *   NSpending:<key>    hash of repeats counted while the window was open
 *   NSpendids:<key>    their first decision ids (bounded list)
 *   NSpendkeys         set of keys with pending repeats
 *   NSdelivered:<id>   alert sent or counted (EX 7 days)
 *   alerts:notice:<key>  a mailbox's notice window (alert_notice_send.h)
 * A notice request (type=notice, rule notify: mailbox) is sent by the
 * security team's channel with alert_notice_send() and acknowledged once
 * it was mailed or found inside its window; the other channels pass it.
 */
#ifndef FWDGUARD_ALERT_RELAY_H
#define FWDGUARD_ALERT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include "alert_route.h"
#include "cfg.h"

#define RELAY_GROUP		"relay"	/* the security team's consumer group */
#define RELAY_MAX_IDLE_MS	60000L	/* default: pending this long = its relay died */

struct relay_opts {
	const char *consumer;	/* NULL: "host:pid" */
	long max_idle_ms;	/* reclaim other consumers' entries idle this long */
	bool once;		/* process what is there (and reclaim), then return */
	const char *metrics_listen;	/* serve GET /metrics there, or NULL */
};

struct view_entry;
struct alert_mail;

/* What one channel does with an alert; ctx is the channel's. */
struct relay_chan_ops {
	/* Takes the alert?  ROUTE_NO: acknowledged unsent; ROUTE_TRYAGAIN: left pending. */
	enum route_verdict (*match)(void *ctx, const struct view_entry *e);
	/* Sends one group; 0, or -1 with a reason in err (its alerts stay pending). */
	int (*deliver)(void *ctx, const struct alert_mail *m, char *err, size_t errsize);
};

struct relay_chan {
	char name[96];		/* for log lines: "alerts.mail", "route hr webhook" */
	char group[96];		/* its consumer group */
	char ns[128];		/* its key namespace under redis.prefix */
	const struct relay_chan_ops *ops;
	void *ctx;
};

/*
 * Runs the relay until SIGTERM/SIGINT (or once): every channel, and the
 * exception expiry reminders (alert_expiry.h).  Returns 0, or 1 when
 * Redis failed or an alert could not be delivered (it stays pending).
 */
int relay_run(const struct cfg *c, const struct relay_opts *o);

/*
 * Creates the channel's consumer group when missing; relay_run does it for
 * every channel before any reads, so that a new route's group starts where
 * the security team's stood (see relay_start_id in alert_relay.c).
 */
bool relay_chan_prepare(const struct cfg *c, const struct relay_chan *ch);

/* Runs one channel (in the calling thread) as relay_run describes. */
int relay_chan_run(const struct cfg *c, const struct relay_chan *ch, const struct relay_opts *o);

/* Asks every channel to stop (signal-safe); whether that was asked. */
void relay_stop_request(void);
bool relay_stopping(void);

#endif
