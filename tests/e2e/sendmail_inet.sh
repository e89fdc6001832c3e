#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Sendmail talking to fwdguard over TCP (S=inet:PORT@127.0.0.1), with the
# default milter.no_reply: auto.  Sendmail writes each header in a packet
# of its own; without quick ACKs every unanswered one would wait for
# fwdguard's delayed ACK, so auto used to answer every step on TCP.  With
# the TCP connections read ahead and acknowledged at once
# (milter/common/readahead.c) they go unanswered as on a unix socket
# (milter/callbacks.c), and Sendmail must still get every verdict:
# (1) a forward with many headers is refused with its reference and
# recorded; (2) support@'s reply to the customer passes and is delivered;
# (3) the daemon says the steps went unanswered.  The time this saves is tests/bench/run's to measure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sendmail.sh"

sm_world inet

check "fwdguard: TCP connections read ahead and acknowledged at once" \
    grep -q "reading ahead on the MTA's connections, TCP ones acknowledged at once" \
    "$FWDGUARD_LOG"

# (1) Twenty headers, each a packet Sendmail does not wait on.
msg="$FG_WORK/forward.eml"
headers=("Delivered-To: support@corp.example"
    "From: Customer <customer@example.net>"
    "To: support@corp.example"
    "Subject: my contract")
for i in $(seq 1 16); do
	headers+=("X-Trace-$i: hop $i of the customer's message")
done
make_message "$msg" "${headers[@]}"
sm_forward_refused "$msg"
check "forward: the record's id is the reply's ref" expect_eq "$SM_REF" "$(audit_field "$SM_REC" id)"
check "forward: rule=forwarded-copy" expect_eq forwarded-copy "$(audit_field "$SM_REC" rule)"

# (2)
sm_reply_passes

# (3)
check "milter: each message streamed up to its end" \
    grep -q 'sends each message up to its end without waiting for replies' "$FWDGUARD_LOG"
check "audit: two decisions" expect_eq 2 "$(audit_count)"
check "fwdguard still running" fwdguard_alive

fg_summary
