/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_expiry.c - reminders of expiring exceptions (see alert_expiry.h).
 * The dates are whole UTC days (allow[].expires, milter/config/cfg_policy.c);
 * the arithmetic is on seconds since the epoch, no time zone involved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "alert_expiry.h"
#include "alert_route.h"
#include "ids.h"
#include "log.h"
#include "record_fields.h"
#include "redis_conn.h"
#include "sha256.h"

#define DAY	86400L

/* The marker and the record together, so neither exists without the other. */
static const char write_lua[] =
    "if redis.call('SET', KEYS[1], '1', 'NX') then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 2))\n"
    "  return 1\n"
    "end\n"
    "return 0\n";

enum expiry_stage expiry_stage(time_t expires_at, time_t now, long notice_days)
{
	if (expires_at <= 0)
		return EXPIRY_NONE;
	if (now >= expires_at)
		return EXPIRY_EXPIRED;
	if (notice_days > 0 && (long long)expires_at - now <= (long long)notice_days * DAY)
		return EXPIRY_REMIND;
	return EXPIRY_NONE;
}

long expiry_days_left(time_t expires_at, time_t now)
{
	if (expires_at <= now)
		return 0;
	return (long)(((long long)expires_at - now + DAY - 1) / DAY);
}

/* A digest naming the entry as written: destination, mailboxes, date. */
static void expiry_entry_id(const struct policy_allow *a, char out[17])
{
	struct sha256 s;
	unsigned char d[32];
	static const char hex[] = "0123456789abcdef";

	sha256_init(&s);
	sha256_update(&s, a->destination, strlen(a->destination));
	sha256_update(&s, "\n", 1);
	sha256_update(&s, a->expires, strlen(a->expires));
	for (size_t i = 0; i < a->nmailboxes; i++) {
		sha256_update(&s, "\n", 1);
		sha256_update(&s, a->mailboxes[i], strlen(a->mailboxes[i]));
	}
	sha256_final(&s, d);
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[16] = '\0';
}

struct expiry_rec {
	const struct cfg *cfg;
	const struct policy_allow *a;
	enum expiry_stage stage;
	const char *mailbox;	/* "" for every protected mailbox */
	bool notify_owner;
	time_t now;
};

/* One record; 1 written, 0 already there, -1 Redis failed. */
static int expiry_write(struct redis_conn *rc, const struct expiry_rec *x, const char *entry)
{
	const char *prefix = rec_prefix(x->cfg->redis.prefix);
	const char *stage = x->stage == EXPIRY_EXPIRED ? "expired" : "remind";
	char marker[1024], stream[256], maxlen[24], id[IDS_LEN + 1], ts[24], left[24];
	char host[128] = "localhost", summary[1024];

	gethostname(host, sizeof(host) - 1);
	ids_new(id);
	snprintf(marker, sizeof(marker), "%salerts:expiry:%s:%s:%s", prefix, entry, stage,
	    *x->mailbox != '\0' ? x->mailbox : "*");
	snprintf(stream, sizeof(stream), "%salerts", prefix);
	snprintf(maxlen, sizeof(maxlen), "%lld", x->cfg->audit.stream_maxlen);
	snprintf(ts, sizeof(ts), "%lld", (long long)x->now * 1000);
	snprintf(left, sizeof(left), "%ld", expiry_days_left(x->a->expires_at, x->now));
	snprintf(summary, sizeof(summary), "exception for %s to %s %s %s",
	    *x->mailbox != '\0' ? x->mailbox : "every protected mailbox", x->a->destination,
	    x->stage == EXPIRY_EXPIRED ? "expired after" : "expires after", x->a->expires);
	const char *argv[] = { "EVAL", write_lua, "2", marker, stream, maxlen,
	    REC_ID, id, REC_TS, ts, REC_TYPE, REC_TYPE_EXPIRY,
	    REC_LEVEL, x->stage == EXPIRY_EXPIRED ? "info" : "warning",
	    REC_RULE, ALERT_RULE_EXPIRY, REC_MAILBOX, x->mailbox, REC_TARGET, x->a->destination,
	    REC_DESTINATION, "allowed", REC_ACTION, "accept", REC_MODE, "-", REC_HOST, host,
	    REC_REASON, x->a->reason != NULL ? x->a->reason : "",
	    REC_OWNER, x->a->owner != NULL ? x->a->owner : "", REC_EXPIRES, x->a->expires,
	    REC_DAYS_LEFT, left, REC_NOTIFY_OWNER, x->notify_owner ? "yes" : "no",
	    REC_SUMMARY, summary };
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));
	size_t len[sizeof(argv) / sizeof(argv[0])];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	redisReply *rep = redis_conn_command(rc, argc, argv, len);
	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER) {
		log_warnx("alerts: expiry reminder for %s: %s", x->a->destination,
		    rep == NULL ? redis_conn_error(rc) : rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "unexpected reply");
		redis_conn_reply_free(rep);
		return -1;
	}
	int rv = rep->integer > 0 ? 1 : 0;
	redis_conn_reply_free(rep);
	if (rv > 0)
		log_info("alerts: %s", summary);
	return rv;
}

int expiry_check(const struct cfg *c, struct redis_conn *rc, time_t now)
{
	const struct policy *p = &c->policy;
	int written = 0;

	for (size_t i = 0; i < p->nallow; i++) {
		const struct policy_allow *a = &p->allow[i];
		struct expiry_rec x = { c, a, expiry_stage(a->expires_at, now,
		    c->alerts.expiry_notice_days), "", alert_route_is_address(a->owner), now };
		char entry[17];

		if (x.stage == EXPIRY_NONE || a->expires == NULL || a->destination == NULL)
			continue;
		expiry_entry_id(a, entry);
		for (size_t j = 0; j == 0 || j < a->nmailboxes; j++) {
			x.mailbox = a->nmailboxes > 0 ? a->mailboxes[j] : "";
			int rv = expiry_write(rc, &x, entry);
			if (rv < 0)
				return -1;
			written += rv;
			x.notify_owner = false;	/* one reminder for the owner per entry */
		}
	}
	return written;
}
