#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Leak evidence, end to end (README.md "Leaks that slipped through").
# (a) support@ is forwarded to an outside firm by a local alias fwdguard
#     cannot see; the firm's out-of-office answer to a colleague names the
#     colleague's Message-ID: leak-backscatter, mailbox support@, target
#     fti.example, and a critical alert (null sender, then the mailbox's
#     own address as sender).
# (b) a customer's auto-reply to support@'s answer raises nothing.
# (c) known-message-id: support@ redirects a received message without any
#     trace header: rejected; the answer to the customer passes.
# (d) attached-message: a forward as attachment is rejected, an ordinary
#     attachment passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_leak.sh"

leak_world enforce reject

# --- (a) the out-of-office answer from the outside firm -------------------
check "forward: the colleague's mail and the firm's answer went through" \
    leak_play_forward_and_ooo "<>"
check "correlation: support@'s Message-ID is in Redis" \
    wait_for 10 "correlation record" corr_exists "$LEAK_COLLEAGUE_ID"
check "correlation: mailbox is support@" \
    expect_eq support@corp.example "$(corr_field "$LEAK_COLLEAGUE_ID" mailbox)"
check "correlation: sender is the colleague" \
    expect_eq colleague@corp.example "$(corr_field "$LEAK_COLLEAGUE_ID" sender)"
check "correlation: expires" \
    expect_match '^[1-9][0-9]*$' "$(rcli_raw TTL "fwdguard:msg:$LEAK_COLLEAGUE_ID")"
rec=$(audit_find message_id="$LEAK_OOO_ID" | head -n 1)
check "ooo: signals has leak-backscatter" \
    list_has "$(audit_field "$rec" signals)" leak-backscatter
check "ooo: mailbox is support@" expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "ooo: target is the outside firm" expect_eq fti.example "$(audit_field "$rec" target)"
check "ooo: rule leak-backscatter" expect_eq leak-backscatter "$(audit_field "$rec" rule)"
check "ooo: action accept" expect_eq accept "$(audit_field "$rec" action)"
check "ooo: names the original Message-ID" \
    expect_eq "$LEAK_COLLEAGUE_ID" "$(audit_field "$rec" original_message_id)"
check "ooo: says when the original came in" \
    expect_match '^[0-9]{13}$' "$(audit_field "$rec" original_ts)"
check "alert: critical leak-backscatter alert recorded" \
    wait_for 10 "alert" alert_has rule=leak-backscatter level=critical \
    decision_id="$(audit_field "$rec" id)"
check "ooo: delivered to the colleague" \
    wait_for 10 "no mail queued" queue_active_empty mta

check "forward: again, the answer from the mailbox address" \
    leak_play_forward_and_ooo consultant@fti.example
rec=$(audit_find message_id="$LEAK_OOO_ID" | head -n 1)
check "ooo from the mailbox: leak-backscatter" \
    list_has "$(audit_field "$rec" signals)" leak-backscatter
check "ooo from the mailbox: target is the outside firm" \
    expect_eq fti.example "$(audit_field "$rec" target)"

# --- (b) the customer's own auto-reply ------------------------------------
cust_id="cust.$RANDOM.$(date +%s)@example.net"
reply_id="reply.$RANDOM.$(date +%s)@corp.example"
msg="$FG_WORK/customer.eml"
make_message "$msg" "From: Jane Customer <customer@example.net>" \
    "To: support@corp.example" "Subject: my invoice" "Message-ID: <$cust_id>"
send_smtp "$MTA_PORT" customer@example.net support@corp.example "$msg"
check "customer: mail to support@ accepted" expect_match '^250 ' "$SMTP_REPLY"
msg="$FG_WORK/reply.eml"
make_message "$msg" "From: Customer Service <support@corp.example>" \
    "To: Jane Customer <customer@example.net>" "Subject: Re: my invoice" \
    "In-Reply-To: <$cust_id>" "Message-ID: <$reply_id>"
send_smtp "$MTA_PORT" support@corp.example customer@example.net "$msg"
check "reply: support@'s answer to the customer passes" expect_match '^250 ' "$SMTP_REPLY"
msg="$FG_WORK/customer-ooo.eml"
ooo2="ooo.$RANDOM.$(date +%s)@example.net"
make_message "$msg" "From: Jane Customer <customer@example.net>" \
    "To: support@corp.example" "Subject: Automatic reply: Re: my invoice" \
    "Auto-Submitted: auto-replied" "In-Reply-To: <$reply_id>" \
    "References: <$cust_id> <$reply_id>" "Message-ID: <$ooo2>"
send_smtp "$MTA_PORT" "<>" support@corp.example "$msg"
check "customer ooo: accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_for 10 "decision on the customer's auto-reply" audit_has message_id="$ooo2"
rec=$(audit_find message_id="$ooo2" | head -n 1)
check "customer ooo: no leak signal" \
    fg_not expect_match 'leak-' "$(audit_field "$rec" signals)"
check "reply: no known-message-id on the answer" \
    fg_not expect_match 'known-message-id' "$(audit_find message_id="$reply_id")"

# --- (c) known-message-id ------------------------------------------------------
wait_for 10 "correlation record of the customer's mail" corr_exists "$cust_id"
msg="$FG_WORK/redirect.eml"
make_message "$msg" "From: Jane Customer <customer@example.net>" \
    "To: support@corp.example" "Subject: my invoice" "Message-ID: <$cust_id>"
send_smtp "$MTA_PORT" support@corp.example someone@elsewhere.example "$msg"
check "redirect: refused with 550" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
ref=$(smtp_ref)
wait_for 10 "decision on the redirect" audit_has id="$ref"
rec=$(audit_find id="$ref" | head -n 1)
check "redirect: signals has known-message-id" \
    list_has "$(audit_field "$rec" signals)" known-message-id
check "redirect: rule forwarded-copy" expect_eq forwarded-copy "$(audit_field "$rec" rule)"
check "redirect: names the original" expect_eq "$cust_id" "$(audit_field "$rec" original_message_id)"
check "sink: elsewhere.example got nothing" \
    expect_eq 0 "$(sink_rcpt_count someone@elsewhere.example)"

# --- (d) attached-message ------------------------------------------------------
mime_message() {	# FILE MESSAGE-ID SUBJECT PART-HEADERS PART-BODY
	cat >"$1" <<MSG
From: Customer Service <support@corp.example>
To: consultant@fti.example
Subject: $3
Date: $(LC_ALL=C date -R)
Message-ID: <$2>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=-b0undary"

--=-b0undary
Content-Type: text/plain; charset=us-ascii

See the attachment.
--=-b0undary
$4

$5
--=-b0undary--
MSG
}
fwd_id="fwd.$RANDOM.$(date +%s)@corp.example"
mime_message "$FG_WORK/fwd-attached.eml" "$fwd_id" "Fwd: my invoice" \
    "Content-Type: message/rfc822" \
    "$(printf '%s\n' "Delivered-To: support@corp.example" \
        "From: Jane Customer <customer@example.net>" "To: support@corp.example" \
        "Subject: my invoice" "Message-ID: <$cust_id>" "" "Account 0000.")"
send_smtp "$MTA_PORT" support@corp.example consultant@fti.example "$FG_WORK/fwd-attached.eml"
check "attached: forward as attachment refused" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
ref=$(smtp_ref)
wait_for 10 "decision on the attachment forward" audit_has id="$ref"
check "attached: signals has attached-message" \
    list_has "$(audit_field "$(audit_find id="$ref")" signals)" attached-message
offer_id="offer.$RANDOM.$(date +%s)@corp.example"
mime_message "$FG_WORK/offer.eml" "$offer_id" "our offer" \
    "$(printf '%s\n' "Content-Type: application/pdf; name=offer.pdf" \
        "Content-Transfer-Encoding: base64")" \
    "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K"
send_smtp "$MTA_PORT" support@corp.example consultant@fti.example "$FG_WORK/offer.eml"
check "attached: an ordinary attachment passes" expect_match '^250 ' "$SMTP_REPLY"
check "fwdguard still running" fwdguard_alive

fg_summary
