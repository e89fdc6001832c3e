#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# quarantine and tempfail of a mixed transaction, through Postfix: a mailbox
# rule's copy of support@'s mail to two outside recipients and a colleague
# loses the outside recipients only; nothing is held or tempfailed while the
# colleague remains. The same copy to outside recipients only is held
# (quarantine) or gets a 451 (tempfail), as a whole.
. "$(dirname "$0")/lib.sh"

fg_world enforce quarantine

# send_copy TAG RCPT...: a forwarded copy (Delivered-To: support@) from support@.
send_copy() {
	local tag=$1 msg="$FG_WORK/$1.eml" to
	shift
	to=$(IFS=,; echo "$*")
	make_message "$msg" \
	    "Delivered-To: support@corp.example" \
	    "From: Jane Customer <jane@customer.example>" \
	    "To: support@corp.example" \
	    "Subject: $tag"
	send_smtp "$MTA_PORT" support@corp.example "$to" "$msg"
}
outcome_of() {	# RECIPIENT: the outcome of its latest record
	local rec
	rec=$(audit_find recipient="$1" | tail -n 1)
	audit_field "$rec" outcome
}

for action in quarantine tempfail; do
	if [ "$action" = tempfail ]; then
		fwdguard_config "$FG_WORK/fwdguard.yaml" enforce tempfail
		# A tempfail's reply must carry a 4.x.y code.
		sed -i 's/reply: "5\.7\.1 /reply: "4.7.1 /' "$FG_WORK/fwdguard.yaml"
		reload_fwdguard || fg_die "reload fwdguard with tempfail"
		wait_for 5 "fwdguard to load the tempfail rule" \
		    grep -q 'reloaded' "$FWDGUARD_LOG"
		postsuper -c "${PF_DIR[mta]}" -d ALL hold >/dev/null 2>&1
		wait_for 5 "the hold queue to empty" held_is mta 0
	fi
	ext1=c-$action@fti.example
	ext2=p-$action@other.example
	mate=colleague-$action@corp.example
	send_copy "mixed-$action" "$ext1" "$mate" "$ext2"
	check "$action mixed: accepted" expect_match '^250 ' "$SMTP_REPLY"
	wait_for 15 "the colleague's copy" sink_has_rcpt "$mate"
	wait_delivered mta
	check "$action mixed: the colleague got it" expect_eq 1 "$(sink_rcpt_count "$mate")"
	check "$action mixed: $ext1 got nothing" expect_eq 0 "$(sink_rcpt_count "$ext1")"
	check "$action mixed: $ext2 got nothing" expect_eq 0 "$(sink_rcpt_count "$ext2")"
	check "$action mixed: nothing held" held_is mta 0
	wait_for 10 "records of $ext2" audit_has recipient="$ext2"
	rec=$(audit_find recipient="$ext1" | tail -n 1)
	check "$action mixed: $ext1 action=$action" expect_eq "$action" "$(audit_field "$rec" action)"
	check "$action mixed: $ext1 outcome=removed" expect_eq removed "$(outcome_of "$ext1")"
	check "$action mixed: $ext2 outcome=removed" expect_eq removed "$(outcome_of "$ext2")"
	check "$action mixed: colleague outcome=delivered" \
	    expect_eq delivered "$(outcome_of "$mate")"

	ext3=only-$action@fti.example
	send_copy "all-$action" "$ext3" "$ext2"
	if [ "$action" = quarantine ]; then
		check "quarantine all outside: accepted into hold" expect_match '^250 ' "$SMTP_REPLY"
		wait_for 10 "the message in the hold queue" held_is mta 1
		check "quarantine all outside: held as a whole" held_is mta 1
		want=held
	else
		check "tempfail all outside: 451" expect_match '^451 ' "$SMTP_REPLY"
		want=tempfailed
	fi
	wait_for 10 "a record of $ext3" audit_has recipient="$ext3"
	check "$action all outside: outcome=$want" expect_eq "$want" "$(outcome_of "$ext3")"
	check "$action all outside: nothing left" expect_eq 0 "$(sink_rcpt_count "$ext3")"
done

fg_summary
