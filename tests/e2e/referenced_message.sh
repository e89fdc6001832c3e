#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The forward a person makes (referenced-message), end to end (README.md
# "The forward a person makes").
# A customer writes to support@ (from Outlook: a Thread-Index).  Once its
# correlation records are in Redis, fwdguard restarts (its memory of recent
# records is gone: the lookups below are Redis's), and support@ forwards
# the message with a client's Forward button to consultant@fti.example,
# which was never a party to it: a new message, new Message-ID, naming the
# original (a) by In-Reply-To/References, (b) by X-Forwarded-Message-Id,
# (c) by Thread-Index only.  Each is refused with referenced-message and
# names the original; nothing reaches the firm.  (d) support@'s reply to
# the customer, with the same references, is delivered; (e) so is a
# colleague's message to a colleague.  (f) Redis down: a lookup that cannot
# be answered lets the message through (audit.correlation_on_error: accept,
# the default) but never silently: a warning, and a decision recorded with
# unchecked=correlation; a message received since (remembered by the
# process) is still found.  (i) The same with correlation_on_error:
# tempfail: the forward gets 451 4.7.1; once Redis is back, its retry is
# judged and refused.
# The firm itself once wrote to support@ (its offer): (g) a forward of the
# customer's message whose References also names the firm's old offer is
# refused all the same (the message forwarded decides, not the thread),
# while (h) support@'s answer to the offer, in the customer's thread, goes
# out.
. "$(dirname "$0")/lib.sh"

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
CONF="$FG_WORK/fwdguard.yaml"
fwdguard_config "$CONF" enforce reject
start_fwdguard "$CONF" || fg_die "start fwdguard"
# The mailboxes at corp.example read mail nobody checks here.
printf '%s\n' 'support /dev/null' 'colleague /dev/null' 'other /dev/null' >"$FG_WORK/aliases"
touch -d '-1 min' "$FG_WORK/aliases"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --non-smtpd-milters "$(fwdguard_milter)" \
    --set "mydestination = corp.example" \
    --set "alias_maps = texthash:$FG_WORK/aliases" \
    --set "local_recipient_maps =" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}

# An Outlook conversation: its first Thread-Index, a later one in it, its id.
TI_FIRST="Adntir5mrR0a9TxOQK8LkylfTNIcAA=="
TI_LATER="Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD"
CONV=01d9ed8abe66ad1d1af53c4e40af0b93295f4cd21c00
run=$(date +%s).$RANDOM
cust_id="cust.$run@customer.example"

redis_key() { [ "$(rcli_raw EXISTS "$1")" = 1 ]; }

# forward NAME SUBJECT HEADER...: support@ sends a new message to the firm;
# its Message-ID is "NAME.$run@corp.example".
forward() {
	local name=$1 subject=$2 msg="$FG_WORK/$1.eml"
	shift 2
	make_message "$msg" "From: Customer Service <support@corp.example>" \
	    "To: consultant@fti.example" "Subject: $subject" \
	    "Message-ID: <$name.$run@corp.example>" "$@"
	send_smtp "$MTA_PORT" support@corp.example consultant@fti.example "$msg"
}

# refused NAME VIA [CORROBORATION]: the last reply refused the forward, and
# its decision names the original, how it was named, and the subject's mark.
refused() {
	local name=$1 via=$2 corr=${3:-} ref rec
	check "$name: refused with 550" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
	ref=$(smtp_ref)
	wait_for 10 "the decision on $name" audit_has id="$ref"
	rec=$(audit_find id="$ref" | head -n 1)
	check "$name: signals referenced-message" \
	    expect_eq referenced-message "$(audit_field "$rec" signals)"
	check "$name: rule forwarded-copy" expect_eq forwarded-copy "$(audit_field "$rec" rule)"
	check "$name: mailbox support@" expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
	check "$name: target the firm" expect_eq fti.example "$(audit_field "$rec" target)"
	check "$name: names the customer's message" \
	    expect_eq "$cust_id" "$(audit_field "$rec" original_message_id)"
	check "$name: named by $via" expect_eq "$via" "$(audit_field "$rec" original_via)"
	check "$name: corroboration '$corr'" expect_eq "$corr" "$(audit_field "$rec" corroboration)"
}

# --- the customer's message, and its correlation records in Redis ----------
msg="$FG_WORK/customer.eml"
make_message "$msg" "From: Jane Customer <jane@customer.example>" \
    "To: support@corp.example" "Subject: my account 12345" "Message-ID: <$cust_id>" \
    "Thread-Index: $TI_FIRST" "Thread-Topic: my account 12345"
send_smtp "$MTA_PORT" jane@customer.example support@corp.example "$msg"
check "customer: mail to support@ accepted" expect_match '^250 ' "$SMTP_REPLY"
check "correlation: the Message-ID is in Redis" \
    wait_for 10 "msg: record" redis_key "fwdguard:msg:$cust_id"
check "correlation: the conversation is in Redis" \
    wait_for 10 "thread: record" redis_key "fwdguard:thread:$CONV"
check "correlation: the conversation names the message" \
    expect_eq "$cust_id" "$(rcli_raw HGET "fwdguard:thread:$CONV" message_id)"
check "correlation: the conversation's mailbox is support@" \
    expect_eq support@corp.example "$(rcli_raw HGET "fwdguard:thread:$CONV" mailbox)"
check "correlation: the conversation expires like the message" \
    expect_match '^[1-9][0-9]*$' "$(rcli_raw TTL "fwdguard:thread:$CONV")"

# The firm's own offer to support@: the firm is a party to it, not to the
# customer's message.
offer_id="offer.$run@fti.example"
support_receives "offer" "$FG_WORK/offer.eml" consultant@fti.example "$offer_id" \
    "From: A Consultant <consultant@fti.example>" "To: support@corp.example" \
    "Subject: our offer"

# A fresh process knows only what Redis knows.
stop_fwdguard
start_fwdguard "$CONF" || fg_die "restart fwdguard"

# --- (a) (b) (c) each client's Forward button --------------------------------
forward gmail "Fwd: my account 12345" "In-Reply-To: <$cust_id>" "References: <$cust_id>"
refused "Gmail-style forward" references forward-subject
forward thunderbird "my account 12345" "X-Forwarded-Message-Id: <$cust_id>"
refused "Thunderbird-style forward" x-forwarded-message-id
forward outlook "TR: my account 12345" "Thread-Index: $TI_LATER" \
    "Thread-Topic: my account 12345"
refused "Outlook-style forward" thread-index forward-subject
forward oldref "Fwd: my account 12345" "In-Reply-To: <$cust_id>" \
    "References: <$offer_id> <$cust_id>"
refused "forward with the firm's old offer in References" references forward-subject
check "sink: the firm got nothing" expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"

# --- (h) support@'s answer to the firm's offer, in the customer's thread ----------
forward offer-reply "Re: our offer" "In-Reply-To: <$offer_id>" \
    "References: <$cust_id> <$offer_id>"
check "answer to the offer: accepted" expect_match '^250 ' "$SMTP_REPLY"
check "answer to the offer: delivered to the firm" \
    wait_for 15 "the answer at the sink" sink_rcpt_is consultant@fti.example 1
wait_for 10 "the decision on the answer" audit_has message_id="offer-reply.$run@corp.example"
check "answer to the offer: no referenced-message" fg_not expect_match referenced-message \
    "$(audit_find message_id="offer-reply.$run@corp.example")"

# --- (d) the answer to the customer -------------------------------------------
msg="$FG_WORK/reply.eml"
make_message "$msg" "From: Customer Service <support@corp.example>" \
    "To: Jane Customer <jane@customer.example>" "Subject: RE: my account 12345" \
    "Message-ID: <reply.$run@corp.example>" "In-Reply-To: <$cust_id>" \
    "References: <$cust_id>" "Thread-Index: $TI_LATER"
send_smtp "$MTA_PORT" support@corp.example jane@customer.example "$msg"
check "reply: accepted" expect_match '^250 ' "$SMTP_REPLY"
check "reply: delivered to the customer" \
    wait_for 15 "the reply at the sink" sink_rcpt_is jane@customer.example 1
wait_for 10 "the decision on the reply" audit_has message_id="reply.$run@corp.example"
check "reply: recorded without a signal" expect_eq "" \
    "$(audit_field "$(audit_find message_id="reply.$run@corp.example")" signals)"

# --- (e) between colleagues ------------------------------------------------------
msg="$FG_WORK/colleague.eml"
make_message "$msg" "From: A Colleague <colleague@corp.example>" \
    "To: other@corp.example" "Subject: Fwd: my account 12345" \
    "Message-ID: <internal.$run@corp.example>" "References: <$cust_id>" \
    "X-Forwarded-Message-Id: <$cust_id>" "Thread-Index: $TI_LATER"
send_smtp "$MTA_PORT" colleague@corp.example other@corp.example "$msg"
check "colleague: accepted" expect_match '^250 ' "$SMTP_REPLY"
check "colleague: delivered" wait_for 15 "local delivery to other@" \
    maillog_has mta 'to=<other@corp.example>.*status=sent'
check "colleague: no referenced-message" \
    fg_not expect_match referenced-message "$(audit_find message_id="internal.$run@corp.example")"

# --- (f) Redis down ------------------------------------------------------------------
stop_fwdguard
start_fwdguard "$CONF" || fg_die "restart fwdguard"
stop_redis
forward down-unknown "Fwd: my account 12345" "References: <$cust_id>"
check "redis down: a lookup nobody can answer holds nothing back" \
    expect_match '^250 ' "$SMTP_REPLY"
check "redis down: the failed lookup is logged" \
    wait_for 5 "the log line" grep -q 'correlation lookup of the messages it names: try again' \
    "$FWDGUARD_LOG"
check "redis down: a warning says the forward went out unchecked" \
    grep -q 'correlation store unavailable: 1 outside recipient(s) not checked.*correlation_on_error=accept' \
    "$FWDGUARD_LOG"
cust2="cust2.$run@customer.example"
msg="$FG_WORK/customer2.eml"
make_message "$msg" "From: Jane Customer <jane@customer.example>" \
    "To: support@corp.example" "Subject: my address changed" "Message-ID: <$cust2>"
send_smtp "$MTA_PORT" jane@customer.example support@corp.example "$msg"
check "redis down: a new customer mail is accepted" expect_match '^250 ' "$SMTP_REPLY"
forward down-known "Fwd: my address changed" "In-Reply-To: <$cust2>" "References: <$cust2>"
check "redis down: its forward is refused all the same" \
    expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
check "redis down: the decision was logged with referenced-message" \
    grep -q "decision id=$(smtp_ref) .*signals=referenced-message" "$FWDGUARD_LOG"
start_redis || fg_die "restart redis-server"
check "fwdguard still running" fwdguard_alive
check "redis back: the unchecked forward is in the trail" \
    wait_for 15 "the decision on down-unknown" audit_has \
    message_id="down-unknown.$run@corp.example" unchecked=correlation outcome=delivered
check "redis back: fwdguard-audit search --json finds it to re-check" \
    grep -q "\"message_id\":\"down-unknown.$run@corp.example\".*\"unchecked\":\"correlation\"" \
    <("$BUILD/fwdguard-audit" -c "$CONF" search --json --limit 0 2>&1)
check "redis back: the customer's new message is in Redis" \
    wait_for 15 "msg: record of cust2" redis_key "fwdguard:msg:$cust2"

# --- (i) Redis down, correlation_on_error: tempfail ------------------------------
CONF_TF="$FG_WORK/fwdguard-tempfail.yaml"
sed '/^  spool: /a\  correlation_on_error: tempfail' "$CONF" >"$CONF_TF"
grep -q '^  correlation_on_error: tempfail$' "$CONF_TF" || fg_die "write $CONF_TF"
stop_fwdguard
start_fwdguard "$CONF_TF" || fg_die "restart fwdguard with correlation_on_error: tempfail"
firm_before=$(sink_rcpt_count consultant@fti.example)
# Redis keeps its data across the outage (it runs with --save '').
rcli_raw SAVE >/dev/null
stop_redis
forward down-tempfail "Fwd: my address changed" "In-Reply-To: <$cust2>" "References: <$cust2>"
check "tempfail: the forward nobody could check gets 451 4.7.1" \
    expect_match '^451[ -]4\.7\.1 ' "$SMTP_REPLY"
tf_ref=$(smtp_ref)
check "tempfail: a warning names the policy" \
    grep -q 'correlation store unavailable.*correlation_on_error=tempfail' "$FWDGUARD_LOG"
start_redis || fg_die "restart redis-server"
check "tempfail: Redis still knows the customer's message" redis_key "fwdguard:msg:$cust2"
check "tempfail: the tempfail is in the trail, unchecked" \
    wait_for 15 "the decision on down-tempfail" audit_has id="$tf_ref" action=tempfail \
    outcome=tempfailed unchecked=correlation
# The sender's retry, once Redis answers (fwdguard asks again after a second).
for try in 1 2 3 4 5 6 7 8 9 10; do
	forward down-tempfail "Fwd: my address changed" "In-Reply-To: <$cust2>" "References: <$cust2>"
	expect_match '^451[ -]' "$SMTP_REPLY" || break
	sleep 1
done
fg_log "tempfail: retry $try: $SMTP_REPLY"
check "tempfail: the retry is refused with 550" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
wait_for 10 "the decision on the retry" audit_has id="$(smtp_ref)"
rec=$(audit_find id="$(smtp_ref)" | head -n 1)
check "tempfail: the retry has referenced-message" \
    expect_eq referenced-message "$(audit_field "$rec" signals)"
check "tempfail: the retry names the customer's message" \
    expect_eq "$cust2" "$(audit_field "$rec" original_message_id)"
check "tempfail: the retry was checked" expect_eq "" "$(audit_field "$rec" unchecked)"
check "tempfail: the firm got nothing more" \
    expect_eq "$firm_before" "$(sink_rcpt_count consultant@fti.example)"

fg_summary
