/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.c - syslog logging, copied to stderr when running in the foreground.
 *
 * Not copied when stderr is systemd's journal: the shipped units run the
 * daemons in the foreground, journald also listens on the syslog socket,
 * and every line (one per decision at info level) was in the journal
 * twice, at the cost of a second write per line.
 *
 * syslog(3) is thread-safe in glibc; the level and the stderr flag are
 * atomics so a reload can change them while callbacks log.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static atomic_int log_level = LOG_INFO;
static atomic_bool log_stderr;
static char log_ident[32] = "fwdguard";

/*
 * While no socket is at the syslog path (a container, a host without a
 * syslog daemon), glibc's syslog() tries to connect for every line: a
 * socket, a failed connect, a close and a getpid, one decision line per
 * message.  Whether the socket is there is looked at once a second
 * instead, and a line with none is not handed to syslog(), which would
 * have dropped it.  A syslog daemon that starts is used within a second.
 */
static char log_syslog_path[108] = _PATH_LOG;	/* set before threads start */
static atomic_bool log_syslog_there = true;
static atomic_llong log_syslog_looked = -1;	/* second of the last look */

static bool
log_syslog_up(void)
{
	struct timespec now;
	struct stat st;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &now) != 0)
		return true;
	long long last = atomic_load(&log_syslog_looked);
	if ((long long)now.tv_sec != last &&
	    atomic_compare_exchange_strong(&log_syslog_looked, &last, (long long)now.tv_sec))
		atomic_store(&log_syslog_there,
		    stat(log_syslog_path, &st) == 0 && S_ISSOCK(st.st_mode));
	return atomic_load(&log_syslog_there);
}

void
log_init(const char *ident, int facility, bool to_stderr)
{
	log_init_checking(ident, facility, to_stderr, _PATH_LOG);
}

void
log_init_checking(const char *ident, int facility, bool to_stderr, const char *syslog_path)
{
	snprintf(log_ident, sizeof(log_ident), "%s", ident);
	snprintf(log_syslog_path, sizeof(log_syslog_path), "%s", syslog_path);
	atomic_store(&log_syslog_looked, -1);
	atomic_store(&log_stderr, to_stderr && !log_stderr_is_journal(syslog_path));
	openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

/*
 * Without a syslog socket the copy on stderr is the only one left, so it
 * stays: a container may give the journal stream and no /dev/log.
 */
bool
log_stderr_is_journal(const char *syslog_path)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char rest;

	if (stream == NULL || sscanf(stream, "%llu:%llu%c", &dev, &ino, &rest) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0 || (unsigned long long)st.st_dev != dev ||
	    (unsigned long long)st.st_ino != ino)
		return false;
	return stat(syslog_path, &st) == 0 && S_ISSOCK(st.st_mode);
}

void
log_set_level(int level)
{
	atomic_store(&log_level, level);
}

void
log_set_facility(int facility)
{
	closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

/*
 * "ident: line[: suffix]\n" in one writev, as fprintf on the unbuffered
 * stderr would write it, but without the 8 KiB buffer it formats in on
 * the stack: a libmilter worker is often a thread just started, whose
 * stack pages each fault in anew (milter/common/worker_stack.c).
 */
static void
log_copy_to_stderr(const char *line, const char *suffix)
{
	struct iovec v[6];
	int n = 0;

	v[n++] = (struct iovec){ log_ident, strlen(log_ident) };
	v[n++] = (struct iovec){ (void *)": ", 2 };
	v[n++] = (struct iovec){ (void *)line, strlen(line) };
	if (suffix != NULL) {
		v[n++] = (struct iovec){ (void *)": ", 2 };
		v[n++] = (struct iovec){ (void *)suffix, strlen(suffix) };
	}
	v[n++] = (struct iovec){ (void *)"\n", 1 };
	ssize_t w = writev(STDERR_FILENO, v, n);
	(void)w;	/* nowhere left to say that stderr failed */
}

static void
log_emit(int prio, const char *suffix, const char *fmt, va_list ap)
{
	char line[2048];

	if (prio > atomic_load(&log_level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog_up()) {
		if (suffix != NULL)
			syslog(prio, "%s: %s", line, suffix);
		else
			syslog(prio, "%s", line);
	}
	if (atomic_load(&log_stderr))
		log_copy_to_stderr(line, suffix);
}

#define LOG_FN(name, prio, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	int saved = errno;					\
	char ebuf[128];						\
	const char *suffix = NULL;				\
								\
	if (with_errno)						\
		suffix = strerror_r(saved, ebuf, sizeof(ebuf));	\
	va_start(ap, fmt);					\
	log_emit(prio, suffix, fmt, ap);			\
	va_end(ap);						\
	errno = saved;						\
}

LOG_FN(log_err, LOG_ERR, 1)
LOG_FN(log_errx, LOG_ERR, 0)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

struct log_name {
	const char *name;
	int value;
};

static const struct log_name log_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { NULL, 0 }
};

static const struct log_name log_levels[] = {
	{ "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	{ NULL, 0 }
};

static int
log_name_lookup(const struct log_name *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcasecmp(table->name, name) == 0)
			return table->value;
	return -1;
}

int
log_facility_lookup(const char *name)
{
	return log_name_lookup(log_facilities, name);
}

int
log_level_lookup(const char *name)
{
	return log_name_lookup(log_levels, name);
}
