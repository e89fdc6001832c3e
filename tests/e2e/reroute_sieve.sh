#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/reroute_sieve.sh - the same redirect made by a real Dovecot
# Sieve "redirect" (dovecot-lda with Pigeonhole, an unprivileged instance in
# the workspace: no system dovecot service): support@'s user script
# redirects the customer's message to partner@fti.example through the
# private Postfix's sendmail.  With the sample configuration the copy is
# rerouted to support+fwdguard@, nothing reaches the outside firm, no
# bounce reaches the customer, and the mailbox gets one notice.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_reroute.sh"

LDA=/usr/lib/dovecot/dovecot-lda
[ -x "$LDA" ] && [ -d /usr/lib/dovecot/modules/sieve ] ||
    { echo "not ok - dovecot-lda with Pigeonhole not installed (tests/setup-debian)"; exit 1; }

reroute_world

# Postfix's sendmail run by a user other than root reads the instance's
# directory only when the default main.cf lists it: add it for this test,
# take it out again at the end (other tests may share the file: flock).
ALT=/etc/postfix/main.cf
# A run killed before its trap leaves its entry behind: postfix_alt_prune
# drops entries whose directory is gone, first and last.
PRUNE="$(cd "$(dirname "$0")" && pwd)/postfix_alt_prune"
alt_edit() { flock /etc/postfix/.fwdguard-e2e.lock sh -c "$1"; }
alt_add() {
	alt_edit "$PRUNE $ALT; touch $ALT; if grep -q '^alternate_config_directories' $ALT; then
	    sed -i 's|^alternate_config_directories *=.*|& ${PF_DIR[mta]}|' $ALT
	    else echo 'alternate_config_directories = ${PF_DIR[mta]}' >>$ALT; fi"
}
alt_remove() {
	alt_edit "sed -i 's| ${PF_DIR[mta]}||' $ALT; $PRUNE $ALT"
}
alt_add
trap 'rc=$?; alt_remove; (exit $rc); fg_cleanup' EXIT

# An unprivileged Dovecot: user nobody, everything below the workspace.
DV="$FG_WORK/dovecot"
mkdir -p "$DV/run" "$DV/state" "$DV/home/support"
printf 'redirect "partner@fti.example";\n' >"$DV/home/support/.dovecot.sieve"
cat >"$DV/dovecot.conf" <<END_CONF
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/dovecot.log
ssl = no
mail_location = maildir:~/Maildir
postmaster_address = postmaster@corp.example
hostname = mail.corp.example
sendmail_path = $FG_WORK/sendmail-wrapper
protocol lda {
  mail_plugins = sieve
}
plugin {
  sieve = file:~/.dovecot.sieve
}
END_CONF
chown -R nobody:nogroup "$DV"
FG_LOGS+=("$DV/dovecot.log" "$FG_WORK/lda.log")

make_message "$FG_WORK/customer.eml" "From: Customer <customer@example.net>" \
    "To: support@corp.example" "Subject: where is my parcel" "Message-ID: <sv1@example.net>"
chmod 644 "$FG_WORK/customer.eml"
# Without -d the LDA needs no auth server: it delivers as the user it runs
# as, with that user's HOME, as from a .forward.
env -i PATH=/usr/bin:/bin USER=support HOME="$DV/home/support" \
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$LDA" -c "$DV/dovecot.conf" -f customer@example.net -a support@corp.example \
    <"$FG_WORK/customer.eml" >"$FG_WORK/lda.log" 2>&1
check "dovecot-lda delivered (its Sieve script ran)" expect_eq 0 "$?"
check "Pigeonhole redirected through sendmail (pickup, as nobody)" \
    wait_for 15 "the redirect in Postfix's log" maillog_has mta \
    'pickup\[[0-9]+\]: [0-9A-F]+: uid=65534 from=<customer@example.net>'
wait_for 15 "the rerouted copy at the sink" sink_rcpt_is support+fwdguard@corp.example 1
wait_delivered mta
rec=$(audit_find recipient=partner@fti.example | tail -n 1)
check "sieve: the customer is the envelope sender" \
    expect_eq customer@example.net "$(audit_addr "$rec" sender)"
reroute_checks sieve sv1@example.net
relay_once
check "relay --once exits 0" expect_eq 0 "$?"
wait_for 15 "the notice at the sink" notices_are 1
check "the mailbox got exactly one notice" expect_eq 1 "$(notices)"
check "the queue is empty: nothing held, nothing deferred" queue_empty mta

# The rerouted copy reaches the mailbox (its tagged address) and its script
# redirects it again (Pigeonhole's duplicate check keys on the recipient,
# and support+fwdguard@ is another one): the mark verifies, so it is not
# rerouted a second time but held; nothing goes out, nothing bounces.
sink_message sv1@example.net "$FG_WORK/again.eml"
env -i PATH=/usr/bin:/bin USER=support HOME="$DV/home/support" \
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$LDA" -c "$DV/dovecot.conf" -f customer@example.net -a support+fwdguard@corp.example \
    <"$FG_WORK/again.eml" >>"$FG_WORK/lda.log" 2>&1
check "again: dovecot-lda delivered the rerouted copy" expect_eq 0 "$?"
check "again: Pigeonhole redirected it a second time" \
    expect_eq 2 "$(grep -c 'redirect action: forwarded to <partner@fti.example>' "$DV/dovecot.log")"
check "again: held by fwdguard" wait_for 15 "the second trip held" held_is mta 1
rec=$(audit_find recipient=partner@fti.example | tail -n 1)
check "again: the record says it was not rerouted twice" \
    expect_match 'not rerouted twice' "$(audit_field "$rec" reason)"
wait_delivered mta
check "again: nothing reached the outside firm" \
    expect_eq 0 "$(sink_rcpt_count partner@fti.example)"
check "again: no second copy to support+fwdguard@" \
    expect_eq 1 "$(sink_rcpt_count support+fwdguard@corp.example)"
check "again: no bounce to the customer" expect_eq 0 "$(sink_rcpt_count customer@example.net)"

fg_summary
