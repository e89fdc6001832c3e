#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A stop with Redis down says how many records wait in the spool, and says
# the number "fwdguard-audit replay" then ships: including records an
# earlier run left there (the count once covered only the current run's).
. "$(dirname "$0")/lib.sh"

fg_world enforce reject
stop_redis
check "redis is down" fg_not redis_ping

for i in 1 2; do
	make_message "$FG_WORK/fwd-$i.eml" \
	    "Delivered-To: support@corp.example" \
	    "From: Customer $i <customer$i@example.net>" \
	    "To: support@corp.example" \
	    "Subject: question $i"
	send_smtp "$MTA_PORT" "customer$i@example.net" consultant@fti.example "$FG_WORK/fwd-$i.eml"
	check "forward $i refused while Redis is down" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
done

stopping_count() { sed -nE 's/.*stopping with ([0-9]+) records not yet in Redis.*/\1/p' "$FWDGUARD_LOG" | tail -n 1; }
stop_fwdguard
# Each refused forward is a decision and a critical alert: 4 records.
check "first stop: 4 records not yet in Redis" expect_eq 4 "$(stopping_count)"

# A run that writes nothing and stops with Redis still down: the four of
# the first run are still waiting.
: >"$FWDGUARD_LOG"
start_fwdguard "$FWDGUARD_CONF" || fg_die "restart fwdguard"
stop_fwdguard
check "second stop: the first run's 4 records are counted" expect_eq 4 "$(stopping_count)"
check "second start: the outage message counts them too" grep -q 'records stay in the spool (4 waiting)' "$FWDGUARD_LOG"

start_redis "$REDIS_PORT" || fg_die "restart redis"
out=$("$BUILD/fwdguard-audit" -c "$FWDGUARD_CONF" replay 2>&1)
check "replay ships the 4 the stop announced" expect_eq "replayed 4 records" "$out"
check "both decisions in the audit stream" expect_eq 2 "$(audit_count)"

fg_summary
