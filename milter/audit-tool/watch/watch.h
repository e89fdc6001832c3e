/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch.h - "fwdguard-audit watch": follows the LDAP directory of the
 * ldap section and reports every external forward a protected mailbox's
 * entry gains or loses, with no mail needed (README.md "Watching the
 * directory", man fwdguard-audit(1), WATCH).
 *
 * It follows the directory with LDAP Content Synchronization (RFC 4533,
 * refreshAndPersist) when the server offers it, else by polling
 * modifyTimestamp every ldap.watch.poll_interval; any change makes it
 * read the protected entries again and compare their external forwards
 * with the last known set, which lives in Redis (<prefix>watch:forwards)
 * so that a restart does not report again what was reported.
 *
 * Its records go through a spool of its own (ldap.watch.spool, default
 * <audit.spool>/watch) and its own hash chain to the same streams as the
 * daemon's: a decision record (rule "directory-change") per change in
 * <prefix>audit and the mailbox's stream, and an alert in <prefix>alerts
 * for a forward gained (the alerts relay mails it).  The first start
 * records the forwards that exist then ("baseline") and raises one digest
 * alert for them.
 */
#ifndef FWDGUARD_WATCH_H
#define FWDGUARD_WATCH_H

#include <stdbool.h>
#include "cfg.h"

struct watch_opts {
	bool once;		/* one scan (baseline or comparison), then return */
};

/*
 * Runs until SIGTERM/SIGINT (or once).  0, or 1 when it could not start
 * (no directory configured, spool, password file) or, with once, when
 * the scan or its records failed.
 */
int watch_run(const struct cfg *c, const struct watch_opts *o);

/*
 * "fwdguard-audit [-c path] watch [--once]": parses the options, loads
 * the configuration and runs.  Exit status as watch_run, 2 for usage
 * (what usage_fn returns); help_fn prints the tool's help.
 */
int watch_main(const char *path, int argc, char **argv, int (*usage_fn)(const char *why),
    void (*help_fn)(void));

#endif
