#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (c) The egress topology: instance "in" forwards support@ to an outside
# consultant with a virtual alias (no milter there; aliases are expanded
# after milters anyway), and relays to instance "out", where fwdguard sits in
# smtpd_milters.  The forwarded copy arrives at "out" as a new transaction
# with ORCPT and "Received: ... for <support@>": it never reaches the
# consultant.
. "$(dirname "$0")/lib.sh"

fg_egress_world enforce reject
printf 'support@corp.example consultant@fti.example\n' >"$FG_WORK/virtual"
start_postfix in --relay "127.0.0.1:${PF_PORT[out]}" --virtual "$FG_WORK/virtual" ||
    fg_die "start postfix in"

msg="$FG_WORK/customer.eml"
make_message "$msg" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: change of address"
send_smtp "${PF_PORT[in]}" customer@example.net support@corp.example "$msg"
check "in: customer mail accepted" expect_match '^250 ' "$SMTP_REPLY"

wait_for 10 "a record for the alias target" audit_has recipient=consultant@fti.example
wait_delivered in
wait_delivered out
rec=$(audit_find recipient=consultant@fti.example | head -n 1)
signals=$(audit_field "$rec" signals)
check "audit: record for the alias target" test -n "$rec"
names_original_recipient() {
	list_has "$signals" orcpt || list_has "$signals" received-for
}
check "audit: signals has orcpt or received-for" names_original_recipient
check "audit: signals has orcpt" list_has "$signals" orcpt
check "audit: action=reject" expect_eq reject "$(audit_field "$rec" action)"
check "audit: mailbox is support@" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "maillog in: out refused the forward" \
    maillog_has in 'to=<consultant@fti.example>, orig_to=<support@corp.example>.*status=bounced'
check "sink: the consultant got nothing" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"

fg_summary
