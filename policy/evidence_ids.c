/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evidence_ids.c - the headers that name messages by id: Message-ID,
 * In-Reply-To, References, X-Forwarded-Message-Id (Thunderbird's forward)
 * and Outlook's Thread-Index (thread.h).  The ids are what the end of
 * message looks up in the correlation store (milter/act_gather.c), so
 * every id goes through one copy (evidence_id_copy()) and compares equal
 * whichever header named it.  What is kept is bounded (EVIDENCE_REFS_MAX,
 * EVIDENCE_FWDIDS_MAX); the first header of each kind wins.  Pure code.
 */
#include <string.h>
#include "evidence.h"
#include "evidence_state.h"
#include "thread.h"

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

void evidence_ids_message_id(struct evidence *ev, const char *v, size_t len)
{
	if (ev->msgid_seen)
		return;
	ev->msgid_seen = true;
	evidence_id_copy(v, len, ev->msgid);
}

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

	/* Kept apart: the last id may be dropped below, as one In-Reply-To names. */
	evidence_id_copy(v, len, ev->refs_last);
	if (ev->nrefs == EVIDENCE_REFS_MAX - EVIDENCE_IRT_MAX || (i > 0 && i < ev->refs_skip_to))
		return;
	slot = ev->refs[ev->nrefs];
	evidence_id_copy(v, len, slot);
	if (slot[0] != '\0' && !evidence_has_ref(ev, slot))
		ev->nrefs++;
}

/* Reads the ids of the first header of a kind (*seen) with fn; later ones are ignored. */
static void evidence_ids_first(struct evidence *ev, bool *seen, const char *v, size_t len,
    void (*fn)(struct evidence *, size_t, const char *, size_t))
{
	if (!*seen)
		evidence_ids_each(v, len, fn, ev);
	*seen = true;
}

void evidence_ids_in_reply_to(struct evidence *ev, const char *v, size_t len)
{
	evidence_ids_first(ev, &ev->irt_seen, v, len, evidence_irt_add);
}

void evidence_ids_references(struct evidence *ev, const char *v, size_t len)
{
	size_t total, room = EVIDENCE_REFS_MAX - EVIDENCE_IRT_MAX;

	if (ev->refs_seen)
		return;
	ev->refs_seen = true;
	total = evidence_ids_each(v, len, NULL, ev);
	/* Too many to keep: the root (i == 0) and the nearest ancestors stay. */
	ev->refs_skip_to = total > room ? total - (room - 1) : 0;
	evidence_ids_each(v, len, evidence_refs_add, ev);
}

static void evidence_fwdids_add(struct evidence *ev, size_t i, const char *v, size_t len)
{
	size_t k;

	(void)i;
	if (ev->nfwdids == EVIDENCE_FWDIDS_MAX)
		return;
	evidence_id_copy(v, len, ev->fwdids[ev->nfwdids]);
	if (ev->fwdids[ev->nfwdids][0] == '\0')
		return;
	for (k = 0; k < ev->nfwdids; k++)
		if (strcmp(ev->fwdids[k], ev->fwdids[ev->nfwdids]) == 0)
			return;
	ev->nfwdids++;
}

void evidence_ids_forwarded(struct evidence *ev, const char *v, size_t len)
{
	evidence_ids_first(ev, &ev->fwdids_seen, v, len, evidence_fwdids_add);
}

/* The first Thread-Index that names a conversation wins, as for Message-ID. */
void evidence_ids_thread_index(struct evidence *ev, const char *v, size_t len)
{
	if (ev->conversation[0] == '\0')
		thread_conversation(v, len, ev->conversation, sizeof(ev->conversation));
}

bool evidence_names_parent(const struct evidence *ev, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return false;
	return evidence_in_irt(ev, id) || strcmp(ev->refs_last, id) == 0;
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
