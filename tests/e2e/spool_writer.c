/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool_writer - writes decision records into a spool the way the daemon
 * does (concurrent spool_commit calls), for tests/e2e/audit_replay.sh.
 *
 *   spool_writer DIR FIRST COUNT [THREADS [KIND [AGE]]]
 *   spool_writer --audit CONFIG FIRST COUNT THREADS LINGER
 *
 * Record i (FIRST <= i < FIRST+COUNT) has id "e2e-<i>", mailbox
 * support@corp.example for even i and contactfr@corp.example for odd i,
 * and a reason full of bytes that need escaping in the spool and in JSON.
 * KIND is "decision" (default), "alert" or "correlation" (the fields of
 * include/correlate.h, Message-ID <e2e-<i>@corp.example>, ttl 3600).
 * AGE (seconds, default 0) dates the records' ts that far back.  With
 * --audit the records go through the daemon's audit API
 * (audit_open/audit_commit), and the process stays LINGER seconds so
 * that its shipper thread can ship them (and log on stderr) before
 * audit_close.
 * Prints "wrote N records" and exits 0, or exits 1 if a commit failed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "spool.h"

struct job {
	struct spool *s;
	struct audit *a;
	const char *kind;
	long age;
	long first, count, step, offset;
	int failed;
};

/* Sets the n fields of kv on r: r, or NULL (r freed) when one fails. */
static struct record *writer_fill(struct record *r, const char *const (*kv)[2], size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (record_set(r, kv[k][0], kv[k][1]) != 0) {
			record_free(r);
			return NULL;
		}
	return r;
}

/* Fills a correlation record with the fields include/correlate.h names: r, or NULL. */
static struct record *writer_correlation(struct record *r, long i, const char *id, const char *ts)
{
	char msgid[48];
	snprintf(msgid, sizeof(msgid), "<e2e-%ld@corp.example>", i);
	const char *const kv[][2] = {
		{ "id", id }, { "message_id", msgid }, { "ttl", "3600" },
		{ "mailbox", "support@corp.example" }, { "sender", "customer@client.example" },
		{ "rcpt_domains", "corp.example" }, { "ts", ts },
	};
	return writer_fill(r, kv, sizeof(kv) / sizeof(kv[0]));
}

static struct record *writer_record(long i, const char *kind, long age)
{
	static const char *const targets[] = { "consultants.example", "helpdesk-vendor.example" };
	char id[32], ts[32], rcpt[64];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(id, sizeof(id), "e2e-%ld", i);
	snprintf(ts, sizeof(ts), "%lld",
	    ((long long)now.tv_sec - age) * 1000 + now.tv_nsec / 1000000);
	snprintf(rcpt, sizeof(rcpt), "user%ld@%s", i % 3, targets[i % 2]);

	struct record *r = record_new(kind);
	if (r == NULL)
		return NULL;
	if (strcmp(kind, "correlation") == 0)
		return writer_correlation(r, i, id, ts);
	const char *const kv[][2] = {
		{ "id", id }, { "ts", ts }, { "host", "e2e.corp.example" },
		{ "queue_id", "4ABCD1234" }, { "message_id", "<e2e@corp.example>" },
		{ "direction", "outbound" }, { "sender", "support@corp.example" },
		{ "from", "\"Support\" <support@corp.example>" }, { "recipient", rcpt },
		{ "mailbox", i % 2 == 0 ? "support@corp.example" : "contactfr@corp.example" },
		{ "destination", i % 2 == 0 ? "external" : "allowed" },
		{ "target", targets[i % 2] }, { "signals", "delivered-to,orcpt" },
		{ "rule", "forwarded-copy" }, { "action", i % 2 == 0 ? "reject" : "accept" },
		{ "mode", "enforce" }, { "reason", "tab\there \"quoted\" back\\slash\nnewline 100%=caf\xc3\xa9" },
	};
	return writer_fill(r, kv, sizeof(kv) / sizeof(kv[0]));
}

static void *writer_thread(void *p)
{
	struct job *j = p;
	for (long i = j->first + j->offset; i < j->first + j->count; i += j->step) {
		struct record *r = writer_record(i, j->kind, j->age);
		int rc = r == NULL ? -1 :
		    j->a != NULL ? audit_commit(j->a, &r, 1) : spool_commit(j->s, &r, 1);
		if (rc != 0) {
			fprintf(stderr, "spool_writer: record %ld: %s\n", i, strerror(errno));
			j->failed = 1;
		}
		record_free(r);
	}
	return NULL;
}

/* Runs the jobs; 0 when every commit succeeded. */
static int writer_run(struct spool *s, struct audit *a, const char *kind, long age, long first,
    long count, long threads)
{
	pthread_t th[64];
	struct job jobs[64];
	for (long t = 0; t < threads; t++) {
		jobs[t] = (struct job){ .s = s, .a = a, .kind = kind, .age = age, .first = first,
		    .count = count, .step = threads, .offset = t };
		pthread_create(&th[t], NULL, writer_thread, &jobs[t]);
	}
	int failed = 0;
	for (long t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		failed |= jobs[t].failed;
	}
	return failed;
}

static void writer_cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

static int writer_audit(int argc, char **argv)
{
	if (argc != 7)
		return 2;
	long first = strtol(argv[3], NULL, 10), count = strtol(argv[4], NULL, 10);
	long threads = strtol(argv[5], NULL, 10), linger = strtol(argv[6], NULL, 10);
	if (first < 0 || count < 0 || threads < 1 || threads > 64 || linger < 0)
		return 2;
	log_init("spool_writer", LOG_MAIL, true);
	struct cfg *c = cfg_load(argv[2], writer_cfg_error, NULL);
	if (c == NULL)
		return 1;
	char err[512];
	struct audit *a = audit_open(c, err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "spool_writer: %s\n", err);
		cfg_unref(c);
		return 1;
	}
	int failed = writer_run(NULL, a, "decision", 0, first, count, threads);
	if (!failed)
		printf("wrote %ld records\n", count);
	fflush(stdout);
	sleep((unsigned)linger);
	audit_close(a);
	cfg_unref(c);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--audit") == 0) {
		int rc = writer_audit(argc, argv);
		if (rc == 2)
			fprintf(stderr, "usage: spool_writer --audit CONFIG FIRST COUNT THREADS LINGER\n");
		return rc;
	}
	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: spool_writer DIR FIRST COUNT [THREADS [KIND [AGE]]]\n");
		return 2;
	}
	long first = strtol(argv[2], NULL, 10), count = strtol(argv[3], NULL, 10);
	long threads = argc >= 5 ? strtol(argv[4], NULL, 10) : 4;
	const char *kind = argc >= 6 ? argv[5] : "decision";
	long age = argc == 7 ? strtol(argv[6], NULL, 10) : 0;
	if (first < 0 || count < 0 || threads < 1 || threads > 64 || age < 0) {
		fprintf(stderr, "spool_writer: bad numbers\n");
		return 2;
	}
	char err[512];
	struct spool *s = spool_open(argv[1], err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "spool_writer: %s\n", err);
		return 1;
	}
	int failed = writer_run(s, NULL, kind, age, first, count, threads);
	struct spool_stat st;
	spool_stat(s, &st);
	spool_close(s);
	if (failed)
		return 1;
	printf("wrote %llu records in %llu syncs\n", st.records, st.syncs);
	return 0;
}
