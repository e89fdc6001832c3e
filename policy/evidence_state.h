/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evidence_state.h - internal to policy/evidence*.c; no other file
 * includes it (everyone else sees struct evidence only through
 * evidence.h's accessors).  evidence.c owns the header table, the
 * dispatch and the accessors; evidence_addrs.c reads the headers that
 * carry addresses and gives the per-recipient signals; evidence_ids.c
 * reads the headers that carry message ids (Message-ID, In-Reply-To,
 * References, X-Forwarded-Message-Id) and Outlook's Thread-Index.
 * Each reader takes a value already capped by evidence_header() and keeps
 * what it reads in the bounded fields below.  It does not include
 * evidence.h: the interface includes nothing of its insides.
 */
#ifndef FWDGUARD_EVIDENCE_STATE_H
#define FWDGUARD_EVIDENCE_STATE_H

#include "address.h"
#include "evidence_limits.h"
#include "policy.h"
#include "thread.h"

/* Addresses read from one header; beyond it the header counts as truncated. */
#define EVIDENCE_SCAN_ADDRS	16384
#define EVIDENCE_CANON_SIZE	(ADDRESS_CANONICAL_MAX + 1)
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
	char refs_last[EVIDENCE_MSGID_MAX + 1];	/* References' last id: the direct parent */
	char ctype[EVIDENCE_CTYPE_MAX + 1];
	char probe[EVIDENCE_PROBE_MAX + 1];
	bool fwdids_seen;
	char fwdids[EVIDENCE_FWDIDS_MAX][EVIDENCE_MSGID_MAX + 1];
	size_t nfwdids;
	char conversation[THREAD_CONV_MAX + 1];
	bool forward_subject;
	bool reply_to_seen;
	char reply_to[EVIDENCE_REPLY_TO_MAX][EVIDENCE_CANON_SIZE];
	size_t nreply_to;
};

static inline int evidence_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* evidence_addrs.c: each returns the first protected mailbox named, or NULL. */
const char *evidence_addrs_names(struct evidence *ev, const struct policy *p,
    const char *v, size_t len);
const char *evidence_addrs_names_semi(struct evidence *ev, const struct policy *p,
    const char *v, size_t len);
const char *evidence_addrs_received_for(struct evidence *ev, const struct policy *p,
    const char *v, size_t len);
/* evidence_addrs.c: From, To/Cc and Reply-To, kept for the accessors. */
void evidence_addrs_from(struct evidence *ev, const struct policy *p, const char *v,
    size_t len);
void evidence_addrs_recipients(struct evidence *ev, const struct policy *p, const char *v,
    size_t len);
void evidence_addrs_reply_to(struct evidence *ev, const struct policy *p, const char *v,
    size_t len);

/* evidence_ids.c: the first header of each kind is read, later ones are ignored. */
void evidence_ids_message_id(struct evidence *ev, const char *v, size_t len);
void evidence_ids_in_reply_to(struct evidence *ev, const char *v, size_t len);
void evidence_ids_references(struct evidence *ev, const char *v, size_t len);
void evidence_ids_forwarded(struct evidence *ev, const char *v, size_t len);
void evidence_ids_thread_index(struct evidence *ev, const char *v, size_t len);

#endif
