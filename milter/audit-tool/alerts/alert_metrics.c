/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_metrics.c - "fwdguard-audit alerts" counts (alert_metrics.h): one
 * registry and HTTP server per relay process, labelled by route so that
 * each route of alerts.routes gets its own series without a change here.
 */
#include <stdio.h>
#include <string.h>

#include "alert_metrics.h"
#include "metrics.h"
#include "metrics_http.h"

static struct {
	struct metrics *m;
	struct metrics_http *http;
	struct metrics_family *sent, *failed, *dedup, *pending;
} am;

int
alert_metrics_open(const char *listen, char *err, size_t errsize)
{
	static const char *const route[] = { "route", NULL };

	if ((am.m = metrics_new("fwdguard_")) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	am.sent = metrics_counter(am.m, "fwdguard_alerts_sent_total",
	    "Alert notifications delivered, by route (one mail may carry several alerts).", route);
	am.failed = metrics_counter(am.m, "fwdguard_alerts_failed_total",
	    "Alert deliveries that failed, by route; the alerts stay pending and are retried.",
	    route);
	am.dedup = metrics_counter(am.m, "fwdguard_alerts_deduplicated_total",
	    "Alerts counted into an open dedupe window instead of being sent, by route.", route);
	am.pending = metrics_gauge(am.m, "fwdguard_alerts_pending",
	    "Alerts read by the relay and not yet delivered, by route.", route);
	if ((am.http = metrics_http_open(am.m, listen, err, errsize)) == NULL) {
		metrics_free(am.m);
		memset(&am, 0, sizeof(am));
		return -1;
	}
	return 0;
}

void
alert_metrics_close(void)
{
	metrics_http_stop(am.http);
	metrics_free(am.m);
	memset(&am, 0, sizeof(am));
}

void
alert_metrics_route(const char *route)
{
	const char *v[] = { route };

	metrics_add(am.sent, v, 0);
	metrics_add(am.failed, v, 0);
	metrics_add(am.dedup, v, 0);
	metrics_set(am.pending, v, 0);
}

bool
alert_metrics_enabled(void)
{
	return am.m != NULL;
}

void
alert_metrics_sent(const char *route)
{
	metrics_add(am.sent, (const char *const[]){ route }, 1);
}

void
alert_metrics_failed(const char *route)
{
	metrics_add(am.failed, (const char *const[]){ route }, 1);
}

void
alert_metrics_deduplicated(const char *route, size_t n)
{
	metrics_add(am.dedup, (const char *const[]){ route }, n);
}

void
alert_metrics_pending(const char *route, long long n)
{
	metrics_set(am.pending, (const char *const[]){ route }, (double)n);
}
