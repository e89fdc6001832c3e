/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message.c - per-connection facts, bounded.  See message.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "message.h"

struct conn *
conn_new(void)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->ev = evidence_new()) == NULL) {
		free(c);
		return NULL;
	}
	c->cfg = cfg_current();
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_reset_message(c);
	free(c->rcpts);
	evidence_free(c->ev);
	cfg_unref(c->cfg);
	free(c);
}

void
conn_reset_message(struct conn *c)
{
	size_t i;

	for (i = 0; i < c->nrcpts; i++) {
		free(c->rcpts[i].raw);
		free(c->rcpts[i].orcpt);
		free(c->rcpts[i].mailer);
		free(c->rcpts[i].host);
	}
	c->nrcpts = 0;
	c->rcpts_overflow = false;
	free(c->sender_raw);
	c->sender_raw = NULL;
	c->auth[0] = '\0';
	c->queue_id[0] = '\0';
	c->top_cte[0] = '\0';
	c->mark[0] = '\0';
	free(c->top_ctype);
	c->top_ctype = NULL;
	c->in_message = false;
	c->failed = NULL;
	mime_walk_free(c->mime);
	c->mime = NULL;
	c->body_begun = false;
	evidence_reset(c->ev);
	/* Last: the evidence and the decisions borrowed the directory's names. */
	directory_unpin(c->pinned, c->pin);
	c->pinned = NULL;
}

/* A recipient whose mail may leave: not every hop internal, or unreadable. */
static bool
conn_rcpt_external(const struct policy *p, const char *raw)
{
	struct address a;

	if (address_parse(raw, strlen(raw), &a) != ADDRESS_OK)
		return true;
	return policy_is_internal(p, &a) == 0;
}

static bool
conn_body_useful(const struct conn *c)
{
	const struct policy *p = &c->cfg->policy;
	const char *ctype = evidence_content_type(c->ev);
	size_t i;

	if (c->sender_raw == NULL || strcmp(c->sender_raw, "<>") == 0 || c->sender_raw[0] == '\0')
		return true;
	if (evidence_is_autoreply(c->ev) || strncasecmp(ctype, "multipart/report", 16) == 0)
		return true;
	for (i = 0; i < c->nrcpts; i++)
		if (conn_rcpt_external(p, c->rcpts[i].raw))
			return true;
	return false;
}

bool
conn_begin_body(struct conn *c)
{
	if (c->body_begun)
		return c->mime != NULL;
	c->body_begun = true;
	if (!c->in_message || !conn_body_useful(c))
		return false;
	c->mime = mime_walk_new(&c->cfg->policy,
	    c->top_ctype != NULL ? c->top_ctype : evidence_content_type(c->ev));
	mime_walk_set_encoding(c->mime, c->top_cte);
	return c->mime != NULL;
}

void
conn_mime_header(struct conn *c, const char *name, const char *value)
{
	if (c->top_ctype == NULL && strcasecmp(name, "Content-Type") == 0)
		c->top_ctype = strndup(value, MIME_HEADER_MAX);
	else if (c->top_cte[0] == '\0' && strcasecmp(name, "Content-Transfer-Encoding") == 0)
		buf_copy(c->top_cte, sizeof(c->top_cte), value);
}

void
conn_mark_header(struct conn *c, const char *name, const char *value)
{
	if (strcasecmp(name, MARK_HEADER) != 0)
		return;
	if (value == NULL || strlen(value) >= sizeof(c->mark))
		c->mark[0] = '\0';
	else
		buf_copy(c->mark, sizeof(c->mark), value);
}

void
conn_feed_body(struct conn *c, const unsigned char *chunk, size_t len)
{
	if (c->mime != NULL && chunk != NULL)
		mime_walk_feed(c->mime, (const char *)chunk, len);
}

/*
 * strndup bounded by MESSAGE_FIELD_MAX; NULL in gives NULL out.  Addresses
 * keep one byte more than the parser accepts, so an over-long one is
 * refused as too long instead of being cut into a different, valid one.
 */
static char *
conn_dup(const char *text, bool *oom)
{
	char *copy;

	if (text == NULL)
		return NULL;
	if ((copy = strndup(text, MESSAGE_FIELD_MAX + 1)) == NULL)
		*oom = true;
	return copy;
}

int
conn_begin_message(struct conn *c, struct directory *dir, const char *sender,
    const char *auth)
{
	bool oom = false;

	conn_reset_message(c);
	c->in_message = true;
	c->pinned = dir;
	c->pin = directory_pin(c->pinned);
	c->sender_raw = conn_dup(sender != NULL ? sender : "", &oom);
	buf_copy(c->auth, sizeof(c->auth), auth);
	return oom ? -1 : 0;
}

const char *
conn_find_orcpt(char **esmtp_args)
{
	if (esmtp_args == NULL)
		return NULL;
	for (; *esmtp_args != NULL; esmtp_args++)
		if (strncasecmp(*esmtp_args, "ORCPT=", 6) == 0)
			return *esmtp_args + 6;
	return NULL;
}

int
conn_add_rcpt(struct conn *c, const char *raw, char **esmtp_args,
    const char *mailer, const char *host)
{
	struct conn_rcpt *r;
	bool oom = false;

	if (c->nrcpts >= MESSAGE_RCPTS_MAX) {
		c->rcpts_overflow = true;
		return 0;
	}
	if (c->nrcpts == c->rcpts_size) {
		size_t size = c->rcpts_size ? c->rcpts_size * 2 : 8;
		struct conn_rcpt *grown = realloc(c->rcpts, size * sizeof(*grown));

		if (grown == NULL)
			return -1;
		c->rcpts = grown;
		c->rcpts_size = size;
	}
	r = &c->rcpts[c->nrcpts];
	r->raw = conn_dup(raw != NULL ? raw : "", &oom);
	r->orcpt = conn_dup(conn_find_orcpt(esmtp_args), &oom);
	r->mailer = conn_dup(mailer, &oom);
	r->host = conn_dup(host, &oom);
	if (oom) {
		free(r->raw);
		free(r->orcpt);
		free(r->mailer);
		free(r->host);
		return -1;
	}
	c->nrcpts++;
	return 0;
}
