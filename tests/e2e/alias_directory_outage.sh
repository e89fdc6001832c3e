#!/bin/bash
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
start_postfix mta --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix mta"
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
fg_summary
