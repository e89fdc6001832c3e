-- SPDX-License-Identifier: BSD-2-Clause
-- wrap.lua: runs one scenario (SCENARIO) and prints why it failed, since
-- miltertest exits 1 on a Lua error without saying what it was.
dofile(LIBDIR .. "/lib.lua")
local ok, err = pcall(dofile, SCENARIO)
if not ok then
	print(tostring(err))
	error("scenario failed")
end
