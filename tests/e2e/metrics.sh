#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/metrics.sh - GET /metrics (README.md "Metrics") with a real
# Postfix, Redis and slapd:
#   1. the daemon's and the alerts relay's scrapes pass "promtool check
#      metrics"; the config digest and Content-Type are right;
#   2. a blocked forward and a normal message move the counters by exactly
#      what they did (one decision, its signals, two ends of message);
#   3. the relay counts a mail sent, a repeat deduplicated, a failed
#      delivery and what stays pending;
#   4. Redis down: ship errors, unshipped records and their age rise, and
#      fall back once Redis returns; slapd down: LDAP errors rise;
#   5. reloads by result, the digest follows the file, metrics.listen moves;
#   6. bad listen addresses are config errors, a port in use stops the start;
#   7. contrib/prometheus/fwdguard-alerts.yml passes promtool check and test.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

AUDIT="$BUILD/fwdguard-audit"
for tool in promtool curl swaks; do
	command -v "$tool" >/dev/null ||
	    { echo "not ok - $tool not installed (tests/setup-debian)"; echo "# 0 passed, 1 failed"; exit 1; }
done
[ -x "$AUDIT" ] || { echo "not ok - missing $AUDIT (build first)"; echo "# 0 passed, 1 failed"; exit 1; }

fg_init
fg_ldap_trap
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
# shellcheck disable=SC2119 # the default fixture
start_slapd || fg_die "start slapd"
CONF="$FG_WORK/fwdguard.yaml"
SENDMAIL="$FG_WORK/sendmail-wrapper"
fwdguard_ldap_config "$CONF" || fg_die "render fwdguard.yaml"
fg_take_port MPORT || fg_die "a port for metrics"
fg_take_port RPORT || fg_die "a port for the relay's metrics"
cat >>"$CONF" <<END_CONF
  mail:
    to: security@corp.example
    from: fwdguard@corp.example
    sendmail: $SENDMAIL
  dedupe_window: 3600
metrics:
  listen: 127.0.0.1:$MPORT
END_CONF
# The relay's sendmail, for Postfix "mta" (its directory is known once it
# runs; the loader wants the command to exist already): fails (EX_TEMPFAIL)
# while $FG_WORK/sendmail-fails exists.
cat >"$SENDMAIL" <<END_WRAPPER
#!/bin/sh
[ -f "$FG_WORK/sendmail-fails" ] && exit 75
exec /usr/sbin/sendmail -C "\$(cat "$FG_WORK/mta-dir")" "\$@"
END_WRAPPER
chmod 755 "$SENDMAIL"
start_fwdguard "$CONF" || fg_die "start fwdguard"
start_postfix_ldap mta --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix mta"
MTA_PORT=${PF_PORT[mta]}
# Without Postfix's own ldap: table, for the directory outage (a down
# directory would make Postfix itself defer every recipient).
start_postfix direct --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix direct"
DIRECT_PORT=${PF_PORT[direct]}

echo "${PF_DIR[mta]}" >"$FG_WORK/mta-dir"
FG_LOGS+=("$FG_WORK/relay.log")
"$AUDIT" -c "$CONF" alerts --metrics-listen "127.0.0.1:$RPORT" >>"$FG_WORK/relay.log" 2>&1 </dev/null &
FG_PIDS+=("$!")
wait_for 10 "the relay's metrics port" port_open "$RPORT" || fg_die "start the alerts relay"

# --- helpers ----------------------------------------------------------------

# scrape PORT: GET /metrics into $(last PORT) (a file name that survives
# the subshells of $(...)); snap PORT NAME also keeps a copy as NAME.
last() { echo "$FG_WORK/last-$1.txt"; }
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" -o "$(last "$1")"; }
snap() { scrape "$1" && cp "$(last "$1")" "$FG_WORK/$2.txt" && echo "$FG_WORK/$2.txt"; }
# val FILE SERIES: the value of one series (name{labels} as rendered), 0 when absent.
val() { awk -v s="$2" '$1 == s { v = $2; f = 1 } END { print f ? v : 0 }' "$1"; }
# total FILE NAME: the sum over every series of NAME.
total() { awk -v n="$2" 'index($1, n "{") == 1 || $1 == n { t += $2 } END { print t + 0 }' "$1"; }
# now PORT SERIES: a fresh scrape's value.
now() { scrape "$1" && val "$(last "$1")" "$2"; }
# has_line FILE LINE: the scrape holds exactly this line.
has_line() { FG_GOT=$(grep -F "${2%% *}" "$1"); grep -qxF -- "$2" "$1"; }
promtool_ok() { FG_GOT=$(promtool check metrics <"$1" 2>&1); }
# above A B: A > B as numbers.
above() { FG_GOT="$1 (want > $2)"; awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
series_above() { above "$(now "$1" "$2")" "$3"; }
series_is() { [ "$(now "$1" "$2")" = "$3" ]; }

DEC='fwdguard_decisions_total{action="reject",rule="forwarded-copy",mode="enforce"}'
SENT='fwdguard_alerts_sent_total{route="mail"}'
customer_mail() {	# FILE TO
	make_message "$1" "From: Customer <customer@example.net>" "To: $2" \
	    "Subject: change of address"
}
forward_mail() {	# FILE: an inbox rule's copy of support@'s mail
	make_message "$1" "Delivered-To: support@corp.example" \
	    "X-MS-Exchange-Inbox-Rules-Loop: support@corp.example" \
	    "From: Customer <customer@example.net>" "To: support@corp.example" \
	    "Subject: my contract"
}

# --- 1. the first scrapes ---------------------------------------------------

check "daemon: GET /metrics answers" scrape "$MPORT"
s0=$(snap "$MPORT" s0)
check "daemon: promtool check metrics passes" promtool_ok "$s0"
ctype=$(curl -s --max-time 5 -o /dev/null -w '%{content_type}' "http://127.0.0.1:$MPORT/metrics")
check "daemon: Content-Type is the text format 0.0.4" \
    expect_eq "text/plain; version=0.0.4; charset=utf-8" "$ctype"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")
check "daemon: another path is 404" expect_eq 404 "$code"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")
check "daemon: POST is 405" expect_eq 405 "$code"
digest=$(sha256sum "$CONF" | cut -d' ' -f1)
check "daemon: config_info carries the file's digest" \
    expect_eq 1 "$(val "$s0" "fwdguard_config_info{digest=\"$digest\"}")"
check "daemon: no decision yet" expect_eq 0 "$(total "$s0" fwdguard_decisions_total)"
check "daemon: every signal has a series from the start" \
    has_line "$s0" 'fwdguard_signals_total{signal="referenced-message"} 0'
check "daemon: both reload results have a series from the start" \
    has_line "$s0" 'fwdguard_reloads_total{result="failure"} 0'
check "daemon: build_info names the version" \
    expect_match '^fwdguard_build_info\{version="[0-9.]+"\} 1$' "$(grep '^fwdguard_build_info' "$s0")"
check "relay: GET /metrics answers" scrape "$RPORT"
check "relay: promtool check metrics passes" promtool_ok "$(last "$RPORT")"
check "relay: the mail route starts at 0 sent" has_line "$(last "$RPORT")" "$SENT 0"

# --- 2. a blocked forward and a normal message ------------------------------

msg="$FG_WORK/forward.eml"
forward_mail "$msg"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "mail: the forward is rejected (550)" expect_match '^550 ' "$SMTP_REPLY"
customer_mail "$FG_WORK/alice.eml" alice@corp.example
send_smtp "$MTA_PORT" customer@example.net alice@corp.example "$FG_WORK/alice.eml"
check "mail: the normal message is accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
audit_wait 1 10
wait_for 10 "the spool to empty" series_is "$MPORT" fwdguard_spool_unshipped_records 0
s1=$(snap "$MPORT" s1)
check "daemon: promtool check metrics passes after mail" promtool_ok "$s1"
check "daemon: one reject decision of forwarded-copy" \
    expect_eq 1 "$(( $(val "$s1" "$DEC") - $(val "$s0" "$DEC") ))"
check "daemon: one decision in all (the normal message is out of scope)" \
    expect_eq 1 "$(( $(total "$s1" fwdguard_decisions_total) - $(total "$s0" fwdguard_decisions_total) ))"
for sig in delivered-to exchange-rule; do
	check "daemon: signal $sig counted once" \
	    expect_eq 1 "$(val "$s1" "fwdguard_signals_total{signal=\"$sig\"}")"
done
check "daemon: signal orcpt not counted" \
    expect_eq 0 "$(val "$s1" 'fwdguard_signals_total{signal="orcpt"}')"
check "daemon: two ends of message in the histogram" \
    expect_eq 2 "$(( $(val "$s1" fwdguard_eom_duration_seconds_count) - $(val "$s0" fwdguard_eom_duration_seconds_count) ))"
check "daemon: +Inf bucket equals the count" \
    expect_eq "$(val "$s1" fwdguard_eom_duration_seconds_count)" \
    "$(val "$s1" 'fwdguard_eom_duration_seconds_bucket{le="+Inf"}')"
check "daemon: the recipients were looked up in LDAP" \
    above "$(val "$s1" fwdguard_ldap_lookups_total)" "$(val "$s0" fwdguard_ldap_lookups_total)"
check "daemon: records shipped to Redis" \
    above "$(val "$s1" fwdguard_shipped_records_total)" "$(val "$s0" fwdguard_shipped_records_total)"
check "daemon: no ship error yet" has_line "$s1" "fwdguard_ship_errors_total 0"
check "daemon: nothing waits in the spool" \
    has_line "$s1" "fwdguard_spool_oldest_unshipped_age_seconds 0"

# --- 3. the relay ---------------------------------------------------------

wait_for 15 "the alert mail" sink_has_rcpt security@corp.example
check "relay: the alert reached the security team" expect_eq 1 "$(sink_rcpt_count security@corp.example)"
wait_for 5 "the relay to count the mail" series_is "$RPORT" "$SENT" 1
check "relay: one mail sent on route mail" expect_eq 1 "$(now "$RPORT" "$SENT")"
check "relay: promtool check metrics passes after a mail" promtool_ok "$(last "$RPORT")"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
wait_for 10 "the repeat to be deduplicated" \
    series_is "$RPORT" 'fwdguard_alerts_deduplicated_total{route="mail"}' 1
check "relay: the repeat is deduplicated, not sent" \
    expect_eq "1 1" "$(now "$RPORT" 'fwdguard_alerts_deduplicated_total{route="mail"}') $(val "$(last "$RPORT")" "$SENT")"
touch "$FG_WORK/sendmail-fails"
send_smtp "$MTA_PORT" customer@example.net consultant@other.example "$msg"
wait_for 10 "a failed delivery" series_is "$RPORT" 'fwdguard_alerts_failed_total{route="mail"}' 1
check "relay: the failed delivery is counted" \
    expect_eq 1 "$(now "$RPORT" 'fwdguard_alerts_failed_total{route="mail"}')"
wait_for 10 "the pending count" series_above "$RPORT" 'fwdguard_alerts_pending{route="mail"}' 0
check "relay: the undelivered alert is pending" \
    above "$(now "$RPORT" 'fwdguard_alerts_pending{route="mail"}')" 0
rm -f "$FG_WORK/sendmail-fails"
check "daemon: three reject decisions by now" expect_eq 3 "$(now "$MPORT" "$DEC")"

# --- 4. Redis and slapd down ------------------------------------------------

before=$(now "$MPORT" fwdguard_ship_errors_total)
stop_redis
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "redis down: the forward is still rejected" expect_match '^550 ' "$SMTP_REPLY"
wait_for 10 "a ship error" series_above "$MPORT" fwdguard_ship_errors_total "$before"
check "redis down: ship errors rise" above "$(now "$MPORT" fwdguard_ship_errors_total)" "$before"
check "redis down: the record waits in the spool" \
    above "$(val "$(last "$MPORT")" fwdguard_spool_unshipped_records)" 0
age1=$(val "$(last "$MPORT")" fwdguard_spool_oldest_unshipped_age_seconds)
check "redis down: the oldest unshipped record has an age" above "$age1" 0
sleep 1.5
check "redis down: and it grows" above "$(now "$MPORT" fwdguard_spool_oldest_unshipped_age_seconds)" "$age1"
check "redis down: promtool check metrics passes" promtool_ok "$(last "$MPORT")"
start_redis || fg_die "restart redis-server"
wait_for 15 "the spool to empty" series_is "$MPORT" fwdguard_spool_unshipped_records 0
scrape "$MPORT"
check "redis back: the spool is empty" has_line "$(last "$MPORT")" "fwdguard_spool_unshipped_records 0"
check "redis back: no age any more" \
    has_line "$(last "$MPORT")" "fwdguard_spool_oldest_unshipped_age_seconds 0"

LERR='fwdguard_ldap_errors_total{operation="lookup"}'
before=$(now "$MPORT" "$LERR")
stop_slapd
sleep $((LDAP_CACHE_TTL + 1))	# alice's cached answer expires
send_smtp "$DIRECT_PORT" customer@example.net alice@corp.example "$FG_WORK/alice.eml"
wait_for 10 "an LDAP lookup error" series_above "$MPORT" "$LERR" "$before"
check "slapd down: LDAP lookup errors rise" above "$(now "$MPORT" "$LERR")" "$before"

# --- 5. reloads -------------------------------------------------------------

ok0=$(now "$MPORT" 'fwdguard_reloads_total{result="success"}')
echo "# a comment changes the digest" >>"$CONF"
reload_fwdguard
digest=$(sha256sum "$CONF" | cut -d' ' -f1)
r1=$(snap "$MPORT" reload1)
check "reload: counted as a success" \
    expect_eq $((ok0 + 1)) "$(val "$r1" 'fwdguard_reloads_total{result="success"}')"
check "reload: config_info follows the new digest" \
    expect_eq 1 "$(val "$r1" "fwdguard_config_info{digest=\"$digest\"}")"
check "reload: one config_info series only" \
    expect_eq 1 "$(grep -c '^fwdguard_config_info{' "$r1")"
cp "$CONF" "$FG_WORK/good.yaml"
echo "bogus_key: 1" >>"$CONF"
reload_fwdguard
r2=$(snap "$MPORT" reload2)
check "bad reload: counted as a failure" \
    expect_eq 1 "$(val "$r2" 'fwdguard_reloads_total{result="failure"}')"
check "bad reload: config_info keeps the digest in force" \
    expect_eq 1 "$(val "$r2" "fwdguard_config_info{digest=\"$digest\"}")"
fg_take_port MPORT2 || fg_die "a second metrics port"
sed "s/127\.0\.0\.1:$MPORT\$/127.0.0.1:$MPORT2/" "$FG_WORK/good.yaml" >"$CONF"
reload_fwdguard
check "reload: metrics.listen moves to the new port" scrape "$MPORT2"
check "reload: the old port is closed" fg_not port_open "$MPORT"

# --- 6. listen addresses ----------------------------------------------------

check_refused() {	# NAME ADDRESS: fwdguard -n refuses metrics.listen: ADDRESS
	local bad="$FG_WORK/bad-listen.yaml" out rc
	sed "s/127\.0\.0\.1:$MPORT\$/$2/" "$FG_WORK/good.yaml" >"$bad"
	out=$("$BUILD/fwdguard" -n -c "$bad" 2>&1)
	rc=$?
	check "fwdguard -n: $1 is refused (exit 1)" expect_eq 1 "$rc"
	check "fwdguard -n: $1 is named with its line" \
	    expect_match "bad-listen\.yaml:[0-9]+:[0-9]+: metrics\.listen: invalid listen address '$2'" "$out"
}
check_refused "a port above 65535" "127.0.0.1:99999"
check_refused "a host name" "localhost:9469"
check_refused "no port" "127.0.0.1"
out=$("$BUILD/fwdguard" -n -c "$FG_WORK/good.yaml" 2>&1)
check "fwdguard -n: the good file is valid" expect_match 'configuration valid' "$out"
# A second daemon (its own socket and spool) asking for the running one's port.
sed -e "s|$FWDGUARD_SOCK|$FG_WORK/second/fwdguard.sock|" -e "s|fwdguard/spool|second/spool|" \
    -e "s/127\.0\.0\.1:$MPORT\$/127.0.0.1:$MPORT2/" "$FG_WORK/good.yaml" >"$FG_WORK/second.yaml"
mkdir -p "$FG_WORK/second"
chown postfix: "$FG_WORK/second"
check "a port in use stops the start with a clear error" \
    fwdguard_refuses "$FG_WORK/second.yaml" "metrics.listen: cannot listen on 127.0.0.1:$MPORT2: Address already in use"
check "the second daemon left no milter socket" fg_not test -e "$FG_WORK/second/fwdguard.sock"
out=$("$AUDIT" -c "$CONF" alerts --metrics-listen localhost:1 2>&1)
check "relay: a bad --metrics-listen is a usage error (exit 2)" expect_eq 2 "$?"
check "relay: it says what is wrong" expect_match 'invalid listen address "localhost:1"' "$out"
check "fwdguard still running" fwdguard_alive

# --- 7. the sample alerting rules -------------------------------------------

RULES="$FG_REPO/contrib/prometheus/fwdguard-alerts.yml"
out=$(promtool check rules "$RULES" 2>&1)
check "contrib rules: promtool check rules passes" expect_match 'SUCCESS' "$out"
out=$(promtool test rules "$FG_FIXTURES/prometheus-alerts-test.yml" 2>&1)
check "contrib rules: promtool test rules passes" expect_match 'SUCCESS' "$out"

fg_summary
