/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * address.h - one parser for envelope and header addresses (README.md "Configuration").
 *
 * An address is reduced to its routing chain: hops[0] is the domain the MTA
 * resolves first, the last hop is where the mail finally goes.  Routed forms
 * that hide an external destination behind an internal domain each add a
 * hop:
 *   user%evil.test@corp.example     -> corp.example, evil.test   (percent hack)
 *   evil.test!user@corp.example     -> corp.example, evil.test   (bang path)
 *   @corp.example:user@evil.test    -> corp.example, evil.test   (source route)
 *   "user@evil.test"@corp.example   -> corp.example, evil.test   (quoted '@';
 *                       Postfix resolves inside quotes: resolve_dequoted_address)
 *   a@b@c                           -> c, b                      (several '@')
 * The classifier calls an address internal only when every hop is internal.
 * Nothing is guessed: input that cannot be read one way only is refused with
 * a status, and the caller applies the configured action.  Pure code.
 */
#ifndef FWDGUARD_ADDRESS_H
#define FWDGUARD_ADDRESS_H

#include <stddef.h>
#include "domain.h"

#define ADDRESS_MAX		512	/* longest raw address accepted, in bytes */
#define ADDRESS_LOCAL_MAX	255	/* longest local part kept, unquoted */
#define ADDRESS_HOPS_MAX	8	/* more routing steps than this is refused */
#define ADDRESS_CANONICAL_MAX	(ADDRESS_LOCAL_MAX + 1 + DOMAIN_MAX)

enum address_status {
	ADDRESS_OK,
	ADDRESS_NULL,			/* the null sender "<>" */
	ADDRESS_MALFORMED,		/* unbalanced quotes or brackets, empty parts, bad UTF-8 */
	ADDRESS_TOO_LONG,		/* over ADDRESS_MAX / ADDRESS_LOCAL_MAX / DOMAIN_MAX */
	ADDRESS_CONTROL,		/* NUL, CR, LF or another control character */
	ADDRESS_AMBIGUOUS,		/* routing that cannot be read one way only, too many hops */
	ADDRESS_BAD_DOMAIN		/* a hop's domain fails domain_normalize() */
};

enum address_route {
	ROUTE_NONE,
	ROUTE_PERCENT,
	ROUTE_BANG,
	ROUTE_SOURCE,
	ROUTE_QUOTED_AT,
	ROUTE_MULTI_AT
};

#define ADDRESS_QUOTED		0x01	/* the local part was quoted */
#define ADDRESS_UNQUALIFIED	0x02	/* no '@domain': local delivery */

struct address {
	char local[ADDRESS_LOCAL_MAX + 1];	/* as written before the last '@', unquoted */
	char domain[DOMAIN_MAX + 1];		/* normalized hops[0]; "" when unqualified */
	char hops[ADDRESS_HOPS_MAX][DOMAIN_MAX + 1];	/* normalized, hops[0] == domain */
	int nhops;				/* 0 when unqualified */
	enum address_route route;		/* the first routing form seen */
	unsigned flags;				/* ADDRESS_* flags */
};

/*
 * Parses one address: envelope form ("<a@b>", with or without the angle
 * brackets; "<>" is ADDRESS_NULL) or a header addr-spec as returned by
 * address_list_scan().  Surrounding blanks are ignored.  On any status but
 * ADDRESS_OK, *out is zeroed (nhops 0).
 */
enum address_status address_parse(const char *raw, size_t len, struct address *out);

/* Human-readable text for a status ("control character in address"). */
const char *address_status_str(enum address_status st);

/*
 * Writes the comparison form of an address into out: local part lower-cased
 * and unquoted, then '@' and the normalized domain: "Support"@Corp.Example.
 * -> "support@corp.example".  Unqualified addresses give "local" alone.
 * delimiters NULL or "": the whole address, the form every comparison
 * starts with (and the only one for external addresses and exceptions: our
 * delimiters say nothing about another domain's mailboxes).  Otherwise the
 * local part is cut where address_extension() says: "support+x" ->
 * "support"; only policy_protected() and the directory use that form, for
 * an internal address whose whole form named nothing (README.md,
 * "Recipient delimiters").  Returns 0, or -1 when out (size) is too small.
 */
int address_canonical(const struct address *a, const char *delimiters, char *out, size_t size);

/*
 * Where the extension of an unquoted local part starts, as Postfix's
 * split_addr(3) finds it: at the first character of delimiters, unless the
 * local part starts with one (no extension), is postmaster, mailer-daemon
 * or double-bounce, or, with '-' among the delimiters, starts with "owner-"
 * or ends in "-request".  strlen(local) when there is no extension.
 */
size_t address_extension(const char *local, const char *delimiters);

/*
 * Scans an RFC 5322 address-list header value (display names, quoted
 * strings, nested comments, groups, angle-addrs, folded lines) and calls fn
 * for each addr-spec found, with the text between the angle brackets or the
 * bare addr-spec, not NUL-terminated.  Control bytes and DEL between
 * tokens are read as folding white space, and the text handed over starts
 * and ends with neither (inside an address they stay, and address_parse()
 * refuses it).  fn returns 0 to go on, non-zero to stop.  At most max addresses are delivered.  Returns the number delivered,
 * or -1 when the value is unparseable or holds more than max addresses
 * (the ones before the fault were still delivered).  Memory use is bounded:
 * no copy of the value is made.
 */
typedef int (*address_list_fn)(void *ctx, const char *addr, size_t len);
int address_list_scan(const char *value, size_t len, size_t max, address_list_fn fn, void *ctx);

#endif
