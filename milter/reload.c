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

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
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

	if (c == NULL) {
		log_errx("reload of %s failed: the running configuration stays in force", path);
		return -1;
	}
	log_set_level(c->log.level);
	log_set_facility(c->log.facility);
	audit_reconfigure(a, c);
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
