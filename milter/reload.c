/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reload.c - SIGUSR1 reloads the configuration.  See reload.h.
 *
 * libmilter owns SIGHUP/SIGTERM/SIGINT (all mean "stop") through its own
 * sigwait thread, so reload needs a signal of its own and a thread of its
 * own: handlers would run in whatever thread the kernel picks, where
 * loading YAML and taking locks is not safe.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "correlate.h"
#include "directory.h"
#include "log.h"
#include "metrics_daemon.h"
#include "reload.h"

struct reload_args {
	const char *path;
	struct audit *audit;
};

static struct reload_args reload_args;

static pthread_mutex_t reload_metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics *reload_metrics;
static struct metrics_http *reload_http;	/* the server in force, or NULL */

void
reload_set_metrics(struct metrics *m, struct metrics_http *h)
{
	pthread_mutex_lock(&reload_metrics_lock);
	reload_metrics = m;
	reload_http = h;
	pthread_mutex_unlock(&reload_metrics_lock);
}

void
reload_stop_metrics(void)
{
	pthread_mutex_lock(&reload_metrics_lock);
	metrics_http_stop(reload_http);
	reload_http = NULL;
	pthread_mutex_unlock(&reload_metrics_lock);
}

static bool
reload_differs(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

/*
 * When metrics.listen changed: *fresh is the server on the new address
 * (NULL: none wanted) and *moved is set.  -1 when it cannot be served.
 */
static int
reload_metrics_bind(const struct cfg *c, struct metrics_http **fresh, bool *moved)
{
	char err[256];

	*fresh = NULL;
	pthread_mutex_lock(&reload_metrics_lock);
	*moved = reload_differs(metrics_http_listen(reload_http), c->metrics.listen);
	pthread_mutex_unlock(&reload_metrics_lock);
	if (!*moved || c->metrics.listen == NULL)
		return 0;
	if ((*fresh = metrics_http_open(reload_metrics, c->metrics.listen, err,
	    sizeof(err))) == NULL) {
		log_errx("metrics: %s", err);
		return -1;
	}
	return 0;
}

/* The reload went through: the new server replaces the old one. */
static void
reload_metrics_swap(struct metrics_http *fresh)
{
	struct metrics_http *old;

	pthread_mutex_lock(&reload_metrics_lock);
	old = reload_http;
	reload_http = fresh;
	pthread_mutex_unlock(&reload_metrics_lock);
	metrics_http_stop(old);
	if (fresh != NULL)
		log_notice("metrics: serving GET /metrics on %s", metrics_http_listen(fresh));
	else
		log_notice("metrics: no longer served (metrics.listen removed)");
}

void
reload_block_signal(void)
{
	sigset_t set;

	/*
	 * Also the signals libmilter's own thread waits for: a thread started
	 * before smfi_main (shipper, directory) must not take SIGTERM and die
	 * by its default action, skipping the orderly stop.  A write to a
	 * closed Redis or LDAP socket must give EPIPE, not kill the process.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
reload_log_error(void *ctx, const char *line)
{
	log_errx("config: %s", line);
}

void
reload_log_overrides(const struct cfg *c)
{
	size_t i;

	for (i = 0; i < c->policy.nrules; i++) {
		const struct policy_rule *r = &c->policy.rules[i];

		if (r->mode >= 0 && (enum mode)r->mode != c->policy.mode)
			log_warnx("rule %s overrides the global mode: it runs in %s mode while "
			    "mode is %s", r->name, mode_name((enum mode)r->mode),
			    mode_name(c->policy.mode));
	}
}

/* What the running daemon keeps from its start whatever the file says. */
static void
reload_log_restart_keys(const struct cfg *old, const struct cfg *c)
{
	if (old == NULL)
		return;
	if (reload_differs(old->milter.socket, c->milter.socket))
		log_warnx("reload: milter.socket changed to %s: needs a restart; still "
		    "listening on %s", c->milter.socket, old->milter.socket);
	if (reload_differs(old->milter.user, c->milter.user))
		log_warnx("reload: milter.user changed: needs a restart; still running as "
		    "the user it started as");
	if (reload_differs(old->audit.spool, c->audit.spool))
		log_warnx("reload: audit.spool changed to %s: needs a restart; still "
		    "writing to %s", c->audit.spool, old->audit.spool);
}

int
reload_now(const char *path, struct audit *a)
{
	struct cfg *c = cfg_load_host(path, reload_log_error, NULL);
	struct directory *dir = directory_current();
	struct metrics_http *fresh;
	struct cfg *old;
	bool moved;
	char err[256];

	if (c == NULL) {
		log_errx("reload of %s failed: the running configuration stays in force", path);
		metrics_daemon_reload(false, NULL);
		return -1;
	}
	if (reload_metrics_bind(c, &fresh, &moved) != 0) {
		log_errx("reload of %s failed: metrics.listen: the running configuration "
		    "stays in force", path);
		cfg_unref(c);
		metrics_daemon_reload(false, NULL);
		return -1;
	}
	/* Also flushes the directory cache: answers may depend on the old filters. */
	if (directory_reconfigure(dir, c, err, sizeof(err)) != 0) {
		log_errx("reload of %s failed: directory: %s: the running configuration "
		    "stays in force", path, err);
		metrics_http_stop(fresh);
		cfg_unref(c);
		metrics_daemon_reload(false, NULL);
		return -1;
	}
	if (moved)
		reload_metrics_swap(fresh);
	directory_attach(dir, &c->policy);
	old = cfg_current();
	reload_log_restart_keys(old, c);
	cfg_unref(old);
	log_set_level(c->log.level);
	log_set_facility(c->log.facility);
	audit_reconfigure(a, c);
	correlate_reconfigure(correlate_current(), c);
	log_notice("reloaded %s (policy %.12s, mode %s)", path, c->digest,
	    mode_name(c->policy.mode));
	reload_log_overrides(c);
	metrics_daemon_reload(true, c);
	cfg_current_set(c);	/* new connections get it; running ones keep theirs */
	return 0;
}

static void *
reload_thread(void *arg)
{
	struct reload_args *ra = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			reload_now(ra->path, ra->audit);
	}
	return NULL;
}

int
reload_start(const char *path, struct audit *a)
{
	pthread_t tid;
	int rc;

	reload_args.path = path;
	reload_args.audit = a;
	if ((rc = pthread_create(&tid, NULL, reload_thread, &reload_args)) != 0) {
		errno = rc;
		return -1;
	}
	pthread_detach(tid);
	return 0;
}
