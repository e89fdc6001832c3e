/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * probe.c - "fwdguard-audit probe" (see probe.h).  The correlation record
 * is written before the probe is submitted: a probe whose record failed is
 * not sent, because a reply to it could not be recognised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "alert_sendmail.h"
#include "ids.h"
#include "probe.h"
#include "record_fields.h"
#include "redis_conn.h"

char *probe_compose(const char *from, const char *mailbox, const char *token,
    const char *message_id, time_t now, size_t *len)
{
	char *buf = NULL, date[64], day[16];
	struct tm tm;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	fprintf(f, "From: fwdguard canary <%s>\nTo: <%s>\n", from, mailbox);
	fprintf(f, "Subject: fwdguard canary %s\nDate: %s\nMessage-ID: <%s>\n", day, date, message_id);
	/* Not auto-generated: an out-of-office must answer it like a customer's mail. */
	fprintf(f, "X-Fwdguard-Probe: %s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n", token);
	fprintf(f, "This is a canary message from fwdguard, the mail security filter.\n\n"
	    "It checks that mail of %s stays inside the company.  If a\n"
	    "copy of it is forwarded to an outside domain, any answer from there\n"
	    "(reply, out-of-office, bounce) tells the security team.\n\n"
	    "No action is needed; please do not forward or answer it.\n"
	    "Reference: %s\n", mailbox, token);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int probe_cmd(struct redis_conn *rc, int argc, const char **argv, char *err, size_t errsize)
{
	size_t len[16];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *r = redis_conn_command(rc, argc, argv, len);
	int rv = r != NULL && r->type != REDIS_REPLY_ERROR ? 0 : -1;
	if (rv != 0)
		snprintf(err, errsize, "%s: %s", argv[0], r == NULL ? redis_conn_error(rc) : r->str);
	redis_conn_reply_free(r);
	return rv;
}

/* The correlation record and the <prefix>probes entry; 0 or -1 with err. */
static int probe_record(const struct cfg *c, struct redis_conn *rc, const char *mailbox,
    const char *token, const char *mid, char *err, size_t errsize)
{
	const char *prefix = rec_prefix(c->redis.prefix);
	const char *dom = strrchr(mailbox, '@');
	char *key = NULL, *stream = NULL, ts[24], ttl[24];
	int rv = -1;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL) * 1000);
	snprintf(ttl, sizeof(ttl), "%lld", c->audit.correlation_ttl);
	if (asprintf(&key, "%smsg:%s", prefix, mid) >= 0 &&
	    asprintf(&stream, "%sprobes", prefix) >= 0) {
		const char *hset[] = { "HSET", key, REC_MAILBOX, mailbox, REC_SENDER, c->probes_from,
		    REC_RCPT_DOMAINS, dom != NULL ? dom + 1 : "", REC_TS, ts, REC_PROBE, "1" };
		const char *expire[] = { "EXPIRE", key, ttl };
		const char *xadd[] = { "XADD", stream, "*", "token", token, REC_MAILBOX, mailbox,
		    REC_MESSAGE_ID, mid, REC_TS, ts };
		if (probe_cmd(rc, 12, hset, err, errsize) == 0 &&
		    probe_cmd(rc, 3, expire, err, errsize) == 0 &&
		    probe_cmd(rc, 11, xadd, err, errsize) == 0)
			rv = 0;
	}
	free(key);
	free(stream);
	return rv;
}

static int probe_one(const struct cfg *c, struct redis_conn *rc, const char *mailbox)
{
	const char *dom = strrchr(c->probes_from, '@');
	char token[IDS_LEN + 1], mid[IDS_LEN + 300], err[512];
	size_t len;

	ids_new(token);
	snprintf(mid, sizeof(mid), "probe.%s@%s", token, dom != NULL ? dom + 1 : "localhost");
	if (probe_record(c, rc, mailbox, token, mid, err, sizeof(err)) != 0) {
		printf("probe %s: not sent, no correlation record: %s\n", mailbox, err);
		return -1;
	}
	char *msg = probe_compose(c->probes_from, mailbox, token, mid, time(NULL), &len);
	snprintf(err, sizeof(err), "out of memory");
	int rv = msg != NULL ? alert_sendmail_submit(c->alerts.sendmail, c->probes_from, &mailbox, 1, msg, len,
	    err, sizeof(err)) : -1;
	free(msg);
	if (rv != 0)
		printf("probe %s: not sent: %s\n", mailbox, err);
	else
		printf("probe %s: sent <%s>\n", mailbox, mid);
	return rv;
}

int probe_run(const struct cfg *c)
{
	char err[512] = "";
	int failed = 0;

	if (c->probes_from == NULL) {
		fprintf(stderr, "fwdguard-audit: probe: probes.from is not set in %s\n", c->path);
		return 1;
	}
	if (c->policy.nprotected == 0) {
		fprintf(stderr, "fwdguard-audit: probe: no protected mailbox in %s "
		    "(directory mailboxes are not probed)\n", c->path);
		return 1;
	}
	struct redis_conn *rc = redis_conn_open(&c->redis, err, sizeof(err));
	if (rc == NULL) {
		fprintf(stderr, "fwdguard-audit: probe: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < c->policy.nprotected; i++)
		if (probe_one(c, rc, c->policy.protected[i]) != 0)
			failed++;
	redis_conn_close(rc);
	fflush(stdout);
	return failed == 0 ? 0 : 1;
}
