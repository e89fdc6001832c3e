/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_dedupe.c - grouping of alert batches and the dedupe decision (see
 * alert_dedupe.h).  Batches are small (the relay reads at most a few
 * hundred entries), so groups are found by a linear search.
 */
#include <stdlib.h>
#include <string.h>

#include "alert_dedupe.h"
#include "grow.h"
#include "text.h"

struct dedupe_batch {
	struct dedupe_group *groups;
	size_t n, cap;
};

struct dedupe_batch *dedupe_batch_new(void)
{
	return calloc(1, sizeof(struct dedupe_batch));
}

void dedupe_batch_free(struct dedupe_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->groups[i].key);
		free(b->groups[i].members);
	}
	free(b->groups);
	free(b);
}

/* Appends s to the key at *p, escaped; lower-cases when fold. */
static char *dedupe_key_part(char *p, const char *s, bool fold)
{
	static const char hex[] = "0123456789ABCDEF";
	if (s == NULL || *s == '\0')
		s = "-";
	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c <= ' ' || *c >= 0x7f || *c == '%' || *c == '|') {
			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		} else {
			*p++ = (char)(fold && *c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		}
	}
	return p;
}

char *dedupe_key(const char *mailbox, const char *target, const char *rule)
{
	size_t len = 3 * (strlen(mailbox != NULL ? mailbox : "-") +
	    strlen(target != NULL ? target : "-") + strlen(rule != NULL ? rule : "-")) + 6;
	char *key = malloc(len), *p = key;
	if (key == NULL)
		return NULL;
	p = dedupe_key_part(p, mailbox, true);
	*p++ = '|';
	p = dedupe_key_part(p, target, true);
	*p++ = '|';
	p = dedupe_key_part(p, rule, false);
	*p = '\0';
	return key;
}

static struct dedupe_group *dedupe_group_get(struct dedupe_batch *b, char *key)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->groups[i].key, key) == 0) {
			free(key);
			return &b->groups[i];
		}
	if (b->n == b->cap) {
		size_t cap = b->cap == 0 ? 8 : b->cap * 2;
		struct dedupe_group *g = realloc(b->groups, cap * sizeof(*g));
		if (g == NULL) {
			free(key);
			return NULL;
		}
		b->groups = g;
		b->cap = cap;
	}
	struct dedupe_group *g = &b->groups[b->n++];
	memset(g, 0, sizeof(*g));
	g->key = key;
	return g;
}

int dedupe_batch_add(struct dedupe_batch *b, size_t index, const struct dedupe_item *it)
{
	char *key = dedupe_key(it->mailbox, it->target, it->rule);
	if (key == NULL)
		return -1;
	struct dedupe_group *g = dedupe_group_get(b, key);
	if (g == NULL)
		return -1;
	size_t *m = grow_one(g->members, g->n, &g->cap, sizeof(*m), 4);
	if (m == NULL)
		return -1;
	g->members = m;
	g->members[g->n++] = index;
	if (g->n == 1 || it->ts_ms < g->first_ms)
		g->first_ms = it->ts_ms;
	if (g->n == 1 || it->ts_ms > g->last_ms)
		g->last_ms = it->ts_ms;
	return 0;
}

size_t dedupe_batch_count(const struct dedupe_batch *b)
{
	return b != NULL ? b->n : 0;
}

const struct dedupe_group *dedupe_batch_group(const struct dedupe_batch *b, size_t i)
{
	return b != NULL && i < b->n ? &b->groups[i] : NULL;
}

enum dedupe_verdict dedupe_decide(bool window_open, long pending, size_t nnew)
{
	if (nnew > 0)
		return window_open ? DEDUPE_COUNT : DEDUPE_MAIL;
	/* Repeats wait for the window to close, then go out as "N more". */
	if (pending > 0 && !window_open)
		return DEDUPE_FLUSH;
	return DEDUPE_NOTHING;
}

char *dedupe_clean(char *out, size_t size, const char *s, bool header)
{
	if (size == 0)
		return out;
	if (s == NULL)
		s = "-";
	if (header)
		text_clean(out, size, s);
	else
		text_clean_8bit(out, size, s);
	return out;
}

void dedupe_slot_set(void *obj, const struct dedupe_slot *slots, size_t n, const char *field,
    const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(field, slots[i].name) == 0) {
			*(const char **)((char *)obj + slots[i].off) = value;
			return;
		}
}
