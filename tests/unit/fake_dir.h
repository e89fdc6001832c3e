/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fake_dir.h - a fake directory lookup backend for the unit tests of
 * milter/directory/directory.c and milter/directory/dirrcpt.c: answers from a table, counts
 * and records the questions ("F:key" for forwards, "P:key" for protected).
 * fake_set_search answers the refresh's whole-set searches with one list
 * of by-entry values (any length), whatever the filter.
 */
#ifndef FWDGUARD_TEST_FAKE_DIR_H
#define FWDGUARD_TEST_FAKE_DIR_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dircache.h"

#define FAKE_VALUES	3
#define FAKE_ASKED	8

struct fake_entry {
	enum dir_kind kind;
	const char *key;	/* NULL ends a table shorter than its array */
	enum dir_status st;
	const char *values[FAKE_VALUES];
};

struct fake {
	const struct fake_entry *entries;
	size_t n;
	unsigned calls;
	char asked[FAKE_ASKED][96];
};

static enum dir_status
fake_lookup(void *ctx, enum dir_kind kind, const char *key, struct dir_values *out)
{
	struct fake *f = ctx;

	if (f->calls < FAKE_ASKED)
		snprintf(f->asked[f->calls], sizeof(f->asked[0]), "%c:%s",
		    kind == DIR_KIND_FORWARDS ? 'F' : 'P', key);
	f->calls++;
	for (size_t i = 0; i < f->n && f->entries[i].key != NULL; i++) {
		const struct fake_entry *e = &f->entries[i];

		if (e->kind != kind || strcmp(e->key, key) != 0)
			continue;
		if (e->st == DIR_FOUND) {
			out->v = calloc(FAKE_VALUES, sizeof(char *));
			for (out->n = 0; out->n < FAKE_VALUES && e->values[out->n] != NULL; out->n++)
				out->v[out->n] = strdup(e->values[out->n]);
		}
		return e->st;
	}
	return DIR_NOTFOUND;
}

struct fake_set {
	enum dir_status st;
	const char *const *values;	/* "attribute:value", "" ends an entry */
	size_t n;
};

/* Not every includer searches the whole set. */
__attribute__((unused)) static enum dir_status
fake_set_search(void *ctx, const char *filter, char **attrs, size_t max_values, bool by_entry,
    struct dir_values *out)
{
	const struct fake_set *f = ctx;

	(void)filter;
	(void)attrs;
	(void)by_entry;
	out->v = NULL;
	out->n = 0;
	if (f->st != DIR_FOUND || f->n == 0)
		return f->st == DIR_FOUND ? DIR_NOTFOUND : f->st;
	out->v = calloc(f->n, sizeof(char *));
	for (out->n = 0; out->n < f->n && out->n < max_values; out->n++)
		out->v[out->n] = strdup(f->values[out->n]);
	return DIR_FOUND;
}

#endif
