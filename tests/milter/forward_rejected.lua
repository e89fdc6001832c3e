-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- An inbox rule forwards the support mailbox to an outside consulting firm:
-- rejected (the 550 5.7.1 text with its ref id is checked end-to-end in tests/e2e).

local conn = lib.open(lib.start())
lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = lib.inbox_rule_forward(),
})
lib.expect_reply(conn, SMFIR_REPLYCODE, "inbox-rule forward")
mt.disconnect(conn)
