/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reload.h - SIGUSR1 reloads the configuration (libmilter takes SIGHUP as
 * "stop").  The signal is blocked in every thread (call reload_block_signal
 * before any thread exists, which also blocks libmilter's stop signals for
 * its sigwait thread) and taken by a thread of our own with sigwait.
 * A file that fails to load leaves the running config in force.
 */
#ifndef FWDGUARD_RELOAD_H
#define FWDGUARD_RELOAD_H

#include "audit.h"
#include "metrics_http.h"

void reload_block_signal(void);
/* Starts the reload thread for path; 0, or -1 with errno. */
int reload_start(const char *path, struct audit *a);

/* Loads path and, when it is valid, makes it current.  0 on success.
 * Keys it cannot apply to a running daemon are logged as needing a
 * restart (fwdguard(8) "SIGNALS" lists them). */
int reload_now(const char *path, struct audit *a);

/*
 * The metrics registry and the server main started for metrics.listen
 * (h may be NULL): a reload that changes metrics.listen moves the server,
 * and fails, leaving everything as it was, when the new address cannot
 * be bound (after the privilege drop a port below 1024 cannot).
 */
void reload_set_metrics(struct metrics *m, struct metrics_http *h);
/* Stops the metrics server in force (at exit). */
void reload_stop_metrics(void);
/* Logs every rule whose own mode differs from the global one (start and
 * reload), so "mode: monitor" never hides a rule that still enforces. */
void reload_log_overrides(const struct cfg *c);

#endif
