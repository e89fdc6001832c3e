/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evidence.c - header evidence that a message is a forwarded copy of a
 * protected mailbox's mail (evidence.h): the header table, the front door
 * (evidence_header()), and the accessors.
 *
 * Each header is looked up in one table that says how its value is read
 * and which signal it gives; the readers are in evidence_addrs.c (headers
 * carrying addresses) and evidence_ids.c (headers carrying message ids),
 * sharing struct evidence through evidence_state.h.  Values are scanned in
 * place; what is kept across headers is bounded: From, Message-ID, at most
 * EVIDENCE_ADDRS_MAX To/Cc addresses, and pointers into the policy for
 * protected mailboxes.  List, ARC and SRS headers only set context flags:
 * they are not proof of a forward and never give a signal.  Pure code.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "evidence.h"
#include "evidence_state.h"
#include "trace.h"
#include "reply.h"
#include "thread.h"

/* Bytes of one value read; Postfix's header_size_limit is 100 KiB. */
#define EVIDENCE_VALUE_MAX	(256 * 1024)
/* Longer header names are none of those in the table. */
#define EVIDENCE_NAME_MAX	64

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
	EVK_PROBE,
	EVK_FORWARDED_ID,	/* X-Forwarded-Message-Id (Thunderbird's forward) */
	EVK_THREAD_INDEX,	/* Outlook's conversation */
	EVK_SUBJECT,		/* auto-reply marker, and forward corroboration */
	EVK_REPLY_TO		/* where answers go: a party to the message */
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
	{ "Subject", EVK_SUBJECT, SIGNAL_COUNT, NULL },
	{ "Content-Type", EVK_CONTENT_TYPE, SIGNAL_COUNT, NULL },
	{ "X-Fwdguard-Probe", EVK_PROBE, SIGNAL_COUNT, NULL },
	{ "X-Forwarded-Message-Id", EVK_FORWARDED_ID, SIGNAL_COUNT, NULL },
	{ "Thread-Index", EVK_THREAD_INDEX, SIGNAL_COUNT, NULL },
	{ "Reply-To", EVK_REPLY_TO, SIGNAL_COUNT, NULL },
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

/* --- signals and context headers -------------------------------------------- */

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

/* SRS rewrites the envelope sender to "SRS0=hash=tt=domain=local@forwarder". */
static int evidence_is_srs(const char *v, size_t len)
{
	while (len > 0 && (evidence_is_blank(*v) || *v == '<')) {
		v++;
		len--;
	}
	return len >= 5 && (strncasecmp(v, "SRS0=", 5) == 0 || strncasecmp(v, "SRS1=", 5) == 0);
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

/* The kinds whose row names a signal: true when k is one of them (and read). */
static bool evidence_dispatch_signal(struct evidence *ev, const struct policy *p,
    const struct evidence_header_kind *k, const char *v, size_t len)
{
	const char *m;

	switch (k->kind) {
	case EVK_NAMES_SEMI:
		m = evidence_addrs_names_semi(ev, p, v, len);
		break;
	case EVK_NAMES:
		m = evidence_addrs_names(ev, p, v, len);
		break;
	case EVK_RECEIVED:
		m = evidence_addrs_received_for(ev, p, v, len);
		break;
	case EVK_VALUE:
		if (trace_value_is(v, len, k->value))
			evidence_signal(ev, k->signal, NULL);
		return true;
	default:
		return false;
	}
	if (m != NULL)
		evidence_signal(ev, k->signal, m);
	return true;
}

/* The kinds that record a fact for later: ids, senders, markers. */
static void evidence_dispatch(struct evidence *ev, const struct policy *p,
    const struct evidence_header_kind *k, const char *v, size_t len)
{
	if (evidence_dispatch_signal(ev, p, k, v, len))
		return;
	switch (k->kind) {
	case EVK_NAMES_SEMI:
	case EVK_NAMES:
	case EVK_RECEIVED:
	case EVK_VALUE:
		break;	/* read by evidence_dispatch_signal() */
	case EVK_FROM:
		evidence_addrs_from(ev, p, v, len);
		break;
	case EVK_MESSAGE_ID:
		evidence_ids_message_id(ev, v, len);
		break;
	case EVK_RECIPIENTS:
		evidence_addrs_recipients(ev, p, v, len);
		break;
	case EVK_LIST:
		ev->list = true;
		break;
	case EVK_RETURN_PATH:
		if (evidence_is_srs(v, len))
			ev->arc_srs = true;
		break;
	case EVK_IN_REPLY_TO:
		evidence_ids_in_reply_to(ev, v, len);
		break;
	case EVK_REFERENCES:
		evidence_ids_references(ev, v, len);
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
	case EVK_FORWARDED_ID:
		evidence_ids_forwarded(ev, v, len);
		break;
	case EVK_THREAD_INDEX:
		evidence_ids_thread_index(ev, v, len);
		break;
	case EVK_REPLY_TO:
		evidence_addrs_reply_to(ev, p, v, len);
		break;
	case EVK_SUBJECT:
		if (reply_marker(k->name, v, len))
			ev->autoreply = true;
		if (thread_forward_subject(v, len))
			ev->forward_subject = true;
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

size_t evidence_forwarded_ids(const struct evidence *ev, const char **ids, size_t max)
{
	size_t n;

	for (n = 0; n < ev->nfwdids && n < max; n++)
		ids[n] = ev->fwdids[n];
	return n;
}

const char *evidence_conversation(const struct evidence *ev)
{
	return ev->conversation;
}

bool evidence_forward_subject(const struct evidence *ev)
{
	return ev->forward_subject;
}

const char *evidence_reply_to_at(const struct evidence *ev, size_t i)
{
	return i < ev->nreply_to ? ev->reply_to[i] : NULL;
}

