/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.h - what a message says about the message it forwards, beyond
 * In-Reply-To and References: Outlook's conversation id (the first 22
 * bytes of Thread-Index, the same in every message of one conversation,
 * a forward included) and a subject that marks a forward ("Fwd:", "Fw:",
 * "TR:", "WG:", "RV:").  For evidence.c; pure code, values read in place
 * with explicit lengths.
 */
#ifndef FWDGUARD_THREAD_H
#define FWDGUARD_THREAD_H

#include <stdbool.h>
#include <stddef.h>

#define THREAD_CONV_BYTES	22	/* Thread-Index bytes that name the conversation */
#define THREAD_CONV_MAX		(2 * THREAD_CONV_BYTES)	/* as lower-case hex */

/*
 * Writes the conversation id of a Thread-Index value v[0 .. len) (base64,
 * blanks and folds ignored) as THREAD_CONV_MAX lower-case hex digits and a
 * NUL into out (size > THREAD_CONV_MAX).  Returns the length written, or 0
 * with out "" when the value does not hold 22 bytes of base64: such a
 * value names no conversation.
 */
size_t thread_conversation(const char *v, size_t len, char *out, size_t size);

/*
 * True when a Subject value, after decoding RFC 2047 encoded-words,
 * starts with a forward prefix (Fwd, Fw, TR, WG, RV in any case, then a
 * colon, blanks or a no-break space allowed before it).  "Re: Fwd:" is an
 * answer, not a forward.
 */
bool thread_forward_subject(const char *v, size_t len);

#endif
