/* SPDX-License-Identifier: BSD-2-Clause */
/* sha256.h - SHA-256 (FIPS 180-4), for the config digest in audit records. */
#ifndef FWDGUARD_SHA256_H
#define FWDGUARD_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Digest of data as 64 lower-case hex digits plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
