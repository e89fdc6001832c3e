/* SPDX-License-Identifier: BSD-2-Clause */
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

#include "policy_fixture.h"

#endif
