/*
 * fake_dir.h - a fake directory lookup backend for the unit tests of
 * milter/directory.c and milter/dirrcpt.c: answers from a table, counts
 * and records the questions ("F:key" for forwards, "P:key" for protected).
 */
#ifndef FWDGUARD_TEST_FAKE_DIR_H
#define FWDGUARD_TEST_FAKE_DIR_H

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

#endif
