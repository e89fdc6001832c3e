-- SPDX-License-Identifier: BSD-2-Clause
-- conf: leak
-- referenced-message: a customer writes to support@ (from Outlook: a
-- Thread-Index); support@ then forwards it with a client's Forward button
-- to an outside firm that was never a party to it -- a new message, new
-- Message-ID, pointing at the original by In-Reply-To/References (Gmail,
-- Apple Mail), by X-Forwarded-Message-Id (Thunderbird), by Thread-Index
-- only (Outlook): each is rejected.  support@'s reply to the customer and a
-- message between colleagues with the same references pass.  Redis is
-- down: the records this process wrote a moment ago find the original.

local conn = lib.open(lib.start())
lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "Jane Customer <jane@example.net>" },
		{ "To", "Customer Service <support@corp.example>" },
		{ "Subject", "My account 12345" },
		{ "Message-ID", "<o1@example.net>" },
		{ "Thread-Index", "Adntir5mrR0a9TxOQK8LkylfTNIcAA==" },
		{ "Thread-Topic", "My account 12345" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "customer mail to support@")

local function from_support(id, rcpt, extra)
	local h = {
		{ "From", "Customer Service <support@corp.example>" },
		{ "To", rcpt },
		{ "Message-ID", "<" .. id .. "@corp.example>" },
	}
	for _, x in ipairs(extra) do
		table.insert(h, x)
	end
	return { from = "<support@corp.example>", rcpts = { { addr = rcpt } }, headers = h }
end

-- Each client's Forward button: refused.
local forwards = {
	{ "fwd-gmail", "Gmail-style forward", {
		{ "Subject", "Fwd: My account 12345" },
		{ "In-Reply-To", "<o1@example.net>" },
		{ "References", "<o1@example.net>" } } },
	{ "fwd-tb", "Thunderbird-style forward", {
		{ "Subject", "My account 12345" },
		{ "X-Forwarded-Message-Id", "<o1@example.net>" } } },
	{ "fwd-ol", "Outlook-style forward", {
		{ "Subject", "=?utf-8?Q?WG:_My_account_12345?=" },
		{ "Thread-Index", "Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD" },
		{ "Thread-Topic", "My account 12345" } } },
}
for _, f in ipairs(forwards) do
	lib.message(conn, from_support(f[1], "consultant@fti.example", f[3]))
	lib.expect_reply(conn, SMFIR_REPLYCODE, f[2])
end

lib.message(conn, from_support("reply", "jane@example.net", {
	{ "Subject", "RE: My account 12345" },
	{ "In-Reply-To", "<o1@example.net>" },
	{ "References", "<o1@example.net>" },
	{ "Thread-Index", "Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD" },
}))
lib.expect_reply(conn, SMFIR_ACCEPT, "support@'s reply to the customer")

lib.message(conn, {
	from = "<colleague@corp.example>",
	rcpts = { { addr = "other@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "A Colleague <colleague@corp.example>" },
		{ "To", "other@corp.example" },
		{ "Subject", "Fwd: My account 12345" },
		{ "Message-ID", "<internal@corp.example>" },
		{ "References", "<o1@example.net>" },
		{ "X-Forwarded-Message-Id", "<o1@example.net>" },
		{ "Thread-Index", "Adntir5mrR0a9TxOQK8LkylfTNIcAAAAobLD" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "a message between colleagues")
mt.disconnect(conn)
