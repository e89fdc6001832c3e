/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_metrics.h - the metrics of "fwdguard-audit watch --metrics-listen"
 * (README.md "Metrics"): whether the directory answers, how far behind it
 * the watcher may be (seconds since its last complete read of the
 * protected entries), scans and the changes they recorded, and whether it
 * follows by sync or by polls.  Until watch_metrics_open() succeeds every
 * function does nothing.
 */
#ifndef FWDGUARD_WATCH_METRICS_H
#define FWDGUARD_WATCH_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* Makes the registry and serves it on listen ("IPv4:port" or "[IPv6]:port"); -1 with err. */
int watch_metrics_open(const char *listen, char *err, size_t errsize);
void watch_metrics_close(void);

/* The directory answered (up) or an outage began (down). */
void watch_metrics_up(bool up);
/* A complete read of the protected entries, which wrote changes records
 * (baseline: the first read, with nothing known before). */
void watch_metrics_scan(long changes, bool baseline);
/* How the watcher follows the directory: "sync" or "poll". */
void watch_metrics_mode(const char *mode);

#endif
