/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * address.c - one parser for envelope and header addresses.
 *
 * An address is reduced to the chain of domains the mail crosses, so that
 * routed forms (percent hack, bang path, source route, '@' hidden in a
 * quoted local part, several '@') are judged by where the mail really goes.
 * The parser reads an address one way only: when two readings are possible
 * (mixed routing forms, quotes in the middle of a local part) it refuses
 * with a status instead of picking one.  The header scanner walks a value
 * once, in place, and never copies it.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "address.h"

#define ADDRESS_COMMENT_DEPTH	32	/* deeper RFC 5322 comments are refused */

/* A span of the input being parsed. */
struct address_span {
	const char *p;
	size_t n;
};

static int
address_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char
address_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Characters that an unquoted local part cannot hold. */
static int
address_local_special(char c)
{
	return c == ' ' || c == '\t' || c == '"' || c == '\\' || c == '(' || c == ')' ||
	    c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']';
}

static enum address_status
address_add_hop(struct address *a, const char *d, size_t n)
{
	enum domain_status st;

	if (n == 0)
		return ADDRESS_MALFORMED;
	if (a->nhops >= ADDRESS_HOPS_MAX)
		return ADDRESS_AMBIGUOUS;
	st = domain_normalize(d, n, a->hops[a->nhops], sizeof(a->hops[0]));
	if (st == DOMAIN_TOO_LONG)
		return ADDRESS_TOO_LONG;
	if (st == DOMAIN_EMPTY)
		return ADDRESS_MALFORMED;
	if (st != DOMAIN_OK && st != DOMAIN_LITERAL)
		return ADDRESS_BAD_DOMAIN;
	a->nhops++;
	return ADDRESS_OK;
}

static void
address_set_route(struct address *a, enum address_route r)
{
	if (a->route == ROUTE_NONE)
		a->route = r;
}

/*
 * Reads a source route "@a,@b:" at the start of s, adding a hop for each
 * domain; s is advanced past the ':'.
 */
static enum address_status
address_source_route(struct address *a, struct address_span *s)
{
	size_t i = 0;

	while (i < s->n && s->p[i] == '@') {
		size_t start = ++i;
		if (i < s->n && s->p[i] == '[') {
			while (i < s->n && s->p[i] != ']')
				i++;
			if (i < s->n)
				i++;
		}
		while (i < s->n && s->p[i] != ',' && s->p[i] != ':')
			i++;
		if (i >= s->n)
			return ADDRESS_MALFORMED;
		enum address_status st = address_add_hop(a, s->p + start, i - start);
		if (st != ADDRESS_OK)
			return st;
		if (s->p[i++] == ':') {
			s->p += i;
			s->n -= i;
			address_set_route(a, ROUTE_SOURCE);
			return s->n > 0 ? ADDRESS_OK : ADDRESS_MALFORMED;
		}
	}
	return ADDRESS_MALFORMED;
}

/* Unquotes "..." at the start of s into a->local; *used receives the length read. */
static enum address_status
address_unquote(struct address *a, const struct address_span *s, size_t *used)
{
	size_t o = 0, i = 1;

	for (; i < s->n && s->p[i] != '"'; i++) {
		if (s->p[i] == '\\' && ++i >= s->n)
			return ADDRESS_MALFORMED;
		if (o >= ADDRESS_LOCAL_MAX)
			return ADDRESS_TOO_LONG;
		a->local[o++] = s->p[i];
	}
	if (i >= s->n)
		return ADDRESS_MALFORMED;
	a->local[o] = '\0';
	*used = i + 1;
	a->flags |= ADDRESS_QUOTED;
	return o > 0 ? ADDRESS_OK : ADDRESS_MALFORMED;
}

/* Splits s into local part (copied to a->local) and domain (in *dom). */
static enum address_status
address_split(struct address *a, const struct address_span *s, struct address_span *dom)
{
	size_t at;
	enum address_status st;

	dom->p = NULL;
	dom->n = 0;
	if (s->p[0] == '"') {
		if ((st = address_unquote(a, s, &at)) != ADDRESS_OK)
			return st;
		if (at == s->n)
			return ADDRESS_OK;
		if (s->p[at] != '@')
			return ADDRESS_MALFORMED;
	} else {
		const char *lb = s->p[s->n - 1] == ']' ? memrchr(s->p, '[', s->n) : NULL;
		const char *last = memrchr(s->p, '@', lb != NULL ? (size_t)(lb - s->p) : s->n);
		if (lb != NULL && (last == NULL || last + 1 != lb))
			return ADDRESS_MALFORMED;
		at = last != NULL ? (size_t)(last - s->p) : s->n;
		if (at == 0)
			return ADDRESS_MALFORMED;
		if (at > ADDRESS_LOCAL_MAX)
			return ADDRESS_TOO_LONG;
		for (size_t i = 0; i < at; i++)
			if (address_local_special(s->p[i]))
				return ADDRESS_MALFORMED;
		memcpy(a->local, s->p, at);
		a->local[at] = '\0';
		if (at == s->n)
			return ADDRESS_OK;
	}
	dom->p = s->p + at + 1;
	dom->n = s->n - at - 1;
	if (dom->n == 0)
		return ADDRESS_MALFORMED;
	/* '@' after a quoted local part: two readings of where it goes. */
	if (memchr(dom->p, '@', dom->n) != NULL || memchr(dom->p, '"', dom->n) != NULL)
		return ADDRESS_AMBIGUOUS;
	return ADDRESS_OK;
}

/*
 * Adds the hops a routed local part names: "u%b%c" and "u@b@c" go to c
 * then b (the rightmost separator is resolved first), "a!b!u" to a then b.
 * More than one kind of separator has no single reading.
 */
static enum address_status
address_local_route(struct address *a)
{
	const char *l = a->local;
	int kinds = (strchr(l, '@') != NULL) + (strchr(l, '%') != NULL) + (strchr(l, '!') != NULL);
	enum address_status st = ADDRESS_OK;

	if (kinds == 0)
		return ADDRESS_OK;
	if (kinds > 1)
		return ADDRESS_AMBIGUOUS;
	if (strchr(l, '!') != NULL) {
		const char *p = l, *bang;
		while (st == ADDRESS_OK && (bang = strchr(p, '!')) != NULL) {
			st = address_add_hop(a, p, (size_t)(bang - p));
			p = bang + 1;
		}
		address_set_route(a, ROUTE_BANG);
		return st == ADDRESS_OK && *p == '\0' ? ADDRESS_MALFORMED : st;
	}
	char sep = strchr(l, '@') != NULL ? '@' : '%';
	size_t end = strlen(l);
	const char *first = strchr(l, sep);
	if (first == l)
		return ADDRESS_MALFORMED;
	for (size_t i = end; st == ADDRESS_OK && i-- > 0;) {
		if (l[i] != sep)
			continue;
		st = address_add_hop(a, l + i + 1, end - i - 1);
		end = i;
	}
	if (sep == '%')
		address_set_route(a, ROUTE_PERCENT);
	else
		address_set_route(a, (a->flags & ADDRESS_QUOTED) ? ROUTE_QUOTED_AT : ROUTE_MULTI_AT);
	return st;
}

static enum address_status
address_parse_mailbox(struct address *a, struct address_span s)
{
	struct address_span dom;
	enum address_status st;
	int routed = 0;

	if (s.p[0] == '@') {
		if ((st = address_source_route(a, &s)) != ADDRESS_OK)
			return st;
		routed = 1;
	}
	if ((st = address_split(a, &s, &dom)) != ADDRESS_OK)
		return st;
	if (dom.n > 0) {
		if ((st = address_add_hop(a, dom.p, dom.n)) != ADDRESS_OK)
			return st;
	} else if (routed) {
		return ADDRESS_MALFORMED;
	}
	if ((st = address_local_route(a)) != ADDRESS_OK)
		return st;
	if (a->nhops == 0)
		a->flags |= ADDRESS_UNQUALIFIED;
	else
		memcpy(a->domain, a->hops[0], sizeof(a->domain));
	return ADDRESS_OK;
}

/* Removes blanks around s, and the angle brackets of the envelope form. */
static enum address_status
address_unwrap(struct address_span *s)
{
	while (s->n > 0 && address_is_blank(s->p[0]))
		s->p++, s->n--;
	while (s->n > 0 && address_is_blank(s->p[s->n - 1]))
		s->n--;
	for (size_t i = 0; i < s->n; i++) {
		unsigned char c = (unsigned char)s->p[i];
		if (c < 0x20 || c == 0x7f)
			return ADDRESS_CONTROL;
	}
	if (!domain_utf8_valid((const unsigned char *)s->p, s->n))
		return ADDRESS_MALFORMED;
	if (s->n > 0 && s->p[0] == '<') {
		if (s->p[s->n - 1] != '>' || s->n < 2)
			return ADDRESS_MALFORMED;
		s->p++;
		s->n -= 2;
		while (s->n > 0 && address_is_blank(s->p[0]))
			s->p++, s->n--;
		while (s->n > 0 && address_is_blank(s->p[s->n - 1]))
			s->n--;
		if (s->n == 0)
			return ADDRESS_NULL;
	}
	if (s->n == 0)
		return ADDRESS_MALFORMED;
	if (memchr(s->p, '<', s->n) != NULL || memchr(s->p, '>', s->n) != NULL)
		return ADDRESS_MALFORMED;
	return ADDRESS_OK;
}

enum address_status
address_parse(const char *raw, size_t len, struct address *out)
{
	struct address_span s = { raw, len };
	enum address_status st;

	if (out == NULL)
		return ADDRESS_MALFORMED;
	memset(out, 0, sizeof(*out));
	if (raw == NULL)
		return ADDRESS_MALFORMED;
	if (len > ADDRESS_MAX)
		return ADDRESS_TOO_LONG;
	if ((st = address_unwrap(&s)) != ADDRESS_OK)
		return st;
	st = address_parse_mailbox(out, s);
	if (st != ADDRESS_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

const char *
address_status_str(enum address_status st)
{
	switch (st) {
	case ADDRESS_OK:
		return "ok";
	case ADDRESS_NULL:
		return "null address";
	case ADDRESS_MALFORMED:
		return "malformed address";
	case ADDRESS_TOO_LONG:
		return "address too long";
	case ADDRESS_CONTROL:
		return "control character in address";
	case ADDRESS_AMBIGUOUS:
		return "ambiguous address routing";
	case ADDRESS_BAD_DOMAIN:
		return "invalid domain in address";
	}
	return "unknown address status";
}

/* Local parts Postfix never splits, whatever the delimiter (split_addr(3)). */
static int
address_reserved(const char *local, size_t len)
{
	static const char *const reserved[] = { "postmaster", "mailer-daemon", "double-bounce" };

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == len && strncasecmp(local, reserved[i], len) == 0)
			return 1;
	return 0;
}

size_t
address_extension(const char *local, const char *delimiters)
{
	size_t len = strlen(local), cut;

	if (delimiters == NULL || delimiters[0] == '\0' || address_reserved(local, len))
		return len;
	/* With '-' a delimiter, owner-list and list-request keep their names
	 * (Postfix's owner_request_special, on by default). */
	if (strchr(delimiters, '-') != NULL &&
	    (strncasecmp(local, "owner-", 6) == 0 ||
	    (len > 8 && strcasecmp(local + len - 8, "-request") == 0)))
		return len;
	cut = strcspn(local, delimiters);
	/* A local part that starts with a delimiter has no extension. */
	return cut == 0 ? len : cut;
}

int
address_canonical(const struct address *a, const char *delimiters, char *out, size_t size)
{
	size_t cut, need;

	if (a == NULL || out == NULL || size == 0)
		return -1;
	cut = address_extension(a->local, delimiters);
	need = cut + (a->domain[0] != '\0' ? 1 + strlen(a->domain) : 0);
	if (need >= size) {
		out[0] = '\0';
		return -1;
	}
	for (size_t i = 0; i < cut; i++)
		out[i] = address_lower(a->local[i]);
	if (a->domain[0] != '\0') {
		out[cut] = '@';
		memcpy(out + cut + 1, a->domain, strlen(a->domain));
	}
	out[need] = '\0';
	return 0;
}

/* ---- header address lists ------------------------------------------------ */

struct address_scanner {
	const char *v;
	size_t len;
	size_t pos;
	size_t max;
	size_t count;
	address_list_fn fn;
	void *ctx;
};

/* Skips a comment, nested to ADDRESS_COMMENT_DEPTH at most. */
static int
address_scan_comment(struct address_scanner *s)
{
	unsigned depth = 0;

	while (s->pos < s->len) {
		char c = s->v[s->pos++];
		if (c == '\\')
			s->pos++;
		else if (c == '(' && ++depth > ADDRESS_COMMENT_DEPTH)
			return -1;
		else if (c == ')' && --depth == 0)
			return 0;
	}
	return -1;
}

/*
 * Folding white space, and the control bytes and DEL that mail software
 * lets into header values: between tokens they separate like a blank (a
 * reader that stopped at them would drop the rest of the value); inside an
 * address they stay, and address_parse() refuses it.
 */
static int
address_is_fws(char c)
{
	unsigned char u = (unsigned char)c;

	return u <= 0x20 || u == 0x7f;
}

static int
address_scan_cfws(struct address_scanner *s)
{
	while (s->pos < s->len) {
		char c = s->v[s->pos];
		if (address_is_fws(c))
			s->pos++;
		else if (c != '(')
			return 0;
		else if (address_scan_comment(s) != 0)
			return -1;
	}
	return 0;
}

/* Skips a quoted string or domain literal opened at s->pos. */
static int
address_scan_delimited(struct address_scanner *s, char close)
{
	s->pos++;
	while (s->pos < s->len) {
		char c = s->v[s->pos++];
		if (c == '\\')
			s->pos++;
		else if (c == close)
			return 0;
	}
	return -1;
}

/* Skips a run of atoms, quoted strings and literals; returns -1 if unterminated. */
static int
address_scan_word(struct address_scanner *s)
{
	while (s->pos < s->len) {
		char c = s->v[s->pos];
		if (address_is_fws(c) || c == '(' || c == '<' || c == '>' || c == ',' ||
		    c == ':' || c == ';')
			return 0;
		if (c == '"' || c == '[') {
			if (address_scan_delimited(s, c == '"' ? '"' : ']') != 0)
				return -1;
		} else {
			s->pos++;
		}
	}
	return 0;
}

/* Hands one address to the callback: 0 go on, 1 stop, -1 over max. */
static int
address_scan_deliver(struct address_scanner *s, size_t start, size_t end)
{
	if (s->count >= s->max)
		return -1;
	s->count++;
	return s->fn(s->ctx, s->v + start, end - start) != 0 ? 1 : 0;
}

/* Reads "<...>" (routes, quotes, literals inside) and delivers its content. */
static int
address_scan_angle(struct address_scanner *s)
{
	size_t start = ++s->pos, end;

	for (;;) {
		if (s->pos >= s->len)
			return -1;
		char c = s->v[s->pos];
		if (c == '>')
			break;
		if (c == '<')
			return -1;
		if (c == '"' || c == '[') {
			if (address_scan_delimited(s, c == '"' ? '"' : ']') != 0)
				return -1;
		} else if (c == '(') {
			if (address_scan_comment(s) != 0)
				return -1;
		} else {
			s->pos++;
		}
	}
	end = s->pos++;
	while (start < end && address_is_fws(s->v[start]))
		start++;
	while (end > start && address_is_fws(s->v[end - 1]))
		end--;
	return address_scan_deliver(s, start, end);
}

/* The mailbox being read: the span of its words, or its angle-addr. */
struct address_item {
	size_t start;
	size_t end;
	int words;
	int angle;
};

static int
address_scan_finish(struct address_scanner *s, struct address_item *it)
{
	int rc = 0;

	if (it->words && !it->angle)
		rc = address_scan_deliver(s, it->start, it->end);
	memset(it, 0, sizeof(*it));
	return rc;
}

/* One token at s->pos: 0 go on, 1 stop, -1 fault. */
static int
address_scan_token(struct address_scanner *s, struct address_item *it, int *in_group)
{
	char c = s->v[s->pos];

	switch (c) {
	case ',':
		s->pos++;
		return address_scan_finish(s, it);
	case ';':
		if (!*in_group)
			return -1;
		s->pos++;
		*in_group = 0;
		return address_scan_finish(s, it);
	case ':':
		/* The words before were the group's display name. */
		if (*in_group || it->angle)
			return -1;
		s->pos++;
		*in_group = 1;
		memset(it, 0, sizeof(*it));
		return 0;
	case '<':
		if (it->angle)
			return -1;
		it->angle = 1;
		return address_scan_angle(s);
	case '>':
		return -1;
	default:
		if (it->angle)
			return -1;
		if (!it->words)
			it->start = s->pos;
		it->words = 1;
		if (address_scan_word(s) != 0)
			return -1;
		it->end = s->pos;
		return 0;
	}
}

int
address_list_scan(const char *value, size_t len, size_t max, address_list_fn fn, void *ctx)
{
	struct address_scanner s = { value, len, 0, max, 0, fn, ctx };
	struct address_item it = { 0, 0, 0, 0 };
	int in_group = 0, rc = 0;

	if (value == NULL || fn == NULL)
		return -1;
	if (s.max > (size_t)INT_MAX)
		s.max = (size_t)INT_MAX;
	while (rc == 0) {
		if (address_scan_cfws(&s) != 0)
			return -1;
		if (s.pos >= s.len) {
			rc = address_scan_finish(&s, &it);
			break;
		}
		rc = address_scan_token(&s, &it, &in_group);
	}
	return rc < 0 ? -1 : (int)s.count;
}
