#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# fwdguard on a TCP milter socket (inet:PORT@127.0.0.1), as where Postfix
# runs on another host, with milter.no_reply: content: the headers and the
# body unanswered, MAIL, RCPT and DATA answered (milter/callbacks.c):
# (a) the daemon says which steps Postfix agreed to stream; (b) a forward
# named in the headers is refused with its reference; (c) a forward that
# only its body gives away (an attached message), whose body is read whole
# when unanswered, is refused too; (d) a customer's message to support@
# passes and is recorded; (e) nothing refused reached the outside.
. "$(dirname "$0")/lib.sh"

FG_MILTER_INET=1 FG_CONF_SED='s/^milter:$/milter:\n  no_reply: content/' fg_world enforce reject

# refused NAME FROM TO FILE SIGNAL: sent, refused with a reference whose
# decision names SIGNAL.
refused() {
	local ref rec
	send_smtp "$MTA_PORT" "$2" "$3" "$4"
	check "$1: refused" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
	ref=$(smtp_ref)
	wait_for 10 "decision on the $1" audit_has id="$ref"
	rec=$(audit_find id="$ref" | head -n 1)
	check "$1: signals has $5" list_has "$(audit_field "$rec" signals)" "$5"
}

check "socket: fwdguard listens on TCP" expect_match '^inet:127\.0\.0\.1:[0-9]+$' \
    "$(fwdguard_milter)"

# (b)
msg="$FG_WORK/inbox-rule.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: my contract"
refused "header forward" customer@example.net consultant@fti.example "$msg" delivered-to

# (c) The customer's message, attached whole by a colleague.
att="$FG_WORK/attached.eml"
cat >"$att" <<MSG
From: A Colleague <colleague@corp.example>
To: partner@fti.example
Subject: Fwd: my invoice
Date: $(LC_ALL=C date -R)
Message-ID: <$(date +%s%N).$RANDOM@corp.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inet-b0"

--inet-b0
Content-Type: text/plain; charset=us-ascii

See the attachment.
--inet-b0
Content-Type: message/rfc822

Return-Path: <customer@example.net>
Delivered-To: support@corp.example
From: Jane Customer <customer@example.net>
To: Customer Service <support@corp.example>
Subject: my invoice

My account number is 0000.
--inet-b0--
MSG
refused "attached forward" colleague@corp.example partner@fti.example "$att" attached-message

# (d)
ok="$FG_WORK/customer.eml"
make_message "$ok" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: a question"
send_smtp "$MTA_PORT" customer@example.net support@corp.example "$ok"
check "customer mail: accepted" expect_match '^250[ -]' "$SMTP_REPLY"
audit_wait 3 10
check "audit: three decisions" expect_eq 3 "$(audit_count)"

# (e), and (a)
wait_delivered mta
check "sink: only the customer's message went on" expect_eq 1 "$(sink_count)"
check "milter: headers and body streamed, sender, recipients and DATA answered" \
    grep -q 'sends the headers and the body without waiting for replies' "$FWDGUARD_LOG"
check "fwdguard still running" fwdguard_alive

fg_summary
