/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.h - a registry of Prometheus metrics and its text exposition
 * (format 0.0.4), shared by every long-running program of fwdguard (the
 * daemon, "fwdguard-audit alerts"); metrics_http.h serves it.
 *
 * A registry holds families: one metric name with its help text, type and
 * label names.  A family holds series, one per distinct tuple of label
 * values, created on first use and kept for the life of the registry (a
 * counter that vanished would read as a reset).  Label values must come
 * from bounded sets (fixed names, config rule names): a family holds at
 * most METRICS_SERIES_MAX series, and updates past that are dropped and
 * counted in <prefix>metrics_series_dropped_total.
 *
 * Updates are lock-free (atomics; a new series is published with one
 * compare-and-swap), so the message path never waits for a scrape or for
 * another message.  Every update function accepts a NULL family or series
 * and does nothing: a program whose registry could not be set up (ENOMEM)
 * runs on without metrics.
 *
 * Pointers: families and series are owned by the registry and valid until
 * metrics_free(); strings passed in are copied.
 */
#ifndef FWDGUARD_METRICS_H
#define FWDGUARD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_SERIES_MAX	512	/* series per family */
#define METRICS_LABELS_MAX	8	/* label names per family */
#define METRICS_VALUE_MAX	256	/* bytes of one label value kept */
#define METRICS_BUCKETS_MAX	32	/* histogram bounds */

struct metrics;
struct metrics_family;
struct metrics_series;

/*
 * A registry whose own metric is named <prefix>metrics_series_dropped_total
 * (prefix like "fwdguard_").  NULL on ENOMEM.
 */
struct metrics *metrics_new(const char *prefix);
void metrics_free(struct metrics *m);	/* accepts NULL; nothing may use it any more */

/*
 * Families.  labels is a NULL-terminated list of label names (NULL: none).
 * Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]* for metrics,
 * [a-zA-Z_][a-zA-Z0-9_]* (not "__..." nor "le" on a histogram) for labels.
 * NULL for a bad name, a duplicate or ENOMEM.
 */
struct metrics_family *metrics_counter(struct metrics *m, const char *name, const char *help,
    const char *const *labels);
struct metrics_family *metrics_gauge(struct metrics *m, const char *name, const char *help,
    const char *const *labels);
/* bounds: upper bounds in increasing order (the +Inf bucket is implicit). */
struct metrics_family *metrics_histogram(struct metrics *m, const char *name, const char *help,
    const char *const *labels, const double *bounds, size_t nbounds);
/* An info metric (a gauge of value 1 whose labels carry the facts): one series at a time. */
struct metrics_family *metrics_info(struct metrics *m, const char *name, const char *help,
    const char *const *labels);

/*
 * The series of values[] (one per label name of the family; NULL for a
 * family without labels), created on first use.  NULL when the family is
 * full (counted as dropped), on ENOMEM, or for an info family.  Resolving
 * once and keeping the pointer saves a lookup on a hot path.
 */
struct metrics_series *metrics_series(struct metrics_family *f, const char *const *values);

void metrics_series_add(struct metrics_series *s, uint64_t n);		/* counter */
void metrics_series_set(struct metrics_series *s, double v);		/* gauge; a counter
				 * mirrored from a monotonic statistic */
void metrics_series_observe(struct metrics_series *s, double v);	/* histogram */

/* The same through the family, for label values known only at the call. */
void metrics_add(struct metrics_family *f, const char *const *values, uint64_t n);
void metrics_set(struct metrics_family *f, const char *const *values, double v);
void metrics_observe(struct metrics_family *f, const char *const *values, double v);

/* Replaces the one series of an info family.  0, or -1 on ENOMEM (the old one stays). */
int metrics_info_set(struct metrics_family *f, const char *const *values);

/*
 * A function run at the start of every rendering, to copy statistics kept
 * elsewhere into gauges and counters.  It runs in the rendering thread and
 * must not block for long.  0, or -1 on ENOMEM.
 */
typedef void (*metrics_collect_fn)(void *arg);
int metrics_collector(struct metrics *m, metrics_collect_fn fn, void *arg);

/*
 * The whole registry in the text exposition format, families in the order
 * they were made, series sorted by label values.  Owned by the caller
 * (free); *len receives its length.  NULL on ENOMEM.
 */
char *metrics_render(struct metrics *m, size_t *len);

#endif
