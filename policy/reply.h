/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.h - recognising automatic answers (RFC 3834 and vendor markers)
 * from single header values, for evidence.c (evidence_is_autoreply() has
 * the list of markers and why each is or is not one).  Pure code; values
 * are read in place, with explicit lengths, never copied beyond a small
 * bounded buffer.
 */
#ifndef FWDGUARD_REPLY_H
#define FWDGUARD_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define REPLY_SUBJECT_MAX	128	/* decoded bytes of a Subject looked at */

/*
 * True when header name (any case: Auto-Submitted, X-Autoreply,
 * X-Autorespond, Precedence, Subject) with value[0 .. len) marks the
 * message as an automatic answer.  Other names give false.
 */
bool reply_marker(const char *name, const char *value, size_t len);

/*
 * Decodes RFC 2047 encoded-words (B and Q) in in[0 .. len) into out as
 * UTF-8: UTF-8 and US-ASCII text as is, ISO-8859-1/-15 and windows-1252
 * converted (their C1 range becomes '?'), other charsets copied as their
 * raw bytes.  Blanks between adjacent encoded-words are dropped, line
 * folds become blanks, malformed words are copied as written.  Writes at
 * most size - 1 bytes and a NUL; returns the length written.
 */
size_t reply_decode_words(const char *in, size_t len, char *out, size_t size);

#endif
