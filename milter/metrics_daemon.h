/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_daemon.h - the daemon's metrics (README.md "Metrics"): what the
 * message path counts (decisions, signals, end-of-message latency) and
 * what is read from the audit trail and the directory at each scrape.
 *
 * metrics_daemon_open() is called once by main before the milter's
 * threads exist; until then, and when it failed, every counting function
 * does nothing, so code and tests that never open it run unchanged.
 */
#ifndef FWDGUARD_METRICS_DAEMON_H
#define FWDGUARD_METRICS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include "audit.h"
#include "cfg.h"
#include "decide.h"
#include "metrics.h"

/*
 * Makes the registry and its families; a reads the spool figures (may be
 * NULL), c gives the config digest.  The registry (owned here), or NULL
 * on ENOMEM.
 */
struct metrics *metrics_daemon_open(struct audit *a, const struct cfg *c);
void metrics_daemon_close(void);	/* no counting may run any more */

/* The recorded decisions among d[0 .. n) (those with record set): action, rule, mode, signals. */
void metrics_daemon_decisions(const struct decision *d, size_t n);

/* One end of message took this long, decided and acted on. */
void metrics_daemon_eom(double seconds);

/* One reload: ok, with c the config now in force (NULL when it failed). */
void metrics_daemon_reload(bool ok, const struct cfg *c);

#endif
