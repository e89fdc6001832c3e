/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * probe.h - "fwdguard-audit probe": canary messages to each protected
 * mailbox of the YAML (README.md "Leaks that slipped through").  A reply, auto-reply or DSN from an
 * external domain that references one proves the mailbox's mail reaches
 * that domain (signal leak-probe, raised by the daemon).
 *
 * Per mailbox: Message-ID <probe.TOKEN@domain-of-probes.from>, header
 * X-Fwdguard-Probe: TOKEN.  Before submitting, its correlation record is
 * written (HSET <prefix>msg:<message-id without brackets> mailbox sender
 * rcpt_domains ts probe 1, EXPIRE audit.correlation_ttl) and an entry is
 * added to the stream <prefix>probes, so the reply is recognised even if
 * it comes back before the daemon saw the probe.  Mailboxes known only
 * from the directory are not probed (they cannot be listed here).
 */
#ifndef FWDGUARD_PROBE_H
#define FWDGUARD_PROBE_H

#include <stddef.h>
#include <time.h>
#include "cfg.h"

/* Sends one probe per protected mailbox, printing one line each; 0 all sent, 1 otherwise. */
int probe_run(const struct cfg *c);

/*
 * The probe message for mailbox (pure, for tests): LF line ends, malloc'd
 * (caller frees), NULL on ENOMEM.  message_id is without angle brackets.
 */
char *probe_compose(const char *from, const char *mailbox, const char *token,
    const char *message_id, time_t now, size_t *len);

#endif
