#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The soak's alias route while the directory is down: instance "in" expands
# hr@ into hr@'s own copy and a forward to consultant@fti.example and relays
# both, in one transaction, to "mta" (fwdguard with ldap:, on_error tempfail).
# hr@'s directory entry cannot be read, so the message gets ldap.on_error:
# it is tempfailed whole (the forward's reject must not turn it into a 550,
# which would make "in" bounce hr@'s copy with the forward's).
#   1. slapd down: mta answers 4xx, "in" defers both copies; no bounce,
#      nothing at the sink, the decisions say tempfailed.
#   2. slapd back: the retry delivers hr@'s copy exactly once and removes
#      the forward; still no bounce.
#   3. mta answers 451 to the forward's RCPT only (as its own ldap: alias
#      table does when slapd stops between in's two RCPT commands): hr@'s
#      copy goes on alone, the forward follows alone and is refused (550);
#      the customer gets one bounce notice, for the forward's copy only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
start_slapd || fg_die "start slapd"
LDAP_PROTECTED="hr@corp.example, support@corp.example"
CONF="$FG_WORK/fwdguard.yaml"
fwdguard_ldap_config "$CONF" || fg_die "render fwdguard.yaml"
start_fwdguard "$CONF" || fg_die "start fwdguard"
# No ldap: table at mta: Postfix's own lookup would defer at RCPT while
# slapd is down (directory.sh says why); fwdguard's answer is under test.
: >"$FG_WORK/rcpt-access"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --set "smtpd_recipient_restrictions = check_recipient_access texthash:$FG_WORK/rcpt-access" ||
    fg_die "start postfix mta"
printf 'hr@corp.example hr@corp.example, consultant@fti.example\n' >"$FG_WORK/in-virtual"
start_postfix in --relay "127.0.0.1:${PF_PORT[mta]}" --virtual "$FG_WORK/in-virtual" ||
    fg_die "start postfix in"
# Longest a cached directory answer may serve (directory.sh CACHE_WAIT).
CACHE_WAIT=$((LDAP_CACHE_TTL * 11 + 1))

bounces() { grep -c 'status=bounced' "${PF_DIR[$1]}/maillog"; }
hr_deferred() { maillog_has in 'to=<hr@corp.example>.*status=deferred'; }

# --- 1. slapd down ------------------------------------------------------------
stop_slapd
sleep "$CACHE_WAIT"
msg="$FG_WORK/alias.eml"
make_message "$msg" "From: Customer <customer@example.net>" "To: hr@corp.example" \
    "Subject: my contract" "Message-ID: <alias-outage@e2e.test>"
send_smtp "${PF_PORT[in]}" customer@example.net hr@corp.example "$msg"
check "1: in accepts the customer's mail" expect_match '^250 ' "$SMTP_REPLY"
wait_for 20 "in to defer hr@'s copy" hr_deferred
check "1: in deferred hr@'s copy (mta answered 4xx)" hr_deferred
check "1: mta refused with 4xx, not 5xx" \
    fg_not maillog_has in 'to=<hr@corp.example>.*said: 5[0-9][0-9]'
check "1: in bounced nothing" expect_eq 0 "$(bounces in)"
check "1: mta bounced nothing" expect_eq 0 "$(bounces mta)"
check "1: nothing reached the sink" expect_eq 0 "$(sink_count)"
check "1: hr@'s decision is recorded as tempfailed" \
    audit_has recipient=hr@corp.example outcome=tempfailed
check "1: the forward's decision is recorded as tempfailed" \
    audit_has recipient=consultant@fti.example outcome=tempfailed

# --- 2. slapd back ------------------------------------------------------------
start_slapd || fg_die "restart slapd"
hr_delivered() { sink_has_rcpt hr@corp.example; }
for ((i = 0; i < 40; i++)); do
	hr_delivered && queue_empty in && queue_empty mta && break
	flush_queue in
	sleep 1
done
check "2: hr@'s copy delivered exactly once" \
    expect_eq 1 "$(sink_rcpt_count hr@corp.example)"
check "2: the consultant got nothing" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
check "2: the forward's copy was removed" \
    audit_has recipient=consultant@fti.example outcome=removed
check "2: in bounced nothing" expect_eq 0 "$(bounces in)"
check "2: mta bounced nothing" expect_eq 0 "$(bounces mta)"
check "2: no bounce reached the customer" \
    fg_not grep -lq '^X-Mail-Args: *<>' $(sink_files) /dev/null
check "2: both queues are empty" queue_empty in

# --- 3. the forward's RCPT deferred, the transaction split --------------------
printf 'consultant@fti.example 451 4.3.0 Temporary lookup failure\n' >"$FG_WORK/rcpt-access"
touch -d '-1 min' "$FG_WORK/rcpt-access"
postfix_reload mta
msg="$FG_WORK/alias3.eml"
make_message "$msg" "From: Customer <customer@example.net>" "To: hr@corp.example" \
    "Subject: my contract again" "Message-ID: <alias-split@e2e.test>"
send_smtp "${PF_PORT[in]}" customer@example.net hr@corp.example "$msg"
check "3: in accepts the customer's mail" expect_match '^250 ' "$SMTP_REPLY"
fwd_deferred() { maillog_has in 'to=<consultant@fti.example>.*status=deferred.*4\.3\.0'; }
wait_for 20 "in to defer the forward" fwd_deferred
check "3: in deferred the forward's copy only" fwd_deferred
wait_for 20 "hr@'s second copy" sink_rcpt_is hr@corp.example 2
check "3: hr@'s copy went on alone, delivered once" \
    expect_eq 2 "$(sink_rcpt_count hr@corp.example)"
: >"$FG_WORK/rcpt-access"
touch -d '-1 min' "$FG_WORK/rcpt-access"
postfix_reload mta
notice() { [ "$(bounces in)" -ge 1 ]; }
for ((i = 0; i < 30; i++)); do
	notice && queue_empty in && break
	flush_queue in
	sleep 1
done
check "3: mta refused the forward alone (550)" \
    maillog_has in 'to=<consultant@fti.example>.*said: 550 5\.7\.1'
check "3: the forward's decision is recorded as rejected" \
    audit_has recipient=consultant@fti.example outcome=rejected message_id=alias-split@e2e.test
check "3: in bounced the forward's copy once, nothing else" \
    expect_eq "1 consultant@fti.example" \
    "$(grep 'status=bounced' "${PF_DIR[in]}/maillog" | sed -E 's/.*: to=<([^>]*)>.*/\1/' |
    sort | uniq -c | sed -E 's/^ *//' | tr '\n' ' ' | sed 's/ $//')"
wait_for 20 "the notice at the customer" sink_has_rcpt customer@example.net
check "3: one notice reached the customer" \
    expect_eq 1 "$(sink_rcpt_count customer@example.net)"
check "3: hr@'s copy still delivered once (2 in all)" \
    expect_eq 2 "$(sink_rcpt_count hr@corp.example)"
check "3: the consultant got nothing" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
check "3: mta bounced nothing" expect_eq 0 "$(bounces mta)"
fg_summary
