#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (d) support@ answers the customer who wrote to it: not a forward.  The
# reply is delivered, and recorded as an accepted message sent by the
# protected mailbox.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject

msg="$FG_WORK/reply.eml"
make_message "$msg" \
    "From: Support <support@corp.example>" \
    "To: Customer <customer@example.net>" \
    "Subject: Re: my contract" \
    "In-Reply-To: <question-1@example.net>" \
    "References: <question-1@example.net>"
send_smtp "$MTA_PORT" support@corp.example customer@example.net "$msg"
check "smtp: reply accepted with 250" expect_match '^250 ' "$SMTP_REPLY"

wait_delivered mta
audit_wait 1 10
check "sink: the customer got the reply" expect_eq 1 "$(sink_rcpt_count customer@example.net)"
rec=$(audit_find recipient=customer@example.net | head -n 1)
check "audit: record for the reply" test -n "$rec"
check "audit: action=accept" expect_eq accept "$(audit_field "$rec" action)"
check "audit: no rule matched" expect_eq "" "$(audit_field "$rec" rule)"
# The contract calls sender-protected a context fact: accept it in the
# signals list or as its own field.
sent_by_protected() {
	list_has "$(audit_field "$rec" signals)" sender-protected ||
	    [ "$(audit_field "$rec" sender_protected)" = yes ]
}
check "audit: marked as sent by the protected mailbox" sent_by_protected
check "audit: destination=external" expect_eq external "$(audit_field "$rec" destination)"

fg_summary
