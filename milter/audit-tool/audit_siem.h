/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_siem.h - audit entries in the formats SIEMs ingest without a custom
 * parser, for fwdguard-audit search and tail --format (milter/audit-tool/audit_ecs.c,
 * milter/audit-tool/audit_cef.c, their shared mapping in milter/audit-tool/audit_siem.c).  The
 * mapping is documented in fwdguard-audit(1).
 *
 * Entry values are untrusted (anyone who can write to Redis): each encoder
 * escapes them for its format, and what could drive or rearrange a reader's
 * screen (C0, DEL, C1, bidi controls, bytes that are not UTF-8) never
 * leaves as is.
 */
#ifndef FWDGUARD_AUDIT_SIEM_H
#define FWDGUARD_AUDIT_SIEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "audit_view.h"

/* One Elastic Common Schema 8.x JSON object on one line. */
void ecs_print(FILE *out, const struct view_entry *e);
/* One ArcSight CEF:0 line. */
void cef_print(FILE *out, const struct view_entry *e);

/* Whether the mail went on (accept, flag, anything in monitor mode) or was stopped. */
enum siem_outcome { SIEM_LEFT, SIEM_STOPPED, SIEM_UNKNOWN };
enum siem_outcome siem_outcome(const struct view_entry *e);
/* Whether the entry's signals name leak evidence (leak-probe, leak-backscatter). */
bool siem_leak(const struct view_entry *e);
/*
 * 0..10, one scale for CEF and ECS event.severity (fwdguard-audit(1)):
 * leak evidence 10, a stopping rule in monitor mode (the mail got out) 9,
 * reject 8, quarantine 7, strip 6, tempfail and flag 5, accept with
 * signals 3, accept without 1.
 */
int siem_severity(const struct view_entry *e);
/* The domain part of an address (after the last '@', '>' included when kept), or NULL. */
const char *siem_domain(const char *addr);
/* Whether two addresses are the same, ignoring case and angle brackets. */
bool siem_same_address(const char *a, const char *b);
/*
 * An address without the angle brackets the trail may keep, into buf
 * (truncated to size); "" when absent.
 */
const char *siem_bare(const char *v, char *buf, size_t size);

#endif
