/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hash.h - FNV-1a (64-bit), the one non-cryptographic hash of the tree:
 * hash tables and cache buckets whose keys the program chooses or whose
 * collisions cost only a string compare.  Never for anything an attacker
 * gains by colliding (use sha256.h).
 *
 * A hash is built in steps from HASH_INIT: hash_bytes/hash_str/hash_lower
 * fold data in, hash_cut folds in a byte no text holds, so that the pieces
 * "a"+"bc" and "ab"+"c" hash apart.  A bucket index takes the low bits
 * (FNV-1a mixes every input byte into them).
 */
#ifndef FWDGUARD_HASH_H
#define FWDGUARD_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT	14695981039346656037ULL	/* the FNV-1a 64-bit offset basis */

uint64_t hash_bytes(uint64_t h, const void *data, size_t len);
uint64_t hash_str(uint64_t h, const char *s);
/* s with ASCII A-Z folded to a-z: the equality of strcasecmp in the C locale. */
uint64_t hash_lower(uint64_t h, const char *s);
uint64_t hash_cut(uint64_t h);

#endif
