#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A forward as attachment, disguised the ways clients and insiders send it,
# through a real Postfix.  A colleague (not protected) passes on a message
# support@ received (its headers say Delivered-To: support@corp.example):
#   (a) as message/rfc822 in base64, (b) as an .eml under
#   application/octet-stream with another name, (c) as quoted-printable
#   text/plain, (d) under an outer RFC 2231 boundary*0= boundary, or one
#   given after 1.5 KiB of other parameters: each refused with
#   attached-message and recorded for support@.
#   (e) an ordinary PDF-like attachment and (f) an attached message that
#   is a colleague's own mail go out to the same external recipient.
#   (g) a message/partial cannot be read: from support@ it is refused with
#   attached-message; from the colleague it goes out, recorded with
#   body-unexamined.
#   (h) under a 130-character boundary (past RFC 2046's 70): refused.
#   (i) nine multiparts deep, past what fwdguard examines: goes out (the
#   sample rule accepts) with a record: body-unexamined, rule
#   body-unexamined.
#   (j) a Word document (OLE) quoting support@ goes out; (k) an Outlook .msg
#   (OLE whose directory names __substg1.0_ streams) sent as notes.bin is
#   refused.
#   (l) an attached message whose To: names support@ through a control
#   byte is refused; (m) a look-alike with the same junk goes out.
#   (n) a customer writes to sales@ with support@ in Bcc: her headers name
#   no protected mailbox, and the copy a client saves has no Delivered-To.
#   Attached whole by support@ for the outside firm, it is refused with
#   known-message-id, naming her message (original_via=attached); attached
#   for the customer herself, it goes out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_leak.sh"

leak_world enforce reject

# The message support@ received, as a client saves it (.eml).
inner="$FG_WORK/inner.eml"
printf '%s\n' \
    "Return-Path: <customer@example.net>" \
    "Delivered-To: support@corp.example" \
    "From: Jane Customer <customer@example.net>" \
    "To: Customer Service <support@corp.example>" \
    "Subject: my invoice" \
    "Message-ID: <inner.$RANDOM@example.net>" \
    "" "My account number is 0000." >"$inner"

# forward FILE SUBJECT TOP-CONTENT-TYPE BOUNDARY PART-HEADERS PART-BODY
forward() {
	cat >"$1" <<MSG
From: A Colleague <colleague@corp.example>
To: partner@fti.example
Subject: $2
Date: $(LC_ALL=C date -R)
Message-ID: <$(date +%s%N).$RANDOM@corp.example>
MIME-Version: 1.0
Content-Type: $3

--$4
Content-Type: text/plain; charset=us-ascii

See the attachment.
--$4
$5

$6
--$4--
MSG
}

# refused NAME FILE [SIGNAL] [SENDER]: sent from SENDER (default the
# colleague) to partner@fti.example, it is refused, and the decision
# ($REFUSED) says SIGNAL (default attached-message) for support@.
REFUSED=
refused() {
	local ref signal=${3:-attached-message}
	send_smtp "$MTA_PORT" "${4:-colleague@corp.example}" partner@fti.example "$2"
	check "$1: refused" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
	ref=$(smtp_ref)
	wait_for 10 "decision on $1" audit_has id="$ref"
	REFUSED=$(audit_find id="$ref" | head -n 1)
	check "$1: signals has $signal" list_has "$(audit_field "$REFUSED" signals)" "$signal"
	check "$1: mailbox is support@" \
	    expect_eq support@corp.example "$(audit_field "$REFUSED" mailbox)"
}

b=fwd-b0undary
forward "$FG_WORK/b64.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: message/rfc822" "Content-Transfer-Encoding: base64")" \
    "$(base64 -w 76 "$inner")"
refused "base64 message/rfc822" "$FG_WORK/b64.eml"

forward "$FG_WORK/octet.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: application/octet-stream; name=\"notes.dat\"" \
        "Content-Disposition: attachment; filename=\"notes.dat\"" \
        "Content-Transfer-Encoding: base64")" \
    "$(base64 -w 60 "$inner")"
refused ".eml as application/octet-stream" "$FG_WORK/octet.eml"

forward "$FG_WORK/qp.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: text/plain; charset=utf-8" \
        "Content-Transfer-Encoding: quoted-printable")" \
    "$(sed -e 's/=/=3D/g' -e 's/^Delivered-To: support@/Delivered-To: supp=\nort=40/' "$inner")"
refused "quoted-printable text/plain .eml" "$FG_WORK/qp.eml"

forward "$FG_WORK/rfc2231.eml" "Fwd: my invoice" \
    "multipart/mixed; boundary*0=\"fwd-b0\"; boundary*1=\"undary\"" "$b" \
    "Content-Type: message/rfc822" "$(cat "$inner")"
refused "outer boundary*0= boundary" "$FG_WORK/rfc2231.eml"

# A top-level Content-Type longer than the evidence keeps (1 KiB): the
# boundary comes after 1.5 KiB of other parameters.
long_ctype="multipart/mixed"
for i in $(seq 1 20); do
	long_ctype="$long_ctype;
 x-pad-$i=\"$(printf '%070d' "$i")\""
done
forward "$FG_WORK/long-ctype.eml" "Fwd: my invoice" "$long_ctype; boundary=\"$b\"" "$b" \
    "Content-Type: message/rfc822" "$(cat "$inner")"
refused "boundary after 1.5 KiB of parameters" "$FG_WORK/long-ctype.eml"

before=$(sink_rcpt_count partner@fti.example)
forward "$FG_WORK/pdf.eml" "our offer" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: application/pdf; name=offer.pdf" \
        "Content-Transfer-Encoding: base64")" \
    "$(printf '%%PDF-1.4\n%%\xc7\xec\x8f\xa2\n1 0 obj\n<</Type/Catalog>>\nendobj\n%%%%EOF\n' |
        base64 -w 76)"
send_smtp "$MTA_PORT" colleague@corp.example partner@fti.example "$FG_WORK/pdf.eml"
check "pdf attachment: accepted" expect_match '^250 ' "$SMTP_REPLY"
check "pdf attachment: delivered outside" \
    wait_for 15 "the offer at the partner" sink_rcpt_is partner@fti.example "$((before + 1))"

sed -e 's/support@corp.example/colleague@corp.example/g' "$inner" >"$FG_WORK/own.eml"
forward "$FG_WORK/own-fwd.eml" "Fwd: my own mail" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: message/rfc822" "Content-Transfer-Encoding: base64")" \
    "$(base64 -w 76 "$FG_WORK/own.eml")"
send_smtp "$MTA_PORT" colleague@corp.example partner@fti.example "$FG_WORK/own-fwd.eml"
check "a colleague's own mail attached: accepted" expect_match '^250 ' "$SMTP_REPLY"
check "a colleague's own mail attached: delivered outside" \
    wait_for 15 "the copy at the partner" sink_rcpt_is partner@fti.example "$((before + 2))"
partial_part="$(printf '%s\n' "Content-Type: message/partial; id=\"p1@corp.example\"; number=1; total=2")"
forward "$FG_WORK/partial.eml" "part 1" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$partial_part" "$(head -n 3 "$inner")"
send_smtp "$MTA_PORT" colleague@corp.example partner@fti.example "$FG_WORK/partial.eml"
check "message/partial from the colleague: accepted" expect_match '^250 ' "$SMTP_REPLY"
sed -e 's/^From: A Colleague <colleague@corp.example>/From: Customer Service <support@corp.example>/' \
    "$FG_WORK/partial.eml" >"$FG_WORK/partial-support.eml"
send_smtp "$MTA_PORT" support@corp.example partner@fti.example "$FG_WORK/partial-support.eml"
check "message/partial from support@: refused" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
ref=$(smtp_ref)
wait_for 10 "decision on the partial" audit_has id="$ref"
check "message/partial from support@: signals has attached-message" \
    list_has "$(audit_field "$(audit_find id="$ref" | head -n 1)" signals)" attached-message
check "message/partial from support@: logged as a body not examined whole" \
    grep -q "body not examined whole: attached-message assumed for support@corp.example" \
    "$FWDGUARD_LOG"
n=$(audit_find signals=body-unexamined | grep -c "message_id=$(sed -nE \
    's/^Message-ID: <(.*)>$/\1/p' "$FG_WORK/partial.eml")")
check "message/partial from the colleague: recorded with body-unexamined" expect_eq 1 "$n"

# sent_out NAME FILE: accepted from the colleague and delivered to the partner.
sent_out() {
	local before
	before=$(sink_rcpt_count partner@fti.example)
	send_smtp "$MTA_PORT" colleague@corp.example partner@fti.example "$2"
	check "$1: accepted" expect_match '^250 ' "$SMTP_REPLY"
	check "$1: delivered outside" \
	    wait_for 15 "$1 at the partner" sink_rcpt_is partner@fti.example "$((before + 1))"
}

lb="----=_Part_$(printf '%0119d' 42)"
forward "$FG_WORK/long-boundary.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$lb\"" "$lb" \
    "Content-Type: message/rfc822" "$(cat "$inner")"
refused "130-character boundary" "$FG_WORK/long-boundary.eml"

deep="$FG_WORK/deep.eml"
{
	printf '%s\n' "From: A Colleague <colleague@corp.example>" "To: partner@fti.example" \
	    "Subject: Fwd: nested" "Message-ID: <deep.$$@corp.example>" "MIME-Version: 1.0" \
	    'Content-Type: multipart/mixed; boundary="l0"' ""
	for i in 0 1 2 3 4 5 6 7 8; do
		printf -- '--l%d\nContent-Type: multipart/mixed; boundary="l%d"\n\n' "$i" "$((i + 1))"
	done
	printf -- '--l9\nContent-Type: message/rfc822\n\n'
	cat "$inner"
	for i in 9 8 7 6 5 4 3 2 1 0; do printf -- '--l%d--\n' "$i"; done
} >"$deep"
sent_out "nine multiparts deep" "$deep"
wait_for 10 "decision on the nested message" audit_has message_id="deep.$$@corp.example"
rec=$(audit_find message_id="deep.$$@corp.example" | head -n 1)
check "nine multiparts deep: signals body-unexamined" \
    expect_eq body-unexamined "$(audit_field "$rec" signals)"
check "nine multiparts deep: rule body-unexamined, accept" \
    expect_eq "body-unexamined accept" "$(audit_field "$rec" rule) $(audit_field "$rec" action)"

# An OLE file with Word's streams whose text quotes support@, and an
# Outlook message: Delivered-To: support@ and the directory's stream names.
doc_b64="0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABSAG8AbwB0ACAARQBuAHQAcgB5AAAAAAAA
AFcAbwByAGQARABvAGMAdQBtAGUAbgB0AAAAAAAxAFQAYQBiAGwAZQAAAFBsZWFzZSB3cml0ZSB0
byBzdXBwb3J0QGNvcnAuZXhhbXBsZSB0b2RheS4ATQBhAGkAbAAgAHMAdQBwAHAAbwByAHQAQABj
AG8AcgBwAC4AZQB4AGEAbQBwAGwAZQAAAA=="
msg_b64="0M8R4KGxGuEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABEZWxpdmVyZWQtVG86IHN1cHBvcnRAY29y
cC5leGFtcGxlDQoAAFIAbwBvAHQAIABFAG4AdAByAHkAAABfAF8AcwB1AGIAcwB0AGcAMQAuADAA
XwAwADAANwBEADAAMAAxAEYAAABfAF8AcAByAG8AcABlAHIAdABpAGUAcwBfAHYAZQByAHMAaQBv
AG4AMQAuADAAAAA="
forward "$FG_WORK/doc.eml" "the procedure" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: application/msword; name=\"procedure.doc\"" \
        "Content-Transfer-Encoding: base64")" "$doc_b64"
sent_out "Word document quoting support@" "$FG_WORK/doc.eml"
forward "$FG_WORK/msg.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$b\"" "$b" \
    "$(printf '%s\n' "Content-Type: application/octet-stream; name=\"notes.bin\"" \
        "Content-Transfer-Encoding: base64")" "$msg_b64"
refused "Outlook .msg as notes.bin" "$FG_WORK/msg.eml"

# The customer's message with its To: broken by a control byte, and no
# other header naming support@; then a look-alike broken the same way.
grep -v '^Delivered-To:' "$inner" |
    sed -e "s/^To: .*/To: Customer Service <support$(printf '\001')@corp.example>/" \
    >"$FG_WORK/junk-to.eml"
forward "$FG_WORK/junk-fwd.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$b\"" "$b" \
    "Content-Type: message/rfc822" "$(cat "$FG_WORK/junk-to.eml")"
refused "enclosed To: with a control byte" "$FG_WORK/junk-fwd.eml"
sed -e "s/<support/<xsupport/" "$FG_WORK/junk-to.eml" >"$FG_WORK/junk-look.eml"
forward "$FG_WORK/junk-look-fwd.eml" "Fwd: my invoice" "multipart/mixed; boundary=\"$b\"" "$b" \
    "Content-Type: message/rfc822" "$(cat "$FG_WORK/junk-look.eml")"
sent_out "enclosed look-alike To: with a control byte" "$FG_WORK/junk-look-fwd.eml"

# (n) support@ received it by Bcc; its correlation record names support@.
bcc_id="bcc.$(date +%s).$RANDOM@example.net"
support_receives "Bcc to support@" "$FG_WORK/bcc.eml" customer@example.net "$bcc_id" \
    "From: Jane Customer <customer@example.net>" "To: Sales <sales@corp.example>" \
    "Subject: my invoice"
forward "$FG_WORK/bcc-fwd.eml" "for you" "multipart/mixed; boundary=\"$b\"" "$b" \
    "Content-Type: message/rfc822" "$(cat "$FG_WORK/bcc.eml")"
sed -i 's/^From: A Colleague <colleague@corp.example>/From: Customer Service <support@corp.example>/' \
    "$FG_WORK/bcc-fwd.eml"
refused "Bcc copy attached for the firm" "$FG_WORK/bcc-fwd.eml" known-message-id \
    support@corp.example
check "Bcc copy attached: names her message" \
    expect_eq "$bcc_id" "$(audit_field "$REFUSED" original_message_id)"
check "Bcc copy attached: original_via=attached" \
    expect_eq attached "$(audit_field "$REFUSED" original_via)"
before=$(sink_rcpt_count customer@example.net)
sed -e 's/^To: partner@fti.example/To: customer@example.net/' "$FG_WORK/bcc-fwd.eml" \
    >"$FG_WORK/bcc-back.eml"
send_smtp "$MTA_PORT" support@corp.example customer@example.net "$FG_WORK/bcc-back.eml"
check "Bcc copy attached for the customer: accepted" expect_match '^250 ' "$SMTP_REPLY"
check "Bcc copy attached for the customer: delivered" \
    wait_for 15 "the copy at the customer" sink_rcpt_is customer@example.net "$((before + 1))"
check "fwdguard still running" fwdguard_alive

fg_summary
