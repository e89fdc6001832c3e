#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/dir_watch.sh - "fwdguard-audit watch" against a real slapd, with
# the alerts relay mailing through a private Postfix to smtp-sink.  No mail
# is sent to anyone: every mail at the sink is an alert.
#   - slapd with syncprov (RFC 4533): the first start records the baseline
#     (support@ -> consultant@fti.example, legal@ by the group -> lawfirm)
#     in ONE digest alert; an external forward added with ldapmodify to a
#     protected entry is an alert in the stream and a mail at the sink
#     within 10 s, naming who changed it and when; an internal forward, an
#     allowed one and an unprotected entry's forward raise no alert; a
#     restart does not report the baseline again; a removed forward is an
#     info record; the records pass "verify" and show in "search";
#   - slapd without syncprov: the watcher polls modifyTimestamp and finds
#     a new forward within its interval; a directory outage is logged
#     once, not per retry, and a change made during it is reported after.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

AUDIT="$BUILD/fwdguard-audit"
[ -x "$AUDIT" ] || { echo "not ok - missing $AUDIT (build first)"; echo "# 0 passed, 1 failed"; exit 1; }

POLL=2
PEOPLE="ou=people,$LDAP_BASE"
SUPPORT="uid=support,$PEOPLE"

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
start_postfix mta || fg_die "start postfix"
LDAP_SYNCPROV=1
# shellcheck disable=SC2119 # the default fixture
start_slapd || fg_die "start slapd"
ldap_protect_legal || fg_die "add legal@ to $LDAP_GROUP"

CONF="$FG_WORK/fwdguard.yaml"
SENDMAIL="$FG_WORK/sendmail-wrapper"
LDAP_EXTRA="  watch: { mode: auto, poll_interval: $POLL, rescan_interval: 3600 }"
fwdguard_ldap_config "$CONF" || fg_die "render fwdguard.yaml"
cat >>"$CONF" <<END_CONF
  mail:
    to: security@corp.example
    from: fwdguard@corp.example
    sendmail: $SENDMAIL
  dedupe_window: 3600
END_CONF
cat >"$SENDMAIL" <<END_WRAPPER
#!/bin/sh
exec /usr/sbin/sendmail -C "${PF_DIR[mta]}" "\$@"
END_WRAPPER
chmod 755 "$SENDMAIL"
config_valid() { "$BUILD/fwdguard" -n -c "$1" >/dev/null 2>&1; }
check "fwdguard -n accepts the watch keys" config_valid "$CONF"
sed "s/poll_interval: $POLL/poll_interval: 0/" "$CONF" >"$FG_WORK/bad.yaml"
out=$("$BUILD/fwdguard" -n -c "$FG_WORK/bad.yaml" 2>&1)
check "fwdguard -n refuses a poll interval of 0" \
    expect_match 'bad\.yaml:[0-9]+:[0-9]+: ldap\.watch\.poll_interval' "$out"

RELAY_LOG="$FG_WORK/relay.log"
WATCH_LOG="$FG_WORK/watch.log"
FG_LOGS+=("$RELAY_LOG" "$WATCH_LOG")
"$AUDIT" -c "$CONF" alerts >>"$RELAY_LOG" 2>&1 &
FG_PIDS+=("$!")

WATCH_PID=
fg_take_port WATCH_MPORT || fg_die "no free port for the watcher's metrics"
start_watch() {
	"$AUDIT" -c "$CONF" watch --metrics-listen "127.0.0.1:$WATCH_MPORT" >>"$WATCH_LOG" 2>&1 &
	WATCH_PID=$!
	FG_PIDS+=("$WATCH_PID")
}
stop_watch() {
	kill "$WATCH_PID" 2>/dev/null
	fg_wait_pid_gone "$WATCH_PID" 10 || kill -9 "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID" 2>/dev/null
}

alerts_with() { REDIS_STREAM=fwdguard:alerts audit_find "$@"; }
alert_count() { REDIS_STREAM=fwdguard:alerts audit_find "$@" | grep -c .; }
record_count() { audit_find "$@" | grep -c .; }
has_alert() { [ "$(alert_count "$@")" -gt 0 ]; }
has_record() { [ "$(record_count "$@")" -gt 0 ]; }
security_mails() { sink_rcpt_count security@corp.example; }
mails_are() { [ "$(security_mails)" -eq "$1" ]; }
mail_naming() { sink_files | xargs -r grep -l -- "$1" | wc -l; }
has_mail_naming() { [ "$(mail_naming "$1")" -gt 0 ]; }
watch_said() { grep -c -- "$1" "$WATCH_LOG"; }
watch_says() { [ "$(watch_said "$1")" -gt 0 ]; }
ms() { date +%s%3N; }

# add_forward DN ADDR / del_forward DN ADDR: one mailForwardingAddress value.
add_forward() {
	printf 'dn: %s\nchangetype: modify\nadd: mailForwardingAddress\nmailForwardingAddress: %s\n' \
	    "$1" "$2" | ldap_modify
}
del_forward() {
	printf 'dn: %s\nchangetype: modify\ndelete: mailForwardingAddress\nmailForwardingAddress: %s\n' \
	    "$1" "$2" | ldap_modify
}

# --- first start: the baseline, one digest --------------------------------------
start_watch
wait_for 15 "the baseline" watch_says "baseline recorded"
wait_for 10 "the digest alert" has_alert change=baseline
check "the watcher follows slapd with Content Synchronization" \
    watch_says "with LDAP Content Synchronization"
check "the baseline is ONE digest alert" expect_eq 1 "$(alert_count rule=directory-change)"
digest=$(alerts_with change=baseline | head -n 1)
check "the digest counts the two external forwards" expect_eq 2 "$(audit_field "$digest" forwards_count)"
check "the digest names support@'s forward" \
    expect_match 'support@corp\.example -> consultant@fti\.example' "$(audit_field "$digest" forwards)"
check "the digest names legal@'s forward (protected by the group)" \
    expect_match 'legal@corp\.example -> someone@lawfirm\.example' "$(audit_field "$digest" forwards)"
check "each baseline forward has its record" expect_eq 2 "$(record_count change=baseline)"
check "the unprotected customer-service@ is not in the baseline" \
    fg_not has_record mailbox=customer-service@corp.example
wait_for 15 "the digest mail" mails_are 1
check "one digest mail at the sink" expect_eq 1 "$(security_mails)"
check "the digest mail says what exists" \
    test -n "$(sink_grep '^Subject: \[fwdguard\] CRITICAL: protected mailboxes already have 2 external forwards')"

# --- an external forward added: alert and mail within 10 s, no mail sent ----------
t0=$(ms)
add_forward "$SUPPORT" exfil@evil.test || fg_die "ldapmodify (add exfil@evil.test)"
wait_for 10 "the alert of exfil@evil.test" has_alert target=exfil@evil.test change=added
t_alert=$(($(ms) - t0))
wait_for 10 "the mail of exfil@evil.test" has_mail_naming exfil@evil.test
t_mail=$(($(ms) - t0))
echo "# alert in the stream after ${t_alert} ms, mail at the sink after ${t_mail} ms" >&2
check "the new forward is an alert in the stream" has_alert target=exfil@evil.test level=critical
check "... within seconds (under 10 s)" test "$t_alert" -lt 10000
check "... and a mail at the sink within 10 s" test "$t_mail" -lt 10000
rec=$(audit_find rule=directory-change change=added target=exfil@evil.test | head -n 1)
check "the record names the protected mailbox" expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "the record names who changed the entry" expect_eq "$LDAP_ADMIN_DN" "$(audit_field "$rec" modifiers_name)"
check "the record says when (modifyTimestamp)" \
    expect_match '^[0-9]{14}Z$' "$(audit_field "$rec" modify_timestamp)"
check "the record names the entry and attribute" \
    expect_eq "$SUPPORT mailForwardingAddress" "$(audit_field "$rec" entry) $(audit_field "$rec" attribute)"
check "the record is chained" expect_match '^[0-9a-f]{64}$' "$(audit_field "$rec" hash)"
check "the record is in support@'s own stream" \
    test "$(REDIS_STREAM=fwdguard:mailbox:support@corp.example audit_find target=exfil@evil.test | grep -c .)" -eq 1
mail=$(sink_grep 'exfil@evil\.test' | head -n 1)
check "the mail's subject names the mailbox and the forward" \
    expect_match "^Subject: \[fwdguard\] CRITICAL: support@corp\.example's directory entry now forwards to exfil@evil\.test" "$(cat "$mail" 2>/dev/null)"
check "the mail names who changed it" expect_match "Changed by: +$LDAP_ADMIN_DN" "$(cat "$mail" 2>/dev/null)"
check "every mail at the sink is an alert for security@" expect_eq "$(sink_count)" "$(security_mails)"

# --- the watcher's metrics ----------------------------------------------------
metric() {	# NAME_WITH_LABELS: its value in a scrape, or nothing
	curl -sf --max-time 5 "http://127.0.0.1:$WATCH_MPORT/metrics" |
	    awk -v m="$1" '$1 == m { print $2 }'
}
curl -sf --max-time 5 "http://127.0.0.1:$WATCH_MPORT/metrics" >"$FG_WORK/watch.metrics"
check "watch metrics: promtool check metrics passes" \
    promtool check metrics <"$FG_WORK/watch.metrics"
check "watch metrics: the directory is up" expect_eq 1 "$(metric fwdguard_watch_up)"
check "watch metrics: following by sync" expect_eq 1 "$(metric 'fwdguard_watch_mode_info{mode="sync"}')"
check "watch metrics: the baseline's records counted" \
    test "$(metric 'fwdguard_watch_changes_total{kind="baseline"}')" -ge 2
check "watch metrics: the added forward counted as a change" \
    test "$(metric 'fwdguard_watch_changes_total{kind="change"}')" -ge 1
check "watch metrics: at least two complete reads" test "$(metric fwdguard_watch_scans_total)" -ge 2
check "watch metrics: the lag is a few seconds at most" \
    test "$(metric fwdguard_watch_lag_seconds | cut -d. -f1)" -le 30

# --- internal, allowed and unprotected: no alert ----------------------------------
add_forward "$SUPPORT" bob@corp.example || fg_die "ldapmodify (internal forward)"
add_forward "$SUPPORT" desk@helpdesk-vendor.example || fg_die "ldapmodify (allowed forward)"
add_forward "uid=alice,$PEOPLE" x@evil.test || fg_die "ldapmodify (unprotected entry)"
# A change the watcher reports, made last: once it is in, the others were seen.
add_forward "uid=legal,$PEOPLE" counsel@lawfirm2.example || fg_die "ldapmodify (marker)"
wait_for 10 "the marker's alert" has_alert target=counsel@lawfirm2.example
check "an internal forward is not reported" fg_not has_record target=bob@corp.example
check "an unprotected entry's forward is not reported" fg_not has_record target=x@evil.test
check "an allowed forward is recorded as allowed" has_record target=desk@helpdesk-vendor.example destination=allowed level=info
check "... and raises no alert" fg_not has_alert target=desk@helpdesk-vendor.example
check "alerts so far: digest, exfil, counsel" expect_eq 3 "$(alert_count rule=directory-change)"

# --- restart: the baseline is not reported again ----------------------------------
stop_watch
start_watch
wait_for 15 "the restarted watcher's scan" watch_says "known since the baseline"
del_forward "$SUPPORT" exfil@evil.test || fg_die "ldapmodify (remove exfil@evil.test)"
wait_for 10 "the removal's record" has_record target=exfil@evil.test change=removed
rec=$(audit_find target=exfil@evil.test change=removed | head -n 1)
check "a removed forward is an info record" expect_eq info "$(audit_field "$rec" level)"
check "... naming who removed it" expect_eq "$LDAP_ADMIN_DN" "$(audit_field "$rec" modifiers_name)"
check "a removal raises no alert" expect_eq 0 "$(alert_count change=removed)"
check "the restart did not report the baseline again" expect_eq 2 "$(record_count change=baseline)"
check "... nor alert again" expect_eq 3 "$(alert_count rule=directory-change)"
check "... nor report an existing forward as added again" \
    expect_eq 1 "$(record_count target=exfil@evil.test change=added)"
wait_for 15 "three alert mails" mails_are 3
check "three alert mails in all" expect_eq 3 "$(security_mails)"
out=$("$AUDIT" -c "$CONF" search --rule directory-change --json --limit 0 2>&1)
check "search --rule directory-change lists the changes" \
    expect_eq 6 "$(printf '%s\n' "$out" | grep -c '"rule":"directory-change"')"
out=$("$AUDIT" -c "$CONF" verify 2>&1)
check "verify: the watcher's chain is intact" expect_match 'intact' "$out"

# --- without syncprov: polling modifyTimestamp ------------------------------------
stop_watch
stop_slapd
LDAP_SYNCPROV=
slapd_conf "$LDAP_DIR" >"$LDAP_DIR/slapd.conf"
start_slapd || fg_die "restart slapd without syncprov"
: >"$WATCH_LOG"
start_watch
wait_for 15 "the watcher to fall back to polling" watch_says "polling modifyTimestamp"
check "without syncprov the watcher polls" watch_says "does not offer Content Synchronization"
sleep 1
t0=$(ms)
add_forward "$SUPPORT" late@evil.test || fg_die "ldapmodify (add late@evil.test)"
wait_for $((POLL + 8)) "the poller's alert" has_alert target=late@evil.test change=added
t_poll=$(($(ms) - t0))
echo "# the poller (interval ${POLL} s) reported after ${t_poll} ms" >&2
check "the poller finds the new forward" has_alert target=late@evil.test change=added
check "... within its interval and one scan" test "$t_poll" -lt $(((POLL + 3) * 1000))
check "polling did not report old forwards again" expect_eq 2 "$(record_count change=baseline)"

# --- an outage: logged once, the change made during it found after ------------------
stop_slapd
sleep 8
check "the outage is logged once, not per retry" expect_eq 1 "$(watch_said 'directory unavailable')"
start_slapd || fg_die "restart slapd after the outage"
add_forward "$SUPPORT" during@evil.test || fg_die "ldapmodify (after the outage)"
wait_for 75 "the forward made after the outage" has_alert target=during@evil.test
check "the watcher is back after the outage" watch_says "directory is back"
check "a forward set after the outage is reported" has_alert target=during@evil.test change=added
check "still one outage line" expect_eq 1 "$(watch_said 'directory unavailable')"

fg_summary
