-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- Egress instance: a virtual-alias forward arrives as a new transaction whose
-- RCPT carries ORCPT=rfc822;<the protected mailbox> (xtext: '+' is "+2B").

local conn = lib.open(lib.start())
lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "consultant@fti.example", orcpt = "rfc822;Support+2Bcases@corp.example" } },
	headers = { { "From", "jane@example.net" }, { "To", "support@corp.example" },
	            { "Message-ID", "<o1@example.net>" } } })
lib.expect_reply(conn, SMFIR_REPLYCODE, "orcpt forward rejected")
-- a customer writing to the mailbox itself passes
lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "support@corp.example", mailer = "local" } },
	headers = { { "From", "jane@example.net" }, { "To", "support@corp.example" } } })
lib.expect_reply(conn, SMFIR_ACCEPT, "inbound mail to the protected mailbox")
mt.disconnect(conn)
