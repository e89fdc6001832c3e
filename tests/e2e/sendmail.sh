#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Sendmail, for real: Debian's sendmail-bin (unpacked beside the system's
# Postfix, see lib_sendmail.sh) with contrib/sendmail/fwdguard.mc's milter
# lines, relaying to the smtp-sink.  A forward relayed through Sendmail is
# rejected at end of DATA, the reply to the customer passes, and with the
# quarantine action the forward sits in Sendmail's quarantine (mailq -qQ);
# every decision is in Redis.  Sendmail's milter trace shows which macro
# packets it wrote.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sendmail.sh"

sm_world

# (1) support@'s inbox rule relays a customer's mail to an outside consultant.
msg="$FG_WORK/forward.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "X-MS-Exchange-Inbox-Rules-Loop: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: my contract"
sm_forward_refused "$msg"
check "forward: a record for the consultant" test -n "$SM_REC"
check "forward: action=reject" expect_eq reject "$(audit_field "$SM_REC" action)"
check "forward: rule=forwarded-copy" expect_eq forwarded-copy "$(audit_field "$SM_REC" rule)"
check "forward: the record's id is the reply's ref" expect_eq "$SM_REF" "$(audit_field "$SM_REC" id)"
check "forward: Sendmail's queue id recorded" test -n "$(audit_field "$SM_REC" queue_id)"

# fwdguard gives an empty macro list to each step it reads nothing at
# (include/macro_lists.h): Sendmail then writes no macro packet there, so
# none travels alone at connect, HELO or DATA (with one of its own default
# lists it writes one even when no macro in it has a value: an empty
# packet, "cmd D, len 1"); and, given an end-of-headers list, it takes
# fwdguard's end-of-message list ("i") instead of its own ({msg_id}).
trace_count() { grep -cE -- "$1" "$SM_MILTER_TRACE" 2>/dev/null || true; }
negotiations=$(trace_count 'milter_negotiate\(fwdguard\): received')
check "macros: Sendmail's milter trace shows the negotiations" expect_match '^[1-9]' "$negotiations"
for step in connect helo data eoh; do
	check "macros: every negotiation gave $step an empty list" expect_eq "$negotiations" \
	    "$(trace_count "milter_getsymlist\\(fwdguard, macros\\.$step, \"\"\\)")"
done
check "macros: the client's address came with MAIL FROM" expect_match '^[1-9]' \
    "$(trace_count 'milter_send_macros\(fwdguard, M\): \{client_addr\}=127\.0\.0\.1')"
check "macros: the queue id came at end of message" expect_match '^[1-9]' \
    "$(trace_count 'milter_send_macros\(fwdguard, E\): i=')"
check "macros: fwdguard's end-of-message list, not Sendmail's" expect_eq 0 \
    "$(trace_count 'milter_send_macros\(fwdguard, E\): \{msg_id\}')"
check "macros: none sent at connect, HELO, DATA or end of headers" expect_eq 0 \
    "$(trace_count 'milter_send_macros\(fwdguard, [CHTN]\)')"
check "macros: Sendmail wrote fwdguard macro packets" expect_match '^[1-9]' \
    "$(trace_count 'milter_write\(fwdguard\): cmd D, len [0-9]+$')"
check "macros: none of them empty" expect_eq 0 \
    "$(trace_count 'milter_write\(fwdguard\): cmd D, len 1$')"

# (2) support@ answers the customer: not a forward, it passes.
sm_reply_passes

# (3) The same forward with the quarantine action: Sendmail holds it.
fwdguard_config "$FG_WORK/fwdguard.yaml" enforce quarantine
reload_fwdguard || fg_die "reload fwdguard"
msg="$FG_WORK/forward2.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "X-MS-Exchange-Inbox-Rules-Loop: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: my second contract"
send_smtp "$SM_PORT" customer@example.net partner@fti.example "$msg"
check "quarantine: Sendmail accepts it (held, not refused)" expect_match '^250 ' "$SMTP_REPLY"
audit_wait 3 10
rec=$(audit_find recipient=partner@fti.example | head -n 1)
check "quarantine: action=quarantine" expect_eq quarantine "$(audit_field "$rec" action)"
check "quarantine: one queue file in the quarantine" expect_eq 1 "$(sm_quarantine_count)"
q=$(sm_mailq_quarantined)
printf "%s\n" "$q" | sed "s/^/# mailq -qQ: /"
check "quarantine: mailq -qQ lists it for partner@" expect_match 'partner@fti\.example' "$q"
check "quarantine: mailq -qQ shows fwdguard's reason" expect_match 'QUARANTINE: .*fwdguard' "$q"
sleep 2
check "sink: partner@ got nothing" expect_eq 0 "$(sink_rcpt_count partner@fti.example)"
check "audit: three decisions" expect_eq 3 "$(audit_count)"
check "fwdguard still running" fwdguard_alive

fg_summary
