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
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "correlate.h"
#include "directory.h"
#include "log.h"
#include "reload.h"

struct reload_args {
	const char *path;
	struct audit *audit;
};

static struct reload_args reload_args;

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

int
reload_now(const char *path, struct audit *a)
{
	struct cfg *c = cfg_load(path, reload_log_error, NULL);
	struct directory *dir = directory_current();
	char err[256];

	if (c == NULL) {
		log_errx("reload of %s failed: the running configuration stays in force", path);
		return -1;
	}
	/* Also flushes the directory cache: answers may depend on the old filters. */
	if (directory_reconfigure(dir, c, err, sizeof(err)) != 0) {
		log_errx("reload of %s failed: directory: %s: the running configuration "
		    "stays in force", path, err);
		cfg_unref(c);
		return -1;
	}
	directory_attach(dir, &c->policy);
	log_set_level(c->log.level);
	log_set_facility(c->log.facility);
	audit_reconfigure(a, c);
	correlate_reconfigure(correlate_current(), c);
	log_notice("reloaded %s (policy %.12s, mode %s)", path, c->digest,
	    mode_name(c->policy.mode));
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
