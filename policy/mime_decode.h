/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_decode.h - streaming Content-Transfer-Encoding decoders for the
 * MIME walker (policy/mime.c).
 *
 * A decoder keeps a few bytes of state and nothing else: input in any
 * split gives the same output as input fed whole, in O(len) and without
 * a copy of the part.  Output goes to a callback in pieces of at most
 * MIME_DECODE_OUT bytes.  Pure code.
 *
 * Base64 (RFC 2045 6.8): characters outside the alphabet are ignored, as
 * the RFC asks; '=' ends a group, and decoding starts again after it, so
 * parts made of several padded pieces decode whole.
 * Quoted-printable (RFC 2045 6.7): "=XX" gives the byte (hex in either
 * case), "=" before a line end (after optional blanks) is a soft line
 * break; any other "=" is kept as written.
 * 7bit, 8bit, binary, an absent or unknown encoding: bytes pass as they are.
 */
#ifndef FWDGUARD_MIME_DECODE_H
#define FWDGUARD_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_DECODE_OUT	1024

enum mime_cte {
	MIME_CTE_IDENTITY,	/* 7bit, 8bit, binary, absent or unknown */
	MIME_CTE_BASE64,
	MIME_CTE_QP
};

/* The encoding a Content-Transfer-Encoding token names (case-insensitive). */
enum mime_cte mime_cte_lookup(const char *token);

/*
 * False for a token that is none of RFC 2045's encodings (7bit, 8bit,
 * binary, base64, quoted-printable) and not absent: x-uuencode and the
 * like, which a mail client may decode and we would read as they are.
 */
bool mime_cte_known(const char *token);

struct mime_decoder {
	enum mime_cte cte;
	unsigned acc;		/* base64: bits not yet written */
	unsigned nbits;
	int qp_state;		/* quoted-printable: where in an "=" sequence */
	char qp_hex;		/* its first hex digit */
};

typedef void (*mime_decode_fn)(void *ctx, const char *buf, size_t len);

void mime_decoder_init(struct mime_decoder *d, enum mime_cte cte);

/* Decodes in[0 .. len) and hands the result to fn. */
void mime_decode(struct mime_decoder *d, const char *in, size_t len, mime_decode_fn fn, void *ctx);

#endif
