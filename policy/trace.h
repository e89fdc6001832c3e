/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trace.h - reading trace data that names where a message was delivered:
 * the ORCPT= parameter of a recipient, the "for" clause of a Received:
 * header, the plain values of forwarding markers, and the fail-closed
 * reading of a trace header no parser could read.  Used by the evidence
 * module.  Pure code.
 *
 * Header values come from the sender's side of the wire and may hold
 * anything.  Every reader here looks at each byte a bounded number of
 * times, whatever the value holds (openers without closers, runs of
 * separators), and copies nothing.
 */
#ifndef FWDGUARD_TRACE_H
#define FWDGUARD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include "address.h"

/*
 * Decodes the address of an ORCPT value into out: "rfc822;<xtext>" (RFC
 * 3461 4.2, "+HH" escapes) or "utf-8;<unitext>" (RFC 6533, "\x{HEX}"
 * escapes and raw UTF-8, which the address parser validates): Postfix and
 * Sendmail pass either type on.  Returns its length, or -1 for another
 * type or malformed text: a raw '+', '=' or (utf-8) '\', a control byte,
 * or an encoded control character.
 */
int trace_orcpt_decode(const char *orcpt, char *out, size_t size);

/*
 * Comments and quoted strings of a value read left to right.  An opener
 * whose closer never comes is an ordinary byte, so it cannot hide the rest
 * of the value; once one was seen, later openers of that kind are not
 * searched for again, which keeps the reading linear.  Zero-initialise
 * with the value, e.g. struct trace_text t = { v, len };
 */
struct trace_text {
	const char *v;
	size_t len;
	bool paren_unclosed;
	bool quote_unclosed;
};

/*
 * v[i] is '(' (a comment, nested, with quoted-pairs) or '"' (a quoted
 * string, with quoted-pairs): returns the index after its closer, or i
 * when it has none and the byte is to be read as an ordinary one.
 */
size_t trace_skip(struct trace_text *t, size_t i);

/*
 * Calls fn with the address each "for" clause of a Received: value names
 * outside comments: the text between '<' and '>' (a '<', ';' or the end
 * also ends it when the '>' is missing), or the word after "for" (any
 * case).  Blanks, folding, control bytes and DEL separate words; an
 * unclosed '(' is read as a blank.  Only texts holding an '@' are handed
 * over.  fn returns non-zero to stop.  Returns the number of calls, or -1
 * when more than max would be needed (the first max were made).
 */
int trace_received_for(const char *v, size_t len, size_t max, address_list_fn fn, void *ctx);

/*
 * value[0 .. len) says want (words separated by one blank), word for
 * word, ignoring ASCII case; folding, control and 8-bit bytes and comments
 * between words count as blanks ("True\x01", "Mailbox\r\n Rules (x) Agent").
 * Returns 1 or 0.
 */
int trace_value_is(const char *v, size_t len, const char *want);

/* A byte trace_words() reads as part of an address: RFC 5322 atext, '.' or '@'. */
bool trace_is_atext(unsigned char c);

/*
 * The fail-closed reading of text the address parsers refused: calls fn
 * for each run of bytes that may form an address (letters, digits, '.',
 * '@' and the other RFC 5322 atext characters) holding an '@', with its
 * trailing dots removed.  Anything else separates runs: blanks, control
 * and 8-bit bytes, and the specials <>()[],;:"\ -- so a run is handed over
 * whole and a look-alike ("xsupport@", "support@corp.example.evil.test")
 * stays what it is.  Runs that meet at an '@' or a dot across blanks,
 * control or 8-bit bytes or comments ("support @ corp . example", RFC
 * 5322's obsolete syntax) are also handed over joined, once.  Closed
 * comments and quoted strings are skipped: a display name is not the
 * address.  fn returns non-zero to stop.  Returns the number of calls, or
 * -1 when more than max would be needed.
 */
int trace_words(const char *v, size_t len, size_t max, address_list_fn fn, void *ctx);

#endif
