/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_notice.h - the notice a protected mailbox gets when fwdguard
 * stopped its mail on the way out (milter/audit-tool/alerts/alert_notice.c, pure: no I/O).
 * A person who is no mail administrator reads it: where the mail was
 * going, by which route (from the signals), what became of it, the
 * reference id, and whom to ask.  Every value is untrusted (it came from
 * Redis) and is cleaned as in alert_mail.h.
 */
#ifndef FWDGUARD_ALERT_NOTICE_H
#define FWDGUARD_ALERT_NOTICE_H

#include <stddef.h>
#include <time.h>

/* One notice request's facts; strings are borrowed from the caller's reply. */
struct alert_notice {
	const char *decision_id, *mailbox, *recipient, *target, *signals, *rule;
	const char *outcome, *rerouted_to;
	long long ts_ms;
};

void alert_notice_init(struct alert_notice *n);
/* Borrows value for a known field of a notice request (record fields); others are ignored. */
void alert_notice_set(struct alert_notice *n, const char *field, const char *value);

/* The route the mail took, in plain words, from a comma list of signals; static. */
const char *alert_notice_route(const char *signals);

/*
 * The whole message to the mailbox, LF line ends: from and contact are
 * addresses from the config, window the dedupe window in seconds (the
 * notice says that repeats within it are stopped without another one).
 * Malloc'd (caller frees), NULL on ENOMEM.
 */
char *alert_notice_compose(const struct alert_notice *n, const char *from, const char *contact,
    long window, time_t now, size_t *len);

#endif
