/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_param.h - Content-Type and Content-Disposition values as the MIME
 * walker (policy/mime.c) needs them: the media type, and the parameters
 * boundary, report-type, name and filename.
 *
 * Parameters are read as RFC 2045 writes them (token or quoted-string)
 * and as RFC 2231 extends them: continuations (boundary*0="a"; boundary*1="b",
 * in any order), percent-encoded values (name*=utf-8''x%2Eeml) and both
 * together (filename*0*=...).  The charset and language of an encoded
 * value are skipped: the bytes are kept as they are, which is what a
 * boundary (ASCII) and a file name's extension need.  When a parameter is
 * given both plain and in RFC 2231 form, the RFC 2231 form wins, as mail
 * clients read it.  Each call is O(length of the value); nothing is
 * allocated.  Pure code.
 */
#ifndef FWDGUARD_MIME_PARAM_H
#define FWDGUARD_MIME_PARAM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * RFC 2046 5.1.1 caps a boundary at 70 characters; mail software writes
 * longer ones (a prefix and 64 random hex digits: 76; a list server's
 * boundary that embeds its host name, itself up to 253).  200 holds a
 * prefix, 64 random digits and a long host name.  A longer one is no
 * mailer's habit, and what it would hide is reported, not read
 * (body-unexamined).  The cost is per nesting level: one kept boundary and
 * one kept line start (policy/mime.c), 2 x 200 bytes; each line is compared
 * with at most MIME_DEPTH_MAX of them, so the walk stays linear.
 */
#define MIME_BOUNDARY_MAX	200
#define MIME_TYPE_MAX		63
#define MIME_NAME_MAX		255	/* file name kept (longer: cut) */
#define MIME_PARAM_SECTIONS	64	/* RFC 2231 continuations read per parameter */

struct mime_ctype {
	char type[MIME_TYPE_MAX + 1];	/* "multipart/mixed", lower-case; "" when absent */
	char boundary[MIME_BOUNDARY_MAX + 1];
	size_t blen;			/* 0: no usable boundary */
	bool boundary_bad;		/* present but empty, too long or unreadable */
	bool report_dsn;		/* report-type=delivery-status */
	char name[MIME_NAME_MAX + 1];	/* name= (Content-Type), lower-case; "" when absent */
};

/* Reads a Content-Type value (NULL or "" gives an empty type). */
void mime_ctype_parse(const char *value, struct mime_ctype *ct);

/*
 * Reads the filename parameter of a Content-Disposition value into name
 * (lower-case, cut to size-1 bytes); "" when absent.
 */
void mime_disposition_filename(const char *value, char *name, size_t size);

/*
 * Reads the first token of a value (a Content-Transfer-Encoding, or the
 * media type of a Content-Type), lower-cased, into out.
 */
void mime_value_token(const char *value, char *out, size_t size);

#endif
