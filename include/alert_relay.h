/*
 * alert_relay.h - "fwdguard-audit alerts": the security team's alerts relay
 * (milter/alert_relay.c), and the sendmail submission it shares with
 * "fwdguard-audit probe".
 *
 * The relay is a consumer of the group "relay" on <prefix>alerts.  Each
 * batch is grouped by (mailbox, target, rule); a group is mailed when its
 * dedupe window is closed, otherwise counted durably in Redis and mailed
 * as "N more" once the window has closed.  An alert is acknowledged only
 * after it was mailed or counted, and marked delivered
 * (<prefix>alerts:delivered:<id>) first, so a restarted relay skips it.
 * Redis keys (under redis.prefix):
 *   alerts:window:<key>     open dedupe window (EX alerts.dedupe_window)
 *   alerts:pending:<key>    hash of repeats counted while the window was open
 *   alerts:pendids:<key>    their first decision ids (bounded list)
 *   alerts:pendkeys         set of keys with pending repeats
 *   alerts:delivered:<id>   alert mailed or counted (EX 7 days)
 *   alerts:notice:<key>     a mailbox's notice window (alert_notice_send.h)
 * A notice request (type=notice) is handed to alert_notice_send() and
 * acknowledged once it was mailed or found inside its window.
 */
#ifndef FWDGUARD_ALERT_RELAY_H
#define FWDGUARD_ALERT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg.h"

#define RELAY_GROUP		"relay"
#define RELAY_MAX_IDLE_MS	60000L	/* default: pending this long = its relay died */

struct relay_opts {
	const char *consumer;	/* NULL: "host:pid" */
	long max_idle_ms;	/* reclaim other consumers' entries idle this long */
	bool once;		/* process what is there (and reclaim), then return */
	const char *metrics_listen;	/* serve GET /metrics there, or NULL */
};

/*
 * Runs the relay until SIGTERM/SIGINT (or once).  Returns 0, or 1 when
 * Redis failed or an alert could not be delivered (it stays pending).
 */
int relay_run(const struct cfg *c, const struct relay_opts *o);

/*
 * Submits msg (a whole message, LF line ends) through command (alerts.mail.
 * sendmail: a path and arguments split at blanks, run without a shell)
 * with "-i -f from -- to" appended, on its stdin.  0 when it exited 0;
 * -1 with a reason in err.  Bounded: a sendmail running longer than two
 * minutes is killed.
 */
int relay_sendmail(const char *command, const char *from, const char *to,
    const char *msg, size_t len, char *err, size_t errsize);

#endif
