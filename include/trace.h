/*
 * trace.h - decoding of trace data that names where a message was first
 * delivered: the ORCPT= parameter of a recipient and the "for" clause of a
 * Received: header.  Used by the evidence module.  Pure code, bounded.
 */
#ifndef FWDGUARD_TRACE_H
#define FWDGUARD_TRACE_H

#include <stddef.h>

/*
 * Decodes the address of an ORCPT value into out: "rfc822;<xtext>" (RFC
 * 3461 4.2, "+HH" escapes) or "utf-8;<unitext>" (RFC 6533, "\x{HEX}"
 * escapes and raw UTF-8, which the address parser validates): Postfix and
 * Sendmail pass either type on.  Returns its length, or -1 for another
 * type or malformed text: a raw '+', '=' or (utf-8) '\', a control byte,
 * or an encoded control character.
 */
int trace_orcpt_decode(const char *orcpt, char *out, size_t size);

/* Skips a comment starting at v[i] == '(' (nested, with quoted-pairs); returns the index after it. */
size_t trace_skip_comment(const char *v, size_t len, size_t i);

/*
 * The address after a "for" word ending at v[i] ("<a@b>" or a bare word),
 * borrowed from v, with its length in *alen (0 and NULL when none).
 */
const char *trace_for_address(const char *v, size_t len, size_t i, size_t *alen);

#endif
