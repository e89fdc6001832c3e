-- SPDX-License-Identifier: BSD-2-Clause
-- conf: leak
-- The founding story's last act: a colleague writes to support@, whose mail
-- an invisible alias forwards to an outside firm; the firm's out-of-office
-- answer comes back to the colleague and names the colleague's
-- Message-ID: leak-backscatter, accepted, with a critical alert.  A
-- customer's own out-of-office answer to a message of that customer's
-- raises nothing, nor does a person's reply from outside.  The answer
-- comes without a body: the walk begins at end of message then.

local conn = lib.open(lib.start())
lib.message(conn, {
	from = "<colleague@corp.example>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "A Colleague <colleague@corp.example>" },
		{ "To", "support@corp.example" },
		{ "Subject", "customer 4711 called" },
		{ "Message-ID", "<b1@corp.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "colleague mail to support@")

lib.message(conn, {
	from = "<>",
	rcpts = { { addr = "colleague@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "Consultant <consultant@fti.example>" },
		{ "To", "colleague@corp.example" },
		{ "Subject", "Out of Office: customer 4711 called" },
		{ "Auto-Submitted", "auto-replied" },
		{ "In-Reply-To", "<b1@corp.example>" },
		{ "Message-ID", "<ooo1@fti.example>" },
	},
	body = false,	-- no body chunk: the evidence is all in the headers
})
lib.expect_reply(conn, SMFIR_ACCEPT, "the outside firm's out-of-office answer")

lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "Jane Customer <jane@example.net>" },
		{ "To", "support@corp.example" },
		{ "Subject", "My account" },
		{ "Message-ID", "<b2@example.net>" },
	},
})
lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "Jane Customer <jane@example.net>" },
		{ "To", "support@corp.example" },
		{ "Subject", "Automatic reply: My account" },
		{ "Auto-Submitted", "auto-replied" },
		{ "References", "<b2@example.net>" },
		{ "Message-ID", "<ooo2@example.net>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "the customer's own auto-reply")

lib.message(conn, {
	from = "<consultant@fti.example>",
	rcpts = { { addr = "colleague@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "Consultant <consultant@fti.example>" },
		{ "To", "colleague@corp.example" },
		{ "Subject", "Re: customer 4711 called" },
		{ "In-Reply-To", "<b1@corp.example>" },
		{ "Message-ID", "<human1@fti.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "a person's reply from outside")
mt.disconnect(conn)
