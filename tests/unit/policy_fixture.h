/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_fixture.h - the domains every policy test lives in: corp.example
 * and its subdomains are internal.  The includer defines
 * "static struct policy test_policy" (its protected mailboxes, delimiters,
 * rules) before including this; setup_policy and teardown_policy are the
 * cmocka group fixtures that give it, and take back, its domain list.
 */
#ifndef FWDGUARD_POLICY_FIXTURE_H
#define FWDGUARD_POLICY_FIXTURE_H

#include "policy.h"

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
