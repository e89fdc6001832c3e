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
	const char *found;
};

void mime_blob_init(struct mime_blob *b, const struct policy *p);
void mime_blob_feed(struct mime_blob *b, const char *buf, size_t len);

/* Reads the tokens the last bytes left open; then the protected mailbox found, or NULL. */
const char *mime_blob_end(struct mime_blob *b);

/* The protected mailbox found so far, or NULL.  Borrowed from the policy. */
const char *mime_blob_found(const struct mime_blob *b);

#endif
