-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- A forward to the contracted helpdesk vendor is allowed and passes.

local conn = lib.open(lib.start())
lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "tickets@helpdesk-vendor.example" } },
	headers = lib.inbox_rule_forward() })
lib.expect_reply(conn, SMFIR_ACCEPT, "allowed processor")
mt.disconnect(conn)
