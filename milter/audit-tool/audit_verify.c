/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_verify.c - "fwdguard-audit verify": pages through <prefix>audit in
 * stream order, hands each entry to the chain check (verify.c), prints the
 * problems and a summary per chain, and anchors the heads of an intact
 * trail in syslog and in <prefix>alerts (man/fwdguard-audit.1, VERIFY).
 * The anchors already in <prefix>alerts are read first: the walk checks
 * the chains against them.
 *
 * Values are compared with their lengths as Redis returned them: an entry
 * whose value was given a NUL byte must not hash like the one cut there.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "audit_verify.h"
#include "audit_view.h"
#include "cfg.h"
#include "log.h"
#include "record_fields.h"
#include "redis_conn.h"
#include "verify.h"

/* Pages double from the first to the last size: few round trips over millions of entries. */
#define PAGE_FIRST	500
#define PAGE_MAX	10000

struct verify_opts {
	const char *host;
	long long since_ms;	/* -1: from the start */
};

static int verify_send(struct redis_conn *rc, const char *key, const char *lo, long page)
{
	char count[24];
	snprintf(count, sizeof(count), "%ld", page);
	const char *argv[] = { "XRANGE", key, lo, "+", "COUNT", count };
	size_t len[6];
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	return redis_conn_send(rc, 6, argv, len);
}

/* One [id, [field, value, ...]] element to fields; 0, or -1 when it is not one. */
static int verify_element(const redisReply *el, struct chain_field *f, size_t *n)
{
	if (el->type != REDIS_REPLY_ARRAY || el->elements != 2 ||
	    el->element[0]->type != REDIS_REPLY_STRING || el->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	const redisReply *kv = el->element[1];
	*n = 0;
	/* One field more than the digest takes: such an entry then fails its hash. */
	for (size_t i = 0; i + 1 < kv->elements && *n <= CHAIN_FIELDS_MAX; i += 2) {
		const redisReply *k = kv->element[i], *v = kv->element[i + 1];
		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			return -1;
		f[*n].name = k->str;
		f[*n].nlen = k->len;
		f[*n].value = v->str;
		f[*n].vlen = v->len;
		(*n)++;
	}
	return 0;
}

/* What a walk does with each entry: 0, or -1 (out of memory). */
typedef int (*verify_fn)(void *ctx, const char *sid, const struct chain_field *f, size_t n);

static int verify_audit_entry(void *ctx, const char *sid, const struct chain_field *f, size_t n)
{
	return verify_entry(ctx, sid, f, n);
}

static const struct chain_field *verify_get(const struct chain_field *f, size_t n,
    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].nlen == strlen(name) && memcmp(f[i].name, name, f[i].nlen) == 0)
			return &f[i];
	return NULL;
}

/* A value as a string (bounded copy; NUL bytes cut it, which only makes it not match). */
static void verify_str(const struct chain_field *fld, char *out, size_t size)
{
	size_t n = fld != NULL && fld->vlen < size ? fld->vlen : 0;
	if (n > 0)
		memcpy(out, fld->value, n);
	out[n] = '\0';
}

struct anchor_read {
	struct verify *v;
	const char *host;
};

/* An anchor entry of <prefix>alerts (type=anchor) goes to the check; other alerts are skipped. */
static int verify_alert_entry(void *ctx, const char *sid, const struct chain_field *f, size_t n)
{
	struct anchor_read *ar = ctx;
	char type[16], host[RECORD_VALUE_MAX + 1], chain[CHAIN_ID_LEN + 2], seq[24],
	    hash[CHAIN_HEX + 2];
	verify_str(verify_get(f, n, REC_TYPE), type, sizeof(type));
	if (strcmp(type, REC_TYPE_ANCHOR) != 0)
		return 0;
	verify_str(verify_get(f, n, REC_HOST), host, sizeof(host));
	verify_str(verify_get(f, n, REC_CHAIN), chain, sizeof(chain));
	verify_str(verify_get(f, n, REC_SEQ), seq, sizeof(seq));
	verify_str(verify_get(f, n, REC_HASH), hash, sizeof(hash));
	char *end;
	unsigned long long s = strtoull(seq, &end, 10);
	if ((ar->host != NULL && strcmp(host, ar->host) != 0) || strlen(chain) != CHAIN_ID_LEN ||
	    strlen(hash) != CHAIN_HEX || seq[0] < '1' || seq[0] > '9' || *end != '\0')
		return 0;
	return verify_anchor(ar->v, sid, chain, s, hash);
}

/* Walks key, calling fn on each entry.  0, or -1 after printing why it could not be read. */
static int verify_walk(struct redis_conn *rc, const char *key, long long since_ms,
    verify_fn fn, void *ctx)
{
	static struct chain_field f[CHAIN_FIELDS_MAX + 1];
	char lo[64];
	long page = PAGE_FIRST;
	if (since_ms >= 0)
		snprintf(lo, sizeof(lo), "%lld-0", since_ms);
	else
		snprintf(lo, sizeof(lo), "-");
	if (verify_send(rc, key, lo, page) != 0)
		goto fail;
	for (;;) {
		redisReply *r = redis_conn_reply(rc);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "fwdguard-audit: verify: XRANGE %s: %s\n", key,
			    r == NULL ? redis_conn_error(rc) :
			    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			redis_conn_reply_free(r);
			return -1;
		}
		bool more = r->elements == (size_t)page;
		if (more) {
			const redisReply *last = r->element[r->elements - 1];
			if (last->type != REDIS_REPLY_ARRAY || last->elements < 1 ||
			    last->element[0]->type != REDIS_REPLY_STRING) {
				redis_conn_reply_free(r);
				fprintf(stderr, "fwdguard-audit: verify: %s: unexpected reply\n", key);
				return -1;
			}
			/* "(" makes the bound exclusive; Redis prepares the page meanwhile. */
			snprintf(lo, sizeof(lo), "(%s", last->element[0]->str);
			page = page * 2 < PAGE_MAX ? page * 2 : PAGE_MAX;
			if (verify_send(rc, key, lo, page) != 0) {
				redis_conn_reply_free(r);
				goto fail;
			}
		}
		for (size_t i = 0; i < r->elements; i++) {
			size_t n;
			if (verify_element(r->element[i], f, &n) != 0 ||
			    fn(ctx, r->element[i]->element[0]->str, f, n) != 0) {
				fprintf(stderr, "fwdguard-audit: verify: %s: unexpected entry or out of "
				    "memory\n", key);
				redis_conn_reply_free(r);
				if (more)
					redis_conn_reply_free(redis_conn_reply(rc));
				return -1;
			}
		}
		redis_conn_reply_free(r);
		if (!more)
			return 0;
	}
fail:
	fprintf(stderr, "fwdguard-audit: verify: XRANGE %s: %s\n", key, redis_conn_error(rc));
	return -1;
}

struct anchor_ctx {
	struct redis_conn *rc;
	char *key;
	long long maxlen;
	int failed;
};

/* Logs a head and adds it to <prefix>alerts. */
static void verify_anchor_head(void *p, const struct chain_head *h, long long last_ms)
{
	struct anchor_ctx *a = p;
	const char *argv[8 + 2 * RECORD_FIELDS_MAX];
	size_t len[8 + 2 * RECORD_FIELDS_MAX];
	char maxlen[24];
	int argc = 0;
	(void)last_ms;

	struct record *r = chain_anchor_record(h, "verify");
	if (r == NULL) {
		a->failed = 1;
		return;
	}
	log_notice("%s", record_get(r, REC_SUMMARY));
	snprintf(maxlen, sizeof(maxlen), "%lld", a->maxlen > 0 ? a->maxlen : 10000000LL);
	argv[argc++] = "XADD";
	argv[argc++] = a->key;
	argv[argc++] = "MAXLEN";
	argv[argc++] = "~";
	argv[argc++] = maxlen;
	argv[argc++] = "*";
	for (size_t i = 0; i < record_count(r); i++) {
		const char *f, *v;
		record_field(r, i, &f, &v);
		if (strcmp(f, REC_KIND) == 0)
			continue;
		argv[argc++] = f;
		argv[argc++] = v;
	}
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = redis_conn_command(a->rc, argc, argv, len);
	if (rep == NULL || rep->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "fwdguard-audit: verify: XADD %s: %s\n", a->key,
		    rep == NULL ? redis_conn_error(a->rc) :
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		a->failed = 1;
	}
	redis_conn_reply_free(rep);
	record_free(r);
}

static int verify_run(const struct cfg *c, const struct verify_opts *o)
{
	const char *prefix = rec_prefix(c->redis.prefix);
	char err[512] = "", *key = NULL;
	struct anchor_ctx a = { NULL, NULL, c->audit.stream_maxlen, 0 };
	struct verify *v = verify_new(o->host, o->since_ms >= 0);
	int rv = 1;

	if (v == NULL || asprintf(&key, "%saudit", prefix) < 0 ||
	    asprintf(&a.key, "%salerts", prefix) < 0) {
		fprintf(stderr, "fwdguard-audit: verify: out of memory\n");
		goto out;
	}
	a.rc = redis_conn_open(&c->redis, err, sizeof(err));
	if (a.rc == NULL) {
		fprintf(stderr, "fwdguard-audit: verify: %s\n", err);
		goto out;
	}
	struct anchor_read ar = { v, o->host };
	if (verify_walk(a.rc, a.key, -1, verify_alert_entry, &ar) != 0 ||
	    verify_walk(a.rc, key, o->since_ms, verify_audit_entry, v) != 0)
		goto out;
	if (verify_report(v, stdout) > 0)
		goto out;
	/* Only an intact trail is anchored: a broken one would vouch for the break. */
	verify_heads(v, verify_anchor_head, &a);
	rv = a.failed ? 1 : 0;
out:
	redis_conn_close(a.rc);
	verify_free(v);
	free(key);
	free(a.key);
	return rv;
}

static int verify_parse(int argc, char **argv, struct verify_opts *o,
    int (*usage_fn)(const char *), void (*help_fn)(void))
{
	static const struct option options[] = {
		{ "since", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char why[256];
	int opt;

	o->host = NULL;
	o->since_ms = -1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			help_fn();
			return -1;
		}
		if (opt == 'H' && *optarg != '\0') {
			o->host = optarg;
			continue;
		}
		if (opt == 's' && view_parse_time(optarg, time(NULL), &o->since_ms) == 0)
			continue;
		if (opt == 's' || opt == 'H')
			snprintf(why, sizeof(why), "verify: --%s: bad value \"%s\"",
			    opt == 's' ? "since" : "host", optarg);
		else if (optopt == 's' || optopt == 'H')
			snprintf(why, sizeof(why), "verify: option --%s needs an argument",
			    optopt == 's' ? "since" : "host");
		else
			snprintf(why, sizeof(why), "verify: unknown option %s", argv[optind - 1]);
		return usage_fn(why);
	}
	if (optind < argc) {
		snprintf(why, sizeof(why), "verify: unexpected argument \"%s\"", argv[optind]);
		return usage_fn(why);
	}
	return 0;
}

static void verify_cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

int audit_verify_main(const char *path, int argc, char **argv, int (*usage_fn)(const char *why),
    void (*help_fn)(void))
{
	struct verify_opts o;
	int rv = verify_parse(argc, argv, &o, usage_fn, help_fn);
	if (rv != 0)
		return rv < 0 ? 0 : rv;
	struct cfg *c = cfg_load(path, verify_cfg_error, NULL);
	if (c == NULL) {
		fprintf(stderr, "fwdguard-audit: cannot load %s\n", path);
		return 1;
	}
	/* The anchors go to syslog for the record outside Redis; the summary goes to stdout. */
	log_init("fwdguard-audit", c->log.facility, false);
	rv = verify_run(c, &o);
	cfg_unref(c);
	return rv;
}
