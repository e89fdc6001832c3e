#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The harness itself, without fwdguard: Postfix relays SMTP and sendmail mail
# to the sink through the do-nothing milter (when built), the egress topology
# carries ORCPT, held mail shows up as held, Redis helpers read a stream.
# When a fwdguard scenario fails, this one tells whether the world works.
. "$(dirname "$0")/lib.sh"

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
start_nullmilter || fg_die "start nullmilter"
[ -n "$NULLMILTER_SPEC" ] || fg_die "nullmilter not built: the harness test needs a milter"

printf 'support@corp.example consultant@fti.example\n' >"$FG_WORK/virtual"
start_postfix out --smtpd-milters "$NULLMILTER_SPEC" \
    --non-smtpd-milters "$NULLMILTER_SPEC" \
    --set 'smtpd_recipient_restrictions = check_recipient_access inline:{ hold@fti.example=HOLD }' ||
    fg_die "start postfix out"
start_postfix in --relay "127.0.0.1:${PF_PORT[out]}" --virtual "$FG_WORK/virtual" ||
    fg_die "start postfix in"

msg="$FG_WORK/plain.eml"
make_message "$msg" "From: customer@example.net" "To: someone@fti.example" "Subject: harness"

send_smtp "${PF_PORT[out]}" customer@example.net someone@fti.example "$msg"
check "smtp: accepted with 250" expect_match '^250 ' "$SMTP_REPLY"
wait_delivered out
check "smtp: recipient reaches the sink" sink_has_rcpt someone@fti.example

send_sendmail out customer@example.net "$msg" other@fti.example
check "sendmail: submitted" expect_eq 0 "$?"
wait_for 10 "other@fti.example at the sink" sink_has_rcpt other@fti.example
check "sendmail: recipient reaches the sink" sink_has_rcpt other@fti.example

send_smtp "${PF_PORT[in]}" customer@example.net support@corp.example "$msg"
wait_for 10 "alias expansion at the sink" sink_has_rcpt consultant@fti.example
check "egress: alias target reaches the sink through out" sink_has_rcpt consultant@fti.example
check "egress: ORCPT names the original recipient" \
    expect_eq 1 "$(sink_grep '^X-Rcpt-Args: <consultant@fti\.example> ORCPT=rfc822;support@corp\.example' | grep -c .)"

start_postfix in2 --relay "127.0.0.1:${PF_PORT[out]}" --virtual-hash "$FG_WORK/virtual" ||
    fg_die "start postfix in2"
send_smtp "${PF_PORT[in2]}" customer@example.net support@corp.example "$msg"
wait_for 10 "hash: alias expansion at the sink" sink_rcpt_is consultant@fti.example 2
check "egress: hash: alias table works too" expect_eq 2 "$(sink_rcpt_count consultant@fti.example)"

send_smtp "${PF_PORT[out]}" customer@example.net hold@fti.example "$msg"
wait_for 5 "a held message" held_is out 1
check "queue: held message is listed as hold" expect_eq 1 "$(held_count out)"
check "queue: held message not at the sink" fg_not sink_has_rcpt hold@fti.example

send_smtp "$(free_port)" a@b.example c@d.example "$msg"
check "smtp: connection refused is an error" fg_not expect_eq 0 "$SMTP_RC"

rcli XADD "$REDIS_STREAM" '*' id one action reject signals "delivered-to,orcpt" >/dev/null
rcli XADD "$REDIS_STREAM" '*' id two action accept reason "a b" >/dev/null
check "redis: audit_count" expect_eq 2 "$(audit_count)"
check "redis: audit_find by field" expect_eq one "$(audit_field "$(audit_find action=reject)" id)"
check "redis: values keep spaces" expect_eq "a b" "$(audit_field "$(audit_find id=two)" reason)"
check "redis: list_has" list_has "$(audit_field "$(audit_find id=one)" signals)" orcpt
stop_redis
check "redis: stopped" fg_not redis_ping
start_redis
check "redis: restarted on the same port" redis_ping

fg_summary
