/*
 * evidence_fixture.h - the policy the evidence and MIME tests read against:
 * corp.example and its subdomains internal, support@ and contactfr@
 * protected, '+' as recipient delimiter.  Included by one test file each.
 */
#ifndef FWDGUARD_EVIDENCE_FIXTURE_H
#define FWDGUARD_EVIDENCE_FIXTURE_H

#include "evidence.h"

static char *test_protected[] = { "support@corp.example", "contactfr@corp.example" };

static struct policy test_policy = {
	.protected = test_protected,
	.nprotected = 2,
	.delimiters = "+",
	.mode = MODE_ENFORCE,
};

static int setup_policy(void **state)
{
	char err[128];

	(void)state;
	test_policy.internal = domain_list_new();
	if (test_policy.internal == NULL ||
	    domain_list_add(test_policy.internal, "corp.example", err, sizeof(err)) < 0 ||
	    domain_list_add(test_policy.internal, "*.corp.example", err, sizeof(err)) < 0)
		return -1;
	return 0;
}

static int teardown_policy(void **state)
{
	(void)state;
	domain_list_free(test_policy.internal);
	test_policy.internal = NULL;
	return 0;
}

#endif
