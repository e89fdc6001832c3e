/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_decode.c - streaming base64 and quoted-printable decoders (see
 * mime_decode.h for the contract).  Each input byte is looked at once.
 */
#include <strings.h>
#include "b64.h"
#include "hex.h"
#include "mime_decode.h"

enum mime_qp_state {
	QP_TEXT,	/* ordinary bytes */
	QP_EQ,		/* after "=" */
	QP_HEX,		/* after "=X" */
	QP_BLANK,	/* after "=" and blanks: a soft break if the line ends here */
	QP_CR		/* after "=" (blanks) CR */
};

struct mime_out {
	char buf[MIME_DECODE_OUT];
	size_t n;
	mime_decode_fn fn;
	void *ctx;
};

static void mime_out_byte(struct mime_out *o, char c)
{
	o->buf[o->n++] = c;
	if (o->n == sizeof(o->buf)) {
		o->fn(o->ctx, o->buf, o->n);
		o->n = 0;
	}
}

enum mime_cte mime_cte_lookup(const char *token)
{
	if (strcasecmp(token, "base64") == 0)
		return MIME_CTE_BASE64;
	if (strcasecmp(token, "quoted-printable") == 0)
		return MIME_CTE_QP;
	return MIME_CTE_IDENTITY;
}

bool mime_cte_known(const char *token)
{
	static const char *const known[] = { "", "7bit", "8bit", "binary", "base64",
	    "quoted-printable" };
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcasecmp(token, known[i]) == 0)
			return true;
	return false;
}

void mime_decoder_init(struct mime_decoder *d, enum mime_cte cte)
{
	d->cte = cte;
	d->acc = 0;
	d->nbits = 0;
	d->qp_state = QP_TEXT;
	d->qp_hex = 0;
}

static void mime_base64(struct mime_decoder *d, char c, struct mime_out *o)
{
	int v = b64_value(c);

	if (c == '=') {
		/* Padding: the group is over, whatever bits are left are filler. */
		d->acc = 0;
		d->nbits = 0;
		return;
	}
	if (v < 0)
		return;
	d->acc = (d->acc << 6) | (unsigned)v;
	d->nbits += 6;
	if (d->nbits >= 8) {
		d->nbits -= 8;
		mime_out_byte(o, (char)((d->acc >> d->nbits) & 0xff));
		d->acc &= (1u << d->nbits) - 1;
	}
}

/* One byte of quoted-printable; an "=" sequence that turns out not to be one is kept. */
static void mime_qp(struct mime_decoder *d, char c, struct mime_out *o)
{
	switch (d->qp_state) {
	case QP_EQ:
		if (hex_value(c) >= 0) {
			d->qp_hex = c;
			d->qp_state = QP_HEX;
			return;
		}
		if (c == '\n') {
			d->qp_state = QP_TEXT;
			return;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			d->qp_state = c == '\r' ? QP_CR : QP_BLANK;
			return;
		}
		d->qp_state = QP_TEXT;
		mime_out_byte(o, '=');
		break;
	case QP_HEX:
		d->qp_state = QP_TEXT;
		if (hex_value(c) >= 0) {
			mime_out_byte(o, (char)(hex_value(d->qp_hex) * 16 + hex_value(c)));
			return;
		}
		mime_out_byte(o, '=');
		mime_out_byte(o, d->qp_hex);
		break;
	case QP_BLANK:
		if (c == ' ' || c == '\t')
			return;
		if (c == '\r') {
			d->qp_state = QP_CR;
			return;
		}
		d->qp_state = QP_TEXT;
		if (c == '\n')
			return;
		mime_out_byte(o, '=');
		break;
	case QP_CR:
		d->qp_state = QP_TEXT;
		if (c == '\n')
			return;
		mime_out_byte(o, '=');
		mime_out_byte(o, '\r');
		break;
	default:
		break;
	}
	if (c == '=')
		d->qp_state = QP_EQ;
	else
		mime_out_byte(o, c);
}

void mime_decode(struct mime_decoder *d, const char *in, size_t len, mime_decode_fn fn, void *ctx)
{
	struct mime_out o = { .n = 0, .fn = fn, .ctx = ctx };
	size_t i;

	if (d->cte == MIME_CTE_IDENTITY) {
		if (len > 0)
			fn(ctx, in, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (d->cte == MIME_CTE_BASE64)
			mime_base64(d, in[i], &o);
		else
			mime_qp(d, in[i], &o);
	}
	if (o.n > 0)
		fn(ctx, o.buf, o.n);
}
