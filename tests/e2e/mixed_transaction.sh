#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A forward never takes the legitimate copies of the same transaction with it.
#
# Instance "in" is the company's own server: a server-side Bcc of support@ to
# an outside archive (recipient_bcc_maps), an unknown mailbox gone@ (an
# error: transport that bounces), no milter; it relays everything to
# instance "out", the egress, where fwdguard rejects forwarded copies.
# smtpd accepts gone@ (smtpd_reject_unlisted_recipient = no), so the bounce
# comes later, from in's bounce daemon, as a real mail server's would.
#   1. A customer writes to support@: out removes the archive copy only,
#      records and alerts it; support@'s copy is delivered; no bounce.
#   2. A customer writes to support@ and gone@: in bounces gone@'s copy
#      back to her with her message inside (To: support@); that bounce
#      returns her own message to her and is delivered.
#   2b. The same from a customer whose envelope sender is a mailing
#      service's bounce address, not her From:: the bounce goes to that
#      address, which only the correlation record of her message names
#      (out recorded it when support@'s copy passed); it is delivered.
#   3. One smtpd transaction carrying a forwarded copy of support@'s mail
#      to two outside recipients and one colleague: only the colleague's
#      copy goes on.
#   4. Instance in2's virtual alias keeps support@'s copy and forwards one
#      outside: the egress sees both in one transaction and removes the
#      forward only.
#   5. A forged bounce (null sender) to the consultant and a colleague that
#      encloses a decoy written to the consultant (Delivered-To: support@)
#      beside a customer's real message to support@: the consultant is a
#      party of the decoy only, so his copy is removed; the colleague's goes on.
. "$(dirname "$0")/lib.sh"

fg_egress_world enforce reject
printf 'support@corp.example archive@archive.example\n' >"$FG_WORK/bcc"
printf 'gone@corp.example error:5.1.1 mailbox unavailable\n' >"$FG_WORK/transport"
start_postfix in --relay "127.0.0.1:${PF_PORT[out]}" \
    --set "recipient_bcc_maps = texthash:$FG_WORK/bcc" \
    --set "transport_maps = texthash:$FG_WORK/transport" \
    --set "smtpd_reject_unlisted_recipient = no" || fg_die "start postfix in"

alerts_for() {	# RECIPIENT: the alert records that name it, one per line
	rcli_raw XRANGE fwdguard:alerts - + | tr '\n' '\t' |
	    sed 's/\t[0-9][0-9]*-[0-9][0-9]*\t/\n/g' | grep -F -- "$1"
}
bounces_to() {	# ADDR: captured transactions from <> to ADDR (file names)
	local f
	while IFS= read -r f; do
		sink_file_has_rcpt "$f" "$1" && grep -q '^X-Mail-Args: *<>' "$f" && echo "$f"
	done < <(sink_files)
}

has_bounce_to() { [ -n "$(bounces_to "$1")" ]; }

# customer_writes INSTANCE "NAME <ADDR>" SUBJECT RCPT...: a customer's
# message to RCPT... (also its To:), sent to INSTANCE's smtpd.
customer_writes() {
	local port=${PF_PORT[$1]} from=$2 subject=$3 msg to addr
	shift 3
	msg="$FG_WORK/$(printf '%s' "$subject" | tr -c 'a-z' '-').eml"
	to=$(IFS=,; echo "$*")
	addr=${from##*<}
	make_message "$msg" "From: $from" "To: ${to//,/, }" "Subject: $subject"
	send_smtp "$port" "${addr%>}" "$to" "$msg"
}

# --- 1. the archive Bcc ------------------------------------------------------
customer_writes in "Jane Customer <jane@customer.example>" "my new address" \
    support@corp.example
check "bcc: in accepted the customer's message" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "support@'s copy at the sink" sink_has_rcpt support@corp.example
wait_for 10 "a record for the archive copy" audit_has recipient=archive@archive.example
wait_delivered in
wait_delivered out
check "bcc: support@'s copy was delivered" \
    expect_eq 1 "$(sink_rcpt_count support@corp.example)"
check "bcc: the archive copy did not leave" \
    expect_eq 0 "$(sink_rcpt_count archive@archive.example)"
rec=$(audit_find recipient=archive@archive.example | head -n 1)
check "bcc: archive record action=reject" expect_eq reject "$(audit_field "$rec" action)"
check "bcc: archive record outcome=removed" expect_eq removed "$(audit_field "$rec" outcome)"
check "bcc: archive record reason says the recipient was removed" \
    expect_match 'recipient removed, the others delivered' "$(audit_field "$rec" reason)"
check "bcc: archive record names support@" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
rec=$(audit_find recipient=support@corp.example | head -n 1)
check "bcc: support@ record outcome=delivered" \
    expect_eq delivered "$(audit_field "$rec" outcome)"
check "bcc: the removal was alerted" \
    expect_match 'recipient removed' "$(alerts_for archive@archive.example)"
check "bcc: no bounce to the customer" expect_eq 0 "$(sink_rcpt_count jane@customer.example)"
check "bcc: in bounced nothing" fg_not maillog_has in 'status=bounced'

# --- 2. a bounce that returns the customer's message to her -----------------
customer_writes in "Bob Customer <bob@customer.example>" "please call me back" \
    support@corp.example gone@corp.example
check "bounce: in accepted the message" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "in bounced gone@'s copy" maillog_has in 'to=<gone@corp.example>.*status=bounced'
wait_for 15 "the bounce at the sink" has_bounce_to bob@customer.example
wait_delivered in
wait_delivered out
check "bounce: the bounce reached the customer" \
    expect_eq 1 "$(bounces_to bob@customer.example | wc -l)"
check "bounce: it carries her message back" \
    grep -q '^Subject: please call me back' "$(bounces_to bob@customer.example | head -n 1)"
check "bounce: out refused nothing" fg_not maillog_has in 'said: 5[0-9][0-9] '
wait_for 10 "the bounce's record" audit_has recipient=bob@customer.example
rec=$(audit_find recipient=bob@customer.example | head -n 1)
check "bounce: recorded as delivered" expect_eq delivered "$(audit_field "$rec" outcome)"
check "bounce: no attached-message for her" \
    fg_not list_has "$(audit_field "$rec" signals)" attached-message
check "bounce: the reason says why" \
    expect_match "attached-message names the recipient's own message" \
    "$(audit_field "$rec" reason)"

# --- 2b. the bounce goes to an envelope sender her headers do not name -------
erin_env=bounce-erin=customer.example@mailer.example
erin_id="erin.$(date +%s).$RANDOM@customer.example"
msg="$FG_WORK/erin.eml"
make_message "$msg" "From: Erin Customer <erin@customer.example>" \
    "To: support@corp.example, gone@corp.example" "Subject: erin asks for a call" \
    "Message-ID: <$erin_id>"
send_smtp "${PF_PORT[in]}" "$erin_env" support@corp.example,gone@corp.example "$msg"
check "bounce address: in accepted the message" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "the bounce at the sink" has_bounce_to "$erin_env"
wait_delivered in
wait_delivered out
check "bounce address: the bounce reached her envelope sender" \
    expect_eq 1 "$(bounces_to "$erin_env" | wc -l)"
check "bounce address: it carries her message back" \
    grep -q '^Subject: erin asks for a call' "$(bounces_to "$erin_env" | head -n 1)"
check "bounce address: out refused nothing" fg_not maillog_has in 'said: 5[0-9][0-9] '
check "bounce address: the record of her message names her envelope sender" \
    expect_eq "$erin_env" "$(rcli_raw HGET "fwdguard:msg:$erin_id" sender)"
wait_for 10 "the bounce's record" audit_has recipient="$erin_env"
rec=$(audit_find recipient="$erin_env" | head -n 1)
check "bounce address: recorded as delivered" expect_eq delivered "$(audit_field "$rec" outcome)"
check "bounce address: no attached-message for her" \
    fg_not list_has "$(audit_field "$rec" signals)" attached-message
check "bounce address: no known-message-id for her" \
    fg_not list_has "$(audit_field "$rec" signals)" known-message-id
check "bounce address: the reason says why" \
    expect_match "attached-message names the recipient's own message" \
    "$(audit_field "$rec" reason)"

# --- 3. a forwarded copy to two outside and one inside recipient -------------
msg="$FG_WORK/forward.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Jane Customer <jane@customer.example>" \
    "To: support@corp.example" \
    "Subject: fwd rule copy"
send_smtp "${PF_PORT[out]}" support@corp.example \
    consultant@fti.example,colleague@corp.example,partner@other.example "$msg"
check "smtpd: the transaction was accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "the colleague's copy at the sink" sink_has_rcpt colleague@corp.example
wait_delivered out
check "smtpd: the colleague got it" expect_eq 1 "$(sink_rcpt_count colleague@corp.example)"
check "smtpd: consultant@fti.example got nothing" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
check "smtpd: partner@other.example got nothing" \
    expect_eq 0 "$(sink_rcpt_count partner@other.example)"
for r in consultant@fti.example partner@other.example; do
	rec=$(audit_find recipient=$r | head -n 1)
	check "smtpd: $r recorded as removed" expect_eq removed "$(audit_field "$rec" outcome)"
done

# --- 4. an alias that keeps a copy and forwards one ------------------------------
# Instance in2 expands support@ to itself and an outside consultant: both
# copies reach out in one transaction, each with ORCPT=support@.
printf 'support@corp.example support@corp.example, consultant@fti.example\n' \
    >"$FG_WORK/keep-virtual"
start_postfix in2 --relay "127.0.0.1:${PF_PORT[out]}" --virtual "$FG_WORK/keep-virtual" ||
    fg_die "start postfix in2"
customer_writes in2 "Carol Customer <carol@customer.example>" "kept copy" \
    support@corp.example
check "alias: in2 accepted the message" expect_match '^250 ' "$SMTP_REPLY"
kept_copies() {	# captured transactions to support@ with the subject "kept copy"
	local f
	while IFS= read -r f; do
		sink_file_has_rcpt "$f" support@corp.example &&
		    grep -q '^Subject: kept copy' "$f" && echo "$f"
	done < <(sink_files)
}
has_kept_copy() { [ -n "$(kept_copies)" ]; }
wait_for 15 "support@'s kept copy" has_kept_copy
wait_delivered in2
wait_delivered out
check "alias: support@ kept its copy" expect_eq 1 "$(kept_copies | wc -l)"
check "alias: consultant@fti.example got nothing" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
rec=$(audit_find recipient=consultant@fti.example | tail -n 1)
check "alias: the forward recorded as removed" expect_eq removed "$(audit_field "$rec" outcome)"
check "alias: in2 bounced nothing" fg_not maillog_has in2 'status=bounced'

# --- 5. a forged bounce with a decoy written to its recipient ------------------
msg="$FG_WORK/decoy-bounce.eml"
cat >"$msg" <<'EOF_MSG'
From: MAILER-DAEMON@corp.example (Mail Delivery System)
To: consultant@fti.example
Subject: forged bounce with a decoy
Message-ID: <decoy-bounce@corp.example>
Date: Mon, 1 Jan 2024 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="d0"

--d0
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.corp.example

Final-Recipient: rfc822; gone@corp.example
Action: failed
Status: 5.1.1

--d0
Content-Type: message/rfc822

Delivered-To: support@corp.example
From: insider@corp.example
To: consultant@fti.example
Subject: decoy
Message-ID: <decoy@corp.example>

nothing here
--d0
Content-Type: message/rfc822

Delivered-To: support@corp.example
From: Dora Customer <dora@customer.example>
To: support@corp.example
Subject: my account 4711
Message-ID: <real@customer.example>

My account number is 4711.
--d0--
EOF_MSG
send_smtp "${PF_PORT[out]}" '<>' consultant@fti.example,colleague@corp.example "$msg"
check "decoy: the transaction was accepted" expect_match '^250 ' "$SMTP_REPLY"
decoy_copies() {	# captured transactions with the forged bounce's subject
	local f
	while IFS= read -r f; do
		grep -q "^Subject: forged bounce with a decoy" "$f" && echo "$f"
	done < <(sink_files)
}
has_decoy_copy() { [ -n "$(decoy_copies)" ]; }
wait_for 15 "the colleague's copy of the forged bounce" has_decoy_copy
wait_delivered out
check "decoy: the colleague got it" \
    sink_file_has_rcpt "$(decoy_copies | head -n 1)" colleague@corp.example
check "decoy: consultant@fti.example got nothing" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
rec=$(audit_find recipient=consultant@fti.example message_id=decoy-bounce@corp.example |
    head -n 1)
check "decoy: the consultant's copy recorded as removed" \
    expect_eq removed "$(audit_field "$rec" outcome)"
check "decoy: with attached-message" \
    list_has "$(audit_field "$rec" signals)" attached-message

fg_summary
