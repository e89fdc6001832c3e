/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_expiry.h - reminders of expiring exceptions (allow entries with
 * expires), written by the alerts relay (milter/audit-tool/alerts/alert_expiry.c).
 *
 * alerts.expiry_notice_days before an entry's last day is over, the relay
 * writes a warning alert of rule "allow-expiry" and type "expiry" for each
 * of its mailboxes (one with no mailbox when it covers every protected
 * mailbox); once it has expired, an info alert.  The routes take them like
 * any alert (the route for the mailbox, the security team), and the
 * first record of an entry carries notify_owner=yes when the entry's owner
 * is an address, so the owner's channel mails the owner once.  Each record
 * is written once: a marker set in the same Lua script as the XADD,
 *   <prefix>alerts:expiry:<entry>:<stage>:<mailbox>
 * (entry: a digest of destination, mailboxes and date, so a renewed date
 * is a new entry), so a restarted relay never repeats a reminder.
 */
#ifndef FWDGUARD_ALERT_EXPIRY_H
#define FWDGUARD_ALERT_EXPIRY_H

#include <time.h>
#include "cfg.h"

struct redis_conn;

enum expiry_stage { EXPIRY_NONE, EXPIRY_REMIND, EXPIRY_EXPIRED };

/*
 * Where an entry whose last second is expires_at - 1 stands at now:
 * expired from expires_at on, reminded from notice_days * 86400 before it
 * (never when notice_days is 0).  expires_at 0 (no date) is never due.
 */
enum expiry_stage expiry_stage(time_t expires_at, time_t now, long notice_days);

/* Days left, counting the current day when any of it is left: 1 on the last day, 0 when over. */
long expiry_days_left(time_t expires_at, time_t now);

/*
 * Writes the records due at now for every allow entry of c.  Returns the
 * number written, or -1 when Redis failed (what was due is tried again).
 */
int expiry_check(const struct cfg *c, struct redis_conn *rc, time_t now);

#endif
