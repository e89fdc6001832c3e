-- SPDX-License-Identifier: BSD-2-Clause
-- The forwarded-copy rule of tests/bench/fwdguard-bench.yaml, as an
-- Rspamd admin would write it: when a trace header names a protected
-- mailbox and a recipient is outside the internal domains, reject.
-- Runs as a prefilter so a hit skips every other check.
local protected = { ['support@corp.example'] = true }
local internal = { ['corp.example'] = true }
-- The headers that carry forwarding evidence (fwdguard's signals
-- delivered-to, original-to, exchange-rule, sieve-redirect, resent and
-- the usual X-Forwarded-* of forwarding services).
local evidence = { 'Delivered-To', 'X-Original-To',
  'X-MS-Exchange-Inbox-Rules-Loop', 'X-Sieve-Redirected-From',
  'X-Forwarded-For', 'X-Forwarded-To', 'Resent-From' }

local function names_protected(task)
  for _, name in ipairs(evidence) do
    for _, h in ipairs(task:get_header_full(name) or {}) do
      local text = (h.decoded or h.value or ''):lower()
      for addr in text:gmatch('[%w%._%+%-]+@[%w%.%-]+') do
        if protected[addr] then return true end
      end
    end
  end
  return false
end

local function domain_internal(domain)
  domain = (domain or ''):lower()
  return internal[domain] or domain:sub(-#'.corp.example') == '.corp.example'
end

rspamd_config:register_symbol{
  name = 'PROTECTED_FORWARD', score = 0.0, type = 'prefilter', priority = 10,
  callback = function(task)
    if not names_protected(task) then return false end
    for _, r in ipairs(task:get_recipients('smtp') or {}) do
      if not domain_internal(r.domain) then
        task:set_pre_result('reject',
          'forwarding of protected mail to external domains is not permitted')
        return true
      end
    end
    return false
  end,
}
