/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_yaml.c - YAML buffer -> bounded node tree with 1-based positions.
 *
 * Built on libyaml's event parser rather than its document loader because
 * the loader expands nothing we want, accepts what we must refuse (aliases,
 * several documents) and gives no chance to stop early: libyaml's parse time
 * grows with the square of the nesting depth, so depth is capped while the
 * events arrive (the loader, cfg.c, caps the size before the first byte).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cfg_yaml.h"
#include "grow.h"

struct cfg_yaml_reader {
	const char *buf;
	size_t len;
	cfg_yaml_error_fn err;
	void *ctx;
	int nerrors;
	struct cfg_node *stack[CFG_MAX_DEPTH];
	int depth;
	struct cfg_node *root;
	int ndocs;
};

static void
cfg_yaml_error(struct cfg_yaml_reader *r, int line, int col, const char *msg)
{
	r->nerrors++;
	if (r->err != NULL)
		r->err(r->ctx, line, col, msg);
}

/* Length of the UTF-8 sequence at p (strict: no overlongs, no surrogates), or 0. */
static size_t
cfg_yaml_utf8_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Checks the whole buffer before libyaml sees it: libyaml reports bad bytes
 * by offset only, and would accept UTF-16 input, which we do not.
 */
static int
cfg_yaml_check_bytes(struct cfg_yaml_reader *r)
{
	const unsigned char *p = (const unsigned char *)r->buf;
	size_t i = 0, n;
	int line = 1, col = 1;
	char msg[96];

	while (i < r->len) {
		n = cfg_yaml_utf8_len(p + i, r->len - i);
		if (n == 0) {
			snprintf(msg, sizeof(msg), "invalid UTF-8 byte 0x%02x (the file must be UTF-8)",
			    p[i]);
			cfg_yaml_error(r, line, col, msg);
			return -1;
		}
		if (p[i] == '\0') {
			cfg_yaml_error(r, line, col, "NUL byte in file");
			return -1;
		}
		if (p[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
		i += n;
	}
	return 0;
}

/* Byte at a libyaml mark (0-based line, column in characters), or -1. */
static int
cfg_yaml_byte_at(const struct cfg_yaml_reader *r, const yaml_mark_t *m)
{
	size_t i = 0, line = 0, col = 0;

	while (i < r->len && line < m->line)
		if (r->buf[i++] == '\n')
			line++;
	while (i < r->len && col < m->column && r->buf[i] != '\n') {
		size_t n = cfg_yaml_utf8_len((const unsigned char *)r->buf + i, r->len - i);

		i += n ? n : 1;
		col++;
	}
	return i < r->len ? (unsigned char)r->buf[i] : -1;
}

static void
cfg_yaml_parser_error(struct cfg_yaml_reader *r, const yaml_parser_t *p)
{
	char msg[256];
	const char *problem = p->problem ? p->problem : "unreadable YAML";

	if (p->error == YAML_MEMORY_ERROR) {
		cfg_yaml_error(r, 1, 1, "out of memory");
		return;
	}
	if (cfg_yaml_byte_at(r, &p->problem_mark) == '\t')
		snprintf(msg, sizeof(msg), "%s (a tab: indent with spaces)", problem);
	else if (p->context != NULL)
		snprintf(msg, sizeof(msg), "%s (%s at %d:%d)", problem, p->context,
		    (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	else
		snprintf(msg, sizeof(msg), "%s", problem);
	cfg_yaml_error(r, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1, msg);
}

static struct cfg_node *
cfg_yaml_node_new(enum cfg_node_kind kind, const yaml_mark_t *m)
{
	struct cfg_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

/* Attaches n to the open container (or makes it the root); takes n over. */
static int
cfg_yaml_attach(struct cfg_yaml_reader *r, struct cfg_node *n)
{
	struct cfg_node *parent, **kids;

	if (r->depth == 0) {
		r->root = n;
		return 0;
	}
	parent = r->stack[r->depth - 1];
	/* Doubling room: a list of n items costs O(n), as the parser must. */
	kids = grow_one(parent->kids, parent->nkids, &parent->kids_cap, sizeof(*kids), 8);
	if (kids == NULL) {
		cfg_yaml_free(n);
		return -1;
	}
	parent->kids = kids;
	parent->kids[parent->nkids++] = n;
	return 0;
}

/* Anchors and tags have no meaning in fwdguard.yaml; say so, keep the node. */
static void
cfg_yaml_check_props(struct cfg_yaml_reader *r, const yaml_mark_t *m,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor != NULL)
		cfg_yaml_error(r, (int)m->line + 1, (int)m->column + 1,
		    "anchors and aliases are not supported");
	if (tag != NULL)
		cfg_yaml_error(r, (int)m->line + 1, (int)m->column + 1,
		    "tags are not supported");
}

static struct cfg_node *
cfg_yaml_scalar(struct cfg_yaml_reader *r, const yaml_event_t *ev)
{
	struct cfg_node *n = cfg_yaml_node_new(CFG_NODE_SCALAR, &ev->start_mark);

	cfg_yaml_check_props(r, &ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag);
	if (n == NULL)
		return NULL;
	n->text = malloc(ev->data.scalar.length + 1);
	if (n->text == NULL) {
		free(n);
		return NULL;
	}
	memcpy(n->text, ev->data.scalar.value, ev->data.scalar.length);
	n->text[ev->data.scalar.length] = '\0';
	n->len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return n;
}

static int
cfg_yaml_open(struct cfg_yaml_reader *r, const yaml_event_t *ev, enum cfg_node_kind kind)
{
	struct cfg_node *n;
	char msg[64];

	if (r->depth >= CFG_MAX_DEPTH) {
		snprintf(msg, sizeof(msg), "nesting deeper than %d levels", CFG_MAX_DEPTH);
		cfg_yaml_error(r, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, msg);
		return -1;
	}
	if (kind == CFG_NODE_SEQ)
		cfg_yaml_check_props(r, &ev->start_mark, ev->data.sequence_start.anchor,
		    ev->data.sequence_start.tag);
	else
		cfg_yaml_check_props(r, &ev->start_mark, ev->data.mapping_start.anchor,
		    ev->data.mapping_start.tag);
	n = cfg_yaml_node_new(kind, &ev->start_mark);
	if (n == NULL || cfg_yaml_attach(r, n) < 0)
		return -1;
	r->stack[r->depth++] = n;
	return 0;
}

/* Handles one event: 1 at the end of the stream, 0 to go on, -1 to stop. */
static int
cfg_yaml_event(struct cfg_yaml_reader *r, const yaml_event_t *ev)
{
	struct cfg_node *n;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++r->ndocs > 1) {
			cfg_yaml_error(r, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			    "more than one YAML document (a config file holds exactly one)");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		cfg_yaml_error(r, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		    "anchors and aliases are not supported");
		n = cfg_yaml_node_new(CFG_NODE_BAD, &ev->start_mark);
		return n == NULL ? -1 : cfg_yaml_attach(r, n);
	case YAML_SCALAR_EVENT:
		n = cfg_yaml_scalar(r, ev);
		return n == NULL ? -1 : cfg_yaml_attach(r, n);
	case YAML_SEQUENCE_START_EVENT:
		return cfg_yaml_open(r, ev, CFG_NODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return cfg_yaml_open(r, ev, CFG_NODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (r->depth > 0)
			r->depth--;
		return 0;
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

static int
cfg_yaml_run(struct cfg_yaml_reader *r)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0;

	if (!yaml_parser_initialize(&p)) {
		cfg_yaml_error(r, 1, 1, "out of memory");
		return -1;
	}
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)r->buf, r->len);
	while (rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			cfg_yaml_parser_error(r, &p);
			rc = -1;
			break;
		}
		rc = cfg_yaml_event(r, &ev);
		if (rc < 0 && p.error == YAML_NO_ERROR && r->nerrors == 0)
			cfg_yaml_error(r, 1, 1, "out of memory");
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc < 0 ? -1 : 0;
}

struct cfg_node *
cfg_yaml_parse(const char *buf, size_t len, cfg_yaml_error_fn err, void *ctx, int *nerrors)
{
	struct cfg_yaml_reader r;
	bool readable = false;

	memset(&r, 0, sizeof(r));
	r.buf = buf;
	r.len = len;
	r.err = err;
	r.ctx = ctx;
	if (cfg_yaml_check_bytes(&r) == 0 && cfg_yaml_run(&r) == 0) {
		if (r.ndocs == 0)
			cfg_yaml_error(&r, 1, 1, "empty configuration file");
		else
			readable = true;
	}
	*nerrors = r.nerrors;
	if (!readable) {
		cfg_yaml_free(r.root);
		return NULL;
	}
	return r.root;
}

void
cfg_yaml_free(struct cfg_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		cfg_yaml_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

int
cfg_yaml_is_null(const struct cfg_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n == NULL || n->kind != CFG_NODE_SCALAR || !n->plain)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->text, nulls[i]) == 0)
			return 1;
	return 0;
}

const struct cfg_node *
cfg_yaml_get(const struct cfg_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != CFG_NODE_MAP)
		return NULL;
	for (i = 0; i + 1 < map->nkids; i += 2)
		if (map->kids[i]->kind == CFG_NODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}
