/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * domain.h - domain normalization and internal-domain patterns (README.md "Configuration").
 *
 * A normalized domain is lower-case ASCII, has no trailing dot, and carries
 * internationalized labels in A-label (punycode, IDNA2008 non-transitional)
 * form.  Address literals ("[192.0.2.1]", "[IPv6:...]") are kept bracketed
 * and lower-cased; they are never matched by a pattern unless listed
 * literally.  Pure code: no I/O.
 */
#ifndef FWDGUARD_DOMAIN_H
#define FWDGUARD_DOMAIN_H

#include <stddef.h>

#define DOMAIN_MAX	255		/* RFC 5321 4.5.3.1.2 */

enum domain_status {
	DOMAIN_OK,
	DOMAIN_LITERAL,			/* valid address literal, kept bracketed */
	DOMAIN_EMPTY,
	DOMAIN_TOO_LONG,
	DOMAIN_INVALID,			/* bad characters, empty label, label > 63 ... */
	DOMAIN_IDN_INVALID		/* non-ASCII that IDNA2008 refuses */
};

/*
 * Normalizes in[0..len) into out (size >= DOMAIN_MAX + 1).  Exactly one
 * trailing dot is removed; "corp.example.." is invalid.  On any status but
 * DOMAIN_OK/DOMAIN_LITERAL, out is set to "".
 */
enum domain_status domain_normalize(const char *in, size_t len, char *out, size_t outsize);

/*
 * 1 when s[0..len) is strict UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF), else 0.  Shared by the address parser for
 * SMTPUTF8 local parts.
 */
int domain_utf8_valid(const unsigned char *s, size_t len);

/* Human-readable text for a status ("invalid domain").  Static storage. */
const char *domain_status_str(enum domain_status st);

/*
 * True when the normalized domain equals the normalized pattern, or the
 * pattern is "*.suffix" and domain ends with ".suffix" at a label boundary
 * ("*.corp.example" matches "a.corp.example", not "corp.example" and not
 * "evilcorp.example").
 */
int domain_pattern_match(const char *pattern, const char *domain);

/* An ordered set of patterns ("corp.example", "*.corp.example"). */
struct domain_list;

struct domain_list *domain_list_new(void);

/*
 * Adds a pattern, normalizing it.  Returns 0, or -1 with a reason in err
 * ("invalid domain", "wildcard must be '*.' followed by a domain").
 */
int domain_list_add(struct domain_list *list, const char *pattern, char *err, size_t errsize);

/* 1 when any pattern matches the normalized domain, else 0. */
int domain_list_match(const struct domain_list *list, const char *domain);

size_t domain_list_count(const struct domain_list *list);

/* Borrowed pattern i (normalized), valid until the list is freed. */
const char *domain_list_get(const struct domain_list *list, size_t i);

void domain_list_free(struct domain_list *list);	/* accepts NULL */

#endif
