/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evidence.h - egress evidence that a message is a forwarded copy of a
 * protected mailbox's mail (README.md "Configuration", signals), gathered header by header.
 *
 * One struct evidence per connection, reset for each message.  Memory is
 * bounded whatever the headers hold: values are scanned in place, at most
 * EVIDENCE_ADDRS_MAX recipient-header addresses are kept, and the protected
 * mailboxes named (at most EVIDENCE_MAILBOXES_MAX) are remembered by pointer
 * into the policy.
 * Mailing-list and ARC/SRS headers are recorded as context only and never
 * produce a signal.
 */
#ifndef FWDGUARD_EVIDENCE_H
#define FWDGUARD_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include "evidence_limits.h"
#include "policy.h"

struct evidence;

struct evidence *evidence_new(void);
void evidence_reset(struct evidence *ev);
void evidence_free(struct evidence *ev);	/* accepts NULL */

/*
 * Feeds one header (name without colon, unfolded or folded value as
 * libmilter gives it).  The policy must stay the same for the whole message.
 * Time is linear in the value's length whatever it holds.  A header that
 * names a protected mailbox is read despite control, DEL and 8-bit bytes,
 * comments, brackets, trailing dots and folding; one no parser can read
 * is read fail closed (trace_words() in trace.h): an address-like word in
 * it that names a protected mailbox, whole, is evidence.
 */
void evidence_header(struct evidence *ev, const struct policy *p, const char *name, const char *value);

/*
 * The name of the i-th header evidence_header() reads, or NULL past the
 * last (ARC-* headers are read too), so that tests and fuzzers reach
 * every kind of header.
 */
const char *evidence_header_name(size_t i);

/* Message-wide signals found so far (delivered-to, received-for, ...). */
signal_set evidence_signals(const struct evidence *ev);

/* The first protected mailbox a message-wide signal named, or NULL (borrowed from the policy). */
const char *evidence_mailbox(const struct evidence *ev);

/*
 * The i-th distinct protected mailbox message-wide signals named, in the
 * order first named (0 is evidence_mailbox()), or NULL past the last.  At
 * most EVIDENCE_MAILBOXES_MAX are kept; naming more sets evidence_truncated().
 * Borrowed from the policy.
 */
const char *evidence_mailbox_at(const struct evidence *ev, size_t i);

/* The protected mailbox the From: header names, or NULL (borrowed from the policy). */
const char *evidence_from_protected(const struct evidence *ev);

/* The From: address as a canonical string, or "" when absent or unreadable. */
const char *evidence_from(const struct evidence *ev);

/* The Message-ID without angle brackets, or "" (bounded to EVIDENCE_MSGID_MAX). */
const char *evidence_message_id(const struct evidence *ev);

/* Context facts: List-Id/List-Unsubscribe seen; ARC or SRS markers seen. */
bool evidence_is_list(const struct evidence *ev);
bool evidence_is_arc_or_srs(const struct evidence *ev);

/*
 * Copies into ids[0 .. max) the Message-IDs (without <>) this message
 * answers: In-Reply-To first, then References, distinct, at most
 * EVIDENCE_REFS_MAX.  When References holds more than fit, its first id
 * (the thread's root) and its last ones (the nearest ancestors) are kept
 * and the middle is dropped.  Returns the number copied.  Borrowed from
 * the evidence, valid until it is reset.
 */
size_t evidence_references(const struct evidence *ev, const char **ids, size_t max);

/*
 * id (as evidence_references() gives it) names this message's direct
 * parent: an id of In-Reply-To, or the last id of References (RFC 5322
 * 3.6.4: the parent is written last).  The others are earlier messages
 * of the thread.
 */
bool evidence_names_parent(const struct evidence *ev, const char *id);

/*
 * The message says it was sent automatically in answer to another
 * (RFC 3834 and the common vendor markers):
 *   Auto-Submitted with any value but "no" (auto-replied, auto-generated,
 *     auto-notified, ...);
 *   X-Autoreply or X-Autorespond present, unless "no"/"false"/"0";
 *   Precedence: auto_reply;
 *   a Subject that starts with an out-of-office phrase ("Out of Office",
 *     "Automatic reply", "Autoreply", "Auto:", "Abwesenheitsnotiz",
 *     "Réponse automatique", "Absence:", "Fuera de la oficina"), compared
 *     without regard to case after decoding RFC 2047 encoded-words in
 *     UTF-8 or ISO-8859-1/-15/windows-1252 (other charsets: the ASCII
 *     phrases only).  "Re: Out of office" is a person's reply, not one.
 * Not markers: X-Auto-Response-Suppress (it asks others not to answer);
 * Precedence: bulk or junk (newsletters and lists send it; with an
 * out-of-office subject the subject alone already counts).
 */
bool evidence_is_autoreply(const struct evidence *ev);

/* The top-level Content-Type value as written (for mime_walk_new()), or "" when absent. */
const char *evidence_content_type(const struct evidence *ev);

/* The X-Fwdguard-Probe token (trimmed, printable ASCII), or "" when absent. */
const char *evidence_probe_token(const struct evidence *ev);

/*
 * The i-th To/Cc address read (canonical, as kept for header-recipient),
 * or NULL past the last.  Borrowed, valid until the evidence is reset.
 */
const char *evidence_recipient_at(const struct evidence *ev, size_t i);

/* True when some header was too large or held too many addresses to read whole. */
bool evidence_truncated(const struct evidence *ev);

/*
 * Copies into ids[0 .. max) the Message-IDs (without <>) the first
 * X-Forwarded-Message-Id header names (Thunderbird's mark of a forward),
 * distinct, at most EVIDENCE_FWDIDS_MAX.  Returns the number copied.
 * Borrowed, valid until the evidence is reset.
 */
size_t evidence_forwarded_ids(const struct evidence *ev, const char **ids, size_t max);

/*
 * Outlook's conversation id from the first Thread-Index that holds one
 * (thread_conversation(): lower-case hex), or "" when there is none.
 */
const char *evidence_conversation(const struct evidence *ev);

/* The Subject starts with a forward prefix (thread_forward_subject()). */
bool evidence_forward_subject(const struct evidence *ev);

/*
 * The i-th readable address of the first Reply-To header (canonical), or
 * NULL past the last; at most EVIDENCE_REPLY_TO_MAX.  Borrowed, valid
 * until the evidence is reset.
 */
const char *evidence_reply_to_at(const struct evidence *ev, size_t i);

/*
 * Signals that concern one recipient: orcpt (orcpt is the raw ORCPT= value,
 * "rfc822;support@corp.example" in xtext, or NULL) and header-recipient
 * (README.md "Configuration", signals: To/Cc name a protected mailbox, this recipient is external
 * and in no recipient header, and From is external or differs from the
 * envelope sender; sender may be NULL for the null sender).  *mailbox
 * receives the protected mailbox named, or is left untouched.
 */
signal_set evidence_recipient(const struct evidence *ev, const struct policy *p,
    const struct address *rcpt, const char *orcpt, const struct address *sender,
    const char **mailbox);

#endif
