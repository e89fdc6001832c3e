#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (i) SIGUSR1 reloads the configuration: a broken file is refused with a
# file:line:column error and the running policy stays in force; a valid new
# file (monitor mode) applies to new connections.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject
conf=$FWDGUARD_CONF

msg="$FG_WORK/forward.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: statement"

send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "before reload: forward rejected" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
audit_wait 1 10
policy_before=$(audit_field "$(audit_records | tail -n 1)" policy)

cp "$conf" "$FG_WORK/good.yaml"
printf 'no_such_key: 1\n' >>"$conf"
reload_fwdguard
check "broken reload: fwdguard still running" fwdguard_alive
check "broken reload: error names file:line:column" \
    grep -qE -- "$conf:[0-9]+:[0-9]+" "$FWDGUARD_LOG"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "broken reload: old policy still rejects" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
audit_wait 2 10
rec=$(audit_records | tail -n 1)
check "broken reload: record has mode=enforce" expect_eq enforce "$(audit_field "$rec" mode)"
check "broken reload: same policy digest" expect_eq "$policy_before" "$(audit_field "$rec" policy)"

fwdguard_config "$conf" monitor reject
reload_fwdguard
check "valid reload: fwdguard still running" fwdguard_alive
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "valid reload: new connection's forward accepted (monitor)" \
    expect_match '^250 ' "$SMTP_REPLY"
wait_delivered mta
audit_wait 3 10
rec=$(audit_records | tail -n 1)
check "valid reload: record has mode=monitor" expect_eq monitor "$(audit_field "$rec" mode)"
check "valid reload: record has action=reject (as decided)" \
    expect_eq reject "$(audit_field "$rec" action)"
check "valid reload: policy digest changed" \
    fg_not expect_eq "$policy_before" "$(audit_field "$rec" policy)"
check "sink: only the forward sent after the reload arrived" \
    expect_eq 1 "$(sink_rcpt_count consultant@fti.example)"

# Keys a running daemon cannot apply are named, not silently ignored; a rule
# that pins its own mode is named when the global mode differs.
fwdguard_config "$conf" monitor reject
sed -i -e "s|^\( *spool: \).*|\1\"$FG_WORK/elsewhere\"|" \
    -e "s|^\( *socket: \).*|\1\"unix:$FG_WORK/other.sock\"|" \
    -e 's|^\( *action: reject\)$|\1\n    mode: enforce|' "$conf"
reload_fwdguard
check "restart keys: fwdguard still running" fwdguard_alive
check "restart keys: audit.spool named as needing a restart" \
    grep -q 'audit.spool changed to .*needs a restart' "$FWDGUARD_LOG"
check "restart keys: milter.socket named as needing a restart" \
    grep -q 'milter.socket changed to .*needs a restart' "$FWDGUARD_LOG"
check "override: the rule that still enforces under monitor is named" \
    grep -q 'rule forwarded-copy overrides the global mode: it runs in enforce mode while mode is monitor' \
    "$FWDGUARD_LOG"
check "restart keys: still listening on the old socket" test -S "$FWDGUARD_SOCK"

fg_summary
