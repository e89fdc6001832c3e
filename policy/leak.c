/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * leak.c - leak decisions from correlation facts (see leak.h).
 *
 * The facts come from the correlation store, which anyone who can send us
 * mail influences indirectly; every list is read with explicit bounds and
 * an unreadable entry only ever makes a domain look like a non-party,
 * which raises an alert rather than hiding one.  Pure code.
 */
#include <string.h>
#include <strings.h>
#include "leak.h"

/* s[0 .. len) names domain, or a parent of it ("customer.example" for mx.customer.example). */
static bool leak_domain_covers(const char *s, size_t len, const char *domain)
{
	size_t dl = strlen(domain);

	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '.'))
		len--;
	if (len == 0 || len > dl)
		return false;
	if (strncasecmp(domain + dl - len, s, len) != 0)
		return false;
	return len == dl || domain[dl - len - 1] == '.';
}

static bool leak_in_list(const char *list, const char *domain)
{
	const char *s = list, *comma;

	if (list == NULL)
		return false;
	for (;;) {
		comma = strchr(s, ',');
		if (leak_domain_covers(s, comma ? (size_t)(comma - s) : strlen(s), domain))
			return true;
		if (comma == NULL)
			return false;
		s = comma + 1;
	}
}

/* The effective domain of an envelope sender string, or NULL (null sender, unreadable). */
static const char *leak_sender_domain(const char *sender, struct address *a)
{
	if (sender == NULL || sender[0] == '\0')
		return NULL;
	if (address_parse(sender, strlen(sender), a) != ADDRESS_OK || a->nhops == 0)
		return NULL;
	return a->hops[a->nhops - 1];
}

/* domain was the original sender's or a recipient's of ref. */
static bool leak_is_party(const struct leak_ref *ref, const char *domain)
{
	struct address a;
	const char *sd = leak_sender_domain(ref->sender, &a);

	if (sd != NULL && leak_domain_covers(sd, strlen(sd), domain))
		return true;
	return leak_in_list(ref->rcpt_domains, domain);
}

static bool leak_is_external(const struct policy *p, const char *domain)
{
	return domain != NULL && domain[0] != '\0' && !policy_domain_internal(p, domain);
}

signal_set leak_inbound(const struct policy *p, const char *from_domain, bool autoreply,
    bool dsn, const struct leak_ref *refs, size_t nrefs, size_t *which)
{
	size_t i;

	if (p == NULL || refs == NULL || !leak_is_external(p, from_domain))
		return 0;
	/* A probe answer is proof whatever kind of answer it is: look first. */
	for (i = 0; i < nrefs; i++) {
		if (refs[i].probe) {
			if (which != NULL)
				*which = i;
			return SIGNAL_BIT(SIGNAL_LEAK_PROBE);
		}
	}
	/* A person may answer a thread a customer forwarded to them; only
	 * machines answering on a mailbox's behalf are evidence. */
	if (!autoreply && !dsn)
		return 0;
	for (i = 0; i < nrefs; i++) {
		if (!leak_is_party(&refs[i], from_domain)) {
			if (which != NULL)
				*which = i;
			return SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER);
		}
	}
	return 0;
}

signal_set leak_known_message_id(const struct policy *p, const struct leak_ref *ref,
    const char *recipient_domain)
{
	if (p == NULL || ref == NULL || !leak_is_external(p, recipient_domain))
		return 0;
	return leak_is_party(ref, recipient_domain) ? 0 : SIGNAL_BIT(SIGNAL_KNOWN_MESSAGE_ID);
}

/* rcpt (canonical, whole) is the envelope sender of ref, compared as the parties are. */
static bool leak_is_sender(const struct leak_ref *ref, const char *rcpt)
{
	char canonical[ADDRESS_CANONICAL_MAX + 1];
	struct address a;

	if (ref->sender == NULL || ref->sender[0] == '\0' ||
	    address_parse(ref->sender, strlen(ref->sender), &a) != ADDRESS_OK ||
	    address_canonical(&a, NULL, canonical, sizeof(canonical)) != 0)
		return false;
	return strcasecmp(canonical, rcpt) == 0;
}

signal_set leak_attached_message(signal_set sig, bool automatic, const char *rcpt,
    const char *const *parties, size_t n, const struct leak_ref *originals, size_t norig)
{
	size_t i;

	if (!automatic || rcpt == NULL || rcpt[0] == '\0' ||
	    (sig & SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE)) == 0)
		return sig;
	for (i = 0; parties != NULL && i < n; i++)
		if (parties[i] != NULL && strcasecmp(parties[i], rcpt) == 0)
			return sig & ~SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE);
	/* Every one, as for the parties: one decoy record must not open the way. */
	for (i = 0; originals != NULL && i < norig; i++)
		if (!leak_is_sender(&originals[i], rcpt))
			return sig;
	if (originals != NULL && norig > 0)
		return sig & ~SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE);
	return sig;
}

signal_set leak_enclosed_message(const struct policy *p, const struct leak_ref *refs,
    size_t nrefs, const char *recipient_domain, size_t *which)
{
	size_t i;

	if (p == NULL || refs == NULL || !leak_is_external(p, recipient_domain))
		return 0;
	for (i = 0; i < nrefs; i++) {
		if (refs[i].role != LEAK_ROLE_ENCLOSED || leak_is_party(&refs[i], recipient_domain))
			continue;
		if (which != NULL)
			*which = i;
		return SIGNAL_BIT(SIGNAL_KNOWN_MESSAGE_ID);
	}
	return 0;
}

struct leak_list {
	char *out;
	size_t size;
	size_t len;
	size_t count;
};

static bool leak_list_has(const struct leak_list *l, const char *domain)
{
	const char *s = l->out, *end = l->out + l->len;
	size_t dl = strlen(domain);

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);

		if (n == dl && strncasecmp(s, domain, n) == 0)
			return true;
		s += n + 1;
	}
	return false;
}

/* Appends a whole domain, lower-cased, or nothing when it does not fit. */
static void leak_list_add(struct leak_list *l, const char *domain)
{
	size_t dl = strlen(domain), need, i;

	if (dl == 0 || l->count == LEAK_RCPT_DOMAINS_MAX || leak_list_has(l, domain))
		return;
	/* A comma inside would split the domain in two when read back. */
	if (strchr(domain, ',') != NULL)
		return;
	need = dl + (l->count > 0 ? 1 : 0);
	if (l->len + need >= l->size)
		return;
	if (l->count > 0)
		l->out[l->len++] = ',';
	for (i = 0; i < dl; i++) {
		char c = domain[i];

		l->out[l->len++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	l->out[l->len] = '\0';
	l->count++;
}

size_t leak_rcpt_domains(const struct evidence *ev, const struct address *rcpts, size_t n,
    char *out, size_t size)
{
	struct leak_list l = { .out = out, .size = size };
	const char *addr;
	size_t i;

	if (out == NULL || size == 0)
		return 0;
	out[0] = '\0';
	for (i = 0; rcpts != NULL && i < n; i++)
		if (rcpts[i].nhops > 0 && rcpts[i].nhops <= ADDRESS_HOPS_MAX)
			leak_list_add(&l, rcpts[i].hops[rcpts[i].nhops - 1]);
	/*
	 * Answers go to From or Reply-To, which need not be the envelope
	 * sender's domain (a bounce domain, a web form's own address): the
	 * mailbox's answer to them is no forward.
	 */
	if (ev != NULL && (addr = strrchr(evidence_from(ev), '@')) != NULL)
		leak_list_add(&l, addr + 1);
	for (i = 0; ev != NULL && (addr = evidence_reply_to_at(ev, i)) != NULL; i++) {
		const char *at = strrchr(addr, '@');

		if (at != NULL)
			leak_list_add(&l, at + 1);
	}
	for (i = 0; ev != NULL && (addr = evidence_recipient_at(ev, i)) != NULL; i++) {
		const char *at = strrchr(addr, '@');

		if (at != NULL)
			leak_list_add(&l, at + 1);
	}
	return l.count;
}

const char *leak_answer_domain(const struct address *sender, const struct evidence *ev,
    char *out, size_t size)
{
	const char *d = NULL;

	if (out == NULL || size == 0)
		return out;
	if (sender != NULL && sender->nhops > 0 && sender->nhops <= ADDRESS_HOPS_MAX)
		d = sender->hops[sender->nhops - 1];
	if (d == NULL && ev != NULL) {
		const char *at = strrchr(evidence_from(ev), '@');

		d = at != NULL ? at + 1 : NULL;
	}
	if (d == NULL || strlen(d) >= size) {
		out[0] = '\0';
		return out;
	}
	memcpy(out, d, strlen(d) + 1);
	return out;
}

/* The ref judged when no parent was found: the last ancestor, else the conversation. */
static size_t leak_nearest(const struct leak_ref *refs, size_t nrefs)
{
	size_t i, ancestor = nrefs, conversation = nrefs;

	for (i = 0; i < nrefs; i++) {
		if (refs[i].role == LEAK_ROLE_ANCESTOR)
			ancestor = i;
		else if (refs[i].role == LEAK_ROLE_CONVERSATION && conversation == nrefs)
			conversation = i;
	}
	return ancestor < nrefs ? ancestor : conversation;
}

signal_set leak_referenced_message(const struct policy *p, const struct leak_ref *refs,
    size_t nrefs, const char *recipient_domain, size_t *which)
{
	size_t i, judged = nrefs;
	bool parent = false;

	if (p == NULL || refs == NULL || nrefs == 0 || !leak_is_external(p, recipient_domain))
		return 0;
	/*
	 * Threads grow: a partner copied in later is a party to the message
	 * it answers, not to the thread's first ones.  Threads also carry
	 * old messages: being a party to one of those says nothing about the
	 * one sent on now.  So the message answered or forwarded decides.
	 */
	for (i = 0; i < nrefs; i++) {
		if (refs[i].role != LEAK_ROLE_PARENT)
			continue;
		parent = true;
		if (!leak_is_party(&refs[i], recipient_domain)) {
			judged = i;
			break;
		}
	}
	if (!parent)
		judged = leak_nearest(refs, nrefs);
	if (judged == nrefs || leak_is_party(&refs[judged], recipient_domain))
		return 0;
	if (which != NULL)
		*which = judged;
	return SIGNAL_BIT(SIGNAL_REFERENCED_MESSAGE);
}
