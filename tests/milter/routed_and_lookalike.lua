-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- Addresses that look internal but leave: percent hack, source route,
-- quoted '@', a look-alike domain.  Each is a forwarded copy to an outsider.

local conn = lib.open(lib.start())
for _, rcpt in ipairs({ "consultant%fti.example@corp.example",
                        "@corp.example:consultant@fti.example",
                        "\"consultant@fti.example\"@corp.example",
                        "consultant@corp.example.fti.example",
                        "consultant@evilcorp.example" }) do
	lib.message(conn, { from = "<jane@example.net>",
		rcpts = { { addr = rcpt, mailer = "error" } },
		headers = lib.inbox_rule_forward() })
	lib.expect_reply(conn, SMFIR_REPLYCODE, "routed/look-alike " .. rcpt)
end
-- the same forward to a real internal colleague passes
lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "colleague@Sales.Corp.Example.", mailer = "local" } },
	headers = lib.inbox_rule_forward() })
lib.expect_reply(conn, SMFIR_ACCEPT, "internal colleague via *.corp.example")
mt.disconnect(conn)
