/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch.c - "fwdguard-audit watch": its options and its main loop (see
 * watch.h).  One thread follows the directory; the spool's shipper thread
 * (audit.c) moves the records to Redis.
 *
 * The loop: connect, scan, record the difference with the last known
 * set, then wait for a change (sync or poll) or the rescan interval, and
 * scan again.  Any directory failure drops the connections and starts
 * over after a back-off (1 s doubling to WATCH_BACKOFF_MAX); an outage is
 * logged once when it starts and once when it ends, never per retry.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "directory.h"
#include "dirldap.h"
#include "log.h"
#include "metrics_http.h"
#include "watch.h"
#include "watch_int.h"
#include "watch_metrics.h"

#define WATCH_BACKOFF_MAX	60	/* s between tries while the directory or Redis is down */

struct watcher {
	const struct cfg *cfg;
	const struct watch_opts *opts;
	char *password;
	struct watch_trail *trail;
	struct watch_set *known;	/* the last set recorded; NULL before the baseline */
	long long baseline_ms;
	LDAP *ld;			/* scans and polls */
	LDAP *sync_ld;			/* the persistent search */
	struct watch_sync *sync;
	struct watch_poll poll;
	bool polling;			/* the server refused the sync: poll instead */
	bool down;			/* the directory is in an outage */
	time_t down_since;
	long backoff;
	time_t last_scan;
};

static volatile sig_atomic_t watch_stop;

static void watch_on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* Sleeps seconds, waking at once on SIGTERM/SIGINT. */
static void watch_sleep(long seconds)
{
	for (long i = 0; i < seconds * 10 && !watch_stop; i++) {
		struct timespec ts = { 0, 100000000L };
		nanosleep(&ts, NULL);
	}
}

static void watch_disconnect(struct watcher *w)
{
	watch_sync_free(w->sync);
	w->sync = NULL;
	dirldap_handle_close(w->sync_ld);
	w->sync_ld = NULL;
	dirldap_handle_close(w->ld);
	w->ld = NULL;
}

/* A directory failure: logged when an outage starts, then a back-off before the next try. */
static void watch_failed(struct watcher *w, const char *why)
{
	watch_disconnect(w);
	watch_metrics_up(false);
	if (!w->down) {
		w->down = true;
		w->down_since = time(NULL);
		log_warnx("watch: directory unavailable (%s); retrying with a back-off of up to "
		    "%d s, changes made meanwhile are reported when it is back", why,
		    WATCH_BACKOFF_MAX);
	}
	w->backoff = w->backoff == 0 ? 1 : w->backoff * 2;
	if (w->backoff > WATCH_BACKOFF_MAX)
		w->backoff = WATCH_BACKOFF_MAX;
	watch_sleep(w->backoff);
}

static void watch_back(struct watcher *w)
{
	if (w->down)
		log_notice("watch: directory is back after %lld s",
		    (long long)(time(NULL) - w->down_since));
	w->down = false;
	w->backoff = 0;
	watch_metrics_up(true);
}

/* Reads the protected entries and records what changed; 0, or -1 (directory or spool). */
static int watch_scan(struct watcher *w)
{
	struct watch_scan *scan;
	const char *why = "";
	long long now_ms = (long long)time(NULL) * 1000;

	if (w->ld == NULL && dirldap_handle_open(&w->cfg->ldap, w->password, &w->ld, &why) != 0) {
		watch_failed(w, why);
		return -1;
	}
	if (watch_scan_run(w->ld, w->cfg, time(NULL), &scan, &why) != 0) {
		watch_failed(w, why);
		return -1;
	}
	watch_back(w);
	w->last_scan = time(NULL);
	long n = watch_trail_apply(w->trail, w->known, scan, w->known != NULL ? w->baseline_ms :
	    now_ms);
	if (n < 0) {
		watch_scan_free(scan);
		watch_sleep(1);
		return -1;
	}
	watch_metrics_scan(n, w->known == NULL);
	if (w->known == NULL) {
		w->baseline_ms = now_ms;
		log_notice("watch: baseline recorded: %zu external forwards of %zu protected entries "
		    "(%zu internal ones left out)", watch_set_count(scan->set), scan->nentries,
		    scan->internal);
	}
	watch_set_free(w->known);
	w->known = scan->set;
	scan->set = NULL;
	watch_scan_free(scan);
	return 0;
}

/* Starts the persistent search, or settles for polling; 0, or -1 after a failure (backed off). */
static int watch_sync_open(struct watcher *w)
{
	const char *why = "";
	bool unsupported;

	if (w->opts->once || w->polling || w->sync != NULL)
		return 0;
	if (w->cfg->ldap.watch_mode == WATCH_POLL) {
		w->polling = true;
		watch_poll_init(&w->poll, time(NULL));
		watch_metrics_mode("poll");
		return 0;
	}
	if (w->sync_ld == NULL &&
	    dirldap_handle_open(&w->cfg->ldap, w->password, &w->sync_ld, &why) != 0) {
		watch_failed(w, why);
		return -1;
	}
	if ((w->sync = watch_sync_start(w->sync_ld, w->cfg->ldap.base, &unsupported, &why)) != NULL) {
		log_info("watch: following %s with LDAP Content Synchronization (RFC 4533)",
		    w->cfg->ldap.base);
		watch_metrics_mode("sync");
		return 0;
	}
	if (!unsupported || w->cfg->ldap.watch_mode == WATCH_SYNC) {
		watch_failed(w, why);
		return -1;
	}
	log_notice("watch: the directory does not offer Content Synchronization (%s); polling "
	    "modifyTimestamp every %ld s", why, w->cfg->ldap.watch_poll_interval);
	dirldap_handle_close(w->sync_ld);
	w->sync_ld = NULL;
	w->polling = true;
	watch_poll_init(&w->poll, time(NULL));
	watch_metrics_mode("poll");
	return 0;
}

static bool watch_rescan_due(const struct watcher *w)
{
	long every = w->cfg->ldap.watch_rescan_interval;
	return every > 0 && time(NULL) - w->last_scan >= every;
}

/* Waits for a change: 1 scan again, 0 stopping, -1 after a failure. */
static int watch_follow(struct watcher *w)
{
	const char *why = "";

	while (!watch_stop) {
		(void)watch_trail_flush(w->trail);
		if (w->sync != NULL) {
			long n = watch_sync_wait(w->sync, 1, &why);
			if (n < 0)
				break;
			if (n > 0)
				return 1;
		} else {
			watch_sleep(w->cfg->ldap.watch_poll_interval);
			if (watch_stop)
				return 0;
			int rc = watch_poll_check(w->ld, w->cfg->ldap.base, &w->poll, &why);
			if (rc < 0)
				break;
			if (rc > 0)
				return 1;
		}
		if (watch_rescan_due(w))
			return 1;
	}
	if (watch_stop)
		return 0;
	watch_failed(w, why);
	return -1;
}

/* The last known set from Redis, waiting (logged once) while Redis cannot answer. */
static int watch_load(struct watcher *w)
{
	char err[512];
	long backoff = 1;
	bool logged = false;

	while (!watch_stop) {
		int rc = watch_trail_load(w->trail, &w->known, &w->baseline_ms, err, sizeof(err));
		if (rc >= 0) {
			if (logged)
				log_notice("watch: Redis answers again");
			if (rc > 0)
				log_info("watch: %zu external forwards known since the baseline",
				    watch_set_count(w->known));
			return 0;
		}
		if (!logged)
			log_warnx("watch: cannot read the last known forwards from Redis (%s); "
			    "waiting for it", err);
		logged = true;
		if (w->opts->once)
			return -1;
		watch_sleep(backoff);
		backoff = backoff * 2 > WATCH_BACKOFF_MAX ? WATCH_BACKOFF_MAX : backoff * 2;
	}
	return -1;
}

static int watch_loop(struct watcher *w)
{
	if (watch_load(w) != 0)
		return watch_stop ? 0 : 1;
	while (!watch_stop) {
		/* The persistent search first: a change made during the scan is then heard of. */
		if (watch_sync_open(w) != 0 || watch_scan(w) != 0) {
			if (w->opts->once)
				return 1;
			continue;
		}
		if (w->opts->once)
			return watch_trail_flush(w->trail) == 0 ? 0 : 1;
		(void)watch_follow(w);
	}
	return 0;
}

static int watch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int watch_run(const struct cfg *c, const struct watch_opts *o)
{
	struct watcher w = { .cfg = c, .opts = o };
	char err[512];
	sigset_t stop, old;
	int rv = 1;

	if (c->ldap.uri == NULL) {
		log_errx("watch: no directory to watch: ldap.uri is not set in %s", c->path);
		return 1;
	}
	if (c->ldap.bind_password_file != NULL && *c->ldap.bind_password_file != '\0' &&
	    (w.password = directory_read_password(c->ldap.bind_password_file, err,
	    sizeof(err))) == NULL) {
		log_errx("watch: %s", err);
		return 1;
	}
	if (watch_signals() != 0) {
		log_err("watch: sigaction");
		goto out;
	}
	/* The shipper thread must not take the stop signals: this thread waits for them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	w.trail = watch_trail_open(c, err, sizeof(err));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w.trail == NULL) {
		log_errx("watch: %s", err);
		goto out;
	}
	log_info("watch: watching %s (%s) for the forwards of protected mailboxes", c->ldap.uri,
	    c->ldap.base);
	rv = watch_loop(&w);
out:
	watch_disconnect(&w);
	watch_trail_close(w.trail);
	watch_set_free(w.known);
	if (w.password != NULL) {
		explicit_bzero(w.password, strlen(w.password));
		free(w.password);
	}
	return rv;
}

static void watch_cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

int watch_main(const char *path, int argc, char **argv, int (*usage_fn)(const char *why),
    void (*help_fn)(void))
{
	static const struct option options[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "metrics-listen", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct watch_opts o = { false };
	const char *listen = NULL;
	char why[256];
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			help_fn();
			return 0;
		}
		if (opt == 'm') {
			struct sockaddr_storage ss;
			socklen_t len;
			if (metrics_addr_parse(optarg, &ss, &len) != 0) {
				snprintf(why, sizeof(why), "watch: --metrics-listen: invalid listen "
				    "address \"%s\" (want IPv4:port or [IPv6]:port, e.g. "
				    "127.0.0.1:9471)", optarg);
				return usage_fn(why);
			}
			listen = optarg;
			continue;
		}
		if (opt != 'o') {
			snprintf(why, sizeof(why), "watch: bad option %s", argv[optind - 1]);
			return usage_fn(why);
		}
		o.once = true;
	}
	if (optind < argc) {
		snprintf(why, sizeof(why), "watch: unexpected argument \"%s\"", argv[optind]);
		return usage_fn(why);
	}
	struct cfg *c = cfg_load(path, watch_cfg_error, NULL);
	if (c == NULL) {
		fprintf(stderr, "fwdguard-audit: cannot load %s\n", path);
		return 1;
	}
	/* A service: its log goes to syslog, and to stderr for tests (log.c: not
	 * when stderr is the journal, which has the syslog copy). */
	log_init("fwdguard-audit", c->log.facility, true);
	log_set_level(c->log.level);
	if (listen != NULL && watch_metrics_open(listen, why, sizeof(why)) != 0) {
		fprintf(stderr, "fwdguard-audit: watch: --metrics-listen: %s\n", why);
		cfg_unref(c);
		return 1;
	}
	int rv = watch_run(c, &o);
	watch_metrics_close();
	cfg_unref(c);
	return rv;
}
