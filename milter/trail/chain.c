/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * chain.c - the hash chain over decision records: the canonical encoding,
 * stamping a record as it enters the journal, and the head a journal
 * line leaves (see chain.h; the encoding is specified in
 * man/fwdguard-audit.1, VERIFY, for anyone who re-implements verify).
 *
 * Netstrings make the encoding injective: a value holding "\n" or "="
 * cannot pass for a field boundary, so moving text between fields changes
 * the hash.  Sorting the names makes it independent of the field order a
 * tool that copies an entry might choose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "ids.h"
#include "record_fields.h"
#include "sha256.h"

#define CHAIN_READ_CAP	(256 * 1024)
#define CHAIN_MAGIC	"fwdguard-chain-1\n"

static const char chain_zero[CHAIN_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static bool chain_skipped(const char *name, size_t len)
{
	return (len == strlen(REC_HASH) && memcmp(name, REC_HASH, len) == 0) ||
	    (len == strlen(REC_KIND) && memcmp(name, REC_KIND, len) == 0);
}

/* Bytewise order of two names with lengths. */
static int chain_name_cmp(const struct chain_field *a, const struct chain_field *b)
{
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c = memcmp(a->name, b->name, n);
	if (c != 0)
		return c;
	return a->nlen < b->nlen ? -1 : a->nlen > b->nlen;
}

/* snprintf was a third of a record's stamping time: the length is written by hand. */
static void chain_netstring(struct sha256 *s, const char *p, size_t len)
{
	char num[24];
	size_t at = sizeof(num), n = len;
	num[--at] = ':';
	do {
		num[--at] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	sha256_update(s, num + at, sizeof(num) - at);
	sha256_update(s, p, len);
	sha256_update(s, ",", 1);
}

int chain_digest(const struct chain_field *f, size_t n, char out[CHAIN_HEX + 1])
{
	const struct chain_field *sorted[CHAIN_FIELDS_MAX];
	size_t k = 0;

	if (n > CHAIN_FIELDS_MAX)
		return -1;
	/* Insertion sort: a record has a few dozen fields. */
	for (size_t i = 0; i < n; i++) {
		if (chain_skipped(f[i].name, f[i].nlen))
			continue;
		size_t j = k;
		while (j > 0 && chain_name_cmp(sorted[j - 1], &f[i]) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		if (j > 0 && chain_name_cmp(sorted[j - 1], &f[i]) == 0)
			return -1;
		sorted[j] = &f[i];
		k++;
	}
	struct sha256 s;
	unsigned char md[32];
	static const char hex[] = "0123456789abcdef";
	sha256_init(&s);
	sha256_update(&s, CHAIN_MAGIC, strlen(CHAIN_MAGIC));
	for (size_t i = 0; i < k; i++) {
		chain_netstring(&s, sorted[i]->name, sorted[i]->nlen);
		chain_netstring(&s, sorted[i]->value, sorted[i]->vlen);
	}
	sha256_final(&s, md);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[CHAIN_HEX] = '\0';
	return 0;
}

bool chain_covers(const struct record *r)
{
	const char *kind = record_get(r, REC_KIND);
	return kind != NULL && strcmp(kind, REC_KIND_DECISION) == 0;
}

static int chain_record_digest(const struct record *r, char out[CHAIN_HEX + 1])
{
	struct chain_field f[RECORD_FIELDS_MAX];
	size_t n = record_count(r);
	for (size_t i = 0; i < n; i++) {
		record_field(r, i, &f[i].name, &f[i].value);
		f[i].nlen = strlen(f[i].name);
		f[i].vlen = strlen(f[i].value);
	}
	return chain_digest(f, n, out);
}

/* A fresh chain id: 128 random bits; without entropy, time and pid still differ per start. */
static void chain_new_id(char out[CHAIN_ID_LEN + 1])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long x = (unsigned long long)ts.tv_sec * 1000000000ULL +
		    (unsigned long long)ts.tv_nsec, y = (unsigned long long)getpid();
		memcpy(b, &x, 8);
		memcpy(b + 8, &y, 8);
	}
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Starts a chain in next for a record of host: why, in reason. */
static void chain_begin(const struct chain_head *h, struct chain_head *next, const char *host,
    char *reason, size_t size)
{
	if (h->id[0] == '\0')
		snprintf(reason, size, "no chain state in the spool (first start, or the spool "
		    "was lost or replaced)");
	else
		snprintf(reason, size, "host name changed from %.256s (chain %s ended at seq %llu, "
		    "hash %s)", h->host, h->id, h->seq, h->hash);
	chain_new_id(next->id);
	snprintf(next->host, sizeof(next->host), "%s", host);
	next->seq = 1;
	memcpy(next->hash, chain_zero, sizeof(chain_zero));
}

int chain_stamp(struct chain_head *h, struct record *r)
{
	struct chain_head next;
	const char *host = record_get(r, REC_HOST);
	char reason[RECORD_VALUE_MAX + 1] = "", seq[24];
	int rc = 0;

	if (host == NULL)
		host = "";
	if (h->id[0] == '\0' || strcmp(h->host, host) != 0) {
		chain_begin(h, &next, host, reason, sizeof(reason));
	} else {
		next = *h;
		next.seq++;
	}
	snprintf(seq, sizeof(seq), "%llu", next.seq);
	rc |= record_set(r, REC_CHAIN, next.id);
	rc |= record_set(r, REC_SEQ, seq);
	rc |= record_set(r, REC_PREV, next.hash);
	if (reason[0] != '\0')
		rc |= record_set(r, REC_CHAIN_START, reason);
	if (rc != 0 || chain_record_digest(r, next.hash) != 0 ||
	    record_set(r, REC_HASH, next.hash) != 0) {
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	*h = next;
	return 0;
}

static bool chain_hex_ok(const char *s, size_t want)
{
	if (s == NULL || strlen(s) != want)
		return false;
	for (size_t i = 0; i < want; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int chain_head_from(const struct record *r, struct chain_head *h)
{
	const char *kind = record_get(r, REC_KIND), *id = record_get(r, REC_CHAIN);
	const char *seq = record_get(r, REC_SEQ), *hash = record_get(r, REC_HASH);
	const char *host = record_get(r, REC_HOST);
	char *end;

	if (kind == NULL || (strcmp(kind, REC_KIND_DECISION) != 0 && strcmp(kind, REC_KIND_CHAIN) != 0))
		return 0;
	if (!chain_hex_ok(id, CHAIN_ID_LEN) || !chain_hex_ok(hash, CHAIN_HEX) || seq == NULL ||
	    seq[0] < '0' || seq[0] > '9')
		return 0;
	errno = 0;
	unsigned long long n = strtoull(seq, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	memcpy(h->id, id, CHAIN_ID_LEN + 1);
	snprintf(h->host, sizeof(h->host), "%s", host != NULL ? host : "");
	h->seq = n;
	memcpy(h->hash, hash, CHAIN_HEX + 1);
	return 1;
}

struct record *chain_head_record(const struct chain_head *h)
{
	struct record *r = record_new(REC_KIND_CHAIN);
	char seq[24];
	snprintf(seq, sizeof(seq), "%llu", h->seq);
	if (r == NULL || record_set(r, REC_CHAIN, h->id) != 0 || record_set(r, REC_HOST, h->host) != 0 ||
	    record_set(r, REC_SEQ, seq) != 0 || record_set(r, REC_HASH, h->hash) != 0) {
		record_free(r);
		return NULL;
	}
	return r;
}

/* A journal line's head, when it has one (the cheap test first: most lines have no chain). */
static int chain_line_head(const char *line, size_t len, struct chain_head *h)
{
	if (memmem(line, len, "\tchain=", 7) == NULL)
		return 0;
	struct record *r = record_decode(line, len);
	int found = r != NULL && chain_head_from(r, h);
	record_free(r);
	return found;
}

int chain_journal_head(int fd, struct chain_head *h)
{
	size_t cap = CHAIN_READ_CAP, len = 0;
	off_t off = 0;
	int found = 0;
	bool skip = false;	/* inside a line longer than the buffer */
	char *buf = malloc(cap);

	if (buf == NULL)
		return -1;
	for (;;) {
		ssize_t got = pread(fd, buf + len, cap - len, off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		off += got;
		len += (size_t)got;
		char *p = buf, *end = buf + len, *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (!skip && chain_line_head(p, (size_t)(nl - p), h))
				found = 1;
			skip = false;
			p = nl + 1;
		}
		len = (size_t)(end - p);
		memmove(buf, p, len);
		if (len == cap) {
			skip = true;
			len = 0;
		}
	}
	free(buf);
	return found;
}

struct record *chain_anchor_record(const struct chain_head *h, const char *source)
{
	char id[IDS_LEN + 1], seq[24], ts[24], summary[RECORD_VALUE_MAX + 1];
	struct timespec now;
	struct record *r = record_new(REC_KIND_ALERT);
	int rc = 0;

	if (r == NULL)
		return NULL;
	ids_new(id);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ts, sizeof(ts), "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	snprintf(seq, sizeof(seq), "%llu", h->seq);
	snprintf(summary, sizeof(summary), "audit chain anchor (%s): host %.256s chain %s seq %llu "
	    "hash %s", source, h->host, h->id, h->seq, h->hash);
	rc |= record_set(r, REC_ID, id);
	rc |= record_set(r, REC_TS, ts);
	rc |= record_set(r, REC_TYPE, REC_TYPE_ANCHOR);
	rc |= record_set(r, REC_LEVEL, "info");
	rc |= record_set(r, REC_SOURCE, source);
	rc |= record_set(r, REC_HOST, h->host);
	rc |= record_set(r, REC_CHAIN, h->id);
	rc |= record_set(r, REC_SEQ, seq);
	rc |= record_set(r, REC_HASH, h->hash);
	rc |= record_set(r, REC_SUMMARY, summary);
	if (rc != 0) {
		record_free(r);
		return NULL;
	}
	return r;
}
