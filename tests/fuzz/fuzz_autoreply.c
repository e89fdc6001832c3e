/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_autoreply.c - auto-reply and DSN recognition and the leak
 * decisions built on them (policy/reply.c, policy/evidence.c,
 * policy/mime*.c, policy/leak.c).
 *
 * The input is a whole message: "Name: value" header lines (a line that
 * starts with a blank continues the previous one), an empty line, the
 * body.  The headers go to the evidence reader, the body to the MIME
 * walker under the message's Content-Type; the Message-IDs they found
 * are then handed to the leak decisions as if the correlation store knew
 * them all.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evidence.h"
#include "fuzz_policy.h"
#include "leak.h"
#include "mime.h"

#define FUZZ_HEADERS_MAX	64
#define FUZZ_HEADER_MAX		(32 * 1024)
#define FUZZ_REFS_MAX		(EVIDENCE_REFS_MAX + MIME_IDS_MAX)

/* See fuzz_mime.c: used when the walker has it. */
void mime_walk_set_encoding(struct mime_walk *w, const char *cte) __attribute__((weak));

/*
 * One header line "Name: value": name and value NUL-terminated in place.
 * The walker wants the top-level Content-Transfer-Encoding: kept in *cte.
 */
static void fuzz_header(struct evidence *ev, const struct policy *p, char *line, char **cte)
{
	char *colon = strchr(line, ':');
	char *v;

	if (colon == NULL)
		return;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	evidence_header(ev, p, line, v);
	if (strcasecmp(line, "Content-Transfer-Encoding") == 0) {
		free(*cte);
		if ((*cte = strdup(v)) == NULL)
			abort();
	}
}

/* Reads the header block; leaves in at the body. */
static void fuzz_headers(struct evidence *ev, const struct policy *p, struct fuzz_in *in,
    char **cte)
{
	char *cur = NULL;
	size_t curlen = 0;

	for (int h = 0; h < FUZZ_HEADERS_MAX && in->len > 0;) {
		size_t len;
		char *line = fuzz_piece(in, '\n', &len);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (cur != NULL && len > 0 && (line[0] == ' ' || line[0] == '\t') &&
		    curlen + len < FUZZ_HEADER_MAX) {
			char *grown = realloc(cur, curlen + 2 + len + 1);
			if (grown == NULL)
				abort();
			cur = grown;
			memcpy(cur + curlen, "\r\n", 2);
			memcpy(cur + curlen + 2, line, len + 1);
			curlen += 2 + len;
			free(line);
			continue;
		}
		if (cur != NULL) {
			fuzz_header(ev, p, cur, cte);
			free(cur);
			h++;
		}
		cur = line;
		curlen = len;
		if (len == 0)
			break;
	}
	if (cur != NULL && curlen > 0)
		fuzz_header(ev, p, cur, cte);
	free(cur);
}

static void fuzz_leak(const struct policy *p, const struct evidence *ev,
    const struct mime_walk *w)
{
	const char *ids[FUZZ_REFS_MAX];
	struct leak_ref refs[FUZZ_REFS_MAX];
	struct address rcpts[2];
	char from[DOMAIN_MAX + 1], domains[64];
	size_t which = (size_t)-1;

	size_t n = evidence_references(ev, ids, EVIDENCE_REFS_MAX);
	n += mime_walk_original_ids(w, ids + n, MIME_IDS_MAX);
	for (size_t i = 0; i < n; i++) {
		refs[i] = (struct leak_ref){
			.message_id = ids[i], .mailbox = "support@corp.example",
			.sender = i % 3 == 0 ? "<>" : "customer@customer.example",
			.rcpt_domains = "customer.example,corp.example",
			.ts = 1700000000000LL, .probe = i % 4 == 3,
			.role = evidence_names_parent(ev, ids[i]) ? LEAK_ROLE_PARENT :
			    (enum leak_role)(i % 4),
		};
	}
	leak_answer_domain(NULL, ev, from, sizeof(from));
	signal_set s = leak_inbound(p, from, evidence_is_autoreply(ev), mime_walk_is_dsn(w),
	    refs, n, &which);
	if (s != 0 && which >= n)
		abort();
	which = (size_t)-1;
	if (leak_referenced_message(p, refs, n, "evil.test", &which) != 0 && which >= n)
		abort();
	which = (size_t)-1;
	if (leak_enclosed_message(p, refs, n, "evil.test", &which) != 0 && which >= n)
		abort();
	if (n > 0) {
		(void)leak_known_message_id(p, &refs[0], from);
		(void)leak_known_message_id(p, &refs[n - 1], "evil.test");
	}
	if (address_parse("bob@customer.example", 20, &rcpts[0]) != ADDRESS_OK ||
	    address_parse("x%evil.test@corp.example", 24, &rcpts[1]) != ADDRESS_OK)
		abort();
	(void)leak_rcpt_domains(ev, rcpts, 2, domains, sizeof(domains));
	if (strlen(domains) >= sizeof(domains))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy *p = fuzz_policy();
	struct fuzz_in in = { data, size };
	struct evidence *ev = evidence_new();

	if (ev == NULL)
		abort();
	char *cte = NULL;
	fuzz_headers(ev, p, &in, &cte);
	struct mime_walk *w = mime_walk_new(p, evidence_content_type(ev));
	if (w == NULL)
		abort();
	if (mime_walk_set_encoding != NULL)
		mime_walk_set_encoding(w, cte);
	free(cte);
	char *body = malloc(in.len > 0 ? in.len : 1);
	if (body == NULL)
		abort();
	if (in.len > 0)
		memcpy(body, in.p, in.len);
	mime_walk_feed(w, body, in.len);
	free(body);
	fuzz_leak(p, ev, w);
	mime_walk_free(w);
	evidence_free(ev);
	return 0;
}
