/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_arena.h - Redis replies built in one arena (milter/audit-tool/redis_arena.c),
 * for readers of big replies (fwdguard-audit's XRANGE pages).
 *
 * hiredis gives each element of a reply its own malloc: a page of 10,000
 * stream entries is half a million small blocks, and allocating and
 * freeing them was most of the time a whole-trail read took.  Here a
 * reply's elements are cut from large chunks that are kept and reused from
 * one reply to the next; the reply has the layout of a hiredis redisReply,
 * so it is read the usual way, and it is never freed on its own.
 */
#ifndef FWDGUARD_REDIS_ARENA_H
#define FWDGUARD_REDIS_ARENA_H

#include "redis_conn.h"

struct redis_arena;

struct redis_arena *redis_arena_new(void);	/* NULL on ENOMEM */
void redis_arena_free(struct redis_arena *a);	/* accepts NULL */

/*
 * The reply of the oldest command queued on c, as redis_conn_reply, built
 * in a: a redisReply * borrowed from a, valid until the next call with a or
 * redis_arena_free; never give it to redis_conn_reply_free.  NULL on a
 * connection error or ENOMEM, after which c must be closed.
 */
void *redis_arena_reply(struct redis_arena *a, struct redis_conn *c);

/* Discards every reply built in a; its memory is kept for the next one. */
void redis_arena_reset(struct redis_arena *a);

/* The hiredis redisReplyObjectFunctions that build in the arena given as
 * the reader's privdata (for tests that feed a reader directly). */
void *redis_arena_object_functions(void);

#endif
