/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_notice_send.h - the relay's side of the mailbox notices
 * (milter/audit-tool/alerts/alert_notice_send.c): a notice request on <prefix>alerts
 * (type=notice, written by the daemon) is mailed to its mailbox at most
 * once per (mailbox, destination) per alerts.dedupe_window.
 * Redis key (under redis.prefix):
 *   alerts:notice:<key>   the window of one (mailbox, destination):
 *                         SET NX EX alerts.dedupe_window before the mail,
 *                         deleted again when the mail could not be sent
 */
#ifndef FWDGUARD_ALERT_NOTICE_SEND_H
#define FWDGUARD_ALERT_NOTICE_SEND_H

#include <stdbool.h>
#include "audit_view.h"
#include "cfg.h"
#include "redis_conn.h"

/* true when the alert stream entry is a notice request. */
bool alert_notice_is(const struct view_entry *e);

/*
 * Mails the notice e asks for, or skips it when its window is open.
 * 0: done (mailed, skipped, or nothing to send: acknowledge it); -1: try
 * again later (Redis or sendmail failed; logged).
 */
int alert_notice_send(struct redis_conn *rc, const struct cfg *c, const struct view_entry *e);

#endif
