/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_daemon.c - the daemon's metric families (metrics_daemon.h).
 *
 * The message path touches only atomics: the signal and latency series
 * are resolved once here, and a decision's series (its rule comes from
 * the config, so the set grows with reloads) is found by one lock-free
 * lookup.  Figures that other modules already keep under their own locks
 * (the spool, the shipper, the directory cache) are copied by a collector
 * when Prometheus scrapes, so counting them costs the message nothing.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "directory.h"
#include "metrics_daemon.h"
#include "signals.h"

/* Seconds; an end of message waits for an fdatasync of the spool, so milliseconds are normal. */
static const double eom_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10 };

static struct {
	struct metrics *m;
	struct audit *audit;
	struct metrics_family *decisions, *config, *reloads;
	struct metrics_series *signals[SIGNAL_COUNT];
	struct metrics_series *eom;
	struct metrics_series *reload_ok, *reload_failed;
	struct metrics_series *backlog, *oldest_age, *shipped, *ship_errors, *spool_errors;
	struct metrics_series *ldap_lookups, *ldap_hits, *ldap_queries, *ldap_stale;
	struct metrics_series *ldap_lookup_errors, *ldap_refresh_errors, *ldap_refreshes;
} md;

static double
metrics_daemon_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Runs at each scrape: the trail's and the directory's own counts. */
static void
metrics_daemon_collect(void *arg)
{
	struct audit_stat a;
	struct directory_stat d;
	double age = 0;

	audit_stat(md.audit, &a);
	if (a.oldest_ms > 0 && (age = metrics_daemon_now() - (double)a.oldest_ms / 1000) < 0)
		age = 0;
	metrics_series_set(md.backlog, (double)a.backlog);
	metrics_series_set(md.oldest_age, age);
	metrics_series_set(md.shipped, (double)a.shipped);
	metrics_series_set(md.ship_errors, (double)a.ship_errors);
	metrics_series_set(md.spool_errors, (double)a.commit_failures);
	directory_stat(directory_current(), &d);
	metrics_series_set(md.ldap_lookups, (double)d.cache.lookups);
	metrics_series_set(md.ldap_hits, (double)d.cache.hits);
	metrics_series_set(md.ldap_queries, (double)d.cache.queries);
	metrics_series_set(md.ldap_stale, (double)d.cache.stale);
	metrics_series_set(md.ldap_lookup_errors, (double)d.cache.errors);
	metrics_series_set(md.ldap_refresh_errors, (double)d.refresh_errors);
	metrics_series_set(md.ldap_refreshes, (double)d.refreshes);
}

static struct metrics_series *
metrics_daemon_one(struct metrics_family *f, const char *value)
{
	const char *v[] = { value };

	return metrics_series(f, value != NULL ? v : NULL);
}

static struct metrics_series *
metrics_daemon_counter(const char *name, const char *help)
{
	return metrics_daemon_one(metrics_counter(md.m, name, help, NULL), NULL);
}

static struct metrics_series *
metrics_daemon_gauge(const char *name, const char *help)
{
	return metrics_daemon_one(metrics_gauge(md.m, name, help, NULL), NULL);
}

/* The decision path's families, in the order of README.md "Metrics". */
static void
metrics_daemon_message_families(void)
{
	static const char *const dlabels[] = { "action", "rule", "mode", NULL };
	static const char *const slabels[] = { "signal", NULL };
	struct metrics_family *f;

	md.decisions = metrics_counter(md.m, "fwdguard_decisions_total",
	    "Decisions recorded in the audit trail, by action, rule (\"\" when none matched) "
	    "and mode.", dlabels);
	f = metrics_counter(md.m, "fwdguard_signals_total",
	    "Signals in recorded decisions, once per decision that carries them.", slabels);
	for (int i = 0; i < SIGNAL_COUNT; i++)
		md.signals[i] = metrics_daemon_one(f, signal_name((enum fg_signal)i));
	md.eom = metrics_daemon_one(metrics_histogram(md.m, "fwdguard_eom_duration_seconds",
	    "Time from end of message to the milter's reply: decide, make the records durable, act.",
	    NULL, eom_bounds, sizeof(eom_bounds) / sizeof(eom_bounds[0])), NULL);
}

/* The figures copied at each scrape that have no labels: one row each. */
static const struct {
	struct metrics_series **slot;
	bool gauge;
	const char *name, *help;
} metrics_daemon_plain[] = {
	{ &md.backlog, true, "fwdguard_spool_unshipped_records",
	    "Records written to the spool since start and not yet stored in Redis." },
	{ &md.oldest_age, true, "fwdguard_spool_oldest_unshipped_age_seconds",
	    "Age of the oldest record of the shipping round in progress not yet stored in Redis; "
	    "0 when none waits and between rounds (under load up to 0.2 s apart)." },
	{ &md.shipped, false, "fwdguard_shipped_records_total",
	    "Records the shipper stored in Redis." },
	{ &md.ship_errors, false, "fwdguard_ship_errors_total",
	    "Shipping rounds that failed (Redis down, slow or refusing); the records stay in the spool." },
	{ &md.spool_errors, false, "fwdguard_spool_write_errors_total",
	    "Spool writes that failed; their messages got a temporary failure." },
	{ &md.ldap_lookups, false, "fwdguard_ldap_lookups_total",
	    "Directory lookups of a recipient, answered from the cache or by LDAP." },
	{ &md.ldap_hits, false, "fwdguard_ldap_cache_hits_total",
	    "Directory lookups answered from a fresh cached answer." },
	{ &md.ldap_queries, false, "fwdguard_ldap_queries_total",
	    "Lookups sent to the LDAP server." },
	{ &md.ldap_stale, false, "fwdguard_ldap_stale_answers_total",
	    "Expired cached answers served while the directory did not answer." },
	{ &md.ldap_refreshes, false, "fwdguard_ldap_refreshes_total",
	    "Loads of the protected set and internal domains from the directory." },
};

static void
metrics_daemon_trail_families(void)
{
	static const char *const olabels[] = { "operation", NULL };
	struct metrics_family *f;

	for (size_t i = 0; i < sizeof(metrics_daemon_plain) / sizeof(metrics_daemon_plain[0]); i++)
		*metrics_daemon_plain[i].slot = metrics_daemon_plain[i].gauge ?
		    metrics_daemon_gauge(metrics_daemon_plain[i].name, metrics_daemon_plain[i].help) :
		    metrics_daemon_counter(metrics_daemon_plain[i].name, metrics_daemon_plain[i].help);
	f = metrics_counter(md.m, "fwdguard_ldap_errors_total",
	    "LDAP queries without an answer (server down, timeout, error), by operation: a "
	    "recipient lookup or a refresh of the protected set.", olabels);
	md.ldap_lookup_errors = metrics_daemon_one(f, "lookup");
	md.ldap_refresh_errors = metrics_daemon_one(f, "refresh");
}

static void
metrics_daemon_process_families(const struct cfg *c)
{
	static const char *const rlabels[] = { "result", NULL };
	static const char *const dlabels[] = { "digest", NULL };
	static const char *const vlabels[] = { "version", NULL };
	const char *version[] = { PACKAGE_VERSION };
	struct metrics_family *f;

	md.reloads = metrics_counter(md.m, "fwdguard_reloads_total",
	    "Configuration reloads (SIGUSR1) by result; a failed one leaves the running "
	    "configuration in force.", rlabels);
	md.reload_ok = metrics_daemon_one(md.reloads, "success");
	md.reload_failed = metrics_daemon_one(md.reloads, "failure");
	md.config = metrics_info(md.m, "fwdguard_config_info",
	    "The configuration in force: the SHA-256 of its file, as in the audit field policy.",
	    dlabels);
	if (c != NULL)
		metrics_info_set(md.config, (const char *const[]){ c->digest });
	f = metrics_info(md.m, "fwdguard_build_info", "The running fwdguard.", vlabels);
	metrics_info_set(f, version);
	metrics_series_set(metrics_daemon_gauge("fwdguard_start_time_seconds",
	    "When the daemon started, in seconds since the epoch."), metrics_daemon_now());
}

struct metrics *
metrics_daemon_open(struct audit *a, const struct cfg *c)
{
	if ((md.m = metrics_new("fwdguard_")) == NULL)
		return NULL;
	md.audit = a;
	metrics_daemon_message_families();
	metrics_daemon_trail_families();
	metrics_daemon_process_families(c);
	metrics_collector(md.m, metrics_daemon_collect, NULL);
	return md.m;
}

void
metrics_daemon_close(void)
{
	struct metrics *m = md.m;

	memset(&md, 0, sizeof(md));
	metrics_free(m);
}

void
metrics_daemon_decisions(const struct decision *d, size_t n)
{
	const char *labels[3];

	if (md.m == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!d[i].record)
			continue;
		labels[0] = action_name(d[i].action);
		labels[1] = d[i].rule != NULL ? d[i].rule->name : "";
		labels[2] = mode_name(d[i].mode);
		metrics_add(md.decisions, labels, 1);
		for (int s = 0; s < SIGNAL_COUNT; s++)
			if (d[i].signals & SIGNAL_BIT(s))
				metrics_series_add(md.signals[s], 1);
	}
}

void
metrics_daemon_eom(double seconds)
{
	metrics_series_observe(md.eom, seconds);
}

void
metrics_daemon_reload(bool ok, const struct cfg *c)
{
	metrics_series_add(ok ? md.reload_ok : md.reload_failed, 1);
	if (ok && c != NULL)
		metrics_info_set(md.config, (const char *const[]){ c->digest });
}
