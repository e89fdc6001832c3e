/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_webhook.h - HTTP(S) POST of an alert body to a route's webhook
 * (milter/audit-tool/alerts/alert_webhook.c, libcurl).
 *
 * The headers of headers_file ("Name: value" lines; blank lines and lines
 * starting with '#' are skipped) go with every POST: that is where a
 * secret such as "Authorization: Bearer ..." lives, never in the YAML.
 * The file is read once, when the webhook is opened.  So is url_file, when
 * the URL is kept there rather than in the YAML (a Slack or Mattermost
 * webhook URL is itself a secret): its one URL line, blank lines and '#'
 * lines skipped.  Redirects are not followed, only http and https are
 * spoken, TLS certificates are checked.
 * One POST is bounded by webhook.timeout; only a 2xx answer is success.
 */
#ifndef FWDGUARD_ALERT_WEBHOOK_H
#define FWDGUARD_ALERT_WEBHOOK_H

#include <stddef.h>
#include "alert_route.h"
#include "cfg.h"

#define WEBHOOK_HEADERS_MAX	32	/* lines of headers_file */
#define WEBHOOK_HEADER_LEN	4096	/* bytes of one line */
#define WEBHOOK_URL_LEN		ALERT_ROUTE_URL_MAX	/* bytes of url_file's URL line */

struct webhook;

/* NULL with a reason in err (url_file or headers_file unreadable or malformed, ENOMEM). */
struct webhook *webhook_open(const struct cfg_webhook *w, char *err, size_t errsize);
void webhook_close(struct webhook *wh);		/* accepts NULL */

/*
 * One POST of body (Content-Type: application/json) with the header
 * "X-Fwdguard-Delivery: <delivery>" so a receiver can drop a repeat.
 * 0 on a 2xx answer; -1 with the reason (status or transport error) in err.
 * One thread at a time per webhook.
 */
int webhook_post(struct webhook *wh, const char *body, size_t len, const char *delivery,
    char *err, size_t errsize);

/* Process-wide libcurl setup and teardown, around every other call (no threads running). */
int webhook_global_init(void);
void webhook_global_cleanup(void);

#endif
