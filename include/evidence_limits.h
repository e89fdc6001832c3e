/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evidence_limits.h - how much of a message's headers the evidence keeps
 * (evidence.h), shared by its interface and its readers' internal state
 * (policy/evidence_state.h).  Pure constants.
 */
#ifndef FWDGUARD_EVIDENCE_LIMITS_H
#define FWDGUARD_EVIDENCE_LIMITS_H

#define EVIDENCE_ADDRS_MAX	256	/* To/Cc addresses remembered per message */
#define EVIDENCE_MSGID_MAX	255
#define EVIDENCE_MAILBOXES_MAX	16	/* distinct protected mailboxes remembered */
#define EVIDENCE_REFS_MAX	16	/* In-Reply-To/References ids remembered */
#define EVIDENCE_CTYPE_MAX	1024	/* top-level Content-Type value kept */
#define EVIDENCE_PROBE_MAX	128	/* X-Fwdguard-Probe token kept */
#define EVIDENCE_FWDIDS_MAX	4	/* X-Forwarded-Message-Id ids remembered */
#define EVIDENCE_REPLY_TO_MAX	4	/* Reply-To addresses remembered */

#endif
