#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A spool that cannot take records (its file system is full): mail that
# touches the protected mailbox gets milter.on_error (tempfail, 4xx) rather
# than being accepted or refused without a durable record; mail between
# two colleagues still flows; once space is back, decisions are recorded
# again.  The spool lives on a 256 KiB tmpfs mounted for this test.
. "$(dirname "$0")/lib.sh"

fg_init
SPOOL_MNT="$FG_WORK/fwdguard/spool"
mkdir -p "$SPOOL_MNT"
if ! mount -t tmpfs -o size=256k,mode=0750 tmpfs "$SPOOL_MNT" 2>/dev/null; then
	# No silent skip: the guarantee under test would go unchecked.
	fg_die "cannot mount a tmpfs for the spool (needs root and mount rights)"
fi
trap 'umount -l "$SPOOL_MNT" 2>/dev/null; fg_cleanup' EXIT
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
fwdguard_config "$FG_WORK/fwdguard.yaml" enforce reject
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}

# Fill the file system: the next record cannot be written.
dd if=/dev/zero of="$SPOOL_MNT/filler" bs=4k 2>/dev/null
spool_has_room() { dd if=/dev/zero of="$SPOOL_MNT/probe" bs=4k count=1 status=none 2>/dev/null; }
check "spool file system is full" fg_not spool_has_room

fwd="$FG_WORK/forward.eml"
make_message "$fwd" "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" "To: support@corp.example" "Subject: account"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$fwd"
check "spool full: protected mail gets 4xx (on_error tempfail)" \
    expect_match '^4[0-9][0-9] 4\.3\.0 ' "$SMTP_REPLY"
check "spool full: the log says the records could not be made durable" \
    grep -q 'could not be made durable' "$FWDGUARD_LOG"

plain="$FG_WORK/plain.eml"
make_message "$plain" "From: alice@corp.example" "To: bob@corp.example" "Subject: lunch"
send_smtp "$MTA_PORT" alice@corp.example bob@corp.example "$plain"
check "spool full: mail between colleagues is accepted" expect_match '^250 ' "$SMTP_REPLY"

rm -f "$SPOOL_MNT/filler" "$SPOOL_MNT/probe"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$fwd"
ref=$(smtp_ref)
check "space back: the forward is rejected with 5xx" expect_match '^550 5\.7\.1 ' "$SMTP_REPLY"
audit_wait 1 10
check "space back: its record reaches Redis" \
    test -n "$(audit_find "id=$ref")"
wait_delivered mta
check "sink: only the colleagues' mail left" expect_eq 1 "$(sink_count)"
check "sink: nothing reached consultant@fti.example" fg_not sink_has_rcpt consultant@fti.example
check "fwdguard still running" fwdguard_alive

fg_summary
