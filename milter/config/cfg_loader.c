/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_loader.c - the state of one load (cfg_loader.h): the error
 * collector, which keeps every error with its position and hands them
 * over sorted, and the string and list helpers the setters share.
 *
 * Errors from the reader (cfg_yaml.c) and from the setters arrive in the
 * order the checks run, which is table order, not file order; sorting by
 * position (and by arrival at one position) gives the administrator the
 * file's order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_loader.h"

#define ABIT(a)		(1LL << (a))

struct cfg_error {
	int line, col;
	size_t seq;		/* keeps errors at one position in the order found */
	char *msg;
};

void
cfg_report_at(struct cfg_loader *l, int line, int col, const char *msg)
{
	struct cfg_error *e;

	if (l->nerrors == l->nerrors_max) {
		size_t max = l->nerrors_max ? 2 * l->nerrors_max : 16;

		if ((e = realloc(l->errors, max * sizeof(*e))) == NULL) {
			l->nomem = true;
			return;
		}
		l->errors = e;
		l->nerrors_max = max;
	}
	e = &l->errors[l->nerrors];
	if ((e->msg = strdup(msg)) == NULL) {
		l->nomem = true;
		return;
	}
	e->line = line;
	e->col = col;
	e->seq = l->nerrors++;
}

void
cfg_report(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *fmt, ...)
{
	char msg[768];
	size_t used = 0;
	va_list ap;

	if (path != NULL && *path != '\0')
		used = (size_t)snprintf(msg, sizeof(msg), "%s: ", path);
	if (used < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + used, sizeof(msg) - used, fmt, ap);
		va_end(ap);
	}
	cfg_report_at(l, n ? n->line : 1, n ? n->col : 1, msg);
}

void
cfg_report_reader(void *ctx, int line, int col, const char *msg)
{
	cfg_report_at(ctx, line, col, msg);
}

static int
cfg_error_cmp(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
cfg_loader_emit(struct cfg_loader *l, void (*err)(void *ctx, const char *line), void *ctx)
{
	char line[1024];
	size_t i;

	qsort(l->errors, l->nerrors, sizeof(*l->errors), cfg_error_cmp);
	for (i = 0; i < l->nerrors; i++) {
		snprintf(line, sizeof(line), "%s:%d:%d: %s", l->name, l->errors[i].line,
		    l->errors[i].col, l->errors[i].msg);
		if (err != NULL)
			err(ctx, line);
		free(l->errors[i].msg);
	}
	free(l->errors);
	l->errors = NULL;
	l->nerrors = l->nerrors_max = 0;
}

const char *
cfg_show(const char *s, size_t len, char buf[CFG_SHOW_MAX + 8])
{
	size_t i = 0, o = 0, n;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		bool escape = c < 0x20 || c == 0x7f || c == '\\';

		/* Copy a UTF-8 sequence whole or not at all. */
		n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (n > len - i)
			n = len - i;
		if (o + (escape ? 4 : n) > CFG_SHOW_MAX)
			break;
		if (escape) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
			i++;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		}
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- paths and words of messages ----------------------------------------- */


void
cfg_path_key(char *out, size_t size, const char *path, const char *key)
{
	char shown[CFG_SHOW_MAX + 8];

	cfg_show(key, strlen(key), shown);
	snprintf(out, size, "%s%s%s", path, *path ? "." : "", shown);
}

void
cfg_path_index(char *out, size_t size, const char *path, size_t i)
{
	snprintf(out, size, "%s[%zu]", path, i);
}

const char *
cfg_kind_name(const struct cfg_node *n)
{
	if (n->kind == CFG_NODE_SEQ)
		return "a list";
	if (n->kind == CFG_NODE_MAP)
		return "a mapping";
	return cfg_yaml_is_null(n) ? "nothing" : "a scalar";
}

/* Joins names[from..to] (by a name function over ints) with '|' into buf. */
const char *
cfg_want(char *buf, size_t size, const char *(*name)(int), int from, int to, long long mask)
{
	int i, step = from <= to ? 1 : -1;
	size_t used = 0;

	buf[0] = '\0';
	for (i = from; ; i += step) {
		if ((mask & ABIT(i)) != 0 && name(i) != NULL && used < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "|" : "", name(i));
		if (i == to)
			break;
	}
	return buf;
}

/* ---- strings ----------------------------------------------------------------- */


char *
cfg_strdup(struct cfg_loader *l, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		l->nomem = true;
	return d;
}

void
cfg_replace(struct cfg_loader *l, char **field, const char *s)
{
	char *d = cfg_strdup(l, s);

	if (d != NULL) {
		free(*field);
		*field = d;
	}
}

/* The text of a scalar without control characters, or NULL after reporting. */
const char *
cfg_text(struct cfg_loader *l, const struct cfg_node *n, const char *path, const char *what)
{
	size_t i;

	if (n->kind != CFG_NODE_SCALAR || cfg_yaml_is_null(n)) {
		cfg_report(l, n, path, "expected %s, got %s", what, cfg_kind_name(n));
		return NULL;
	}
	for (i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->text[i];

		if (c < 0x20 || c == 0x7f) {
			cfg_report(l, n, path, "control character 0x%02x in value", c);
			return NULL;
		}
	}
	return n->text;
}

/* ---- lists ------------------------------------------------------------------- */


/*
 * The items of a list value; a null value is an empty list, and a scalar
 * counts as a one-item list when one_ok (*np must outlive the items).
 * Returns 0, or -1 after reporting.
 */
int
cfg_items(struct cfg_loader *l, const struct cfg_node *const *np, const char *path,
    bool one_ok, struct cfg_node *const **items, size_t *count)
{
	const struct cfg_node *n = *np;

	*items = NULL;
	*count = 0;
	if (cfg_yaml_is_null(n))
		return 0;
	if (one_ok && n->kind == CFG_NODE_SCALAR) {
		*items = (struct cfg_node *const *)np;
		*count = 1;
		return 0;
	}
	if (n->kind != CFG_NODE_SEQ) {
		cfg_report(l, n, path, "expected a list, got %s", cfg_kind_name(n));
		return -1;
	}
	if (n->nkids > CFG_MAX_ITEMS) {
		cfg_report(l, n, path, "more than %d items", CFG_MAX_ITEMS);
		return -1;
	}
	*items = n->kids;
	*count = n->nkids;
	return 0;
}

void
cfg_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* Replaces the list at k with v[0..n) (taken over). */
static void
cfg_strv_store(const struct cfg_key *k, void *base, char **v, size_t n)
{
	char ***field = FIELD(base, k, char **);
	size_t *count = (size_t *)(void *)((char *)base + k->count);

	cfg_strv_free(*field, *count);
	*field = v;
	*count = n;
}

int
cfg_strv_set(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base, bool one_ok, const char *empty, cfg_item_fn fn)
{
	char ipath[CFG_PATH_MAX], **v;
	struct cfg_node *const *items;
	size_t count, i, nv = 0;

	if (cfg_items(l, &n, path, one_ok, &items, &count) < 0)
		return -1;
	if (count == 0 && empty != NULL) {
		cfg_report(l, n, path, "%s", empty);
		return -1;
	}
	if ((v = calloc(count + 1, sizeof(*v))) == NULL) {
		l->nomem = true;
		return -1;
	}
	for (i = 0; i < count; i++) {
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (items[i]->kind != CFG_NODE_BAD && (v[nv] = fn(l, k, items[i], ipath)) != NULL)
			nv++;
	}
	cfg_strv_store(k, base, v, nv);
	return 0;
}
