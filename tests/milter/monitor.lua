-- SPDX-License-Identifier: BSD-2-Clause
-- conf: monitor
-- Global monitor mode: the forward is decided (reject) and recorded, and passes untouched.

local conn = lib.open(lib.start())
lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = lib.inbox_rule_forward() })
lib.expect_reply(conn, SMFIR_ACCEPT, "monitor mode passes")
lib.expect(not mt.eom_check(conn, MT_HDRADD), "no header added in monitor mode")
lib.expect(not mt.eom_check(conn, MT_QUARANTINE), "not held in monitor mode")
mt.disconnect(conn)
