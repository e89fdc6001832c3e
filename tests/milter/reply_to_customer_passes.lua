-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- The support mailbox answers the customer who wrote to it: not a forward.

local conn = lib.open(lib.start())
lib.message(conn, {
	from = "<support@corp.example>",
	rcpts = { { addr = "jane@example.net" } },
	headers = {
		{ "From", "Customer Service <support@corp.example>" },
		{ "To", "Jane Customer <jane@example.net>" },
		{ "Subject", "Re: My account 12345" },
		{ "In-Reply-To", "<c1@example.net>" },
		{ "Message-ID", "<r1@corp.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "reply to customer")
lib.expect(not mt.eom_check(conn, MT_HDRADD), "no header added")
mt.disconnect(conn)
