/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_tree.c - the results of a MIME walk and the enclosed header blocks
 * that make them (see mime_tree.h; mime.h's accessors read them here).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "buf.h"
#include "evidence.h"
#include "mime_tree.h"
#include "trace.h"

#define MIME_RCPT_SCAN	1024	/* party addresses looked at per header */

typedef char mime_party[ADDRESS_CANONICAL_MAX + 1];

_Static_assert(MIME_IDS_MAX <= 16, "sig_ids holds a bit per id kept");

struct mime_tree {
	const struct policy *p;
	char field[MIME_HEADER_MAX + 1];
	struct evidence *scratch;	/* delivery headers of the enclosed block */
	size_t parts;
	size_t bytes;
	bool stopped;
	/* results */
	signal_set signals;
	const char *mailbox;
	char ids[MIME_IDS_MAX][EVIDENCE_MSGID_MAX + 1];
	size_t nids;
	/* Parties common to every enclosed message that gave the signal
	 * and whose block is done (mime_block_commit()). */
	mime_party parties[MIME_PARTIES_MAX];
	size_t nparties;
	bool committed;			/* one such message was seen */
	unsigned sig_ids;		/* bit i: ids[i] is one such message's */
	bool sig_unnamed;		/* one such message has no id in ids */
	bool partyless;			/* a signal came with no parties to name */
	bool dsn;
	bool truncated;
	/* the enclosed block being read */
	mime_party block_parties[MIME_PARTIES_MAX];
	size_t nblock_parties;
	bool block_found;		/* it gave attached-message */
	const char *block_rcpt;		/* protected mailbox its To/Cc name */
};

struct mime_tree *mime_tree_new(const struct policy *p)
{
	struct mime_tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if ((t->scratch = evidence_new()) == NULL) {
		free(t);
		return NULL;
	}
	t->p = p;
	return t;
}

void mime_tree_free(struct mime_tree *t)
{
	if (t == NULL)
		return;
	evidence_free(t->scratch);
	free(t);
}

const struct policy *mime_tree_policy(const struct mime_tree *t)
{
	return t->p;
}

char *mime_tree_field(struct mime_tree *t)
{
	return t->field;
}

bool mime_tree_stopped(const struct mime_tree *t)
{
	return t->stopped;
}

bool mime_tree_count(struct mime_tree *t, size_t *len)
{
	if (*len <= MIME_BYTES_MAX - t->bytes) {
		t->bytes += *len;
		return true;
	}
	*len = MIME_BYTES_MAX - t->bytes;
	t->bytes = MIME_BYTES_MAX;
	t->truncated = true;
	return false;
}

void mime_tree_truncated(struct mime_tree *t)
{
	t->truncated = true;
}

void mime_tree_stop(struct mime_tree *t)
{
	t->truncated = true;
	t->stopped = true;
}

void mime_tree_dsn(struct mime_tree *t)
{
	t->dsn = true;
}

static bool mime_party_has(const mime_party *list, size_t n, const char *canonical)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], canonical) == 0)
			return true;
	return false;
}

/*
 * Adds a canonical address to a bounded, distinct list.  Past
 * MIME_PARTIES_MAX it is dropped: fewer parties only ever means fewer
 * messages are taken for a return to their own parties.
 */
static void mime_party_add(mime_party *list, size_t *n, const char *canonical)
{
	if (!mime_party_has(list, *n, canonical) && *n < MIME_PARTIES_MAX)
		buf_copy(list[(*n)++], sizeof(list[0]), canonical);
}

/* The index in t->ids of the Message-ID of the block being read, or MIME_IDS_MAX. */
static size_t mime_block_id(const struct mime_tree *t)
{
	const char *id = evidence_message_id(t->scratch);
	size_t i;

	for (i = 0; id[0] != '\0' && i < t->nids; i++)
		if (strcmp(t->ids[i], id) == 0)
			return i;
	return MIME_IDS_MAX;
}

/* The block being read gave the signal: its id names it, if it has one kept. */
static void mime_sig_id(struct mime_tree *t)
{
	size_t i = mime_block_id(t);

	if (i < MIME_IDS_MAX)
		t->sig_ids |= 1u << i;
	else
		t->sig_unnamed = true;
}

/*
 * The enclosed message being read is done, or as done as it will get: when
 * it gave the signal, only its parties that every earlier such message
 * named stay exemptable.  Keeping the union would let one decoy message,
 * written to the bounce's recipient, open the way for the real one.
 * Committing the same block twice changes nothing.
 */
static void mime_block_commit(struct mime_tree *t)
{
	size_t i, n = 0;

	if (!t->block_found)
		return;
	mime_sig_id(t);
	if (!t->committed) {
		for (i = 0; i < t->nblock_parties; i++)
			buf_copy(t->parties[i], sizeof(t->parties[0]), t->block_parties[i]);
		t->nparties = t->nblock_parties;
		t->committed = true;
		return;
	}
	for (i = 0; i < t->nparties; i++)
		if (mime_party_has(t->block_parties, t->nblock_parties, t->parties[i]))
			memmove(t->parties[n++], t->parties[i], sizeof(t->parties[0]));
	t->nparties = n;
}

static void mime_signal(struct mime_tree *t, const char *mailbox)
{
	t->signals |= SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE);
	if (t->mailbox == NULL)
		t->mailbox = mailbox;
}

/* An Outlook or TNEF file: no parties can be told from it, so none are exempt. */
void mime_tree_found(struct mime_tree *t, const char *mailbox)
{
	mime_signal(t, mailbox);
	t->partyless = true;
}

/*
 * The enclosed message being read is a protected mailbox's mail.  Its
 * parties count once its block is done (they may come after the signal).
 */
static void mime_block_found(struct mime_tree *t, const char *mailbox)
{
	mime_signal(t, mailbox);
	t->block_found = true;
}

/* What the block's headers so far say, for a block known to be a message. */
static void mime_block_check(struct mime_tree *t)
{
	if (t->block_rcpt != NULL)
		mime_block_found(t, t->block_rcpt);
	else if (evidence_mailbox(t->scratch) != NULL)
		mime_block_found(t, evidence_mailbox(t->scratch));
}

bool mime_tree_block_begin(struct mime_tree *t, enum mime_block block)
{
	mime_block_commit(t);
	if (block != MIME_BLOCK_PART)
		evidence_reset(t->scratch);
	t->nblock_parties = 0;
	t->block_found = false;
	t->block_rcpt = NULL;
	if (block != MIME_BLOCK_SNIFF && ++t->parts > MIME_PARTS_MAX) {
		mime_tree_stop(t);
		return false;
	}
	return true;
}

static void mime_add_id(struct mime_tree *t, const char *id)
{
	size_t i;

	if (id[0] == '\0')
		return;
	for (i = 0; i < t->nids; i++)
		if (strcmp(t->ids[i], id) == 0)
			return;
	/* Ids past the first are context for leak lookups, and hide no
	 * forward: dropping them is no reason to distrust the body. */
	if (t->nids == MIME_IDS_MAX)
		return;
	buf_copy(t->ids[t->nids++], sizeof(t->ids[0]), id);
}

struct mime_party_scan {
	struct mime_tree *t;
	bool recipients;		/* To/Cc: a protected one is evidence */
	size_t seen;			/* addresses the list reader handed over */
};

static int mime_loose_cb(void *ctx, const char *addr, size_t len)
{
	struct mime_tree *t = ctx;
	struct address a;

	if (address_parse(addr, len, &a) == ADDRESS_OK)
		t->block_rcpt = policy_protected(t->p, &a);
	return t->block_rcpt != NULL;
}

/*
 * Recipient text the parsers refused is read once more, fail closed, as
 * the message's own trace headers are (trace_words()): stray bytes cannot
 * hide a protected recipient, and a look-alike stays one.  What this
 * reading finds is never a party: it may give the signal, never excuse.
 */
static void mime_loose(struct mime_tree *t, const char *v, size_t len)
{
	if (t->block_rcpt == NULL && trace_words(v, len, MIME_RCPT_SCAN, mime_loose_cb, t) < 0)
		t->truncated = true;
}

/* One address of a party header: kept as a party, and checked when a recipient. */
static int mime_party_cb(void *ctx, const char *addr, size_t len)
{
	struct mime_party_scan *r = ctx;
	struct mime_tree *t = r->t;
	char canonical[ADDRESS_CANONICAL_MAX + 1];
	const char *found;
	struct address a;

	r->seen++;
	if (address_parse(addr, len, &a) != ADDRESS_OK) {
		if (r->recipients)
			mime_loose(t, addr, len);
		return 0;
	}
	/* Whole, as act_end.c writes the recipient it compares: the parties are
	 * often outside, where our delimiters say nothing. */
	if (address_canonical(&a, NULL, canonical, sizeof(canonical)) == 0)
		mime_party_add(t->block_parties, &t->nblock_parties, canonical);
	if (r->recipients && t->block_rcpt == NULL && (found = policy_protected(t->p, &a)) != NULL)
		t->block_rcpt = found;
	return 0;
}

static bool mime_name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/*
 * The addresses of a party header.  A To/Cc value the list reader cannot
 * read, or in which it finds no address although it holds an '@', is read
 * fail closed as a whole; one with more addresses than are looked at is
 * not examined whole.
 */
static void mime_parties(struct mime_tree *t, struct mime_party_scan *r, const char *value,
    bool recipients)
{
	size_t len = strlen(value);
	int rc;

	r->recipients = recipients;
	rc = address_list_scan(value, len, MIME_RCPT_SCAN, mime_party_cb, r);
	if (!recipients || t->block_rcpt != NULL)
		return;
	if (rc < 0 && r->seen >= MIME_RCPT_SCAN)
		t->truncated = true;
	else if (rc < 0 || (rc == 0 && memchr(value, '@', len) != NULL))
		mime_loose(t, value, len);
}

void mime_tree_enclosed_header(struct mime_tree *t, enum mime_block block, const char *name,
    size_t nlen, const char *value)
{
	static const char *const delivery[] = {
		"Delivered-To", "X-Original-To", "Received", "Message-ID"
	};
	static const char *const parties[] = { "To", "Cc", "From", "Sender", "Reply-To" };
	struct mime_party_scan r = { .t = t };
	size_t i;

	for (i = 0; i < sizeof(delivery) / sizeof(delivery[0]); i++)
		if (mime_name_is(name, nlen, delivery[i]))
			evidence_header(t->scratch, t->p, delivery[i], value);
	/* A DSN quotes the headers of mail we sent: only a message attached
	 * whole says somebody passed a protected mailbox's copy on. */
	if (block == MIME_BLOCK_RFC822_HEADERS)
		return;
	for (i = 0; i < sizeof(parties) / sizeof(parties[0]); i++)
		if (mime_name_is(name, nlen, parties[i]))
			break;
	if (i < sizeof(parties) / sizeof(parties[0]))
		mime_parties(t, &r, value, i < 2);
	if (block == MIME_BLOCK_MESSAGE)
		mime_block_check(t);
}

void mime_tree_qualified(struct mime_tree *t)
{
	if (++t->parts > MIME_PARTS_MAX)
		mime_tree_stop(t);
	mime_block_check(t);
}

bool mime_tree_block_end(struct mime_tree *t, enum mime_block block)
{
	if (block == MIME_BLOCK_SNIFF)
		return false;
	if (block != MIME_BLOCK_PART)
		mime_add_id(t, evidence_message_id(t->scratch));
	if (block == MIME_BLOCK_MESSAGE)
		mime_block_check(t);
	mime_block_commit(t);
	return true;
}

/* --- the results (mime.h reads them through these) ------------------------------------------------------------ */

signal_set mime_tree_signals(const struct mime_tree *t)
{
	return t->signals;
}

const char *mime_tree_mailbox(const struct mime_tree *t)
{
	return t->mailbox;
}

size_t mime_tree_original_ids(const struct mime_tree *t, const char **ids, size_t max)
{
	size_t i;

	for (i = 0; i < t->nids && i < max; i++)
		ids[i] = t->ids[i];
	return i;
}

/*
 * The committed parties, narrowed by the block still being read when it
 * gave the signal (a body may end inside an enclosed header block).
 */
size_t mime_tree_parties(const struct mime_tree *t, const char **out, size_t max)
{
	const mime_party *list = t->parties;
	size_t i, n = 0, count = t->nparties;

	if (t->truncated || t->partyless)
		return 0;
	if (t->block_found && !t->committed) {
		list = t->block_parties;
		count = t->nblock_parties;
	}
	for (i = 0; i < count && n < max; i++)
		if (!t->block_found || mime_party_has(t->block_parties, t->nblock_parties, list[i]))
			out[n++] = list[i];
	return n;
}

size_t mime_tree_signal_ids(const struct mime_tree *t, const char **ids, size_t max)
{
	unsigned mask = t->sig_ids;
	size_t i, n = 0;

	if (t->truncated || t->partyless || t->sig_unnamed)
		return 0;
	/* A block that gave the signal and may not be committed yet. */
	if (t->block_found) {
		if ((i = mime_block_id(t)) == MIME_IDS_MAX)
			return 0;
		mask |= 1u << i;
	}
	for (i = 0; i < t->nids; i++)
		if ((mask & (1u << i)) != 0) {
			if (n == max)
				return 0;
			ids[n++] = t->ids[i];
		}
	return n;
}

bool mime_tree_is_dsn(const struct mime_tree *t)
{
	return t->dsn;
}

bool mime_tree_is_truncated(const struct mime_tree *t)
{
	return t->truncated;
}
