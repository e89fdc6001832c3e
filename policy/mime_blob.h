/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_blob.h - what the MIME walker (policy/mime.c) reads in an Outlook
 * message file (.msg, an OLE compound file) or a TNEF winmail.dat, without
 * parsing either format.
 *
 * Both carry a message's transport headers and recipient table as strings,
 * in ASCII or UTF-16LE.  The scanner pulls address-like tokens (atext,
 * '.' and one '@' or more, at most MIME_BLOB_TOKEN_MAX bytes) out of the
 * decoded bytes in both forms and asks the policy whether one is a
 * protected mailbox.  A token glued to other address characters ("xsupport@",
 * "support@corp.example.evil.test") is a different address, as in a header.
 * An OLE compound file is also what .doc, .xls and .ppt files are: one is
 * read as an Outlook message only when the part says it is one (the caller
 * passes that: type application/vnd.ms-outlook or a name ending ".msg") or
 * when its directory names the streams only a .msg has ("__substg1.0_..."
 * and "__properties_version1.0", UTF-16LE names the token builders see
 * anyway).  Until then a protected address found is held back, not
 * reported: a Word document quoting support@ is no forwarded message.
 * What it does not see: strings compressed inside RTF bodies
 * (PR_RTF_COMPRESSED), other encodings (UTF-16BE, code pages other than
 * ASCII), and messages nested in a .msg's storages are read only as far as
 * their strings lie in the file as bytes.  O(bytes fed), bounded memory.
 * Pure code.
 */
#ifndef FWDGUARD_MIME_BLOB_H
#define FWDGUARD_MIME_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

#define MIME_BLOB_TOKEN_MAX	320
#define MIME_BLOB_MAGIC_LEN	8	/* bytes mime_blob_magic() wants */

enum mime_blob_kind {
	MIME_BLOB_NONE,
	MIME_BLOB_OLE,		/* D0 CF 11 E0 A1 B1 1A E1: Outlook .msg and other OLE files */
	MIME_BLOB_TNEF		/* 78 9F 3E 22: winmail.dat */
};

/* The format the first n bytes of a file announce. */
enum mime_blob_kind mime_blob_magic(const char *first, size_t n);

struct mime_blob_token {
	char buf[MIME_BLOB_TOKEN_MAX];
	size_t n;
	bool over;		/* longer than the buffer: not an address */
	bool pending;		/* UTF-16LE: a low byte waits for its high byte */
	char low;
};

struct mime_blob {
	const struct policy *p;
	struct mime_blob_token ascii;
	struct mime_blob_token wide[2];	/* UTF-16LE starting at even / odd offsets */
	size_t off;
	const char *found;	/* first protected address seen */
	bool message;		/* known to be a message: found counts */
};

/*
 * message: the file is known to be a message (a TNEF file, or a part
 * declared an Outlook message); false for an OLE file known by its bytes
 * alone, which counts once its directory shows a .msg.
 */
void mime_blob_init(struct mime_blob *b, const struct policy *p, bool message);
void mime_blob_feed(struct mime_blob *b, const char *buf, size_t len);

/* Reads the tokens the last bytes left open; then the protected mailbox found, or NULL. */
const char *mime_blob_end(struct mime_blob *b);

/* The protected mailbox found so far, or NULL.  Borrowed from the policy. */
const char *mime_blob_found(const struct mime_blob *b);

#endif
