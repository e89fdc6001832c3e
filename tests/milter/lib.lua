-- SPDX-License-Identifier: BSD-2-Clause
-- lib.lua: shared steps of the miltertest scenarios.  tests/milter/run
-- defines FWDGUARD (the binary), CONF (the config) and SOCK (its socket).

lib = {}

function lib.fail(msg)
	error("FAIL: " .. msg)
end

function lib.check(err, what)
	if err ~= nil then
		lib.fail(what .. ": " .. tostring(err))
	end
end

-- Starts the real daemon and connects to it like Postfix would.
function lib.start()
	mt.startfilter(FWDGUARD, "-f", "-c", CONF)
	local conn = mt.connect("unix:" .. SOCK, 50, 0.1)
	if conn == nil then
		lib.fail("cannot connect to fwdguard at " .. SOCK)
	end
	return conn
end

-- The client address each connection's macros name, sent as Postfix sends
-- it: with MAIL FROM where fwdguard took its macro lists, else at connect.
local clients = {}

-- A new connection from client ip through the negotiate and connect steps.
-- actions: what the MTA offers (nil: everything miltertest knows, macro
-- lists included, so fwdguard asks for no connect step; Postfix then sends
-- only "j" at connect and the client's address with each MAIL FROM).
function lib.open(conn_or_nil, ip, actions)
	local conn = conn_or_nil or mt.connect("unix:" .. SOCK, 20, 0.1)
	if conn == nil then
		lib.fail("cannot connect")
	end
	-- miltertest sends its third argument as the steps and its fourth as
	-- the actions offered, the other way round from its manual (seen on
	-- the wire with strace).
	lib.check(mt.negotiate(conn, nil, nil, actions), "negotiate")
	local lists = actions == nil or actions % (2 * SMFIF_SETSYMLIST) >= SMFIF_SETSYMLIST
	lib.expect(mt.test_option(conn, SMFIP_NOCONNECT) == lists,
	    lists and "connect step negotiated away (macro lists offered)" or
	    "connect step kept (no macro lists offered)")
	clients[conn] = ip or "127.0.0.1"
	if mt.test_option(conn, SMFIP_NOCONNECT) then
		lib.check(mt.macro(conn, SMFIC_CONNECT, "j", "mx.corp.example"), "connect macros")
	else
		lib.check(mt.macro(conn, SMFIC_CONNECT, "{client_addr}", clients[conn],
		    "{daemon_name}", "smtpd"), "connect macros")
		lib.check(mt.conninfo(conn, "mail.corp.example", clients[conn]), "conninfo")
	end
	-- The body is wanted (some evidence is there); end of headers is not.
	lib.expect(mt.test_option(conn, SMFIP_NOEOH), "end-of-header step negotiated away")
	lib.expect(not mt.test_option(conn, SMFIP_NOBODY), "body step kept")
	-- On a unix socket every step before end of message goes unanswered
	-- (milter.no_reply: auto), so an MTA of protocol 6 (it takes macro
	-- lists) is not asked for the DATA step at all.
	lib.expect(mt.test_option(conn, SMFIP_NODATA) ==
	    (lists and mt.test_option(conn, SMFIP_NR_MAIL)),
	    "DATA step away exactly when MAIL goes unanswered and the MTA takes lists")
	return conn
end

-- Sends one message: env = { from=, rcpts={ {addr, mailer, host, args...} },
-- headers={ {name, value} } } and returns the reply to end of message.
function lib.message(conn, env)
	if mt.test_option(conn, SMFIP_NOCONNECT) then
		lib.check(mt.macro(conn, SMFIC_MAIL, "{client_addr}", clients[conn],
		    "{daemon_name}", "smtpd"), "mail macros")
	end
	lib.check(mt.mailfrom(conn, env.from), "mailfrom")
	for _, r in ipairs(env.rcpts) do
		lib.check(mt.macro(conn, SMFIC_RCPT, "{rcpt_mailer}", r.mailer or "smtp",
		    "{rcpt_host}", r.host or "[127.0.0.1]:2525", "{rcpt_addr}", r.addr), "rcpt macros")
		if r.orcpt then
			lib.check(mt.rcptto(conn, "<" .. r.addr .. ">", "ORCPT=" .. r.orcpt), "rcptto")
		else
			lib.check(mt.rcptto(conn, "<" .. r.addr .. ">"), "rcptto")
		end
	end
	-- Unanswered, the DATA step is negotiated away (its macros would still come).
	if not mt.test_option(conn, SMFIP_NODATA) then
		lib.check(mt.data(conn), "data")
	end
	for _, h in ipairs(env.headers or {}) do
		lib.check(mt.header(conn, h[1], h[2]), "header " .. h[1])
	end
	-- body = false: a message without a body (no body chunk at all).
	if env.body ~= false then
		lib.check(mt.bodystring(conn, env.body or "Hello.\r\n"), "body")
	end
	lib.check(mt.eom(conn), "eom")
	return mt.getreply(conn)
end

function lib.expect_reply(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		lib.fail(what .. ": got reply '" .. tostring(got) .. "', want '" .. tostring(want) .. "'")
	end
end

function lib.expect(cond, what)
	if not cond then
		lib.fail(what)
	end
end

-- The inbox-rule forward of the founding story, as a mail server relays it.
function lib.inbox_rule_forward(extra)
	local h = {
		{ "Received", "from mx.example.net by mail.corp.example; Mon, 23 Nov 2026 08:00:00 +0000" },
		{ "Delivered-To", "support@corp.example" },
		{ "X-MS-Exchange-Inbox-Rules-Loop", "support@corp.example" },
		{ "From", "Jane Customer <jane@example.net>" },
		{ "To", "Customer Service <support@corp.example>" },
		{ "Subject", "My account 12345" },
		{ "Message-ID", "<c1@example.net>" },
	}
	for _, x in ipairs(extra or {}) do
		table.insert(h, x)
	end
	return h
end

return lib
