/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.c - the registry of metrics and its text exposition (metrics.h).
 *
 * A family keeps its series in an open-addressing table of atomic
 * pointers, twice as large as METRICS_SERIES_MAX.  A slot goes from NULL
 * to a series once (compare-and-swap) and never back, so a lookup probes
 * without a lock and two threads adding the same label values meet in the
 * same slot: whoever loses the swap frees its copy and uses the winner's.
 *
 * Counters are 64-bit integers; gauges and histogram sums are doubles kept
 * as their bits in 64-bit atomics.  A histogram counts each observation
 * in one bucket; rendering accumulates them, and its _count is the sum of
 * the buckets it read, so "+Inf" and _count always agree within one
 * scrape even while observations land.
 *
 * Rendering is serialised by the registry's mutex, which only rendering,
 * family creation and collector registration take: never an update.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "metrics.h"

#define METRICS_SLOTS		(2 * METRICS_SERIES_MAX)	/* a power of two */
#define METRICS_KEY_MAX		(METRICS_LABELS_MAX * (METRICS_VALUE_MAX + 1))
#define METRICS_COLLECTORS_MAX	16

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM, METRICS_INFO };

struct metrics_series {
	struct metrics_family *f;
	uint64_t hash;
	size_t keylen;
	char *key;			/* the label values, each ended by '\0' */
	atomic_uint_least64_t value;	/* counter; gauge bits */
	atomic_uint_least64_t sum;	/* histogram: bits of the sum */
	atomic_uint_least64_t buckets[];	/* histogram: nbounds + 1 */
};

struct metrics_family {
	struct metrics *m;
	struct metrics_family *next;
	enum metrics_type type;
	char *name, *help;
	char *labels[METRICS_LABELS_MAX];
	size_t nlabels;
	double bounds[METRICS_BUCKETS_MAX];
	size_t nbounds;
	atomic_uint nseries;
	_Atomic(struct metrics_series *) slots[METRICS_SLOTS];
	pthread_mutex_t info_lock;	/* info: guards info */
	struct metrics_series *info;
};

struct metrics {
	pthread_mutex_t lock;		/* the family list, collectors, rendering */
	struct metrics_family *first, **tail;
	struct {
		metrics_collect_fn fn;
		void *arg;
	} collectors[METRICS_COLLECTORS_MAX];
	size_t ncollectors;
	char *dropped_name;
	atomic_uint_least64_t dropped;
};

static uint64_t
metrics_bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static double
metrics_double(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

/* ---- names and families ------------------------------------------------------- */

static bool
metrics_name_ok(const char *s, bool colon)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		    (colon && c == ':');

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

struct metrics *
metrics_new(const char *prefix)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (asprintf(&m->dropped_name, "%smetrics_series_dropped_total", prefix) < 0) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->tail = &m->first;
	return m;
}

static void
metrics_family_free(struct metrics_family *f)
{
	size_t i;

	for (i = 0; i < METRICS_SLOTS; i++) {
		struct metrics_series *s = atomic_load(&f->slots[i]);

		if (s != NULL) {
			free(s->key);
			free(s);
		}
	}
	if (f->info != NULL) {
		free(f->info->key);
		free(f->info);
	}
	for (i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	pthread_mutex_destroy(&f->info_lock);
	free(f->name);
	free(f->help);
	free(f);
}

void
metrics_free(struct metrics *m)
{
	struct metrics_family *f, *next;

	if (m == NULL)
		return;
	for (f = m->first; f != NULL; f = next) {
		next = f->next;
		metrics_family_free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m->dropped_name);
	free(m);
}

static bool
metrics_labels_ok(const char *const *labels, enum metrics_type type, size_t *n)
{
	for (*n = 0; labels != NULL && labels[*n] != NULL; (*n)++) {
		if (*n == METRICS_LABELS_MAX || !metrics_name_ok(labels[*n], false) ||
		    strncmp(labels[*n], "__", 2) == 0 ||
		    (type == METRICS_HISTOGRAM && strcmp(labels[*n], "le") == 0))
			return false;
		for (size_t j = 0; j < *n; j++)
			if (strcmp(labels[j], labels[*n]) == 0)
				return false;
	}
	return true;
}

static bool
metrics_taken(const struct metrics *m, const char *name)
{
	const struct metrics_family *f;

	if (strcmp(name, m->dropped_name) == 0)
		return true;
	for (f = m->first; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return true;
	return false;
}

static struct metrics_family *
metrics_family_new(struct metrics *m, enum metrics_type type, const char *name,
    const char *help, const char *const *labels, const double *bounds, size_t nbounds)
{
	struct metrics_family *f;
	size_t n, i;
	bool ok = true;

	if (m == NULL || !metrics_name_ok(name, true) || !metrics_labels_ok(labels, type, &n) ||
	    nbounds > METRICS_BUCKETS_MAX || (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->m = m;
	f->type = type;
	pthread_mutex_init(&f->info_lock, NULL);
	f->name = strdup(name);
	f->help = strdup(help != NULL ? help : "");
	for (i = 0; i < n; i++)
		ok = ok && (f->labels[f->nlabels++] = strdup(labels[i])) != NULL;
	for (i = 0; i < nbounds; i++) {
		ok = ok && !isnan(bounds[i]) && (i == 0 || bounds[i] > bounds[i - 1]);
		f->bounds[i] = bounds[i];
	}
	f->nbounds = nbounds;
	pthread_mutex_lock(&m->lock);
	ok = ok && f->name != NULL && f->help != NULL && !metrics_taken(m, name);
	if (ok) {
		*m->tail = f;
		m->tail = &f->next;
	}
	pthread_mutex_unlock(&m->lock);
	if (!ok) {
		metrics_family_free(f);
		return NULL;
	}
	return f;
}

struct metrics_family *
metrics_counter(struct metrics *m, const char *name, const char *help, const char *const *labels)
{
	return metrics_family_new(m, METRICS_COUNTER, name, help, labels, NULL, 0);
}

struct metrics_family *
metrics_gauge(struct metrics *m, const char *name, const char *help, const char *const *labels)
{
	return metrics_family_new(m, METRICS_GAUGE, name, help, labels, NULL, 0);
}

struct metrics_family *
metrics_histogram(struct metrics *m, const char *name, const char *help,
    const char *const *labels, const double *bounds, size_t nbounds)
{
	return metrics_family_new(m, METRICS_HISTOGRAM, name, help, labels, bounds, nbounds);
}

struct metrics_family *
metrics_info(struct metrics *m, const char *name, const char *help, const char *const *labels)
{
	return metrics_family_new(m, METRICS_INFO, name, help, labels, NULL, 0);
}

int
metrics_collector(struct metrics *m, metrics_collect_fn fn, void *arg)
{
	int rc = -1;

	if (m == NULL)
		return -1;
	pthread_mutex_lock(&m->lock);
	if (m->ncollectors < METRICS_COLLECTORS_MAX) {
		m->collectors[m->ncollectors].fn = fn;
		m->collectors[m->ncollectors++].arg = arg;
		rc = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* ---- series ------------------------------------------------------------------------ */

/* The values joined, each ended by '\0' and cut to METRICS_VALUE_MAX; its length. */
static size_t
metrics_key(const struct metrics_family *f, const char *const *values, char *key)
{
	size_t i, o = 0;

	for (i = 0; i < f->nlabels; i++) {
		const char *v = values != NULL && values[i] != NULL ? values[i] : "";
		size_t n = strnlen(v, METRICS_VALUE_MAX);

		/* A cut value ends on a whole UTF-8 character: the format is UTF-8. */
		if (n == METRICS_VALUE_MAX)
			while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
				n--;
		memcpy(key + o, v, n);
		o += n;
		key[o++] = '\0';
	}
	return o;
}

static struct metrics_series *
metrics_series_new(struct metrics_family *f, const char *key, size_t len, uint64_t h)
{
	size_t nb = f->type == METRICS_HISTOGRAM ? f->nbounds + 1 : 0;
	struct metrics_series *s = calloc(1, sizeof(*s) + nb * sizeof(s->buckets[0]));

	if (s == NULL || (s->key = malloc(len + 1)) == NULL) {
		free(s);
		return NULL;
	}
	memcpy(s->key, key, len);
	s->key[len] = '\0';
	s->keylen = len;
	s->hash = h;
	s->f = f;
	atomic_init(&s->value, 0);
	atomic_init(&s->sum, metrics_bits(0));
	for (size_t i = 0; i < nb; i++)
		atomic_init(&s->buckets[i], 0);
	return s;
}

static bool
metrics_same(const struct metrics_series *s, const char *key, size_t len, uint64_t h)
{
	return s->hash == h && s->keylen == len && memcmp(s->key, key, len) == 0;
}

struct metrics_series *
metrics_series(struct metrics_family *f, const char *const *values)
{
	char key[METRICS_KEY_MAX];
	struct metrics_series *s, *mine = NULL;
	size_t len, i;
	uint64_t h;

	if (f == NULL || f->type == METRICS_INFO)
		return NULL;
	len = metrics_key(f, values, key);
	h = hash_bytes(HASH_INIT, key, len);	/* keys chosen by the program, not by senders */
	for (i = 0; i < METRICS_SLOTS; i++) {
		_Atomic(struct metrics_series *) *slot = &f->slots[(h + i) & (METRICS_SLOTS - 1)];

		s = atomic_load_explicit(slot, memory_order_acquire);
		if (s == NULL) {
			if (atomic_load_explicit(&f->nseries, memory_order_relaxed) >= METRICS_SERIES_MAX)
				break;
			if (mine == NULL && (mine = metrics_series_new(f, key, len, h)) == NULL)
				return NULL;
			if (atomic_compare_exchange_strong_explicit(slot, &s, mine,
			    memory_order_acq_rel, memory_order_acquire)) {
				atomic_fetch_add_explicit(&f->nseries, 1, memory_order_relaxed);
				return mine;
			}
			/* Another thread filled the slot: s is its series. */
		}
		if (metrics_same(s, key, len, h)) {
			if (mine != NULL) {
				free(mine->key);
				free(mine);
			}
			return s;
		}
	}
	if (mine != NULL) {
		free(mine->key);
		free(mine);
	}
	atomic_fetch_add_explicit(&f->m->dropped, 1, memory_order_relaxed);
	return NULL;
}

void
metrics_series_add(struct metrics_series *s, uint64_t n)
{
	if (s != NULL && s->f->type == METRICS_COUNTER)
		atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
}

void
metrics_series_set(struct metrics_series *s, double v)
{
	if (s == NULL)
		return;
	if (s->f->type == METRICS_GAUGE)
		atomic_store_explicit(&s->value, metrics_bits(v), memory_order_relaxed);
	else if (s->f->type == METRICS_COUNTER && v >= 0)
		atomic_store_explicit(&s->value, (uint64_t)v, memory_order_relaxed);
}

void
metrics_series_observe(struct metrics_series *s, double v)
{
	const struct metrics_family *f;
	uint64_t old, new;
	size_t i;

	if (s == NULL || s->f->type != METRICS_HISTOGRAM || isnan(v))
		return;
	f = s->f;
	for (i = 0; i < f->nbounds && v > f->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
	old = atomic_load_explicit(&s->sum, memory_order_relaxed);
	do
		new = metrics_bits(metrics_double(old) + v);
	while (!atomic_compare_exchange_weak_explicit(&s->sum, &old, new,
	    memory_order_relaxed, memory_order_relaxed));
}

void
metrics_add(struct metrics_family *f, const char *const *values, uint64_t n)
{
	metrics_series_add(metrics_series(f, values), n);
}

void
metrics_set(struct metrics_family *f, const char *const *values, double v)
{
	metrics_series_set(metrics_series(f, values), v);
}

void
metrics_observe(struct metrics_family *f, const char *const *values, double v)
{
	metrics_series_observe(metrics_series(f, values), v);
}

int
metrics_info_set(struct metrics_family *f, const char *const *values)
{
	char key[METRICS_KEY_MAX];
	struct metrics_series *s, *old;
	size_t len;

	if (f == NULL || f->type != METRICS_INFO)
		return -1;
	len = metrics_key(f, values, key);
	if ((s = metrics_series_new(f, key, len, 0)) == NULL)
		return -1;
	pthread_mutex_lock(&f->info_lock);
	old = f->info;
	f->info = s;
	pthread_mutex_unlock(&f->info_lock);
	if (old != NULL) {
		free(old->key);
		free(old);
	}
	return 0;
}

/* ---- rendering ------------------------------------------------------------------- */

struct metrics_out {
	char *buf;
	size_t len, cap;
	bool nomem;
};

static void
metrics_put(struct metrics_out *o, const char *s, size_t n)
{
	if (o->nomem)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (o->len + n + 1 > cap)
			cap *= 2;
		if ((b = realloc(o->buf, cap)) == NULL) {
			o->nomem = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
metrics_puts(struct metrics_out *o, const char *s)
{
	metrics_put(o, s, strlen(s));
}

/* Escapes backslash and newline (help text), and '"' too in a label value. */
static void
metrics_escaped(struct metrics_out *o, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			metrics_puts(o, "\\\\");
		else if (*s == '\n')
			metrics_puts(o, "\\n");
		else if (*s == '"' && quote)
			metrics_puts(o, "\\\"");
		else
			metrics_put(o, s, 1);
	}
}

/* A double as Prometheus reads it: the shortest text that reads back the same. */
static void
metrics_number(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, "%sInf", v > 0 ? "+" : "-");
	else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		snprintf(buf, size, "%lld", (long long)v);	/* 40000, not 4e+04 */
	else
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
}

/* name{l1="v1",...,extra="x"} : extra (may be NULL) is the histogram's le. */
static void
metrics_head(struct metrics_out *o, const struct metrics_family *f, const char *suffix,
    const char *key, const char *le)
{
	const char *v = key;
	size_t i;

	metrics_puts(o, f->name);
	metrics_puts(o, suffix);
	if (f->nlabels == 0 && le == NULL)
		return;
	metrics_puts(o, "{");
	for (i = 0; i < f->nlabels; i++, v += strlen(v) + 1) {
		metrics_puts(o, i > 0 ? ",": "");
		metrics_puts(o, f->labels[i]);
		metrics_puts(o, "=\"");
		metrics_escaped(o, v, true);
		metrics_puts(o, "\"");
	}
	if (le != NULL) {
		metrics_puts(o, f->nlabels > 0 ? ",le=\"" : "le=\"");
		metrics_puts(o, le);
		metrics_puts(o, "\"");
	}
	metrics_puts(o, "}");
}

static void
metrics_line_u64(struct metrics_out *o, const struct metrics_family *f, const char *suffix,
    const char *key, const char *le, uint64_t v)
{
	char num[32];

	metrics_head(o, f, suffix, key, le);
	snprintf(num, sizeof(num), " %llu\n", (unsigned long long)v);
	metrics_puts(o, num);
}

static void
metrics_render_histogram(struct metrics_out *o, const struct metrics_series *s)
{
	const struct metrics_family *f = s->f;
	char le[40], num[48];
	uint64_t total = 0;
	size_t i;

	for (i = 0; i <= f->nbounds; i++) {
		total += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
		if (i < f->nbounds)
			metrics_number(le, sizeof(le), f->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		metrics_line_u64(o, f, "_bucket", s->key, le, total);
	}
	metrics_head(o, f, "_sum", s->key, NULL);
	metrics_number(num, sizeof(num), metrics_double(atomic_load_explicit(&s->sum,
	    memory_order_relaxed)));
	metrics_puts(o, " ");
	metrics_puts(o, num);
	metrics_puts(o, "\n");
	metrics_line_u64(o, f, "_count", s->key, NULL, total);
}

static void
metrics_render_series(struct metrics_out *o, const struct metrics_series *s)
{
	const struct metrics_family *f = s->f;
	char num[48];

	switch (f->type) {
	case METRICS_COUNTER:
		metrics_line_u64(o, f, "", s->key,
		    NULL, atomic_load_explicit(&s->value, memory_order_relaxed));
		break;
	case METRICS_GAUGE:
		metrics_head(o, f, "", s->key, NULL);
		metrics_number(num, sizeof(num),
		    metrics_double(atomic_load_explicit(&s->value, memory_order_relaxed)));
		metrics_puts(o, " ");
		metrics_puts(o, num);
		metrics_puts(o, "\n");
		break;
	case METRICS_HISTOGRAM:
		metrics_render_histogram(o, s);
		break;
	case METRICS_INFO:
		metrics_line_u64(o, f, "", s->key, NULL, 1);
		break;
	}
}

static int
metrics_series_cmp(const void *a, const void *b)
{
	const struct metrics_series *x = *(struct metrics_series *const *)a;
	const struct metrics_series *y = *(struct metrics_series *const *)b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);

	return c != 0 ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

static void
metrics_render_family(struct metrics_out *o, struct metrics_family *f)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "gauge" };
	struct metrics_series *list[METRICS_SLOTS];
	size_t n = 0, i;

	metrics_puts(o, "# HELP ");
	metrics_puts(o, f->name);
	metrics_puts(o, " ");
	metrics_escaped(o, f->help, false);
	metrics_puts(o, "\n# TYPE ");
	metrics_puts(o, f->name);
	metrics_puts(o, " ");
	metrics_puts(o, types[f->type]);
	metrics_puts(o, "\n");
	if (f->type == METRICS_INFO) {
		pthread_mutex_lock(&f->info_lock);
		if (f->info != NULL)
			metrics_render_series(o, f->info);
		pthread_mutex_unlock(&f->info_lock);
		return;
	}
	for (i = 0; i < METRICS_SLOTS; i++)
		if ((list[n] = atomic_load_explicit(&f->slots[i], memory_order_acquire)) != NULL)
			n++;
	qsort(list, n, sizeof(list[0]), metrics_series_cmp);
	for (i = 0; i < n; i++)
		metrics_render_series(o, list[i]);
}

char *
metrics_render(struct metrics *m, size_t *len)
{
	struct metrics_out o = { NULL, 0, 0, false };
	struct metrics_family *f;
	char line[512];
	size_t i;

	*len = 0;
	if (m == NULL)
		return NULL;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->ncollectors; i++)
		m->collectors[i].fn(m->collectors[i].arg);
	for (f = m->first; f != NULL; f = f->next)
		metrics_render_family(&o, f);
	snprintf(line, sizeof(line), "# HELP %s Updates dropped because their family held %d "
	    "series already.\n# TYPE %s counter\n%s %llu\n", m->dropped_name, METRICS_SERIES_MAX,
	    m->dropped_name, m->dropped_name,
	    (unsigned long long)atomic_load_explicit(&m->dropped, memory_order_relaxed));
	metrics_puts(&o, line);
	pthread_mutex_unlock(&m->lock);
	if (o.nomem) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
