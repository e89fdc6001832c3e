# SPDX-License-Identifier: BSD-2-Clause
# tests/package/lib.sh - what tests/package/run and tests/deploy/run share:
# one "ok - " / "not ok - " line per check, the counts, whether the
# fwdguard package is installed, stopping a process of theirs.
# Set SUITE (the name of the summary line) before sourcing.

PASS=0
FAIL=0

ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
not_ok() { echo "not ok - $1"; FAIL=$((FAIL + 1)); }
# check NAME CMD...: one line, CMD's status decides
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
finish() {
	echo "$SUITE: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
}
die() { not_ok "$1"; finish; }

installed() {
	local s
	s=$(dpkg-query -W -f='${Status}' fwdguard 2>/dev/null) || return 1
	[ "$s" != "unknown ok not-installed" ] && [ -n "$s" ]
}

# stop_pid PID: TERM, then KILL after 5 s (status 1 then)
stop_pid() {
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 1
}
