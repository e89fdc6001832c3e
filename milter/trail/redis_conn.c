/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_conn.c - one Redis connection built from the [redis] settings.
 *
 * Address forms: "host:port", "[v6addr]:port", "unix:/path".  With
 * sentinels, each one is asked in turn for the master of master_name, and
 * the answer is checked with ROLE so that a stale sentinel cannot send us
 * to a replica (whose writes would fail).  The password is read from
 * password_file at each connect, so a rotated secret needs no reload, and
 * never appears in an error message.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "redis_conn.h"

#define PASSWORD_MAX	512

#define ADDR_MAX	300

struct redis_conn {
	redisContext *ctx;
	char addr[ADDR_MAX];	/* where it is connected, for logs */
};

static struct timeval redis_conn_tv(double seconds)
{
	struct timeval tv;
	if (!(seconds > 0) || seconds > 3600)
		seconds = 1;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	return tv;
}

/* Splits "host:port" / "[v6]:port" into host (room for hostsize) and port. */
static int redis_conn_split(const char *addr, char *host, size_t hostsize, int *port)
{
	const char *colon, *hstart = addr, *hend;
	if (addr[0] == '[') {
		hstart = addr + 1;
		hend = strchr(hstart, ']');
		if (hend == NULL || hend[1] != ':')
			return -1;
		colon = hend + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return -1;
		hend = colon;
	}
	size_t hlen = (size_t)(hend - hstart);
	if (hlen == 0 || hlen >= hostsize)
		return -1;
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 1 || p > 65535)
		return -1;
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}

/* Connects to one address; NULL with err set. */
static redisContext *redis_conn_dial(const char *addr, double timeout, char *err, size_t errsize)
{
	struct timeval tv = redis_conn_tv(timeout);
	redisContext *ctx;

	if (strncmp(addr, "unix:", 5) == 0) {
		ctx = redisConnectUnixWithTimeout(addr + 5, tv);
	} else {
		char host[256];
		int port;
		if (redis_conn_split(addr, host, sizeof(host), &port) != 0) {
			snprintf(err, errsize, "redis address \"%s\": want host:port or unix:/path", addr);
			return NULL;
		}
		ctx = redisConnectWithTimeout(host, port, tv);
	}
	if (ctx == NULL) {
		snprintf(err, errsize, "redis %s: out of memory", addr);
		return NULL;
	}
	if (ctx->err != 0) {
		snprintf(err, errsize, "redis %s: %s", addr, ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, tv) != REDIS_OK) {
		snprintf(err, errsize, "redis %s: cannot set timeout", addr);
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

static redisReply *redis_conn_cmd(redisContext *ctx, int argc, const char **argv)
{
	size_t len[8];
	for (int i = 0; i < argc && i < 8; i++)
		len[i] = strlen(argv[i]);
	return redisCommandArgv(ctx, argc, argv, len);
}

static int redis_conn_auth(redisContext *ctx, const char *file, const char *addr,
    char *err, size_t errsize)
{
	char pw[PASSWORD_MAX + 2];
	FILE *fp = fopen(file, "re");
	if (fp == NULL) {
		snprintf(err, errsize, "redis password_file %s: %s", file, strerror(errno));
		return -1;
	}
	size_t n = fread(pw, 1, sizeof(pw) - 1, fp);
	fclose(fp);
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0') {
		snprintf(err, errsize, "redis password_file %s: empty", file);
		return -1;
	}
	const char *argv[] = { "AUTH", pw };
	redisReply *r = redis_conn_cmd(ctx, 2, argv);
	explicit_bzero(pw, sizeof(pw));
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "redis %s: AUTH failed%s%s", addr, r != NULL ? ": " : "",
		    r != NULL ? r->str : "");
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

/* Asks one sentinel for the master; 0 and "host:port" in out, or -1. */
static int redis_conn_ask_sentinel(const char *sentinel, const struct cfg_redis *rc,
    char *out, size_t outsize, char *err, size_t errsize)
{
	redisContext *ctx = redis_conn_dial(sentinel, rc->timeout, err, errsize);
	if (ctx == NULL)
		return -1;
	const char *argv[] = { "SENTINEL", "get-master-addr-by-name",
	    rc->master_name != NULL ? rc->master_name : "fwdguard" };
	redisReply *r = redis_conn_cmd(ctx, 3, argv);
	int rc_ok = -1;
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
		const char *h = r->element[0]->str;
		int n = strchr(h, ':') != NULL ?
		    snprintf(out, outsize, "[%s]:%s", h, r->element[1]->str) :
		    snprintf(out, outsize, "%s:%s", h, r->element[1]->str);
		rc_ok = n > 0 && (size_t)n < outsize ? 0 : -1;
	}
	if (rc_ok != 0)
		snprintf(err, errsize, "redis sentinel %s: no master known for \"%s\"", sentinel,
		    argv[2]);
	freeReplyObject(r);
	redisFree(ctx);
	return rc_ok;
}

static int redis_conn_is_master(redisContext *ctx)
{
	const char *argv[] = { "ROLE" };
	redisReply *r = redis_conn_cmd(ctx, 1, argv);
	int ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
	freeReplyObject(r);
	return ok;
}

/* Connects to the master the sentinels name; its address goes to addr (ADDR_MAX). */
static redisContext *redis_conn_via_sentinels(const struct cfg_redis *rc, char *addr,
    char *err, size_t errsize)
{
	for (size_t i = 0; i < rc->nsentinels; i++) {
		if (redis_conn_ask_sentinel(rc->sentinels[i], rc, addr, ADDR_MAX, err, errsize) != 0)
			continue;
		redisContext *ctx = redis_conn_dial(addr, rc->timeout, err, errsize);
		if (ctx == NULL)
			continue;
		if (rc->password_file != NULL && rc->password_file[0] != '\0' &&
		    redis_conn_auth(ctx, rc->password_file, addr, err, errsize) != 0) {
			redisFree(ctx);
			continue;
		}
		if (redis_conn_is_master(ctx))
			return ctx;
		snprintf(err, errsize, "redis %s (from sentinel %s) is not a master", addr,
		    rc->sentinels[i]);
		redisFree(ctx);
	}
	return NULL;
}

struct redis_conn *redis_conn_open(const struct cfg_redis *rc, char *err, size_t errsize)
{
	redisContext *ctx;
	char addr[ADDR_MAX];
	if (rc->nsentinels > 0) {
		ctx = redis_conn_via_sentinels(rc, addr, err, errsize);
	} else {
		const char *direct = rc->address != NULL ? rc->address : "127.0.0.1:6379";
		snprintf(addr, sizeof(addr), "%s", direct);
		ctx = redis_conn_dial(direct, rc->timeout, err, errsize);
		if (ctx != NULL && rc->password_file != NULL && rc->password_file[0] != '\0' &&
		    redis_conn_auth(ctx, rc->password_file, direct, err, errsize) != 0) {
			redisFree(ctx);
			ctx = NULL;
		}
	}
	if (ctx == NULL)
		return NULL;
	struct redis_conn *c = malloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errsize, "redis: out of memory");
		redisFree(ctx);
		return NULL;
	}
	c->ctx = ctx;
	memcpy(c->addr, addr, sizeof(c->addr));
	return c;
}

void redis_conn_close(struct redis_conn *c)
{
	if (c == NULL)
		return;
	redisFree(c->ctx);
	free(c);
}

void *redis_conn_command(struct redis_conn *c, int argc, const char **argv, const size_t *argvlen)
{
	if (c == NULL || c->ctx->err != 0)
		return NULL;
	redisReply *r = redisCommandArgv(c->ctx, argc, argv, argvlen);
	if (r == NULL || c->ctx->err != 0) {
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

void redis_conn_reply_free(void *reply)
{
	freeReplyObject(reply);
}

const char *redis_conn_address(const struct redis_conn *c)
{
	return c->addr;
}

const char *redis_conn_error(const struct redis_conn *c)
{
	if (c == NULL)
		return "not connected";
	return c->ctx->err != 0 ? c->ctx->errstr : "no error";
}

int redis_conn_send(struct redis_conn *c, int argc, const char **argv, const size_t *argvlen)
{
	if (c == NULL || c->ctx->err != 0)
		return -1;
	return redisAppendCommandArgv(c->ctx, argc, argv, argvlen) == REDIS_OK ? 0 : -1;
}

void *redis_conn_reply(struct redis_conn *c)
{
	void *r = NULL;
	if (c == NULL || c->ctx->err != 0)
		return NULL;
	if (redisGetReply(c->ctx, &r) != REDIS_OK || c->ctx->err != 0) {
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

void *redis_conn_reply_with(struct redis_conn *c, void *fns, void *privdata)
{
	if (c == NULL || c->ctx->err != 0)
		return NULL;
	redisReader *rd = c->ctx->reader;
	redisReplyObjectFunctions *own = rd->fn;
	void *own_priv = rd->privdata;
	void *r = NULL;
	rd->fn = fns;
	rd->privdata = privdata;
	bool ok = redisGetReply(c->ctx, &r) == REDIS_OK && c->ctx->err == 0;
	/* A reply cut short by an error was built by fns: the reader must
	 * not free it later with its own functions. */
	rd->reply = NULL;
	rd->fn = own;
	rd->privdata = own_priv;
	return ok ? r : NULL;
}
