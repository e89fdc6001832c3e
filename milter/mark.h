/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mark.h - the mark a rerouted message carries (README.md "Rerouting").
 *
 * When fwdguard reroutes a message it adds the header
 *   X-Fwdguard-Rerouted: to=<address>; id=<decision id>; sig=<hex>
 * whose sig is an HMAC-SHA256, under a key only fwdguard holds, of the
 * address, the decision id and the message's own Message-ID.  If the
 * mailbox's rule sends the rerouted copy out again, the mark shows that
 * this message was rerouted already, so it is not rerouted a second time
 * (no loop).  Anyone can write such a header; only fwdguard can write one
 * that verifies, and only for the message it was made for.  A mark never
 * lets a message pass: at most it turns a second reroute into a removal.
 *
 * The key: the file milter.mark_key_file (the same file on every host
 * whose fwdguard may see the other's rerouted mail), else a random key
 * made once per process.
 */
#ifndef FWDGUARD_MARK_H
#define FWDGUARD_MARK_H

#include <stdbool.h>
#include <stddef.h>

#define MARK_HEADER	"X-Fwdguard-Rerouted"
#define MARK_VALUE_MAX	640	/* longer values are no mark of fwdguard's */
#define MARK_KEY_LEN	32

/*
 * The key in force: SHA-256 of the file's bytes when path is set, else the
 * process's random key.  0, or -1 with a reason in err (unreadable file,
 * empty file, no randomness).
 */
int mark_key(const char *path, unsigned char key[MARK_KEY_LEN], char *err, size_t errsize);

/* Writes the header value for a message into out; -1 when it does not fit. */
int mark_make(const unsigned char key[MARK_KEY_LEN], const char *message_id, const char *to,
    const char *id, char *out, size_t size);

/* true when value is a mark made with key for a message with this Message-ID. */
bool mark_verify(const unsigned char key[MARK_KEY_LEN], const char *message_id,
    const char *value);

#endif
