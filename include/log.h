/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h - logging to syslog, or to stderr in the foreground (-f) before
 * syslog is set up.  log_warn() appends strerror(errno); log_warnx() does
 * not.  Per-message lines start with the queue id (see callbacks).
 * Thread-safe.
 */
#ifndef FWDGUARD_LOG_H
#define FWDGUARD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/*
 * ident "fwdguard"; to_stderr also copies lines to stderr, unless stderr
 * is the journal that syslog reaches as well (log_stderr_is_journal).
 */
void log_init(const char *ident, int facility, bool to_stderr);
/*
 * log_init with syslog_path in the place of /dev/log (tests): the path
 * judged for the journal, and the socket whose presence lets lines go to
 * syslog(3) at all (looked at once a second: with none there, glibc would
 * try to connect for every line and drop it).
 */
void log_init_checking(const char *ident, int facility, bool to_stderr,
    const char *syslog_path);
/*
 * Whether stderr is systemd's journal stream (JOURNAL_STREAM names its
 * device and inode, systemd.exec(5)) while a syslog socket is at
 * syslog_path: a line copied there would be in the journal twice.
 */
bool log_stderr_is_journal(const char *syslog_path);
void log_set_level(int level);		/* LOG_* priority; lines above it are dropped */
void log_set_facility(int facility);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Map "mail", "local0".. / "info", "debug".. to syslog constants; -1 unknown. */
int log_facility_lookup(const char *name);
int log_level_lookup(const char *name);

#endif
