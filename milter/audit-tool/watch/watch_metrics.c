/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_metrics.c - "fwdguard-audit watch" counts (watch_metrics.h): one
 * registry and HTTP server per watcher.  The lag is computed when
 * Prometheus scrapes, from the time of the last complete read, so it keeps
 * growing while the directory is away.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "metrics_http.h"
#include "watch_metrics.h"

static struct {
	struct metrics *m;
	struct metrics_http *http;
	struct metrics_family *up, *lag, *scans, *changes, *mode;
	atomic_llong last_scan;		/* unix seconds; 0: none yet */
} wm;

static void
watch_metrics_collect(void *arg)
{
	long long last = atomic_load(&wm.last_scan);

	(void)arg;
	if (last > 0)
		metrics_set(wm.lag, NULL, (double)((long long)time(NULL) - last));
}

int
watch_metrics_open(const char *listen, char *err, size_t errsize)
{
	static const char *const change[] = { "kind", NULL };
	static const char *const mode[] = { "mode", NULL };

	if ((wm.m = metrics_new("fwdguard_")) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	wm.up = metrics_gauge(wm.m, "fwdguard_watch_up",
	    "1 while the directory answers the watcher, 0 during an outage.", NULL);
	wm.lag = metrics_gauge(wm.m, "fwdguard_watch_lag_seconds",
	    "Seconds since the watcher last read every protected entry completely.", NULL);
	wm.scans = metrics_counter(wm.m, "fwdguard_watch_scans_total",
	    "Complete reads of the protected entries.", NULL);
	wm.changes = metrics_counter(wm.m, "fwdguard_watch_changes_total",
	    "Records the watcher wrote: forwards found at its first start (baseline) and "
	    "forwards gained or lost later (change).", change);
	wm.mode = metrics_info(wm.m, "fwdguard_watch_mode_info",
	    "How the watcher follows the directory: sync (RFC 4533) or poll.", mode);
	metrics_add(wm.changes, (const char *const[]){ "baseline" }, 0);
	metrics_add(wm.changes, (const char *const[]){ "change" }, 0);
	metrics_add(wm.scans, NULL, 0);
	metrics_set(wm.up, NULL, 0);
	metrics_collector(wm.m, watch_metrics_collect, NULL);
	if ((wm.http = metrics_http_open(wm.m, listen, err, errsize)) == NULL) {
		metrics_free(wm.m);
		memset(&wm, 0, sizeof(wm));
		return -1;
	}
	return 0;
}

void
watch_metrics_close(void)
{
	metrics_http_stop(wm.http);
	metrics_free(wm.m);
	memset(&wm, 0, sizeof(wm));
}

void
watch_metrics_up(bool up)
{
	if (wm.m != NULL)
		metrics_set(wm.up, NULL, up ? 1 : 0);
}

void
watch_metrics_scan(long changes, bool baseline)
{
	if (wm.m == NULL)
		return;
	atomic_store(&wm.last_scan, (long long)time(NULL));
	metrics_add(wm.scans, NULL, 1);
	if (changes > 0)
		metrics_add(wm.changes, (const char *const[]){ baseline ? "baseline" : "change" },
		    (uint64_t)changes);
}

void
watch_metrics_mode(const char *mode)
{
	if (wm.m != NULL)
		metrics_info_set(wm.mode, (const char *const[]){ mode });
}
