/*
 * mime.h - a streaming, bounded MIME walker over a message body (DESIGN.md
 * 3: attached-message, and the leak evidence of issue [3]).
 *
 * The milter feeds the body chunk by chunk as libmilter hands it over
 * (xxfi_body, up to 64 KB each); the message's top-level headers were seen
 * separately, so the caller passes the top-level Content-Type value at
 * start.  The walker looks at the headers of every part, and of every
 * message/rfc822 and text/rfc822-headers part's enclosed header block, and
 * nothing else: bodies are skipped, never decoded.  A message/rfc822 part
 * whose Content-Transfer-Encoding is base64 or quoted-printable is skipped
 * too (mime_walk_encoded() says so): RFC 2046 forbids it, so a sender that
 * does it is hiding something, and the headers inside cannot be read
 * without decoding.
 *
 * Memory is bounded whatever the input (one header-field buffer of
 * MIME_HEADER_MAX bytes, a boundary stack of MIME_DEPTH_MAX entries) and
 * the work is O(bytes fed).  Past MIME_DEPTH_MAX nesting, MIME_PARTS_MAX
 * parts or MIME_BYTES_MAX bytes the walker stops looking and sets
 * mime_walk_truncated(); it never fails otherwise.  CRLF and LF line ends
 * are both read; a last line without a line end is not read.  Pure code.
 */
#ifndef FWDGUARD_MIME_H
#define FWDGUARD_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

#define MIME_DEPTH_MAX		8		/* nested multiparts / enclosed messages */
#define MIME_PARTS_MAX		200		/* parts whose headers are read */
#define MIME_HEADER_MAX		(16 * 1024)	/* bytes kept of one header field (longer: cut, truncated) */
#define MIME_BYTES_MAX		(10 * 1024 * 1024)	/* body bytes examined */
#define MIME_IDS_MAX		8		/* original Message-IDs kept */
#define MIME_BOUNDARY_MAX	70		/* RFC 2046 5.1.1 */
#define MIME_PARTIES_MAX	32		/* parties of attached messages kept */

struct mime_walk;

/*
 * A walker for one message body.  p is read while feeding and must outlive
 * the walker; top_content_type is the top-level Content-Type value (NULL or
 * "" means text/plain) and is copied.  NULL when out of memory.
 */
struct mime_walk *mime_walk_new(const struct policy *p, const char *top_content_type);

/* Feeds the next len bytes of the body (any split, NUL bytes allowed). */
void mime_walk_feed(struct mime_walk *w, const char *chunk, size_t len);

void mime_walk_free(struct mime_walk *w);	/* accepts NULL */

/* --- results, complete after the last feed ------------------------------------ */

/*
 * SIGNAL_ATTACHED_MESSAGE when a message/rfc822 part's headers show
 * delivery to (Delivered-To, X-Original-To, Received ... for) or a
 * recipient (To, Cc) that is a protected mailbox; else 0.
 */
signal_set mime_walk_signals(const struct mime_walk *w);

/* The protected mailbox that made the signal, or NULL.  Borrowed from the policy. */
const char *mime_walk_mailbox(const struct mime_walk *w);

/*
 * Copies into ids[0 .. max) the Message-IDs (without <>) of the original
 * messages enclosed in message/rfc822 and text/rfc822-headers parts (what
 * a DSN or auto-reply quotes), distinct, in the order seen, at most
 * MIME_IDS_MAX.  Returns the number copied.  Borrowed from the walker.
 */
size_t mime_walk_original_ids(const struct mime_walk *w, const char **ids, size_t max);

/*
 * Copies into out[0 .. max) the parties of the enclosed messages that gave
 * SIGNAL_ATTACHED_MESSAGE: every address of their From, Sender, Reply-To,
 * To and Cc headers, as address_canonical() writes it with the policy's
 * delimiters, distinct, in the order seen, at most MIME_PARTIES_MAX (later
 * ones are dropped).  Delivered-To, X-Original-To and Received name where a
 * copy went, not who took part: they are not parties.  Returns the number
 * copied.  Borrowed from the walker, valid until it is freed.
 */
size_t mime_walk_parties(const struct mime_walk *w, const char **out, size_t max);

/*
 * A delivery status notification: the top level (or a part) is
 * multipart/report; report-type=delivery-status, or a
 * message/delivery-status part was seen.
 */
bool mime_walk_is_dsn(const struct mime_walk *w);

/* A message/rfc822 part was base64/quoted-printable encoded and skipped. */
bool mime_walk_encoded(const struct mime_walk *w);

/* A limit was reached: some of the body was not examined. */
bool mime_walk_truncated(const struct mime_walk *w);

#endif
