/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime.h - a streaming, bounded MIME walker over a message body: the
 * attached-message signal and the leak evidence a DSN carries (README.md,
 * "What counts as a forwarded message").
 *
 * The milter feeds the body chunk by chunk as libmilter hands it over
 * (xxfi_body, up to 64 KB each); the message's top-level headers were seen
 * separately, so the caller passes the top-level Content-Type value at
 * start (and the Content-Transfer-Encoding, mime_walk_set_encoding()).
 * The walker reads the headers of every part and the content of every
 * leaf part, decoded as it streams (base64, quoted-printable; 7bit, 8bit
 * and binary as they are), for a forwarded message in it:
 *   - message/rfc822 and message/global (RFC 6532), in any encoding, and
 *     a part whose file name ends in ".eml";
 *   - any other leaf whose decoded content starts with an RFC 5322 header
 *     block: header fields only up to the blank line, two of them message
 *     header fields (From, To, Cc, Date, Subject, Message-ID, Received,
 *     Delivered-To, X-Original-To, Return-Path, Sender, Reply-To,
 *     MIME-Version, In-Reply-To, References), an mbox "From " line allowed
 *     first: an .eml under application/octet-stream, text/plain, anything;
 *   - an Outlook .msg (OLE compound file) or a TNEF winmail.dat, by their
 *     magic bytes, type or file name (an OLE file known by its bytes only
 *     when its directory shows a .msg): mime_blob.h says what is read.
 * An enclosed message is walked like the body (its parts, their content),
 * one level deeper.  text/rfc822-headers and message/global-headers (what
 * a DSN returns) are read for their Message-ID only.  RFC 2231 parameters
 * (boundary*0=, filename*=) are read (mime_param.h).
 *
 * Memory is bounded whatever the input (one header-field buffer of
 * MIME_HEADER_MAX bytes, one small walker per nesting level, at most
 * MIME_DEPTH_MAX of them) and the work is O(bytes fed x MIME_DEPTH_MAX).
 * What cannot be examined sets mime_walk_truncated(): nesting past
 * MIME_DEPTH_MAX, more than MIME_PARTS_MAX parts, more than MIME_BYTES_MAX
 * bytes, a header field cut at MIME_HEADER_MAX, a multipart whose boundary
 * cannot be read (none, or over MIME_BOUNDARY_MAX), a message/partial (a
 * fragment cannot be read alone), a transfer encoding not decoded here.
 * CRLF and LF line ends are both read; a last line without a line end is
 * not read.  Pure code.
 */
#ifndef FWDGUARD_MIME_H
#define FWDGUARD_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include "mime_limits.h"
#include "policy.h"

struct mime_walk;

/*
 * A walker for one message body.  p is read while feeding and must outlive
 * the walker; top_content_type is the top-level Content-Type value (NULL or
 * "" means text/plain) and is copied.  NULL when out of memory.
 */
struct mime_walk *mime_walk_new(const struct policy *p, const char *top_content_type);

/*
 * The top-level Content-Transfer-Encoding value (NULL: none, read as
 * 7bit).  Call before the first feed.
 */
void mime_walk_set_encoding(struct mime_walk *w, const char *cte);

/* Feeds the next len bytes of the body (any split, NUL bytes allowed). */
void mime_walk_feed(struct mime_walk *w, const char *chunk, size_t len);

void mime_walk_free(struct mime_walk *w);	/* accepts NULL */

/* --- results, complete after the last feed ------------------------------------ */

/*
 * SIGNAL_ATTACHED_MESSAGE when an enclosed message's headers show
 * delivery to (Delivered-To, X-Original-To, Received ... for) or a
 * recipient (To, Cc) that is a protected mailbox, or an Outlook/TNEF file
 * names one; else 0.
 */
signal_set mime_walk_signals(const struct mime_walk *w);

/* The protected mailbox that made the signal, or NULL.  Borrowed from the policy. */
const char *mime_walk_mailbox(const struct mime_walk *w);

/*
 * Copies into ids[0 .. max) the Message-IDs (without <>) of the original
 * messages enclosed in the body and of text/rfc822-headers parts (what
 * a DSN or auto-reply quotes), distinct, in the order seen, at most
 * MIME_IDS_MAX.  Returns the number copied.  Borrowed from the walker.
 */
size_t mime_walk_original_ids(const struct mime_walk *w, const char **ids, size_t max);

/*
 * Copies into out[0 .. max) the addresses a DSN or auto-reply may return
 * this body to without a leak: those that are a party of EVERY enclosed
 * message that gave SIGNAL_ATTACHED_MESSAGE (the intersection, not the
 * union: a decoy message written to the recipient does not open the way
 * for another message).  A message's parties are the addresses of its
 * From, Sender, Reply-To, To and Cc headers, as address_canonical() writes
 * them with no delimiters (the whole address, as the recipient compared
 * with them is written), distinct, in the order the first such message
 * names them, at most MIME_PARTIES_MAX (the rest of a message's are not
 * kept: fewer, never more, are exempt).  Delivered-To, X-Original-To and
 * Received name where a copy went, not who took part: they are not
 * parties.  None at all when a message that gave the signal has no
 * parties to name (an Outlook or TNEF file: who sent and who received
 * cannot be told apart there) or when the body was not examined whole
 * (mime_walk_truncated(): a cut header, a message/partial, a limit).
 * Returns the number copied.  Borrowed from the walker, valid until it
 * is freed.
 */
size_t mime_walk_parties(const struct mime_walk *w, const char **out, size_t max);

/*
 * Copies into ids[0 .. max) the Message-IDs (as mime_walk_original_ids()
 * gives them) of the enclosed messages that gave SIGNAL_ATTACHED_MESSAGE,
 * in the order seen.  Returns their number, or 0 when one of them cannot
 * be named: it has no Message-ID or its id is not among those kept, it is
 * an Outlook or TNEF file, more than max gave the signal, or the body was
 * not examined whole.  So a non-zero answer names every one of them (a
 * caller may judge all of them by their correlation records).  Borrowed
 * from the walker, valid until it is freed.
 */
size_t mime_walk_signal_ids(const struct mime_walk *w, const char **ids, size_t max);

/*
 * A delivery status notification: the top level (or a part) is
 * multipart/report; report-type=delivery-status, or a
 * message/delivery-status part was seen.
 */
bool mime_walk_is_dsn(const struct mime_walk *w);

/*
 * Some of the body could not be examined (see above), so it may hold a
 * forwarded message nobody saw.  The caller fails closed on it: for mail
 * that involves a protected mailbox (attached-message), and for an
 * insider's mail to outside recipients (body-unexamined).
 */
bool mime_walk_truncated(const struct mime_walk *w);

#endif
