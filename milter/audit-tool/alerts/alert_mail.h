/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_mail.h - the text of one alert mail and its syslog line
 * (milter/audit-tool/alerts/alert_mail.c, pure: no I/O).  A person reads it: what happened,
 * which mailbox, where to, since when, how many messages, the decision
 * ids, and what to do next.  Every value is untrusted (it came from Redis):
 * headers get only printable ASCII, body lines get no control bytes.
 */
#ifndef FWDGUARD_ALERT_MAIL_H
#define FWDGUARD_ALERT_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define ALERT_MAIL_IDS	20	/* decision ids listed in one mail */

/* One group's facts; strings are borrowed from the caller's replies. */
struct alert_mail {
	const char *id, *mailbox, *target, *rule, *action, *mode, *destination, *level;
	const char *recipient, *signals, *host, *summary;
	/* An exception's reminder (type "expiry", alert_expiry.h): */
	const char *type, *reason, *owner, *expires, *days_left;
	/* fwdguard-audit watch (rule directory-change): the entry and who changed it */
	const char *change, *entry, *attribute, *modifiers_name, *modify_timestamp;
	const char *forwards, *forwards_count;
	long count;		/* alerts of this batch (0: a follow-up of repeats only) */
	long pending;		/* repeats counted while the window was open */
	long long first_ms, last_ms;	/* earliest and latest alert mailed */
	long long since_ms;	/* earliest decision in the mailbox's history, 0 unknown */
	const char *ids[ALERT_MAIL_IDS];
	size_t nids;
	size_t pending_ids_shown;	/* how many of ids came from the pending list */
};

void alert_mail_init(struct alert_mail *m);
/* Borrows value for a known alert field (id, mailbox, target, ...); others are ignored. */
void alert_mail_set(struct alert_mail *m, const char *field, const char *value);

/* The subject without "[fwdguard] ", e.g. "CRITICAL: a@x mail is reaching y". */
void alert_mail_subject(const struct alert_mail *m, char *buf, size_t size);
/* One line for syslog and stdout (no control bytes). */
void alert_mail_syslog_line(const struct alert_mail *m, char *buf, size_t size);

/* Whether m is an exception's expiry reminder or notice rather than a decision's alert. */
bool alert_mail_is_expiry(const struct alert_mail *m);

/*
 * An expiry reminder's subject (level already cleaned and upper-cased) and
 * body text after the headers (milter/audit-tool/alerts/alert_mail_expiry.c); mb and tg are
 * the cleaned mailbox and destination.
 */
void alert_mail_expiry_subject(const struct alert_mail *m, const char *level, char *buf,
    size_t size);
void alert_mail_expiry_body(FILE *f, const struct alert_mail *m, const char *mb, const char *tg);

/* The whole message, LF line ends; malloc'd (caller frees), NULL on ENOMEM. */
char *alert_mail_compose(const struct alert_mail *m, const char *from, const char *to,
    time_t now, size_t *len);

#endif
