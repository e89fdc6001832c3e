#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (h) Redis goes away mid-run.  Mail keeps flowing (replies delivered,
# forwards rejected), decisions are spooled, and once Redis is back every
# decision reaches fwdguard:audit exactly once, with the id the SMTP client
# was given.  A Redis without an append-only file gets one warning; one with
# it, none.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject
N=5

stop_redis
check "redis is down" fg_not redis_ping

refs=()
rejected=0
accepted=0
for i in $(seq 1 $N); do
	make_message "$FG_WORK/fwd-$i.eml" \
	    "Delivered-To: support@corp.example" \
	    "From: Customer $i <customer$i@example.net>" \
	    "To: support@corp.example" \
	    "Subject: question $i"
	send_smtp "$MTA_PORT" "customer$i@example.net" consultant@fti.example "$FG_WORK/fwd-$i.eml"
	case "$SMTP_REPLY" in 5[0-9][0-9]\ *) rejected=$((rejected + 1)) ;; esac
	ref=$(smtp_ref)
	[ -n "$ref" ] && refs+=("$ref")

	make_message "$FG_WORK/reply-$i.eml" \
	    "From: Support <support@corp.example>" \
	    "To: Customer $i <customer$i@example.net>" \
	    "Subject: Re: question $i" \
	    "In-Reply-To: <question-$i@example.net>"
	send_smtp "$MTA_PORT" support@corp.example "customer$i@example.net" "$FG_WORK/reply-$i.eml"
	case "$SMTP_REPLY" in 250\ *) accepted=$((accepted + 1)) ;; esac
done
check "redis down: all $N forwards rejected with 5xx" expect_eq "$N" "$rejected"
check "redis down: all $N forwards got a ref id" expect_eq "$N" "${#refs[@]}"
check "redis down: all $N replies accepted" expect_eq "$N" "$accepted"
wait_delivered mta
delivered=0
for i in $(seq 1 $N); do
	[ "$(sink_rcpt_count "customer$i@example.net")" = 1 ] && delivered=$((delivered + 1))
done
check "redis down: all $N replies reached the customers" expect_eq "$N" "$delivered"
check "redis down: no forward reached the consultant" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
check "fwdguard survived the outage" fwdguard_alive

start_redis || fg_die "restart redis-server"
want=$((2 * N))
audit_wait "$want" 45
# Let a replay that would duplicate records have its chance to do so.
sleep 1.5
ids=$(audit_records | while IFS= read -r r; do audit_field "$r" id; done)
check "redis back: $want records in the stream" expect_eq "$want" "$(audit_count)"
check "redis back: no duplicate ids" \
    expect_eq "$(printf '%s\n' "$ids" | sort | uniq -d | tr '\n' ' ')" ""
missing=
for ref in "${refs[@]}"; do
	[ "$(printf '%s\n' "$ids" | grep -cxF -- "$ref")" = 1 ] || missing="$missing $ref"
done
check "redis back: every SMTP ref id is in the stream exactly once" expect_eq "" "$missing"
logged=$(fwdguard_decision_ids | sort -u)
missing=
for id in $logged; do
	[ "$(printf '%s\n' "$ids" | grep -cxF -- "$id")" = 1 ] || missing="$missing $id"
done
check "redis back: every logged decision id is in the stream exactly once" \
    expect_eq "" "$missing"
check "redis back: the log holds $want decisions" \
    expect_eq "$want" "$(printf '%s\n' "$logged" | grep -c .)"
check "redis back: $N accepted replies recorded" \
    expect_eq "$N" "$(audit_find action=accept | grep -c .)"
check "redis back: $N rejected forwards recorded" \
    expect_eq "$N" "$(audit_find action=reject | grep -c .)"

# The harness runs Redis without an append-only file: the daemon says so
# once (README.md "Redis persistence"), however often it reconnected.
aof_warnings() { grep -c 'keeps the trail without an append-only file' "$FWDGUARD_LOG"; }
check "no append-only file: fwdguard warned once" expect_eq 1 "$(aof_warnings)"
check "the warning names the master and the setting" grep -qF \
    "Redis 127.0.0.1:$REDIS_PORT keeps the trail without an append-only file (appendonly no)" \
    "$FWDGUARD_LOG"

# With one, a new daemon shipping to it says nothing.
stop_fwdguard
stop_redis
REDIS_ARGS=(--appendonly yes --appendfsync everysec)
start_redis || fg_die "restart redis-server with an append-only file"
before=$(aof_warnings)
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "restart fwdguard"
make_message "$FG_WORK/reply-aof.eml" \
    "From: Support <support@corp.example>" \
    "To: Customer <customer1@example.net>" \
    "Subject: Re: question 1 again"
send_smtp "$MTA_PORT" support@corp.example customer1@example.net "$FG_WORK/reply-aof.eml"
audit_wait 1 30
check "append-only file: the new daemon shipped its decision" expect_eq 1 "$(audit_count)"
check "append-only file: no warning" expect_eq "$before" "$(aof_warnings)"

fg_summary
