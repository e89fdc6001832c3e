#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Recipient delimiters and directory aliases (README.md "Recipient
# delimiters", "The directory"): Postfix and fwdguard with
# recipient_delimiter "+-", virtual_alias_maps = ldap: reading mail,
# mailAlternateAddress and mailLocalAddress, forwards in
# mailForwardingAddress and mailRoutingAddress (fixtures/directory.ldif).
#   1. customer-service@ (protected whole, beside customer@) routes its mail
#      out: held, recorded as customer-service@'s, not customer@'s
#   2. vendors@ forwards to partner-exfil@gmail.example: an exception for
#      partner@gmail.example does not cover it: held
#   3. sales@ forwards to partner@gmail.example itself: allowed, delivered
#   4. contactfr@, another address of support@'s entry (not in the YAML):
#      held, recorded with mailbox support@ and mailbox_address contactfr@
#   5. support+billing@ (Postfix: whole, then support@'s entry) held as
#      support@'s; a copy leaving with Delivered-To: contactfr@ rejected
#   6. colleague mail (alice@ -> bob@, bob+lunch@) flows
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

LDAP_PROTECTED="support@corp.example, customer@corp.example, customer-service@corp.example, sales@corp.example, vendors@corp.example"
MAILBOX_FILTER="(|(mail=%s)(mailAlternateAddress=%s)(mailLocalAddress=%s))"

# aliases_cf: Postfix's table, asked with the whole address, then without
# the extension (Postfix's own order).
aliases_cf() {
	ldap_aliases_cf | sed -e "s/^query_filter = .*/query_filter = $MAILBOX_FILTER/" \
	    -e 's/^result_attribute = .*/result_attribute = mailForwardingAddress, mailRoutingAddress/'
}

# aliases_config OUT: the directory config with delimiters "+-", the
# mailbox filter Postfix uses, and an exception for partner@gmail.example.
aliases_config() {
	local out=$1
	fwdguard_ldap_config "$out" || return 1
	sed -i -e 's/^\( *recipient_delimiter:\).*/\1 "+-"/' \
	    -e "s/^\\( *mailbox_filter:\\).*/\\1 \"$MAILBOX_FILTER\"/" \
	    -e 's/^allow:$/allow:\n  - destination: partner@gmail.example\n    mailboxes: [sales@corp.example, vendors@corp.example]\n    reason: "partner contract P-1"\n    owner: dpo@corp.example/' \
	    "$out"
	grep -q 'recipient_delimiter: "+-"' "$out" && grep -q 'mailLocalAddress=%s' "$out" &&
	    grep -q 'destination: partner@gmail.example' "$out"
}

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
# shellcheck disable=SC2119 # the default fixture
start_slapd || fg_die "start slapd"
aliases_config "$FG_WORK/fwdguard.yaml" || fg_die "render fwdguard.yaml"
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
aliases_cf >"$FG_WORK/ldap-aliases.cf"
touch -d '-1 min' "$FG_WORK/ldap-aliases.cf"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --set "virtual_alias_maps = ldap:$FG_WORK/ldap-aliases.cf" \
    --set "recipient_delimiter = +-" || fg_die "start postfix mta"
MTA_PORT=${PF_PORT[mta]}
set_loaded() { grep -qE 'directory: [0-9]+ protected addresses loaded' "$FWDGUARD_LOG"; }
wait_for 15 "fwdguard to load the protected set" set_loaded

customer_mail() {	# FILE TO
	make_message "$1" "From: Customer <customer@example.net>" "To: $2" \
	    "Subject: my account"
}
# record_of RCPT: the directory-forward audit record of mail to RCPT.
record_of() { audit_find recipient="$1" rule=directory-forward | head -n 1; }

# The world as the scenario expects it (a setup error, not a finding).
check "setup: Postfix routes customer-service@ out (whole address)" \
    expect_eq cs-outsourcer@fti.example "$(postfix_alias_of customer-service@corp.example)"
check "setup: Postfix forwards contactfr@ with support@'s entry" \
    expect_eq consultant@fti.example "$(postfix_alias_of contactfr@corp.example)"
check "setup: contactfr@ is not in the YAML" \
    expect_eq 0 "$(grep -c contactfr "$FG_WORK/fwdguard.yaml")"

# --- 1. customer-service@ is not customer@ -----------------------------------
customer_mail "$FG_WORK/cs.eml" customer-service@corp.example
send_smtp "$MTA_PORT" customer@example.net customer-service@corp.example "$FG_WORK/cs.eml"
check "1: mail to customer-service@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held mta 1
wait_delivered mta
check "1: held" expect_eq 1 "$(held_count mta)"
check "1: nothing reached cs-outsourcer@fti.example" \
    expect_eq 0 "$(sink_rcpt_count cs-outsourcer@fti.example)"
wait_for 10 "audit record for customer-service@" \
    audit_has recipient=customer-service@corp.example rule=directory-forward
rec=$(record_of customer-service@corp.example)
check "1: recorded as customer-service@'s mailbox" \
    expect_eq customer-service@corp.example "$(audit_field "$rec" mailbox)"
check "1: target cs-outsourcer@fti.example" \
    expect_eq cs-outsourcer@fti.example "$(audit_addr "$rec" target)"
check "1: mailbox_address customer-service@corp.example" \
    expect_eq customer-service@corp.example "$(audit_field "$rec" mailbox_address)"

# --- 2. an exception for partner@ is not one for partner-exfil@ --------------
customer_mail "$FG_WORK/vendors.eml" vendors@corp.example
send_smtp "$MTA_PORT" customer@example.net vendors@corp.example "$FG_WORK/vendors.eml"
check "2: mail to vendors@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held mta 2
wait_delivered mta
check "2: held" expect_eq 2 "$(held_count mta)"
check "2: nothing reached partner-exfil@gmail.example" \
    expect_eq 0 "$(sink_rcpt_count partner-exfil@gmail.example)"
wait_for 10 "audit record for vendors@" \
    audit_has recipient=vendors@corp.example rule=directory-forward
rec=$(record_of vendors@corp.example)
check "2: target partner-exfil@gmail.example" \
    expect_eq partner-exfil@gmail.example "$(audit_addr "$rec" target)"

# --- 3. the exception itself still works ---------------------------------------
customer_mail "$FG_WORK/sales.eml" sales@corp.example
send_smtp "$MTA_PORT" customer@example.net sales@corp.example "$FG_WORK/sales.eml"
check "3: mail to sales@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "delivery to partner@gmail.example" sink_has_rcpt partner@gmail.example
check "3: delivered to partner@gmail.example (the exception)" \
    sink_has_rcpt partner@gmail.example
check "3: nothing more held" expect_eq 2 "$(held_count mta)"

# --- 4. another address of a protected entry --------------------------------
customer_mail "$FG_WORK/contactfr.eml" contactfr@corp.example
send_smtp "$MTA_PORT" customer@example.net contactfr@corp.example "$FG_WORK/contactfr.eml"
check "4: mail to contactfr@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held mta 3
wait_delivered mta
check "4: held" expect_eq 3 "$(held_count mta)"
check "4: nothing reached consultant@fti.example" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
wait_for 10 "audit record for contactfr@" \
    audit_has recipient=contactfr@corp.example rule=directory-forward
rec=$(record_of contactfr@corp.example)
check "4: mailbox support@corp.example" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "4: mailbox_address contactfr@corp.example" \
    expect_eq contactfr@corp.example "$(audit_field "$rec" mailbox_address)"
check "4: target consultant@fti.example" \
    expect_eq consultant@fti.example "$(audit_addr "$rec" target)"
check "4: in support@'s own history stream" \
    test -n "$(REDIS_STREAM=fwdguard:mailbox:support@corp.example \
    audit_find recipient=contactfr@corp.example)"

# --- 5. a tagged address of the mailbox, and an alias in a trace header ----------
customer_mail "$FG_WORK/tagged.eml" support+billing@corp.example
send_smtp "$MTA_PORT" customer@example.net support+billing@corp.example "$FG_WORK/tagged.eml"
check "5: mail to support+billing@ accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_held mta 4
wait_delivered mta
check "5: held (Postfix's table answers for support@)" expect_eq 4 "$(held_count mta)"
wait_for 10 "audit record for support+billing@" \
    audit_has recipient=support+billing@corp.example rule=directory-forward
rec=$(record_of support+billing@corp.example)
check "5: mailbox support@corp.example" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "5: mailbox_address support+billing@corp.example" \
    expect_eq support+billing@corp.example "$(audit_field "$rec" mailbox_address)"
# A mailbox rule re-sending what contactfr@ received: the header names the alias.
make_message "$FG_WORK/redirect.eml" "From: Customer <customer@example.net>" \
    "To: contactfr@corp.example" "Delivered-To: contactfr@corp.example" "Subject: fwd"
send_smtp "$MTA_PORT" alice@corp.example someone@evil.test "$FG_WORK/redirect.eml"
check "5: copy of contactfr@'s mail to someone@evil.test rejected (5xx)" \
    expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
wait_for 10 "audit record for someone@evil.test" \
    audit_has recipient=someone@evil.test rule=forwarded-copy
rec=$(audit_find recipient=someone@evil.test rule=forwarded-copy | head -n 1)
check "5: recorded as support@'s mail" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
check "5: signals has delivered-to" list_has "$(audit_field "$rec" signals)" delivered-to
check "5: nothing reached someone@evil.test" expect_eq 0 "$(sink_rcpt_count someone@evil.test)"

# --- 6. colleagues ----------------------------------------------------------------
make_message "$FG_WORK/lunch.eml" "From: alice@corp.example" "To: bob@corp.example" \
    "Subject: lunch"
send_smtp "$MTA_PORT" alice@corp.example "bob@corp.example,bob+lunch@corp.example" \
    "$FG_WORK/lunch.eml"
check "6: colleague mail accepted (250)" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "delivery to bob@" sink_has_rcpt bob@corp.example
check "6: delivered to bob@" sink_has_rcpt bob@corp.example
check "6: delivered to bob+lunch@" sink_has_rcpt bob+lunch@corp.example
check "6: nothing more held" expect_eq 4 "$(held_count mta)"
wait_for 10 "the spool to be shipped" spool_drained
check "6: no record for colleague mail" \
    expect_eq "" "$(audit_find recipient=bob@corp.example)"

fg_summary
