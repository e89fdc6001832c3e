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

static bool
reload_differs(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
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
	struct cfg *old;
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
