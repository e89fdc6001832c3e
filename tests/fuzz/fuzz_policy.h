/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_policy.h - what every harness in tests/fuzz/ shares: one fixed
 * policy, built once, and a cursor that hands out pieces of the input.
 */
#ifndef FWDGUARD_FUZZ_POLICY_H
#define FWDGUARD_FUZZ_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "policy.h"

/*
 * The policy every harness reads: internal corp.example, *.corp.example
 * and xn--bcher-kva.example; protected support@ and contactfr@; delimiters
 * "+-"; three allow entries (a domain, a wildcard, one address for one
 * mailbox).  Built on the first call, never freed (a process-wide
 * fixture, not a leak).
 */
const struct policy *fuzz_policy(void);

/* A read cursor over the fuzzer's input. */
struct fuzz_in {
	const uint8_t *p;
	size_t len;
};

/* The next byte, or 0 when the input is used up. */
uint8_t fuzz_byte(struct fuzz_in *in);

/*
 * The next piece up to (not including) sep, or the rest of the input,
 * copied into a malloc'd NUL-terminated string with its length in *len
 * (the piece may hold NUL bytes).  The caller frees.  Aborts on ENOMEM.
 */
char *fuzz_piece(struct fuzz_in *in, uint8_t sep, size_t *len);

/* libFuzzer's entry points, defined by each harness (the second where needed). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
