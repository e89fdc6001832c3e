/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.h - the YAML configuration (README.md "Configuration") as an immutable, refcounted
 * snapshot.
 *
 * cfg_load() reads and validates a whole file against one table of keys and
 * reports *every* error as "file:line:column: message" (1-based) through the
 * error callback before failing.  A loaded cfg is never modified: reload
 * builds a new one and swaps it in (cfg_current_set); each milter
 * connection holds a reference to the snapshot it started with.
 */
#ifndef FWDGUARD_CFG_H
#define FWDGUARD_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg_types.h"

#define CFG_DEFAULT_PATH	"/etc/fwdguard/fwdguard.yaml"
#define CFG_MAX_BYTES		(1024 * 1024)	/* larger files are refused */
/* Nesting deeper than CFG_MAX_DEPTH (milter/config/cfg_yaml.h) is refused. */

/* Receives one formatted error line, without a trailing newline. */
typedef void (*cfg_error_fn)(void *ctx, const char *line);

/*
 * Loads and validates path.  Returns a snapshot with one reference, or NULL
 * after reporting every error found through err (which may be NULL).
 */
struct cfg *cfg_load(const char *path, cfg_error_fn err, void *ctx);

/* Same, from a buffer; name is used in error lines. For tests. */
struct cfg *cfg_load_buffer(const char *name, const char *buf, size_t len,
    cfg_error_fn err, void *ctx);

/*
 * Same, and what the file names on this host must exist: secret files,
 * milter.user, the alert sendmail command (milter/config/cfg_host.c).  For
 * "fwdguard -n", the daemon's start and its reloads.
 */
struct cfg *cfg_load_host(const char *path, cfg_error_fn err, void *ctx);
struct cfg *cfg_load_buffer_host(const char *name, const char *buf, size_t len,
    cfg_error_fn err, void *ctx);

struct cfg *cfg_ref(struct cfg *c);	/* returns c; thread-safe */
void cfg_unref(struct cfg *c);		/* frees on the last reference; accepts NULL */

/*
 * The process-wide current snapshot.  cfg_current() returns a new reference
 * (release it with cfg_unref), or NULL before the first cfg_current_set().
 * cfg_current_set() takes over the caller's reference to c and drops the old.
 */
struct cfg *cfg_current(void);
void cfg_current_set(struct cfg *c);

#endif
