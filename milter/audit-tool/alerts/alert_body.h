/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_body.h - the body a webhook receives for one alert group
 * (milter/audit-tool/alerts/alert_body.c, pure: no I/O).
 *
 * json: one object, {"subject", "route", "alert", "level", "mailbox",
 * "target", "destination", "rule", "action", "mode", "signals", "count",
 * "first", "last", "since", "decision_ids", "host", "summary", ...}; the
 * exception fields (type, reason, owner, expires, days_left) when set.
 * slack: {"text": "..."}, what Slack and Mattermost incoming webhooks take:
 * the subject in bold, then one fact a line; '&', '<' and '>' escaped as
 * their markup wants, so no value becomes a link or a mention.
 */
#ifndef FWDGUARD_ALERT_BODY_H
#define FWDGUARD_ALERT_BODY_H

#include <stddef.h>
#include "alert_mail.h"
#include "cfg.h"

/* Malloc'd (caller frees), NULL on ENOMEM; *len its length. */
char *alert_body(enum webhook_format format, const struct alert_mail *m, const char *route,
    size_t *len);

#endif
