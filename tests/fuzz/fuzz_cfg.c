/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_cfg.c - YAML configuration loading (milter/config/cfg*.c) from a buffer.
 *
 * Every error line must name the file; a loaded snapshot's policy is used
 * once (rule matching, classification against its allow list) and freed,
 * so a leak or a dangling string in the loaded tree shows.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "fuzz_policy.h"
#include "policy.h"

static void fuzz_cfg_error(void *ctx, const char *line)
{
	size_t *n = ctx;

	if (strncmp(line, "fuzz.yaml", 9) != 0 && strcmp(line, "out of memory") != 0)
		abort();
	(*n)++;
}

static void fuzz_cfg_use(const struct policy *p)
{
	static const char *rcpts[] = {
		"support@corp.example", "someone@partner.example", "x%evil.test@corp.example",
	};
	struct address a;
	const struct policy_allow *allow;
	const char *target;

	for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		if (address_parse(rcpts[i], strlen(rcpts[i]), &a) != ADDRESS_OK)
			continue;
		const char *mailbox = policy_protected(p, &a);
		(void)policy_destination(p, &a, mailbox, 1700000000, &allow, &target);
	}
	for (int d = DEST_INTERNAL; d <= DEST_ALLOWED; d++) {
		const struct policy_rule *r = policy_match(p, ~(signal_set)0, d, DIR_OUTBOUND);
		if (r != NULL && action_name(r->action) == NULL)
			abort();
		(void)policy_match(p, 0, d, DIR_INBOUND);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nerr = 0;
	char *buf = malloc(size > 0 ? size : 1);

	if (buf == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	struct cfg *c = cfg_load_buffer("fuzz.yaml", buf, size, fuzz_cfg_error, &nerr);
	if (c == NULL && nerr == 0)
		abort();
	if (c != NULL) {
		fuzz_cfg_use(&c->policy);
		cfg_unref(c);
	}
	free(buf);
	return 0;
}
