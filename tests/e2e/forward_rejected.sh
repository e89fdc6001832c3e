#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (a) A mail server's inbox rule relays support@'s mail over SMTP to an
# outside consultant.  The copy carries Delivered-To and Exchange's rule-loop
# header naming the protected mailbox: fwdguard rejects it at end of DATA
# with a reference id, nothing reaches the outside world, and one audit
# record says why.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject

msg="$FG_WORK/inbox-rule.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "X-MS-Exchange-Inbox-Rules-Loop: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: my contract"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
ref=$(smtp_ref)

check "smtp: forward refused with 5xx" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
check "smtp: reply is 550 5.7.1" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
check "smtp: reply carries a ref id" test -n "$ref"
check "smtp: reply names no internal address" \
    fg_not expect_match 'support@corp\.example' "$SMTP_REPLY"

audit_wait 1 10
wait_delivered mta
# Debian's libmilter reads with read and poll: milter/common/readahead_check.c
# lets fwdguard read ahead (the benchmark shows what it saves).
check "fwdguard: reads ahead on the MTA's connections" \
    grep -q "reading ahead on the MTA's connections" "$FWDGUARD_LOG"
check "fwdguard: no refusal to read ahead" \
    fg_not grep -q "not reading ahead" "$FWDGUARD_LOG"
check "sink: nothing reached the outside world" expect_eq 0 "$(sink_count)"
check "audit: exactly one record" expect_eq 1 "$(audit_count)"
rec=$(audit_records | head -n 1)
check "audit: id is the ref from the SMTP reply" expect_eq "$ref" "$(audit_field "$rec" id)"
check "audit: action=reject" expect_eq reject "$(audit_field "$rec" action)"
check "audit: rule=forwarded-copy" expect_eq forwarded-copy "$(audit_field "$rec" rule)"
check "audit: mode=enforce" expect_eq enforce "$(audit_field "$rec" mode)"
check "audit: signals has delivered-to" \
    list_has "$(audit_field "$rec" signals)" delivered-to
check "audit: signals has exchange-rule" \
    list_has "$(audit_field "$rec" signals)" exchange-rule
check "audit: recipient is the consultant" \
    expect_eq consultant@fti.example "$(audit_addr "$rec" recipient)"
check "audit: mailbox is support@" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "audit: destination=external" expect_eq external "$(audit_field "$rec" destination)"
check "audit: queue_id recorded" test -n "$(audit_field "$rec" queue_id)"
# Asked for with MAIL FROM: fwdguard negotiates the connect step away.
check "audit: client is the SMTP client's address" \
    expect_eq 127.0.0.1 "$(audit_field "$rec" client)"
check "audit: daemon is Postfix's milter_macro_daemon_name" \
    expect_eq "$(postconf -c "${PF_DIR[mta]}" -xh milter_macro_daemon_name)" \
    "$(audit_field "$rec" daemon)"
check "audit: policy digest recorded" test -n "$(audit_field "$rec" policy)"
check "audit: no subject stored" fg_not expect_match 'my contract' "$rec"
check "fwdguard still running" fwdguard_alive
# On a unix socket Postfix streams the steps before end of message
# (milter.no_reply: auto); the verdict above came back all the same.
check "milter: Postfix agreed to stream each message without waiting for replies" \
    grep -q 'without waiting for replies' "$FWDGUARD_LOG"

fg_summary
