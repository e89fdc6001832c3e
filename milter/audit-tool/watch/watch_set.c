/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_set.c - the forward sets of fwdguard-audit watch (see
 * watch_set.h).  Each item is one allocation holding its strings; the set
 * is an array sorted once sealed, so a diff is one merge walk.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "hex.h"
#include "watch_set.h"

struct watch_node {
	struct watch_item it;
	size_t order;		/* when it was added: the first of a pair stays */
	char text[];
};

struct watch_set {
	struct watch_node **v;
	size_t n, cap;
	size_t added;
};

struct watch_set *watch_set_new(void)
{
	return calloc(1, sizeof(struct watch_set));
}

void watch_set_free(struct watch_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s);
}

int watch_set_add(struct watch_set *s, const struct watch_item *it)
{
	const char *f[4] = { it->mailbox, it->target, it->entry, it->attribute };
	size_t len[4], total = 0;

	if (s->n >= WATCH_SET_MAX) {
		errno = E2BIG;
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		len[i] = f[i] != NULL ? strlen(f[i]) : 0;
		total += len[i] + 1;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap > 0 ? s->cap * 2 : 64;
		struct watch_node **v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	struct watch_node *nd = malloc(sizeof(*nd) + total);
	if (nd == NULL)
		return -1;
	char *p = nd->text;
	const char **dst[4] = { &nd->it.mailbox, &nd->it.target, &nd->it.entry, &nd->it.attribute };
	for (int i = 0; i < 4; i++) {
		if (len[i] > 0)
			memcpy(p, f[i], len[i]);
		p[len[i]] = '\0';
		*dst[i] = p;
		p += len[i] + 1;
	}
	nd->it.dest = it->dest;
	nd->order = s->added++;
	s->v[s->n++] = nd;
	return 0;
}

static int watch_pair_cmp(const struct watch_item *a, const struct watch_item *b)
{
	int c = strcmp(a->mailbox, b->mailbox);
	return c != 0 ? c : strcasecmp(a->target, b->target);
}

static int watch_node_cmp(const void *x, const void *y)
{
	const struct watch_node *a = *(struct watch_node *const *)x;
	const struct watch_node *b = *(struct watch_node *const *)y;
	int c = watch_pair_cmp(&a->it, &b->it);
	if (c != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

void watch_set_seal(struct watch_set *s)
{
	size_t out = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), watch_node_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (out > 0 && watch_pair_cmp(&s->v[out - 1]->it, &s->v[i]->it) == 0) {
			free(s->v[i]);
			continue;
		}
		s->v[out++] = s->v[i];
	}
	s->n = out;
}

size_t watch_set_count(const struct watch_set *s)
{
	return s != NULL ? s->n : 0;
}

const struct watch_item *watch_set_item(const struct watch_set *s, size_t i)
{
	return i < s->n ? &s->v[i]->it : NULL;
}

const char *watch_change_name(enum watch_change ch)
{
	switch (ch) {
	case WATCH_ADDED:
		return "added";
	case WATCH_REMOVED:
		return "removed";
	case WATCH_BASELINE:
		return "baseline";
	}
	return "?";
}

long watch_set_diff(const struct watch_set *old, const struct watch_set *cur,
    watch_diff_fn fn, void *ctx)
{
	long calls = 0;
	size_t i = 0, j = 0;

	if (old == NULL) {
		for (j = 0; j < cur->n; j++, calls++)
			if (fn(ctx, &cur->v[j]->it, WATCH_BASELINE) != 0)
				return -1;
		return calls;
	}
	/* Additions first: they are what the security team must hear of at once. */
	while (j < cur->n) {
		int c = i < old->n ? watch_pair_cmp(&old->v[i]->it, &cur->v[j]->it) : 1;
		if (c < 0)
			i++;
		else if (c == 0) {
			i++;
			j++;
		} else {
			if (fn(ctx, &cur->v[j++]->it, WATCH_ADDED) != 0)
				return -1;
			calls++;
		}
	}
	for (i = 0, j = 0; i < old->n;) {
		int c = j < cur->n ? watch_pair_cmp(&old->v[i]->it, &cur->v[j]->it) : -1;
		if (c > 0)
			j++;
		else if (c == 0) {
			i++;
			j++;
		} else {
			if (fn(ctx, &old->v[i++]->it, WATCH_REMOVED) != 0)
				return -1;
			calls++;
		}
	}
	return calls;
}

/* ---- the text kept in Redis ------------------------------------------------ */

static void watch_put(FILE *f, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

char *watch_set_encode(const struct watch_set *s, long long baseline_ms, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	fprintf(f, "%s %lld\n", WATCH_TEXT_MAGIC, baseline_ms);
	for (size_t i = 0; i < s->n; i++) {
		const struct watch_item *it = &s->v[i]->it;
		watch_put(f, it->mailbox);
		fputc('\t', f);
		watch_put(f, it->target);
		fputc('\t', f);
		watch_put(f, it->entry);
		fputc('\t', f);
		watch_put(f, it->attribute);
		fprintf(f, "\t%s\n", destination_name(it->dest));
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Decodes one field of [p, end) into out (in place is fine: never longer); false when malformed. */
static bool watch_field(const char *p, const char *end, char *out)
{
	while (p < end) {
		if (*p != '%') {
			*out++ = *p++;
			continue;
		}
		int hi = end - p >= 3 ? hex_value(p[1]) : -1;
		int lo = hi >= 0 ? hex_value(p[2]) : -1;
		if (lo < 0 || (hi == 0 && lo == 0))
			return false;
		*out++ = (char)(hi * 16 + lo);
		p += 3;
	}
	*out = '\0';
	return true;
}

/* One item line [p, end) into s; 0, or -1 when it is not one (or ENOMEM). */
static int watch_line(struct watch_set *s, const char *p, const char *end, char *scratch)
{
	const char *cut[5];
	char *f[5];
	size_t nf = 0;
	struct watch_item it;

	cut[nf++] = p;
	for (const char *q = p; q < end && nf <= 5; q++)
		if (*q == '\t' && nf < 5)
			cut[nf++] = q + 1;
		else if (*q == '\t')
			return -1;
	if (nf != 5)
		return -1;
	char *o = scratch;
	for (size_t i = 0; i < 5; i++) {
		const char *fe = i + 1 < 5 ? cut[i + 1] - 1 : end;
		if (!watch_field(cut[i], fe, o))
			return -1;
		f[i] = o;
		o += strlen(o) + 1;
	}
	it.mailbox = f[0];
	it.target = f[1];
	it.entry = f[2];
	it.attribute = f[3];
	if (destination_lookup(f[4], &it.dest) != 0 || it.dest == DEST_INTERNAL || *f[0] == '\0' ||
	    *f[1] == '\0')
		return -1;
	return watch_set_add(s, &it);
}

struct watch_set *watch_set_decode(const char *buf, size_t len, long long *baseline_ms)
{
	const char *end = buf + len, *nl = memchr(buf, '\n', len);
	size_t mlen = strlen(WATCH_TEXT_MAGIC);
	char head[64], *scratch = NULL;
	struct watch_set *s = NULL;

	if (nl == NULL || (size_t)(nl - buf) <= mlen + 1 || (size_t)(nl - buf) >= sizeof(head) ||
	    memcmp(buf, WATCH_TEXT_MAGIC " ", mlen + 1) != 0)
		return NULL;
	memcpy(head, buf + mlen + 1, (size_t)(nl - buf) - mlen - 1);
	head[(nl - buf) - mlen - 1] = '\0';
	char *e;
	errno = 0;
	*baseline_ms = strtoll(head, &e, 10);
	if (*head == '\0' || *e != '\0' || errno != 0 || *baseline_ms < 0)
		return NULL;
	/* Fields only shrink when decoded: one line's length is room for all of them. */
	if ((s = watch_set_new()) == NULL || (scratch = malloc(len + 5)) == NULL)
		goto fail;
	for (const char *p = nl + 1; p < end;) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		if (le == NULL || watch_line(s, p, le, scratch) != 0)
			goto fail;
		p = le + 1;
	}
	free(scratch);
	watch_set_seal(s);
	return s;
fail:
	free(scratch);
	watch_set_free(s);
	return NULL;
}

enum destination watch_classify(const struct policy *p, const char *mailbox, const char *target,
    time_t now)
{
	struct address a;

	if (address_parse(target, strlen(target), &a) != ADDRESS_OK)
		return DEST_EXTERNAL;
	return policy_destination(p, &a, mailbox, now, NULL, NULL);
}
