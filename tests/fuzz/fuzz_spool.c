/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_spool.c - spool record decoding (milter/trail/record.c, milter/trail/spool.c).
 *
 * Each input line is decoded as a record; a record that decodes must
 * encode and decode again to the same fields (what replay relies on).
 * The whole input is then written as a journal into a scratch spool,
 * with its first line as the reader's cursor, and read back with
 * spool_next() to the end: torn, overlong and undecodable lines must be
 * passed over, never read out of bounds.  A form feed splits the journal
 * part in two: what precedes it is an older journal, which the reader
 * reads past NUL bytes (a crash's hole), what follows the newest, where
 * a NUL ends the lines (its zeros written ahead).  Before reading a
 * journal with chain fields, one decision is committed: the writer
 * recovers the hash chain's head from the fuzzed journal (chain fields
 * and "kind=chain" head lines, valid or not) and must stamp the new
 * record with a hash that verifies.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain.h"
#include "fuzz_policy.h"
#include "record.h"
#include "spool.h"

#define FUZZ_LINES_MAX		256
#define FUZZ_RECORDS_MAX	4096

static char fuzz_dir[256];

static void fuzz_roundtrip(const char *line, size_t len)
{
	struct record *r = record_decode(line, len);
	size_t elen;

	if (r == NULL)
		return;
	struct chain_head h;
	(void)chain_head_from(r, &h);
	char *enc = record_encode(r, &elen);
	if (enc == NULL || elen == 0 || enc[elen - 1] != '\n')
		abort();
	struct record *again = record_decode(enc, elen - 1);
	if (again == NULL || record_count(again) != record_count(r))
		abort();
	for (size_t i = 0; i < record_count(r); i++) {
		const char *f, *v, *f2, *v2;
		record_field(r, i, &f, &v);
		record_field(again, i, &f2, &v2);
		if (strcmp(f, f2) != 0 || strcmp(v, v2) != 0)
			abort();
	}
	record_free(again);
	free(enc);
	record_free(r);
}

static void fuzz_write(const char *name, const uint8_t *p, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (len > 0 && write(fd, p, len) != (ssize_t)len) || close(fd) != 0)
		abort();
}

static void fuzz_clean(void)
{
	DIR *d = opendir(fuzz_dir);
	struct dirent *de;
	char path[512];

	if (d == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

/* A committed decision carries a seq and a hash of its own fields. */
static void fuzz_commit_decision(struct spool *s)
{
	struct record *r = record_new("decision");
	struct chain_field f[RECORD_FIELDS_MAX];
	char digest[CHAIN_HEX + 1];

	if (r == NULL || record_set(r, "id", "F") != 0 || record_set(r, "host", "fuzz") != 0 ||
	    spool_commit(s, &r, 1) != 0 || record_get(r, "seq") == NULL ||
	    record_get(r, "hash") == NULL)
		abort();
	for (size_t i = 0; i < record_count(r); i++) {
		record_field(r, i, &f[i].name, &f[i].value);
		f[i].nlen = strlen(f[i].name);
		f[i].vlen = strlen(f[i].value);
	}
	if (chain_digest(f, record_count(r), digest) != 0 ||
	    strcmp(digest, record_get(r, "hash")) != 0)
		abort();
	record_free(r);
}

static void fuzz_journal(const uint8_t *data, size_t size)
{
	const uint8_t *nl = size > 0 ? memchr(data, '\n', size) : NULL;
	size_t clen = nl != NULL ? (size_t)(nl - data) + 1 : 0;
	char err[256];

	const uint8_t *body = data + clen;
	size_t blen = size - clen;
	const uint8_t *ff = blen > 0 ? memchr(body, '\f', blen) : NULL;

	fuzz_write("cursor", data, clen);
	if (ff == NULL)
		fuzz_write("journal-00000000000000000001", body, blen);
	else {
		size_t olen = (size_t)(ff - body);
		fuzz_write("journal-00000000000000000001", body, olen);
		fuzz_write("journal-00000000000000000002", ff + 1, blen - olen - 1);
	}
	struct spool *s = spool_open(fuzz_dir, err, sizeof(err));
	if (s == NULL)
		abort();
	/* Only for journals with chain fields: a commit costs a sync. */
	if (memmem(data, size, "chain=", 6) != NULL)
		fuzz_commit_decision(s);
	struct record *r;
	size_t n = 0;
	while ((r = spool_next(s)) != NULL) {
		(void)record_get(r, "kind");
		record_free(r);
		if (++n > FUZZ_RECORDS_MAX)
			abort();
	}
	spool_close(s);
	fuzz_clean();
}

/* libFuzzer ends with exit(): leave no scratch spool behind. */
static void fuzz_remove_dir(void)
{
	fuzz_clean();
	rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz-spool.XXXXXX",
	    tmp != NULL && strlen(tmp) < 200 ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	atexit(fuzz_remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	for (int i = 0; i < FUZZ_LINES_MAX && in.len > 0; i++) {
		size_t len;
		char *line = fuzz_piece(&in, '\n', &len);
		/* An exact-length copy: the decoder gets no NUL to lean on. */
		char *exact = malloc(len > 0 ? len : 1);
		if (exact == NULL)
			abort();
		if (len > 0)
			memcpy(exact, line, len);
		fuzz_roundtrip(exact, len);
		free(exact);
		free(line);
	}
	fuzz_journal(data, size);
	return 0;
}
