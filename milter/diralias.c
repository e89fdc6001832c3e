/*
 * diralias.c - the addresses of protected directory entries and their
 * mailbox.  See diralias.h.
 *
 * The builder collects (address, mailbox) pairs in the order they come;
 * the set is the pairs sorted by address, the first one of each address
 * kept, so a YAML mailbox (added first) wins over an entry's own name.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "diralias.h"

#define DIRALIAS_INTERN_BUCKETS	65536
#define DIRALIAS_ENTRY_MAX	256	/* addresses kept per entry */

struct diralias_pair {
	const char *addr;	/* interned whole canonical address */
	const char *mailbox;	/* interned */
	size_t rank;		/* order of arrival: the first one wins */
};

struct diralias_builder {
	struct diralias_pair *p;
	size_t n, cap;
};

struct diralias {
	struct diralias_pair *p;
	size_t n;
};

/* ---- interned strings ------------------------------------------------------ */

struct diralias_interned {
	struct diralias_interned *next;
	char s[];
};

static pthread_mutex_t diralias_intern_lock = PTHREAD_MUTEX_INITIALIZER;
static struct diralias_interned *diralias_intern_table[DIRALIAS_INTERN_BUCKETS];

const char *
diralias_intern(const char *s)
{
	uint32_t h = 2166136261u;
	struct diralias_interned *e;
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	h &= DIRALIAS_INTERN_BUCKETS - 1;
	pthread_mutex_lock(&diralias_intern_lock);
	for (e = diralias_intern_table[h]; e != NULL; e = e->next)
		if (strcmp(e->s, s) == 0)
			break;
	if (e == NULL && (e = malloc(sizeof(*e) + len + 1)) != NULL) {
		memcpy(e->s, s, len + 1);
		e->next = diralias_intern_table[h];
		diralias_intern_table[h] = e;
	}
	pthread_mutex_unlock(&diralias_intern_lock);
	return e != NULL ? e->s : NULL;
}

/* ---- building -------------------------------------------------------------- */

struct diralias_builder *
diralias_builder_new(void)
{
	return calloc(1, sizeof(struct diralias_builder));
}

void
diralias_builder_free(struct diralias_builder *b)
{
	if (b == NULL)
		return;
	free(b->p);
	free(b);
}

static int
diralias_push(struct diralias_builder *b, const char *addr, const char *mailbox)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct diralias_pair *p = reallocarray(b->p, cap, sizeof(*p));

		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n].addr = addr;
	b->p[b->n].mailbox = mailbox;
	b->p[b->n].rank = b->n;
	b->n++;
	return 0;
}

/*
 * The interned whole canonical address of one "attribute:value", or NULL
 * when it names none.  *is_mail is set for the mail attribute.
 */
static const char *
diralias_value(const char *tagged, int *is_mail)
{
	char canon[ADDRESS_CANONICAL_MAX + 1];
	const char *colon = strchr(tagged, ':'), *v;
	size_t alen;
	struct address a;

	*is_mail = 0;
	if (colon == NULL)
		return NULL;
	alen = (size_t)(colon - tagged);
	v = colon + 1;
	if (alen == 14 && strncasecmp(tagged, "proxyAddresses", alen) == 0) {
		/* "SMTP:" is the primary address, "smtp:" the others; X400: and
		 * the like are no mail addresses. */
		if (strncasecmp(v, "smtp:", 5) != 0)
			return NULL;
		v += 5;
	}
	*is_mail = alen == 4 && strncasecmp(tagged, "mail", 4) == 0;
	if (address_parse(v, strlen(v), &a) != ADDRESS_OK || a.nhops != 1 ||
	    a.route != ROUTE_NONE || address_canonical(&a, NULL, canon, sizeof(canon)) != 0)
		return NULL;
	return diralias_intern(canon);
}

/* One entry's values [from, to): its addresses, all under one mailbox. */
static int
diralias_entry(struct diralias_builder *b, char *const *v, size_t from, size_t to,
    const char *mailbox)
{
	const char *addrs[DIRALIAS_ENTRY_MAX], *mail = NULL;
	size_t n = 0;
	int is_mail;

	for (size_t i = from; i < to && n < DIRALIAS_ENTRY_MAX; i++) {
		const char *addr = diralias_value(v[i], &is_mail);

		if (addr == NULL)
			continue;
		if (is_mail && mail == NULL)
			mail = addr;
		addrs[n++] = addr;
	}
	if (n == 0)
		return 0;
	if (mailbox == NULL)
		mailbox = mail != NULL ? mail : addrs[0];
	for (size_t i = 0; i < n; i++)
		if (diralias_push(b, addrs[i], mailbox) != 0)
			return -1;
	return 0;
}

int
diralias_add(struct diralias_builder *b, const struct dir_values *entries, const char *mailbox)
{
	size_t start = 0;

	if (b == NULL || entries == NULL)
		return -1;
	if (mailbox != NULL && (mailbox = diralias_intern(mailbox)) == NULL)
		return -1;
	for (size_t i = 0; i <= entries->n; i++) {
		if (i < entries->n && entries->v[i][0] != '\0')
			continue;
		if (diralias_entry(b, entries->v, start, i, mailbox) != 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

static int
diralias_cmp(const void *x, const void *y)
{
	const struct diralias_pair *a = x, *b = y;
	int c = strcmp(a->addr, b->addr);

	if (c != 0)
		return c;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

struct diralias *
diralias_build(struct diralias_builder *b)
{
	struct diralias *s;
	size_t n = 0;

	if (b == NULL)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		diralias_builder_free(b);
		return NULL;
	}
	if (b->n > 0)
		qsort(b->p, b->n, sizeof(*b->p), diralias_cmp);
	for (size_t i = 0; i < b->n; i++)
		if (n == 0 || strcmp(b->p[n - 1].addr, b->p[i].addr) != 0)
			b->p[n++] = b->p[i];
	s->p = b->p;
	s->n = n;
	free(b);
	return s;
}

void
diralias_free(struct diralias *s)
{
	if (s == NULL)
		return;
	free(s->p);
	free(s);
}

static int
diralias_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct diralias_pair *)elem)->addr);
}

const char *
diralias_find(const struct diralias *s, const char *canonical)
{
	const struct diralias_pair *hit;

	if (s == NULL || canonical == NULL || s->n == 0)
		return NULL;
	hit = bsearch(canonical, s->p, s->n, sizeof(*s->p), diralias_key_cmp);
	return hit != NULL ? hit->mailbox : NULL;
}

size_t
diralias_count(const struct diralias *s)
{
	return s != NULL ? s->n : 0;
}
