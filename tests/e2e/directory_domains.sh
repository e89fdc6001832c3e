#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Internal domains from the directory (ldap.domain_filter): the
# branch office's mail domain corp-branch.example is not in the YAML list,
# only in the directory (ou=corp-branch,ou=domains: associatedDomain
# corp-branch.example and *.corp-branch.example).  A copy of support@'s mail
# (Delivered-To: support@corp.example) forwarded to a colleague at the
# branch is internal and delivered; the same copy to the outside consultant
# is rejected.  Kept apart from directory.sh, whose steps are timed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

fg_init
# shellcheck disable=SC2034 # read by fwdguard_ldap_config
LDAP_DOMAIN_FILTER="(objectClass=domainRelatedObject)"
fg_ldap_world
BRANCH_DN="ou=corp-branch,ou=domains,$LDAP_BASE"

fg_log_has() { grep -q -- "$1" "$FWDGUARD_LOG"; }

# forwarded_copy FILE: support@'s mail as an inbox rule relays it.
forwarded_copy() {
	make_message "$1" "Delivered-To: support@corp.example" \
	    "From: Customer <customer@example.net>" "To: support@corp.example" \
	    "Subject: my contract"
}

check "setup: the directory names corp-branch.example" \
    expect_eq "corp-branch.example *.corp-branch.example" \
    "$(ldap_get "$BRANCH_DN" associatedDomain | tr '\n' ' ' | sed 's/ $//')"
check "setup: corp-branch.example is not in the YAML" \
    expect_eq 0 "$(grep -c corp-branch "$FG_WORK/fwdguard.yaml")"
check "setup: ldap.domain_filter is configured" \
    grep -q '^  domain_filter: "(objectClass=domainRelatedObject)"$' "$FG_WORK/fwdguard.yaml"
wait_for 15 "fwdguard to load the directory's domains" \
    fg_log_has 'directory: 2 internal domains loaded'
check "fwdguard loaded both values of associatedDomain" \
    fg_log_has 'directory: 2 internal domains loaded'

# --- 1. to a colleague at the branch: internal, delivered ------------------
msg="$FG_WORK/branch.eml"
forwarded_copy "$msg"
send_smtp "$MTA_PORT" support@corp.example colleague@corp-branch.example "$msg"
check "1: copy to colleague@corp-branch.example accepted (250)" \
    expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "delivery to the colleague" sink_has_rcpt colleague@corp-branch.example
check "1: delivered to colleague@corp-branch.example" \
    sink_has_rcpt colleague@corp-branch.example
wait_for 10 "audit record for the colleague" audit_has recipient=colleague@corp-branch.example
rec=$(audit_find recipient=colleague@corp-branch.example | head -n 1)
check "1: audit record destination=internal" expect_eq internal "$(audit_field "$rec" destination)"
check "1: audit record action=accept" expect_eq accept "$(audit_field "$rec" action)"

# --- 2. a subdomain of the branch ("*.corp-branch.example") -----------------
msg="$FG_WORK/branch-sub.eml"
forwarded_copy "$msg"
send_smtp "$MTA_PORT" support@corp.example desk@paris.corp-branch.example "$msg"
check "2: copy to desk@paris.corp-branch.example accepted (250)" \
    expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "delivery to the subdomain" sink_has_rcpt desk@paris.corp-branch.example
check "2: delivered to desk@paris.corp-branch.example" \
    sink_has_rcpt desk@paris.corp-branch.example

# --- 3. to the outside consultant: external, rejected -----------------------
msg="$FG_WORK/consultant.eml"
forwarded_copy "$msg"
send_smtp "$MTA_PORT" support@corp.example consultant@fti.example "$msg"
check "3: copy to consultant@fti.example rejected (550 5.7.1)" \
    expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
wait_for 10 "audit record for the consultant" audit_has recipient=consultant@fti.example
rec=$(audit_find recipient=consultant@fti.example | head -n 1)
check "3: audit record destination=external" expect_eq external "$(audit_field "$rec" destination)"
check "3: audit record action=reject" expect_eq reject "$(audit_field "$rec" action)"
wait_delivered mta
check "3: nothing reached consultant@fti.example" \
    expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"

# --- 4. a look-alike of the branch domain stays external --------------------
msg="$FG_WORK/lookalike.eml"
forwarded_copy "$msg"
send_smtp "$MTA_PORT" support@corp.example x@evilcorp-branch.example "$msg"
check "4: copy to x@evilcorp-branch.example rejected (550)" \
    expect_match '^550[ -]' "$SMTP_REPLY"
check "fwdguard still running" fwdguard_alive

fg_summary
