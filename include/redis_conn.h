/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn.h - one Redis connection from the [redis] settings: TCP or
 * unix socket, optional Sentinel lookup of the master, AUTH from
 * password_file, command and connect timeouts.  A connection belongs to
 * one thread at a time; it is never shared without the caller's lock.
 * Commands go only through hiredis' argv API with explicit lengths.
 */
#ifndef FWDGUARD_REDIS_CONN_H
#define FWDGUARD_REDIS_CONN_H

#include <stddef.h>
#include "cfg.h"

struct redis_conn;

/* Connects; NULL with a reason in err. */
struct redis_conn *redis_conn_open(const struct cfg_redis *rc, char *err, size_t errsize);
void redis_conn_close(struct redis_conn *c);	/* accepts NULL */

/*
 * Runs one command; returns the hiredis redisReply * (as void * so callers
 * need not include hiredis; free it with redis_conn_reply_free), or NULL on
 * a connection error, after which the connection must be closed.
 */
void *redis_conn_command(struct redis_conn *c, int argc, const char **argv, const size_t *argvlen);
void redis_conn_reply_free(void *reply);	/* accepts NULL */

/* The server's host:port (or unix:/path), the master the sentinels named
 * when they are used (borrowed, valid until redis_conn_close). */
const char *redis_conn_address(const struct redis_conn *c);

/* Why the last command failed (borrowed, valid until the next call on c). */
const char *redis_conn_error(const struct redis_conn *c);

/*
 * Pipelining: redis_conn_send queues a command (0, or -1 on a connection
 * error) and redis_conn_reply returns the reply of the oldest one not yet
 * read, as redis_conn_command does.  A reader overlaps Redis' work on the
 * next page with its own on the current one.
 */
int redis_conn_send(struct redis_conn *c, int argc, const char **argv, const size_t *argvlen);
void *redis_conn_reply(struct redis_conn *c);

/*
 * redis_conn_reply with the reply built by fns (a hiredis
 * redisReplyObjectFunctions *) given privdata, for readers of big replies
 * (milter/audit-tool/redis_arena.h); whoever supplies fns frees what they built.
 */
void *redis_conn_reply_with(struct redis_conn *c, void *fns, void *privdata);

#endif
