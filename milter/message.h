/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message.h - what the milter knows about one SMTP connection and the
 * message in progress: facts gathered by the callbacks, bounded in size,
 * reset at each MAIL FROM (libmilter does not call abort after a reject at
 * envfrom/envrcpt, so reset cannot wait for abort).
 *
 * A struct conn lives behind smfi_setpriv from negotiation to close and is
 * touched by one libmilter worker at a time, possibly different threads.
 */
#ifndef FWDGUARD_MESSAGE_H
#define FWDGUARD_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg.h"
#include "directory.h"
#include "decide.h"
#include "evidence.h"
#include "mark.h"
#include "mime.h"

#define MESSAGE_RCPTS_MAX	1000	/* Postfix's smtpd_recipient_limit default */
#define MESSAGE_FIELD_MAX	512	/* longest macro or address text kept */

struct conn_rcpt {
	char *raw;		/* argv[0] of envrcpt, as the client wrote it */
	char *orcpt;		/* ORCPT= value, or NULL */
	char *mailer;		/* {rcpt_mailer}, or NULL */
	char *host;		/* {rcpt_host}, or NULL */
};

struct conn {
	struct cfg *cfg;	/* snapshot taken at negotiation: one reference */
	char client_addr[64];	/* {client_addr}, read at each MAIL FROM */
	char daemon_name[64];	/* {daemon_name}, read at each MAIL FROM */

	/* The message in progress. */
	bool in_message;
	char queue_id[64];
	char *sender_raw;	/* argv[0] of envfrom */
	char auth[MESSAGE_FIELD_MAX];	/* {auth_authen}, or "" */
	struct conn_rcpt *rcpts;
	size_t nrcpts;
	size_t rcpts_size;
	bool rcpts_overflow;	/* more than MESSAGE_RCPTS_MAX: decided by on_error */
	struct evidence *ev;
	struct mime_walk *mime;	/* the body's MIME walk, or NULL when the body is not read */
	bool body_begun;	/* conn_begin_body() ran for this message */
	char top_cte[64];	/* the first top-level Content-Transfer-Encoding, or "" */
	char *top_ctype;	/* the first top-level Content-Type (MIME_HEADER_MAX), or NULL */
	char mark[MARK_VALUE_MAX];	/* the last X-Fwdguard-Rerouted value, or "" */
	bool skip_ok;		/* the MTA accepts SMFIS_SKIP (negotiated) */
	unsigned long no_reply;	/* SMFIP_NR_* steps negotiated: their callbacks answer NOREPLY */
	const char *failed;	/* why an unanswered MAIL FROM failed, for end of message; or NULL */
	struct directory *pinned;	/* the directory whose strings the message pins, or NULL */
	unsigned long pin;
};

/* A connection with a reference to the current config; NULL on ENOMEM. */
struct conn *conn_new(void);
void conn_free(struct conn *c);		/* accepts NULL */

/*
 * Keeps what the body walker needs of a top-level header: the first
 * Content-Type, whole (the evidence keeps a shorter copy, which may have
 * lost the boundary), and the first Content-Transfer-Encoding.
 */
void conn_mime_header(struct conn *c, const char *name, const char *value);

/*
 * Keeps the last reroute mark (mark.h) of the header: fwdguard adds its
 * own after every header the sender wrote, so a forged one before it
 * cannot hide it.  A value too long to be fwdguard's keeps "" instead.
 */
void conn_mark_header(struct conn *c, const char *name, const char *value);

/* Forgets the message in progress (new MAIL FROM, abort, end of message). */
void conn_reset_message(struct conn *c);

/*
 * Starts a message from the sender given in MAIL FROM, pinning what dir
 * (the directory its end will ask, or NULL) hands out until the message
 * is reset.  -1 on ENOMEM.
 */
int conn_begin_message(struct conn *c, struct directory *dir, const char *sender,
    const char *auth);

/*
 * Adds a recipient with its ESMTP arguments (argv of envrcpt after
 * argv[0]) and the MTA's routing macros.  -1 on ENOMEM; past
 * MESSAGE_RCPTS_MAX it sets rcpts_overflow and returns 0.
 */
int conn_add_rcpt(struct conn *c, const char *raw, char **esmtp_args,
    const char *mailer, const char *host);

/*
 * Once every header is in (the first body chunk, or end of message for a
 * message without a body): starts walking the body when it can hold evidence
 * (some recipient is external: attached-message; or the message is an
 * auto-reply, a report or from the null sender: the original Message-IDs
 * a DSN quotes).  Once per message: a later call only says again whether
 * the body is wanted.  Returns true when the body is wanted.  Out of memory
 * gives false: the message is then decided on its headers, as before.
 */
bool conn_begin_body(struct conn *c);

/* Feeds one body chunk to the walker (no-op without one). */
void conn_feed_body(struct conn *c, const unsigned char *chunk, size_t len);

/* The ORCPT= value among ESMTP arguments (borrowed), or NULL. */
const char *conn_find_orcpt(char **esmtp_args);

#endif
