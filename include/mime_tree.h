/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_tree.h - what the walkers of one message body share (policy/mime.c
 * makes one walker per nesting level): the results, the limits, and the
 * header-field buffer and evidence scratch that only the innermost walker
 * uses at any time.  Internal to the MIME walker; mime.h is its interface
 * and the only one of the two that includes the other.
 *
 * An enclosed header block (an enclosed message, a DSN's returned headers,
 * content that may be a message) is read one header at a time.  Its
 * parties and the protected mailbox its To/Cc name are held until the block
 * is known to be a message; delivery evidence (Delivered-To, X-Original-To,
 * Received ... for) is read with the message-wide evidence reader.  Pure code.
 */
#ifndef FWDGUARD_MIME_TREE_H
#define FWDGUARD_MIME_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include "mime_limits.h"
#include "policy.h"

enum mime_block {
	MIME_BLOCK_PART,		/* MIME headers of a part */
	MIME_BLOCK_MESSAGE,		/* headers of an enclosed message */
	MIME_BLOCK_RFC822_HEADERS,	/* a text/rfc822-headers body: ids only */
	MIME_BLOCK_SNIFF		/* content that is a message only if its headers say so */
};

struct mime_tree;

struct mime_tree *mime_tree_new(const struct policy *p);
void mime_tree_free(struct mime_tree *t);	/* accepts NULL */

const struct policy *mime_tree_policy(const struct mime_tree *t);

/* The buffer of MIME_HEADER_MAX + 1 bytes the header field being read is kept in. */
char *mime_tree_field(struct mime_tree *t);

/* A limit was reached: nothing more is read. */
bool mime_tree_stopped(const struct mime_tree *t);


/* Counts *len more body bytes; false when that passes MIME_BYTES_MAX (*len is cut). */
bool mime_tree_count(struct mime_tree *t, size_t *len);

/* Some of the body cannot be examined; stop: nothing more will be. */
void mime_tree_truncated(struct mime_tree *t);
void mime_tree_stop(struct mime_tree *t);
void mime_tree_dsn(struct mime_tree *t);

/* A protected mailbox found outside any header block (an Outlook or TNEF file). */
void mime_tree_found(struct mime_tree *t, const char *mailbox);

/* A header block starts; false when it passes MIME_PARTS_MAX (the tree stops). */
bool mime_tree_block_begin(struct mime_tree *t, enum mime_block block);

/* One header of an enclosed block (name[0 .. nlen), value NUL-terminated). */
void mime_tree_enclosed_header(struct mime_tree *t, enum mime_block block, const char *name,
    size_t nlen, const char *value);

/* A MIME_BLOCK_SNIFF block turned out to be a message: it now counts as one. */
void mime_tree_qualified(struct mime_tree *t);

/* The block ended (its last field read).  False: there is no body worth reading. */
bool mime_tree_block_end(struct mime_tree *t, enum mime_block block);

/* The results, as the mime_walk_ accessors of mime.h of the same names give them. */
signal_set mime_tree_signals(const struct mime_tree *t);
const char *mime_tree_mailbox(const struct mime_tree *t);
size_t mime_tree_original_ids(const struct mime_tree *t, const char **ids, size_t max);
size_t mime_tree_parties(const struct mime_tree *t, const char **out, size_t max);
size_t mime_tree_signal_ids(const struct mime_tree *t, const char **ids, size_t max);
bool mime_tree_is_dsn(const struct mime_tree *t);
bool mime_tree_is_truncated(const struct mime_tree *t);

#endif
