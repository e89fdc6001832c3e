/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_metrics.h - the metrics of "fwdguard-audit alerts" (README.md
 * "Metrics"), per delivery route, served on --metrics-listen.
 *
 * A route is named by a string: today the channels of the one route
 * alerts.mail describes ("mail", or "syslog" when no mail is configured);
 * a route of alerts.routes passes its own name and needs nothing here.
 * Until alert_metrics_open() succeeds every function does nothing.
 */
#ifndef FWDGUARD_ALERT_METRICS_H
#define FWDGUARD_ALERT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define ALERT_ROUTE_MAIL	"mail"
#define ALERT_ROUTE_SYSLOG	"syslog"

/* Makes the registry and serves it on listen ("IPv4:port" or "[IPv6]:port"); -1 with err. */
int alert_metrics_open(const char *listen, char *err, size_t errsize);
void alert_metrics_close(void);		/* stops the server; accepts a closed one */
bool alert_metrics_enabled(void);

/* Shows route's series at zero before anything happened on it. */
void alert_metrics_route(const char *route);
/* A notification (one mail for a group of alerts) went out on route, or failed (retried later). */
void alert_metrics_sent(const char *route);
void alert_metrics_failed(const char *route);
/* n alerts were counted into an open dedupe window instead of being sent. */
void alert_metrics_deduplicated(const char *route, size_t n);
/* Alerts read by the route's relay and not yet delivered (its consumer group's pending count). */
void alert_metrics_pending(const char *route, long long n);

#endif
