/*
 * mime.c - a streaming, bounded MIME walker (see mime.h for the contract).
 *
 * The body is read line by line as chunks arrive; a line is never kept
 * whole.  Only two things are remembered about a line: its first
 * MIME_LINE_KEEP bytes (enough to recognise a boundary delimiter, which
 * RFC 2046 caps at 70 characters) and, while a header block is read, the
 * header field it belongs to (up to MIME_HEADER_MAX bytes).  Each header
 * field is handled as soon as the next one starts, so nothing waits for
 * the end of the input.  Nesting is a stack of at most MIME_DEPTH_MAX
 * frames; a boundary of an outer multipart closes every frame inside it,
 * as RFC 2046 5.1.2 requires.  Pure code.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime.h"
#include "evidence.h"

#define MIME_LINE_KEEP	80
#define MIME_CTYPE_MAX	EVIDENCE_CTYPE_MAX
#define MIME_CTE_MAX	32
#define MIME_RCPT_SCAN	1024	/* To/Cc addresses looked at per enclosed message */

typedef char mime_party[ADDRESS_CANONICAL_MAX + 1];

enum mime_mode {
	MIME_SKIP,		/* a body, preamble or epilogue: look for boundaries only */
	MIME_HEADERS,		/* a header block */
	MIME_STOP		/* a limit was reached: nothing more is examined */
};

enum mime_block {
	MIME_BLOCK_PART,	/* MIME headers of a part */
	MIME_BLOCK_MESSAGE,	/* headers of an enclosed message/rfc822 */
	MIME_BLOCK_RFC822_HEADERS	/* a text/rfc822-headers body */
};

struct mime_frame {
	char boundary[MIME_BOUNDARY_MAX + 1];
	size_t blen;		/* 0: an enclosed message, which no boundary of its own ends */
	bool digest;		/* multipart/digest: parts default to message/rfc822 */
};

struct mime_walk {
	const struct policy *p;
	struct evidence *scratch;	/* reads the delivery headers of enclosed messages */
	enum mime_mode mode;
	enum mime_block block;
	bool default_rfc822;
	struct mime_frame frames[MIME_DEPTH_MAX];
	size_t nframes;
	char line[MIME_LINE_KEEP];
	size_t linelen;			/* bytes of the current line so far, all of them */
	bool tail_blank;		/* every byte past MIME_LINE_KEEP was blank */
	char field[MIME_HEADER_MAX + 1];
	size_t fieldlen;
	size_t line_start;		/* where the current line begins in field */
	bool field_full;
	char ctype[MIME_CTYPE_MAX + 1];
	bool ctype_seen;
	char cte[MIME_CTE_MAX + 1];
	size_t parts;
	size_t bytes;
	signal_set signals;
	const char *mailbox;
	char ids[MIME_IDS_MAX][EVIDENCE_MSGID_MAX + 1];
	size_t nids;
	mime_party block_parties[MIME_PARTIES_MAX];	/* of the enclosed message being read */
	size_t nblock_parties;
	bool block_found;		/* that message gave attached-message */
	mime_party parties[MIME_PARTIES_MAX];	/* of the messages that gave it */
	size_t nparties;
	bool dsn;
	bool encoded;
	bool truncated;
};

static bool mime_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void mime_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void mime_stop(struct mime_walk *w)
{
	w->truncated = true;
	w->mode = MIME_STOP;
}

/* --- Content-Type ------------------------------------------------------------------ */

struct mime_ctype {
	char type[64];			/* "multipart/mixed", lower-case */
	char boundary[MIME_BOUNDARY_MAX + 1];
	size_t blen;
	bool boundary_bad;		/* present but empty or too long */
	bool report_dsn;		/* report-type=delivery-status */
};

/* Reads a parameter value (token or quoted-string) at s; returns its end. */
static const char *mime_param_value(const char *s, char *out, size_t size, size_t *outlen)
{
	size_t n = 0;
	bool over = false;

	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (n + 1 < size)
				out[n++] = *s;
			else
				over = true;
		}
		if (*s == '"')
			s++;
	} else {
		for (; *s != '\0' && *s != ';' && !mime_blank(*s) && *s != '\n' && *s != '('; s++) {
			if (n + 1 < size)
				out[n++] = *s;
			else
				over = true;
		}
	}
	out[n] = '\0';
	*outlen = over ? size : n;
	return s;
}

static void mime_param(struct mime_ctype *ct, const char *name, size_t nlen, const char **s)
{
	char val[MIME_BOUNDARY_MAX + 2];
	size_t vlen;

	*s = mime_param_value(*s, val, sizeof(val), &vlen);
	if (nlen == 8 && strncasecmp(name, "boundary", 8) == 0) {
		/* Trailing blanks are not part of a boundary (RFC 2046 5.1.1). */
		while (vlen > 0 && vlen <= MIME_BOUNDARY_MAX && val[vlen - 1] == ' ')
			vlen--;
		if (vlen == 0 || vlen > MIME_BOUNDARY_MAX) {
			ct->boundary_bad = true;
			return;
		}
		memcpy(ct->boundary, val, vlen);
		ct->boundary[vlen] = '\0';
		ct->blen = vlen;
	} else if (nlen == 11 && strncasecmp(name, "report-type", 11) == 0) {
		ct->report_dsn = strcasecmp(val, "delivery-status") == 0 ||
		    strcasecmp(val, "global-delivery-status") == 0;
	}
}

static void mime_ctype_parse(const char *v, struct mime_ctype *ct)
{
	size_t n = 0;

	memset(ct, 0, sizeof(*ct));
	while (mime_blank(*v) || *v == '\n')
		v++;
	for (; *v != '\0' && *v != ';' && !mime_blank(*v) && *v != '\n' && *v != '('; v++)
		if (n + 1 < sizeof(ct->type))
			ct->type[n++] = (*v >= 'A' && *v <= 'Z') ? (char)(*v - 'A' + 'a') : *v;
	ct->type[n] = '\0';
	while (*v != '\0') {
		const char *name;

		if (*v++ != ';')
			continue;
		while (mime_blank(*v) || *v == '\n')
			v++;
		name = v;
		while (*v != '\0' && *v != '=' && *v != ';' && !mime_blank(*v) && *v != '\n')
			v++;
		if (*v == '=') {
			size_t nlen = (size_t)(v - name);

			v++;
			mime_param(ct, name, nlen, &v);
		}
	}
}

/* --- what the walker keeps ---------------------------------------------------------- */

static void mime_add_id(struct mime_walk *w, const char *id)
{
	size_t i;

	if (id[0] == '\0')
		return;
	for (i = 0; i < w->nids; i++)
		if (strcmp(w->ids[i], id) == 0)
			return;
	if (w->nids == MIME_IDS_MAX) {
		w->truncated = true;
		return;
	}
	mime_copy(w->ids[w->nids++], sizeof(w->ids[0]), id, strlen(id));
}

/*
 * Adds a canonical address to a bounded, distinct list.  Past
 * MIME_PARTIES_MAX it is dropped: fewer parties only ever means fewer
 * messages are taken for a return to their own parties.
 */
static void mime_party_add(mime_party *list, size_t *n, const char *canonical)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], canonical) == 0)
			return;
	if (*n < MIME_PARTIES_MAX)
		mime_copy(list[(*n)++], sizeof(list[0]), canonical, strlen(canonical));
}

/*
 * A party of the enclosed message being read.  Its parties count only once
 * it gave the signal, which may be decided before or after they are seen.
 */
static void mime_party_note(struct mime_walk *w, const char *canonical)
{
	mime_party_add(w->block_parties, &w->nblock_parties, canonical);
	if (w->block_found)
		mime_party_add(w->parties, &w->nparties, canonical);
}

static void mime_found(struct mime_walk *w, const char *mailbox)
{
	size_t i;

	w->signals |= SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE);
	if (w->mailbox == NULL)
		w->mailbox = mailbox;
	if (w->block_found)
		return;
	w->block_found = true;
	for (i = 0; i < w->nblock_parties; i++)
		mime_party_add(w->parties, &w->nparties, w->block_parties[i]);
}

struct mime_rcpt_scan {
	struct mime_walk *w;
	bool recipients;		/* To/Cc: a protected one gives the signal */
	const char *found;
};

/* One address of a party header: kept as a party, and checked when a recipient. */
static int mime_rcpt_cb(void *ctx, const char *addr, size_t len)
{
	struct mime_rcpt_scan *r = ctx;
	struct mime_walk *w = r->w;
	char canonical[ADDRESS_CANONICAL_MAX + 1];
	const char *found;
	struct address a;

	if (address_parse(addr, len, &a) != ADDRESS_OK)
		return 0;
	if (address_canonical(&a, w->p->delimiters, canonical, sizeof(canonical)) == 0)
		mime_party_note(w, canonical);
	if (r->recipients && r->found == NULL && (found = policy_protected(w->p, &a)) != NULL)
		r->found = found;
	return 0;
}

/* --- header blocks ---------------------------------------------------------------- */

static bool mime_name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* One header of an enclosed message: delivery and recipient evidence, Message-ID. */
static void mime_enclosed_header(struct mime_walk *w, const char *name, size_t nlen,
    const char *value)
{
	static const char *const delivery[] = {
		"Delivered-To", "X-Original-To", "Received", "Message-ID"
	};
	size_t i;

	for (i = 0; i < sizeof(delivery) / sizeof(delivery[0]); i++) {
		if (mime_name_is(name, nlen, delivery[i])) {
			evidence_header(w->scratch, w->p, delivery[i], value);
			return;
		}
	}
	if (w->block == MIME_BLOCK_MESSAGE) {
		static const char *const parties[] = { "To", "Cc", "From", "Sender", "Reply-To" };
		struct mime_rcpt_scan r = { .w = w };

		for (i = 0; i < sizeof(parties) / sizeof(parties[0]); i++)
			if (mime_name_is(name, nlen, parties[i]))
				break;
		if (i == sizeof(parties) / sizeof(parties[0]))
			return;
		r.recipients = i < 2;
		address_list_scan(value, strlen(value), MIME_RCPT_SCAN, mime_rcpt_cb, &r);
		if (r.found != NULL)
			mime_found(w, r.found);
	}
}

/* Handles field[0 .. len): one whole header field, folded. */
static void mime_field(struct mime_walk *w, size_t len)
{
	char *f = w->field, saved;
	char *colon = memchr(f, ':', len);
	size_t nlen;

	if (colon == NULL)
		return;
	nlen = (size_t)(colon - f);
	while (nlen > 0 && mime_blank(f[nlen - 1]))
		nlen--;
	/* Values are read as C strings; the buffer has room for the NUL. */
	saved = f[len];
	f[len] = '\0';
	if (mime_name_is(f, nlen, "Content-Type") && !w->ctype_seen) {
		w->ctype_seen = true;
		mime_copy(w->ctype, sizeof(w->ctype), colon + 1, strlen(colon + 1));
	} else if (mime_name_is(f, nlen, "Content-Transfer-Encoding")) {
		struct mime_ctype tok;

		mime_ctype_parse(colon + 1, &tok);
		mime_copy(w->cte, sizeof(w->cte), tok.type, strlen(tok.type));
	} else if (w->block != MIME_BLOCK_PART) {
		mime_enclosed_header(w, f, nlen, colon + 1);
	}
	f[len] = saved;
}

static void mime_block_begin(struct mime_walk *w, enum mime_block block, bool default_rfc822)
{
	w->mode = MIME_HEADERS;
	w->block = block;
	w->default_rfc822 = default_rfc822;
	w->fieldlen = 0;
	w->field_full = false;
	w->ctype_seen = false;
	w->ctype[0] = '\0';
	w->cte[0] = '\0';
	if (block != MIME_BLOCK_PART)
		evidence_reset(w->scratch);
	w->nblock_parties = 0;
	w->block_found = false;
	if (++w->parts > MIME_PARTS_MAX)
		mime_stop(w);
}

static bool mime_push(struct mime_walk *w, const char *boundary, size_t blen, bool digest)
{
	struct mime_frame *fr;

	if (w->nframes == MIME_DEPTH_MAX) {
		w->truncated = true;
		return false;
	}
	fr = &w->frames[w->nframes++];
	memcpy(fr->boundary, boundary, blen);
	fr->boundary[blen] = '\0';
	fr->blen = blen;
	fr->digest = digest;
	return true;
}

/* The body of the entity whose headers were just read starts: how to read it. */
static void mime_body_begin(struct mime_walk *w)
{
	struct mime_ctype ct;
	const char *t;

	if (w->ctype[0] != '\0')
		mime_ctype_parse(w->ctype, &ct);
	else
		memset(&ct, 0, sizeof(ct));
	if (ct.type[0] == '\0')
		strcpy(ct.type, w->default_rfc822 ? "message/rfc822" : "text/plain");
	t = ct.type;
	w->mode = MIME_SKIP;
	if (strncmp(t, "multipart/", 10) == 0) {
		if (strcmp(t, "multipart/report") == 0 && ct.report_dsn)
			w->dsn = true;
		if (ct.blen == 0) {
			/* A multipart without a usable boundary hides its parts. */
			w->truncated = w->truncated || ct.boundary_bad;
			return;
		}
		mime_push(w, ct.boundary, ct.blen, strcmp(t, "multipart/digest") == 0);
	} else if (strcmp(t, "message/rfc822") == 0 || strcmp(t, "message/global") == 0) {
		if (strcasecmp(w->cte, "base64") == 0 || strcasecmp(w->cte, "quoted-printable") == 0) {
			w->encoded = true;
			return;
		}
		if (mime_push(w, "", 0, false))
			mime_block_begin(w, MIME_BLOCK_MESSAGE, false);
	} else if (strcmp(t, "text/rfc822-headers") == 0 ||
	    strcmp(t, "message/global-headers") == 0) {
		mime_block_begin(w, MIME_BLOCK_RFC822_HEADERS, false);
	} else if (strcmp(t, "message/delivery-status") == 0 ||
	    strcmp(t, "message/global-delivery-status") == 0) {
		w->dsn = true;
	}
}

/* The header block ended (blank line, boundary): collect, then read the body. */
static void mime_block_end(struct mime_walk *w)
{
	if (w->fieldlen > 0)
		mime_field(w, w->fieldlen);
	w->fieldlen = 0;
	if (w->block != MIME_BLOCK_PART)
		mime_add_id(w, evidence_message_id(w->scratch));
	/* A DSN quotes the headers of mail we sent: only a message attached
	 * whole says somebody passed a protected mailbox's copy on. */
	if (w->block == MIME_BLOCK_MESSAGE && evidence_mailbox(w->scratch) != NULL)
		mime_found(w, evidence_mailbox(w->scratch));
	if (w->block == MIME_BLOCK_RFC822_HEADERS)
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

		if (fr->blen == 0 || kept < 2 + fr->blen ||
		    memcmp(w->line + 2, fr->boundary, fr->blen) != 0)
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
	if (k >= 0)
		mime_on_boundary(w, (size_t)k, close);
	else if (w->mode == MIME_HEADERS)
		mime_header_line(w);
	w->linelen = 0;
	w->tail_blank = true;
	w->line_start = w->fieldlen;
}

/* Bytes of one line (no '\n' among them). */
static void mime_line_bytes(struct mime_walk *w, const char *s, size_t n)
{
	size_t i;

	if (w->linelen < MIME_LINE_KEEP) {
		size_t take = MIME_LINE_KEEP - w->linelen < n ? MIME_LINE_KEEP - w->linelen : n;

		memcpy(w->line + w->linelen, s, take);
		for (i = take; i < n && w->tail_blank; i++)
			w->tail_blank = mime_blank(s[i]);
	} else {
		for (i = 0; i < n && w->tail_blank; i++)
			w->tail_blank = mime_blank(s[i]);
	}
	if (w->mode == MIME_HEADERS && w->linelen == 0 && n > 0 && s[0] != ' ' && s[0] != '\t' &&
	    w->fieldlen > 0) {
		/* A line that does not continue the field ends it: handle it now,
		 * so that the buffer holds one field only. */
		mime_field(w, w->fieldlen);
		w->fieldlen = 0;
		w->line_start = 0;
		w->field_full = false;
	}
	w->linelen += n;
	if (w->mode != MIME_HEADERS)
		return;
	if (w->fieldlen + n > MIME_HEADER_MAX) {
		/* The field is cut: what was kept is still read. */
		if (!w->field_full)
			w->truncated = true;
		w->field_full = true;
		n = MIME_HEADER_MAX - w->fieldlen;
	}
	memcpy(w->field + w->fieldlen, s, n);
	w->fieldlen += n;
}

/* --- front door ----------------------------------------------------------------------- */

struct mime_walk *mime_walk_new(const struct policy *p, const char *top_content_type)
{
	struct mime_walk *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	if ((w->scratch = evidence_new()) == NULL) {
		free(w);
		return NULL;
	}
	w->p = p;
	w->tail_blank = true;
	if (top_content_type != NULL)
		mime_copy(w->ctype, sizeof(w->ctype), top_content_type, strlen(top_content_type));
	mime_body_begin(w);
	return w;
}

void mime_walk_feed(struct mime_walk *w, const char *chunk, size_t len)
{
	if (w == NULL || chunk == NULL || w->mode == MIME_STOP)
		return;
	if (len > MIME_BYTES_MAX - w->bytes) {
		len = MIME_BYTES_MAX - w->bytes;
		w->truncated = true;
	}
	w->bytes += len;
	while (len > 0 && w->mode != MIME_STOP) {
		const char *nl = memchr(chunk, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - chunk) : len;

		/* With no boundary open and no headers to read, nothing can change. */
		if (w->nframes == 0 && w->mode == MIME_SKIP)
			return;
		mime_line_bytes(w, chunk, n);
		if (nl == NULL)
			return;
		if (w->mode == MIME_HEADERS && w->fieldlen < MIME_HEADER_MAX)
			w->field[w->fieldlen++] = '\n';
		mime_line_end(w);
		chunk += n + 1;
		len -= n + 1;
	}
}

void mime_walk_free(struct mime_walk *w)
{
	if (w == NULL)
		return;
	evidence_free(w->scratch);
	free(w);
}

signal_set mime_walk_signals(const struct mime_walk *w)
{
	return w->signals;
}

const char *mime_walk_mailbox(const struct mime_walk *w)
{
	return w->mailbox;
}

size_t mime_walk_original_ids(const struct mime_walk *w, const char **ids, size_t max)
{
	size_t i;

	for (i = 0; i < w->nids && i < max; i++)
		ids[i] = w->ids[i];
	return i;
}

size_t mime_walk_parties(const struct mime_walk *w, const char **out, size_t max)
{
	size_t i;

	for (i = 0; i < w->nparties && i < max; i++)
		out[i] = w->parties[i];
	return i;
}

bool mime_walk_is_dsn(const struct mime_walk *w)
{
	return w->dsn;
}

bool mime_walk_encoded(const struct mime_walk *w)
{
	return w->encoded;
}

bool mime_walk_truncated(const struct mime_walk *w)
{
	return w->truncated;
}
