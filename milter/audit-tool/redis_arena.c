/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_arena.c - Redis replies built in one arena (milter/audit-tool/redis_arena.h).
 *
 * The reply functions do what hiredis' own do (a redisReply per element,
 * linked into its parent array, strings NUL-terminated), with memory cut
 * from chunks: a bump pointer, no per-element free.  Chunks are kept when
 * the arena is reset, so reading page after page allocates nothing once the
 * largest page has been seen; a reply larger than a chunk gets chunks of
 * its own size.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis_arena.h"

#define ARENA_CHUNK	(1024 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct redis_arena {
	struct arena_chunk *first, *cur;
};

struct redis_arena *redis_arena_new(void)
{
	return calloc(1, sizeof(struct redis_arena));
}

void redis_arena_free(struct redis_arena *a)
{
	if (a == NULL)
		return;
	for (struct arena_chunk *c = a->first, *next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void redis_arena_reset(struct redis_arena *a)
{
	for (struct arena_chunk *c = a->first; c != NULL; c = c->next)
		c->used = 0;
	a->cur = a->first;
}

/* n bytes aligned for any object; NULL on ENOMEM. */
static void *arena_alloc(struct redis_arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	/* The next kept chunk with room, else a new one after the current. */
	while (a->cur != NULL && a->cur->size - a->cur->used < n && a->cur->next != NULL)
		a->cur = a->cur->next;
	if (a->cur == NULL || a->cur->size - a->cur->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		struct arena_chunk *c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		if (a->cur == NULL) {
			c->next = a->first;
			a->first = c;
		} else {
			c->next = a->cur->next;
			a->cur->next = c;
		}
		a->cur = c;
	}
	void *p = a->cur->data + a->cur->used;
	a->cur->used += n;
	return p;
}

static redisReply *arena_object(const redisReadTask *task, size_t extra)
{
	redisReply *r = arena_alloc(task->privdata, sizeof(*r) + extra);
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->type = task->type;
	if (task->parent != NULL) {
		redisReply *parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	return r;
}

static void *arena_string(const redisReadTask *task, char *str, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	redisReply *r = arena_object(task, len + 1);
	if (r == NULL)
		return NULL;
	r->str = (char *)(r + 1);
	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static void *arena_array(const redisReadTask *task, int elements)
{
	size_t n = elements > 0 ? (size_t)elements : 0;
	if (n > SIZE_MAX / sizeof(redisReply *) - 1)
		return NULL;
	redisReply *r = arena_object(task, n * sizeof(redisReply *));
	if (r == NULL)
		return NULL;
	r->element = n > 0 ? (redisReply **)(r + 1) : NULL;
	for (size_t i = 0; i < n; i++)
		r->element[i] = NULL;
	r->elements = n;
	return r;
}

static void *arena_integer(const redisReadTask *task, long long value)
{
	redisReply *r = arena_object(task, 0);
	if (r != NULL)
		r->integer = value;
	return r;
}

/* The task says what was announced ("$-1" is a string's type): nil is nil. */
static void *arena_nil(const redisReadTask *task)
{
	redisReply *r = arena_object(task, 0);
	if (r != NULL)
		r->type = REDIS_REPLY_NIL;
	return r;
}

/* Nothing is freed alone: the arena's reset or free takes it all. */
static void arena_free_object(void *reply)
{
	(void)reply;
}

static redisReplyObjectFunctions arena_functions = {
	arena_string, arena_array, arena_integer, arena_nil, arena_free_object
};

void *redis_arena_object_functions(void)
{
	return &arena_functions;
}

void *redis_arena_reply(struct redis_arena *a, struct redis_conn *c)
{
	redis_arena_reset(a);
	return redis_conn_reply_with(c, &arena_functions, a);
}
