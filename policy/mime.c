/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime.c - a streaming, bounded MIME walker (see mime.h for the contract).
 *
 * The body is read line by line as chunks arrive; a line is never kept
 * whole.  Only two things are remembered about a line: its first
 * MIME_LINE_KEEP bytes (enough to recognise a boundary delimiter of up
 * to MIME_BOUNDARY_MAX characters, mime_param.h) and, while a header
 * block is read, the header field it belongs to (up to MIME_HEADER_MAX
 * bytes).  Each header field is handled as soon as the next one starts,
 * so nothing waits for the end of the input.  A boundary of an outer multipart closes every
 * part inside it, as RFC 2046 5.1.2 requires.
 *
 * The body of every leaf part is decoded as it streams (mime_decode.h)
 * into a walker of its own, one level deeper, which reads it as what it
 * may be: an enclosed message, a header block, a multipart sent encoded,
 * or any other content that could be one (an .eml under any type, an
 * Outlook .msg or TNEF file, mime_blob.h).  The walkers of one body share
 * a struct mime_tree: the results, the limits, and the buffers only the
 * innermost walker uses (only it reads headers: its parent is in the part
 * body it was made for).  Pure code.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime.h"
#include "mime_blob.h"
#include "mime_decode.h"
#include "mime_param.h"
#include "mime_tree.h"

/* A close delimiter "--" boundary "--", and room for trailing blanks. */
#define MIME_LINE_KEEP	(MIME_BOUNDARY_MAX + 8)
#define MIME_CTE_MAX	32

enum mime_mode {
	MIME_SKIP,		/* a preamble, epilogue, or a part with nothing to read: boundaries only */
	MIME_HEADERS,		/* a header block */
	MIME_LEAF,		/* a leaf part's body: decoded into the child walker */
	MIME_MAGIC,		/* the first bytes of a leaf's content say what it is */
	MIME_BLOB,		/* an Outlook .msg or TNEF file */
	MIME_STOP		/* a limit was reached: nothing more is examined */
};

/* What a child walker reads the decoded content of a leaf part as. */
enum mime_kind {
	MIME_KIND_MESSAGE,	/* message/rfc822, message/global, a .eml */
	MIME_KIND_HEADERS,	/* text/rfc822-headers, message/global-headers */
	MIME_KIND_ENTITY,	/* a multipart sent encoded: its Content-Type as given */
	MIME_KIND_SNIFF,	/* anything else: a message only if it looks like one */
	MIME_KIND_BLOB		/* declared an Outlook or TNEF file */
};

struct mime_frame {
	char boundary[MIME_BOUNDARY_MAX + 1];
	size_t blen;
	bool digest;		/* multipart/digest: parts default to message/rfc822 */
};

struct mime_walk {
	struct mime_tree *t;
	bool owns_tree;
	size_t base;			/* nesting of the walkers around this one */
	enum mime_mode mode;
	enum mime_block block;
	bool default_rfc822;
	struct mime_frame frames[MIME_DEPTH_MAX];
	size_t nframes;
	char line[MIME_LINE_KEEP];
	size_t linelen;			/* bytes of the current line so far, all of them */
	bool tail_blank;		/* every byte past MIME_LINE_KEEP was blank */
	bool line_passed;		/* the kept bytes went to the leaf already */
	size_t fieldlen;		/* in t->field */
	size_t line_start;		/* where the current line begins in t->field */
	bool field_full;
	struct mime_ctype ct;		/* of the entity whose headers are read */
	bool ctype_seen;
	bool cte_seen;		/* the first of each MIME header wins, as for Content-Type */
	bool disp_seen;
	char filename[MIME_NAME_MAX + 1];
	char cte[MIME_CTE_MAX + 1];
	size_t sniff_fields;		/* MIME_BLOCK_SNIFF: fields read */
	size_t sniff_known;		/* ... of them, message header fields */
	struct mime_decoder dec;	/* MIME_LEAF: the part's transfer encoding */
	struct mime_walk *child;	/* MIME_LEAF: reads the decoded body */
	char magic[MIME_BLOB_MAGIC_LEN];
	size_t nmagic;
	struct mime_blob blob;
};

static void mime_feed(struct mime_walk *w, const char *s, size_t len);

static bool mime_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}


/* Nothing more can be learnt from this walker, whatever follows. */
static bool mime_idle(const struct mime_walk *w)
{
	if (w->mode == MIME_STOP || mime_tree_stopped(w->t))
		return true;
	if (w->nframes > 0)
		return false;
	if (w->mode == MIME_SKIP)
		return true;
	if (w->mode == MIME_BLOB)
		return mime_blob_found(&w->blob) != NULL;
	return w->mode == MIME_LEAF && (w->child == NULL || mime_idle(w->child));
}

/* --- child walkers ------------------------------------------------------------------- */

static void mime_block_begin(struct mime_walk *w, enum mime_block block, bool default_rfc822);
static void mime_body_begin(struct mime_walk *w);
static void mime_field(struct mime_walk *w, size_t len);

static struct mime_walk *mime_child_new(struct mime_walk *parent, enum mime_kind kind)
{
	struct mime_walk *c;

	if (parent->base + parent->nframes + 1 > MIME_DEPTH_MAX + 1 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		mime_tree_truncated(parent->t);
		return NULL;
	}
	c->t = parent->t;
	c->base = parent->base + parent->nframes + 1;
	c->tail_blank = true;
	switch (kind) {
	case MIME_KIND_MESSAGE:
		mime_block_begin(c, MIME_BLOCK_MESSAGE, false);
		break;
	case MIME_KIND_HEADERS:
		mime_block_begin(c, MIME_BLOCK_RFC822_HEADERS, false);
		break;
	case MIME_KIND_ENTITY:
		c->ct = parent->ct;
		mime_body_begin(c);
		break;
	case MIME_KIND_SNIFF:
		c->mode = MIME_MAGIC;
		break;
	case MIME_KIND_BLOB:
		c->mode = MIME_BLOB;
		mime_blob_init(&c->blob, mime_tree_policy(c->t), true);
		break;
	}
	return c;
}

/* The walker is done with: what it still holds is read, then it is freed. */
static void mime_child_end(struct mime_walk *c)
{
	if (c == NULL)
		return;
	/* The part ended: so did its header block, blank line or not. */
	if (c->mode == MIME_HEADERS && c->fieldlen > 0)
		mime_field(c, c->fieldlen);
	if (c->mode == MIME_HEADERS)
		mime_tree_block_end(c->t, c->block);
	mime_child_end(c->child);
	if (c->mode == MIME_BLOB && mime_blob_end(&c->blob) != NULL)
		mime_tree_found(c->t, mime_blob_found(&c->blob));
	free(c);
}

static void mime_leaf_out(void *ctx, const char *buf, size_t len)
{
	struct mime_walk *w = ctx;

	if (w->child != NULL)
		mime_feed(w->child, buf, len);
}

/* Bytes of a leaf part's body, as written: decoded into the child. */
static void mime_leaf_pass(struct mime_walk *w, const char *s, size_t len)
{
	if (w->child != NULL && !mime_idle(w->child))
		mime_decode(&w->dec, s, len, mime_leaf_out, w);
}

static void mime_leaf_begin(struct mime_walk *w, enum mime_kind kind)
{
	w->mode = MIME_LEAF;
	w->line_passed = false;
	/* What we cannot decode may be what a client shows: not examined. */
	if (!mime_cte_known(w->cte))
		mime_tree_truncated(w->t);
	mime_decoder_init(&w->dec, mime_cte_lookup(w->cte));
	w->child = mime_child_new(w, kind);
}

static void mime_leaf_end(struct mime_walk *w)
{
	mime_child_end(w->child);
	w->child = NULL;
	w->mode = MIME_SKIP;
}

/* The first bytes of a leaf that may be anything: a file format, or headers. */
static void mime_magic(struct mime_walk *w, const char **s, size_t *len)
{
	size_t take = MIME_BLOB_MAGIC_LEN - w->nmagic;
	enum mime_blob_kind kind;

	if (take > *len)
		take = *len;
	memcpy(w->magic + w->nmagic, *s, take);
	w->nmagic += take;
	*s += take;
	*len -= take;
	if (w->nmagic < MIME_BLOB_MAGIC_LEN)
		return;
	kind = mime_blob_magic(w->magic, w->nmagic);
	if (kind != MIME_BLOB_NONE) {
		/* An OLE file may be a .doc: a message only if its directory says so. */
		w->mode = MIME_BLOB;
		mime_blob_init(&w->blob, mime_tree_policy(w->t), kind == MIME_BLOB_TNEF);
		mime_blob_feed(&w->blob, w->magic, w->nmagic);
		return;
	}
	mime_block_begin(w, MIME_BLOCK_SNIFF, false);
	mime_feed(w, w->magic, w->nmagic);
}

/* --- header blocks ------------------------------------------------------------------- */

static bool mime_name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* name[0 .. nlen) is a field name: printable ASCII but ':' (RFC 5322 2.2). */
static bool mime_name_ok(const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < nlen; i++)
		if (name[i] < 33 || name[i] > 126)
			return false;
	return nlen > 0;
}

/*
 * One field of content that may be a message.  False: it is not a header
 * field, so the content is no message.  An mbox "From " line may come first.
 */
static bool mime_sniff_field(struct mime_walk *w, const char *f, size_t len, const char *colon,
    size_t nlen)
{
	static const char *const known[] = {
		"From", "To", "Cc", "Date", "Subject", "Message-ID", "Received", "Delivered-To",
		"X-Original-To", "Return-Path", "Sender", "Reply-To", "MIME-Version", "In-Reply-To",
		"References"
	};
	size_t i;

	if (w->sniff_fields++ == 0 && len >= 5 && memcmp(f, "From ", 5) == 0)
		return true;
	if (colon == NULL || !mime_name_ok(f, nlen))
		return false;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (mime_name_is(f, nlen, known[i]))
			w->sniff_known++;
	return true;
}

/* The MIME headers of an entity (a part, or an enclosed message itself). */
static bool mime_entity_header(struct mime_walk *w, const char *name, size_t nlen,
    const char *value)
{
	if (mime_name_is(name, nlen, "Content-Type")) {
		if (!w->ctype_seen)
			mime_ctype_parse(value, &w->ct);
		w->ctype_seen = true;
	} else if (mime_name_is(name, nlen, "Content-Transfer-Encoding")) {
		/* A second one must not make us read as 7bit what a reader
		 * decodes as base64: every MIME header is taken first-wins. */
		if (!w->cte_seen)
			mime_value_token(value, w->cte, sizeof(w->cte));
		w->cte_seen = true;
	} else if (mime_name_is(name, nlen, "Content-Disposition")) {
		if (!w->disp_seen)
			mime_disposition_filename(value, w->filename, sizeof(w->filename));
		w->disp_seen = true;
	} else {
		return false;
	}
	return true;
}

/* Handles t->field[0 .. len): one whole header field, folded. */
static void mime_field(struct mime_walk *w, size_t len)
{
	char *f = mime_tree_field(w->t), saved;
	char *colon = memchr(f, ':', len);
	size_t nlen = colon != NULL ? (size_t)(colon - f) : 0;

	while (nlen > 0 && mime_blank(f[nlen - 1]))
		nlen--;
	if (w->block == MIME_BLOCK_SNIFF && !mime_sniff_field(w, f, len, colon, nlen)) {
		/* Not a header block: nothing in this content is read. */
		w->mode = MIME_SKIP;
		return;
	}
	if (colon == NULL)
		return;
	/* Values are read as C strings; the buffer has room for the NUL. */
	saved = f[len];
	f[len] = '\0';
	if (!mime_entity_header(w, f, nlen, colon + 1) && w->block != MIME_BLOCK_PART)
		mime_tree_enclosed_header(w->t, w->block, f, nlen, colon + 1);
	f[len] = saved;
	/* Two message header fields in a row of header fields: an .eml. */
	if (w->block == MIME_BLOCK_SNIFF && w->sniff_known >= 2) {
		w->block = MIME_BLOCK_MESSAGE;
		mime_tree_qualified(w->t);
	}
}

static void mime_block_begin(struct mime_walk *w, enum mime_block block, bool default_rfc822)
{
	w->mode = MIME_HEADERS;
	w->block = block;
	w->default_rfc822 = default_rfc822;
	w->fieldlen = 0;
	w->line_start = 0;
	w->field_full = false;
	w->ctype_seen = false;
	w->cte_seen = false;
	w->disp_seen = false;
	memset(&w->ct, 0, sizeof(w->ct));
	w->filename[0] = '\0';
	w->cte[0] = '\0';
	w->sniff_fields = 0;
	w->sniff_known = 0;
	if (!mime_tree_block_begin(w->t, block))
		w->mode = MIME_STOP;
}

static bool mime_push(struct mime_walk *w, const char *boundary, size_t blen, bool digest)
{
	struct mime_frame *fr;

	if (w->base + w->nframes >= MIME_DEPTH_MAX) {
		mime_tree_truncated(w->t);
		return false;
	}
	fr = &w->frames[w->nframes++];
	memcpy(fr->boundary, boundary, blen);
	fr->boundary[blen] = '\0';
	fr->blen = blen;
	fr->digest = digest;
	return true;
}

static bool mime_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* How a leaf part's content is read: by its type, and by its file name. */
static enum mime_kind mime_leaf_kind(const struct mime_walk *w, const char *t)
{
	const char *name = w->filename[0] != '\0' ? w->filename : w->ct.name;

	if (strcmp(t, "message/rfc822") == 0 || strcmp(t, "message/global") == 0 ||
	    mime_ends_with(name, ".eml"))
		return MIME_KIND_MESSAGE;
	if (strcmp(t, "text/rfc822-headers") == 0 || strcmp(t, "message/global-headers") == 0)
		return MIME_KIND_HEADERS;
	if (strcmp(t, "application/vnd.ms-outlook") == 0 || strcmp(t, "application/ms-tnef") == 0 ||
	    mime_ends_with(name, ".msg") || mime_ends_with(name, "winmail.dat"))
		return MIME_KIND_BLOB;
	return MIME_KIND_SNIFF;
}

/* The body of the entity whose headers were just read starts: how to read it. */
static void mime_body_begin(struct mime_walk *w)
{
	const char *t = w->ct.type;

	if (t[0] == '\0')
		t = w->default_rfc822 ? "message/rfc822" : "text/plain";
	w->mode = MIME_SKIP;
	if (strncmp(t, "multipart/", 10) == 0) {
		if (strcmp(t, "multipart/report") == 0 && w->ct.report_dsn)
			mime_tree_dsn(w->t);
		if (mime_cte_lookup(w->cte) != MIME_CTE_IDENTITY) {
			/* RFC 2046 forbids it; a client may still decode it. */
			mime_leaf_begin(w, MIME_KIND_ENTITY);
		} else if (w->ct.blen == 0) {
			/* A multipart whose boundary cannot be read hides its parts. */
			mime_tree_truncated(w->t);
		} else {
			mime_push(w, w->ct.boundary, w->ct.blen, strcmp(t, "multipart/digest") == 0);
		}
	} else if (strcmp(t, "message/partial") == 0) {
		/* A fragment cannot be read alone: RFC 2046 5.2.2. */
		mime_tree_truncated(w->t);
	} else if (strcmp(t, "message/delivery-status") == 0 ||
	    strcmp(t, "message/global-delivery-status") == 0) {
		mime_tree_dsn(w->t);
	} else if (strcmp(t, "message/external-body") != 0) {
		mime_leaf_begin(w, mime_leaf_kind(w, t));
	}
}

/* The header block ended (blank line, boundary): collect, then read the body. */
static void mime_block_end(struct mime_walk *w)
{
	if (w->fieldlen > 0)
		mime_field(w, w->fieldlen);
	w->fieldlen = 0;
	if (w->mode != MIME_HEADERS)
		return;
	if (!mime_tree_block_end(w->t, w->block) || w->block == MIME_BLOCK_RFC822_HEADERS)
		w->mode = MIME_SKIP;
	else
		mime_body_begin(w);
}

/* --- lines --------------------------------------------------------------------------- */

/*
 * The frame whose boundary the current line is a delimiter of (innermost
 * first), or -1.  *close is set for a close delimiter "--boundary--".
 */
static int mime_boundary(const struct mime_walk *w, bool *close)
{
	size_t kept = w->linelen < MIME_LINE_KEEP ? w->linelen : MIME_LINE_KEEP;
	size_t i, k, j;

	if (kept < 3 || w->line[0] != '-' || w->line[1] != '-' || !w->tail_blank)
		return -1;
	for (k = w->nframes; k-- > 0;) {
		const struct mime_frame *fr = &w->frames[k];

		if (kept < 2 + fr->blen || memcmp(w->line + 2, fr->boundary, fr->blen) != 0)
			continue;
		j = 2 + fr->blen;
		*close = kept >= j + 2 && w->line[j] == '-' && w->line[j + 1] == '-';
		for (i = *close ? j + 2 : j; i < kept && mime_blank(w->line[i]); i++)
			;
		if (i == kept)
			return (int)k;
	}
	return -1;
}

static void mime_on_boundary(struct mime_walk *w, size_t k, bool close)
{
	if (w->mode == MIME_HEADERS) {
		w->fieldlen = w->line_start;
		mime_block_end(w);
	}
	if (w->mode == MIME_LEAF)
		mime_leaf_end(w);
	if (w->mode == MIME_STOP)
		return;
	w->nframes = k + 1;
	if (close) {
		w->nframes = k;
		w->mode = MIME_SKIP;
		return;
	}
	mime_block_begin(w, MIME_BLOCK_PART, w->frames[k].digest);
}

/* A header line ended: only the blank line that ends the block needs handling. */
static void mime_header_line(struct mime_walk *w)
{
	size_t start = w->line_start;

	/* Judged on the line itself: a full field buffer may have dropped it. */
	if (w->linelen == 0 || (w->linelen == 1 && w->line[0] == '\r')) {
		w->fieldlen = start;
		mime_block_end(w);
	}
}

static void mime_line_end(struct mime_walk *w)
{
	bool close = false;
	int k;

	/* An empty line may be "\r": tail_blank already says the rest is blank. */
	k = w->nframes > 0 ? mime_boundary(w, &close) : -1;
	if (k >= 0) {
		mime_on_boundary(w, (size_t)k, close);
	} else if (w->mode == MIME_HEADERS) {
		mime_header_line(w);
	} else if (w->mode == MIME_LEAF) {
		if (!w->line_passed)
			mime_leaf_pass(w, w->line, w->linelen);
		mime_leaf_pass(w, "\n", 1);
	}
	w->linelen = 0;
	w->tail_blank = true;
	w->line_passed = false;
	w->line_start = w->fieldlen;
}

/* Part of a leaf's line: held while it may be a boundary, passed on once it cannot. */
static void mime_leaf_line(struct mime_walk *w, const char *s, size_t n, size_t before)
{
	if (w->linelen <= MIME_LINE_KEEP)
		return;
	if (!w->line_passed) {
		mime_leaf_pass(w, w->line, MIME_LINE_KEEP);
		w->line_passed = true;
		if (before < MIME_LINE_KEEP) {
			s += MIME_LINE_KEEP - before;
			n -= MIME_LINE_KEEP - before;
		}
	}
	mime_leaf_pass(w, s, n);
}

/* A line that does not continue the field ends it: handle it now, so the buffer holds one. */
static void mime_field_next(struct mime_walk *w, const char *s, size_t n)
{
	if (w->linelen == 0 && n > 0 && s[0] != ' ' && s[0] != '\t' && w->fieldlen > 0) {
		mime_field(w, w->fieldlen);
		w->fieldlen = 0;
		w->line_start = 0;
		w->field_full = false;
	}
}

/* A field too long to keep, in content that may be a message: a header field so far? */
static bool mime_sniff_long_ok(struct mime_walk *w)
{
	const char *f = mime_tree_field(w->t);
	const char *colon = memchr(f, ':', w->fieldlen);
	size_t nlen = colon != NULL ? (size_t)(colon - f) : 0;

	while (nlen > 0 && mime_blank(f[nlen - 1]))
		nlen--;
	return colon != NULL && mime_name_ok(f, nlen);
}

/* Bytes of one line (no '\n' among them). */
static void mime_line_bytes(struct mime_walk *w, const char *s, size_t n)
{
	struct mime_tree *t = w->t;
	size_t i, before = w->linelen;

	if (w->linelen < MIME_LINE_KEEP) {
		size_t take = MIME_LINE_KEEP - w->linelen < n ? MIME_LINE_KEEP - w->linelen : n;

		memcpy(w->line + w->linelen, s, take);
		for (i = take; i < n && w->tail_blank; i++)
			w->tail_blank = mime_blank(s[i]);
	} else {
		for (i = 0; i < n && w->tail_blank; i++)
			w->tail_blank = mime_blank(s[i]);
	}
	if (w->mode == MIME_HEADERS)
		mime_field_next(w, s, n);
	w->linelen += n;
	if (w->mode == MIME_LEAF)
		mime_leaf_line(w, s, n, before);
	if (w->mode != MIME_HEADERS)
		return;
	if (w->fieldlen + n > MIME_HEADER_MAX) {
		/* Content that may be a message and whose first line is no
		 * header field (a binary file) is simply not one.  Judged once,
		 * when the field fills: the kept bytes do not change after, and
		 * judging on every further line would cost lines x 16 KiB. */
		if (w->block == MIME_BLOCK_SNIFF && !w->field_full && !mime_sniff_long_ok(w)) {
			w->mode = MIME_SKIP;
			return;
		}
		/* The field is cut: what was kept is still read. */
		if (!w->field_full)
			mime_tree_truncated(t);
		w->field_full = true;
		n = MIME_HEADER_MAX - w->fieldlen;
	}
	memcpy(mime_tree_field(t) + w->fieldlen, s, n);
	w->fieldlen += n;
}

static void mime_feed(struct mime_walk *w, const char *s, size_t len)
{
	while (len > 0 && w->mode != MIME_STOP && !mime_tree_stopped(w->t)) {
		const char *nl;
		size_t n;

		if (w->mode == MIME_MAGIC) {
			mime_magic(w, &s, &len);
			continue;
		}
		if (w->mode == MIME_BLOB) {
			mime_blob_feed(&w->blob, s, len);
			if (mime_blob_found(&w->blob) != NULL)
				mime_tree_found(w->t, mime_blob_found(&w->blob));
			return;
		}
		/* With no boundary open, only headers need lines. */
		if (w->nframes == 0 && w->mode == MIME_SKIP)
			return;
		if (w->nframes == 0 && w->mode == MIME_LEAF) {
			mime_leaf_pass(w, s, len);
			return;
		}
		nl = memchr(s, '\n', len);
		n = nl != NULL ? (size_t)(nl - s) : len;
		mime_line_bytes(w, s, n);
		if (nl == NULL)
			return;
		if (w->mode == MIME_HEADERS && w->fieldlen < MIME_HEADER_MAX)
			mime_tree_field(w->t)[w->fieldlen++] = '\n';
		mime_line_end(w);
		s += n + 1;
		len -= n + 1;
	}
}

/* --- front door ----------------------------------------------------------------------- */

struct mime_walk *mime_walk_new(const struct policy *p, const char *top_content_type)
{
	struct mime_walk *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	if ((w->t = mime_tree_new(p)) == NULL) {
		free(w);
		return NULL;
	}
	w->owns_tree = true;
	w->tail_blank = true;
	mime_ctype_parse(top_content_type, &w->ct);
	mime_body_begin(w);
	return w;
}

void mime_walk_set_encoding(struct mime_walk *w, const char *cte)
{
	if (w == NULL || cte == NULL)
		return;
	mime_value_token(cte, w->cte, sizeof(w->cte));
	if (mime_cte_lookup(w->cte) == MIME_CTE_IDENTITY)
		return;
	mime_child_end(w->child);
	w->child = NULL;
	w->nframes = 0;
	mime_body_begin(w);
}

void mime_walk_feed(struct mime_walk *w, const char *chunk, size_t len)
{
	bool over;

	if (w == NULL || chunk == NULL || mime_idle(w))
		return;
	over = !mime_tree_count(w->t, &len);
	mime_feed(w, chunk, len);
	if (over)
		mime_tree_stop(w->t);
}

void mime_walk_free(struct mime_walk *w)
{
	if (w == NULL)
		return;
	mime_child_end(w->child);
	if (w->owns_tree)
		mime_tree_free(w->t);
	free(w);
}

/* --- the results: kept by the shared tree ------------------------------------ */

signal_set mime_walk_signals(const struct mime_walk *w)
{
	return mime_tree_signals(w->t);
}

const char *mime_walk_mailbox(const struct mime_walk *w)
{
	return mime_tree_mailbox(w->t);
}

size_t mime_walk_original_ids(const struct mime_walk *w, const char **ids, size_t max)
{
	return mime_tree_original_ids(w->t, ids, max);
}

size_t mime_walk_parties(const struct mime_walk *w, const char **out, size_t max)
{
	return mime_tree_parties(w->t, out, max);
}

size_t mime_walk_signal_ids(const struct mime_walk *w, const char **ids, size_t max)
{
	return mime_tree_signal_ids(w->t, ids, max);
}

bool mime_walk_is_dsn(const struct mime_walk *w)
{
	return mime_tree_is_dsn(w->t);
}

bool mime_walk_truncated(const struct mime_walk *w)
{
	return mime_tree_is_truncated(w->t);
}
