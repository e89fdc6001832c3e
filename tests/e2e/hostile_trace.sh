#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Trace headers an insider's forward may carry in a mangled form, through a
# real Postfix: a Delivered-To with a control, DEL or 8-bit byte next to
# the address, and a Received: header whose "for" clause follows an
# unclosed '(' (an SMTP client's HELO name) are still evidence, and the
# copy is stopped; a message with 45 Received: headers of 70 kB of repeated
# "for <" is decided and recorded like any other (each byte of a header is
# read a bounded number of times); look-alikes of the protected address
# with the same junk pass.
#
# Checked on Postfix 3.7: control bytes, DEL and 8-bit bytes in a header
# reach the milter and the next hop as sent; a NUL ends the header line
# for both; a header line longer than 60,000 bytes is cut there for both.
# The To: of each copy is its envelope recipient, so that only the trace
# header can give a signal.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject

# stopped NAME RCPT SIGNAL N: the last message, the N-th one recorded, was
# refused, recorded with SIGNAL for support@, and RCPT got nothing.
stopped() {
	local name=$1 rcpt=$2 signal=$3 rec
	check "$name: refused with 5xx" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
	audit_wait "$4" 20
	rec=$(audit_find recipient="$rcpt" | head -n 1)
	check "$name: recorded" test -n "$rec"
	check "$name: action=reject" expect_eq reject "$(audit_field "$rec" action)"
	check "$name: signals has $signal" list_has "$(audit_field "$rec" signals)" "$signal"
	check "$name: mailbox is support@" \
	    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
	check "$name: $rcpt got nothing" expect_eq 0 "$(sink_rcpt_count "$rcpt")"
}

n=0
for junk in ctrl del 8bit 8bit-before; do
	case $junk in
	ctrl) h=$'Delivered-To: support@corp.example\x01' ;;
	del) h=$'Delivered-To: support@corp.example\x7f' ;;
	8bit) h=$'Delivered-To: support@corp.example\xe9' ;;
	8bit-before) h=$'Delivered-To: \x80\xff support@corp.example' ;;
	esac
	n=$((n + 1))
	rcpt="consultant$n@fti.example"
	make_message "$FG_WORK/$junk.eml" "$h" \
	    "From: Customer <customer@example.net>" "To: $rcpt" "Subject: my contract"
	send_smtp "$MTA_PORT" customer@example.net "$rcpt" "$FG_WORK/$junk.eml"
	stopped "delivered-to with $junk junk" "$rcpt" delivered-to "$n"
done

# An upstream server's Received: header for a client that said "EHLO relay(".
n=$((n + 1))
rcpt="consultant$n@fti.example"
make_message "$FG_WORK/helo.eml" \
    "Received: from relay( (localhost [127.0.0.1]) by mx.corp.example (Postfix) with ESMTP id 4Xy for <support@corp.example>; $(LC_ALL=C date -R) (UTC)" \
    "From: Customer <customer@example.net>" "To: $rcpt" "Subject: my contract"
send_smtp "$MTA_PORT" customer@example.net "$rcpt" "$FG_WORK/helo.eml"
stopped "received-for after an unclosed (" "$rcpt" received-for "$n"

# 45 Received: headers of 70 kB of "for < "; the first names support@
# after 48 kB of them, with a control byte inside the angle brackets.
n=$((n + 1))
rcpt="consultant$n@fti.example"
big="$FG_WORK/big.eml"
fors() { head -c "$1" < <(yes 'for < ' | tr -d '\n'); }
{
	printf 'Received: from relay.example by mx.corp.example with ESMTP id H0 %s' "$(fors 48000)"
	printf 'for <support@corp.example\001>; %s\n' "$(LC_ALL=C date -R)"
	for ((i = 1; i < 45; i++)); do
		printf 'Received: from relay%d.example by mx%d.example with ESMTP id H%d %s\n' \
		    "$i" "$i" "$i" "$(fors 70000)"
	done
	printf 'From: Customer <customer@example.net>\nTo: %s\nSubject: big\n' "$rcpt"
	printf 'Date: %s\nMessage-ID: <big.%s@e2e.test>\n\nbody\n' "$(LC_ALL=C date -R)" "$RANDOM"
} >"$big"
start=$(date +%s)
send_smtp "$MTA_PORT" customer@example.net "$rcpt" "$big"
echo "# 45 Received: headers of 70 kB decided in $(($(date +%s) - start)) s (wall clock)"
stopped "45 Received: headers of 70 kB" "$rcpt" received-for "$n"
check "fwdguard still running" fwdguard_alive

# Look-alikes, with the same junk: delivered, no signal.
msg="$FG_WORK/lookalike.eml"
make_message "$msg" \
    $'Delivered-To: support@corp.example.evil.test\x01' \
    $'X-Original-To: xsupport@corp.example\x7f' \
    $'X-Forwarded-To: support@corp.exampleX\xe9' \
    $'Resent-From: "support@corp.example" <x@evil.test>\x01' \
    'Resent-Sender: =?utf-8?q?support=40corp.example?= <x@evil.test>' \
    $'Received: from a (helo for <support@corp.example>) by mx.corp.example id 4Xz for <support@corp.example.evil.test\x01>; Mon, 1 Jan 2024 10:00:00 +0000' \
    "From: Customer <customer@example.net>" "To: partner@fti.example" "Subject: hello"
send_smtp "$MTA_PORT" customer@example.net partner@fti.example "$msg"
check "look-alikes: accepted with 250" expect_match '^250 ' "$SMTP_REPLY"
wait_delivered mta
check "look-alikes: delivered" expect_eq 1 "$(sink_rcpt_count partner@fti.example)"
wait_for 10 "the spool to be shipped" spool_drained
rec=$(audit_find recipient=partner@fti.example | head -n 1)
check "look-alikes: no signal recorded" expect_eq "" "$(audit_field "$rec" signals)"

fg_summary
