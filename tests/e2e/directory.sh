#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Directory forwards (README.md "Configuration", the directory): the directory (slapd) forwards
# support@corp.example to consultant@fti.example and Postfix expands it with
# virtual_alias_maps = ldap:, after fwdguard saw only RCPT TO:<support@>.
# fwdguard asks the same directory and quarantines the message.
#   1. support@ -> held, never at the consultant; intact and released by hand
#   2. forward removed with ldapmodify -> after the cache ttl, delivered
#   3. legal@, protected only by group membership -> held, YAML untouched
#   4. slapd stopped -> ldap.on_error (4xx) for protected mail, others flow
#   5. slapd frozen -> an answer within ldap.timeout; after thaw, decided
# Steps 4-5 send through Postfix "direct" (same fwdguard, no ldap: table):
# Postfix's own ldap table would defer or stall every message while slapd
# is down or frozen, which is Postfix's behaviour, not fwdguard's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

fg_init
fg_ldap_world
start_postfix direct --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix direct"
DIRECT_PORT=${PF_PORT[direct]}
SUPPORT_DN="uid=support,ou=people,$LDAP_BASE"
# Longest a cached answer may serve: ldap.cache.ttl, then during an outage
# up to ten times the ttl more as a stale answer (directory.c
# dir_stale_max), plus a second of slack.
CACHE_WAIT=$((LDAP_CACHE_TTL * 11 + 1))

# alert_find FIELD=VALUE...: like audit_find, in the fwdguard:alerts stream.
alert_find() { REDIS_STREAM=fwdguard:alerts audit_find "$@"; }
alert_has() { [ -n "$(alert_find "$@")" ]; }

# timed_send PORT FROM TO MSG: send_smtp, sets ELAPSED (seconds).
timed_send() {
	local t0 t1
	t0=$(date +%s.%N)
	send_smtp "$@"
	t1=$(date +%s.%N)
	ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}
faster_than() { FG_GOT="${ELAPSED}s (want < $1 s)"; awk -v e="$ELAPSED" -v m="$1" 'BEGIN { exit !(e < m) }'; }

fg_log_count_above() { [ "$(grep -c "$1" "$FWDGUARD_LOG")" -gt "$2" ]; }

customer_mail() {	# FILE TO
	make_message "$1" "From: Customer <customer@example.net>" "To: $2" \
	    "Subject: change of address"
}

# The world as the scenario expects it (a setup error, not a finding).
check "setup: Postfix's ldap table forwards support@ to the consultant" \
    expect_eq consultant@fti.example "$(postfix_alias_of support@corp.example)"
check "setup: legal@ is a member of protected-mailboxes (memberOf)" \
    expect_eq "$LDAP_GROUP" "$(ldap_get "uid=legal,ou=people,$LDAP_BASE" memberOf)"

# --- 1. the directory forward is caught -------------------------------------
msg="$FG_WORK/support.eml"
customer_mail "$msg" support@corp.example
send_smtp "$MTA_PORT" customer@example.net support@corp.example "$msg"
check "1: customer mail to support@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held mta 1
wait_delivered mta
held=$(held_ids mta | head -n 1)
check "1: the message is held in the quarantine" test -n "$held"
check "1: nothing reached consultant@fti.example" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
wait_for 10 "audit record of the directory forward" \
    audit_has recipient=support@corp.example rule=directory-forward
rec=$(audit_find recipient=support@corp.example rule=directory-forward | head -n 1)
check "1: audit record signals has directory-forward" \
    list_has "$(audit_field "$rec" signals)" directory-forward
check "1: audit record target is consultant@fti.example" \
    expect_eq consultant@fti.example "$(audit_addr "$rec" target)"
check "1: audit record action=quarantine" expect_eq quarantine "$(audit_field "$rec" action)"
check "1: audit record mailbox=support@corp.example" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
wait_for 10 "alert naming the consultant" alert_has target=consultant@fti.example
arec=$(alert_find target=consultant@fti.example | head -n 1)
check "1: alert in fwdguard:alerts names the target" test -n "$arec"
check "1: alert level critical" expect_eq critical "$(audit_field "$arec" level)"
same_decision() {	# RECORD ALERT
	local id
	id=$(audit_field "$1" id)
	[ -n "$id" ] && expect_eq "$id" "$(audit_field "$2" decision_id)"
}
check "1: alert refers to the audit decision" same_decision "$rec" "$arec"
if [ -n "$held" ]; then
	qf=$(postcat -c "${PF_DIR[mta]}" -q "$held" 2>/dev/null)
else
	qf=
fi
check "1: held copy intact: original recipient support@" \
    expect_match '^original_recipient: support@corp.example$' "$qf"
check "1: held copy intact: body" expect_match '^Customer account 0000\.$' "$qf"
# Recoverable: an administrator who approves it releases it, and it goes on.
release_delivers() {	# QUEUE_ID
	# shellcheck disable=SC2034 # check() prints it
	[ -n "$1" ] || { FG_GOT="nothing held"; return 1; }
	postsuper -c "${PF_DIR[mta]}" -H "$1" >/dev/null 2>&1
	flush_queue mta
	wait_for 15 "the released message at the sink" sink_has_rcpt consultant@fti.example
	expect_eq "0 1" "$(held_count mta) $(sink_rcpt_count consultant@fti.example)"
}
check "1: released with postsuper -H, it is delivered (nothing lost)" release_delivers "$held"

# --- 2. the forward is removed ----------------------------------------------
ldap_delete_attr "$SUPPORT_DN" mailForwardingAddress
check "2: forward removed in the directory" \
    expect_eq "" "$(ldap_get "$SUPPORT_DN" mailForwardingAddress)"
sleep $((LDAP_CACHE_TTL + 1))	# past ldap.cache.ttl
msg="$FG_WORK/support2.eml"
customer_mail "$msg" support@corp.example
send_smtp "$MTA_PORT" customer@example.net support@corp.example "$msg"
check "2: customer mail to support@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "delivery to support@" sink_has_rcpt support@corp.example
check "2: delivered to support@corp.example again" sink_has_rcpt support@corp.example
check "2: nothing held" expect_eq 0 "$(held_count mta)"
check "2: nothing more for the consultant" \
    expect_eq 1 "$(sink_rcpt_count consultant@fti.example)"

# --- 3. protected by group membership only ----------------------------------
check "3: legal@ is not in the YAML" expect_eq 0 "$(grep -c legal "$FG_WORK/fwdguard.yaml")"
msg="$FG_WORK/legal.eml"
customer_mail "$msg" legal@corp.example
send_smtp "$MTA_PORT" customer@example.net legal@corp.example "$msg"
check "3: customer mail to legal@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held mta 1
wait_delivered mta
check "3: the message is held" expect_eq 1 "$(held_count mta)"
check "3: nothing reached someone@lawfirm.example" \
    expect_eq 0 "$(sink_rcpt_count someone@lawfirm.example)"
wait_for 10 "audit record for legal@" audit_has recipient=legal@corp.example rule=directory-forward
rec=$(audit_find recipient=legal@corp.example rule=directory-forward | head -n 1)
check "3: audit record signals has directory-forward" \
    list_has "$(audit_field "$rec" signals)" directory-forward
check "3: audit record target is someone@lawfirm.example" \
    expect_eq someone@lawfirm.example "$(audit_addr "$rec" target)"
check "3: audit record mailbox=legal@corp.example" \
    expect_eq legal@corp.example "$(audit_field "$rec" mailbox)"
check "3: audit record action=quarantine" expect_eq quarantine "$(audit_field "$rec" action)"
wait_for 10 "alert naming the law firm" alert_has target=someone@lawfirm.example
check "3: alert names the target" alert_has target=someone@lawfirm.example

# --- 4. slapd down ----------------------------------------------------------
stop_slapd
sleep "$CACHE_WAIT"
bound=$((LDAP_TIMEOUT + 3))
msg="$FG_WORK/support4.eml"
customer_mail "$msg" support@corp.example
timed_send "$DIRECT_PORT" customer@example.net support@corp.example "$msg"
check "4: slapd down: mail to support@ gets 4xx (ldap.on_error tempfail)" \
    expect_match '^4[0-9][0-9] ' "$SMTP_REPLY"
check "4: ... within ldap.timeout + 3 s" faster_than "$bound"
msg="$FG_WORK/contactfr4.eml"
customer_mail "$msg" contactfr@corp.example
timed_send "$DIRECT_PORT" customer@example.net contactfr@corp.example "$msg"
check "4: slapd down: never-cached protected contactfr@ gets 4xx" \
    expect_match '^4[0-9][0-9] ' "$SMTP_REPLY"
msg="$FG_WORK/colleague.eml"
make_message "$msg" "From: alice@corp.example" "To: bob@corp.example" "Subject: lunch"
timed_send "$DIRECT_PORT" alice@corp.example bob@corp.example "$msg"
check "4: slapd down: colleague mail alice@ -> bob@ accepted (250)" \
    expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "delivery to bob@" sink_has_rcpt bob@corp.example
check "4: ... and delivered to bob@" sink_has_rcpt bob@corp.example

# --- 5. slapd frozen --------------------------------------------------------
# fwdguard retries a failed directory with an exponential backoff (dirldap.c,
# at most 10 s; its refresh thread tries every 5 s while the directory is
# down) and answers ldap.on_error at once meanwhile: wait until it is back
# on the directory, so the frozen server is what it meets next.
directory_back() {	# COUNT_BEFORE
	wait_for 40 "fwdguard to log that the directory is back" \
	    fg_log_count_above 'directory available again' "$1"
}
recovered=$(grep -c 'directory available again' "$FWDGUARD_LOG")
start_slapd || fg_die "restart slapd"
check "5: slapd restarted: fwdguard finds the directory again" directory_back "$recovered"
freeze_slapd || fg_die "freeze slapd"
msg="$FG_WORK/support5.eml"
customer_mail "$msg" support@corp.example
timed_send "$DIRECT_PORT" customer@example.net support@corp.example "$msg"
echo "# 5: with slapd frozen the transaction took ${ELAPSED}s (ldap.timeout ${LDAP_TIMEOUT}s)"
check "5: slapd frozen: mail to support@ answered within ldap.timeout + 3 s" \
    faster_than "$bound"
check "5: ... with 4xx (ldap.on_error tempfail)" expect_match '^4[0-9][0-9] ' "$SMTP_REPLY"
check "5: fwdguard still running" fwdguard_alive
recovered=$(grep -c 'directory available again' "$FWDGUARD_LOG")
thaw_slapd
wait_for 10 "slapd to answer after thaw" ldap_ready
check "5: thawed: fwdguard finds the directory again" directory_back "$recovered"
msg="$FG_WORK/legal5.eml"
customer_mail "$msg" legal@corp.example
timed_send "$DIRECT_PORT" customer@example.net legal@corp.example "$msg"
check "5: after thaw: mail to legal@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held direct 1
check "5: after thaw: it is held (decided with the directory)" \
    expect_eq 1 "$(held_count direct)"
check "5: after thaw: nothing reached someone@lawfirm.example" \
    expect_eq 0 "$(sink_rcpt_count someone@lawfirm.example)"

fg_summary
