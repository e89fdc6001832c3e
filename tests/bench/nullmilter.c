/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nullmilter - the do-nothing libmilter milter: fwdguard's throughput
 * ceiling in tests/bench/run.
 *
 * It registers the daemon's callbacks but the body's (connect, envfrom,
 * envrcpt, data, header, eom, abort, close), negotiates its protocol steps
 * but the body and its actions but adding recipients (keep null_negotiate
 * in step with milter/callbacks.c), asks for the same macros
 * (include/macro_lists.h, the same code) and keeps a per-connection
 * context behind smfi_setpriv, so the protocol exchange with the MTA and
 * the per-connection bookkeeping match fwdguard's; only the decision work is
 * missing.  Every callback continues and eom accepts.  Measuring both in
 * the same run separates the cost of the milter protocol (socket type,
 * Nagle, libmilter's worker pool) from the cost of fwdguard itself.
 *
 * Like fwdguard, it asks for no end-of-header step; unlike it, for no body
 * either (fwdguard reads some bodies).  Where the MTA takes macro lists it
 * asks for no connect step either: the client's address comes with MAIL
 * FROM.  As fwdguard does by default (milter.no_reply: auto), it asks for
 * no reply to the MAIL, RCPT and header steps, whose callbacks then answer
 * SMFIS_NOREPLY, and for no DATA step, on a unix socket, and on TCP when
 * it reads ahead and acknowledges each read at once (quick ACKs); else
 * every step on TCP is answered.  With -C it asks for no reply to the
 * header steps only, on any socket, as fwdguard does with
 * milter.no_reply: content.
 *
 * On TCP without quick ACKs (-A, or -R) the DATA callback matters: without
 * it (-D) the milter negotiates SMFIP_NODATA and Postfix sends the
 * DATA-stage macros in a packet that gets no reply, which stalls each
 * message for the milter's delayed ACK (README.md "Performance").
 *
 * Like fwdguard, it caps the stack of the threads it starts, libmilter's
 * workers, at WORKER_STACK_BYTES (milter/common/worker_stack.c says why);
 * -G keeps glibc's default, to measure what the cap is worth.  It reads
 * ahead on the MTA's connections as fwdguard does, TCP ones with quick
 * ACKs (milter/common/readahead.c); -R leaves libmilter's reads as they
 * are, -A keeps the kernel's delayed ACKs.
 *
 * Usage: nullmilter -p SOCKET [-A] [-C] [-D] [-G] [-R] [-t TIMEOUT] [-v]
 * SOCKET is a libmilter spec (unix:/path, inet:port@127.0.0.1).  -D drops
 * the DATA callback and negotiates SMFIP_NODATA, with -A to reproduce that
 * stall (the benchmark's "without DATA callback" rows).  Runs in the foreground
 * until SIGTERM/SIGINT; a stale unix socket is removed.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "macro_lists.h"
#include "readahead.h"
#include "worker_stack.h"

/* Per-connection state, as a real milter has; reset per message. */
struct null_conn {
	unsigned long messages;
	unsigned long recipients;
	char client_addr[64];	/* kept per message, as fwdguard keeps them */
	char daemon_name[64];
};

static bool null_verbose;
static bool null_nodata;	/* -D */
static bool null_content;	/* -C: headers unanswered on TCP too */
static bool null_glibc_stacks;	/* -G: glibc's default thread stacks */
static bool null_no_readahead;	/* -R: libmilter's reads as they are */
static unsigned long null_no_reply;	/* SMFIP_NR_* steps asked for */
static bool null_unix;		/* the socket spec is a unix socket */
static bool null_delayed_acks;	/* -A: no quick ACKs on TCP */
static bool null_quick_acks;	/* TCP read ahead and acknowledged at once */

/* What a step that may have been negotiated away answers. */
static sfsistat
null_next(unsigned long step)
{
	return (null_no_reply & step) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static struct null_conn *
null_conn_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The connection's state, made at negotiation as fwdguard makes its own; NULL on ENOMEM. */
static struct null_conn *
null_conn_new(SMFICTX *ctx)
{
	struct null_conn *conn = null_conn_get(ctx);

	if (conn == NULL && (conn = calloc(1, sizeof(*conn))) != NULL &&
	    smfi_setpriv(ctx, conn) != MI_SUCCESS) {
		free(conn);
		conn = NULL;
	}
	return conn;
}

/* Only where the connect step is asked for (no macro lists, or no state). */
static sfsistat
null_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	/* Out of memory: a do-nothing filter has nothing to protect. */
	return null_conn_new(ctx) != NULL ? SMFIS_CONTINUE : SMFIS_ACCEPT;
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	struct null_conn *conn = null_conn_get(ctx);
	const char *client = smfi_getsymval(ctx, "{client_addr}");
	const char *daemon = smfi_getsymval(ctx, "{daemon_name}");

	/*
	 * Reset here, not in abort: libmilter skips abort after a reject
	 * at envfrom/envrcpt, and several messages share one connection.
	 */
	if (conn != NULL) {
		conn->messages++;
		conn->recipients = 0;
		snprintf(conn->client_addr, sizeof(conn->client_addr), "%s",
		    client != NULL ? client : "");
		snprintf(conn->daemon_name, sizeof(conn->daemon_name), "%s",
		    daemon != NULL ? daemon : "");
	}
	return null_next(SMFIP_NR_MAIL);
}

static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	struct null_conn *conn = null_conn_get(ctx);

	if (conn != NULL)
		conn->recipients++;
	return null_next(SMFIP_NR_RCPT);
}

static sfsistat
null_data(SMFICTX *ctx)
{
	return null_next(SMFIP_NR_DATA);
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	return null_next(SMFIP_NR_HDR);
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	return SMFIS_ACCEPT;
}

static sfsistat
null_abort(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat
null_close(SMFICTX *ctx)
{
	/* close may come without connect (e.g. a refused connection). */
	struct null_conn *conn = null_conn_get(ctx);

	if (conn != NULL && null_verbose)
		fprintf(stderr, "nullmilter: connection from %s (%s) closed after "
		    "%lu message(s)\n", conn->client_addr, conn->daemon_name,
		    conn->messages);
	free(conn);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_DELRCPT | SMFIF_QUARANTINE |
	    SMFIF_SETSYMLIST);
	*pf1 = f1 & (SMFIP_NOBODY | SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NOEOH);
	if (null_nodata)
		*pf1 |= f1 & SMFIP_NODATA;
	/* The same for every connection: the MTA offers the same steps. */
	if (null_content)
		null_no_reply = f1 & SMFIP_NR_HDR;
	else if (null_unix || null_quick_acks)
		null_no_reply = f1 & (SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |
		    SMFIP_NR_HDR);
	/* An unanswered DATA step is not asked for at all, as fwdguard does. */
	if ((f0 & SMFIF_SETSYMLIST) && (null_no_reply & SMFIP_NR_DATA) &&
	    (f1 & SMFIP_NODATA)) {
		null_no_reply &= ~SMFIP_NR_DATA;
		*pf1 |= SMFIP_NODATA;
	}
	*pf1 |= null_no_reply;
	*pf2 = 0;
	*pf3 = 0;
	/* No connect step where the macro lists are taken, as fwdguard asks. */
	if ((f0 & SMFIF_SETSYMLIST) && macro_lists_ask(ctx) == 0 && null_conn_new(ctx) != NULL)
		*pf1 |= f1 & SMFIP_NOCONNECT;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	/* The actions fwdguard asks for, so negotiation is the same. */
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_DELRCPT | SMFIF_QUARANTINE,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eom = null_eom,
	.xxfi_abort = null_abort,
	.xxfi_close = null_close,
	.xxfi_data = null_data,
	.xxfi_negotiate = null_negotiate,
};

static void
null_usage(void)
{
	fprintf(stderr, "usage: nullmilter -p SOCKET [-A] [-C] [-D] [-G] [-R] [-t TIMEOUT] [-v]\n"
	    "  SOCKET  unix:/path/to/sock or inet:PORT@127.0.0.1\n"
	    "  -A      no quick ACKs on TCP: its steps answered, as without read-ahead\n"
	    "  -C      only the headers unanswered, on any socket (milter.no_reply: content)\n"
	    "  -D      no DATA callback (negotiate SMFIP_NODATA)\n"
	    "  -G      glibc's default thread stacks, not fwdguard's cap\n"
	    "  -R      no reading ahead: libmilter's own reads\n");
	exit(2);
}

static int
null_parse_timeout(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 1 ||
	    value > INT_MAX) {
		fprintf(stderr, "nullmilter: bad timeout: %s\n", text);
		exit(2);
	}
	return (int)value;
}

int
main(int argc, char **argv)
{
	const char *sockspec = NULL;
	int timeout = 0;
	int ch;

	while ((ch = getopt(argc, argv, "ACDGRp:t:v")) != -1) {
		switch (ch) {
		case 'R':
			null_no_readahead = true;
			break;
		case 'G':
			null_glibc_stacks = true;
			break;
		case 'A':
			null_delayed_acks = true;
			break;
		case 'C':
			null_content = true;
			break;
		case 'D':
			null_nodata = true;
			null_desc.xxfi_data = NULL;
			break;
		case 'p':
			sockspec = optarg;
			break;
		case 't':
			timeout = null_parse_timeout(optarg);
			break;
		case 'v':
			null_verbose = true;
			break;
		default:
			null_usage();
		}
	}
	if (sockspec == NULL || optind != argc)
		null_usage();
	null_unix = strncmp(sockspec, "unix:", 5) == 0 ||
	    strncmp(sockspec, "local:", 6) == 0 || sockspec[0] == '/';

	if (!null_glibc_stacks && worker_stack_cap(WORKER_STACK_BYTES) != 0) {
		fprintf(stderr, "nullmilter: cannot set the threads' stack size\n");
		return 1;
	}
	char why[160];
	if (!null_no_readahead) {
		if (readahead_enable(why, sizeof(why)) != 0)
			fprintf(stderr, "nullmilter: not reading ahead: %s\n", why);
		else if (!null_delayed_acks) {
			readahead_quickack(true);
			null_quick_acks = true;
		}
	}
	if (smfi_setconn((char *)sockspec) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: bad socket spec: %s\n", sockspec);
		return 1;
	}
	if (timeout > 0 && smfi_settimeout(timeout) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot set timeout\n");
		return 1;
	}
	if (smfi_register(null_desc) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: smfi_register failed\n");
		return 1;
	}
	/* true: remove a unix socket left behind by an earlier run. */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot open socket %s\n",
		    sockspec);
		return 1;
	}
	if (null_verbose)
		fprintf(stderr, "nullmilter: listening on %s\n", sockspec);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
