/*
 * evidence.c - header evidence that a message is a forwarded copy of a
 * protected mailbox's mail (DESIGN.md 3).
 *
 * Each header is looked up in one table that says how its value is read
 * and which signal it gives.  Values are scanned in place; what is kept
 * across headers is bounded: From, Message-ID, at most EVIDENCE_ADDRS_MAX
 * To/Cc addresses, and pointers into the policy for protected mailboxes.
 * List, ARC and SRS headers only set context flags: they are not proof of a
 * forward and never give a signal.  Pure code.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "evidence.h"
#include "trace.h"
#include "reply.h"

/* Addresses read from one header; beyond it the header counts as truncated. */
#define EVIDENCE_SCAN_ADDRS	16384
/* Bytes of one value read; Postfix's header_size_limit is 100 KiB. */
#define EVIDENCE_VALUE_MAX	(256 * 1024)
#define EVIDENCE_CANON_SIZE	(ADDRESS_CANONICAL_MAX + 1)
/* Longer header names are none of those in the table. */
#define EVIDENCE_NAME_MAX	64
/* In-Reply-To ids kept; the rest of EVIDENCE_REFS_MAX goes to References. */
#define EVIDENCE_IRT_MAX	4

struct evidence {
	signal_set signals;
	const char *mailboxes[EVIDENCE_MAILBOXES_MAX];	/* distinct ones signals named */
	size_t nmailboxes;
	const char *rcpt_mailbox;	/* first protected mailbox To/Cc named */
	const char *from_protected;
	bool from_seen;			/* a From: header was read (first one wins) */
	bool from_ok;			/* ... and its first address parsed */
	bool from_internal;
	bool msgid_seen;
	bool list;
	bool arc_srs;
	bool truncated;
	char from[EVIDENCE_CANON_SIZE];
	char msgid[EVIDENCE_MSGID_MAX + 1];
	char *addrs[EVIDENCE_ADDRS_MAX];	/* canonical To/Cc addresses, owned */
	size_t naddrs;
	bool irt_seen;
	bool refs_seen;
	bool autoreply;
	bool ctype_seen;
	bool probe_seen;
	char irt[EVIDENCE_IRT_MAX][EVIDENCE_MSGID_MAX + 1];
	size_t nirt;
	char refs[EVIDENCE_REFS_MAX - EVIDENCE_IRT_MAX][EVIDENCE_MSGID_MAX + 1];
	size_t nrefs;
	size_t refs_skip_to;		/* References ids 1 .. refs_skip_to-1 are dropped */
	char ctype[EVIDENCE_CTYPE_MAX + 1];
	char probe[EVIDENCE_PROBE_MAX + 1];
};

enum evidence_kind {
	EVK_NAMES,		/* an address list naming a protected mailbox */
	EVK_NAMES_SEMI,		/* same, the address ends at the first ';' */
	EVK_RECEIVED,		/* "for <address>" clause */
	EVK_VALUE,		/* a fixed value (no mailbox named) */
	EVK_FROM,
	EVK_MESSAGE_ID,
	EVK_RECIPIENTS,		/* To, Cc */
	EVK_LIST,
	EVK_RETURN_PATH,	/* SRS marker */
	EVK_IN_REPLY_TO,
	EVK_REFERENCES,
	EVK_AUTOREPLY,		/* a header that may mark an automatic answer (reply.h) */
	EVK_CONTENT_TYPE,
	EVK_PROBE
};

struct evidence_header_kind {
	const char *name;
	enum evidence_kind kind;
	enum fg_signal signal;
	const char *value;	/* EVK_VALUE: the value that counts */
};

static const struct evidence_header_kind evidence_headers[] = {
	{ "Delivered-To", EVK_NAMES, SIGNAL_DELIVERED_TO, NULL },
	{ "X-Original-To", EVK_NAMES, SIGNAL_ORIGINAL_TO, NULL },
	{ "Received", EVK_RECEIVED, SIGNAL_RECEIVED_FOR, NULL },
	{ "X-Sieve-Redirected-From", EVK_NAMES, SIGNAL_SIEVE_REDIRECT, NULL },
	/* Exchange appends ";<tenant or rule id>" to the address. */
	{ "X-MS-Exchange-Inbox-Rules-Loop", EVK_NAMES_SEMI, SIGNAL_EXCHANGE_RULE, NULL },
	{ "X-MS-Exchange-ForwardingLoop", EVK_NAMES_SEMI, SIGNAL_EXCHANGE_RULE, NULL },
	{ "X-MS-Exchange-Organization-AutoForwarded", EVK_VALUE, SIGNAL_EXCHANGE_AUTOFORWARD,
	  "true" },
	{ "X-MS-Exchange-Generated-Message-Source", EVK_VALUE, SIGNAL_EXCHANGE_AUTOFORWARD,
	  "Mailbox Rules Agent" },
	{ "X-Forwarded-To", EVK_NAMES, SIGNAL_GMAIL_FORWARD, NULL },
	{ "X-Forwarded-For", EVK_NAMES, SIGNAL_GMAIL_FORWARD, NULL },
	{ "Resent-From", EVK_NAMES, SIGNAL_RESENT, NULL },
	{ "Resent-Sender", EVK_NAMES, SIGNAL_RESENT, NULL },
	{ "From", EVK_FROM, SIGNAL_COUNT, NULL },
	{ "Message-ID", EVK_MESSAGE_ID, SIGNAL_COUNT, NULL },
	{ "To", EVK_RECIPIENTS, SIGNAL_COUNT, NULL },
	{ "Cc", EVK_RECIPIENTS, SIGNAL_COUNT, NULL },
	{ "List-Id", EVK_LIST, SIGNAL_COUNT, NULL },
	{ "List-Unsubscribe", EVK_LIST, SIGNAL_COUNT, NULL },
	{ "Return-Path", EVK_RETURN_PATH, SIGNAL_COUNT, NULL },
	{ "In-Reply-To", EVK_IN_REPLY_TO, SIGNAL_COUNT, NULL },
	{ "References", EVK_REFERENCES, SIGNAL_COUNT, NULL },
	{ "Auto-Submitted", EVK_AUTOREPLY, SIGNAL_COUNT, NULL },
	{ "X-Autoreply", EVK_AUTOREPLY, SIGNAL_COUNT, NULL },
	{ "X-Autorespond", EVK_AUTOREPLY, SIGNAL_COUNT, NULL },
	{ "Precedence", EVK_AUTOREPLY, SIGNAL_COUNT, NULL },
	{ "Subject", EVK_AUTOREPLY, SIGNAL_COUNT, NULL },
	{ "Content-Type", EVK_CONTENT_TYPE, SIGNAL_COUNT, NULL },
	{ "X-Fwdguard-Probe", EVK_PROBE, SIGNAL_COUNT, NULL },
};

struct evidence *evidence_new(void)
{
	return calloc(1, sizeof(struct evidence));
}

void evidence_reset(struct evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->naddrs; i++)
		free(ev->addrs[i]);
	memset(ev, 0, sizeof(*ev));
}

void evidence_free(struct evidence *ev)
{
	if (ev == NULL)
		return;
	evidence_reset(ev);
	free(ev);
}

static int evidence_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* --- reading addresses ------------------------------------------------------- */

/* The protected mailbox the text names, or NULL (unparseable is not protected). */
static const char *evidence_protected_text(const struct policy *p, const char *s, size_t len)
{
	struct address a;

	if (address_parse(s, len, &a) != ADDRESS_OK)
		return NULL;
	return policy_protected(p, &a);
}

/* One value being read for the protected mailbox it names. */
struct evidence_names {
	struct evidence *ev;
	const struct policy *p;
	const char *found;
	size_t seen;		/* addresses the list reader handed over */
	bool keep;		/* To/Cc: keep every address read, read them all */
};

static void evidence_rcpt_keep(struct evidence *ev, const struct policy *p,
    const struct address *a);

static int evidence_loose_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_names *n = ctx;

	n->found = evidence_protected_text(n->p, addr, len);
	return n->found != NULL;
}

/*
 * Text a parser refused is read once more, fail closed: each address-like
 * word in it is tried whole (trace_words()), so stray bytes cannot make a
 * protected mailbox vanish, and a look-alike stays a look-alike.
 */
static void evidence_loose(struct evidence_names *n, const char *v, size_t len)
{
	if (n->found == NULL && trace_words(v, len, EVIDENCE_SCAN_ADDRS, evidence_loose_cb, n) < 0)
		n->ev->truncated = true;
}

static int evidence_names_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_names *n = ctx;
	struct address a;

	n->seen++;
	if (address_parse(addr, len, &a) != ADDRESS_OK) {
		/* Fail closed; X-Forwarded-For puts two addresses in one item. */
		evidence_loose(n, addr, len);
	} else {
		if (n->keep)
			evidence_rcpt_keep(n->ev, n->p, &a);
		if (n->found == NULL)
			n->found = policy_protected(n->p, &a);
	}
	return n->found != NULL && !n->keep;
}

/*
 * The first protected mailbox an address-bearing value names, or NULL.
 * The list reader decides what is an address and what a display name or
 * comment; when it cannot read the value at all, or finds no address in
 * a value with an '@', the whole value is read fail closed.
 */
static const char *evidence_names(struct evidence *ev, const struct policy *p,
    const char *v, size_t len, bool keep)
{
	struct evidence_names n = { .ev = ev, .p = p, .keep = keep };
	int rc;

	rc = address_list_scan(v, len, EVIDENCE_SCAN_ADDRS, evidence_names_cb, &n);
	if (n.found != NULL)
		return n.found;
	if (rc < 0 && n.seen >= EVIDENCE_SCAN_ADDRS) {
		ev->truncated = true;
		return NULL;
	}
	if (rc < 0 || (rc == 0 && memchr(v, '@', len) != NULL))
		evidence_loose(&n, v, len);
	return n.found;
}

/*
 * Exchange writes "address;tenant-or-rule-id"; each ';'-separated part is
 * read on its own, so that a second pair hides nothing.
 */
static const char *evidence_names_semi(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	const char *end = v + len, *semi, *m = NULL;

	while (m == NULL && v < end) {
		if ((semi = memchr(v, ';', (size_t)(end - v))) == NULL)
			semi = end;
		m = evidence_names(ev, p, v, (size_t)(semi - v), false);
		v = semi + 1;
	}
	return m;
}

/*
 * Every mailbox named is kept, not only the first: an exception for one
 * mailbox must not let another mailbox's copy of the message through.
 * The policy hands out one pointer per canonical mailbox, so pointers
 * compare as addresses do.
 */
static void evidence_signal(struct evidence *ev, enum fg_signal sig, const char *mailbox)
{
	size_t i;

	ev->signals |= SIGNAL_BIT(sig);
	if (mailbox == NULL)
		return;
	for (i = 0; i < ev->nmailboxes; i++)
		if (ev->mailboxes[i] == mailbox)
			return;
	if (ev->nmailboxes == EVIDENCE_MAILBOXES_MAX)
		ev->truncated = true;
	else
		ev->mailboxes[ev->nmailboxes++] = mailbox;
}

/* --- Received: ... for <address> ---------------------------------------------- */

static int evidence_for_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_names *n = ctx;
	struct address a;

	if (address_parse(addr, len, &a) == ADDRESS_OK)
		n->found = policy_protected(n->p, &a);
	else
		evidence_loose(n, addr, len);
	return n->found != NULL;
}

/* The protected mailbox a Received "for" clause outside comments names, or NULL. */
static const char *evidence_received_for(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	struct evidence_names n = { .ev = ev, .p = p };

	if (trace_received_for(v, len, EVIDENCE_SCAN_ADDRS, evidence_for_cb, &n) < 0)
		ev->truncated = true;
	return n.found;
}

/* --- context headers ------------------------------------------------------------ */

struct evidence_first {
	struct address a;
	enum address_status st;
};

static int evidence_first_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_first *f = ctx;

	f->st = address_parse(addr, len, &f->a);
	return 1;
}

static void evidence_from_header(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	struct evidence_first f = { .st = ADDRESS_MALFORMED };

	if (ev->from_seen)
		return;
	ev->from_seen = true;
	address_list_scan(v, len, 1, evidence_first_cb, &f);
	if (f.st != ADDRESS_OK ||
	    address_canonical(&f.a, p->delimiters, ev->from, sizeof(ev->from)) < 0) {
		ev->from[0] = '\0';
		return;
	}
	ev->from_ok = true;
	ev->from_internal = policy_is_internal(p, &f.a) != 0;
	ev->from_protected = policy_protected(p, &f.a);
}

/*
 * Copies the id in v[0 .. len): between the first '<' and '>', or the
 * trimmed value, printable only.  Message-ID and the ids of In-Reply-To
 * and References go through here alike, so that they compare equal in the
 * correlation store.
 */
static void evidence_id_copy(const char *v, size_t len, char *out)
{
	const char *vend = v + len, *end = vend, *lt;
	size_t n = 0;

	lt = memchr(v, '<', len);
	if (lt != NULL) {
		const char *gt;

		v = lt + 1;
		gt = memchr(v, '>', (size_t)(vend - v));
		if (gt != NULL)
			end = gt;
	}
	while (v < end && evidence_is_blank(*v))
		v++;
	while (v < end && n < EVIDENCE_MSGID_MAX) {
		unsigned char c = (unsigned char)*v++;

		if (c <= 0x20 || c >= 0x7f)
			break;
		out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void evidence_message_id_header(struct evidence *ev, const char *v, size_t len)
{
	if (ev->msgid_seen)
		return;
	ev->msgid_seen = true;
	evidence_id_copy(v, len, ev->msgid);
}

/* Keeps one To/Cc address, canonical, for header-recipient. */
static void evidence_rcpt_keep(struct evidence *ev, const struct policy *p,
    const struct address *a)
{
	char canon[EVIDENCE_CANON_SIZE];

	if (address_canonical(a, NULL, canon, sizeof(canon)) < 0)
		return;
	if (ev->naddrs == EVIDENCE_ADDRS_MAX) {
		ev->truncated = true;
		return;
	}
	if ((ev->addrs[ev->naddrs] = strdup(canon)) == NULL)
		ev->truncated = true;
	else
		ev->naddrs++;
}

/*
 * Only addresses read whole are kept: one that took the fail-closed
 * reading may name the mailbox (rcpt_mailbox), never excuse a recipient.
 */
static void evidence_recipients_header(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	const char *m = evidence_names(ev, p, v, len, true);

	if (ev->rcpt_mailbox == NULL)
		ev->rcpt_mailbox = m;
}

/* SRS rewrites the envelope sender to "SRS0=hash=tt=domain=local@forwarder". */
static int evidence_is_srs(const char *v, size_t len)
{
	while (len > 0 && (evidence_is_blank(*v) || *v == '<')) {
		v++;
		len--;
	}
	return len >= 5 && (strncasecmp(v, "SRS0=", 5) == 0 || strncasecmp(v, "SRS1=", 5) == 0);
}

/* --- front door ---------------------------------------------------------------- */

/*
 * Caps the value read; the cut goes back to a byte that ends an address,
 * so that a long look-alike ("support@corp.example.evil.test...", with
 * 8-bit bytes too) is not read as a prefix.
 */
static size_t evidence_value_len(struct evidence *ev, const char *value)
{
	size_t len = strnlen(value, EVIDENCE_VALUE_MAX + 1);

	if (len <= EVIDENCE_VALUE_MAX)
		return len;
	ev->truncated = true;
	len = EVIDENCE_VALUE_MAX;
	while (len > 0 && (trace_is_atext((unsigned char)value[len - 1]) ||
	    (unsigned char)value[len - 1] >= 0x80))
		len--;
	return len;
}

/* --- In-Reply-To, References, Content-Type, X-Fwdguard-Probe ------------------- */

/* Calls fn for each "<id>" in the value, or once for the whole value when it has none. */
static size_t evidence_ids_each(const char *v, size_t len,
    void (*fn)(struct evidence *, size_t, const char *, size_t), struct evidence *ev)
{
	const char *end = v + len, *lt, *gt;
	size_t count = 0;

	if (memchr(v, '<', len) == NULL) {
		if (fn != NULL)
			fn(ev, 0, v, len);
		return 1;
	}
	while (v < end && (lt = memchr(v, '<', (size_t)(end - v))) != NULL) {
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			gt = end;
		if (fn != NULL)
			fn(ev, count, lt, (size_t)(gt - lt) + (gt < end));
		count++;
		v = gt;
	}
	return count;
}

static bool evidence_in_irt(const struct evidence *ev, const char *id)
{
	size_t i;

	for (i = 0; i < ev->nirt; i++)
		if (strcmp(ev->irt[i], id) == 0)
			return true;
	return false;
}

static bool evidence_has_ref(const struct evidence *ev, const char *id)
{
	size_t i;

	if (evidence_in_irt(ev, id))
		return true;
	for (i = 0; i < ev->nrefs; i++)
		if (strcmp(ev->refs[i], id) == 0)
			return true;
	return false;
}

static void evidence_irt_add(struct evidence *ev, size_t i, const char *v, size_t len)
{
	(void)i;
	if (ev->nirt == EVIDENCE_IRT_MAX)
		return;
	evidence_id_copy(v, len, ev->irt[ev->nirt]);
	/* Not checked against References: the accessor lists these first. */
	if (ev->irt[ev->nirt][0] != '\0' && !evidence_in_irt(ev, ev->irt[ev->nirt]))
		ev->nirt++;
}

static void evidence_refs_add(struct evidence *ev, size_t i, const char *v, size_t len)
{
	char *slot;

	if (ev->nrefs == EVIDENCE_REFS_MAX - EVIDENCE_IRT_MAX || (i > 0 && i < ev->refs_skip_to))
		return;
	slot = ev->refs[ev->nrefs];
	evidence_id_copy(v, len, slot);
	if (slot[0] != '\0' && !evidence_has_ref(ev, slot))
		ev->nrefs++;
}

static void evidence_ids_header(struct evidence *ev, enum evidence_kind kind, const char *v,
    size_t len)
{
	size_t total, room = EVIDENCE_REFS_MAX - EVIDENCE_IRT_MAX;

	if (kind == EVK_IN_REPLY_TO) {
		if (!ev->irt_seen)
			evidence_ids_each(v, len, evidence_irt_add, ev);
		ev->irt_seen = true;
		return;
	}
	if (ev->refs_seen)
		return;
	ev->refs_seen = true;
	total = evidence_ids_each(v, len, NULL, ev);
	/* Too many to keep: the root (i == 0) and the nearest ancestors stay. */
	ev->refs_skip_to = total > room ? total - (room - 1) : 0;
	evidence_ids_each(v, len, evidence_refs_add, ev);
}

static void evidence_content_type_header(struct evidence *ev, const char *v, size_t len)
{
	if (ev->ctype_seen)
		return;
	ev->ctype_seen = true;
	while (len > 0 && evidence_is_blank(*v)) {
		v++;
		len--;
	}
	while (len > 0 && evidence_is_blank(v[len - 1]))
		len--;
	/* A cut value may have lost its boundary: the walker then says so. */
	if (len > EVIDENCE_CTYPE_MAX) {
		ev->truncated = true;
		len = EVIDENCE_CTYPE_MAX;
	}
	memcpy(ev->ctype, v, len);
	ev->ctype[len] = '\0';
}

static void evidence_probe_header(struct evidence *ev, const char *v, size_t len)
{
	size_t n = 0;

	if (ev->probe_seen)
		return;
	ev->probe_seen = true;
	while (len > 0 && evidence_is_blank(*v)) {
		v++;
		len--;
	}
	while (n < len && n < EVIDENCE_PROBE_MAX && (unsigned char)v[n] > 0x20 &&
	    (unsigned char)v[n] < 0x7f) {
		ev->probe[n] = v[n];
		n++;
	}
	ev->probe[n] = '\0';
}

static void evidence_dispatch(struct evidence *ev, const struct policy *p,
    const struct evidence_header_kind *k, const char *v, size_t len)
{
	const char *m;

	switch (k->kind) {
	case EVK_NAMES_SEMI:
		if ((m = evidence_names_semi(ev, p, v, len)) != NULL)
			evidence_signal(ev, k->signal, m);
		break;
	case EVK_NAMES:
		if ((m = evidence_names(ev, p, v, len, false)) != NULL)
			evidence_signal(ev, k->signal, m);
		break;
	case EVK_RECEIVED:
		if ((m = evidence_received_for(ev, p, v, len)) != NULL)
			evidence_signal(ev, k->signal, m);
		break;
	case EVK_VALUE:
		if (trace_value_is(v, len, k->value))
			evidence_signal(ev, k->signal, NULL);
		break;
	case EVK_FROM:
		evidence_from_header(ev, p, v, len);
		break;
	case EVK_MESSAGE_ID:
		evidence_message_id_header(ev, v, len);
		break;
	case EVK_RECIPIENTS:
		evidence_recipients_header(ev, p, v, len);
		break;
	case EVK_LIST:
		ev->list = true;
		break;
	case EVK_RETURN_PATH:
		if (evidence_is_srs(v, len))
			ev->arc_srs = true;
		break;
	case EVK_IN_REPLY_TO:
	case EVK_REFERENCES:
		evidence_ids_header(ev, k->kind, v, len);
		break;
	case EVK_AUTOREPLY:
		if (reply_marker(k->name, v, len))
			ev->autoreply = true;
		break;
	case EVK_CONTENT_TYPE:
		evidence_content_type_header(ev, v, len);
		break;
	case EVK_PROBE:
		evidence_probe_header(ev, v, len);
		break;
	}
}

void evidence_header(struct evidence *ev, const struct policy *p, const char *name,
    const char *value)
{
	size_t i, nlen;

	if (ev == NULL || p == NULL || name == NULL || value == NULL)
		return;
	if (strncasecmp(name, "ARC-", 4) == 0) {
		ev->arc_srs = true;
		return;
	}
	/* RFC 822 let blanks stand before the colon ("Delivered-To :"). */
	nlen = strnlen(name, EVIDENCE_NAME_MAX + 1);
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	for (i = 0; i < sizeof(evidence_headers) / sizeof(evidence_headers[0]); i++) {
		if (strlen(evidence_headers[i].name) == nlen &&
		    strncasecmp(name, evidence_headers[i].name, nlen) == 0) {
			size_t len = evidence_value_len(ev, value);

			evidence_dispatch(ev, p, &evidence_headers[i], value, len);
			return;
		}
	}
}

const char *evidence_header_name(size_t i)
{
	if (i >= sizeof(evidence_headers) / sizeof(evidence_headers[0]))
		return NULL;
	return evidence_headers[i].name;
}

/* --- accessors --------------------------------------------------------------------- */

signal_set evidence_signals(const struct evidence *ev)
{
	return ev->signals;
}

const char *evidence_mailbox(const struct evidence *ev)
{
	return evidence_mailbox_at(ev, 0);
}

const char *evidence_mailbox_at(const struct evidence *ev, size_t i)
{
	return i < ev->nmailboxes ? ev->mailboxes[i] : NULL;
}

const char *evidence_from_protected(const struct evidence *ev)
{
	return ev->from_protected;
}

const char *evidence_from(const struct evidence *ev)
{
	return ev->from;
}

const char *evidence_message_id(const struct evidence *ev)
{
	return ev->msgid;
}

bool evidence_is_list(const struct evidence *ev)
{
	return ev->list;
}

bool evidence_is_arc_or_srs(const struct evidence *ev)
{
	return ev->arc_srs;
}

size_t evidence_references(const struct evidence *ev, const char **ids, size_t max)
{
	size_t n = 0, i;

	for (i = 0; i < ev->nirt && n < max; i++)
		ids[n++] = ev->irt[i];
	for (i = 0; i < ev->nrefs && n < max; i++)
		if (!evidence_in_irt(ev, ev->refs[i]))
			ids[n++] = ev->refs[i];
	return n;
}

bool evidence_is_autoreply(const struct evidence *ev)
{
	return ev->autoreply;
}

const char *evidence_content_type(const struct evidence *ev)
{
	return ev->ctype;
}

const char *evidence_probe_token(const struct evidence *ev)
{
	return ev->probe;
}

const char *evidence_recipient_at(const struct evidence *ev, size_t i)
{
	return i < ev->naddrs ? ev->addrs[i] : NULL;
}

bool evidence_truncated(const struct evidence *ev)
{
	return ev->truncated;
}

/* --- per-recipient signals ------------------------------------------------------------ */

static const char *evidence_orcpt_mailbox(const struct policy *p, const char *orcpt)
{
	char buf[ADDRESS_MAX + 1];
	int n;

	if (orcpt == NULL || (n = trace_orcpt_decode(orcpt, buf, sizeof(buf))) < 0)
		return NULL;
	return evidence_protected_text(p, buf, (size_t)n);
}

static int evidence_in_recipients(const struct evidence *ev, const char *canon)
{
	size_t i;

	for (i = 0; i < ev->naddrs; i++) {
		if (strcmp(ev->addrs[i], canon) == 0)
			return 1;
	}
	return 0;
}

/* The message is someone else's: From is external, absent, or not the sender. */
static int evidence_not_senders_own(const struct evidence *ev, const struct policy *p,
    const struct address *sender)
{
	char canon[EVIDENCE_CANON_SIZE];

	if (!ev->from_ok || !ev->from_internal || sender == NULL)
		return 1;
	if (address_canonical(sender, p->delimiters, canon, sizeof(canon)) < 0)
		return 1;
	return strcmp(canon, ev->from) != 0;
}

static int evidence_header_recipient(const struct evidence *ev, const struct policy *p,
    const struct address *rcpt, const struct address *sender)
{
	char canon[EVIDENCE_CANON_SIZE];

	if (ev->rcpt_mailbox == NULL || policy_is_internal(p, rcpt))
		return 0;
	if (address_canonical(rcpt, NULL, canon, sizeof(canon)) == 0 &&
	    evidence_in_recipients(ev, canon))
		return 0;
	return evidence_not_senders_own(ev, p, sender);
}

signal_set evidence_recipient(const struct evidence *ev, const struct policy *p,
    const struct address *rcpt, const char *orcpt, const struct address *sender,
    const char **mailbox)
{
	signal_set set = 0;
	const char *m = evidence_orcpt_mailbox(p, orcpt);

	if (m != NULL) {
		set |= SIGNAL_BIT(SIGNAL_ORCPT);
		*mailbox = m;
	}
	if (rcpt != NULL && evidence_header_recipient(ev, p, rcpt, sender)) {
		set |= SIGNAL_BIT(SIGNAL_HEADER_RECIPIENT);
		if (m == NULL)
			*mailbox = ev->rcpt_mailbox;
	}
	return set;
}
