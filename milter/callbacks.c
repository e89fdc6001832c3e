/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * callbacks.c - the libmilter callbacks.  Each one gathers facts into the
 * connection's struct conn and returns; deciding and acting happen at end
 * of message (act_end.c), the only stage where Postfix allows every action and
 * the only one that is safe for non_smtpd_milters.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "act.h"
#include "buf.h"
#include "callbacks.h"
#include "log.h"
#include "macro_lists.h"
#include "message.h"
#include "metrics_daemon.h"

/* What every message's end uses (callbacks_set_env()); zeros until main sets it. */
static struct act_env callbacks_env;

void
callbacks_set_env(const struct act_env *env)
{
	callbacks_env = *env;
}

static struct conn *
callbacks_conn(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static const char *
callbacks_macro(SMFICTX *ctx, const char *name)
{
	return smfi_getsymval(ctx, (char *)name);
}

/* Wires act_end.c's operations to libmilter. */
static int
callbacks_setreply(void *ctx, const char *rcode, const char *xcode, const char *text)
{
	return smfi_setreply(ctx, (char *)rcode, (char *)xcode, (char *)text) == MI_SUCCESS ? 0 : -1;
}

static int
callbacks_quarantine(void *ctx, const char *reason)
{
	return smfi_quarantine(ctx, (char *)reason) == MI_SUCCESS ? 0 : -1;
}

static int
callbacks_delrcpt(void *ctx, const char *rcpt)
{
	return smfi_delrcpt(ctx, (char *)rcpt) == MI_SUCCESS ? 0 : -1;
}

static int
callbacks_addrcpt(void *ctx, const char *rcpt)
{
	return smfi_addrcpt(ctx, (char *)rcpt) == MI_SUCCESS ? 0 : -1;
}

static int
callbacks_addheader(void *ctx, const char *name, const char *value)
{
	return smfi_addheader(ctx, (char *)name, (char *)value) == MI_SUCCESS ? 0 : -1;
}

static sfsistat
callbacks_verdict(enum act_verdict v)
{
	switch (v) {
	case VERDICT_REJECT:
		return SMFIS_REJECT;
	case VERDICT_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	case VERDICT_CONTINUE:
		return SMFIS_CONTINUE;
	case VERDICT_ACCEPT:
		break;
	}
	return SMFIS_ACCEPT;
}

static sfsistat
callbacks_error(SMFICTX *ctx, const struct cfg *cfg, const char *why)
{
	struct act_ops ops = { ctx, callbacks_setreply, callbacks_quarantine,
	    callbacks_delrcpt, callbacks_addheader, callbacks_addrcpt };

	return callbacks_verdict(act_on_error(cfg, &ops, why));
}

/* callbacks_quick_acks(): TCP connections read ahead with quick ACKs. */
static atomic_bool callbacks_acks_quick;

void
callbacks_quick_acks(bool on)
{
	atomic_store(&callbacks_acks_quick, on);
}

/*
 * The steps of a message never refuse anything (every fact is decided at
 * end of message) and may go unanswered: Postfix then streams the sender,
 * the recipients, DATA, the headers and the body, one round trip per
 * message instead of one per header.  An unanswered body cannot be
 * skipped, so it is read whole; that costs less than a round trip per
 * chunk.
 *
 * On TCP an unanswered packet can wait for the milter's delayed ACK (Nagle,
 * about 40 ms a message): Sendmail writes each step on its own, and Postfix
 * stalls when an unanswered step is the last thing smtpd sends before the
 * cleanup server takes the socket over at DATA.  Where the TCP connections
 * are read ahead, each read is acknowledged at once (TCP_QUICKACK,
 * milter/common/readahead.c) and nothing waits; so "auto" asks for it on
 * unix sockets, and on TCP only with those quick ACKs.  "content" leaves
 * only the headers and the body unanswered: Postfix's cleanup server sends
 * them in one go with the end of message, which is answered, so nothing
 * waits even without quick ACKs (README.md "Performance"; not so with
 * Sendmail).
 */
static unsigned long
callbacks_no_reply_steps(const struct cfg *cfg, unsigned long offered)
{
	const unsigned long content = SMFIP_NR_HDR | SMFIP_NR_BODY;
	const unsigned long steps = SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | content;
	const char *sock;

	if (cfg == NULL)
		return 0;
	sock = cfg->milter.socket != NULL ? cfg->milter.socket : "";
	switch (cfg->milter.no_reply) {
	case NO_REPLY_ALWAYS:
		return offered & steps;
	case NO_REPLY_NEVER:
		return 0;
	case NO_REPLY_CONTENT:
		return offered & content;
	default:
		if (strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0 ||
		    sock[0] == '/' || atomic_load(&callbacks_acks_quick))
			return offered & steps;
		return 0;
	}
}

/* Said when it changes (start, reload), so an administrator sees what was agreed. */
static void
callbacks_log_no_reply(unsigned long steps)
{
	static atomic_ulong said = ~0UL;

	if (atomic_exchange(&said, steps) == steps)
		return;
	if (steps & SMFIP_NR_MAIL)
		log_info("milter: the MTA sends each message up to its end without waiting "
		    "for replies (milter.no_reply)");
	else if (steps != 0)
		log_info("milter: the MTA sends the headers and the body without waiting "
		    "for replies; sender, recipients and DATA are answered (milter.no_reply)");
	else
		log_info("milter: every step before end of message is answered (milter.no_reply)");
}

/* What a step that may have been negotiated away answers. */
static sfsistat
callbacks_next(const struct conn *c, unsigned long step)
{
	return c != NULL && (c->no_reply & step) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
callbacks_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = callbacks_conn(ctx);

	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
	/*
	 * No HELO, unknown-command or end-of-header steps: nothing there to
	 * decide on.  The body is wanted (attached messages, the ids a DSN
	 * quotes), but only for some messages: SKIP ends the others' body
	 * after one chunk.
	 */
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NOEOH | SMFIP_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	/* Whether SKIP may be answered and which steps go unanswered are per
	 * connection: remember them in the connection's state, created here
	 * (xxfi_close frees it).  Without that state nothing goes unanswered. */
	if (c == NULL && (c = conn_new()) != NULL)
		smfi_setpriv(ctx, c);
	if (c != NULL) {
		c->skip_ok = (f1 & SMFIP_SKIP) != 0;
		c->no_reply = callbacks_no_reply_steps(c->cfg, f1);
		/*
		 * A DATA step without a reply tells nothing: not sent at all (its
		 * macros still come, with the packets after it).  Only from an
		 * MTA of protocol 6 (the one that takes macro lists): to an older
		 * one libmilter offers the no-reply steps itself and answers them
		 * on the milter's behalf, so the DATA step is answered on the
		 * wire, and without it the DATA macros would go unanswered.
		 */
		if ((f0 & SMFIF_SETSYMLIST) && (c->no_reply & SMFIP_NR_DATA) &&
		    (f1 & SMFIP_NODATA)) {
			c->no_reply &= ~SMFIP_NR_DATA;
			*pf1 |= SMFIP_NODATA;
		}
		*pf1 |= c->no_reply;
		callbacks_log_no_reply(c->no_reply);
	}
	/*
	 * No connect step where the MTA takes our macro lists: the client's
	 * address and the daemon's name come with each MAIL FROM instead
	 * (callbacks_envfrom, macro_lists.h), and the connection's state is
	 * made above.  Postfix then sends the connect macros along with the
	 * first message instead of waiting for an answer before its greeting:
	 * one packet and one round trip less per SMTP connection.  Without
	 * that state the connect step stays, to refuse the connection.
	 */
	if ((f0 & SMFIF_SETSYMLIST) && macro_lists_ask(ctx) == 0 && c != NULL &&
	    c->cfg != NULL)
		*pf1 |= f1 & SMFIP_NOCONNECT;
	return SMFIS_CONTINUE;
}

static sfsistat
callbacks_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
	struct conn *c = callbacks_conn(ctx);

	if (c == NULL)
		c = conn_new();
	if (c == NULL || c->cfg == NULL) {
		conn_free(c);
		smfi_setpriv(ctx, NULL);
		return callbacks_error(ctx, NULL, "cannot set up a connection");
	}
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat
callbacks_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = callbacks_conn(ctx);

	if (c == NULL || c->cfg == NULL)
		return callbacks_error(ctx, NULL, "MAIL FROM without a connection");
	/* Per message: asked for with MAIL FROM, not at connect (callbacks_negotiate). */
	buf_copy(c->client_addr, sizeof(c->client_addr), callbacks_macro(ctx, "{client_addr}"));
	buf_copy(c->daemon_name, sizeof(c->daemon_name), callbacks_macro(ctx, "{daemon_name}"));
	/* A missing sender is kept as "" and refused by the parser at the end. */
	if (conn_begin_message(c, callbacks_env.dir, argv != NULL ? argv[0] : NULL,
	    callbacks_macro(ctx, "{auth_authen}")) == 0)
		return callbacks_next(c, SMFIP_NR_MAIL);
	if (!(c->no_reply & SMFIP_NR_MAIL))
		return callbacks_error(ctx, c->cfg, "out of memory at MAIL FROM");
	/* Unanswered: end of message gives on_error's answer. */
	conn_reset_message(c);
	c->failed = "out of memory at MAIL FROM";
	return SMFIS_NOREPLY;
}

static sfsistat
callbacks_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = callbacks_conn(ctx);

	/* Never reject here: non_smtpd_milters would keep the mail queued. */
	if (c == NULL || !c->in_message)
		return callbacks_next(c, SMFIP_NR_RCPT);
	if (argv == NULL || argv[0] == NULL)
		c->rcpts_overflow = true;	/* a recipient we cannot name: on_error */
	else if (conn_add_rcpt(c, argv[0], argv + 1, callbacks_macro(ctx, "{rcpt_mailer}"),
	    callbacks_macro(ctx, "{rcpt_host}")) != 0)
		c->rcpts_overflow = true;	/* decided by on_error at end of message */
	return callbacks_next(c, SMFIP_NR_RCPT);
}

/*
 * Registered so that, where steps are answered (inet), the DATA macros
 * travel with a command that gets a reply (README.md "Performance").
 */
static sfsistat
callbacks_data(SMFICTX *ctx)
{
	return callbacks_next(callbacks_conn(ctx), SMFIP_NR_DATA);
}

static sfsistat
callbacks_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = callbacks_conn(ctx);

	if (c == NULL || !c->in_message)
		return callbacks_next(c, SMFIP_NR_HDR);
	evidence_header(c->ev, &c->cfg->policy, name, value);
	conn_mime_header(c, name, value);
	conn_mark_header(c, name, value);
	return callbacks_next(c, SMFIP_NR_HDR);
}

/*
 * The walker starts at the first chunk, when every header (the top-level
 * Content-Type) is in: no end-of-header step is negotiated, which saves a
 * packet per message (a round trip where steps are answered).
 */
static sfsistat
callbacks_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = callbacks_conn(ctx);

	if (c != NULL)
		conn_begin_body(c);
	if (c != NULL && c->mime != NULL)
		conn_feed_body(c, chunk, len);
	else if (c != NULL && c->skip_ok && !(c->no_reply & SMFIP_NR_BODY))
		return SMFIS_SKIP;
	return callbacks_next(c, SMFIP_NR_BODY);
}

static sfsistat
callbacks_eom(SMFICTX *ctx)
{
	struct conn *c = callbacks_conn(ctx);
	struct act_ops ops = { ctx, callbacks_setreply, callbacks_quarantine,
	    callbacks_delrcpt, callbacks_addheader, callbacks_addrcpt };
	struct timespec t0, t1;
	enum act_verdict v;

	if (c != NULL && c->failed != NULL) {
		const char *why = c->failed;

		conn_reset_message(c);
		return callbacks_error(ctx, c->cfg, why);
	}
	if (c == NULL || !c->in_message)
		return callbacks_error(ctx, c != NULL ? c->cfg : NULL,
		    "end of message without a message");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	conn_begin_body(c);	/* begun already, unless the message has no body */
	buf_copy(c->queue_id, sizeof(c->queue_id), callbacks_macro(ctx, "i"));
	v = act_end_of_message(&callbacks_env, c, &ops);
	conn_reset_message(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_daemon_eom((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return callbacks_verdict(v);
}

static sfsistat
callbacks_abort(SMFICTX *ctx)
{
	struct conn *c = callbacks_conn(ctx);

	if (c != NULL)
		conn_reset_message(c);
	return SMFIS_CONTINUE;
}

static sfsistat
callbacks_close(SMFICTX *ctx)
{
	conn_free(callbacks_conn(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc callbacks_desc = {
	.xxfi_name = "fwdguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE,
	.xxfi_connect = callbacks_connect,
	.xxfi_envfrom = callbacks_envfrom,
	.xxfi_envrcpt = callbacks_envrcpt,
	.xxfi_header = callbacks_header,
	.xxfi_body = callbacks_body,
	.xxfi_eom = callbacks_eom,
	.xxfi_abort = callbacks_abort,
	.xxfi_close = callbacks_close,
	.xxfi_data = callbacks_data,
	.xxfi_negotiate = callbacks_negotiate,
};

struct smfiDesc *
callbacks_filter(void)
{
	return &callbacks_desc;
}
