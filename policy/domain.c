/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * domain.c - domain normalization and internal-domain patterns.
 *
 * Every comparison in fwdguard is made on the normalized form, so that the
 * spellings an MTA treats as one domain (case, one trailing dot, U-label or
 * A-label, IPv6 literal spellings) are one domain here too.  Anything an MTA
 * might read another way is refused rather than guessed.
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain.h"

#define LABEL_MAX	63
/* Raw input this long cannot shrink to DOMAIN_MAX: refuse before any work. */
#define DOMAIN_RAW_MAX	(4 * DOMAIN_MAX)

struct domain_list {
	char **items;
	size_t count;
	size_t cap;
};

static char
domain_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int
domain_utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min, cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Checks letters-digits-hyphen labels of an ASCII, lower-cased name. */
static enum domain_status
domain_check_ldh(const char *d, size_t len)
{
	size_t label = 0;

	if (len == 0)
		return DOMAIN_EMPTY;
	if (len > DOMAIN_MAX)
		return DOMAIN_TOO_LONG;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? d[i] : '.';
		if (c == '.') {
			if (label == 0 || label > LABEL_MAX)
				return DOMAIN_INVALID;
			if (d[i - label] == '-' || d[i - 1] == '-')
				return DOMAIN_INVALID;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return DOMAIN_INVALID;
		label++;
	}
	return DOMAIN_OK;
}

/*
 * Address literals: "[IPv4]", "[IPv6:addr]" rewritten to the canonical
 * text form so that two spellings of one address compare equal, and the
 * general "[tag:content]" form, lower-cased.
 */
static enum domain_status
domain_literal(const char *in, size_t len, char *out, size_t outsize)
{
	char inner[DOMAIN_MAX + 1];
	char text[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	size_t n = len - 2;

	if (len < 3 || in[len - 1] != ']' || n > DOMAIN_MAX)
		return len > DOMAIN_MAX ? DOMAIN_TOO_LONG : DOMAIN_INVALID;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i + 1];
		if (c <= 0x20 || c >= 0x7f || c == '[' || c == ']' || c == '\\')
			return DOMAIN_INVALID;
		inner[i] = domain_lower((char)c);
	}
	inner[n] = '\0';
	if (inet_pton(AF_INET, inner, bin) == 1) {
		inet_ntop(AF_INET, bin, text, sizeof(text));
		if ((size_t)snprintf(out, outsize, "[%s]", text) >= outsize)
			return DOMAIN_TOO_LONG;
		return DOMAIN_LITERAL;
	}
	if (strncmp(inner, "ipv6:", 5) == 0) {
		if (inet_pton(AF_INET6, inner + 5, bin) != 1)
			return DOMAIN_INVALID;
		inet_ntop(AF_INET6, bin, text, sizeof(text));
		if ((size_t)snprintf(out, outsize, "[ipv6:%s]", text) >= outsize)
			return DOMAIN_TOO_LONG;
		return DOMAIN_LITERAL;
	}
	/* General-address-literal: Standardized-tag ":" 1*dcontent. */
	const char *colon = strchr(inner, ':');
	if (colon == NULL || colon == inner || colon[1] == '\0')
		return DOMAIN_INVALID;
	for (const char *p = inner; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return DOMAIN_INVALID;
	if ((size_t)snprintf(out, outsize, "[%s]", inner) >= outsize)
		return DOMAIN_TOO_LONG;
	return DOMAIN_LITERAL;
}

/* Length of the label starting at s (up to '.' or the end). */
static size_t
domain_label_len(const char *s)
{
	const char *dot = strchr(s, '.');

	return dot != NULL ? (size_t)(dot - s) : strlen(s);
}

static int
domain_label_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * Whether the name was written as IDNA2008 registers it: every label is
 * ASCII, or is exactly the U-label of its A-label (lower case, NFC).  UTS 46
 * maps many other spellings onto a domain (full-width letters, ideographic
 * full stops, decomposed accents, soft hyphens and zero-width characters
 * dropped, upper case), but an MTA's tables compare strings: Postfix sends
 * "corp\u3002example" to its default route, not to corp.example's.  Such a
 * spelling is refused rather than taken for the domain it resembles.
 */
static int
domain_idna_canonical(const char *in, const char *ascii)
{
	char *uni = NULL;
	const char *u;
	int ok = 1;

	if (idn2_to_unicode_8z8z(ascii, &uni, 0) != IDN2_OK)
		return 0;
	u = uni;
	for (;;) {
		size_t n = domain_label_len(in), un = domain_label_len(u), an = domain_label_len(ascii);
		if (domain_label_ascii(in, n))
			ok = n == an && memcmp(in, ascii, n) == 0;
		else
			ok = n == un && memcmp(in, u, n) == 0;
		if (!ok || in[n] == '\0' || u[un] == '\0' || ascii[an] == '\0') {
			ok = ok && in[n] == '\0' && u[un] == '\0' && ascii[an] == '\0';
			break;
		}
		in += n + 1, u += un + 1, ascii += an + 1;
	}
	idn2_free(uni);
	return ok;
}

/* Non-ASCII, or an ASCII name with A-labels that must be checked. */
static enum domain_status
domain_idna(const char *in, size_t len, char *out, size_t outsize)
{
	char buf[DOMAIN_RAW_MAX + 1];
	char *ascii = NULL;
	enum domain_status st;

	if (!domain_utf8_valid((const unsigned char *)in, len))
		return DOMAIN_IDN_INVALID;
	for (size_t i = 0; i < len; i++)
		buf[i] = domain_lower(in[i]);
	buf[len] = '\0';
	if (idn2_to_ascii_8z(buf, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
		return DOMAIN_IDN_INVALID;
	size_t n = strlen(ascii);
	for (size_t i = 0; i < n; i++)
		ascii[i] = domain_lower(ascii[i]);
	st = domain_check_ldh(ascii, n);
	if (st == DOMAIN_OK && !domain_idna_canonical(buf, ascii))
		st = DOMAIN_IDN_INVALID;
	if (st == DOMAIN_OK && n >= outsize)
		st = DOMAIN_TOO_LONG;
	if (st == DOMAIN_OK)
		memcpy(out, ascii, n + 1);
	idn2_free(ascii);
	return st;
}

static int
domain_has_alabel(const char *d, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if ((i == 0 || d[i - 1] == '.') && strncasecmp(d + i, "xn--", 4) == 0)
			return 1;
	return 0;
}

static enum domain_status
domain_normalize_name(const char *in, size_t len, char *out, size_t outsize)
{
	int ascii = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f)
			return DOMAIN_INVALID;
		if (c >= 0x80)
			ascii = 0;
	}
	if (!ascii || domain_has_alabel(in, len))
		return domain_idna(in, len, out, outsize);
	if (len >= outsize)
		return len > DOMAIN_MAX ? DOMAIN_TOO_LONG : DOMAIN_INVALID;
	for (size_t i = 0; i < len; i++)
		out[i] = domain_lower(in[i]);
	out[len] = '\0';
	return domain_check_ldh(out, len);
}

enum domain_status
domain_normalize(const char *in, size_t len, char *out, size_t outsize)
{
	enum domain_status st;

	if (out == NULL || outsize == 0)
		return DOMAIN_INVALID;
	out[0] = '\0';
	if (in == NULL || len == 0)
		return DOMAIN_EMPTY;
	if (len > DOMAIN_RAW_MAX)
		return DOMAIN_TOO_LONG;
	if (in[0] == '[') {
		st = domain_literal(in, len, out, outsize);
	} else {
		/* Exactly one trailing dot is the root; a second is an empty label. */
		if (in[len - 1] == '.')
			len--;
		if (len == 0)
			return DOMAIN_INVALID;
		st = domain_normalize_name(in, len, out, outsize);
	}
	if (st != DOMAIN_OK && st != DOMAIN_LITERAL)
		out[0] = '\0';
	return st;
}

const char *
domain_status_str(enum domain_status st)
{
	switch (st) {
	case DOMAIN_OK:
		return "ok";
	case DOMAIN_LITERAL:
		return "address literal";
	case DOMAIN_EMPTY:
		return "empty domain";
	case DOMAIN_TOO_LONG:
		return "domain too long";
	case DOMAIN_INVALID:
		return "invalid domain";
	case DOMAIN_IDN_INVALID:
		return "invalid internationalized domain";
	}
	return "unknown domain status";
}

int
domain_pattern_match(const char *pattern, const char *domain)
{
	if (pattern == NULL || domain == NULL || domain[0] == '\0')
		return 0;
	if (pattern[0] == '*' && pattern[1] == '.') {
		/* ".corp.example": the dot keeps the match on a label boundary. */
		const char *suffix = pattern + 1;
		size_t sl = strlen(suffix), dl = strlen(domain);
		return dl > sl && strcasecmp(domain + dl - sl, suffix) == 0;
	}
	return strcasecmp(pattern, domain) == 0;
}

struct domain_list *
domain_list_new(void)
{
	return calloc(1, sizeof(struct domain_list));
}

static void
domain_err(char *err, size_t errsize, const char *msg)
{
	if (err != NULL && errsize > 0)
		snprintf(err, errsize, "%s", msg);
}

static int
domain_list_push(struct domain_list *list, const char *prefix, const char *norm)
{
	for (size_t i = 0; i < list->count; i++) {
		const char *it = list->items[i];
		size_t pl = strlen(prefix);
		if (strncmp(it, prefix, pl) == 0 && strcmp(it + pl, norm) == 0)
			return 0;
	}
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		char **items = realloc(list->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		list->items = items;
		list->cap = cap;
	}
	size_t len = strlen(prefix) + strlen(norm) + 1;
	char *copy = malloc(len);
	if (copy == NULL)
		return -1;
	snprintf(copy, len, "%s%s", prefix, norm);
	list->items[list->count++] = copy;
	return 0;
}

int
domain_list_add(struct domain_list *list, const char *pattern, char *err, size_t errsize)
{
	char norm[DOMAIN_MAX + 1];
	const char *prefix = "";
	enum domain_status st;

	if (list == NULL || pattern == NULL) {
		domain_err(err, errsize, "invalid domain");
		return -1;
	}
	if (pattern[0] == '*') {
		if (pattern[1] != '.' || strchr(pattern + 2, '*') != NULL) {
			domain_err(err, errsize, "wildcard must be '*.' followed by a domain");
			return -1;
		}
		prefix = "*.";
		pattern += 2;
	} else if (strchr(pattern, '*') != NULL) {
		domain_err(err, errsize, "wildcard must be '*.' followed by a domain");
		return -1;
	}
	st = domain_normalize(pattern, strlen(pattern), norm, sizeof(norm));
	if (st == DOMAIN_LITERAL && prefix[0] != '\0') {
		domain_err(err, errsize, "wildcard must be '*.' followed by a domain");
		return -1;
	}
	if (st != DOMAIN_OK && st != DOMAIN_LITERAL) {
		domain_err(err, errsize, domain_status_str(st));
		return -1;
	}
	if (domain_list_push(list, prefix, norm) != 0) {
		domain_err(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

int
domain_list_match(const struct domain_list *list, const char *domain)
{
	if (list == NULL)
		return 0;
	for (size_t i = 0; i < list->count; i++)
		if (domain_pattern_match(list->items[i], domain))
			return 1;
	return 0;
}

size_t
domain_list_count(const struct domain_list *list)
{
	return list != NULL ? list->count : 0;
}

const char *
domain_list_get(const struct domain_list *list, size_t i)
{
	if (list == NULL || i >= list->count)
		return NULL;
	return list->items[i];
}

void
domain_list_free(struct domain_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	free(list);
}
