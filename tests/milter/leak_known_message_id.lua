-- SPDX-License-Identifier: BSD-2-Clause
-- conf: leak
-- known-message-id: a customer writes to support@; later support@ sends the
-- very same message (same Message-ID, no trace header) on to an outside
-- address: rejected.  support@'s own answer to the customer (a new
-- Message-ID) passes, and so does a copy for a party to the message.  Redis is down: the record this process wrote a
-- moment ago is what finds the id.

local conn = lib.open(lib.start())
local customer = {
	{ "From", "Jane Customer <jane@example.net>" },
	{ "To", "Customer Service <support@corp.example>" },
	{ "Subject", "My account 12345" },
	{ "Message-ID", "<k1@example.net>" },
}
lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = customer,
})
lib.expect_reply(conn, SMFIR_ACCEPT, "customer mail to support@")

lib.message(conn, {
	from = "<support@corp.example>",
	rcpts = { { addr = "someone@elsewhere.example" } },
	headers = customer,
})
lib.expect_reply(conn, SMFIR_REPLYCODE, "redirect of the received message")

-- A colleague writes to support@ with a partner in Cc; the partner's copy
-- crosses the MTA again later (an egress instance sees it so): the partner
-- was a party to the message, nothing to say.
local to_partner = {
	{ "From", "A Colleague <colleague@corp.example>" },
	{ "To", "support@corp.example" },
	{ "Cc", "partner@partner.example" },
	{ "Subject", "the 4711 case" },
	{ "Message-ID", "<k2@corp.example>" },
}
lib.message(conn, {
	from = "<colleague@corp.example>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" },
		  { addr = "partner@partner.example" } },
	headers = to_partner,
})
lib.expect_reply(conn, SMFIR_ACCEPT, "colleague mail to support@ and a partner")
lib.message(conn, {
	from = "<colleague@corp.example>",
	rcpts = { { addr = "partner@partner.example" } },
	headers = to_partner,
})
lib.expect_reply(conn, SMFIR_ACCEPT, "the partner's copy again")

lib.message(conn, {
	from = "<support@corp.example>",
	rcpts = { { addr = "jane@example.net" } },
	headers = {
		{ "From", "Customer Service <support@corp.example>" },
		{ "To", "Jane Customer <jane@example.net>" },
		{ "Subject", "Re: My account 12345" },
		{ "In-Reply-To", "<k1@example.net>" },
		{ "Message-ID", "<r1@corp.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "reply to the customer")
mt.disconnect(conn)
