/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verify.c - classifies the entries of <prefix>audit against their hash
 * chains (verify.h; man/fwdguard-audit.1, VERIFY).
 *
 * Each entry is checked on its own (its fields against its hash) and
 * against the last entry of its chain seen before it (seq one more, prev
 * equal to that entry's hash).  A seq that jumps ahead is a gap; when a
 * missing seq turns up later in the stream, with a valid hash, the gap
 * was a reordering and is reported as such.  A chain may begin past seq 1
 * only because its beginning is not in the stream: retention trims from
 * the start, and the summary says where each chain begins.
 *
 * Anchors (heads written to <prefix>alerts) are checked on the way: the
 * entry at an anchored seq must have the anchored hash, and a chain must
 * reach every seq anchored for it, which is what reveals records deleted
 * from a chain's end, where no later record's seq shows the gap.  They
 * are sorted by chain and seq once, and each chain keeps a cursor into
 * them: one comparison per entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grow.h"
#include "hash.h"
#include "record_fields.h"
#include "verify.h"

#define SID_MAX		48	/* "<ms>-<seq>": 20 + 1 + 20 digits */
#define BUCKETS		4096
#define CHAINS_MAX	10000	/* more is an attack on verify's memory, not a trail */
#define PROBLEMS_KEPT	100
#define ANCHORS_MAX	200000	/* hourly anchors of many daemons over years */

enum problem_kind { P_MISSING, P_ALTERED, P_LINK, P_REORDERED, P_UNCHAINED, P_MALFORMED,
	P_CHAINS, P_ANCHOR, P_TAIL };

struct problem {
	enum problem_kind kind;
	char sid[SID_MAX], other[SID_MAX];
	char chain[CHAIN_ID_LEN + 1];
	char host[128];
	unsigned long long seq, seq_to, other_seq;
	bool resolved;
};

struct vanchor {
	char chain[CHAIN_ID_LEN + 1];
	unsigned long long seq;
	char hash[CHAIN_HEX + 1];
	char sid[SID_MAX];	/* of the anchor in <prefix>alerts */
	bool met;		/* its chain has an entry at its seq */
};

struct vchain {
	struct chain_head h;	/* the last entry seen: seq and hash */
	unsigned long long first_seq, count;
	long long first_ms, last_ms;
	char first_sid[SID_MAX], last_sid[SID_MAX];
	char *start;		/* chain_start of its seq 1, when seen */
	size_t anc, anc_end;	/* its anchors not yet reached */
	struct vchain *bucket_next, *next;
};

struct verify {
	char *host;
	bool partial;
	struct vchain *bucket[BUCKETS];
	struct vchain *first, *last;
	size_t nchains;
	struct problem kept[PROBLEMS_KEPT];
	size_t nkept;
	unsigned long problems;
	unsigned long long entries, unchained;
	struct vanchor *anchors;
	size_t nanchors, anchors_cap, anchors_dropped;
	bool anchors_sorted;
};

static const char zero_hash[CHAIN_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct verify *verify_new(const char *host, bool partial)
{
	struct verify *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	if (host != NULL && (v->host = strdup(host)) == NULL) {
		free(v);
		return NULL;
	}
	v->partial = partial;
	return v;
}

void verify_free(struct verify *v)
{
	if (v == NULL)
		return;
	for (struct vchain *c = v->first, *next; c != NULL; c = next) {
		next = c->next;
		free(c->start);
		free(c);
	}
	free(v->anchors);
	free(v->host);
	free(v);
}

int verify_anchor(struct verify *v, const char *sid, const char *chain, unsigned long long seq,
    const char *hash)
{
	if (v->nanchors == ANCHORS_MAX) {
		v->anchors_dropped++;
		return 0;
	}
	struct vanchor *p = grow_one(v->anchors, v->nanchors, &v->anchors_cap, sizeof(*p), 64);
	if (p == NULL)
		return -1;
	v->anchors = p;
	struct vanchor *a = &v->anchors[v->nanchors++];
	snprintf(a->chain, sizeof(a->chain), "%s", chain);
	a->seq = seq;
	snprintf(a->hash, sizeof(a->hash), "%s", hash);
	snprintf(a->sid, sizeof(a->sid), "%s", sid);
	a->met = false;
	v->anchors_sorted = false;
	return 0;
}

static int verify_anchor_cmp(const void *pa, const void *pb)
{
	const struct vanchor *a = pa, *b = pb;
	int c = strcmp(a->chain, b->chain);
	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The range of a chain's anchors (sorted on first use). */
static void verify_anchor_range(struct verify *v, struct vchain *c)
{
	if (!v->anchors_sorted) {
		if (v->nanchors > 0)
			qsort(v->anchors, v->nanchors, sizeof(*v->anchors), verify_anchor_cmp);
		v->anchors_sorted = true;
	}
	size_t lo = 0, hi = v->nanchors;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v->anchors[mid].chain, c->h.id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	c->anc = c->anc_end = lo;
	while (c->anc_end < v->nanchors && strcmp(v->anchors[c->anc_end].chain, c->h.id) == 0)
		c->anc_end++;
}

static const struct chain_field *verify_field(const struct chain_field *f, size_t n,
    const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (f[i].nlen == len && memcmp(f[i].name, name, len) == 0)
			return &f[i];
	return NULL;
}

static bool verify_eq(const struct chain_field *f, const char *s)
{
	return f != NULL && f->vlen == strlen(s) && memcmp(f->value, s, f->vlen) == 0;
}

/* Copies a value for printing: bounded, control bytes as '?'. */
static void verify_copy(char *out, size_t size, const struct chain_field *f)
{
	size_t n = 0;
	for (size_t i = 0; f != NULL && i < f->vlen && n + 1 < size; i++) {
		unsigned char c = (unsigned char)f->value[i];
		out[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
}

static bool verify_hex(const struct chain_field *f, size_t want)
{
	if (f == NULL || f->vlen != want)
		return false;
	for (size_t i = 0; i < want; i++) {
		char c = f->value[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* A seq: 1 to 19 decimal digits, no sign, no leading zero.  0 when not one. */
static unsigned long long verify_seq(const struct chain_field *f)
{
	unsigned long long n = 0;
	if (f == NULL || f->vlen == 0 || f->vlen > 19 || f->value[0] == '0')
		return 0;
	for (size_t i = 0; i < f->vlen; i++) {
		if (f->value[i] < '0' || f->value[i] > '9')
			return 0;
		n = n * 10 + (unsigned long long)(f->value[i] - '0');
	}
	return n;
}

static long long verify_ms(const struct chain_field *ts, const char *sid)
{
	if (ts != NULL && ts->vlen > 0 && ts->vlen < 20) {
		char buf[24];
		memcpy(buf, ts->value, ts->vlen);
		buf[ts->vlen] = '\0';
		return strtoll(buf, NULL, 10);
	}
	return strtoll(sid, NULL, 10);
}

static struct problem *verify_problem(struct verify *v, enum problem_kind kind, const char *sid,
    const struct chain_field *host, const char *chain, unsigned long long seq)
{
	v->problems++;
	if (v->nkept == PROBLEMS_KEPT)
		return NULL;
	struct problem *p = &v->kept[v->nkept++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	snprintf(p->sid, sizeof(p->sid), "%s", sid);
	snprintf(p->chain, sizeof(p->chain), "%s", chain != NULL ? chain : "");
	verify_copy(p->host, sizeof(p->host), host);
	p->seq = p->seq_to = seq;
	return p;
}

static unsigned verify_bucket(const char *id)
{
	return (unsigned)(hash_str(HASH_INIT, id) % BUCKETS);
}

static struct vchain *verify_find(struct verify *v, const char *id)
{
	for (struct vchain *c = v->bucket[verify_bucket(id)]; c != NULL; c = c->bucket_next)
		if (strcmp(c->h.id, id) == 0)
			return c;
	return NULL;
}

/* Whether the host (of a record without chain fields) has a chain already. */
static bool verify_host_chained(const struct verify *v, const struct chain_field *host)
{
	for (const struct vchain *c = v->first; c != NULL; c = c->next)
		if (host != NULL ? verify_eq(host, c->h.host) : c->h.host[0] == '\0')
			return true;
	return false;
}

static struct vchain *verify_add(struct verify *v, const char *id, const struct chain_field *host)
{
	struct vchain *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	snprintf(c->h.id, sizeof(c->h.id), "%s", id);
	verify_copy(c->h.host, sizeof(c->h.host), host);
	unsigned b = verify_bucket(id);
	c->bucket_next = v->bucket[b];
	v->bucket[b] = c;
	if (v->last != NULL)
		v->last->next = c;
	else
		v->first = c;
	v->last = c;
	v->nchains++;
	return c;
}

/* A seq at or below the chain's last: a late record filling a gap, or one out of place. */
static void verify_late(struct verify *v, struct vchain *c, const char *sid,
    const struct chain_field *host, unsigned long long seq, bool hash_ok)
{
	for (size_t i = 0; hash_ok && i < v->nkept; i++) {
		struct problem *p = &v->kept[i];
		if (p->kind != P_MISSING || p->resolved || strcmp(p->chain, c->h.id) != 0 ||
		    seq < p->seq || seq > p->seq_to)
			continue;
		if (p->seq == p->seq_to)
			p->resolved = true;
		else if (seq == p->seq)
			p->seq++;
		else if (seq == p->seq_to)
			p->seq_to--;
		if (p->resolved)
			v->problems--;
		break;
	}
	struct problem *p = verify_problem(v, P_REORDERED, sid, host, c->h.id, seq);
	if (p != NULL) {
		p->other_seq = c->h.seq;
		snprintf(p->other, sizeof(p->other), "%s", c->last_sid);
	}
}

/* Links an entry to the last one of its chain; false when it is a late one (head unchanged). */
static bool verify_link(struct verify *v, struct vchain *c, const char *sid,
    const struct chain_field *host, unsigned long long seq, const struct chain_field *prev,
    bool hash_ok)
{
	struct problem *p;
	if (seq <= c->h.seq) {
		verify_late(v, c, sid, host, seq, hash_ok);
		return false;
	}
	if (seq == c->h.seq + 1) {
		if (!verify_eq(prev, c->h.hash) &&
		    (p = verify_problem(v, P_LINK, sid, host, c->h.id, seq)) != NULL) {
			p->other_seq = c->h.seq;
			snprintf(p->other, sizeof(p->other), "%s", c->last_sid);
		}
		return true;
	}
	if ((p = verify_problem(v, P_MISSING, sid, host, c->h.id, c->h.seq + 1)) != NULL) {
		p->seq_to = seq - 1;
		p->other_seq = c->h.seq;
		snprintf(p->other, sizeof(p->other), "%s", c->last_sid);
	}
	return true;
}

/* The first entry of a chain in the walk. */
static void verify_begin(struct verify *v, struct vchain *c, const char *sid,
    const struct chain_field *host, unsigned long long seq, const struct chain_field *prev,
    const struct chain_field *start)
{
	c->first_seq = seq;
	snprintf(c->first_sid, sizeof(c->first_sid), "%s", sid);
	if (seq == 1 && !verify_eq(prev, zero_hash))
		verify_problem(v, P_LINK, sid, host, c->h.id, seq);
	if (seq == 1 && start != NULL) {
		char reason[512];
		verify_copy(reason, sizeof(reason), start);
		c->start = strdup(reason);
	}
}

/* The chain's entry just taken (c->h) against the anchors of its seq; earlier ones are passed. */
static void verify_anchor_check(struct verify *v, struct vchain *c, const char *sid,
    const struct chain_field *host)
{
	for (; c->anc < c->anc_end && v->anchors[c->anc].seq <= c->h.seq; c->anc++) {
		struct vanchor *a = &v->anchors[c->anc];
		if (a->seq < c->h.seq)
			continue;	/* not in the walk: before its start, or in a gap named already */
		a->met = true;
		struct problem *p;
		if (strcmp(a->hash, c->h.hash) != 0 &&
		    (p = verify_problem(v, P_ANCHOR, sid, host, c->h.id, c->h.seq)) != NULL)
			snprintf(p->other, sizeof(p->other), "%s", a->sid);
	}
}

/* After the walk: anchored seqs a chain never reached were cut off its end. */
static void verify_tails(struct verify *v)
{
	for (struct vchain *c = v->first; c != NULL; c = c->next) {
		if (c->anc >= c->anc_end)
			continue;
		const struct vanchor *a = &v->anchors[c->anc_end - 1];
		struct problem *p = verify_problem(v, P_TAIL, c->last_sid, NULL, c->h.id,
		    c->h.seq + 1);
		if (p != NULL) {
			snprintf(p->host, sizeof(p->host), "%.127s", c->h.host);
			p->seq_to = a->seq;
			snprintf(p->other, sizeof(p->other), "%s", a->sid);
		}
		c->anc = c->anc_end;
	}
}

int verify_entry(struct verify *v, const char *sid, const struct chain_field *f, size_t n)
{
	const struct chain_field *host = verify_field(f, n, REC_HOST), *id = verify_field(f, n, REC_CHAIN);
	const struct chain_field *seqf = verify_field(f, n, REC_SEQ), *prev = verify_field(f, n, REC_PREV);
	const struct chain_field *hash = verify_field(f, n, REC_HASH);
	char idbuf[CHAIN_ID_LEN + 1], digest[CHAIN_HEX + 1];

	if (v->host != NULL && !verify_eq(host, v->host))
		return 0;
	v->entries++;
	if (id == NULL && seqf == NULL && prev == NULL && hash == NULL) {
		/* Written before chaining began; after it, an entry nobody chained. */
		if (verify_host_chained(v, host))
			verify_problem(v, P_UNCHAINED, sid, host, NULL, 0);
		else
			v->unchained++;
		return 0;
	}
	unsigned long long seq = verify_seq(seqf);
	if (!verify_hex(id, CHAIN_ID_LEN) || seq == 0 || !verify_hex(prev, CHAIN_HEX) ||
	    !verify_hex(hash, CHAIN_HEX)) {
		verify_problem(v, P_MALFORMED, sid, host, NULL, 0);
		return 0;
	}
	memcpy(idbuf, id->value, CHAIN_ID_LEN);
	idbuf[CHAIN_ID_LEN] = '\0';
	bool hash_ok = chain_digest(f, n, digest) == 0 && verify_eq(hash, digest);
	if (!hash_ok)
		verify_problem(v, P_ALTERED, sid, host, idbuf, seq);

	struct vchain *c = verify_find(v, idbuf);
	if (c == NULL) {
		if (v->nchains >= CHAINS_MAX) {
			verify_problem(v, P_CHAINS, sid, host, idbuf, seq);
			return 0;
		}
		if ((c = verify_add(v, idbuf, host)) == NULL)
			return -1;
		verify_begin(v, c, sid, host, seq, prev, verify_field(f, n, REC_CHAIN_START));
		verify_anchor_range(v, c);
		c->first_ms = verify_ms(verify_field(f, n, REC_TS), sid);
	} else if (!verify_link(v, c, sid, host, seq, prev, hash_ok)) {
		return 0;
	}
	c->h.seq = seq;
	memcpy(c->h.hash, hash->value, CHAIN_HEX);
	c->h.hash[CHAIN_HEX] = '\0';
	verify_anchor_check(v, c, sid, host);
	snprintf(c->last_sid, sizeof(c->last_sid), "%s", sid);
	c->last_ms = verify_ms(verify_field(f, n, REC_TS), sid);
	c->count++;
	return 0;
}

unsigned long verify_problems(const struct verify *v)
{
	return v->problems;
}

static void verify_print_problem(FILE *out, const struct problem *p)
{
	switch (p->kind) {
	case P_MISSING:
		if (p->seq == p->seq_to)
			fprintf(out, "missing: host %s chain %s seq %llu: not in the stream between "
			    "%s (seq %llu) and %s (seq %llu)\n", p->host, p->chain, p->seq, p->other,
			    p->other_seq, p->sid, p->seq_to + 1);
		else
			fprintf(out, "missing: host %s chain %s seq %llu..%llu: not in the stream "
			    "between %s (seq %llu) and %s (seq %llu)\n", p->host, p->chain, p->seq,
			    p->seq_to, p->other, p->other_seq, p->sid, p->seq_to + 1);
		break;
	case P_ALTERED:
		fprintf(out, "altered: %s host %s chain %s seq %llu: its fields do not match its "
		    "hash\n", p->sid, p->host, p->chain, p->seq);
		break;
	case P_LINK:
		if (p->seq == 1)
			fprintf(out, "altered: %s host %s chain %s seq 1: its prev is not zero\n",
			    p->sid, p->host, p->chain);
		else
			fprintf(out, "altered: %s host %s chain %s seq %llu: its prev is not the hash "
			    "of seq %llu (%s): one of the two was rewritten\n", p->sid, p->host,
			    p->chain, p->seq, p->other_seq, p->other);
		break;
	case P_REORDERED:
		fprintf(out, "reordered: %s host %s chain %s seq %llu comes after seq %llu (%s)\n",
		    p->sid, p->host, p->chain, p->seq, p->other_seq, p->other);
		break;
	case P_UNCHAINED:
		fprintf(out, "inserted: %s host %s: an entry without chain fields after the host's "
		    "chain began\n", p->sid, p->host);
		break;
	case P_MALFORMED:
		fprintf(out, "altered: %s host %s: its chain fields are malformed\n", p->sid, p->host);
		break;
	case P_ANCHOR:
		fprintf(out, "altered: %s host %s chain %s seq %llu: its hash differs from the "
		    "anchor %s\n", p->sid, p->host, p->chain, p->seq, p->other);
		break;
	case P_TAIL:
		fprintf(out, "missing: host %s chain %s seq %llu..%llu: anchored (%s) but not in the "
		    "stream after %s: the chain's end was deleted\n", p->host, p->chain, p->seq,
		    p->seq_to, p->other, p->sid);
		break;
	case P_CHAINS:
		fprintf(out, "inserted: %s host %s chain %s: more than %d chains in the stream\n",
		    p->sid, p->host, p->chain, CHAINS_MAX);
		break;
	}
}

static void verify_time(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void verify_print_chain(FILE *out, const struct verify *v, const struct vchain *c)
{
	char t1[32], t2[32];
	verify_time(c->first_ms, t1, sizeof(t1));
	verify_time(c->last_ms, t2, sizeof(t2));
	fprintf(out, "host %s chain %s: %llu records, seq %llu..%llu, %s .. %s, head %s\n",
	    c->h.host, c->h.id, c->count, c->first_seq, c->h.seq, t1, t2, c->h.hash);
	if (c->first_seq == 1)
		fprintf(out, "  begins at seq 1 (%s): %s\n", c->first_sid,
		    c->start != NULL ? c->start : "chain start");
	else if (v->partial)
		fprintf(out, "  from seq %llu (%s): the walk starts at --since\n", c->first_seq,
		    c->first_sid);
	else
		fprintf(out, "  begins at seq %llu (%s): the records before it are not in the "
		    "stream (trimmed by audit.retention or stream_maxlen, or deleted: compare "
		    "with the anchors)\n", c->first_seq, c->first_sid);
}

/* Anchors of chains the walk never saw: trimmed whole, or deleted whole (not told apart). */
static void verify_print_unmet(struct verify *v, FILE *out)
{
	unsigned long n = 0;
	const struct vanchor *last = NULL;
	for (size_t i = 0; i < v->nanchors; i++) {
		if (v->anchors[i].met || verify_find(v, v->anchors[i].chain) != NULL)
			continue;
		n++;
		last = &v->anchors[i];
	}
	if (n > 0 && v->host == NULL && !v->partial)
		fprintf(out, "%lu anchors name chains with no record in the stream (trimmed by "
		    "retention, or deleted), the last %s: chain %s seq %llu\n", n, last->sid,
		    last->chain, last->seq);
	if (v->anchors_dropped > 0)
		fprintf(out, "%zu anchors past the first %d were not checked\n", v->anchors_dropped,
		    ANCHORS_MAX);
}

unsigned long verify_report(struct verify *v, FILE *out)
{
	verify_tails(v);
	for (size_t i = 0; i < v->nkept; i++)
		if (!v->kept[i].resolved)
			verify_print_problem(out, &v->kept[i]);
	size_t shown = 0;
	for (size_t i = 0; i < v->nkept; i++)
		shown += !v->kept[i].resolved;
	if (v->problems > shown)
		fprintf(out, "... and %lu more problems\n", v->problems - shown);
	fprintf(out, "verify: %llu entries, %zu chains: %s\n", v->entries, v->nchains,
	    v->problems == 0 ? "intact" : "BROKEN");
	for (const struct vchain *c = v->first; c != NULL; c = c->next)
		verify_print_chain(out, v, c);
	verify_print_unmet(v, out);
	if (v->unchained > 0)
		fprintf(out, "%llu entries without chain fields, from before chaining began\n",
		    v->unchained);
	return v->problems;
}

void verify_heads(const struct verify *v, void (*fn)(void *ctx, const struct chain_head *h,
    long long last_ms), void *ctx)
{
	for (const struct vchain *c = v->first; c != NULL; c = c->next)
		fn(ctx, &c->h, c->last_ms);
}
