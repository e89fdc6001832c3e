#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# fwdguard on a TCP milter socket with the default milter.no_reply: auto.
# Debian's libmilter lets fwdguard read ahead (milter/common/readahead.c),
# and then it acknowledges each read on TCP at once, so auto lets the steps
# of a message go unanswered on TCP as on a unix socket
# (milter/callbacks.c): (a) the daemon says so; (b) a forward is still
# refused at end of message, with its reference, and recorded; (c) in one
# SMTP session, a customer's message passes, a forward after it is refused
# and a colleague's message after that passes (outside audit scope: no
# protected mailbox in it): the unanswered steps of one
# message leave nothing behind for the next; (d) nothing refused reached
# the outside.  What the quick ACKs are worth in time is measured by
# tests/bench/run (rows fwdguard-inet and null-nodata-inet).
. "$(dirname "$0")/lib.sh"

FG_MILTER_INET=1 fg_world enforce reject

check "socket: fwdguard listens on TCP" expect_match '^inet:127\.0\.0\.1:[0-9]+$' \
    "$(fwdguard_milter)"

# (a)
check "fwdguard: TCP connections read ahead and acknowledged at once" \
    grep -q "reading ahead on the MTA's connections, TCP ones acknowledged at once" \
    "$FWDGUARD_LOG"

# (b)
msg="$FG_WORK/inbox-rule.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: my contract"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "forward: refused" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
ref=$(smtp_ref)
check "forward: reply carries a ref id" test -n "$ref"
wait_for 10 "decision on the forward" audit_has id="$ref"
rec=$(audit_find id="$ref" | head -n 1)
check "forward: signals has delivered-to" list_has "$(audit_field "$rec" signals)" delivered-to
check "milter: each message streamed up to its end" \
    grep -q 'sends each message up to its end without waiting for replies' "$FWDGUARD_LOG"

# (c) Three messages in one SMTP session.
ok="$FG_WORK/customer.eml"
make_message "$ok" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: a question"
colleague="$FG_WORK/colleague.eml"
make_message "$colleague" \
    "From: A Colleague <colleague@corp.example>" \
    "To: partner@fti.example" \
    "Subject: lunch"
replies=$(python3 - "$MTA_PORT" "$ok" "$msg" "$colleague" <<'PY'
import smtplib, sys
port, files = int(sys.argv[1]), sys.argv[2:]
envelopes = [("customer@example.net", "support@corp.example"),
             ("customer@example.net", "consultant@fti.example"),
             ("colleague@corp.example", "partner@fti.example")]
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
s.ehlo("client.example")
for (frm, to), path in zip(envelopes, files):
    s.mail(frm)
    s.rcpt(to)
    try:
        code, _ = s.data(open(path, "rb").read())
    except smtplib.SMTPDataError as e:
        code = e.smtp_code
    print(code)
s.quit()
PY
)
check "one session: customer's message accepted" expect_eq 250 "$(sed -n 1p <<<"$replies")"
check "one session: forward refused" expect_eq 550 "$(sed -n 2p <<<"$replies")"
check "one session: colleague's message accepted" expect_eq 250 "$(sed -n 3p <<<"$replies")"
# The colleague's own message touches no protected mailbox: not in audit scope.
audit_wait 3 10
check "audit: three decisions" expect_eq 3 "$(audit_count)"

# (d)
wait_delivered mta
check "sink: the customer's and the colleague's messages went on" expect_eq 2 "$(sink_count)"
check "fwdguard still running" fwdguard_alive

fg_summary
